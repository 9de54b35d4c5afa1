//! HTTP APIs and Function URLs through the gateway's public API, with a fake Lambda: routing,
//! the payload 2.0 event (golden, and as `aws_lambda_events` reads it), response inference and
//! the answers AWS gives when things go wrong. One test binary, modules by topic.

mod bad_input;
mod events;
mod function_urls;
mod responses;
mod routing;
mod streaming;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use sluice_apigw::{Apis, Gateway, GatewayOptions, Invoke, InvokeError, InvokeFuture};
use sluice_template::{
    FunctionUrl, FunctionUrlAuth, HttpApi, HttpRoute, InvokeMode, PayloadFormat, RestApi,
};

/// What the fake function does when invoked.
#[derive(Clone)]
pub(crate) enum Behaviour {
    /// Return this payload.
    Respond(&'static str),
    /// Fail as a function error (unhandled exception).
    FunctionError,
    /// Never answer within any test timeout.
    Hang,
}

/// A Lambda stand-in that records every invocation.
pub(crate) struct FakeLambda {
    pub(crate) behaviour: Behaviour,
    pub(crate) seen: Mutex<Vec<(String, Bytes)>>,
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

pub(crate) fn route(method: &str, path: &str, function: &str) -> HttpRoute {
    HttpRoute {
        method: method.into(),
        path: path.into(),
        function: function.into(),
        event_name: format!("{function}Event"),
        payload_format: PayloadFormat::V2,
        timeout_ms: 30_000,
    }
}

pub(crate) fn http_apis() -> Vec<HttpApi> {
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

pub(crate) fn function_urls() -> Vec<FunctionUrl> {
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

pub(crate) struct Harness {
    pub(crate) gateway: Gateway,
    pub(crate) lambda: Arc<FakeLambda>,
}

pub(crate) fn harness_for(behaviour: Behaviour, rest: &[RestApi]) -> Harness {
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

pub(crate) fn harness(behaviour: Behaviour) -> Harness {
    harness_for(behaviour, &[])
}

pub(crate) fn remote() -> SocketAddr {
    "192.0.2.7:50123".parse().expect("static address")
}

impl Harness {
    pub(crate) async fn send(&self, request: Request<Full<Bytes>>) -> (Response<()>, Bytes) {
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
    pub(crate) fn last_event(&self) -> (String, Value) {
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

    pub(crate) fn invocations(&self) -> usize {
        self.lambda.seen.lock().map(|s| s.len()).unwrap_or_default()
    }
}

pub(crate) fn request(method: &str, uri: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost:3000")
}

pub(crate) fn get(uri: &str) -> Request<Full<Bytes>> {
    request("GET", uri)
        .body(Full::new(Bytes::new()))
        .expect("static request")
}

pub(crate) fn header<'r>(response: &'r Response<()>, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}
