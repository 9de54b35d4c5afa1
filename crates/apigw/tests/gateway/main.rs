//! The REST gateway end to end through its public API, with a fake Lambda: status codes and bodies
//! AWS answers with, the event the function receives, and golden events. One test binary, modules by
//! topic (HTTP API tests have their own).

mod errors;
mod events;
mod execution_log;
mod golden;
mod http_proxy;
mod resource_policy;
mod responses;
mod stage_access_log;
#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use serde_json::{json, Value};
use sluice_apigw::{Gateway, GatewayOptions, RawHeaderNames, RouteError};
use sluice_template::{RestApi, Route};
use support::{remote, Behaviour, FakeLambda, Harness};

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
            gateway_responses: Vec::new(),
            resource_policy: None,
        },
        RestApi {
            logical_id: "FilesApi".into(),
            stage_name: "v1".into(),
            stage_variables: BTreeMap::from([("bucket".to_owned(), "files".to_owned())]),
            binary_media_types: vec!["image/png".into()],
            cors: None,
            routes: vec![route("POST", "/files/{name}", "FilesFunction")],
            gateway_responses: Vec::new(),
            resource_policy: None,
        },
    ]
}

fn harness_with(behaviour: Behaviour, options: GatewayOptions) -> Harness {
    Harness::new(behaviour, |lambda| {
        Gateway::new(&apis(), lambda, options).expect("valid routes")
    })
}

fn harness(behaviour: Behaviour) -> Harness {
    harness_with(behaviour, GatewayOptions::default())
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

/// The headers API Gateway puts on a function's answer: its request ids and the trace id.
fn assert_stamped(response: &Response<()>) {
    assert_ids(response);
    assert!(header(response, "X-Amzn-Trace-Id").starts_with("Root=1-"));
}

/// The headers API Gateway puts on its own error responses: its request ids, and no trace id
/// (LocalStack's AWS-validated `test_apigateway_header_remapping_*` 500s; a 502 in
/// aws-amplify/amplify-js#6931).
fn assert_error_stamped(response: &Response<()>) {
    assert_ids(response);
    assert!(
        !response.headers().contains_key("x-amzn-trace-id"),
        "{:?}",
        response.headers()
    );
}

/// `x-amzn-RequestId` and `x-amz-apigw-id`, and no CORS header the function did not send.
fn assert_ids(response: &Response<()>) {
    let request_id = header(response, "x-amzn-RequestId");
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    assert_eq!(header(response, "x-amz-apigw-id").len(), 16);
    assert!(
        !response
            .headers()
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "the gateway never adds CORS headers to a proxy response"
    );
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
    let lambda = FakeLambda::new(Behaviour::Respond(r#"{"statusCode": 201}"#));
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
