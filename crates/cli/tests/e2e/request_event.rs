//! What a handler receives: the payload 1.0 event API Gateway builds, round-tripped through an echo.

use serde_json::Value;

use crate::{client, fixture_server};

fn echo(
    server: &sluice_testkit::Server,
    request: reqwest::blocking::RequestBuilder,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
    let _ = server;
    let response = request.send().unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body: Value = response.json().unwrap();
    (status, headers, body)
}

#[test]
fn path_query_headers_and_body_reach_the_handler_as_aws_sends_them() {
    let server = fixture_server();
    // reqwest lowercases header names unless asked for title case, as curl and browsers would send.
    let title_case = reqwest::blocking::Client::builder()
        .no_proxy()
        .http1_title_case_headers()
        .build()
        .unwrap();
    let request = title_case
        .post(server.url("/echo/a%2Bb/c?x=1&x=2&y=hello+world&z=%20sp"))
        .header("X-Custom-Header", "one")
        .header("Authorization", "Bearer t")
        .body("{\"k\": 1}");
    let (status, headers, body) = echo(&server, request);
    assert_eq!(status, 200);
    assert_eq!(headers["x-greeting"], "hi");
    assert_eq!(
        headers.get_all("x-multi").iter().collect::<Vec<_>>(),
        ["a", "b"]
    );
    let event = &body["event"];
    assert_eq!(event["resource"], "/echo/{proxy+}");
    assert_eq!(
        event["path"], "/echo/a%2Bb/c",
        "path keeps the client's encoding"
    );
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["pathParameters"]["proxy"], "a%2Bb/c");
    assert_eq!(event["queryStringParameters"]["x"], "2", "last value wins");
    assert_eq!(
        event["multiValueQueryStringParameters"]["x"],
        serde_json::json!(["1", "2"])
    );
    assert_eq!(event["queryStringParameters"]["y"], "hello world");
    assert_eq!(event["queryStringParameters"]["z"], " sp");
    assert_eq!(
        event["headers"]["X-Custom-Header"], "one",
        "header case kept"
    );
    assert_eq!(event["headers"]["Authorization"], "Bearer t");
    assert!(
        event["headers"].get("Content-Length").is_none(),
        "hop-by-hop headers dropped"
    );
    assert_eq!(event["body"], "{\"k\": 1}");
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["stageVariables"]["color"], "blue");
    let context = &event["requestContext"];
    assert_eq!(context["stage"], "test");
    assert_eq!(context["path"], "/test/echo/a%2Bb/c");
    assert_eq!(context["resourcePath"], "/echo/{proxy+}");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
    assert!(context.get("authorizer").is_none());
    assert_eq!(body["context"]["function_name"], "EchoFunction");
    assert_eq!(
        body["context"]["log_group_name"],
        "/aws/lambda/EchoFunction"
    );
    let remaining = body["context"]["remaining_ms"].as_i64().unwrap();
    assert!(remaining > 0 && remaining <= 10_000, "{remaining}");
}

#[test]
fn empty_query_and_body_are_null_and_request_ids_are_fresh() {
    let server = fixture_server();
    let (_, _, first) = echo(&server, client().get(server.url("/items/42")));
    let (_, _, second) = echo(&server, client().get(server.url("/items/42/")));
    let event = &first["event"];
    assert_eq!(event["queryStringParameters"], Value::Null);
    assert_eq!(event["multiValueQueryStringParameters"], Value::Null);
    assert_eq!(event["body"], Value::Null);
    assert_eq!(event["pathParameters"]["id"], "42");
    assert_eq!(
        second["event"]["path"], "/items/42/",
        "trailing slash matches and stays in path"
    );
    assert_ne!(
        event["requestContext"]["requestId"],
        second["event"]["requestContext"]["requestId"]
    );
}

#[test]
fn binary_bodies_round_trip_when_the_media_type_is_binary() {
    let server = fixture_server();
    let png: Vec<u8> = (0u8..=255)
        .chain([0, 0xff, 0x89, b'P', b'N', b'G'])
        .collect();
    let response = client()
        .post(server.url("/binary"))
        .header("Content-Type", "image/png")
        .header("Accept", "image/png")
        .body(png.clone())
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().unwrap().to_vec(), png);
}

#[test]
fn header_names_keep_exactly_the_case_the_client_sent() {
    use std::io::{Read, Write};
    let server = fixture_server();
    let addr = server.base_url.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    // Two requests on one connection, the first with a body that looks like a header block.
    let body = "Fake-Header: no\r\n\r\n";
    write!(
        stream,
        "POST /echo HTTP/1.1\r\nHost: {addr}\r\nx-MiXeD-case: 1\r\nContent-Length: {}\r\n\r\n{body}\
         GET /echo HTTP/1.1\r\nHost: {addr}\r\nSECOND-one: 2\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    assert_eq!(raw.matches("HTTP/1.1 200").count(), 2, "{raw}");
    assert!(raw.contains(r#""x-MiXeD-case": "1""#), "{raw}");
    assert!(raw.contains(r#""SECOND-one": "2""#), "{raw}");
    assert!(
        !raw.contains(r#""Fake-Header""#),
        "a body is not a header block: {raw}"
    );
}
