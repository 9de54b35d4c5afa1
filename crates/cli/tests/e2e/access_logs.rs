//! A stage's access log (`AccessLogSetting`, `AccessLogSettings`): one line per request in the
//! template's `Format`, read back through the CloudWatch Logs API as AWS's clients read it.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use sluice_testkit::{assert_eventually, fresh_dir, Server};

use crate::{client, sluice};

/// A REST API and an HTTP API, each logging to its own group (one by `!GetAtt`, one by `!Sub`).
fn app() -> PathBuf {
    let dir = fresh_dir("access-logs-app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  RestLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /sluice/rest-access
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      AccessLogSetting:
        DestinationArn: !GetAtt RestLogs.Arn
        Format: '{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","path":"$context.path","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","stage":"$context.stage","apiId":"$context.apiId","ip":"$context.identity.sourceIp","userAgent":"$context.identity.userAgent","caller":"$context.identity.caller","integrationStatus":"$context.integration.status","integrationLatency":"$context.integrationLatency","errorMessage":"$context.error.message","responseType":"$context.error.responseType","waf":"$context.wafResponseCode","requestTimeEpoch":"$context.requestTimeEpoch","integrationRequestId":"$context.integration.requestId"}'
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      AccessLogSettings:
        DestinationArn: !Sub arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/sluice/http-access
        Format: $context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId $context.integrationStatus $context.integration.requestId
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events:
        RestGet:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: '/items/{id}', Method: GET}
        HttpGet:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: '/things/{id}', Method: GET}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"def handler(event, context):
    return {"statusCode": 200, "body": "item"}
"#,
    )
    .unwrap();
    dir.join("template.yaml")
}

/// Every event message of `group`, through FilterLogEvents (boto3, as an application reads it).
fn messages(server: &Server, group: &str) -> Vec<String> {
    let script = r#"
import json, sys, boto3
logs = boto3.client("logs", endpoint_url=sys.argv[1], region_name="us-east-1",
                    aws_access_key_id="test", aws_secret_access_key="test")
try:
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=sys.argv[2])
    print(json.dumps([e["message"] for page in pages for e in page["events"]]))
except logs.exceptions.ResourceNotFoundException:
    print("[]")
"#;
    let out = Command::new("python3")
        .args(["-c", script, &server.services_url, group])
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

#[test]
fn each_request_writes_its_stages_format_to_the_log_group() {
    let server = Server::start(sluice(), &app(), &[]);

    let ok = client()
        .get(server.url("/items/7"))
        .header("user-agent", "access-log-test")
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
    let ok_id = ok.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned();
    let ok_apigw_id = ok.headers()["x-amz-apigw-id"].to_str().unwrap().to_owned();
    assert_eq!(ok.text().unwrap(), "item");

    // No route: REST's 403, logged on the (only) REST API's stage.
    let missing = client().get(server.url("/nowhere")).send().unwrap();
    assert_eq!(missing.status(), 403);
    let missing_id = missing.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned();

    let thing = client().get(server.url("/things/3")).send().unwrap();
    assert_eq!(thing.status(), 200);
    let thing_id = thing.headers()["apigw-requestid"]
        .to_str()
        .unwrap()
        .to_owned();

    let mut rest: Vec<String>;
    assert_eventually!(within Duration::from_secs(60); {
        rest = messages(&server, "/sluice/rest-access");
        rest.len() >= 2
    }, "two REST access lines");
    let lines: Vec<Value> = rest
        .iter()
        .map(|m| serde_json::from_str(m).unwrap_or_else(|e| panic!("{m}: {e}")))
        .collect();
    let line = |id: &str| {
        lines
            .iter()
            .find(|l| l["requestId"] == id)
            .unwrap_or_else(|| panic!("no line for {id}: {rest:#?}"))
    };

    let ok_line = line(&ok_id);
    assert_eq!(ok_line["extendedRequestId"], ok_apigw_id.as_str());
    assert_eq!(ok_line["httpMethod"], "GET");
    assert_eq!(ok_line["resourcePath"], "/items/{id}");
    assert_eq!(ok_line["path"], "/prod/items/7");
    assert_eq!(ok_line["status"], "200");
    assert_eq!(ok_line["protocol"], "HTTP/1.1");
    assert_eq!(ok_line["responseLength"], "4");
    assert_eq!(ok_line["stage"], "prod");
    assert_eq!(ok_line["ip"], "127.0.0.1");
    assert_eq!(ok_line["userAgent"], "access-log-test");
    // AWS writes `-` for a variable without a value.
    assert_eq!(ok_line["caller"], "-");
    assert_eq!(ok_line["errorMessage"], "-");
    assert_eq!(ok_line["waf"], "-");
    assert_eq!(ok_line["integrationStatus"], "200");
    assert!(
        ok_line["integrationLatency"]
            .as_str()
            .is_some_and(|l| l.parse::<u64>().is_ok()),
        "{ok_line}"
    );
    assert!(
        ok_line["requestTimeEpoch"]
            .as_str()
            .is_some_and(|t| t.len() == 13 && t.parse::<u64>().is_ok()),
        "{ok_line}"
    );

    // AWS: the Lambda invocation's own request id, the one its START/END/REPORT lines carry.
    let ok_run = ok_line["integrationRequestId"].as_str().unwrap_or_default();
    assert_ne!(ok_run, ok_id);
    assert!(
        server
            .logs()
            .iter()
            .any(|l| l.contains(&format!("[Items] START RequestId: {ok_run} "))),
        "{ok_line} {:#?}",
        server.logs()
    );

    let missing_line = line(&missing_id);
    assert_eq!(missing_line["status"], "403");
    assert_eq!(missing_line["errorMessage"], "Missing Authentication Token");
    assert_eq!(missing_line["responseType"], "MISSING_AUTHENTICATION_TOKEN");
    assert_eq!(missing_line["resourcePath"], "-");
    // The stage's URL path, as for a routed request.
    assert_eq!(missing_line["path"], "/prod/nowhere");
    assert_eq!(missing_line["integrationLatency"], "-");
    assert_eq!(missing_line["integrationRequestId"], "-");
    assert_eq!(missing_line["apiId"], ok_line["apiId"]);

    let mut http: Vec<String>;
    assert_eventually!(within Duration::from_secs(60); {
        http = messages(&server, "/sluice/http-access");
        !http.is_empty()
    }, "an HTTP API access line");
    assert_eq!(http.len(), 1, "{http:?}");
    let words: Vec<&str> = http[0].split(' ').collect();
    assert_eq!(words[0], "127.0.0.1", "{http:?}");
    assert!(
        http[0].contains(r#""GET GET /things/{id} HTTP/1.1" 200 4 "#),
        "{http:?}"
    );
    // The HTTP API's request id is its short one, `apigw-requestid`; the invocation's is its own.
    let (head, thing_run) = http[0].rsplit_once(' ').unwrap();
    assert!(head.ends_with(&format!(" {thing_id} 200")), "{http:?}");
    assert!(
        server
            .logs()
            .iter()
            .any(|l| l.contains(&format!("[Items] START RequestId: {thing_run} "))),
        "{http:?} {:#?}",
        server.logs()
    );
}
