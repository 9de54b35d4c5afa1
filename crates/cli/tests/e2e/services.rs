//! The services endpoint with real AWS clients: boto3 and the AWS CLI call Lambda's Invoke API, a
//! function calls another through the SDK, and unknown services get AWS's error shape.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sluice_testkit::{assert_python_script_passes, ensure_python_module};

use crate::{client, fixture_server};

/// Python client scripts shared by the tests.
pub fn clients_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clients")
}

#[test]
fn boto3_invokes_functions_with_every_invocation_type() {
    let server = fixture_server();
    assert_python_script_passes(
        &clients_dir().join("lambda_invoke.py"),
        &[&server.services_url],
        &[],
    );
    // The Event invocation ran in the background: its START line shows up.
    let starts = || {
        server
            .logs()
            .iter()
            .filter(|l| l.contains("[ShapeFunction] START"))
            .count()
    };
    sluice_testkit::assert_eventually!(starts() >= 4, "the Event invocation never ran");
}

#[test]
fn a_function_invokes_another_through_the_sdk_with_no_endpoint_in_its_code() {
    let server = fixture_server();
    let response = client().get(server.url("/invoker")).send().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_str(&response.text().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"statusCode": "201", "body": "created"})
    );
}

#[test]
fn the_aws_cli_invokes_a_function() {
    assert!(
        ensure_python_module("awscli", "awscli"),
        "the AWS CLI (pip install awscli) is needed"
    );
    let server = fixture_server();
    let dir = sluice_testkit::fresh_dir("awscli");
    let out_file = dir.join("out.json");
    let out = Command::new("python3")
        .args([
            "-m",
            "awscli",
            "lambda",
            "invoke",
            "--function-name",
            "ShapeFunction",
        ])
        .args([
            "--payload",
            r#"{"pathParameters": {"kind": "numeric-string"}}"#,
        ])
        .args([
            "--endpoint-url",
            &server.services_url,
            "--region",
            "us-east-1",
        ])
        .arg(&out_file)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["StatusCode"], 200);
    let payload: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(payload["body"], "created");
}

#[test]
fn an_unemulated_service_gets_an_error_that_names_it() {
    let server = fixture_server();
    let response = client()
        .post(format!("{}/", server.services_url))
        .header("X-Amz-Target", "AmazonSQS.SendMessage")
        .header("Content-Type", "application/x-amz-json-1.0")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(response.status(), 501);
    let body: Value = response.json().unwrap();
    assert_eq!(body["__type"], "NotImplementedException");
    assert!(
        body["message"].as_str().unwrap().contains("AmazonSQS"),
        "{body}"
    );
    // DynamoDB's health check: a bare GET of the root, and only of the root.
    let health = client()
        .get(format!("{}/", server.services_url))
        .send()
        .unwrap();
    assert_eq!(health.status(), 200);
    let host = server.services_url.trim_start_matches("http://").to_owned();
    assert_eq!(health.text().unwrap().trim(), format!("healthy: {host}"));
    let elsewhere = client()
        .get(format!("{}/health", server.services_url))
        .send()
        .unwrap();
    assert_ne!(elsewhere.status(), 200, "only the root is the health check");
}

#[test]
fn boto3_dynamodb_suite_passes_against_the_real_endpoint() {
    // The store's own boto3 suite, this time through the binary's services endpoint (HTTP framing,
    // x-amz-crc32, dispatch by X-Amz-Target).
    let server = fixture_server();
    let script = sluice_testkit::workspace_root().join("crates/dynamodb/tests/boto3_e2e.py");
    assert_python_script_passes(&script, &[], &[("ENDPOINT", &server.services_url)]);
}

#[test]
fn dynamodb_front_end_refuses_oversized_heads_with_400_and_says_where_json_breaks() {
    let server = fixture_server();
    let script = sluice_testkit::workspace_root().join("crates/dynamodb/tests/boto3_protocol.py");
    assert_python_script_passes(&script, &[], &[("ENDPOINT", &server.services_url)]);
}

#[test]
fn boto3_dynamodb_streams_suite_passes_against_the_real_endpoint() {
    let server = fixture_server();
    let script = sluice_testkit::workspace_root().join("crates/dynamodb/tests/boto3_streams.py");
    // The script finds the endpoint through AWS_ENDPOINT_URL, as handlers do.
    assert_python_script_passes(&script, &[], &[("ENDPOINT", &server.services_url)]);
}

#[test]
fn the_js_sdk_in_a_node_handler_reaches_dynamodb_with_no_endpoint_in_its_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/app/node-sdk");
    sluice_testkit::ensure_npm_dependencies(&dir);
    let server = fixture_server();
    let response = client().get(server.url("/node-sdk/abc")).send().unwrap();
    assert_eq!(response.status(), 200);
    let item: Value = response.json().unwrap();
    assert_eq!(
        item,
        serde_json::json!({"id": {"S": "abc"}, "via": {"S": "js-sdk-v3"}})
    );
}
