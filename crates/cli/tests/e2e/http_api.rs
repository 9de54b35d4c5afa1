//! The HTTP API and Function URL examples, served by the real binary to python handlers.

use serde_json::Value;
use sluice_testkit::Server;

use crate::{client, example_template, sluice};

#[test]
fn http_api_example_routes_infers_and_sets_cookies() {
    let server = Server::start(sluice(), &example_template("http-api"), &[]);

    // No statusCode in the handler's answer: 200 with the object as JSON.
    let response = client()
        .get(server.url("/notes/7"))
        .header("cookie", "theme=dark; lang=en")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("apigw-requestid"));
    assert!(!response.headers().contains_key("x-amzn-requestid"));
    let body: Value = response.json().unwrap();
    assert_eq!(body["id"], "7");
    assert_eq!(
        body["text"], "Hello, note 7",
        "stage variables reach the handler"
    );
    assert_eq!(
        body["cookies"],
        serde_json::json!(["theme=dark", "lang=en"])
    );

    let response = client()
        .post(server.url("/notes"))
        .header("content-type", "application/json")
        .body(r#"{"id": 3}"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["set-cookie"], "last-note=3; Path=/");
    let body: Value = response.json().unwrap();
    assert_eq!(body["created"]["id"], 3);

    // The $default route takes what nothing else matched.
    let response = client().delete(server.url("/elsewhere")).send().unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().unwrap(), "nothing at /elsewhere");

    assert!(
        server.wait_for_log("/notes/{id}").is_some(),
        "routes are printed at startup"
    );
}

/// The addresses (by host, by path) a printed "Function URL of <target>: <url>" line gives; the
/// target is a function's logical id, `Fn:live` for its alias's URL.
pub(crate) fn printed_url(server: &Server, function: &str) -> (String, String) {
    // The banner comes last; once it is read, every address line before it is too.
    server.wait_for_log("Sluice is serving");
    let logs = server.logs();
    let at = logs
        .iter()
        .position(|l| l.starts_with(&format!("Function URL of {function}: ")))
        .unwrap_or_else(|| panic!("no URL printed for {function}: {logs:#?}"));
    let url_in = |line: &str| {
        line.split_whitespace()
            .find(|w| w.starts_with("http://"))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no URL in {line}"))
    };
    (url_in(&logs[at]), url_in(&logs[at + 1]))
}

/// A client that sends requests for `host` to `addr` (`*.localhost` names need no DNS).
pub(crate) fn resolving_to(host: &str, addr: std::net::SocketAddr) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .resolve(host, addr)
        .build()
        .unwrap()
}

#[test]
fn function_url_example_answers_at_both_printed_addresses() {
    let server = Server::start(sluice(), &example_template("function-url"), &[]);
    let (by_host, by_path) = printed_url(&server, "EchoFunction");
    assert!(by_path.ends_with("/lambda-url/echo/"), "{by_path}");

    let response = client()
        .post(format!("{by_path}some/path?x=1"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["x-amzn-requestid"].clone();
    let body: Value = response.json().unwrap();
    // Recorded from Lambda: a URL's response names the invocation the function ran as.
    assert_eq!(body["requestId"], request_id.to_str().unwrap());
    assert_eq!(body["path"], "/some/path");
    assert_eq!(body["query"]["x"], "1");
    assert_eq!(body["body"], "hello");
    assert_eq!(body["accountId"], "anonymous");

    // The host form: `*.localhost` is loopback; the client resolves it to the server's address.
    let url = reqwest::Url::parse(&by_host).unwrap();
    let host = url.host_str().unwrap().to_owned();
    let addr: std::net::SocketAddr = server
        .base_url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let response = resolving_to(&host, addr)
        .put(format!("{by_host}items/1"))
        .body("raw bytes")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(body["method"], "PUT");
    assert_eq!(body["path"], "/items/1", "no route matching on a URL");
    assert_eq!(
        body["body"], "raw bytes",
        "sent base64 without a content type"
    );

    // A URL id no function has: Lambda's 403, not an API's answer.
    let unknown = format!("{}.lambda-url.us-east-1.localhost", "a".repeat(32));
    let response = resolving_to(&unknown, addr)
        .get(format!("http://{unknown}:{}/", addr.port()))
        .send()
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "AccessDeniedException"
    );
    assert_eq!(response.text().unwrap(), r#"{"Message":null}"#);

    let (_, private) = printed_url(&server, "PrivateFunction");
    let response = client().get(private).send().unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.text().unwrap(), r#"{"Message":"Forbidden"}"#);
}

#[test]
fn aws_iam_function_url_verifies_sigv4_signatures_from_botocore() {
    // AWS: Lambda checks an AWS_IAM URL's SigV4 signature (service `lambda`); Sluice checks it
    // against the keys of the state folder's credentials file, as for AWS_IAM routes.
    crate::auth::botocore_signed_requests_pass(
        &example_template("function-url"),
        "AKIASLUICETEST000002",
        "sigv4_function_url.py",
    );
}

#[test]
fn a_cdk_style_template_serves_its_http_api() {
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cdk-http-api/template.yaml");
    let server = Server::start(sluice(), &template, &[]);
    let response = client().get(server.url("/hello/cdk")).send().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(body["hello"], "cdk");
    assert_eq!(body["routeKey"], "GET /hello/{name}");
    let response = client().get(server.url("/nowhere")).send().unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().unwrap(), r#"{"message":"Not Found"}"#);
    server.wait_for_log("Sluice is serving");
    assert!(
        !server.logs().iter().any(|l| l.starts_with("Warning:")),
        "CDK's resources are understood: {:#?}",
        server.logs()
    );
}

/// An HTTP API route with payload 1.0 and a Function URL, both echoing the event they receive.
fn payload_1_0_project() -> std::path::PathBuf {
    let dir = sluice_testkit::fresh_dir("http-api-v1");
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties: { StageName: dev }
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        Any:
          Type: HttpApi
          Properties: { ApiId: !Ref Api, Path: '/echo/{proxy+}', Method: ANY, PayloadFormatVersion: '1.0' }
  UrlEcho:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      FunctionUrlConfig: { AuthType: NONE }
"#,
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        r#"import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"#,
    )
    .expect("writing the handler");
    dir.join("template.yaml")
}

/// Handlers written against recorded HTTP API payload 1.0 events read `event["headers"]["Host"]`
/// and see the stage in `path`; Function URL events of a GET carry no `content-length`.
#[test]
fn payload_1_0_events_spell_headers_and_paths_as_http_api_does() {
    let server = Server::start(sluice(), &payload_1_0_project(), &[]);
    // HTTP/1.1 clients such as Postman send title-case names.
    let title_case = reqwest::blocking::Client::builder()
        .no_proxy()
        .http1_title_case_headers()
        .build()
        .unwrap();
    let event: Value = title_case
        .get(server.url("/echo/a?x=1"))
        .header("Accept", "*/*")
        .header("Postman-Token", "t-1")
        .header("User-Agent", "PostmanRuntime/7.36.0")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["path"], "/dev/echo/a", "the named stage leads path");
    assert_eq!(event["requestContext"]["path"], "/dev/echo/a");
    let headers = &event["headers"];
    assert!(headers["Host"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(headers["User-Agent"], "PostmanRuntime/7.36.0");
    assert_eq!(headers["Content-Length"], "0");
    assert_eq!(headers["X-Forwarded-Proto"], "http");
    assert_eq!(headers["accept"], "*/*", "lower case, as AWS records it");
    assert_eq!(headers["Postman-Token"], "t-1", "the client's spelling");
    assert_eq!(event["multiValueHeaders"]["Postman-Token"][0], "t-1");
    assert_eq!(
        event["requestContext"]["identity"]["cognitoAmr"],
        Value::Null
    );

    let event: Value = client()
        .get(server.url("/lambda-url/UrlEcho/page"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(event["rawPath"], "/page");
    assert!(
        event["headers"].get("content-length").is_none(),
        "{}",
        event["headers"]
    );
}

/// An HTTP API whose path is a `$ref` to a Path Item elsewhere in its document.
const PATH_ITEM_REFS: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties: { Runtime: python3.12, Handler: app.handler }
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        info: { title: refs, version: '1' }
        paths:
          /items/{id}:
            $ref: '#/components/pathItems/Item'
        components:
          pathItems:
            Item:
              get:
                x-amazon-apigateway-integration:
                  type: aws_proxy
                  httpMethod: POST
                  payloadFormatVersion: '2.0'
                  uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Echo.Arn}/invocations
"#;

#[test]
fn a_path_item_written_as_a_ref_reaches_its_function() {
    let dir = sluice_testkit::fresh_dir("path-item-refs");
    std::fs::write(dir.join("template.yaml"), PATH_ITEM_REFS).expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        "import json\n\n\ndef handler(event, context):\n    return {\"statusCode\": 200, \"body\": json.dumps(event)}\n",
    )
    .expect("writing the handler");
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let response = client().get(server.url("/items/42")).send().unwrap();
    assert_eq!(response.status(), 200);
    let event: Value = response.json().unwrap();
    assert_eq!(event["routeKey"], "GET /items/{id}");
    assert_eq!(event["pathParameters"]["id"], "42");
    // The referenced Path Item has no POST: HTTP API's 404 for a route it lacks.
    let response = client().post(server.url("/items/42")).send().unwrap();
    assert_eq!(response.status(), 404);
}

/// An HTTP API whose `GET /limited` route has a bucket of one (`RouteSettings`) beside an
/// unlimited `GET /open`.
fn throttled_project() -> std::path::PathBuf {
    let dir = sluice_testkit::fresh_dir("http-api-throttle");
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      RouteSettings:
        GET /limited: { ThrottlingBurstLimit: 1, ThrottlingRateLimit: 1 }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        Limited: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /limited, Method: GET } }
        Open: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /open, Method: GET } }
"#,
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"ok\"}\n",
    )
    .expect("writing the handler");
    dir.join("template.yaml")
}

/// Five requests at once, each on its own thread: status, `apigw-requestid`,
/// `x-amzn-errortype` and body of each.
fn five_at_once(url: String) -> Vec<(u16, bool, bool, String)> {
    let threads: Vec<_> = (0..5)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let response = client().get(url).send().unwrap();
                let has = |name: &str| response.headers().contains_key(name);
                let (request_id, error_type) = (has("apigw-requestid"), has("x-amzn-errortype"));
                (
                    response.status().as_u16(),
                    request_id,
                    error_type,
                    response.text().unwrap(),
                )
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// AWS (http-api-throttling.html): a route's `RouteSettings` throttle it on its own; past the
/// limit the HTTP API answers 429 `{"message":"Too Many Requests"}` (no `x-amzn-ErrorType`, as
/// HTTP APIs send none) before the function runs. A route without limits is not throttled.
#[test]
fn an_http_api_routes_throttle_answers_429_and_leaves_other_routes_alone() {
    let server = Server::start(sluice(), &throttled_project(), &[]);
    let limited = five_at_once(server.url("/limited"));
    let statuses: Vec<u16> = limited.iter().map(|r| r.0).collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "{limited:?}"
    );
    for (status, request_id, error_type, body) in &limited {
        match status {
            200 => assert_eq!(body, "ok"),
            429 => {
                assert_eq!(body, r#"{"message":"Too Many Requests"}"#);
                assert!(*request_id && !*error_type, "{limited:?}");
            }
            other => panic!("unexpected {other}: {limited:?}"),
        }
    }
    let open = five_at_once(server.url("/open"));
    assert!(open.iter().all(|r| r.0 == 200), "{open:?}");
}
