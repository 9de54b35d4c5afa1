//! The three hello examples answer over HTTP, as their READMEs promise.

use serde_json::Value;
use sluice_testkit::{build_package_binary, Server};

use crate::{client, example_template, sluice};

#[test]
fn python_hello_answers_and_logs_start_end_report() {
    let server = Server::start(sluice(), &example_template("hello"), &[]);
    let response = client().get(server.url("/hello")).send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let body: Value = response.json().unwrap();
    assert_eq!(body["message"], "Hello, world!");

    let named: Value = client()
        .get(server.url("/hello/Ada"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(named["message"], "Hello, Ada!");

    let report = server
        .wait_for_log("REPORT RequestId:")
        .expect("a REPORT line");
    assert!(report.contains("[HelloFunction]"), "{report}");
    assert!(report.contains("Memory Size: 128 MB"), "{report}");
    assert!(
        report.contains("Init Duration:"),
        "the first invocation is a cold start: {report}"
    );
    let logs = server.logs();
    let start = logs
        .iter()
        .position(|l| l.contains("START RequestId:"))
        .unwrap();
    let end = logs
        .iter()
        .position(|l| l.contains("END RequestId:"))
        .unwrap();
    assert!(start < end, "START before END");
    assert!(
        logs.iter()
            .any(|l| l.contains("\"GET /hello HTTP/1.1\" 200")),
        "an access line"
    );
}

#[test]
fn node_hello_answers() {
    let server = Server::start(sluice(), &example_template("hello-node"), &[]);
    let body: Value = client()
        .get(server.url("/hello?name=Node"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["message"], "Hello, Node!");
    assert_eq!(body["requestId"].as_str().map(str::len), Some(36));
}

#[test]
fn rust_hello_built_with_lambda_http_answers() {
    build_package_binary("hello-rust");
    let server = Server::start(sluice(), &example_template("hello-rust"), &[]);
    let response = client()
        .get(server.url("/hello?name=Ferris"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(body["message"], "Hello, Ferris!");
}
