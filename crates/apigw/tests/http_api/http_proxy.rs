//! HTTP API `HTTP_PROXY` integrations: the request passes to the endpoint with the route's path
//! variables in its URI (or the path an `overwrite:path` map gives), `X-Forwarded-*` folded into
//! `Forwarded`; the endpoint's answer comes back with the API's CORS; a refused connection and a
//! slow endpoint answer as AWS does.

use std::sync::Arc;

use super::*;
use sluice_apigw::HttpAnswer;
use sluice_template::{
    Cors, HttpIntegration, HttpProxy, MapAction, MapTarget, MappingValue, ParameterMap,
    ParameterMapping, ValuePart,
};
use support::FakeEndpoint;

const BINARY: &[u8] = &[0x89, b'P', b'N', b'G', 0x00, 0xff, 0xfe];

fn proxy_route(method: &str, path: &str, uri: &str) -> HttpRoute {
    HttpRoute {
        integration: HttpIntegration::HttpProxy(HttpProxy {
            method: "ANY".into(),
            uri: uri.into(),
            request_parameters: BTreeMap::new(),
        }),
        ..route(method, path, "")
    }
}

fn proxied(endpoint: &Arc<FakeEndpoint>) -> Harness {
    let api = HttpApi {
        logical_id: "ProxyApi".into(),
        stage_name: "$default".into(),
        stage_variables: BTreeMap::from([("version".to_owned(), "v1".to_owned())]),
        cors: Some(Cors {
            allow_origins: vec!["https://app.example".into()],
            ..Cors::default()
        }),
        routes: vec![
            // AWS docs, "Create HTTP proxy integrations for HTTP APIs".
            proxy_route(
                "ANY",
                "/pets/{proxy+}",
                "https://backend.example/${stageVariables.version}/{proxy}",
            ),
            HttpRoute {
                parameter_mapping: ParameterMapping {
                    request: vec![ParameterMap {
                        action: MapAction::Overwrite,
                        target: MapTarget::Path,
                        value: MappingValue(vec![
                            ValuePart::Text("/items/".into()),
                            ValuePart::RequestPathParameter("id".into()),
                        ]),
                    }],
                    response: Vec::new(),
                },
                ..proxy_route(
                    "GET",
                    "/rewritten/{id}",
                    "http://backend.example/ignored?v=2",
                )
            },
            proxy_route("GET", "/down", "http://down.example/x"),
            HttpRoute {
                timeout_ms: 50,
                ..proxy_route("GET", "/slow", "http://slow.example/x")
            },
        ],
    };
    let endpoint = endpoint.clone();
    Harness::new(Behaviour::Respond("{}"), move |lambda| {
        let apis = Apis {
            http: &[api],
            ..Apis::default()
        };
        Gateway::serving(apis, lambda, GatewayOptions::default())
            .expect("valid routes")
            .with_http(endpoint)
    })
}

fn endpoint() -> Arc<FakeEndpoint> {
    FakeEndpoint::new(HttpAnswer {
        status: 202,
        headers: [
            ("Content-Type", "image/png"),
            ("Server", "backend/1.0"),
            ("WWW-Authenticate", "Basic"),
            ("Content-Length", "7"),
            ("Connection", "keep-alive"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
        body: Bytes::from_static(BINARY),
    })
}

#[tokio::test]
async fn the_request_passes_to_the_endpoint_and_its_answer_comes_back() {
    let endpoint = endpoint();
    let h = proxied(&endpoint);
    let request = request("PUT", "/pets/a/b%20c?q=1&q=2")
        .header("origin", "https://app.example")
        .header("x-custom", "kept")
        .header("x-forwarded-for", "198.51.100.1, 2001:db8::1")
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/octet-stream")
        .body(Full::new(Bytes::from_static(BINARY)))
        .expect("static request");
    let (response, body) = h.send(request).await;

    let sent = endpoint.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let sent = &sent[0];
    assert_eq!(sent.method, "PUT");
    assert_eq!(sent.uri, "https://backend.example/v1/a/b%20c?q=1&q=2");
    assert_eq!(sent.body.as_ref(), BINARY);
    assert_eq!(sent.header("x-custom"), ["kept"]);
    assert_eq!(sent.header("content-type"), ["application/octet-stream"]);
    assert_eq!(
        sent.header("forwarded"),
        [r#"for=198.51.100.1,for="[2001:db8::1]",for=192.0.2.7;host="localhost:3000";proto=http"#]
    );
    for gone in ["host", "x-forwarded-for", "x-forwarded-proto"] {
        assert!(sent.header(gone).is_empty(), "{gone}: {sent:?}");
    }
    assert_eq!(sent.header("x-amzn-trace-id").len(), 1, "{sent:?}");

    assert_eq!(response.status(), 202);
    assert_eq!(body.as_ref(), BINARY);
    // HTTP APIs relay the endpoint's headers (no remapping), but for the connection-level ones.
    assert_eq!(header(&response, "content-type"), Some("image/png"));
    assert_eq!(header(&response, "server"), Some("backend/1.0"));
    assert_eq!(header(&response, "www-authenticate"), Some("Basic"));
    assert_eq!(header(&response, "connection"), None);
    assert!(header(&response, "apigw-requestid").is_some());
    // The API's CORS applies to the proxied answer.
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(h.invocations(), 0);
}

/// `overwrite:path` replaces the URI's path; the URI's own query comes first.
#[tokio::test]
async fn overwrite_path_replaces_the_path_of_the_integration_uri() {
    let endpoint = endpoint();
    let h = proxied(&endpoint);
    let (response, _) = h.send(get("/rewritten/7?x=1")).await;
    assert_eq!(response.status(), 202);
    assert_eq!(
        endpoint.sent()[0].uri,
        "http://backend.example/items/7?v=2&x=1"
    );
}

#[tokio::test]
async fn an_endpoint_that_refuses_or_is_slow_answers_as_aws_does() {
    let endpoint = endpoint();
    let h = proxied(&endpoint);
    let (response, body) = h.send(get("/down")).await;
    assert_eq!(
        (response.status().as_u16(), body.as_ref()),
        (500, br#"{"message":"Internal Server Error"}"#.as_slice())
    );
    let (response, body) = h.send(get("/slow")).await;
    assert_eq!(
        (response.status().as_u16(), body.as_ref()),
        (503, br#"{"message":"Service Unavailable"}"#.as_slice())
    );
}
