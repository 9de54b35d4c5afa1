//! The fake Lambda and HTTP endpoint the gateway's test binaries share (`mod support;` in each),
//! and the harness that sends a request through a gateway built over them.

// Each test binary uses a part of this module; the rest would be dead code in that binary.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use sluice_apigw::{
    CallHttp, Gateway, HttpAnswer, HttpCallError, HttpFuture, Invoke, InvokeError, InvokeFuture,
};

/// What the fake function does when invoked.
#[derive(Clone)]
pub enum Behaviour {
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
pub struct FakeLambda {
    behaviour: Behaviour,
    seen: Mutex<Vec<(String, Bytes)>>,
    /// The Lambda request id each invocation was asked to run under, in order.
    request_ids: Mutex<Vec<Option<String>>>,
}

impl FakeLambda {
    /// A fake that answers every invocation as `behaviour` says.
    pub fn new(behaviour: Behaviour) -> Arc<FakeLambda> {
        Arc::new(FakeLambda {
            behaviour,
            seen: Mutex::new(Vec::new()),
            request_ids: Mutex::new(Vec::new()),
        })
    }

    /// The Lambda request id each invocation ran under (`None`: the invoker's choice), in order.
    pub fn request_ids(&self) -> Vec<Option<String>> {
        self.request_ids
            .lock()
            .map(|ids| ids.clone())
            .unwrap_or_default()
    }

    /// How many times a function was invoked.
    pub fn invocations(&self) -> usize {
        self.seen.lock().map(|s| s.len()).unwrap_or_default()
    }

    /// The functions invoked, in order.
    pub fn functions(&self) -> Vec<String> {
        self.seen
            .lock()
            .map(|s| s.iter().map(|(function, _)| function.clone()).collect())
            .unwrap_or_default()
    }

    /// The event the function received on its last invocation, and the function's name.
    pub fn last_event(&self) -> (String, Value) {
        let seen = self.seen.lock().expect("no test panics while locked");
        let (function, payload) = seen.last().expect("the function was invoked").clone();
        (
            function,
            serde_json::from_slice(&payload).expect("event is JSON"),
        )
    }
}

impl Invoke for FakeLambda {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        request_id: Option<&'a str>,
    ) -> InvokeFuture<'a> {
        Box::pin(async move {
            if let Ok(mut seen) = self.seen.lock() {
                seen.push((function.to_owned(), payload));
            }
            if let Ok(mut ids) = self.request_ids.lock() {
                ids.push(request_id.map(str::to_owned));
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

/// The client address every test request comes from.
pub fn remote() -> SocketAddr {
    "192.0.2.7:50123".parse().expect("static address")
}

/// A gateway and the fake Lambda behind it.
pub struct Harness {
    pub gateway: Gateway,
    pub lambda: Arc<FakeLambda>,
}

impl Harness {
    /// A fresh fake answering as `behaviour` says, and the gateway `build` makes over it.
    pub fn new(behaviour: Behaviour, build: impl FnOnce(Arc<FakeLambda>) -> Gateway) -> Harness {
        let lambda = FakeLambda::new(behaviour);
        let gateway = build(lambda.clone());
        Harness { gateway, lambda }
    }

    /// Sends `request` from [`remote`]; the response's head and its whole body.
    pub async fn send(&self, request: Request<Full<Bytes>>) -> (Response<()>, Bytes) {
        let response = self.gateway.handle(request, remote()).await;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        (Response::from_parts(parts, ()), bytes)
    }

    /// See [`FakeLambda::last_event`].
    pub fn last_event(&self) -> (String, Value) {
        self.lambda.last_event()
    }

    /// See [`FakeLambda::invocations`].
    pub fn invocations(&self) -> usize {
        self.lambda.invocations()
    }
}

/// One request an HTTP endpoint got.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its method.
    pub method: String,
    /// Its absolute URI.
    pub uri: String,
    /// Its headers, names lower case, in order.
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Bytes,
}

impl Sent {
    /// The values of header `name` (lower case), in order.
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// HTTP endpoints as `HTTP_PROXY` integrations reach them: `backend.example` answers `answer`,
/// `slow.example` never answers, any other host cannot be reached. Records every request.
pub struct FakeEndpoint {
    answer: HttpAnswer,
    sent: Mutex<Vec<Sent>>,
}

impl FakeEndpoint {
    /// An endpoint whose `backend.example` answers `answer`.
    pub fn new(answer: HttpAnswer) -> Arc<FakeEndpoint> {
        Arc::new(FakeEndpoint {
            answer,
            sent: Mutex::new(Vec::new()),
        })
    }

    /// The requests the endpoints got, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl CallHttp for FakeEndpoint {
    fn send(&self, request: Request<Bytes>) -> HttpFuture<'_> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let sent = Sent {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                        (k.as_str().to_owned(), value)
                    })
                    .collect(),
                body,
            };
            if let Ok(mut all) = self.sent.lock() {
                all.push(sent);
            }
            match parts.uri.host() {
                Some("backend.example") => Ok(self.answer.clone()),
                Some("slow.example") => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(self.answer.clone())
                }
                _ => Err(HttpCallError::Unreachable("connection refused".into())),
            }
        })
    }
}
