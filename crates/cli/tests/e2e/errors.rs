//! The gateway's error responses, byte for byte as API Gateway sends them.

use crate::{client, fixture_server};

#[test]
fn unknown_route_is_403_missing_authentication_token() {
    let server = fixture_server();
    for (method, path) in [("GET", "/nope"), ("DELETE", "/slow"), ("GET", "/")] {
        let response = client()
            .request(method.parse().unwrap(), server.url(path))
            .send()
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "MissingAuthenticationTokenException"
        );
        assert!(response.headers().contains_key("x-amzn-requestid"));
        assert_eq!(
            response.text().unwrap(),
            r#"{"message":"Missing Authentication Token"}"#
        );
    }
}

#[test]
fn malformed_proxy_responses_are_502() {
    let server = fixture_server();
    for kind in ["unknown-key", "bad-status", "bare-string", "bad-multi"] {
        let response = client()
            .get(server.url(&format!("/shape/{kind}")))
            .send()
            .unwrap();
        assert_eq!(response.status(), 502, "{kind}");
        assert_eq!(
            response.text().unwrap(),
            r#"{"message": "Internal server error"}"#,
            "{kind}"
        );
    }
}

#[test]
fn well_formed_edge_shapes_are_mapped() {
    let server = fixture_server();
    let empty = client().get(server.url("/shape/empty")).send().unwrap();
    assert_eq!(empty.status(), 200);
    assert_eq!(empty.text().unwrap(), "");
    let created = client()
        .get(server.url("/shape/numeric-string"))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["content-type"], "application/json");
    assert_eq!(created.text().unwrap(), "created");
    let flag = client()
        .get(server.url("/shape/bool-header"))
        .send()
        .unwrap();
    assert_eq!(flag.headers()["x-flag"], "true");
}

#[test]
fn raising_handler_is_502_and_the_server_keeps_serving() {
    let server = fixture_server();
    let response = client().get(server.url("/shape/raise")).send().unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        response.text().unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    assert!(server
        .wait_for_log("the handler failed on purpose")
        .is_some());
    let crash = client().get(server.url("/shape/crash")).send().unwrap();
    assert_eq!(crash.status(), 502, "a sandbox that exits mid-invocation");
    let after = client()
        .get(server.url("/shape/numeric-string"))
        .send()
        .unwrap();
    assert_eq!(
        after.status(),
        201,
        "a fresh sandbox serves the next request"
    );
}

#[test]
fn crash_during_init_is_502_every_time_without_taking_the_server_down() {
    let server = fixture_server();
    for _ in 0..2 {
        let response = client().get(server.url("/broken-init")).send().unwrap();
        assert_eq!(response.status(), 502);
    }
    assert!(server
        .wait_for_log("a_module_that_does_not_exist")
        .is_some());
    let other = client().get(server.url("/shape/empty")).send().unwrap();
    assert_eq!(other.status(), 200);
}

#[test]
fn function_timeout_kills_the_sandbox_and_the_next_request_is_served() {
    let server = fixture_server();
    let response = client().get(server.url("/slow?sleep=30")).send().unwrap();
    assert_eq!(response.status(), 502);
    assert!(server
        .wait_for_log("Task timed out after 2.00 seconds")
        .is_some());
    let next = client().get(server.url("/slow?sleep=0")).send().unwrap();
    assert_eq!(next.status(), 200);
    assert_eq!(next.text().unwrap(), "slept 0.0");
}

#[test]
fn oversized_request_body_is_413() {
    let server = fixture_server();
    let body = vec![b'a'; 10 * 1024 * 1024 + 1];
    let response = client()
        .post(server.url("/echo"))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[test]
fn a_response_over_6_mb_is_502_and_garbage_output_is_only_logged() {
    let server = fixture_server();
    let huge = client().get(server.url("/shape/huge")).send().unwrap();
    assert_eq!(huge.status(), 502);
    let garbage = client().get(server.url("/shape/garbage")).send().unwrap();
    assert_eq!(garbage.status(), 200);
    assert_eq!(garbage.text().unwrap(), "survived");
}

#[test]
fn malformed_http_gets_400_and_the_server_keeps_serving() {
    use std::io::{Read, Write};
    let server = fixture_server();
    let addr = server.base_url.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"GARBAGE \x00\x01 nonsense\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    assert!(
        String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    let after = client().get(server.url("/shape/empty")).send().unwrap();
    assert_eq!(after.status(), 200);
}

/// Sends a request head that announces `declared` body bytes, then `sent` of them.
fn partial_request(addr: &str, path: &str, declared: usize, sent: usize) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream
        .write_all(&vec![b' '; sent])
        .expect("part of the body");
    stream
}

#[test]
fn truncated_bodies_are_400_on_both_ports() {
    use std::io::Read;
    let server = crate::fixture_server();
    for base in [&server.base_url, &server.services_url] {
        let addr = base.trim_start_matches("http://");
        let mut stream = partial_request(addr, "/echo", 100, 10);
        // The client gives up mid-body: it sends no more, but still reads the answer.
        stream
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(
            answer.starts_with("HTTP/1.1 400"),
            "{base}: {}",
            answer.lines().next().unwrap_or_default()
        );
    }
}

#[test]
fn connections_that_stall_mid_body_cannot_keep_a_client_out() {
    let server = sluice_testkit::Server::start(
        crate::sluice(),
        &crate::fixture_template(),
        &["--max-connections", "40"],
    );
    let addr = server.base_url.trim_start_matches("http://").to_owned();
    // Five times the limit: each announces a body and sends one byte of it, then stalls.
    let stalled: Vec<_> = (0..200)
        .map(|_| partial_request(&addr, "/echo", 1000, 1))
        .collect();
    let response = crate::client()
        .get(server.url("/echo"))
        .send()
        .expect("a working client is served");
    assert_eq!(response.status(), 200);
    // The limit held: the quietest connections were closed to make room (EOF on read), long
    // before their bodies' read timeout.
    let closed = || {
        stalled
            .iter()
            .filter(|stream| {
                use std::io::Read;
                let _ = stream.set_nonblocking(true);
                let mut byte = [0u8; 1];
                matches!((&**stream).read(&mut byte), Ok(0))
            })
            .count()
    };
    // Well within the 10 s body read timeout, which would close them all anyway.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while closed() < 160 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let closed = closed();
    assert!(
        closed >= 160,
        "only {closed} of 200 stalled connections were closed at a limit of 40"
    );
}
