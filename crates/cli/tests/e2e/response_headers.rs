//! Which of a function's response headers reach the client, renamed or not, through a REST API,
//! an HTTP API and a Function URL; and which client headers a REST event never carries.

use reqwest::blocking::Response;
use serde_json::Value;
use sluice_testkit::Server;

use crate::{client, sluice};

/// The `Date` the function claims; every front end sends its own.
const FUNCTION_DATE: &str = "Mon, 01 Jan 2024 00:00:00 GMT";

/// One handler behind a REST API, an HTTP API and a Function URL: it answers 401 with the
/// headers API Gateway treats specially, and the names of the request headers it was given.
fn project() -> std::path::PathBuf {
    let dir = sluice_testkit::fresh_dir("response-headers");
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Challenge:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      FunctionUrlConfig: { AuthType: NONE }
      Events:
        Rest:
          Type: Api
          Properties: { Path: /rest, Method: GET }
        Http:
          Type: HttpApi
          Properties: { Path: /http, Method: GET }
"#,
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        r#"import json


def handler(event, context):
    return {
        "statusCode": 401,
        "headers": {
            "WWW-Authenticate": 'Basic realm="sluice"',
            "Server": "handler",
            "Date": "Mon, 01 Jan 2024 00:00:00 GMT",
            "Connection": "close",
            "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
            "Transfer-Encoding": "chunked",
            "X-Own": "kept",
        },
        "body": json.dumps(sorted(name.lower() for name in event.get("headers") or {})),
    }
"#,
    )
    .expect("writing the handler");
    dir.join("template.yaml")
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("text header"))
}

fn get(server: &Server, path: &str) -> Response {
    let response = client()
        .get(server.url(path))
        .header("WWW-Authenticate", "Basic")
        .header("Max-Forwards", "5")
        .header("Server", "client")
        .header("Via", "1.1 client-proxy")
        .send()
        .expect("request");
    assert_eq!(response.status(), 401, "{path}");
    assert_eq!(header(&response, "x-own"), Some("kept"), "{path}");
    assert!(header(&response, "transfer-encoding").is_none(), "{path}");
    let date = header(&response, "date");
    assert!(date.is_some(), "{path}: every front end sends a Date");
    response
}

/// The documented REST behaviour users meet in practice: a Lambda proxy answer's
/// `WWW-Authenticate` arrives as `x-amzn-Remapped-WWW-Authenticate`; HTTP APIs (for which AWS
/// documents no remapping) relay it; deployed Function URLs are recorded remapping it too.
#[test]
fn each_front_end_drops_and_remaps_the_function_headers_aws_does() {
    let server = Server::start(sluice(), &project(), &[]);

    let rest = get(&server, "/rest");
    for (remapped, value) in [
        (
            "x-amzn-remapped-www-authenticate",
            r#"Basic realm="sluice""#,
        ),
        ("x-amzn-remapped-server", "handler"),
        ("x-amzn-remapped-date", FUNCTION_DATE),
        ("x-amzn-remapped-connection", "close"),
        ("x-amzn-remapped-content-md5", "Q2hlY2sgSW50ZWdyaXR5IQ=="),
    ] {
        assert_eq!(header(&rest, remapped), Some(value), "REST {remapped}");
    }
    for gone in ["www-authenticate", "server", "content-md5"] {
        assert!(header(&rest, gone).is_none(), "REST {gone}");
    }
    assert_ne!(header(&rest, "date"), Some(FUNCTION_DATE));
    let event_headers: Vec<String> = rest.json().expect("header names");
    for never in ["www-authenticate", "max-forwards", "server", "connection"] {
        assert!(
            !event_headers.iter().any(|name| name == never),
            "REST events never carry {never}: {event_headers:?}"
        );
    }
    assert!(event_headers.iter().any(|name| name == "via"));

    let http = get(&server, "/http");
    assert_eq!(
        header(&http, "www-authenticate"),
        Some(r#"Basic realm="sluice""#)
    );
    assert_eq!(header(&http, "server"), Some("handler"));
    assert_eq!(
        header(&http, "content-md5"),
        Some("Q2hlY2sgSW50ZWdyaXR5IQ==")
    );
    assert!(
        !http
            .headers()
            .keys()
            .any(|name| name.as_str().starts_with("x-amzn-remapped-")),
        "{:?}",
        http.headers()
    );

    let url = get(&server, "/lambda-url/Challenge/");
    for (remapped, value) in [
        (
            "x-amzn-remapped-www-authenticate",
            r#"Basic realm="sluice""#,
        ),
        ("x-amzn-remapped-server", "handler"),
        ("x-amzn-remapped-date", FUNCTION_DATE),
        ("x-amzn-remapped-connection", "close"),
    ] {
        assert_eq!(header(&url, remapped), Some(value), "URL {remapped}");
    }
    for gone in ["www-authenticate", "server"] {
        assert!(header(&url, gone).is_none(), "URL {gone}");
    }
    assert_ne!(header(&url, "date"), Some(FUNCTION_DATE));
    let _: Value = url.json().expect("the body is the handler's");
}
