//! Each event against the sample SAM CLI printed for the same command (byte for byte), and the
//! flags that change what AWS would send.

use serde_json::Value;

use super::{catalog, command, render, values};

/// What `sluice generate-event <args>` prints (without the trailing newline `println!` adds).
fn generate(args: &[&str]) -> String {
    let matches = command("generate-event")
        .try_get_matches_from(std::iter::once("generate-event").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?} should parse: {e}"));
    let (service, m) = matches.subcommand().expect("a service");
    let (event, m) = m.subcommand().expect("an event");
    let kind = catalog::find(service, event).expect("a known event");
    render(kind, &values(kind, m)).expect("JSON")
}

fn sample(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.trim_end().to_owned()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

#[test]
fn api_gateway_events_are_sams_samples_byte_for_byte() {
    let cases: [(&[&str], &str); 6] = [
        (&["apigateway", "aws-proxy"], "apigateway-aws-proxy.json"),
        (
            &[
                "apigateway",
                "aws-proxy",
                "--method",
                "GET",
                "--path",
                "hello",
                "--resource",
                "/hello",
                "--stage",
                "Prod",
                "--body",
                "",
            ],
            "apigateway-aws-proxy-get-hello.json",
        ),
        (
            &["apigateway", "http-api-proxy"],
            "apigateway-http-api-proxy.json",
        ),
        (
            &[
                "apigateway",
                "http-api-proxy",
                "--method",
                "GET",
                "--path",
                "hello",
                "--body",
                "",
            ],
            "apigateway-http-api-proxy-get-hello.json",
        ),
        (&["apigateway", "authorizer"], "apigateway-authorizer.json"),
        (
            &["apigateway", "request-authorizer"],
            "apigateway-request-authorizer.json",
        ),
    ];
    for (args, file) in cases {
        assert_eq!(generate(args), sample(file), "{args:?} vs {file}");
    }
}

#[test]
fn a_leading_slash_in_path_is_not_doubled() {
    let event = json(&generate(&["apigateway", "aws-proxy", "--path", "/hello"]));
    assert_eq!(event["path"], "/hello");
    assert_eq!(event["requestContext"]["path"], "/prod/hello");
}

#[test]
fn aws_proxy_query_string_parameters_are_read_as_json_like_sams_flag() {
    let event = json(&generate(&[
        "apigateway",
        "aws-proxy",
        "--querystringparameters",
        r#"{"page": "2", "sort": "asc"}"#,
    ]));
    assert_eq!(
        serde_json::to_string(&event["queryStringParameters"]).expect("JSON"),
        r#"{"page":"2","sort":"asc"}"#
    );
    // SAM keeps text that is not JSON as a string.
    let event = json(&generate(&[
        "apigateway",
        "aws-proxy",
        "--querystringparameters",
        "page=2",
    ]));
    assert_eq!(event["queryStringParameters"], "page=2");
}

#[test]
fn values_with_quotes_still_give_valid_json() {
    let event = json(&generate(&[
        "sqs",
        "receive-message",
        "--body",
        r#"{"a": "b"}"#,
    ]));
    assert_eq!(event["Records"][0]["body"], r#"{"a": "b"}"#);
}

#[test]
fn sqs_md5_of_body_follows_the_body() {
    let event = json(&generate(&["sqs", "receive-message"]));
    let record = &event["Records"][0];
    assert_eq!(record["body"], "Hello from SQS!");
    assert_eq!(record["md5OfBody"], "7b270e59b47ff90a553787216d55d91d");
    assert_eq!(
        record["eventSourceARN"],
        "arn:aws:sqs:us-east-1:123456789012:MyQueue"
    );
    let event = json(&generate(&["sqs", "receive-message", "--body", "abc"]));
    assert_eq!(
        event["Records"][0]["md5OfBody"],
        "900150983cd24fb0d6963f7d28e17f72"
    );
}

#[test]
fn s3_keys_arrive_url_encoded_and_bodies_base64() {
    let event = json(&generate(&[
        "s3",
        "put",
        "--key",
        "my photos/a+b.jpg",
        "--bucket",
        "pics",
    ]));
    let s3 = &event["Records"][0]["s3"];
    assert_eq!(s3["object"]["key"], "my%20photos/a%2Bb.jpg");
    assert_eq!(s3["bucket"]["arn"], "arn:aws:s3:::pics");
    assert_eq!(event["Records"][0]["eventName"], "ObjectCreated:Put");
    assert_eq!(s3["object"]["size"], 1024);
    let event = json(&generate(&["s3", "delete"]));
    assert_eq!(event["Records"][0]["eventName"], "ObjectRemoved:Delete");
    assert!(event["Records"][0]["s3"]["object"].get("size").is_none());

    let event = json(&generate(&["kinesis", "get-records", "--data", "hi"]));
    assert_eq!(event["Records"][0]["kinesis"]["data"], "aGk=");
}

#[test]
fn arns_follow_partition_region_and_account() {
    let flags = [
        "--partition",
        "aws-cn",
        "--region",
        "cn-north-1",
        "--account-id",
        "111122223333",
    ];
    let event = json(&generate(
        &[&["dynamodb", "update", "--table", "T"][..], &flags].concat(),
    ));
    let records = event["Records"].as_array().expect("records");
    let names: Vec<_> = records.iter().map(|r| r["eventName"].as_str()).collect();
    assert_eq!(names, [Some("INSERT"), Some("MODIFY"), Some("REMOVE")]);
    assert_eq!(
        records[0]["eventSourceARN"],
        "arn:aws-cn:dynamodb:cn-north-1:111122223333:table/T/stream/2015-06-27T00:48:05.899"
    );
    assert_eq!(
        records[1]["dynamodb"]["OldImage"]["Message"]["S"],
        "New item!"
    );

    let event = json(&generate(
        &[
            &["cloudwatch", "scheduled-event", "--rule", "Nightly"][..],
            &flags,
        ]
        .concat(),
    ));
    assert_eq!(
        event["resources"][0],
        "arn:aws-cn:events:cn-north-1:111122223333:rule/Nightly"
    );
    assert_eq!(event["detail-type"], "Scheduled Event");

    let event = json(&generate(
        &[&["sns", "notification", "--topic", "Orders"][..], &flags].concat(),
    ));
    let sns = &event["Records"][0];
    assert_eq!(
        sns["Sns"]["TopicArn"],
        "arn:aws-cn:sns:cn-north-1:111122223333:Orders"
    );
    assert!(sns["EventSubscriptionArn"]
        .as_str()
        .is_some_and(|arn| arn.starts_with("arn:aws-cn:sns:cn-north-1:111122223333:Orders:")));
}

#[test]
fn load_balancer_custom_resource_batch_and_firehose_events_take_their_flags() {
    let event = json(&generate(&[
        "alb",
        "request",
        "--method",
        "GET",
        "--path",
        "health",
        "--body",
        "hi",
        "--dns-suffix",
        "eu-west-1.elb.amazonaws.com",
    ]));
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["path"], "/health");
    assert_eq!(event["body"], "aGk=");
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(
        event["headers"]["host"],
        "lambda-alb-123578498.eu-west-1.elb.amazonaws.com"
    );

    let event = json(&generate(&[
        "cloudformation",
        "create-request",
        "--stack",
        "Shop",
        "--region",
        "eu-west-1",
    ]));
    assert_eq!(
        event["StackId"],
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/Shop/guid"
    );
    assert_eq!(event["RequestType"], "Create");
    assert_eq!(event["ResourceProperties"]["StackName"], "Shop");

    let event = json(&generate(&["s3", "batch-invocation", "--key", "a b.txt"]));
    assert_eq!(event["tasks"][0]["s3Key"], "a%20b.txt");
    assert_eq!(
        event["tasks"][0]["s3BucketArn"],
        "arn:aws:s3:::examplebucket"
    );

    let event = json(&generate(&[
        "kinesis",
        "kinesis-firehose",
        "--data",
        "eA==",
    ]));
    assert_eq!(event["records"][0]["data"], "eA==");
    assert_eq!(event["deliveryStreamArn"], "arn:aws:kinesis:EXAMPLE");

    let event = json(&generate(&[
        "stepfunctions",
        "error",
        "--error",
        "States.Timeout",
    ]));
    assert_eq!(event["Error"], "States.Timeout");
    assert_eq!(event["Cause"], "This is the cause of the error.");
}

#[test]
fn cloudwatch_logs_data_is_a_gzipped_subscription_payload() {
    use base64::Engine as _;
    let event = json(&generate(&["cloudwatch", "logs"]));
    let data = event["awslogs"]["data"].as_str().expect("data");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    assert_eq!(&bytes[..2], [0x1f, 0x8b], "gzip magic");
}

#[test]
fn every_event_renders_with_its_defaults() {
    for kind in catalog::EVENTS {
        let text = generate(&[kind.service, kind.event]);
        assert!(json(&text).is_object(), "{} {}", kind.service, kind.event);
    }
}

#[test]
fn unknown_events_are_usage_errors() {
    let parse = |args: &[&str]| {
        command("generate-event")
            .try_get_matches_from(std::iter::once("generate-event").chain(args.iter().copied()))
    };
    assert!(parse(&["apigateway", "nope"]).is_err());
    assert!(parse(&["s3", "put", "--no-such-flag", "x"]).is_err());
}
