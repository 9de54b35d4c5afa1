//! The gateway end to end through its public API, with a fake Lambda: status codes and bodies AWS
//! answers with, the event the function receives, and golden events.
//!
//! Long: one binary for the REST gateway's behaviours (HTTP API tests have their own); split by
//! topic like `tests/http_api/` when it next grows.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use sluice_apigw::{
    Gateway, GatewayOptions, Invoke, InvokeError, InvokeFuture, RawHeaderNames, RouteError,
};
use sluice_template::{RestApi, Route};

/// What the fake function does when invoked.
#[derive(Clone)]
enum Behaviour {
    /// Return this payload.
    Respond(&'static str),
    /// Fail as a function error (unhandled exception).
    FunctionError,
    /// Lambda refuses the invocation (throttled).
    Rejected,
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
                    payload: Bytes::from_static(
                        br#"{"errorMessage":"boom","errorType":"Exception"}"#,
                    ),
                }),
                Behaviour::Rejected => Err(InvokeError::Rejected {
                    error_type: "TooManyRequestsException".into(),
                    message: "Rate Exceeded.".into(),
                }),
                Behaviour::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(Bytes::new())
                }
            }
        })
    }
}

fn route(method: &str, path: &str, function: &str) -> Route {
    Route {
        method: method.into(),
        path: path.into(),
        function: function.into(),
        event_name: format!("{function}{method}"),
        ..Default::default()
    }
}

fn apis() -> Vec<RestApi> {
    vec![
        RestApi {
            logical_id: "ServerlessRestApi".into(),
            stage_name: "Prod".into(),
            stage_variables: BTreeMap::new(),
            binary_media_types: Vec::new(),
            cors: None,
            routes: vec![
                route("GET", "/hello", "HelloFunction"),
                route("ANY", "/items/{id}", "ItemsFunction"),
                route("ANY", "/{proxy+}", "ProxyFunction"),
            ],
        },
        RestApi {
            logical_id: "FilesApi".into(),
            stage_name: "v1".into(),
            stage_variables: BTreeMap::from([("bucket".to_owned(), "files".to_owned())]),
            binary_media_types: vec!["image/png".into()],
            cors: None,
            routes: vec![route("POST", "/files/{name}", "FilesFunction")],
        },
    ]
}

struct Harness {
    gateway: Gateway,
    lambda: Arc<FakeLambda>,
}

fn harness_with(behaviour: Behaviour, options: GatewayOptions) -> Harness {
    let lambda = Arc::new(FakeLambda {
        behaviour,
        seen: Mutex::new(Vec::new()),
    });
    let gateway = Gateway::new(&apis(), lambda.clone(), options).expect("valid routes");
    Harness { gateway, lambda }
}

fn harness(behaviour: Behaviour) -> Harness {
    harness_with(behaviour, GatewayOptions::default())
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

    /// The event the function received on its last invocation, and the function's name.
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

fn get(uri: &str) -> Request<Full<Bytes>> {
    Request::get(uri)
        .header("host", "localhost:3000")
        .body(Full::new(Bytes::new()))
        .expect("static request")
}

fn header<'r>(response: &'r Response<()>, name: &str) -> &'r str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("missing header {name}"))
}

fn assert_stamped(response: &Response<()>) {
    let request_id = header(response, "x-amzn-RequestId");
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    assert_eq!(header(response, "x-amz-apigw-id").len(), 16);
    assert!(header(response, "X-Amzn-Trace-Id").starts_with("Root=1-"));
    assert!(
        !response
            .headers()
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "the gateway never adds CORS headers to a proxy response"
    );
}

// --- errors -------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_route_is_403_missing_authentication_token() {
    let h = harness(Behaviour::Respond("{}"));
    let (response, body) = h.send(get("/").with_method("POST")).await;
    assert_eq!(response.status(), 403);
    assert_eq!(&body[..], br#"{"message":"Missing Authentication Token"}"#);
    assert_eq!(
        header(&response, "x-amzn-ErrorType"),
        "MissingAuthenticationTokenException"
    );
    assert_stamped(&response);
    assert_eq!(h.invocations(), 0);
}

/// Small helper so a GET request can change its method in one expression.
trait WithMethod {
    fn with_method(self, method: &str) -> Self;
}

impl WithMethod for Request<Full<Bytes>> {
    fn with_method(mut self, method: &str) -> Self {
        *self.method_mut() = method.parse().expect("test method");
        self
    }
}

#[tokio::test]
async fn wrong_method_on_a_literal_route_without_fallback_is_403() {
    let apis = vec![RestApi {
        logical_id: "Api".into(),
        stage_name: "Prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        routes: vec![route("GET", "/hello", "HelloFunction")],
    }];
    let lambda = Arc::new(FakeLambda {
        behaviour: Behaviour::Respond("{}"),
        seen: Mutex::new(Vec::new()),
    });
    let gateway = Gateway::new(&apis, lambda, GatewayOptions::default()).expect("valid");
    let response = gateway
        .handle(get("/hello").with_method("DELETE"), remote())
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn malformed_proxy_responses_are_502() {
    for payload in [
        r#"{"statusCode":200,"unexpected":true}"#,
        r#"{"statusCode":"two hundred"}"#,
        r#"{"multiValueHeaders":{"a":"b"}}"#,
        r#""just a string""#,
        "not json at all",
    ] {
        let leaked: &'static str = Box::leak(payload.to_owned().into_boxed_str());
        let h = harness(Behaviour::Respond(leaked));
        let (response, body) = h.send(get("/hello")).await;
        assert_eq!(response.status(), 502, "{payload}");
        assert_eq!(&body[..], br#"{"message": "Internal server error"}"#);
        assert_eq!(
            header(&response, "x-amzn-ErrorType"),
            "InternalServerErrorException"
        );
        assert_stamped(&response);
    }
}

#[tokio::test]
async fn function_error_is_502() {
    let h = harness(Behaviour::FunctionError);
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 502);
    assert_eq!(&body[..], br#"{"message": "Internal server error"}"#);
    assert_stamped(&response);
}

#[tokio::test]
async fn rejected_invocation_is_500_integration_failure() {
    let h = harness(Behaviour::Rejected);
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 500);
    assert_eq!(&body[..], br#"{"message": "Internal server error"}"#);
    assert_stamped(&response);
}

#[tokio::test]
async fn integration_timeout_is_504() {
    let h = harness_with(
        Behaviour::Hang,
        GatewayOptions {
            integration_timeout: Duration::from_millis(50),
            ..GatewayOptions::default()
        },
    );
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 504);
    assert_eq!(&body[..], br#"{"message": "Endpoint request timed out"}"#);
    assert_stamped(&response);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_declared_or_streamed() {
    let options = GatewayOptions {
        max_body_bytes: 8,
        ..GatewayOptions::default()
    };
    let h = harness_with(Behaviour::Respond("{}"), options);
    // No Content-Length: the limit applies while reading.
    let streamed = Request::post("/items/1")
        .body(Full::new(Bytes::from_static(b"0123456789")))
        .expect("static request");
    let (response, _) = h.send(streamed).await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        header(&response, "x-amzn-ErrorType"),
        "RequestTooLargeException"
    );
    assert_stamped(&response);
    // Declared too large: refused before reading, even on an unknown route.
    let declared = Request::post("/nowhere/at/all")
        .header("content-length", "9")
        .body(Full::new(Bytes::from_static(b"012345678")))
        .expect("static request");
    assert_eq!(h.send(declared).await.0.status(), 413);
    // At the limit: accepted.
    let fits = Request::post("/items/1")
        .body(Full::new(Bytes::from_static(b"01234567")))
        .expect("static request");
    assert_eq!(h.send(fits).await.0.status(), 200);
    assert_eq!(h.invocations(), 1);
}

#[test]
fn duplicate_routes_are_refused() {
    let mut apis = apis();
    apis[0]
        .routes
        .push(route("GET", "/hello/", "OtherFunction"));
    let lambda = Arc::new(FakeLambda {
        behaviour: Behaviour::Respond("{}"),
        seen: Mutex::new(Vec::new()),
    });
    let err = Gateway::new(&apis, lambda, GatewayOptions::default()).expect_err("duplicate");
    assert!(matches!(err, RouteError::Duplicate { .. }));
    let text = err.to_string();
    assert!(
        text.contains("HelloFunctionGET") && text.contains("OtherFunctionGET"),
        "{text}"
    );
}

// --- happy path and response mapping ---------------------------------------------------------

#[tokio::test]
async fn happy_path_maps_the_function_response() {
    let h = harness(Behaviour::Respond(
        r#"{"statusCode":"201","headers":{"X-Custom":"v","X-Flag":true},"multiValueHeaders":{"X-Custom":["m1","m2"]},"body":"hello"}"#,
    ));
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 201);
    assert_eq!(&body[..], b"hello");
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "x-flag"), "true");
    let custom: Vec<_> = response
        .headers()
        .get_all("x-custom")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(custom, ["m1", "m2", "v"]);
    assert_stamped(&response);
    let (function, event) = h.last_event();
    assert_eq!(function, "HelloFunction");
    assert_eq!(event["resource"], "/hello");
    // The response's request id is the event's.
    assert_eq!(
        event["requestContext"]["requestId"],
        header(&response, "x-amzn-RequestId")
    );
    assert_eq!(
        event["requestContext"]["extendedRequestId"],
        header(&response, "x-amz-apigw-id")
    );
}

#[tokio::test]
async fn binary_bodies_both_ways() {
    let h = harness(Behaviour::Respond(
        r#"{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"iVBORw==","isBase64Encoded":true}"#,
    ));
    let png = Request::post("/files/logo.png")
        .header("content-type", "image/png")
        .header("accept", "image/png")
        .body(Full::new(Bytes::from_static(&[0x89, b'P', b'N', b'G'])))
        .expect("static request");
    let (response, body) = h.send(png).await;
    assert_eq!(&body[..], &[0x89, b'P', b'N', b'G']);
    assert_eq!(header(&response, "content-type"), "image/png");
    let (function, event) = h.last_event();
    assert_eq!(function, "FilesFunction");
    assert_eq!(event["body"], "iVBORw==");
    assert_eq!(event["isBase64Encoded"], true);

    // `Accept: */*` does not match `image/png` literally: the base64 text is sent as-is.
    let any = Request::post("/files/logo.png")
        .header("content-type", "text/plain")
        .header("accept", "*/*")
        .body(Full::new(Bytes::from_static(b"plain")))
        .expect("static request");
    let (_, body) = h.send(any).await;
    assert_eq!(&body[..], b"iVBORw==");
    let (_, event) = h.last_event();
    assert_eq!(event["body"], "plain");
    assert_eq!(event["isBase64Encoded"], false);
}

// --- the event ---------------------------------------------------------------------------------

#[tokio::test]
async fn event_has_every_key_and_nulls_when_empty() {
    let h = harness(Behaviour::Respond("{}"));
    let request = Request::get("/hello")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    h.send(request).await;
    let (_, event) = h.last_event();
    let keys: Vec<&str> = event
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "resource",
            "path",
            "httpMethod",
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
            "requestContext",
            "body",
            "isBase64Encoded"
        ]
    );
    for key in [
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "body",
    ] {
        assert_eq!(event[key], Value::Null, "{key}");
    }
    let parsed: Result<aws_lambda_events::apigw::ApiGatewayProxyRequest, _> =
        serde_json::from_value(event.clone());
    assert!(
        parsed.is_ok(),
        "aws_lambda_events rejects nulls: {parsed:?}"
    );
    let context = &event["requestContext"];
    assert_eq!(context["domainName"], "localhost");
    assert!(context.get("authorizer").is_none());
    for key in [
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "sourceIp",
        "principalOrgId",
        "accessKey",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "userAgent",
        "user",
    ] {
        assert!(context["identity"].get(key).is_some(), "identity.{key}");
    }
    assert_eq!(context["identity"]["sourceIp"], "192.0.2.7");
}

#[tokio::test]
async fn event_keeps_client_header_case_when_the_server_provides_it() {
    let h = harness(Behaviour::Respond("{}"));
    let request = Request::get("/hello")
        .header("host", "localhost:3000")
        .header("authorization", "Bearer t")
        .header("x-repeat", "1")
        .header("x-repeat", "2")
        .header("content-length", "0")
        .extension(RawHeaderNames(vec![
            "Host".into(),
            "Authorization".into(),
            "X-Repeat".into(),
            "X-Repeat".into(),
            "Content-Length".into(),
        ]))
        .body(Full::new(Bytes::new()))
        .expect("static request");
    h.send(request).await;
    let (_, event) = h.last_event();
    assert_eq!(
        event["headers"],
        json!({"Host": "localhost:3000", "Authorization": "Bearer t", "X-Repeat": "2"})
    );
    assert_eq!(event["multiValueHeaders"]["X-Repeat"], json!(["1", "2"]));
    assert_eq!(event["requestContext"]["domainName"], "localhost:3000");
    assert_eq!(event["requestContext"]["domainPrefix"], "localhost");
}

#[tokio::test]
async fn event_paths_keep_encoding_trailing_slash_and_double_slash() {
    let h = harness(Behaviour::Respond("{}"));
    let rows = [
        // (uri, resource, path, requestContext.path, pathParameters)
        (
            "/items/a%2Bb",
            "/items/{id}",
            "/items/a%2Bb",
            "/Prod/items/a%2Bb",
            json!({"id": "a%2Bb"}),
        ),
        (
            "/items/7/",
            "/items/{id}",
            "/items/7/",
            "/Prod/items/7/",
            json!({"id": "7"}),
        ),
        (
            "/deep/er/path/",
            "/{proxy+}",
            "/deep/er/path/",
            "/Prod/deep/er/path/",
            json!({"proxy": "deep/er/path"}),
        ),
        ("//hello", "/hello", "/hello", "/Prod//hello", Value::Null),
    ];
    for (uri, resource, path, context_path, params) in rows {
        h.send(get(uri)).await;
        let (_, event) = h.last_event();
        assert_eq!(event["resource"], resource, "{uri}");
        assert_eq!(event["requestContext"]["resourcePath"], resource, "{uri}");
        assert_eq!(event["path"], path, "{uri}");
        assert_eq!(event["requestContext"]["path"], context_path, "{uri}");
        assert_eq!(event["pathParameters"], params, "{uri}");
    }
}

#[tokio::test]
async fn event_query_is_decoded_last_and_all() {
    let h = harness(Behaviour::Respond("{}"));
    h.send(get("/hello?a=1&a=2&q=x+y&r=x%20y&s=%2B")).await;
    let (_, event) = h.last_event();
    assert_eq!(
        event["queryStringParameters"],
        json!({"a": "2", "q": "x y", "r": "x y", "s": "+"})
    );
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"], "q": ["x y"], "r": ["x y"], "s": ["+"]})
    );
}

#[tokio::test]
async fn event_ids_are_fresh_per_request_and_stable_per_api() {
    let h = harness(Behaviour::Respond("{}"));
    h.send(get("/hello")).await;
    let (_, first) = h.last_event();
    h.send(get("/hello")).await;
    let (_, second) = h.last_event();
    let (a, b) = (&first["requestContext"], &second["requestContext"]);
    assert_ne!(a["requestId"], b["requestId"]);
    assert_ne!(a["extendedRequestId"], b["extendedRequestId"]);
    assert_eq!(a["apiId"], b["apiId"]);
    assert_eq!(a["resourceId"], b["resourceId"]);
    let api_id = a["apiId"].as_str().expect("string");
    assert_eq!(api_id.len(), 10);
    assert!(api_id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_eq!(a["resourceId"].as_str().map(str::len), Some(6));
}

// --- golden events ------------------------------------------------------------------------------

/// Build the event for a request, check that `aws_lambda_events` accepts it, and return it.
async fn golden_event(request: Request<Full<Bytes>>) -> Value {
    let h = harness(Behaviour::Respond("{}"));
    h.send(request).await;
    let (_, event) = h.last_event();
    let parsed: Result<aws_lambda_events::apigw::ApiGatewayProxyRequest, _> =
        serde_json::from_value(event.clone());
    assert!(
        parsed.is_ok(),
        "aws_lambda_events rejects the event: {parsed:?}"
    );
    event
}

macro_rules! assert_golden {
    ($name:expr, $event:expr) => {
        insta::assert_json_snapshot!($name, $event, {
            ".requestContext.requestId" => "[request id]",
            ".requestContext.extendedRequestId" => "[extended request id]",
            ".requestContext.requestTime" => "[request time]",
            ".requestContext.requestTimeEpoch" => "[request time epoch]",
        });
    };
}

#[tokio::test]
async fn golden_get_with_query() {
    let request = Request::get("/hello?name=Ada+Lovelace&tag=a&tag=b")
        .header("host", "127.0.0.1:3000")
        .header("user-agent", "curl/8.5.0")
        .header("accept", "*/*")
        .extension(RawHeaderNames(vec![
            "Host".into(),
            "User-Agent".into(),
            "Accept".into(),
        ]))
        .body(Full::new(Bytes::new()))
        .expect("static request");
    assert_golden!("get_with_query", golden_event(request).await);
}

#[tokio::test]
async fn golden_post_json_to_param_route() {
    let request = Request::post("/items/42")
        .header("host", "localhost:3000")
        .header("content-type", "application/json")
        .header("content-length", "16")
        .body(Full::new(Bytes::from_static(br#"{"name": "Test"}"#)))
        .expect("static request");
    assert_golden!("post_json_to_param_route", golden_event(request).await);
}

#[tokio::test]
async fn golden_binary_upload_with_stage_variables() {
    let request = Request::post("/files/logo.png")
        .header("host", "localhost:3000")
        .header("content-type", "image/png")
        .body(Full::new(Bytes::from_static(&[
            0x89, b'P', b'N', b'G', 0, 1,
        ])))
        .expect("static request");
    assert_golden!(
        "binary_upload_with_stage_variables",
        golden_event(request).await
    );
}

#[tokio::test]
async fn golden_greedy_proxy_with_encoded_path() {
    let request = Request::delete("/a%20b/c/")
        .header("host", "localhost:3000")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    assert_golden!(
        "greedy_proxy_with_encoded_path",
        golden_event(request).await
    );
}

// --- the handle future can be spawned ----------------------------------------------------------

#[test]
fn handle_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Gateway>();
    let h = harness(Behaviour::Respond("{}"));
    let future = h.gateway.handle(get("/hello"), remote());
    assert_send(&future);
}

/// Collects access records.
#[derive(Default)]
struct RecordedAccess(Mutex<Vec<sluice_apigw::AccessRecord>>);

impl sluice_apigw::AccessLog for RecordedAccess {
    fn record(&self, record: &sluice_apigw::AccessRecord) {
        if let Ok(mut records) = self.0.lock() {
            records.push(record.clone());
        }
    }
}

#[tokio::test]
async fn access_log_records_each_request_with_its_protocol_and_outcome() {
    let log = Arc::new(RecordedAccess::default());
    let lambda = Arc::new(FakeLambda {
        behaviour: Behaviour::Respond(r#"{"statusCode": 201}"#),
        seen: Mutex::new(Vec::new()),
    });
    let gateway = Gateway::new(&apis(), lambda, GatewayOptions::default())
        .expect("valid routes")
        .with_access_log(log.clone());
    let mut old = get("/hello?x=1");
    *old.version_mut() = http::Version::HTTP_10;
    gateway.handle(old, remote()).await;
    gateway
        .handle(get("/").with_method("DELETE"), remote())
        .await;
    let records = log.0.lock().expect("not poisoned").clone();
    let seen: Vec<_> = records
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.protocol, r.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", "/hello?x=1", "HTTP/1.0", 201),
            ("DELETE", "/", "HTTP/1.1", 403)
        ]
    );
    assert!(uuid_like(&records[0].request_id));
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}
