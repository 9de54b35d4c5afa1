//! `HTTP_PROXY` integrations served by the real binary, REST and HTTP API, in front of an HTTP
//! server the test starts: the method, a `{proxy+}` path, the query, headers and a binary body
//! reach it; its status, headers and body come back; an endpoint that refuses connections
//! answers AWS's 500.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

use sluice_testkit::Server;

use crate::{client, sluice};

/// Bytes that are no UTF-8, so a text conversion anywhere would show.
const REQUEST_BODY: &[u8] = &[0x00, 0x9f, 0x92, 0x96, 0xff, b'\r', b'\n'];
const ANSWER_BODY: &[u8] = &[0x89, b'P', b'N', b'G', 0x00, 0xfe];

/// A REST API in front of an existing backend, as AWS's docs set one up ("HTTP integrations for
/// REST APIs": `/{proxy+}` on `ANY`, `…/{proxy}` with `integration.request.path.proxy`).
const REST: &str = r#"Transform: AWS::Serverless-2016-10-31
Parameters:
  Backend: {Type: String}
  Down: {Type: String}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        swagger: '2.0'
        paths:
          /shop/{proxy+}:
            x-amazon-apigateway-any-method:
              parameters:
                - {name: proxy, in: path, required: true, type: string}
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: !Sub ${Backend}/store/{proxy}
                requestParameters:
                  integration.request.path.proxy: method.request.path.proxy
          /down:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: !Sub ${Down}/x
"#;

/// The same in front of an HTTP API, as CDK synthesizes one (`HttpUrlIntegration`).
const HTTP_API: &str = r#"Parameters:
  Backend: {Type: String}
  Down: {Type: String}
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: shop, ProtocolType: HTTP}
  Shop:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: HTTP_PROXY
      IntegrationMethod: ANY
      IntegrationUri: !Sub ${Backend}/store/{proxy}
      PayloadFormatVersion: '1.0'
  ShopRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: 'ANY /shop/{proxy+}', Target: !Sub 'integrations/${Shop}'}
  Unreachable:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: HTTP_PROXY
      IntegrationMethod: GET
      IntegrationUri: !Sub ${Down}/x
      PayloadFormatVersion: '1.0'
  DownRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /down, Target: !Sub 'integrations/${Unreachable}'}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: $default, AutoDeploy: true}
"#;

/// One request the backend got.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP server on 127.0.0.1 that records each request and answers 201 with [`ANSWER_BODY`],
/// one connection at a time.
struct Backend {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Backend {
    fn start() -> Backend {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the backend");
        let port = listener.local_addr().expect("the backend's address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut head = String::new();
                let _ = reader.read_line(&mut head);
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.trim_end().split_once(':') {
                        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
                    }
                }
                let length = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let mut parts = head.split_whitespace();
                if let Ok(mut all) = record.lock() {
                    all.push(Seen {
                        method: parts.next().unwrap_or("").to_owned(),
                        target: parts.next().unwrap_or("").to_owned(),
                        headers,
                        body,
                    });
                }
                let mut answer = format!(
                    "HTTP/1.1 201 Created\r\nContent-Type: application/octet-stream\r\nX-Backend: yes\r\nServer: backend/1.0\r\nDate: Mon, 30 Nov 2026 08:24:26 GMT\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    ANSWER_BODY.len()
                )
                .into_bytes();
                answer.extend_from_slice(ANSWER_BODY);
                let _ = (&stream).write_all(&answer);
            }
        });
        Backend { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// `template` served with `Backend` pointing at `backend` and `Down` at a port nothing listens on.
fn serve(name: &str, template: &str, backend: &Backend) -> Server {
    let dir = sluice_testkit::fresh_dir(name);
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    // A port nothing listens on: bind one, then let it go.
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let overrides = format!(
        "Backend=http://127.0.0.1:{} Down=http://127.0.0.1:{refused}",
        backend.port
    );
    Server::start(
        sluice(),
        &dir.join("template.yaml"),
        &["--parameter-overrides", &overrides],
    )
}

/// Sends the same request to `server` and returns what the backend saw and the client got.
fn proxied_put(server: &Server, backend: &Backend) -> (Seen, reqwest::blocking::Response) {
    let response = client()
        .put(server.url("/shop/a/b%20c?q=1&q=2"))
        .header("x-custom", "kept")
        .header("content-type", "application/octet-stream")
        .header("x-forwarded-for", "198.51.100.1")
        .body(REQUEST_BODY.to_vec())
        .send()
        .unwrap();
    let seen = backend.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    (seen[0].clone(), response)
}

#[test]
fn a_rest_http_proxy_passes_the_request_and_the_answer_through() {
    let backend = Backend::start();
    let server = serve("rest-http-proxy", REST, &backend);
    let (seen, response) = proxied_put(&server, &backend);

    assert_eq!(seen.method, "PUT");
    assert_eq!(seen.target, "/store/a/b%20c?q=1&q=2");
    assert_eq!(seen.body, REQUEST_BODY);
    assert_eq!(seen.header("x-custom"), Some("kept"));
    assert_eq!(
        seen.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(
        seen.header("host"),
        Some(format!("127.0.0.1:{}", backend.port).as_str())
    );
    assert_eq!(
        seen.header("x-forwarded-for"),
        Some("198.51.100.1, 127.0.0.1")
    );
    assert!(seen.header("x-amzn-trace-id").is_some(), "{seen:?}");
    assert!(
        seen.header("x-amzn-apigateway-api-id").is_some(),
        "{seen:?}"
    );

    assert_eq!(response.status(), 201);
    let headers = response.headers().clone();
    assert_eq!(headers["x-backend"], "yes");
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(headers["x-amzn-remapped-server"], "backend/1.0");
    assert_eq!(
        headers["x-amzn-remapped-date"],
        "Mon, 30 Nov 2026 08:24:26 GMT"
    );
    assert!(headers.contains_key("x-amzn-requestid"));
    assert_eq!(response.bytes().unwrap().as_ref(), ANSWER_BODY);

    let response = client().get(server.url("/down")).send().unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.text().unwrap(),
        r#"{"message": "Internal server error"}"#
    );
}

#[test]
fn an_http_api_http_proxy_passes_the_request_and_the_answer_through() {
    let backend = Backend::start();
    let server = serve("http-api-http-proxy", HTTP_API, &backend);
    let (seen, response) = proxied_put(&server, &backend);

    assert_eq!(seen.method, "PUT");
    assert_eq!(seen.target, "/store/a/b%20c?q=1&q=2");
    assert_eq!(seen.body, REQUEST_BODY);
    assert_eq!(seen.header("x-custom"), Some("kept"));
    assert_eq!(
        seen.header("host"),
        Some(format!("127.0.0.1:{}", backend.port).as_str())
    );
    // AWS: X-Forwarded-* become one standard Forwarded header.
    let forwarded = seen.header("forwarded").unwrap_or_default();
    assert!(
        forwarded.starts_with("for=198.51.100.1,for=127.0.0.1;host=")
            && forwarded.ends_with(";proto=http"),
        "{seen:?}"
    );
    assert_eq!(seen.header("x-forwarded-for"), None, "{seen:?}");

    assert_eq!(response.status(), 201);
    let headers = response.headers().clone();
    assert_eq!(headers["x-backend"], "yes");
    assert_eq!(headers["server"], "backend/1.0");
    assert!(headers.contains_key("apigw-requestid"));
    assert_eq!(response.bytes().unwrap().as_ref(), ANSWER_BODY);

    let response = client().get(server.url("/down")).send().unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.text().unwrap(),
        r#"{"message":"Internal Server Error"}"#
    );
}
