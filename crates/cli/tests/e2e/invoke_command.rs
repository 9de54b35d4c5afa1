//! `sluice invoke`: one invocation, response on stdout, logs on stderr, exit code says how it went.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::{example_template, fixture_template, sluice};

fn invoke(template: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let state = sluice_testkit::fresh_dir("invoke");
    let mut child = Command::new(sluice())
        .arg("invoke")
        .args(args)
        .arg("-t")
        .arg(template)
        .arg("--state-dir")
        .arg(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

#[test]
fn invoke_with_an_event_file_prints_the_response() {
    let event = sluice_testkit::fresh_dir("event").join("event.json");
    std::fs::write(&event, r#"{"pathParameters": {"name": "file"}}"#).unwrap();
    let out = invoke(
        &example_template("hello"),
        &["HelloFunction", "-e", event.to_str().unwrap()],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["statusCode"], 200);
    assert!(response["body"].as_str().unwrap().contains("Hello, file!"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("REPORT RequestId:"), "{stderr}");
}

#[test]
fn invoke_reads_the_event_from_stdin_and_fails_on_function_error() {
    let ok = invoke(&example_template("hello"), &["-e", "-"], Some("{}"));
    assert!(
        ok.status.success(),
        "the only function is picked when none is named"
    );
    let failed = invoke(
        &fixture_template(),
        &["ShapeFunction", "-e", "-"],
        Some(r#"{"pathParameters": {"kind": "raise"}}"#),
    );
    assert!(!failed.status.success());
    let error: Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(error["errorType"], "ValueError");
    assert_eq!(error["errorMessage"], "the handler failed on purpose");
}

#[test]
fn unknown_function_names_the_ones_that_exist() {
    let out = invoke(&example_template("hello"), &["Nope"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HelloFunction"), "{stderr}");
}

#[test]
fn invoke_serves_dynamodb_to_the_handler_for_the_invocation() {
    let event =
        r#"{"httpMethod": "POST", "path": "/items", "body": "{\"name\": \"from-invoke\"}"}"#;
    let out = invoke(
        &example_template("items"),
        &["ItemsApi", "-e", "-"],
        Some(event),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["statusCode"], 201, "{response}");
    let item: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(item["name"], "from-invoke");
}
