//! A REST stage's execution log (`MethodSettings` `LoggingLevel`, `DataTraceEnabled`): API
//! Gateway's own lines about each request in `API-Gateway-Execution-Logs_{restApiId}/{stage}`,
//! read back through the CloudWatch Logs API with boto3, as AWS's clients read them.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use sluice_testkit::{assert_eventually, fresh_dir, Server};

use crate::{client, sluice};

/// One function behind three REST APIs: `Traced` logs everything (INFO with data trace), `Quiet`
/// only errors, `Guarded` (behind a Lambda authorizer) INFO without data trace.
fn app() -> PathBuf {
    let dir = fresh_dir("execution-logs-app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Traced:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      MethodSettings:
        - ResourcePath: /*
          HttpMethod: '*'
          LoggingLevel: INFO
          DataTraceEnabled: true
  Quiet:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      MethodSettings:
        - {ResourcePath: /*, HttpMethod: '*', LoggingLevel: ERROR}
  Guarded:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      MethodSettings:
        - {ResourcePath: /*, HttpMethod: '*', LoggingLevel: INFO}
      Auth:
        DefaultAuthorizer: TokenCheck
        Authorizers:
          TokenCheck:
            FunctionArn: !GetAtt Gate.Arn
  Gate:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: gate.handler
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events:
        TracedGet:
          Type: Api
          Properties: {RestApiId: !Ref Traced, Path: '/items/{id}', Method: GET}
        QuietGet:
          Type: Api
          Properties: {RestApiId: !Ref Quiet, Path: '/quiet/{id}', Method: GET}
        GuardedGet:
          Type: Api
          Properties: {RestApiId: !Ref Guarded, Path: '/guarded/{id}', Method: GET}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"def handler(event, context):
    item = event["pathParameters"]["id"]
    if item == "boom":
        raise Exception("the item blew up")
    return {"statusCode": 200, "headers": {"X-Item": item}, "body": "item " + item}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/gate.py"),
        r#"def handler(event, context):
    if event["authorizationToken"] != "open-sesame":
        raise Exception("Unauthorized")
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
    return {"principalId": "user", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
"#,
    )
    .unwrap();
    dir.join("template.yaml")
}

/// One log event: its stream, timestamp and message.
type Event = (String, i64, String);

/// Every execution log group with its events in FilterLogEvents' order, through boto3.
fn groups(server: &Server) -> Vec<(String, Vec<Event>)> {
    let script = r#"
import json, sys, boto3
logs = boto3.client("logs", endpoint_url=sys.argv[1], region_name="us-east-1",
                    aws_access_key_id="test", aws_secret_access_key="test")
out = []
for group in logs.describe_log_groups(logGroupNamePrefix="API-Gateway-Execution-Logs_")["logGroups"]:
    name = group["logGroupName"]
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=name)
    events = [[e["logStreamName"], e["timestamp"], e["message"]] for page in pages for e in page["events"]]
    out.append([name, events])
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .args(["-c", script, &server.services_url])
        .env_remove("AWS_PROFILE")
        .output()
        .expect("running python3 with boto3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn request_id(response: &reqwest::blocking::Response) -> String {
    response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_stage_logs_each_request_at_its_level_in_the_execution_log_group() {
    let server = Server::start(sluice(), &app(), &[]);

    let ok = client()
        .get(server.url("/items/7?color=red"))
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
    let ok_id = request_id(&ok);
    let ok_apigw_id = ok.headers()["x-amz-apigw-id"].to_str().unwrap().to_owned();
    // At ERROR, a request that succeeds writes nothing; one that fails, its error.
    let fine = client().get(server.url("/quiet/1")).send().unwrap();
    assert_eq!(fine.status(), 200);
    let failed = client().get(server.url("/quiet/boom")).send().unwrap();
    assert_eq!(failed.status(), 502);
    let failed_id = request_id(&failed);
    let let_in = client()
        .get(server.url("/guarded/3"))
        .header("authorization", "open-sesame")
        .send()
        .unwrap();
    assert_eq!(let_in.status(), 200);
    let let_in_id = request_id(&let_in);
    let kept_out = client()
        .get(server.url("/guarded/3"))
        .header("authorization", "wrong")
        .send()
        .unwrap();
    assert_eq!(kept_out.status(), 401);
    let kept_out_id = request_id(&kept_out);

    let mut all: Vec<(String, Vec<Event>)>;
    assert_eventually!(within Duration::from_secs(60); {
        all = groups(&server);
        all.len() == 3 && all.iter().all(|(_, events)| events.iter().any(|e| e.2.contains("Method completed")))
            && all.iter().any(|(_, events)| events.iter().any(|e| e.2.contains("status: 401")))
    }, "the three stages' execution logs");
    let group = |stage: &str| {
        all.iter()
            .find(|(name, _)| name.ends_with(stage))
            .unwrap_or_else(|| panic!("no group for {stage}: {all:#?}"))
    };

    let (traced_name, traced) = group("/prod");
    let api_id = traced_name
        .strip_prefix("API-Gateway-Execution-Logs_")
        .and_then(|rest| rest.strip_suffix("/prod"))
        .unwrap_or_else(|| panic!("{traced_name}"));
    assert_eq!(api_id.len(), 10, "{traced_name}");
    let prefix = format!("({ok_id}) ");
    let lines: Vec<&str> = traced
        .iter()
        .map(|(_, _, message)| {
            message
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{message} is not the request's"))
        })
        .collect();
    let expected = [
        format!("Extended Request Id: {ok_apigw_id}"),
        format!("Verifying Usage Plan for request: {ok_id}. API Key:  API Stage: {api_id}/prod"),
        "API Key  authorized because method 'GET /items/{id}' does not require API Key. Request will not contribute to throttle or quota limits".to_owned(),
        format!("Usage Plan check succeeded for API Key  and API Stage {api_id}/prod"),
        format!("Starting execution for request: {ok_id}"),
        "HTTP Method: GET, Resource Path: /items/7".to_owned(),
        "Method request path: {id=7}".to_owned(),
        "Method request query string: {color=red}".to_owned(),
        "Method request headers: {".to_owned(),
        "Method request body before transformations: ".to_owned(),
        "Endpoint request URI: https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Items/invocations".to_owned(),
        "Endpoint request headers: {".to_owned(),
        r#"Endpoint request body after transformations: {"resource":"/items/{id}","path":"/items/7","httpMethod":"GET","#.to_owned(),
        "Sending request to https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Items/invocations".to_owned(),
        "Received response. Status: 200, Integration latency: ".to_owned(),
        "Endpoint response headers: {".to_owned(),
        r#"Endpoint response body before transformations: {"statusCode": 200, "headers": {"X-Item": "7"}, "body": "item 7"}"#.to_owned(),
        "Method response body after transformations: item 7".to_owned(),
        "Method response headers: {".to_owned(),
        "Successfully completed execution".to_owned(),
        "Method completed with status: 200".to_owned(),
        "AWS Integration Endpoint RequestId : ".to_owned(),
    ];
    assert_eq!(lines.len(), expected.len(), "{lines:#?}");
    for (line, start) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(start.as_str()),
            "{line:?} should start {start:?}"
        );
    }
    // The invocation the log names is the one the function's own START line names.
    let lambda_id = lines[21].rsplit(' ').next().unwrap_or_default();
    assert!(
        server
            .logs()
            .iter()
            .any(|l| l.contains(&format!("[Items] START RequestId: {lambda_id} "))),
        "{lambda_id} {:#?}",
        server.logs()
    );
    // One stream per stage, named as AWS names them; each line stamped in order.
    let streams: std::collections::BTreeSet<&str> =
        traced.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(streams.len(), 1, "{streams:?}");
    let stream = streams.first().unwrap();
    assert!(
        stream.len() == 32 && stream.chars().all(|c| c.is_ascii_hexdigit()),
        "{stream}"
    );
    assert!(traced.windows(2).all(|w| w[0].1 <= w[1].1), "{traced:#?}");

    let (_, quiet) = group("/live");
    let messages: Vec<&str> = quiet.iter().map(|(_, _, m)| m.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(
        messages[0].starts_with(&format!(
            "({failed_id}) Lambda execution failed with status 200 due to customer function error: the item blew up. Lambda request id: "
        )),
        "{messages:#?}"
    );
    assert_eq!(
        messages[1],
        format!("({failed_id}) Method completed with status: 502")
    );

    // INFO without data trace: the Lambda authorizer's lines before the usage plan's, no headers
    // or bodies; a refused request ends at the authorizer.
    let (_, guarded) = group("/v1");
    let of = |id: &str| -> Vec<String> {
        let prefix = format!("({id}) ");
        guarded
            .iter()
            .filter_map(|(_, _, m)| m.strip_prefix(&prefix).map(str::to_owned))
            .collect()
    };
    let allowed = of(&let_in_id);
    let authorizer = allowed[1]
        .strip_prefix("Starting authorizer: ")
        .and_then(|rest| rest.strip_suffix(&format!(" for request: {let_in_id}")))
        .unwrap_or_else(|| panic!("{allowed:#?}"));
    assert_eq!(authorizer.len(), 6, "{allowed:#?}");
    let starts = [
        "Extended Request Id: ",
        "Starting authorizer: ",
        "Successfully completed authorizer execution",
        "Verifying Usage Plan for request: ",
        "API Key  authorized because method 'GET /guarded/{id}' does not require API Key.",
        "Usage Plan check succeeded for API Key  and API Stage ",
        "Starting execution for request: ",
        "HTTP Method: GET, Resource Path: /guarded/3",
        "Successfully completed execution",
        "Method completed with status: 200",
        "AWS Integration Endpoint RequestId : ",
    ];
    assert_eq!(allowed.len(), starts.len(), "{allowed:#?}");
    for (line, start) in allowed.iter().zip(starts) {
        assert!(line.starts_with(start), "{line:?} should start {start:?}");
    }
    let refused = of(&kept_out_id);
    assert_eq!(refused.len(), 4, "{refused:#?}");
    assert_eq!(
        refused[1],
        format!("Starting authorizer: {authorizer} for request: {kept_out_id}")
    );
    assert_eq!(refused[2], format!("Unauthorized request: {kept_out_id}"));
    assert_eq!(refused[3], "Method completed with status: 401");

    // What Sluice answered did not change: the gateway's errors are AWS's.
    let body: Value = failed.json().unwrap();
    assert_eq!(body["message"], "Internal server error");
}
