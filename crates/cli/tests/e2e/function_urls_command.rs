//! `sluice start-function-urls`: each Function URL at the root of a port of its own, as SAM CLI's
//! `sam local start-function-urls` serves them.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

/// Two functions with URLs (one with CORS) and one without; each handler says who it is and
/// what it received.
fn project() -> PathBuf {
    let dir = fresh_dir("function-urls");
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Globals:
  Function: { Runtime: python3.12, Handler: app.handler }
Resources:
  First:
    Type: AWS::Serverless::Function
    Properties:
      Environment: { Variables: { WHO: first } }
      FunctionUrlConfig: { AuthType: NONE }
  Second:
    Type: AWS::Serverless::Function
    Properties:
      Environment: { Variables: { WHO: second } }
      FunctionUrlConfig:
        AuthType: NONE
        Cors: { AllowOrigins: ["https://example.com"], AllowMethods: [POST] }
  NoUrl:
    Type: AWS::Serverless::Function
    Properties:
      Environment: { Variables: { WHO: none } }
"#,
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        r#"import json, os


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({
        "who": os.environ["WHO"],
        "rawPath": event["rawPath"],
        "rawQueryString": event["rawQueryString"],
        "method": event["requestContext"]["http"]["method"],
    })}
"#,
    )
    .expect("writing the handler");
    dir.join("template.yaml")
}

/// A port range that is free now (the command skips ports taken meanwhile).
fn free_range() -> String {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a probe port");
    let start = probe.local_addr().expect("probe address").port();
    drop(probe);
    let start = start.min(65535 - 40);
    format!("{start}-{}", start + 40)
}

fn get_json(url: &str) -> Value {
    let response = client().get(url).send().expect("GET");
    assert_eq!(response.status(), 200, "{url}");
    response.json().expect("a JSON body")
}

#[test]
fn each_url_answers_at_the_root_of_its_own_port() {
    let template = project();
    let range = free_range();
    let server = Server::start_function_urls(sluice(), &template, &["--port-range", &range]);
    let urls = &server.function_urls;
    assert_eq!(
        urls.keys().map(String::as_str).collect::<Vec<_>>(),
        ["First", "Second"],
        "one port per function with a FunctionUrlConfig"
    );
    let (first, second) = (&urls["First"], &urls["Second"]);
    assert_ne!(first, second);
    let start: u16 = range
        .split('-')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("range start");
    for url in [first, second] {
        let port: u16 = url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the URL");
        assert!(port >= start && port <= start + 40, "{url} is in {range}");
    }

    // Every path and method reach the function, whose event sees the path as sent.
    let answer = get_json(&format!("{first}a/b?x=1"));
    assert_eq!(answer["who"], "first");
    assert_eq!(answer["rawPath"], "/a/b");
    assert_eq!(answer["rawQueryString"], "x=1");
    assert_eq!(get_json(first)["rawPath"], "/");
    assert_eq!(get_json(second)["who"], "second");
    let posted = client()
        .delete(format!("{second}items/1"))
        .send()
        .expect("DELETE");
    assert_eq!(posted.status(), 200);
    assert_eq!(posted.json::<Value>().expect("JSON")["method"], "DELETE");

    // The URL's own CORS answers its preflight; the other URL has none, so its function does.
    let preflight = client()
        .request(reqwest::Method::OPTIONS, second.as_str())
        .header("Origin", "https://example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .expect("OPTIONS");
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://example.com")
    );
    let plain = client()
        .request(reqwest::Method::OPTIONS, first.as_str())
        .send()
        .expect("OPTIONS");
    assert_eq!(plain.json::<Value>().expect("JSON")["method"], "OPTIONS");
}

#[test]
fn function_name_and_port_serve_one_url() {
    let template = project();
    let server = Server::start_function_urls(
        sluice(),
        &template,
        &["--function-name", "Second", "--port", "0"],
    );
    assert_eq!(server.function_urls.keys().collect::<Vec<_>>(), ["Second"]);
    assert_eq!(get_json(&server.function_urls["Second"])["who"], "second");
}

#[test]
fn a_template_without_function_urls_is_refused() {
    let dir = fresh_dir("no-function-urls");
    std::fs::write(
        dir.join("template.yaml"),
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: { Runtime: python3.12, Handler: app.handler }\n",
    )
    .expect("writing the template");
    std::fs::write(dir.join("app.py"), "def handler(e, c):\n    return 1\n").expect("handler");
    let out = Command::new(sluice())
        .args(["local", "start-function-urls", "--services-port", "0", "-t"])
        .arg(dir.join("template.yaml"))
        .arg("--state-dir")
        .arg(dir.join(".sluice"))
        .output()
        .expect("running sluice");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("FunctionUrlConfig"), "{stderr}");
}
