//! The cost report's per-route parts against the real binary: requests API Gateway does not bill
//! (a missing API key's 403, a Lambda authorizer's Deny, whose run Lambda still bills) and
//! DynamoDB units no request's invocation consumed.

use std::path::PathBuf;

use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

/// One function behind an open route and a route that requires an API key; it writes one small
/// item (one write unit) per call.
fn app() -> PathBuf {
    let dir = fresh_dir("cost-report-app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Ledger:
    Type: AWS::Serverless::SimpleTable
    Properties:
      TableName: cost-ledger
      PrimaryKey: {Name: id, Type: String}
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Environment:
        Variables:
          TABLE: !Ref Ledger
      Events:
        Open:
          Type: Api
          Properties: {Path: /open, Method: GET}
        Keyed:
          Type: Api
          Properties: {Path: /keyed, Method: GET, Auth: {ApiKeyRequired: true}}
        Guarded:
          Type: Api
          Properties: {RestApiId: !Ref Guarded, Path: /guarded, Method: GET}
  Guarded:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt GateFunction.Arn
  GateFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: gate.handler
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])

def handler(event, context):
    table.put_item(Item={"id": context.aws_request_id})
    return {"statusCode": 200, "body": "written"}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/gate.py"),
        r#"def handler(event, context):
    effect = "Allow" if event["authorizationToken"] == "let-in" else "Deny"
    return {"principalId": "someone", "policyDocument": {"Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
"#,
    )
    .unwrap();
    dir.join("template.yaml")
}

#[test]
fn refused_requests_are_not_billed_and_units_outside_requests_are_priced_apart() {
    let template = app();
    let mut server = Server::start_in(sluice(), &template, &fresh_dir("cost-report-state"), &[]);
    let status = |path: &str| client().get(server.url(path)).send().unwrap().status();
    assert_eq!(status("/open"), 200);
    assert_eq!(status("/keyed"), 403, "no API key");
    assert_eq!(status("/keyed"), 403);
    let guarded = |token: &str| {
        client()
            .get(server.url("/guarded"))
            .header("Authorization", token)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(guarded("let-in"), 200);
    assert_eq!(guarded("keep-out"), 403, "the authorizer's Deny");
    // A write from outside any function (no trace header): the table's, no route's.
    let put = client()
        .post(format!("{}/", server.services_url))
        .header("X-Amz-Target", "DynamoDB_20120810.PutItem")
        .header("Content-Type", "application/x-amz-json-1.0")
        .body(r#"{"TableName": "cost-ledger", "Item": {"id": {"S": "outside"}}}"#)
        .send()
        .unwrap();
    assert_eq!(put.status(), 200);
    assert!(server.interrupt(), "start-api stops on Ctrl-C");

    let logs = server.logs();
    let text = logs.join("\n");
    let row = |route: &str| -> Vec<String> {
        logs.iter()
            .find(|l| l.contains(route))
            .unwrap_or_else(|| panic!("no row for {route}:\n{text}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    // `GET /open (REST API)  1  0/1  $…`: its one write unit is the route's.
    assert_eq!(row("GET /open (REST API)")[4..6], ["1", "0/1"], "{text}");
    // The refused requests cost nothing: no invocation, and API Gateway does not bill them.
    let keyed = row("GET /keyed (REST API)");
    assert_eq!(keyed[4..8], ["2", "0/0", "$0", "$0"], "{text}");
    assert_eq!(row("GET /guarded (REST API)")[4..6], ["2", "0/1"], "{text}");
    assert!(
        text.contains(
            "(3 refused by an authorizer, API key or throttle: API Gateway does not bill those)"
        ),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("DynamoDB outside any request") && l.contains('$')),
        "{text}"
    );

    let report = crate::sluice_report(&template, &server.state_dir);
    let keyed = report
        .lines()
        .find(|l| l.starts_with("GET /keyed"))
        .unwrap_or_else(|| panic!("no route row:\n{report}"));
    let columns: Vec<&str> = keyed.split_whitespace().collect();
    assert_eq!(
        columns[4..8],
        ["2", "2", "0/0", "$0"],
        "requests, refused, units, as served: {report}"
    );
    assert!(
        report.contains("DynamoDB table cost-ledger: 0 read and 3 write request units"),
        "{report}"
    );
    assert!(
        report.contains("were consumed outside any request"),
        "{report}"
    );
    // The Lambda authorizer ran for both requests and Lambda bills both runs: the route made
    // three invocations for two requests, one of which API Gateway does not bill.
    let saved: serde_json::Value = serde_json::from_slice(
        &std::fs::read(server.state_dir.join("traffic.json")).expect("start-api kept its traffic"),
    )
    .unwrap();
    let route = saved["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["route"] == "GET /guarded")
        .unwrap_or_else(|| panic!("{saved}"));
    assert_eq!(
        (
            &route["requests"],
            &route["rejected"],
            &route["invocations"]
        ),
        (&2.into(), &1.into(), &3.into()),
        "{route}"
    );
    assert!(route["gb_seconds"].as_f64() > Some(0.0), "{route}");
    assert_eq!(
        route["write_units"], 1.0,
        "the handler's one write: {route}"
    );
}
