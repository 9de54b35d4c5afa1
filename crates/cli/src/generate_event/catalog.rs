//! The events `generate-event` knows: SAM CLI's service and event names, each event's flags with
//! SAM's defaults, and a builder producing the shape the AWS service sends to a function.
//!
//! SAM renders its samples by pasting flag values into JSON text unescaped (a `"` in `--body`
//! breaks the output); Sluice builds `serde_json` values instead, so any value gives valid JSON.
//! With the defaults the output is byte-for-byte SAM's.

use serde_json::{json, Value};

use super::values::value;
pub use super::values::Values;

/// How a flag's value is transformed before it goes into the event (SAM's `encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Used as given.
    Plain,
    /// Base64 of the UTF-8 bytes (bodies and stream data, as AWS delivers them).
    Base64,
    /// Percent-encoded as S3 keys arrive in notifications (`/` kept).
    Url,
}

/// One `--flag` of an event.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The flag's name without `--` (SAM's spelling).
    pub name: &'static str,
    /// SAM's default value.
    pub default: &'static str,
    /// What happens to the value before it is used.
    pub encoding: Encoding,
}

/// One event SAM can generate.
#[derive(Debug, Clone, Copy)]
pub struct EventKind {
    /// SAM's service name (`apigateway`, `s3`, …).
    pub service: &'static str,
    /// SAM's event name under the service (`aws-proxy`, `put`, …).
    pub event: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// The flags this event takes.
    pub flags: &'static [Flag],
    /// Builds the event from encoded flag values (every flag of `flags` is present).
    pub build: fn(&Values) -> Value,
}

const fn flag(name: &'static str, default: &'static str) -> Flag {
    Flag {
        name,
        default,
        encoding: Encoding::Plain,
    }
}

const fn encoded(name: &'static str, default: &'static str, encoding: Encoding) -> Flag {
    Flag {
        name,
        default,
        encoding,
    }
}

const ACCOUNT: Flag = flag("account-id", "123456789012");
const PARTITION: Flag = flag("partition", "aws");
const REGION: Flag = flag("region", "us-east-1");
const DNS_SUFFIX: Flag = flag("dns-suffix", "us-east-1.amazonaws.com");
const JSON_BODY: Flag = encoded("body", "{\"test\":\"body\"}", Encoding::Base64);

/// Every event, in SAM's order (services sorted, events sorted within each).
pub const EVENTS: &[EventKind] = &[
    EventKind {
        service: "alb",
        event: "request",
        help: "Generates an Application Load Balancer Event",
        flags: &[
            JSON_BODY,
            flag("method", "POST"),
            flag("path", "path/to/resource"),
            ACCOUNT,
            flag("dns-suffix", "us-east-2.elb.amazonaws.com"),
        ],
        build: super::sources::alb_request,
    },
    EventKind {
        service: "apigateway",
        event: "authorizer",
        help: "Generates an Amazon API Gateway Authorizer Event",
        flags: &[
            ACCOUNT,
            PARTITION,
            REGION,
            flag("stage", "prod"),
            flag("method", "POST"),
            flag("resource", "{proxy+}"),
            flag("restApiId", "example"),
        ],
        build: token_authorizer,
    },
    EventKind {
        service: "apigateway",
        event: "aws-proxy",
        help: "Generates an Amazon API Gateway AWS Proxy Event",
        flags: &[
            JSON_BODY,
            flag("stage", "prod"),
            flag("method", "POST"),
            flag("resource", "/{proxy+}"),
            flag("path", "path/to/resource"),
            flag("querystringparameters", "{\"foo\": \"bar\"}"),
            ACCOUNT,
            DNS_SUFFIX,
        ],
        build: super::apigateway::rest_proxy,
    },
    EventKind {
        service: "apigateway",
        event: "http-api-proxy",
        help: "Generates an Amazon API Gateway Http API Event",
        flags: &[
            JSON_BODY,
            flag("stage", "$default"),
            flag("method", "POST"),
            flag("path", "path/to/resource"),
            ACCOUNT,
            DNS_SUFFIX,
        ],
        build: super::apigateway::http_api_proxy,
    },
    EventKind {
        service: "apigateway",
        event: "request-authorizer",
        help: "Generates an Amazon API Gateway Request Authorizer Event",
        flags: &[
            ACCOUNT,
            PARTITION,
            REGION,
            flag("stage", "test"),
            flag("method", "GET"),
            flag("resource", "request"),
            flag("restApiId", "abcdef123"),
        ],
        build: super::apigateway::request_authorizer,
    },
    EventKind {
        service: "cloudformation",
        event: "create-request",
        help: "Generates an AWS CloudFormation Create Request Event",
        flags: &[ACCOUNT, PARTITION, REGION, flag("stack", "MyStack")],
        build: super::sources::cloudformation_create_request,
    },
    EventKind {
        service: "cloudwatch",
        event: "logs",
        help: "Generates an Amazon Cloudwatch Logs Event",
        flags: &[],
        build: cloudwatch_logs,
    },
    EventKind {
        service: "cloudwatch",
        event: "scheduled-event",
        help: "Generates an Amazon CloudWatch Events Scheduled Event",
        flags: &[ACCOUNT, PARTITION, REGION, flag("rule", "ExampleRule")],
        build: scheduled_event,
    },
    EventKind {
        service: "dynamodb",
        event: "update",
        help: "Generates an Amazon DynamoDB Update Event",
        flags: &[
            ACCOUNT,
            PARTITION,
            REGION,
            flag("table", "ExampleTableWithStream"),
        ],
        build: dynamodb_update,
    },
    EventKind {
        service: "kinesis",
        event: "get-records",
        help: "Generates an Amazon Kinesis Data Stream Event",
        flags: &[
            REGION,
            PARTITION,
            flag(
                "sequence",
                "49545115243490985018280067714973144582180062593244200961",
            ),
            encoded("data", "Hello, this is a test 123.", Encoding::Base64),
            flag("partition-key", "partitionKey-03"),
        ],
        build: kinesis_get_records,
    },
    EventKind {
        service: "kinesis",
        event: "kinesis-firehose",
        help: "Generates an Amazon Kinesis Data Firehose Event",
        flags: &[
            PARTITION,
            REGION,
            flag("data", "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4="),
        ],
        build: super::sources::kinesis_firehose,
    },
    EventKind {
        service: "s3",
        event: "batch-invocation",
        help: "Generates an Amazon S3 Batch Operations Invocation Event",
        flags: &[
            flag("bucket-arn", "arn:aws:s3:::examplebucket"),
            encoded("key", "test/key", Encoding::Url),
        ],
        build: super::sources::s3_batch_invocation,
    },
    EventKind {
        service: "s3",
        event: "delete",
        help: "Generates an Amazon S3 Delete Event",
        flags: &[
            REGION,
            PARTITION,
            flag("bucket", "example-bucket"),
            encoded("key", "test/key", Encoding::Url),
        ],
        build: s3_delete,
    },
    EventKind {
        service: "s3",
        event: "put",
        help: "Generates an Amazon S3 Put Event",
        flags: &[
            REGION,
            PARTITION,
            flag("bucket", "example-bucket"),
            encoded("key", "test/key", Encoding::Url),
        ],
        build: s3_put,
    },
    EventKind {
        service: "sns",
        event: "notification",
        help: "Generates an Amazon SNS Topic Notification Event",
        flags: &[
            ACCOUNT,
            PARTITION,
            REGION,
            flag("topic", "ExampleTopic"),
            flag("subject", "example subject"),
            flag("message", "example message"),
        ],
        build: sns_notification,
    },
    EventKind {
        service: "sqs",
        event: "receive-message",
        help: "Generates an Amazon SQS Event",
        flags: &[
            PARTITION,
            REGION,
            ACCOUNT,
            flag("queue-name", "MyQueue"),
            flag("body", "Hello from SQS!"),
        ],
        build: sqs_receive_message,
    },
    EventKind {
        service: "stepfunctions",
        event: "error",
        help: "Generates an AWS StepFunctions Error Event",
        flags: &[
            flag("error", "ErrorName"),
            flag("cause", "This is the cause of the error."),
        ],
        build: super::sources::stepfunctions_error,
    },
];

/// The event named `service`/`event`, if SAM has it and Sluice knows it.
pub fn find(service: &str, event: &str) -> Option<&'static EventKind> {
    EVENTS
        .iter()
        .find(|e| e.service == service && e.event == event)
}

fn token_authorizer(v: &Values) -> Value {
    json!({
        "type": "TOKEN",
        "authorizationToken": "incoming-client-token",
        "methodArn": super::apigateway::method_arn(v, value(v, "resource")),
    })
}

fn cloudwatch_logs(_: &Values) -> Value {
    // A gzip'd, base64'd CloudWatch Logs subscription payload, as the service delivers it.
    json!({
        "awslogs": {
            "data": "H4sIAAAAAAAAAHWPwQqCQBCGX0Xm7EFtK+smZBEUgXoLCdMhFtKV3akI8d0bLYmibvPPN3wz00CJxmQnTO41whwWQRIctmEcB6sQbFC3CjW3XW8kxpOpP+OC22d1Wml1qZkQGtoMsScxaczKN3plG8zlaHIta5KqWsozoTYw3/djzwhpLwivWFGHGpAFe7DL68JlBUk+l7KSN7tCOEJ4M3/qOI49vMHj+zCKdlFqLaU2ZHV2a4Ct/an0/ivdX8oYc1UVX860fQDQiMdxRQEAAA=="
        }
    })
}

fn scheduled_event(v: &Values) -> Value {
    let (partition, region, account) = (
        value(v, "partition"),
        value(v, "region"),
        value(v, "account-id"),
    );
    json!({
        "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": "1970-01-01T00:00:00Z",
        "region": region,
        "resources": [format!("arn:{partition}:events:{region}:{account}:rule/{}", value(v, "rule"))],
        "detail": {}
    })
}

fn dynamodb_update(v: &Values) -> Value {
    let region = value(v, "region");
    let stream_arn = format!(
        "arn:{}:dynamodb:{region}:{}:table/{}/stream/2015-06-27T00:48:05.899",
        value(v, "partition"),
        value(v, "account-id"),
        value(v, "table")
    );
    let item = |message: &str| json!({"Message": {"S": message}, "Id": {"N": "101"}});
    let record = |id: &str, name: &str, images: Value, sequence: &str, size: u32| {
        let mut dynamodb = json!({"Keys": {"Id": {"N": "101"}}});
        if let (Some(target), Some(images)) = (dynamodb.as_object_mut(), images.as_object()) {
            target.extend(images.clone());
            target.insert("ApproximateCreationDateTime".into(), json!(1428537600));
            target.insert("SequenceNumber".into(), json!(sequence));
            target.insert("SizeBytes".into(), json!(size));
            target.insert("StreamViewType".into(), json!("NEW_AND_OLD_IMAGES"));
        }
        json!({
            "eventID": id,
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": dynamodb,
            "eventSourceARN": stream_arn,
        })
    };
    json!({
        "Records": [
            record("c4ca4238a0b923820dcc509a6f75849b", "INSERT",
                json!({"NewImage": item("New item!")}), "4421584500000000017450439091", 26),
            record("c81e728d9d4c2f636f067f89cc14862c", "MODIFY",
                json!({"NewImage": item("This item has changed"), "OldImage": item("New item!")}),
                "4421584500000000017450439092", 59),
            record("eccbc87e4b5ce2fe28308fd9f2a7baf3", "REMOVE",
                json!({"OldImage": item("This item has changed")}), "4421584500000000017450439093", 38),
        ]
    })
}

fn kinesis_get_records(v: &Values) -> Value {
    let (partition, sequence) = (value(v, "partition"), value(v, "sequence"));
    json!({
        "Records": [{
            "kinesis": {
                "partitionKey": value(v, "partition-key"),
                "kinesisSchemaVersion": "1.0",
                "data": value(v, "data"),
                "sequenceNumber": sequence,
                "approximateArrivalTimestamp": 1428537600.0
            },
            "eventSource": "aws:kinesis",
            "eventID": format!("shardId-000000000000:{sequence}"),
            "invokeIdentityArn": format!("arn:{partition}:iam::EXAMPLE"),
            "eventVersion": "1.0",
            "eventName": "aws:kinesis:record",
            "eventSourceARN": format!("arn:{partition}:kinesis:EXAMPLE"),
            "awsRegion": value(v, "region")
        }]
    })
}

/// S3 notifications share everything but the event name and the object's fields.
fn s3_record(v: &Values, event_name: &str, object: Value) -> Value {
    let bucket = value(v, "bucket");
    json!({
        "Records": [{
            "eventVersion": "2.0",
            "eventSource": "aws:s3",
            "awsRegion": value(v, "region"),
            "eventTime": "1970-01-01T00:00:00.000Z",
            "eventName": event_name,
            "userIdentity": {"principalId": "EXAMPLE"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {
                "x-amz-request-id": "EXAMPLE123456789",
                "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH"
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "testConfigRule",
                "bucket": {
                    "name": bucket,
                    "ownerIdentity": {"principalId": "EXAMPLE"},
                    "arn": format!("arn:{}:s3:::{bucket}", value(v, "partition"))
                },
                "object": object
            }
        }]
    })
}

fn s3_put(v: &Values) -> Value {
    let object = json!({
        "key": value(v, "key"),
        "size": 1024,
        "eTag": "0123456789abcdef0123456789abcdef",
        "sequencer": "0A1B2C3D4E5F678901"
    });
    s3_record(v, "ObjectCreated:Put", object)
}

fn s3_delete(v: &Values) -> Value {
    // AWS: a delete notification carries no size or eTag (the object is gone).
    let object = json!({"key": value(v, "key"), "sequencer": "0A1B2C3D4E5F678901"});
    s3_record(v, "ObjectRemoved:Delete", object)
}

fn sns_notification(v: &Values) -> Value {
    let topic_arn = format!(
        "arn:{}:sns:{}:{}:{}",
        value(v, "partition"),
        value(v, "region"),
        value(v, "account-id"),
        value(v, "topic")
    );
    // SAM leaves the account out of EventSubscriptionArn (its template names a tag that does not
    // exist); AWS sends the topic's ARN plus the subscription id, so Sluice does too.
    json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": format!("{topic_arn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"),
            "Sns": {
                "Type": "Notification",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": topic_arn,
                "Subject": value(v, "subject"),
                "Message": value(v, "message"),
                "Timestamp": "1970-01-01T00:00:00.000Z",
                "SignatureVersion": "1",
                "Signature": "EXAMPLE",
                "SigningCertUrl": "EXAMPLE",
                "UnsubscribeUrl": "EXAMPLE",
                "MessageAttributes": {
                    "Test": {"Type": "String", "Value": "TestString"},
                    "TestBinary": {"Type": "Binary", "Value": "TestBinary"}
                }
            }
        }]
    })
}

fn sqs_receive_message(v: &Values) -> Value {
    let (partition, region, account) = (
        value(v, "partition"),
        value(v, "region"),
        value(v, "account-id"),
    );
    let body = value(v, "body");
    json!({
        "Records": [{
            "messageId": "19dd0b57-b21e-4ac1-bd88-01bbb068cb78",
            "receiptHandle": "MessageReceiptHandle",
            "body": body,
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1523232000000",
                "SenderId": account,
                "ApproximateFirstReceiveTimestamp": "1523232000001"
            },
            "messageAttributes": {},
            // AWS: the MD5 of the body's UTF-8 bytes, so consumers that check it accept the event.
            "md5OfBody": super::md5::hex_digest(body.as_bytes()),
            "eventSource": "aws:sqs",
            "eventSourceARN": format!("arn:{partition}:sqs:{region}:{account}:{}", value(v, "queue-name")),
            "awsRegion": region
        }]
    })
}
