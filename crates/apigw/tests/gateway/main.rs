//! The REST gateway end to end through its public API, with a fake Lambda: status codes and bodies
//! AWS answers with, the event the function receives, and golden events. One test binary, modules by
//! topic (HTTP API tests have their own).

mod errors;
mod events;
mod golden;
mod responses;

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
