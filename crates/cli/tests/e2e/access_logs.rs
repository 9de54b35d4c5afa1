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

/// A REST API whose routes a caching Lambda TOKEN authorizer guards (one open, one `AWS_IAM`),
/// its stage logging the authentication and authorization phases.
fn authorized_app() -> PathBuf {
    let dir = fresh_dir("access-logs-auth");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /sluice/auth-access
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      AccessLogSetting:
        DestinationArn: !GetAtt Logs.Arn
        Format: '$context.requestId $context.status authorizer $context.authorizer.status $context.authorizer.requestId $context.authorizer.integrationStatus $context.authorizer.integrationLatency $context.authorizer.latency authorize $context.authorize.status $context.authorize.latency authenticate $context.authenticate.status $context.authenticate.latency'
      Auth:
        DefaultAuthorizer: TokenAuth
        Authorizers:
          TokenAuth:
            FunctionArn: !GetAtt Gatekeeper.Arn
            Identity: {Header: X-Token}
  HttpLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /sluice/http-auth-access
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      AccessLogSettings:
        DestinationArn: !GetAtt HttpLogs.Arn
        Format: '$context.requestId $context.status $context.authorizer.status $context.authorizer.latency'
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt Gatekeeper.Arn
            AuthorizerPayloadFormatVersion: '2.0'
            EnableSimpleResponses: true
            Identity:
              Headers: [X-Token]
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events:
        HttpGuarded:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /things, Method: GET}
        Guarded:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /guarded, Method: GET}
        Open:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /open, Method: GET, Auth: {Authorizer: NONE}}
        Signed:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /signed, Method: GET, Auth: {Authorizer: AWS_IAM}}
  Gatekeeper:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.authorize
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"def handler(event, context):
    return {"statusCode": 200, "body": "item"}


def authorize(event, context):
    if event.get("version") == "2.0":
        return {"isAuthorized": event["headers"].get("x-token") == "allow"}
    token = event["authorizationToken"]
    if token == "unauthorized":
        raise Exception("Unauthorized")
    effect = "Allow" if token == "allow" else "Deny"
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
    return {"principalId": "me", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
"#,
    )
    .unwrap();
    dir.join("template.yaml")
}

#[test]
fn the_authorizer_and_authorize_phases_are_logged_with_the_authorizers_invocation() {
    let server = Server::start(sluice(), &authorized_app(), &[]);
    let send = |path: &str, token: Option<&str>| {
        let mut request = client().get(server.url(path));
        if let Some(token) = token {
            request = request.header("X-Token", token);
        }
        let response = request.send().unwrap();
        let id = response.headers()["x-amzn-requestid"].to_str().unwrap();
        (response.status().as_u16(), id.to_owned())
    };
    let allowed = send("/guarded", Some("allow"));
    let cached = send("/guarded", Some("allow"));
    let denied = send("/guarded", Some("deny"));
    let unauthorized = send("/guarded", Some("unauthorized"));
    let open = send("/open", None);
    let unsigned = send("/signed", None);
    let statuses = [&allowed, &cached, &denied, &unauthorized, &open, &unsigned].map(|r| r.0);
    assert_eq!(statuses, [200, 200, 403, 401, 200, 403]);

    let mut lines: Vec<String>;
    assert_eventually!(within Duration::from_secs(60); {
        lines = messages(&server, "/sluice/auth-access");
        lines.len() >= 6
    }, "six access lines");
    // The words of the line for the request `id`, from the authorizer's status on.
    let words = |id: &str| -> Vec<String> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no line for {id}: {lines:#?}"));
        line.split(' ').skip(3).map(str::to_owned).collect()
    };
    // The request id the authorizer function ran under, as its START line names it.
    let ran = |words: &[String]| {
        let id = &words[1];
        assert!(
            server
                .logs()
                .iter()
                .any(|l| l.contains(&format!("[Gatekeeper] START RequestId: {id} "))),
            "{words:?} {:#?}",
            server.logs()
        );
    };
    let number = |word: &str| word.parse::<u64>().is_ok();

    // Invoked and allowed: the authorizer phase (the function's invocation: Lambda's 200) and the
    // authorize phase (its policy) both pass.
    let w = words(&allowed.1);
    ran(&w);
    assert_eq!((w[0].as_str(), w[2].as_str()), ("200", "200"), "{w:?}");
    assert!(number(&w[3]) && number(&w[4]) && number(&w[7]), "{w:?}");
    assert_eq!(w[5..7], ["authorize", "200"], "{w:?}");
    assert_eq!(w[8..], ["authenticate", "-", "-"], "{w:?}");
    // From the authorizer cache: no invocation, its integration latency 0 as in the event.
    let w = words(&cached.1);
    assert_eq!(w[..4], ["200", "-", "-", "0"], "{w:?}");
    assert_eq!(w[6], "200", "{w:?}");
    // The policy denies: the authorizer answered (200), the authorize phase refused (403).
    let w = words(&denied.1);
    ran(&w);
    assert_eq!((w[0].as_str(), w[6].as_str()), ("200", "403"), "{w:?}");
    // The function said Unauthorized: the authorizer phase's 401; no policy to evaluate.
    let w = words(&unauthorized.1);
    ran(&w);
    assert_eq!((w[0].as_str(), w[6].as_str()), ("401", "-"), "{w:?}");
    // No authorizer, no phase.
    let w = words(&open.1);
    assert_eq!(
        w,
        [
            "-",
            "-",
            "-",
            "-",
            "-",
            "authorize",
            "-",
            "-",
            "authenticate",
            "-",
            "-"
        ]
    );
    // AWS_IAM without a signature: the authenticate phase refuses.
    let w = words(&unsigned.1);
    assert_eq!(w[..2], ["-", "-"], "{w:?}");
    assert_eq!(w[8..10], ["authenticate", "403"], "{w:?}");
    assert!(number(&w[10]), "{w:?}");

    // An HTTP API logs its authorizer's status and latency (the variables AWS documents for it):
    // its Lambda authorizer said yes, then no; with no authorize phase, the 403 is the authorizer's.
    let short_id = |path: &str, token: &str| {
        let response = client()
            .get(server.url(path))
            .header("X-Token", token)
            .send()
            .unwrap();
        let id = response.headers()["apigw-requestid"].to_str().unwrap();
        (response.status().as_u16(), id.to_owned())
    };
    let yes = short_id("/things", "allow");
    let no = short_id("/things", "nope");
    assert_eq!((yes.0, no.0), (200, 403));
    let mut http: Vec<String>;
    assert_eventually!(within Duration::from_secs(60); {
        http = messages(&server, "/sluice/http-auth-access");
        http.len() >= 2
    }, "two HTTP API access lines");
    let line = |id: &str| {
        let line = http
            .iter()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no line for {id}: {http:#?}"));
        line.split(' ')
            .skip(1)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let w = line(&yes.1);
    assert_eq!(w[..2], ["200", "200"], "{w:?}");
    assert!(number(&w[2]), "{w:?}");
    let w = line(&no.1);
    assert_eq!(w[..2], ["403", "403"], "{w:?}");
}

/// A raw REST API deployed by a `Deployment` whose `StageDescription` sets the access log, beside
/// a `Stage` its Condition turns off.
fn raw_app() -> PathBuf {
    let dir = fresh_dir("access-logs-raw");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Conditions:
  Never: !Equals [a, b]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ./src}
  DeploymentLogs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: /sluice/raw-deployment}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  GetItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations'}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: GetItems
    Properties:
      RestApiId: !Ref Api
      StageName: live
      StageDescription:
        AccessLogSetting:
          DestinationArn: !GetAtt DeploymentLogs.Arn
          Format: '{"requestId":"$context.requestId","stage":"$context.stage","path":"$context.path","status":"$context.status"}'
  Disabled:
    Type: AWS::ApiGateway::Stage
    Condition: Never
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: off
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"def handler(event, context):
    return {"statusCode": 200, "body": "items"}
"#,
    )
    .unwrap();
    dir.join("template.yaml")
}

#[test]
fn a_deployments_stage_description_logs_each_request_of_its_stage() {
    let server = Server::start(sluice(), &raw_app(), &[]);

    let ok = client().get(server.url("/items")).send().unwrap();
    assert_eq!(ok.status(), 200);
    let id = ok.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned();

    let mut lines: Vec<String>;
    assert_eventually!(within Duration::from_secs(60); {
        lines = messages(&server, "/sluice/raw-deployment");
        !lines.is_empty()
    }, "an access line of the Deployment's stage");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["requestId"], id.as_str());
    // The disabled Stage serves nothing: the stage is the Deployment's, name and log alike.
    assert_eq!(line["stage"], "live");
    assert_eq!(line["path"], "/live/items");
    assert_eq!(line["status"], "200");
}
