//! The listener over raw HTTP, as a runtime drives it.

use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{AnyPeer, PendingInvocation, RuntimeApi, RuntimeChannels, RuntimeEvent};
use crate::extensions::api::{Endpoint, FunctionInfo};
use crate::extensions::Registry;

async fn start() -> (RuntimeApi, RuntimeChannels) {
    let endpoint = Arc::new(Endpoint {
        registry: Arc::new(Registry::new(Vec::new())),
        telemetry: Arc::new(crate::extensions::Telemetry::new(false)),
        function: FunctionInfo {
            version: "$LATEST",
            name: "f".to_owned(),
            handler: "h".to_owned(),
            account_id: "123456789012".to_owned(),
        },
    });
    RuntimeApi::start(
        "arn:aws:lambda:us-east-1:123456789012:function:f".to_owned(),
        Arc::new(AnyPeer),
        endpoint,
    )
    .await
    .unwrap()
}

/// One request on its own connection: the status and the body.
async fn exchange(api: &RuntimeApi, head: &str, body: &str) -> (u16, serde_json::Value) {
    let mut stream = tokio::net::TcpStream::connect(api.address()).await.unwrap();
    let request = format!(
        "{head}\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap_or_default())
}

fn invocation(id: &str) -> PendingInvocation {
    PendingInvocation {
        request_id: id.to_owned(),
        payload: Bytes::from_static(b"{}"),
        deadline_ms: 1,
        trace_id: "Root=1-0-0".to_owned(),
        client_context: None,
        tenant_id: None,
        invoked_arn: None,
        streaming: false,
    }
}

#[tokio::test]
async fn an_unknown_response_mode_fails_the_invocation_and_leaves_the_runtime_mid_response() {
    let (api, mut channels) = start().await;
    channels.invocations.send(invocation("id-1")).await.unwrap();
    let (status, _) = exchange(&api, "GET /2018-06-01/runtime/invocation/next HTTP/1.1", "").await;
    assert_eq!(status, 200);
    // Case matters: AWS takes exactly `streaming`.
    let (status, body) = exchange(
        &api,
        "POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: Streaming",
        "\"m\"",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        serde_json::json!({
            "errorMessage": "Invalid function response mode",
            "errorType": "InvalidFunctionResponseMode",
        })
    );
    assert!(matches!(
        channels.events.recv().await,
        Some(RuntimeEvent::Ready { .. })
    ));
    assert!(matches!(
        channels.events.recv().await,
        Some(RuntimeEvent::InvalidResponseMode { request_id }) if request_id == "id-1"
    ));
    let (status, body) =
        exchange(&api, "GET /2018-06-01/runtime/invocation/next HTTP/1.1", "").await;
    assert_eq!(status, 403);
    assert_eq!(
        body["errorMessage"],
        "State transition from InvocationResponse to Ready failed for runtime. Error: State transition is not allowed"
    );
}

#[tokio::test]
async fn init_error_is_refused_once_the_runtime_asked_for_work() {
    let (api, mut channels) = start().await;
    channels.invocations.send(invocation("id-1")).await.unwrap();
    exchange(&api, "GET /2018-06-01/runtime/invocation/next HTTP/1.1", "").await;
    let (status, body) = exchange(&api, "POST /2018-06-01/runtime/init/error HTTP/1.1", "{}").await;
    assert_eq!(status, 403);
    assert_eq!(body["errorType"], "InvalidStateTransition");
    let (status, _) = exchange(
        &api,
        "POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1",
        "1",
    )
    .await;
    assert_eq!(status, 202);
    assert!(matches!(
        channels.events.recv().await,
        Some(RuntimeEvent::Ready { .. })
    ));
    // No init error reached the supervisor: the response is next.
    assert!(matches!(
        channels.events.recv().await,
        Some(RuntimeEvent::Response { request_id, .. }) if request_id == "id-1"
    ));
}

/// The supervisor sees when the runtime waits in `next`, and when it stops waiting: having
/// taken an invocation, or having hung up.
#[tokio::test]
async fn the_runtime_waiting_in_next_is_signalled() {
    let (api, mut channels) = start().await;
    assert!(!*channels.waiting.borrow());
    let next = exchange(&api, "GET /2018-06-01/runtime/invocation/next HTTP/1.1", "");
    let assign = async {
        channels.waiting.wait_for(|w| *w).await.unwrap();
        channels.invocations.send(invocation("id-1")).await.unwrap();
    };
    let ((status, _), ()) = tokio::join!(next, assign);
    assert_eq!(status, 200);
    assert!(!*channels.waiting.borrow());
    let (status, _) = exchange(
        &api,
        "POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1",
        "1",
    )
    .await;
    assert_eq!(status, 202);
    let mut hung_up = tokio::net::TcpStream::connect(api.address()).await.unwrap();
    hung_up
        .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // id-1 answered, this `next` waits for a new invocation.
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        channels.waiting.wait_for(|w| *w),
    )
    .await
    .expect("the second `next` waits")
    .unwrap();
    drop(hung_up);
    let gone = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        channels.waiting.wait_for(|w| !*w),
    )
    .await;
    assert!(gone.is_ok(), "a hung-up `next` still counts as waiting");
}
