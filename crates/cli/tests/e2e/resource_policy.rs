//! REST API resource policies end to end: SAM's `Auth.ResourcePolicy` on the API and on events,
//! evaluated for every request with the TCP peer (127.0.0.1 here) as `aws:SourceIp`, and the
//! signed caller of an `AWS_IAM` route as the principal.

use std::path::PathBuf;

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

/// A REST API with `api_auth` as its `Auth`, and one function serving `GET /hello` and
/// `GET /secret` with `ok`; `events` adds more events to the function (then, at two spaces, more
/// resources).
fn app(label: &str, api_auth: &str, events: &str) -> PathBuf {
    let dir = fresh_dir(label);
    let template = format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
{api_auth}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {{"statusCode": 200, "body": "ok"}}
      Events:
        Hello:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /hello, Method: get}}
        Secret:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /secret, Method: get}}
{events}"#
    );
    std::fs::write(dir.join("template.yaml"), template).expect("write template");
    dir.join("template.yaml")
}

/// GET `path`: status, `x-amzn-ErrorType` and body.
fn get(server: &Server, path: &str) -> (u16, Option<String>, String) {
    let response = client().get(server.url(path)).send().expect("request");
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-ErrorType")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, error_type, response.text().expect("body"))
}

fn message(body: &str) -> String {
    let body: Value = serde_json::from_str(body).expect("JSON body");
    body["Message"].as_str().expect("a Message").to_owned()
}

#[test]
fn an_ip_blacklist_holding_loopback_refuses_with_an_explicit_deny() {
    let template = app(
        "policy-blacklist",
        "        ResourcePolicy:\n          IpRangeBlacklist: [127.0.0.1/32]\n      Cors: \"'*'\"",
        "",
    );
    let server = Server::start(sluice(), &template, &[]);
    // SAM's CORS preflight method is covered by the policy as well.
    let preflight = client()
        .request(reqwest::Method::OPTIONS, server.url("/hello"))
        .header("Origin", "https://example.com")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .expect("preflight");
    assert_eq!(preflight.status().as_u16(), 403);
    let (status, error_type, body) = get(&server, "/hello");
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_type.as_deref(), Some("AccessDeniedException"));
    let message = message(&body);
    assert!(
        message.starts_with("User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:")
            && message.ends_with("/Prod/GET/hello with an explicit deny in a resource-based policy"),
        "{message}"
    );
    assert!(
        !server.logs().iter().any(|l| l.contains("START RequestId")),
        "the function is never invoked"
    );
}

#[test]
fn an_ip_whitelist_of_loopback_serves() {
    let template = app(
        "policy-whitelist",
        "        ResourcePolicy:\n          IpRangeWhitelist: [127.0.0.0/8, '::1/128']\n      Cors: \"'*'\"",
        "",
    );
    let server = Server::start(sluice(), &template, &[]);
    let (status, _, body) = get(&server, "/hello");
    assert_eq!((status, body.as_str()), (200, "ok"));
    let preflight = client()
        .request(reqwest::Method::OPTIONS, server.url("/hello"))
        .header("Origin", "https://example.com")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .expect("preflight");
    assert_eq!(preflight.status().as_u16(), 200);
}

#[test]
fn a_deny_on_one_path_refuses_only_that_path() {
    let template = app(
        "policy-one-path",
        r#"        ResourcePolicy:
          CustomStatements:
            - Effect: Allow
              Principal: "*"
              Action: execute-api:Invoke
              Resource: execute-api:/*
            - Effect: Deny
              Principal: "*"
              Action: execute-api:Invoke
              Resource: execute-api:/*/GET/secret"#,
        "",
    );
    let server = Server::start(sluice(), &template, &[]);
    assert_eq!(get(&server, "/hello").0, 200);
    let (status, _, body) = get(&server, "/secret");
    assert_eq!(status, 403);
    assert!(
        message(&body)
            .ends_with("/Prod/GET/secret with an explicit deny in a resource-based policy"),
        "{body}"
    );
}

#[test]
fn account_principals_allow_or_deny_the_signed_caller_of_an_aws_iam_route() {
    let events = r#"        IamAllowed:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /iam-allowed
            Method: get
            Auth:
              Authorizer: AWS_IAM
              ResourcePolicy:
                AwsAccountWhitelist: ["123456789012"]
        IamDenied:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /iam-denied
            Method: get
            Auth:
              Authorizer: AWS_IAM
              ResourcePolicy:
                AwsAccountBlacklist: ["123456789012"]
        Anonymous:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /anonymous
            Method: get
            Auth:
              ResourcePolicy:
                AwsAccountWhitelist: ["123456789012"]
"#;
    let template = app("policy-iam", "        ApiKeyRequired: false", events);
    {
        let server = Server::start(sluice(), &template, &[]);
        // AWS: an account principal needs AWS_IAM on the method; an anonymous caller matches no
        // statement, and without authentication silence refuses.
        let (status, _, body) = get(&server, "/anonymous");
        assert_eq!(status, 403);
        assert!(
            message(&body).ends_with("/Prod/GET/anonymous because no resource-based policy allows the execute-api:Invoke action"),
            "{body}"
        );
        // A path no statement names is refused too: the API has a policy.
        assert_eq!(get(&server, "/hello").0, 403);
    }
    crate::auth::botocore_signed_requests_pass(
        &template,
        "AKIASLUICETEST000002",
        "sigv4_resource_policy.py",
    );
}

#[test]
fn a_lambda_authorizer_decides_when_the_policy_is_silent_and_never_runs_after_a_deny() {
    // The account whitelist says nothing about an anonymous caller; the blacklist on /secret
    // denies loopback.
    let api_auth = r#"        DefaultAuthorizer: Token
        Authorizers:
          Token:
            FunctionArn: !GetAtt AuthFn.Arn
        ResourcePolicy:
          AwsAccountWhitelist: ["123456789012"]"#;
    let rest = r#"        Blocked:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /blocked
            Method: get
            Auth:
              ResourcePolicy:
                IpRangeBlacklist: [127.0.0.1/32]
  AuthFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}
            return {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
"#;
    let template = app("policy-lambda-authorizer", api_auth, rest);
    let token = |server: &Server, path: &str| {
        let response = client()
            .get(server.url(path))
            .header("Authorization", "allow")
            .send()
            .expect("request");
        (response.status().as_u16(), response.text().expect("body"))
    };
    let authorizer_runs = |server: &Server| {
        server
            .logs()
            .iter()
            .filter(|l| l.contains("[AuthFn] START RequestId"))
            .count()
    };
    // Lines reach the terminal in order but after the response (written in batches, off the
    // request path): once a request's access line is read, so is the START of an authorizer it ran.
    let logged = |server: &Server, access: &str| {
        assert!(
            server.wait_for_log(access).is_some(),
            "{access}: {:#?}",
            server.logs()
        );
    };
    {
        let server = Server::start(sluice(), &template, &[]);
        assert_eq!(token(&server, "/hello"), (200, "ok".to_owned()));
        logged(&server, r#""GET /hello HTTP/1.1" 200"#);
        assert_eq!(authorizer_runs(&server), 1);
        let (status, body) = token(&server, "/blocked");
        assert_eq!(status, 403);
        assert!(
            message(&body).ends_with("with an explicit deny in a resource-based policy"),
            "{body}"
        );
        logged(&server, r#""GET /blocked HTTP/1.1" 403"#);
        assert_eq!(
            authorizer_runs(&server),
            1,
            "a denied request never reaches the authorizer"
        );
    }
    // With the authorizer skipped, the route is open as the user asked; the deny still holds.
    let server = Server::start(sluice(), &template, &["--disable-authorizer"]);
    assert_eq!(get(&server, "/hello").0, 200);
    assert_eq!(get(&server, "/blocked").0, 403);
}

#[test]
fn the_stage_cache_never_answers_before_aws_iam_and_the_policy_have_decided() {
    let api_auth = r#"        DefaultAuthorizer: AWS_IAM
        ResourcePolicy:
          CustomStatements:
            - Effect: Allow
              Principal: "*"
              Action: execute-api:Invoke
              Resource: execute-api:/*
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
      MethodSettings:
        - ResourcePath: /*
          HttpMethod: "*"
          CachingEnabled: true
          CacheTtlInSeconds: 300"#;
    let rest = r#"        Cached:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /cached, Method: get}
"#;
    let template = app("policy-cached-iam", api_auth, rest);
    crate::auth::botocore_signed_requests_pass(
        &template,
        "AKIASLUICETEST000003",
        "sigv4_cached.py",
    );
}

#[test]
fn date_and_numeric_conditions_on_the_request_time_allow_and_deny() {
    // Far-apart instants, so the outcome cannot depend on when the test runs.
    let template = app(
        "policy-date-numeric",
        r#"        ResourcePolicy:
          CustomStatements:
            - Effect: Allow
              Principal: "*"
              Action: execute-api:Invoke
              Resource: execute-api:/*
              Condition:
                DateLessThan: {aws:CurrentTime: "2999-12-31T23:59:59Z"}
                NumericGreaterThanEquals: {aws:EpochTime: "946684800"}
                ForAllValues:StringEquals: {aws:SourceVpc: vpc-1}
            - Effect: Deny
              Principal: "*"
              Action: execute-api:Invoke
              Resource: execute-api:/*/GET/secret
              Condition:
                DateGreaterThan: {aws:EpochTime: "2000-01-01"}
                NumericLessThan: {aws:EpochTime: "32503680000"}"#,
        "",
    );
    let server = Server::start(sluice(), &template, &[]);
    let (status, _, body) = get(&server, "/hello");
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, error_type, body) = get(&server, "/secret");
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_type.as_deref(), Some("AccessDeniedException"));
    let message = message(&body);
    assert!(
        message.starts_with("User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:")
            && message.ends_with("/Prod/GET/secret with an explicit deny in a resource-based policy"),
        "{message}"
    );
}
