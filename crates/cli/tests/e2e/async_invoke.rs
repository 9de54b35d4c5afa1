//! Asynchronous invocations with `EventInvokeConfig`: boto3 invokes with `InvocationType='Event'`
//! and the function's Lambda destinations receive AWS's invocation record; REST custom
//! integrations invoke asynchronously as `X-Amz-Invocation-Type` says, and the request's record
//! names the queued invocation.

use std::process::Command;

use serde_json::Value;

use crate::sluice;

const TEMPLATE: &str = r#"Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: index.handler
Resources:
  Succeeds:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: |
        def handler(event, context):
            return {"doubled": event["n"] * 2}
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess:
            Type: Lambda
            Destination: !GetAtt Recorder.Arn
  Fails:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: |
        def handler(event, context):
            raise RuntimeError("no " + str(event["n"]))
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnFailure:
            Type: Lambda
            Destination: !Ref Recorder
  ToTopic:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: |
        def handler(event, context):
            return "sent"
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess:
            Type: SNS
            Destination: arn:aws:sns:us-east-1:123456789012:done
  Recorder:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: |
        import json
        def handler(event, context):
            print("RECORD " + json.dumps(event))
"#;

/// Invokes `function` with `InvocationType='Event'` through boto3 and returns the 202's
/// request id.
fn invoke_event(services_url: &str, function: &str, payload: &str) -> String {
    let script = r#"
import sys, boto3
client = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
answer = client.invoke(FunctionName=sys.argv[2], InvocationType="Event", Payload=sys.argv[3])
assert answer["StatusCode"] == 202, answer
print(answer["ResponseMetadata"]["RequestId"])
"#;
    let out = Command::new("python3")
        .args(["-c", script, services_url, function, payload])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The records the `Recorder` function printed so far.
fn records(server: &sluice_testkit::Server) -> Vec<Value> {
    server
        .logs()
        .iter()
        .filter_map(|l| {
            l.split_once("[Recorder] RECORD ")
                .map(|(_, json)| json.to_owned())
        })
        .map(|json| serde_json::from_str(&json).unwrap())
        .collect()
}

#[test]
fn lambda_destinations_receive_the_invocation_record_of_event_invocations() {
    let dir = sluice_testkit::fresh_dir("async-invoke");
    let template = dir.join("template.yaml");
    std::fs::write(&template, TEMPLATE).unwrap();
    let server = sluice_testkit::Server::start_lambda(sluice(), &template, &[]);
    // Said once at startup: where the destination Sluice cannot deliver to is written.
    assert!(
        server.logs().iter().any(|l| l.contains(&format!(
            "{}:39:13: Resources.ToTopic.Properties.EventInvokeConfig.DestinationConfig.OnSuccess: SNS destinations are not emulated yet",
            template.display()
        ))),
        "{:#?}",
        server.logs()
    );
    let succeeded = invoke_event(&server.services_url, "Succeeds", r#"{"n": 21}"#);
    let failed = invoke_event(&server.services_url, "Fails", r#"{"n": 1}"#);
    sluice_testkit::assert_eventually!(records(&server).len() >= 2, "{:#?}", server.logs());
    let records = records(&server);
    let by_condition = |condition: &str| {
        records
            .iter()
            .find(|r| r["requestContext"]["condition"] == condition)
            .unwrap_or_else(|| panic!("no {condition} record: {records:#?}"))
            .clone()
    };
    // AWS's record (docs: invocation-async-retain-records).
    let success = by_condition("Success");
    assert_eq!(
        success["requestContext"],
        serde_json::json!({
            "requestId": succeeded,
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Succeeds:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        })
    );
    assert_eq!(success["requestPayload"], serde_json::json!({"n": 21}));
    assert_eq!(
        success["responseContext"],
        serde_json::json!({"statusCode": 200, "executedVersion": "$LATEST"})
    );
    assert_eq!(
        success["responsePayload"],
        serde_json::json!({"doubled": 42})
    );
    let failure = by_condition("RetriesExhausted");
    assert_eq!(failure["requestContext"]["requestId"], failed.as_str());
    // MaximumRetryAttempts: 0 — the one attempt, no retry.
    assert_eq!(failure["requestContext"]["approximateInvokeCount"], 1);
    assert_eq!(failure["responseContext"]["functionError"], "Unhandled");
    assert_eq!(failure["responsePayload"]["errorType"], "RuntimeError");
    assert_eq!(failure["responsePayload"]["errorMessage"], "no 1");
    let runs = server
        .logs()
        .iter()
        .filter(|l| l.contains("[Fails] START"))
        .count();
    assert_eq!(runs, 1, "MaximumRetryAttempts: 0 means no retry");
}

/// A REST API whose Lambda custom integrations invoke `Worker` asynchronously: always (a static
/// `'Event'`, the docs' OpenAPI example), always with a response template, or as the client's
/// `InvocationType` header says.
const REST_TEMPLATE: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import json
        def handler(event, context):
            print("WORKED " + json.dumps(event, sort_keys=True))
            return {"done": event.get("job")}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        openapi: '3.0.1'
        info: {title: async, version: '1'}
        paths:
          /jobs:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Worker.Arn}/invocations
                requestParameters:
                  integration.request.header.X-Amz-Invocation-Type: "'Event'"
                passthroughBehavior: when_no_match
                responses:
                  default:
                    statusCode: '200'
          /queued:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Worker.Arn}/invocations
                requestParameters:
                  integration.request.header.X-Amz-Invocation-Type: "'Event'"
                requestTemplates:
                  application/json: '{"job": $input.json(''$.job''), "via": "template"}'
                responses:
                  default:
                    statusCode: '202'
                    responseTemplates:
                      application/json: '{"queued": true, "body": "$input.body"}'
          /choose:
            post:
              parameters:
                - name: InvocationType
                  in: header
                  schema: {type: string}
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Worker.Arn}/invocations
                requestParameters:
                  integration.request.header.X-Amz-Invocation-Type: method.request.header.InvocationType
                responses:
                  default:
                    statusCode: '200'
"#;

/// The events `Worker` logged so far.
fn worked(server: &sluice_testkit::Server) -> Vec<Value> {
    server
        .logs()
        .iter()
        .filter_map(|l| l.split_once("[Worker] WORKED ").map(|(_, json)| json))
        .map(|json| serde_json::from_str(json).unwrap())
        .collect()
}

/// POSTs `body` to `path` with an optional `InvocationType` header: (status, body).
fn post(
    server: &sluice_testkit::Server,
    path: &str,
    kind: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut request = crate::client()
        .post(server.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(kind) = kind {
        request = request.header("InvocationType", kind);
    }
    let response = request.send().unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

#[test]
fn rest_custom_integrations_invoke_asynchronously_as_x_amz_invocation_type_says() {
    let dir = sluice_testkit::fresh_dir("rest-async-invoke");
    let template = dir.join("template.yaml");
    std::fs::write(&template, REST_TEMPLATE).unwrap();
    let server = sluice_testkit::Server::start(sluice(), &template, &[]);

    // AWS (docs: set-up-lambda-integration-async): a static 'Event' queues the invocation;
    // Lambda's 202 has an empty body and no function error, so the default integration response
    // maps it: its status, the empty body passed through.
    assert_eq!(
        post(&server, "/jobs", None, r#"{"job": "a1"}"#),
        (200, String::new())
    );
    // The function really runs, with the mapped request (here the body passed through).
    sluice_testkit::assert_eventually!(
        worked(&server).contains(&serde_json::json!({"job": "a1"})),
        "{:#?}",
        server.logs()
    );

    // The default response's status and template apply to the empty answer as to any (AWS
    // renders an empty `$input.body` as `{}`).
    assert_eq!(
        post(&server, "/queued", None, r#"{"job": "b2"}"#),
        (202, r#"{"queued": true, "body": "{}"}"#.to_owned())
    );
    sluice_testkit::assert_eventually!(
        worked(&server).contains(&serde_json::json!({"job": "b2", "via": "template"})),
        "{:#?}",
        server.logs()
    );

    // method.request.header.InvocationType lets the client choose: none or RequestResponse is
    // synchronous (the function's answer), Event asynchronous, DryRun runs nothing (Lambda's
    // 204, empty).
    assert_eq!(
        post(&server, "/choose", None, r#"{"job": "c3"}"#),
        (200, r#"{"done": "c3"}"#.to_owned())
    );
    assert_eq!(
        post(
            &server,
            "/choose",
            Some("RequestResponse"),
            r#"{"job": "c4"}"#
        ),
        (200, r#"{"done": "c4"}"#.to_owned())
    );
    assert_eq!(
        post(&server, "/choose", Some("DryRun"), r#"{"job": "c5"}"#),
        (200, String::new())
    );
    assert_eq!(
        post(&server, "/choose", Some("Event"), r#"{"job": "c6"}"#),
        (200, String::new())
    );
    sluice_testkit::assert_eventually!(
        worked(&server).contains(&serde_json::json!({"job": "c6"})),
        "{:#?}",
        server.logs()
    );
    // Lambda refuses another type (400 InvalidParameterValueException): an integration failure.
    assert_eq!(
        post(&server, "/choose", Some("Later"), r#"{"job": "c7"}"#),
        (500, r#"{"message": "Internal server error"}"#.to_owned())
    );
    // Each synchronous or asynchronous request ran the function once; DryRun and the refused
    // type never did.
    let jobs: Vec<String> = worked(&server)
        .iter()
        .map(|event| event["job"].as_str().unwrap_or_default().to_owned())
        .collect();
    for job in ["a1", "b2", "c3", "c4", "c6"] {
        assert_eq!(
            jobs.iter().filter(|j| *j == job).count(),
            1,
            "{job}: {jobs:?}"
        );
    }
    assert!(!jobs.iter().any(|j| j == "c5" || j == "c7"), "{jobs:?}");
}

#[test]
fn an_asynchronous_rest_request_is_recorded_with_lambdas_202_and_the_runs_request_id() {
    let dir = sluice_testkit::fresh_dir("rest-async-record");
    let template = dir.join("template.yaml");
    std::fs::write(&template, REST_TEMPLATE).unwrap();
    let server = sluice_testkit::Server::start(sluice(), &template, &[]);

    assert_eq!(
        post(&server, "/jobs", None, r#"{"job": "r1"}"#),
        (200, String::new())
    );
    let generous = std::time::Duration::from_secs(60);
    sluice_testkit::assert_eventually!(
        within generous;
        worked(&server).contains(&serde_json::json!({"job": "r1"})),
        "{:#?}",
        server.logs()
    );
    // The only run of Worker in this server: its request id is the one Lambda's 202 gave.
    let run_id = server
        .logs()
        .iter()
        .find_map(|l| {
            l.split_once("[Worker] START RequestId: ")
                .and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_owned))
        })
        .expect("the run's START line");

    // AWS: for an `Event` invocation `$context.integration.integrationStatus` is the Invoke
    // call's 202 and `$context.integration.requestId` its request id, known when Lambda queues
    // the event. The console's record of the request names that invocation, and finds the run's
    // lines (written after the answer) by its request id.
    let requests = || {
        crate::client()
            .get(server.url("/_sluice/requests"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    sluice_testkit::assert_eventually!(
        within generous;
        {
            let page = requests();
            page.contains("/jobs")
                && page.contains("(Lambda 202: an asynchronous invocation, run after the answer)")
                && page.contains(&format!("RequestId {run_id})"))
                && page.contains("WORKED ")
        },
        "{}",
        requests()
    );
    // The run itself is counted with the function's invocations from every path (as the Invoke
    // API's `Event` runs are), where its duration and cost are known.
    let get = |path: &str| {
        crate::client()
            .get(server.url(path))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    sluice_testkit::assert_eventually!(
        within generous;
        get("/_sluice/metrics").contains(r#"sluice_invocations_total{function="Worker"} 1"#),
        "{}",
        get("/_sluice/metrics")
    );
    let overview = get("/_sluice/");
    assert!(overview.contains("POST /jobs"), "{overview}");
    assert!(overview.contains("200×1"), "{overview}");
}
