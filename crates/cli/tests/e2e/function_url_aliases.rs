//! A function's alias and its unqualified function have Function URLs of their own, as on AWS:
//! SAM's `FunctionUrlConfig` with `AutoPublishAlias` targets the alias, an `AWS::Lambda::Url` of
//! the plain function targets `$LATEST` (aws-samples/serverless-patterns
//! lambda-streaming-ttfb-write-sam has both).

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::http_api::{printed_url, resolving_to};
use crate::sluice;

/// One function, two URLs: the alias's (`AWS_IAM`) and `$LATEST`'s (`NONE`); the handler answers
/// with the invocation's ARN and version and the URL id the event names.
fn two_urls_project() -> std::path::PathBuf {
    let dir = fresh_dir("url-aliases");
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Who:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      FunctionName: who
      AutoPublishAlias: live
      FunctionUrlConfig: { AuthType: AWS_IAM }
  WhoLatestUrl:
    Type: AWS::Lambda::Url
    Properties: { TargetFunctionArn: !Ref Who, AuthType: NONE }
"#,
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        r#"import json


def handler(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps({
            "arn": context.invoked_function_arn,
            "version": context.function_version,
            "apiId": event["requestContext"]["apiId"],
        }),
    }
"#,
    )
    .expect("writing the handler");
    dir.join("template.yaml")
}

#[test]
fn an_alias_and_the_unqualified_function_answer_at_urls_of_their_own() {
    let (key, secret) = ("AKIASLUICETEST000009", "sluice-test-secret-key");
    let state = fresh_dir("url-aliases-state");
    std::fs::write(
        state.join("credentials"),
        format!("[tester]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .expect("credentials file");
    let server = Server::start_in(sluice(), &two_urls_project(), &state, &[]);
    let (live_host, live_path) = printed_url(&server, "Who:live");
    let (latest_host, latest_path) = printed_url(&server, "Who");
    assert_ne!(live_host, latest_host, "two URL ids");
    assert!(live_path.ends_with("/lambda-url/who:live/"), "{live_path}");
    assert!(latest_path.ends_with("/lambda-url/who/"), "{latest_path}");
    let addr: std::net::SocketAddr = server
        .base_url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let host_of = |url: &str| {
        reqwest::Url::parse(url)
            .unwrap()
            .host_str()
            .unwrap()
            .to_owned()
    };

    // $LATEST's URL is public: invoked unqualified, under its own URL id.
    let latest = host_of(&latest_host);
    let response = resolving_to(&latest, addr)
        .get(&latest_host)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    let arn = body["arn"].as_str().unwrap();
    assert!(arn.ends_with(":function:who"), "{arn}");
    assert_eq!(body["version"], "$LATEST");
    assert_eq!(body["apiId"], latest.split('.').next().unwrap());

    // The alias's URL is AWS_IAM: unsigned, refused at both of its addresses.
    let live = host_of(&live_host);
    for response in [
        resolving_to(&live, addr).get(&live_host).send().unwrap(),
        crate::client().get(&live_path).send().unwrap(),
    ] {
        assert_eq!(response.status(), 403);
        assert_eq!(response.text().unwrap(), r#"{"Message":"Forbidden"}"#);
    }
    // Signed by botocore: the alias answers, as `…:who:live` and version 1, under its URL id.
    assert!(
        sluice_testkit::ensure_python_module("botocore", "botocore"),
        "botocore is needed to sign requests"
    );
    sluice_testkit::assert_python_script_passes(
        &crate::services::clients_dir().join("sigv4_function_url_alias.py"),
        &[&live_host, &server.base_url, key, secret],
        &[],
    );
}
