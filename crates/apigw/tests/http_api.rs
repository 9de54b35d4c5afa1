//! HTTP APIs and Function URLs through the gateway's public API, with a fake Lambda: routing,
//! the payload 2.0 event (golden, and as `aws_lambda_events` reads it), response inference and
//! the answers AWS gives when things go wrong.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use sluice_apigw::{
    function_url_id, Apis, Gateway, GatewayOptions, Invoke, InvokeError, InvokeFuture,
};
use sluice_template::{
    FunctionUrl, FunctionUrlAuth, HttpApi, HttpRoute, InvokeMode, PayloadFormat, RestApi, Route,
};

/// What the fake function does when invoked.
#[derive(Clone)]
enum Behaviour {
    /// Return this payload.
    Respond(&'static str),
    /// Fail as a function error (unhandled exception).
    FunctionError,
    /// Never answer within any test timeout.
    Hang,
}

/// A Lambda stand-in that records every invocation.
struct FakeLambda {
    behaviour: Behaviour,
    seen: Mutex<Vec<(String, Bytes)>>,
}

impl Invoke for FakeLambda {
    fn invoke<'a>(&'a self, function: &'a str, payload: Bytes) -> InvokeFuture<'a> {
        Box::pin(async move {
            if let Ok(mut seen) = self.seen.lock() {
                seen.push((function.to_owned(), payload));
            }
            match &self.behaviour {
                Behaviour::Respond(text) => Ok(Bytes::from_static(text.as_bytes())),
                Behaviour::FunctionError => Err(InvokeError::Function {
                    payload: Bytes::from_static(br#"{"errorMessage":"boom"}"#),
                }),
                Behaviour::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(Bytes::new())
                }
            }
        })
    }
}

fn route(method: &str, path: &str, function: &str) -> HttpRoute {
    HttpRoute {
        method: method.into(),
        path: path.into(),
        function: function.into(),
        event_name: format!("{function}Event"),
        payload_format: PayloadFormat::V2,
        timeout_ms: 30_000,
    }
}

fn http_apis() -> Vec<HttpApi> {
    vec![
        HttpApi {
            logical_id: "ServerlessHttpApi".into(),
            stage_name: "$default".into(),
            stage_variables: BTreeMap::new(),
            cors: None,
            routes: vec![
                route("GET", "/items/{id}", "GetItem"),
                route("GET", "/items/special", "Special"),
                route("ANY", "/{proxy+}", "AnyProxy"),
                route("POST", "/files/{proxy+}", "Files"),
                route("ANY", "$default", "Default"),
                HttpRoute {
                    payload_format: PayloadFormat::V1,
                    ..route("GET", "/v1/{name}", "V1Function")
                },
                HttpRoute {
                    timeout_ms: 50,
                    ..route("GET", "/slow", "Slow")
                },
            ],
        },
        HttpApi {
            logical_id: "StagedApi".into(),
            stage_name: "v1".into(),
            stage_variables: BTreeMap::from([("table".to_owned(), "items".to_owned())]),
            cors: None,
            routes: vec![route("GET", "/staged", "Staged")],
        },
    ]
}

fn function_urls() -> Vec<FunctionUrl> {
    vec![
        FunctionUrl {
            function: "UrlFunction".into(),
            function_name: "url-fn".into(),
            auth: FunctionUrlAuth::None,
            cors: None,
            invoke_mode: InvokeMode::Buffered,
        },
        FunctionUrl {
            function: "PrivateFunction".into(),
            function_name: "private-fn".into(),
            auth: FunctionUrlAuth::AwsIam,
            cors: None,
            invoke_mode: InvokeMode::Buffered,
        },
    ]
}

struct Harness {
    gateway: Gateway,
    lambda: Arc<FakeLambda>,
}

fn harness_for(behaviour: Behaviour, rest: &[RestApi]) -> Harness {
    let lambda = Arc::new(FakeLambda {
        behaviour,
        seen: Mutex::new(Vec::new()),
    });
    let gateway = Gateway::serving(
        Apis {
            rest,
            http: &http_apis(),
            function_urls: &function_urls(),
        },
        lambda.clone(),
        GatewayOptions::default(),
    )
    .expect("valid routes");
    Harness { gateway, lambda }
}

fn harness(behaviour: Behaviour) -> Harness {
    harness_for(behaviour, &[])
}

fn remote() -> SocketAddr {
    "192.0.2.7:50123".parse().expect("static address")
}

impl Harness {
    async fn send(&self, request: Request<Full<Bytes>>) -> (Response<()>, Bytes) {
        let response = self.gateway.handle(request, remote()).await;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        (Response::from_parts(parts, ()), bytes)
    }

    /// The function and event of the last invocation.
    fn last_event(&self) -> (String, Value) {
        let seen = self
            .lambda
            .seen
            .lock()
            .expect("no test panics while locked");
        let (function, payload) = seen.last().expect("the function was invoked").clone();
        (
            function,
            serde_json::from_slice(&payload).expect("event is JSON"),
        )
    }

    fn invocations(&self) -> usize {
        self.lambda.seen.lock().map(|s| s.len()).unwrap_or_default()
    }
}

fn request(method: &str, uri: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost:3000")
}

fn get(uri: &str) -> Request<Full<Bytes>> {
    request("GET", uri)
        .body(Full::new(Bytes::new()))
        .expect("static request")
}

fn header<'r>(response: &'r Response<()>, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

// --- routing ------------------------------------------------------------------------------------

#[tokio::test]
async fn routing_priority_exact_then_greedy_then_default() {
    let h = harness(Behaviour::Respond("{}"));
    let rows: &[(&str, &str, &str, &str)] = &[
        ("GET", "/items/special", "Special", "GET /items/special"),
        ("GET", "/items/42", "GetItem", "GET /items/{id}"),
        ("DELETE", "/items/42", "AnyProxy", "ANY /{proxy+}"),
        ("POST", "/files/a/b", "Files", "POST /files/{proxy+}"),
        ("GET", "/files/a/b", "AnyProxy", "ANY /{proxy+}"),
        // `/{proxy+}` needs a segment: the root falls through to `$default`.
        ("GET", "/", "Default", "$default"),
    ];
    for (method, path, function, route_key) in rows {
        let request = request(method, path)
            .body(Full::new(Bytes::new()))
            .expect("static request");
        let (response, _) = h.send(request).await;
        assert_eq!(response.status(), 200, "{method} {path}");
        let (invoked, event) = h.last_event();
        assert_eq!(invoked, *function, "{method} {path}");
        assert_eq!(event["routeKey"], *route_key, "{method} {path}");
        assert_eq!(event["requestContext"]["routeKey"], *route_key);
    }
}

#[tokio::test]
async fn without_a_matching_route_an_http_api_answers_404_not_found() {
    let lambda = Arc::new(FakeLambda {
        behaviour: Behaviour::Respond("{}"),
        seen: Mutex::new(Vec::new()),
    });
    let api = HttpApi {
        routes: vec![route("GET", "/only", "Only")],
        ..http_apis().remove(0)
    };
    let gateway = Gateway::serving(
        Apis {
            http: &[api],
            ..Apis::default()
        },
        lambda.clone(),
        GatewayOptions::default(),
    )
    .expect("valid routes");
    let response = gateway.handle(get("/nowhere"), remote()).await;
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("apigw-requestid"));
    assert!(!response.headers().contains_key("x-amzn-errortype"));
    let body = response.into_body().collect().await.map(|c| c.to_bytes());
    assert_eq!(&body.unwrap_or_default()[..], br#"{"message":"Not Found"}"#);
    assert!(lambda.seen.lock().map(|s| s.is_empty()).unwrap_or(false));
}

#[tokio::test]
async fn a_template_with_a_rest_api_answers_unrouted_requests_as_rest() {
    let rest = RestApi {
        logical_id: "ServerlessRestApi".into(),
        stage_name: "Prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        routes: vec![Route {
            method: "GET".into(),
            path: "/rest".into(),
            function: "RestFunction".into(),
            event_name: "Rest".into(),
        }],
    };
    let lambda = Arc::new(FakeLambda {
        behaviour: Behaviour::Respond("{}"),
        seen: Mutex::new(Vec::new()),
    });
    let api = HttpApi {
        routes: vec![route("GET", "/http", "Http")],
        ..http_apis().remove(0)
    };
    let gateway = Gateway::serving(
        Apis {
            rest: &[rest],
            http: &[api],
            function_urls: &[],
        },
        lambda,
        GatewayOptions::default(),
    )
    .expect("valid routes");
    let response = gateway.handle(get("/nowhere"), remote()).await;
    assert_eq!(response.status(), 403);
    // Each matched route still answers in its own API's dialect.
    let response = gateway.handle(get("/http"), remote()).await;
    assert!(response.headers().contains_key("apigw-requestid"));
    let response = gateway.handle(get("/rest"), remote()).await;
    assert!(response.headers().contains_key("x-amzn-requestid"));
}

// --- the payload 2.0 event ----------------------------------------------------------------------

/// The event for a request with everything in it, with the per-request values replaced.
#[tokio::test]
async fn golden_v2_event() {
    let h = harness(Behaviour::Respond("{}"));
    let request = request("POST", "/items/a%20b?x=1&x=2&q=a+b&flag")
        .header("content-type", "application/json")
        .header("user-agent", "curl/8.0")
        .header("X-Custom", "one")
        .header("x-custom", "two")
        .header("cookie", "a=1; b=2")
        .header("cookie", "c=3")
        .header("connection", "keep-alive")
        .body(Full::new(Bytes::from_static(br#"{"hello":"world"}"#)))
        .expect("static request");
    let (response, _) = h.send(request).await;
    assert_eq!(response.status(), 200);
    let (function, event) = h.last_event();
    assert_eq!(function, "AnyProxy");
    insta::assert_json_snapshot!("http_api_v2_post", event, {
        ".requestContext.requestId" => "[request id]",
        ".requestContext.time" => "[time]",
        ".requestContext.timeEpoch" => "[epoch ms]",
        ".headers[\"x-amzn-trace-id\"]" => "[trace id]",
    });
}

#[tokio::test]
async fn v2_event_reads_as_aws_lambda_events_request() {
    let h = harness(Behaviour::Respond("{}"));
    let request = request("PUT", "/items/7?a=1&a=2")
        .header("user-agent", "ua/1")
        .header("x-multi", "p")
        .header("x-multi", "q")
        .header("cookie", "s=1; t=2")
        .header("content-type", "image/png")
        .body(Full::new(Bytes::from_static(&[0x89, b'P', b'N', b'G'])))
        .expect("static request");
    h.send(request).await;
    let (_, event) = h.last_event();
    let parsed: ApiGatewayV2httpRequest =
        serde_json::from_value(event.clone()).expect("aws_lambda_events accepts the event");
    assert_eq!(parsed.version.as_deref(), Some("2.0"));
    assert_eq!(parsed.route_key.as_deref(), Some("ANY /{proxy+}"));
    assert_eq!(parsed.raw_path.as_deref(), Some("/items/7"));
    assert_eq!(parsed.raw_query_string.as_deref(), Some("a=1&a=2"));
    assert_eq!(
        parsed.cookies,
        Some(vec!["s=1".to_owned(), "t=2".to_owned()])
    );
    assert_eq!(parsed.headers["x-multi"], "p,q");
    assert!(!parsed.headers.contains_key("cookie"));
    // AWS joins repeated values with commas; the consumer splits them again.
    assert_eq!(event["queryStringParameters"]["a"], "1,2");
    assert_eq!(
        parsed.query_string_parameters.all("a"),
        Some(vec!["1", "2"])
    );
    assert_eq!(parsed.path_parameters["proxy"], "items/7");
    assert!(parsed.is_base64_encoded, "binary bodies arrive base64");
    assert_eq!(parsed.body.as_deref(), Some("iVBORw=="));
    let context = &parsed.request_context;
    assert_eq!(context.account_id.as_deref(), Some("123456789012"));
    assert_eq!(context.stage.as_deref(), Some("$default"));
    assert_eq!(context.http.method, http::Method::PUT);
    assert_eq!(context.http.path.as_deref(), Some("/items/7"));
    assert_eq!(context.http.source_ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(context.http.user_agent.as_deref(), Some("ua/1"));
    assert_eq!(context.domain_name.as_deref(), Some("localhost:3000"));
    assert_eq!(context.domain_prefix.as_deref(), Some("localhost"));
    assert!(context.time_epoch > 1_600_000_000_000, "milliseconds");
    assert!(context.authorizer.is_none());
    assert!(
        event["requestContext"].get("authorizer").is_none(),
        "absent, not null"
    );
}

#[tokio::test]
async fn empty_parts_are_omitted_and_named_stages_prefix_the_path() {
    let h = harness(Behaviour::Respond("{}"));
    h.send(get("/staged")).await;
    let (_, event) = h.last_event();
    for absent in ["cookies", "queryStringParameters", "pathParameters", "body"] {
        assert!(event.get(absent).is_none(), "{absent} is omitted: {event}");
    }
    assert_eq!(event["rawQueryString"], "");
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["rawPath"], "/v1/staged");
    assert_eq!(event["requestContext"]["http"]["path"], "/v1/staged");
    assert_eq!(event["requestContext"]["stage"], "v1");
    assert_eq!(event["stageVariables"]["table"], "items");
    assert_eq!(event["headers"]["content-length"], "0");
    assert_eq!(event["headers"]["x-forwarded-for"], "192.0.2.7");
    assert_eq!(event["headers"]["x-forwarded-port"], "3000");
}

#[tokio::test]
async fn payload_1_0_routes_get_the_1_0_event() {
    let h = harness(Behaviour::Respond(r#"{"statusCode":201,"body":"ok"}"#));
    let request = request("GET", "/v1/ada?x=1")
        .header("X-Custom", "v")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    let (response, body) = h.send(request).await;
    assert_eq!(response.status(), 201);
    assert_eq!(&body[..], b"ok");
    let (function, event) = h.last_event();
    assert_eq!(function, "V1Function");
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["resource"], "/v1/{name}");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["headers"]["x-custom"], "v");
    assert_eq!(event["multiValueQueryStringParameters"]["x"][0], "1");
    assert_eq!(event["pathParameters"]["name"], "ada");
    assert_eq!(event["requestContext"]["resourceId"], "GET /v1/{name}");
    assert_eq!(event["requestContext"]["path"], "/v1/ada");
    assert_eq!(event["requestContext"]["stage"], "$default");
    assert_eq!(
        event["requestContext"]["requestId"].as_str(),
        header(&response, "apigw-requestid")
    );
}

// --- responses and errors -----------------------------------------------------------------------

#[tokio::test]
async fn responses_are_inferred_and_cookies_set() {
    let h = harness(Behaviour::Respond(r#"{"hello":"world"}"#));
    let (response, body) = h.send(get("/items/1")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(&body[..], br#"{"hello":"world"}"#);
    let request_id = header(&response, "apigw-requestid").expect("stamped");
    assert_eq!(request_id.len(), 16);
    assert!(header(&response, "x-amzn-requestid").is_none());

    let h = harness(Behaviour::Respond(
        r#"{"statusCode":302,"headers":{"location":"/x"},"cookies":["a=1","b=2; Secure"]}"#,
    ));
    let (response, _) = h.send(get("/items/1")).await;
    assert_eq!(response.status(), 302);
    let cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(cookies, vec!["a=1", "b=2; Secure"]);
    assert_eq!(header(&response, "location"), Some("/x"));
}

#[tokio::test]
async fn function_errors_and_bad_answers_are_500() {
    for behaviour in [
        Behaviour::FunctionError,
        Behaviour::Respond(r#"{"statusCode":"abc"}"#),
        Behaviour::Respond("not json"),
    ] {
        let h = harness(behaviour);
        let (response, body) = h.send(get("/items/1")).await;
        assert_eq!(response.status(), 500);
        assert_eq!(&body[..], br#"{"message":"Internal Server Error"}"#);
        assert!(header(&response, "apigw-requestid").is_some());
    }
}

#[tokio::test]
async fn a_route_timeout_is_503_service_unavailable() {
    let h = harness(Behaviour::Hang);
    let (response, body) = h.send(get("/slow")).await;
    assert_eq!(response.status(), 503);
    assert_eq!(&body[..], br#"{"message":"Service Unavailable"}"#);
}

// --- Function URLs ------------------------------------------------------------------------------

#[tokio::test]
async fn function_url_by_path_and_by_host() {
    let h = harness(Behaviour::Respond(r#"{"statusCode":200,"body":"hi"}"#));
    let by_path = request("POST", "/lambda-url/url-fn/some/path?x=1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(b"{}")))
        .expect("static request");
    let (response, body) = h.send(by_path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(&body[..], b"hi");
    let request_id = header(&response, "x-amzn-requestid").expect("stamped");
    assert!(uuid::Uuid::parse_str(request_id).is_ok());
    let (function, event) = h.last_event();
    assert_eq!(function, "UrlFunction");
    assert_eq!(event["rawPath"], "/some/path");
    assert_eq!(event["routeKey"], "$default");
    assert_eq!(event["requestContext"]["accountId"], "anonymous");
    assert_eq!(
        event["requestContext"]["apiId"],
        function_url_id("UrlFunction")
    );
    assert_eq!(event["requestContext"]["requestId"], request_id);
    assert_eq!(event["requestContext"]["authentication"], Value::Null);
    assert_eq!(event["pathParameters"], Value::Null);
    assert_eq!(event["stageVariables"], Value::Null);
    assert_eq!(event["body"], "{}");
    let parsed: ApiGatewayV2httpRequest =
        serde_json::from_value(event).expect("aws_lambda_events accepts the event");
    assert_eq!(parsed.query_string_parameters.first("x"), Some("1"));

    let host = format!(
        "{}.lambda-url.us-east-1.localhost:3000",
        function_url_id("UrlFunction")
    );
    // A body without Content-Type arrives base64, as Function URLs send it.
    let by_host = Request::put("/items/1")
        .header("host", host.as_str())
        .body(Full::new(Bytes::from_static(b"plain")))
        .expect("static request");
    let (response, _) = h.send(by_host).await;
    assert_eq!(response.status(), 200);
    let (function, event) = h.last_event();
    assert_eq!(function, "UrlFunction");
    assert_eq!(
        event["rawPath"], "/items/1",
        "the HTTP API's routes do not apply"
    );
    assert_eq!(event["requestContext"]["domainName"], host);
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "cGxhaW4=");
}

#[tokio::test]
async fn function_url_failure_is_502_text() {
    let h = harness(Behaviour::FunctionError);
    let (response, body) = h.send(get("/lambda-url/url-fn/")).await;
    assert_eq!(response.status(), 502);
    assert_eq!(&body[..], b"Internal Server Error");
}

#[tokio::test]
async fn aws_iam_function_urls_fail_closed() {
    let h = harness(Behaviour::Respond("{}"));
    let signed = request("GET", "/lambda-url/private-fn/")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
        )
        .body(Full::new(Bytes::new()))
        .expect("static request");
    for request in [get("/lambda-url/private-fn/"), signed] {
        let (response, body) = h.send(request).await;
        assert_eq!(response.status(), 403);
        assert_eq!(&body[..], br#"{"Message":"Forbidden"}"#);
    }
    assert_eq!(h.invocations(), 0);
}

// --- bad input ----------------------------------------------------------------------------------

mod bad_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Odd bytes in paths, queries, cookies and headers (invalid percent-encoding, non-UTF-8
        /// header values, huge query strings) never panic, and every event still reads as
        /// `aws_lambda_events` expects.
        #[test]
        fn odd_requests_still_build_readable_events(
            path in "/[a-z%0-9/{}+.~ -]{0,40}",
            query in "[a-z%=&+;0-9]{0,2000}",
            cookie in proptest::collection::vec(any::<u8>().prop_filter("header bytes", |b| *b >= 0x20 && *b != 0x7f), 0..40),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let h = harness(Behaviour::Respond("{}"));
            let uri = format!("{}?{query}", path.replace(' ', "%20"));
            let Ok(request) = request("GET", &uri)
                .header("cookie", http::HeaderValue::from_bytes(&cookie).expect("filtered bytes"))
                .body(Full::new(Bytes::new()))
            else {
                // Not a URI hyper would ever hand the gateway.
                return Ok(());
            };
            let (response, _) = runtime.block_on(h.send(request));
            prop_assert!(response.status() == 200 || response.status() == 404);
            if h.invocations() > 0 {
                let (_, event) = h.last_event();
                let parsed: Result<ApiGatewayV2httpRequest, _> = serde_json::from_value(event);
                prop_assert!(parsed.is_ok(), "{parsed:?}");
            }
        }
    }
}
