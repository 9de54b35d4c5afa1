//! Asynchronous invocations with `EventInvokeConfig`: boto3 invokes with `InvocationType='Event'`
//! and the function's Lambda destinations receive AWS's invocation record.

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
