//! CORS as each kind of API does it: REST's generated MOCK preflight (and nothing added to proxy
//! responses), HTTP API and Function URL preflight answered by the gateway with the function's own
//! CORS headers replaced, and an explicit OPTIONS route winning over all of it.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use sluice_apigw::{Apis, Gateway, GatewayOptions};
use sluice_template::{
    Cors, FunctionUrl, FunctionUrlAuth, HttpApi, HttpRoute, InvokeMode, PayloadFormat, RestApi,
    Route,
};
use support::{remote, Behaviour, FakeLambda};

/// The function's answer: its own (wrong) CORS header, which the gateway must replace on HTTP APIs.
const FUNCTION_ANSWER: &str = r#"{"statusCode":200,"headers":{"access-control-allow-origin":"https://function.example"},"body":"ok"}"#;

fn rest_route(method: &str, path: &str, function: &str) -> Route {
    Route {
        method: method.into(),
        path: path.into(),
        function: function.into(),
        integration: Default::default(),
        event_name: format!("{function}{method}"),
        ..Default::default()
    }
}

fn http_route(method: &str, path: &str, function: &str) -> HttpRoute {
    HttpRoute {
        method: method.into(),
        path: path.into(),
        function: function.into(),
        integration: Default::default(),
        event_name: format!("{function}{method}"),
        payload_format: PayloadFormat::V2,
        timeout_ms: 30_000,
        parameter_mapping: Default::default(),
        qualifier: None,
    }
}

fn http_cors() -> Cors {
    Cors {
        allow_origins: vec!["http://allowed.test:8080".into()],
        allow_methods: vec!["GET".into(), "POST".into()],
        allow_headers: vec!["authorization".into(), "content-type".into()],
        expose_headers: vec!["x-total".into()],
        max_age: Some(300),
        allow_credentials: false,
    }
}

struct Harness {
    gateway: Gateway,
    lambda: Arc<FakeLambda>,
}

fn harness(rest: &[RestApi], http: &[HttpApi], urls: &[FunctionUrl]) -> Harness {
    harness_answering(FUNCTION_ANSWER, rest, http, urls)
}

/// A harness whose function answers `answer`.
fn harness_answering(
    answer: &'static str,
    rest: &[RestApi],
    http: &[HttpApi],
    urls: &[FunctionUrl],
) -> Harness {
    let lambda = FakeLambda::new(Behaviour::Respond(answer));
    let gateway = Gateway::serving(
        Apis {
            rest,
            http,
            function_urls: urls,
        },
        lambda.clone(),
        GatewayOptions::default(),
    )
    .expect("valid routes");
    Harness { gateway, lambda }
}

impl Harness {
    async fn send(&self, request: Request<Full<Bytes>>) -> Response<Bytes> {
        let response = self.gateway.handle(request, remote()).await;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Response::from_parts(parts, body)
    }

    fn invocations(&self) -> Vec<String> {
        self.lambda.functions()
    }
}

fn preflight(path: &str, origin: &str, method: &str, headers: &str) -> Request<Full<Bytes>> {
    Request::options(path)
        .header("host", "localhost:3000")
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .body(Full::new(Bytes::new()))
        .expect("static request")
}

fn get_from(path: &str, origin: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "localhost:3000")
        .header("origin", origin)
        .body(Full::new(Bytes::new()))
        .expect("static request")
}

fn cors_headers(response: &Response<Bytes>) -> BTreeMap<String, String> {
    response
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("access-control-"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_owned()))
        .collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

// --- REST ---------------------------------------------------------------------------------------

fn rest_api(cors: Option<Cors>) -> RestApi {
    RestApi {
        logical_id: "ServerlessRestApi".into(),
        stage_name: "Prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        routes: vec![
            rest_route("GET", "/items", "List"),
            rest_route("POST", "/items", "Create"),
            rest_route("OPTIONS", "/custom", "CustomOptions"),
            rest_route("GET", "/custom", "Custom"),
        ],
        cors,
        gateway_responses: Vec::new(),
        resource_policy: None,
    }
}

#[tokio::test]
async fn rest_cors_generates_the_mock_options_method_only() {
    let cors = Cors {
        allow_origins: vec!["*".into()],
        allow_headers: vec!["Content-Type".into()],
        ..Cors::default()
    };
    let h = harness(&[rest_api(Some(cors))], &[], &[]);
    // Any OPTIONS on a defined path, whatever its origin: SAM's MOCK integration.
    let response = h
        .send(preflight("/items", "http://anywhere.test", "DELETE", ""))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        cors_headers(&response),
        map(&[
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "GET,OPTIONS,POST"),
            ("access-control-allow-headers", "Content-Type"),
        ])
    );
    assert!(response.headers().contains_key("x-amzn-requestid"));
    assert!(h.invocations().is_empty());
    // No generated method where the API has no resource.
    let response = h
        .send(preflight("/nowhere", "http://a.test", "GET", ""))
        .await;
    assert_eq!(response.status(), 403);
    // An explicit OPTIONS route wins.
    let response = h
        .send(preflight("/custom", "http://a.test", "GET", ""))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(h.invocations(), vec!["CustomOptions".to_owned()]);
    // The proxy response carries only what the function returned.
    let response = h.send(get_from("/items", "http://a.test")).await;
    assert_eq!(
        cors_headers(&response),
        map(&[("access-control-allow-origin", "https://function.example")])
    );
}

#[tokio::test]
async fn rest_cors_preflight_fails_when_binary_media_types_catch_it() {
    // AWS (serverless-application-model#1344, powertools-lambda-python#3373): SAM's MOCK OPTIONS
    // method cannot transform a request its API treats as binary; with `*/*` that is every
    // preflight, since no Content-Type counts as application/json.
    let cors = Cors {
        allow_origins: vec!["https://example.com".into()],
        ..Cors::default()
    };
    for (types, expected) in [(vec!["*/*"], 500), (vec!["image/*"], 200)] {
        let mut api = rest_api(Some(cors.clone()));
        api.binary_media_types = types.iter().map(|t| (*t).to_owned()).collect();
        let h = harness(&[api], &[], &[]);
        let response = h
            .send(preflight("/items", "https://example.com", "GET", ""))
            .await;
        assert_eq!(response.status(), expected, "{types:?}");
        if expected == 500 {
            assert_eq!(
                response.body().as_ref(),
                br#"{"message": "Internal server error"}"#
            );
            assert!(cors_headers(&response).is_empty());
        }
        assert!(h.invocations().is_empty());
    }
}

#[tokio::test]
async fn rest_without_cors_has_no_generated_options() {
    let h = harness(&[rest_api(None)], &[], &[]);
    let response = h
        .send(preflight("/items", "http://a.test", "GET", ""))
        .await;
    assert_eq!(response.status(), 403);
}

// --- HTTP API -----------------------------------------------------------------------------------

fn http_api(cors: Option<Cors>) -> HttpApi {
    HttpApi {
        logical_id: "ServerlessHttpApi".into(),
        stage_name: "$default".into(),
        stage_variables: BTreeMap::new(),
        cors,
        routes: vec![
            http_route("GET", "/items", "List"),
            http_route("ANY", "/any/{proxy+}", "Any"),
            http_route("OPTIONS", "/custom", "CustomOptions"),
        ],
    }
}

#[tokio::test]
async fn http_api_answers_preflight_itself_for_allowed_requests_only() {
    let h = harness(&[], &[http_api(Some(http_cors()))], &[]);
    let allowed = [
        ("/items", "POST", "authorization, content-type"),
        // No route needed, not even a matching one: the gateway answers.
        ("/not/routed", "GET", ""),
        // ANY would take OPTIONS, but CORS preflight comes first.
        ("/any/thing", "GET", "Content-Type"),
    ];
    for (path, method, headers) in allowed {
        let response = h
            .send(preflight(path, "http://allowed.test:8080", method, headers))
            .await;
        assert_eq!(response.status(), 204, "{path}");
        assert!(response.body().is_empty());
        assert_eq!(
            cors_headers(&response),
            map(&[
                ("access-control-allow-origin", "http://allowed.test:8080"),
                ("access-control-allow-methods", "GET,POST"),
                ("access-control-allow-headers", "authorization,content-type"),
                ("access-control-max-age", "300"),
            ]),
            "{path}"
        );
        assert!(response.headers().contains_key("apigw-requestid"));
    }
    let refused = [
        ("http://evil.test", "GET", ""),
        ("http://allowed.test:8080", "DELETE", ""),
        ("http://allowed.test:8080", "GET", "x-secret"),
    ];
    for (origin, method, headers) in refused {
        let response = h.send(preflight("/items", origin, method, headers)).await;
        assert_eq!(response.status(), 204);
        assert!(
            cors_headers(&response).is_empty(),
            "{origin} {method} {headers}"
        );
    }
    assert!(h.invocations().is_empty());
}

#[tokio::test]
async fn http_api_replaces_the_functions_cors_headers() {
    let h = harness(&[], &[http_api(Some(http_cors()))], &[]);
    let response = h.send(get_from("/items", "http://allowed.test:8080")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        cors_headers(&response),
        map(&[
            ("access-control-allow-origin", "http://allowed.test:8080"),
            ("access-control-expose-headers", "x-total"),
        ])
    );
    let response = h.send(get_from("/items", "http://evil.test")).await;
    assert_eq!(response.status(), 200, "CORS is the browser's to enforce");
    assert!(cors_headers(&response).is_empty());
}

#[tokio::test]
async fn http_api_explicit_options_route_wins_and_no_cors_means_pass_through() {
    let h = harness(&[], &[http_api(Some(http_cors()))], &[]);
    let response = h
        .send(preflight("/custom", "http://allowed.test:8080", "GET", ""))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(h.invocations(), vec!["CustomOptions".to_owned()]);

    let h = harness(&[], &[http_api(None)], &[]);
    let response = h
        .send(preflight("/any/x", "http://allowed.test:8080", "GET", ""))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(h.invocations(), vec!["Any".to_owned()]);
    let response = h.send(get_from("/items", "http://allowed.test:8080")).await;
    assert_eq!(
        cors_headers(&response),
        map(&[("access-control-allow-origin", "https://function.example")]),
        "without CorsConfiguration the function's headers pass through"
    );
}

// --- Function URL -------------------------------------------------------------------------------

#[tokio::test]
async fn function_url_cors_works_like_http_api() {
    let url = FunctionUrl {
        function: "UrlFunction".into(),
        function_name: "url-fn".into(),
        qualifier: None,
        auth: FunctionUrlAuth::None,
        cors: Some(Cors {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["*".into()],
            ..Cors::default()
        }),
        invoke_mode: InvokeMode::Buffered,
    };
    let h = harness(&[], &[], &[url]);
    let response = h
        .send(preflight(
            "/lambda-url/url-fn/x",
            "http://a.test",
            "PUT",
            "",
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        cors_headers(&response),
        map(&[
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "*"),
        ])
    );
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let response = h
        .send(get_from("/lambda-url/url-fn/x", "http://a.test"))
        .await;
    assert_eq!(
        cors_headers(&response),
        map(&[("access-control-allow-origin", "*")])
    );
}

fn function_url(cors: Option<Cors>) -> FunctionUrl {
    FunctionUrl {
        function: "UrlFunction".into(),
        function_name: "url-fn".into(),
        qualifier: None,
        auth: FunctionUrlAuth::None,
        cors,
        invoke_mode: InvokeMode::Buffered,
    }
}

/// The preflight answer recorded from a Function URL (rimutaka/posts
/// `lambda-url-with-cloudfront`): 200, `Content-Type: application/json`, no body, `Vary: Origin`,
/// and the configured lists (not the requested headers) joined by commas.
#[tokio::test]
async fn function_url_preflight_is_the_200_lambda_answers() {
    let h = harness(
        &[],
        &[],
        &[function_url(Some(Cors {
            allow_origins: vec!["https://localhost:8080".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec![
                "authorization".into(),
                "content-type".into(),
                "x-books-authorization".into(),
            ],
            allow_credentials: true,
            ..Cors::default()
        }))],
    );
    let response = h
        .send(preflight(
            "/lambda-url/url-fn/",
            "https://localhost:8080",
            "GET",
            "authorization,x-books-authorization",
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.body().is_empty());
    let header = |name: &str| {
        response
            .headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("?").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(header("content-type"), ["application/json"]);
    assert_eq!(header("vary"), ["Origin"]);
    assert_eq!(
        cors_headers(&response),
        map(&[
            ("access-control-allow-origin", "https://localhost:8080"),
            (
                "access-control-allow-headers",
                "authorization,content-type,x-books-authorization"
            ),
            ("access-control-allow-methods", "GET,POST"),
            ("access-control-allow-credentials", "true"),
        ])
    );
    assert!(h.invocations().is_empty());
}

/// A Function URL answers `Vary: Origin` to a request with an `Origin`, with `Cors` or without
/// (recorded with a function that sets no `Vary`), once even when the function already varies on it.
#[tokio::test]
async fn function_url_answers_vary_origin_to_a_cross_origin_request() {
    let vary = |response: &Response<Bytes>| {
        response
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap_or("?").to_owned())
            .collect::<Vec<_>>()
    };
    for cors in [None, Some(http_cors())] {
        let h = harness(&[], &[], &[function_url(cors.clone())]);
        let response = h
            .send(get_from("/lambda-url/url-fn/x", "http://allowed.test:8080"))
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(vary(&response), ["Origin"], "{cors:?}");
        // No `Origin`, no CORS request: nothing recorded, nothing added.
        let response = h
            .send(
                Request::get("/lambda-url/url-fn/x")
                    .header("host", "localhost:3000")
                    .body(Full::new(Bytes::new()))
                    .expect("static request"),
            )
            .await;
        assert!(vary(&response).is_empty(), "{cors:?}");
    }
    let h = harness_answering(
        r#"{"statusCode":200,"headers":{"vary":"Accept-Encoding, origin"},"body":"ok"}"#,
        &[],
        &[],
        &[function_url(None)],
    );
    let response = h
        .send(get_from("/lambda-url/url-fn/x", "http://a.test"))
        .await;
    assert_eq!(vary(&response), ["Accept-Encoding, origin"]);
}
