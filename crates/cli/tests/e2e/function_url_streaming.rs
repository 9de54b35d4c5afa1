//! Response streaming served by the real binary to node's `awslambda.streamifyResponse` handlers:
//! Function URLs in `RESPONSE_STREAM` mode, REST routes in `ResponseTransferMode: STREAM` and the
//! Invoke API's `InvokeWithResponseStream` (boto3).
//! Chunks reach the client while the handler runs.

use std::io::Read;
use std::path::{Path, PathBuf};

use sluice_testkit::Server;

use crate::services::clients_dir;
use crate::{client, example_template, sluice};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/streaming/template.yaml")
}

/// Reads until `want` bytes arrived (a chunk may come in pieces).
fn read_exactly(response: &mut reqwest::blocking::Response, want: usize) -> Vec<u8> {
    let mut got = vec![0u8; want];
    response.read_exact(&mut got).expect("the first chunk");
    got
}

#[test]
fn the_first_chunk_arrives_before_the_handler_finishes() {
    let server = Server::start(sluice(), &template(), &[]);
    let marker = sluice_testkit::fresh_dir("stream-gate").join("go");
    let mut response = client()
        .get(server.url(&format!("/lambda-url/gated/?marker={}", marker.display())))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert!(response.headers().contains_key("x-amzn-requestid"));
    // The handler waits for the marker, which exists only once the first chunk was read here.
    assert_eq!(read_exactly(&mut response, 8), b"chunk 1;");
    assert!(
        !server.logs().iter().any(|l| l.starts_with("REPORT")),
        "the invocation is still running: {:#?}",
        server.logs()
    );
    std::fs::write(&marker, b"").unwrap();
    let mut rest = String::new();
    response.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "chunk 2");
    assert!(server.wait_for_log("REPORT RequestId").is_some());
}

#[test]
fn status_headers_and_cookies_come_from_the_http_prelude() {
    let server = Server::start(sluice(), &template(), &[]);
    let response = client()
        .get(server.url("/lambda-url/prelude/some/path"))
        .header("origin", "http://example.com")
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.headers()["x-streamed"], "yes");
    let cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2; Path=/"]);
    assert_eq!(response.text().unwrap(), "hello /some/path streamed");
}

#[test]
fn errors_and_timeouts_mid_stream_cut_the_response_off() {
    let server = Server::start(sluice(), &template(), &[]);
    for (function, first) in [("fails-mid-stream", "partial"), ("hangs", "first")] {
        let mut response = client()
            .get(server.url(&format!("/lambda-url/{function}/")))
            .send()
            .unwrap();
        // The status went out with the first chunk; the failure can only end the body early,
        // which the client sees as an incomplete chunked transfer.
        assert_eq!(response.status(), 200, "{function}");
        assert_eq!(read_exactly(&mut response, first.len()), first.as_bytes());
        let mut rest = Vec::new();
        let read = response.read_to_end(&mut rest);
        assert!(
            read.is_err(),
            "{function}: the body must not end cleanly, got {rest:?}"
        );
    }
    assert!(server.wait_for_log("broke mid-stream").is_some());
    assert!(server
        .wait_for_log("Task timed out after 1.00 seconds")
        .is_some());

    // Failing before writing anything is a function error like a buffered one: 502.
    let response = client()
        .get(server.url("/lambda-url/fails-first/"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(response.text().unwrap(), "Internal Server Error");
}

/// AWS (validated in LocalStack's test_lambda_url_echo_invoke[RESPONSE_STREAM]): on a
/// RESPONSE_STREAM URL, a handler that does not stream has its answer sent as it is — Lambda
/// reads an HTTP response only from a streamed prelude. On a BUFFERED URL the answer is mapped.
#[test]
fn handlers_that_do_not_stream_answer_their_payload_on_a_streaming_url() {
    let server = Server::start(sluice(), &template(), &[]);
    let response = client()
        .get(server.url("/lambda-url/buffered-url/"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.text().unwrap(), "whole answer");
    for (function, status, body) in [
        ("node-buffered", 202, "whole answer"),
        ("python", 200, "from python"),
    ] {
        let response = client()
            .get(server.url(&format!("/lambda-url/{function}/")))
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{function}");
        let answer: serde_json::Value = response.json().unwrap();
        assert_eq!(answer["statusCode"], status, "{function}");
        assert_eq!(answer["body"], body, "{function}");
    }
    assert!(
        !server.logs().iter().any(|l| l.contains("served buffered")),
        "no warning for what works as on AWS"
    );
}

#[test]
fn the_function_url_example_streams_lines() {
    let server = Server::start(sluice(), &example_template("function-url"), &[]);
    let mut response = client()
        .get(server.url("/lambda-url/lines/?count=2"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["set-cookie"], "visited=yes; Path=/");
    assert_eq!(
        read_exactly(&mut response, "line 1 of 2\n".len()),
        b"line 1 of 2\n"
    );
    let mut rest = String::new();
    response.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "line 2 of 2\n");
}

#[test]
fn boto3_reads_invoke_with_response_stream_as_the_function_writes() {
    sluice_testkit::ensure_python_module("boto3", "boto3");
    let server = Server::start(sluice(), &template(), &[]);
    let marker = sluice_testkit::fresh_dir("stream-gate-sdk").join("go");
    sluice_testkit::assert_python_script_passes(
        &clients_dir().join("lambda_invoke_stream.py"),
        &[&server.services_url, &marker.to_string_lossy()],
        &[],
    );
}

fn rest_template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/streaming/rest.yaml")
}

/// A REST Lambda proxy in `ResponseTransferMode: STREAM` (API Gateway's response streaming for
/// REST APIs): the client reads the first chunk while the handler still runs.
#[test]
fn a_rest_route_in_stream_mode_sends_chunks_while_the_handler_runs() {
    let server = Server::start(sluice(), &rest_template(), &[]);
    let marker = sluice_testkit::fresh_dir("rest-stream-gate").join("go");
    let mut response = client()
        .get(server.url(&format!("/gated?marker={}", marker.display())))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert!(
        response.headers().contains_key("x-amz-apigw-id"),
        "a REST answer"
    );
    assert_eq!(read_exactly(&mut response, 8), b"chunk 1;");
    assert!(
        !server.logs().iter().any(|l| l.starts_with("REPORT")),
        "the invocation is still running: {:#?}",
        server.logs()
    );
    std::fs::write(&marker, b"").unwrap();
    let mut rest = String::new();
    response.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "chunk 2");
}

/// The REST prelude's payload 1.0 keys (`multiValueHeaders` and `cookies` too) make the head,
/// under the REST API's header rules (`Server` is remapped).
#[test]
fn a_rest_streaming_prelude_gives_status_headers_and_cookies() {
    let server = Server::start(sluice(), &rest_template(), &[]);
    let response = client().get(server.url("/prelude/ada")).send().unwrap();
    assert_eq!(response.status(), 201);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(headers["x-streamed"], "yes");
    assert_eq!(headers["x-amzn-remapped-server"], "handler");
    let all = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(all("x-multi"), ["a", "b"]);
    assert_eq!(all("set-cookie"), ["a=1", "b=2; Path=/"]);
    assert_eq!(response.text().unwrap(), "hello /prelude/ada streamed");
}
