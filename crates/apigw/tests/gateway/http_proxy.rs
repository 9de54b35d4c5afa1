//! REST `HTTP_PROXY` integrations: the client's request reaches the endpoint (method, the greedy
//! path through `integration.request.path.proxy`, query, headers, a binary body) and the
//! endpoint's answer comes back, its identity headers remapped; a refused connection and a slow
//! endpoint answer as AWS does.

use super::*;
use sluice_apigw::HttpAnswer;
use sluice_template::HttpProxy;
use support::FakeEndpoint;

/// Bytes that are no UTF-8, to show the body travels untouched both ways.
const BINARY: &[u8] = &[0x89, b'P', b'N', b'G', 0x00, 0xff, 0xfe];

fn proxy_route(method: &str, path: &str, uri: &str, parameters: &[(&str, &str)]) -> Route {
    Route {
        method: method.into(),
        path: path.into(),
        event_name: format!("{method} {path}"),
        integration: sluice_template::Integration::HttpProxy(HttpProxy {
            method: "ANY".into(),
            uri: uri.into(),
            request_parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }),
        ..Default::default()
    }
}

fn proxied_api() -> RestApi {
    RestApi {
        logical_id: "ProxyApi".into(),
        stage_name: "Prod".into(),
        stage_variables: BTreeMap::from([("base".to_owned(), "base".to_owned())]),
        binary_media_types: Vec::new(),
        cors: None,
        routes: vec![
            // AWS docs, "HTTP integrations for REST APIs": `/{proxy+}` on ANY → `…/{proxy}`.
            proxy_route(
                "ANY",
                "/api/{proxy+}",
                "http://backend.example/${stageVariables.base}/{proxy}",
                &[
                    (
                        "integration.request.path.proxy",
                        "method.request.path.proxy",
                    ),
                    ("integration.request.header.X-Mapped", "'literal'"),
                    ("integration.request.querystring.extra", "'yes'"),
                ],
            ),
            proxy_route("GET", "/down", "http://down.example/x", &[]),
            Route {
                timeout_ms: Some(50),
                ..proxy_route("GET", "/slow", "http://slow.example/x", &[])
            },
        ],
        gateway_responses: Vec::new(),
        resource_policy: None,
    }
}

fn endpoint() -> Arc<FakeEndpoint> {
    FakeEndpoint::new(HttpAnswer {
        status: 201,
        headers: [
            ("Content-Type", "image/png"),
            ("X-Backend", "yes"),
            ("Date", "Mon, 30 Nov 2026 08:24:26 GMT"),
            ("Server", "backend/1.0"),
            ("x-amzn-RequestId", "backend-id"),
            ("Content-Length", "7"),
            ("Via", "1.1 somewhere"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
        body: Bytes::from_static(BINARY),
    })
}

fn proxied(endpoint: &Arc<FakeEndpoint>) -> Harness {
    let endpoint = endpoint.clone();
    Harness::new(Behaviour::Respond("{}"), move |lambda| {
        Gateway::new(&[proxied_api()], lambda, GatewayOptions::default())
            .expect("valid routes")
            .with_http(endpoint)
    })
}

#[tokio::test]
async fn the_clients_request_reaches_the_endpoint_and_its_answer_comes_back() {
    let endpoint = endpoint();
    let h = proxied(&endpoint);
    let request = Request::post("/api/a/b%20c?q=1&q=2")
        .header("host", "localhost:3000")
        .header("x-custom", "kept")
        .header("user-agent", "test/integration")
        .header("content-type", "application/octet-stream")
        .header("x-forwarded-for", "198.51.100.1")
        .header("via", "1.1 client-proxy")
        .header("content-encoding", "identity")
        .body(Full::new(Bytes::from_static(BINARY)))
        .expect("static request");
    let (response, body) = h.send(request).await;

    let sent = endpoint.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let sent = &sent[0];
    assert_eq!(sent.method, "POST");
    // The greedy path keeps the client's encoding; the client's query, then the mapped one.
    assert_eq!(
        sent.uri,
        "http://backend.example/base/a/b%20c?q=1&q=2&extra=yes"
    );
    assert_eq!(sent.body.as_ref(), BINARY);
    for (name, value) in [
        ("x-custom", "kept"),
        // The client's User-Agent wins over the gateway's (the AWS-validated snapshot).
        ("user-agent", "test/integration"),
        ("accept", "application/json"),
        ("content-type", "application/octet-stream"),
        ("x-mapped", "literal"),
        ("x-forwarded-for", "198.51.100.1, 192.0.2.7"),
        ("x-forwarded-port", "3000"),
        ("x-forwarded-proto", "http"),
    ] {
        assert_eq!(sent.header(name), [value], "{name}: {sent:?}");
    }
    for gateways in ["x-amzn-trace-id", "x-amzn-apigateway-api-id"] {
        assert_eq!(sent.header(gateways).len(), 1, "{gateways}: {sent:?}");
    }
    for gone in ["host", "via", "content-encoding"] {
        assert!(sent.header(gone).is_empty(), "{gone}: {sent:?}");
    }

    assert_eq!(response.status(), 201);
    assert_eq!(body.as_ref(), BINARY);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-backend"], "yes");
    assert_eq!(
        headers["x-amzn-remapped-date"],
        "Mon, 30 Nov 2026 08:24:26 GMT"
    );
    assert_eq!(headers["x-amzn-remapped-server"], "backend/1.0");
    assert_eq!(headers["x-amzn-remapped-content-length"], "7");
    assert_eq!(headers["x-amzn-remapped-x-amzn-requestid"], "backend-id");
    assert_ne!(headers["x-amzn-requestid"], "backend-id");
    assert!(!headers.contains_key("via"));
    assert_eq!(h.invocations(), 0);
}

/// An `HTTP_PROXY` answer carries the endpoint's own `X-Amzn-Trace-Id`, if any, never the
/// gateway's (LocalStack's AWS-validated `test_apigateway_header_remapping_http[HTTP_PROXY]` lists
/// none; `test_http_integration_with_lambda[HTTP_PROXY]`, whose endpoint is a Lambda URL, its
/// endpoint's).
#[tokio::test]
async fn the_endpoints_trace_id_passes_and_the_gateway_adds_none() {
    let h = proxied(&endpoint());
    let (response, _) = h.send(get("/api/x")).await;
    assert_eq!(response.status(), 201);
    assert!(
        !response.headers().contains_key("x-amzn-trace-id"),
        "{:?}",
        response.headers()
    );
    assert!(response.headers().contains_key("x-amzn-requestid"));

    let traced = FakeEndpoint::new(HttpAnswer {
        status: 200,
        headers: vec![("X-Amzn-Trace-Id".into(), "Root=1-endpoint".into())],
        body: Bytes::new(),
    });
    let (response, _) = proxied(&traced).send(get("/api/x")).await;
    let traces: Vec<_> = response
        .headers()
        .get_all("x-amzn-trace-id")
        .iter()
        .collect();
    assert_eq!(traces, ["Root=1-endpoint"]);
}

#[tokio::test]
async fn an_endpoint_that_refuses_or_is_slow_answers_as_aws_does() {
    let endpoint = endpoint();
    let h = proxied(&endpoint);
    let (response, body) = h.send(get("/down")).await;
    assert_eq!(
        (response.status().as_u16(), body.as_ref()),
        (500, br#"{"message": "Internal server error"}"#.as_slice())
    );
    let (response, body) = h.send(get("/slow")).await;
    assert_eq!(
        (response.status().as_u16(), body.as_ref()),
        (
            504,
            br#"{"message": "Endpoint request timed out"}"#.as_slice()
        )
    );
    // A gateway nobody gave an HTTP client answers as for an integration it does not run.
    let bare = Harness::new(Behaviour::Respond("{}"), |lambda| {
        Gateway::new(&[proxied_api()], lambda, GatewayOptions::default()).expect("valid routes")
    });
    let (response, _) = bare.send(get("/api/x")).await;
    assert_eq!(response.status(), 500);
}

/// An `integration.request.header` mapping of a header the gateway owns fails as on AWS.
#[tokio::test]
async fn mapping_a_header_the_gateway_owns_is_a_500() {
    let endpoint = endpoint();
    let api = RestApi {
        routes: vec![proxy_route(
            "GET",
            "/owned",
            "http://backend.example/x",
            &[("integration.request.header.X-Amzn-Trace-Id", "'mine'")],
        )],
        ..proxied_api()
    };
    let h = Harness::new(Behaviour::Respond("{}"), |lambda| {
        Gateway::new(&[api], lambda, GatewayOptions::default())
            .expect("valid routes")
            .with_http(endpoint.clone())
    });
    let (response, _) = h.send(get("/owned")).await;
    assert_eq!(response.status(), 500);
    assert!(endpoint.sent().is_empty());
}
