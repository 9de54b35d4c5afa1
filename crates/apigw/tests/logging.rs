//! What the gateway logs. A test binary of its own: `tracing` caches per-callsite interest
//! process-wide, so a thread-local subscriber only sees events reliably when no other test runs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use sluice_apigw::{Gateway, GatewayOptions, Invoke, InvokeError, InvokeFuture};
use sluice_template::{RestApi, Route};

/// A log sink: everything written while the subscriber is installed.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.0.lock() {
            log.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Answers a malformed proxy response for `/bad`, a function error for anything else.
struct BrokenLambda;

impl Invoke for BrokenLambda {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        _payload: Bytes,
        _: Option<&'a str>,
    ) -> InvokeFuture<'a> {
        Box::pin(async move {
            if function == "Bad" {
                Ok(Bytes::from_static(br#"{"statusCode":200,"bogus":1}"#))
            } else {
                Err(InvokeError::Function {
                    payload: Bytes::from_static(br#"{"errorMessage":"boom"}"#),
                })
            }
        })
    }
}

fn route(path: &str, function: &str) -> Route {
    Route {
        method: "GET".into(),
        path: path.into(),
        function: function.into(),
        event_name: "Get".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn every_502_logs_its_reason_as_a_warning() {
    let log = CapturedLog::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    // The test runtime is current-thread, so the thread's default subscriber sees the gateway.
    let _guard = tracing::subscriber::set_default(subscriber);
    let apis = [RestApi {
        logical_id: "Api".into(),
        stage_name: "Prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        routes: vec![route("/bad", "Bad"), route("/boom", "Boom")],
        gateway_responses: Vec::new(),
        resource_policy: None,
    }];
    let gateway = Gateway::new(&apis, Arc::new(BrokenLambda), GatewayOptions::default())
        .expect("valid routes");
    let remote = "127.0.0.1:1".parse().expect("static address");
    for path in ["/bad", "/boom"] {
        let request = Request::get(path)
            .body(Full::new(Bytes::new()))
            .expect("static request");
        assert_eq!(gateway.handle(request, remote).await.status(), 502);
    }
    let text = log
        .0
        .lock()
        .map(|l| String::from_utf8_lossy(&l).into_owned())
        .unwrap_or_default();
    assert!(text.contains("WARN"), "{text}");
    assert!(
        text.contains(
            "Execution failed due to configuration error: Malformed Lambda proxy response"
        ) && text.contains("bogus"),
        "{text}"
    );
    assert!(
        text.contains("customer function error") && text.contains("boom"),
        "{text}"
    );
}
