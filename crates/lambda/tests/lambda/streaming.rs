//! Response streaming: node's `awslambda.streamifyResponse` over the Runtime API's streaming mode.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use sluice_lambda::{InvokeResponse, Lambda, StreamingInvocation};

use crate::harness::{service, spec, Lines};

fn streamer(name: &str, handler: &str) -> sluice_lambda::FunctionSpec {
    spec(name, "nodejs20.x", handler, "node_stream")
}

async fn stream(lambda: &Lambda, function: &str, event: serde_json::Value) -> StreamingInvocation {
    match lambda
        .invoke_streaming(function, Bytes::from(event.to_string()), Default::default())
        .await
        .unwrap_or_else(|e| panic!("invoke {function}: {e}"))
    {
        InvokeResponse::Streaming(stream) => stream,
        InvokeResponse::Buffered(inv) => panic!("{function} answered buffered: {inv:?}"),
    }
}

fn reports(lines: &Lines, function: &str) -> usize {
    lines
        .of(function)
        .iter()
        .filter(|l| l.starts_with("REPORT"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_chunk_arrives_while_the_handler_still_runs() {
    let (lambda, lines) = service(vec![streamer("Gated", "index.gated")]);
    let marker = std::env::temp_dir().join(format!("sluice-gate-{}", uuid::Uuid::new_v4()));
    let mut response = stream(&lambda, "Gated", json!({ "marker": marker })).await;
    assert_eq!(response.content_type, "application/octet-stream");
    let first = response
        .body
        .recv()
        .await
        .expect("a first chunk")
        .expect("no failure");
    assert_eq!(&first[..], b"chunk 1;");
    // The handler is blocked until the marker exists: the invocation has not ended.
    assert_eq!(
        reports(&lines, "Gated"),
        0,
        "no REPORT before the stream ends"
    );
    std::fs::write(&marker, b"").unwrap();
    let mut rest = Vec::new();
    while let Some(chunk) = response.body.recv().await {
        rest.extend_from_slice(&chunk.expect("no failure"));
    }
    assert_eq!(rest, b"chunk 2");
    sluice_testkit::assert_eventually_async!(
        reports(&lines, "Gated") == 1,
        "one REPORT once the stream ended: {:?}",
        lines.of("Gated")
    );
    let _ = std::fs::remove_file(&marker);
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_response_stream_sends_its_prelude_first() {
    let (lambda, _) = service(vec![
        streamer("Prelude", "index.prelude"),
        streamer("StatusOnly", "index.statusOnly"),
    ]);
    let mut response = stream(&lambda, "Prelude", json!({})).await;
    assert_eq!(
        response.content_type,
        "application/vnd.awslambda.http-integration-response"
    );
    let mut body = Vec::new();
    while let Some(chunk) = response.body.recv().await {
        body.extend_from_slice(&chunk.unwrap());
    }
    let split = body.windows(8).position(|w| w == [0u8; 8]).expect("8 NULs");
    let prelude: serde_json::Value = serde_json::from_slice(&body[..split]).unwrap();
    assert_eq!(prelude["statusCode"], 201);
    assert_eq!(prelude["cookies"], json!(["a=1", "b=2; Path=/"]));
    assert_eq!(&body[split + 8..], b"hello streamed world");

    // A prelude with no body still goes out.
    let mut response = stream(&lambda, "StatusOnly", json!({})).await;
    let mut body = Vec::new();
    while let Some(chunk) = response.body.recv().await {
        body.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(body, b"{\"statusCode\":403}\0\0\0\0\0\0\0\0");
    lambda.shutdown().await;
}

/// aws-lambda-ric 3.3.0 (`Runtime.handleOnceStreaming`, `ResponseStream`'s fail): a streaming
/// handler rejecting with null is logged as `new Error(null)` and its trailer carries
/// `toRapidResponse(null)`, whose `null.toString()` fails: the "handled" document. Sluice
/// answered an Error "null thrown".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_rejected_with_null_fails_as_aws_lambda_ric_fails_it() {
    let (lambda, lines) = service(vec![streamer("Null", "index.rejectsNull")]);
    let mut response = stream(&lambda, "Null", json!({})).await;
    let failure = response.body.recv().await.unwrap().unwrap_err();
    assert_eq!(failure.error_type, "handled");
    let doc: serde_json::Value = serde_json::from_slice(&failure.payload).unwrap();
    assert_eq!(
        doc,
        json!({
            "errorType": "handled",
            "errorMessage": "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
        })
    );
    sluice_testkit::assert_eventually_async!(
        reports(&lines, "Null") == 1,
        "the invocation ends: {:?}",
        lines.of("Null")
    );
    let logged = lines.of("Null").join("\n");
    assert!(
        logged
            .contains("\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"null\""),
        "{logged}"
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_mid_stream_ends_the_stream_with_the_functions_error() {
    let (lambda, lines) = service(vec![
        streamer("Fails", "index.failsMidStream"),
        streamer("FailsFirst", "index.failsFirst"),
        streamer("Crashes", "index.crashesMidStream"),
    ]);
    let mut response = stream(&lambda, "Fails", json!({})).await;
    assert_eq!(
        &response.body.recv().await.unwrap().unwrap()[..],
        b"partial"
    );
    let failure = response.body.recv().await.unwrap().unwrap_err();
    assert_eq!(failure.error_type, "RangeError");
    let doc: serde_json::Value = serde_json::from_slice(&failure.payload).unwrap();
    assert_eq!(doc["errorMessage"], "broke mid-stream");
    // The trailer's document is AWS's node runtime's: the stack as `trace`.
    assert_eq!(doc["trace"][0], "RangeError: broke mid-stream", "{doc}");
    assert!(
        response.body.recv().await.is_none(),
        "nothing after the failure"
    );
    sluice_testkit::assert_eventually_async!(
        reports(&lines, "Fails") == 1,
        "the invocation ends: {:?}",
        lines.of("Fails")
    );

    // Nothing written: the stream carries only the failure.
    let mut response = stream(&lambda, "FailsFirst", json!({})).await;
    let failure = response.body.recv().await.unwrap().unwrap_err();
    assert_eq!(failure.error_type, "Error");

    // An uncaught exception outside the handler's promise ends the stream with it, and the
    // runtime process with it (as Lambda's node runtime exits on one).
    let mut response = stream(&lambda, "Crashes", json!({})).await;
    assert_eq!(
        &response.body.recv().await.unwrap().unwrap()[..],
        b"partial"
    );
    let failure = response.body.recv().await.unwrap().unwrap_err();
    assert_eq!(failure.error_type, "TypeError", "{failure:?}");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_mid_stream_ends_the_stream_and_the_sandbox() {
    let mut hangs = streamer("Hangs", "index.hangs");
    hangs.timeout = Duration::from_secs(1);
    let (lambda, lines) = service(vec![hangs]);
    let mut response = stream(&lambda, "Hangs", json!({})).await;
    assert_eq!(&response.body.recv().await.unwrap().unwrap()[..], b"first");
    let failure = response.body.recv().await.unwrap().unwrap_err();
    assert_eq!(failure.error_type, "Sandbox.Timedout");
    sluice_testkit::assert_eventually_async!(
        lines
            .of("Hangs")
            .iter()
            .any(|l| l.starts_with("REPORT") && l.contains("Status: timeout")),
        "REPORT says timeout: {:?}",
        lines.of("Hangs")
    );
    assert!(lines
        .of("Hangs")
        .iter()
        .any(|l| l.ends_with("Task timed out after 1.00 seconds")));
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_and_buffers_meet_their_callers_either_way() {
    let (lambda, _) = service(vec![
        streamer("Pipes", "index.pipes"),
        streamer("Buffered", "index.buffered"),
        streamer("Fails", "index.failsMidStream"),
    ]);
    // A handler that does not stream answers a streaming caller buffered.
    match lambda
        .invoke_streaming("Buffered", Bytes::from_static(b"{}"), Default::default())
        .await
        .unwrap()
    {
        InvokeResponse::Buffered(inv) => {
            assert_eq!(inv.function_error, None);
            assert_eq!(
                &inv.payload[..],
                br#"{"statusCode":200,"body":"not streamed"}"#
            );
        }
        InvokeResponse::Streaming(_) => panic!("a buffered handler streamed"),
    }
    // A streaming handler answers a buffered caller with its whole body, and its error.
    let inv = lambda
        .invoke("Pipes", Bytes::from_static(b"{}"))
        .await
        .unwrap();
    assert_eq!(inv.function_error, None);
    assert_eq!(&inv.payload[..], b"abc");
    let inv = lambda
        .invoke("Fails", Bytes::from_static(b"{}"))
        .await
        .unwrap();
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let doc: serde_json::Value = serde_json::from_slice(&inv.payload).unwrap();
    assert_eq!(doc["errorType"], "RangeError");
    // And the sandbox is reused after each.
    let inv = lambda
        .invoke("Pipes", Bytes::from_static(b"{}"))
        .await
        .unwrap();
    assert_eq!(&inv.payload[..], b"abc");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_holds_its_sandbox_and_concurrency_until_it_ends() {
    let mut gated = streamer("Gated", "index.gated");
    gated.reserved_concurrency = Some(1);
    let (lambda, lines) = service(vec![gated]);
    let marker = std::env::temp_dir().join(format!("sluice-gate-{}", uuid::Uuid::new_v4()));
    let event = json!({ "marker": marker });
    let mut response = stream(&lambda, "Gated", event.clone()).await;
    assert!(response.body.recv().await.unwrap().is_ok());
    // The one permitted sandbox is busy streaming: a second invocation is throttled.
    let throttled = lambda
        .invoke("Gated", Bytes::from(event.to_string()))
        .await
        .unwrap_err();
    assert_eq!(throttled.error_type(), "TooManyRequestsException");
    assert_eq!(
        reports(&lines, "Gated"),
        0,
        "the stream's invocation is still running"
    );
    std::fs::write(&marker, b"").unwrap();
    while response.body.recv().await.is_some() {}
    // The permit comes back once the stream's invocation has ended (REPORT, then the sandbox is
    // returned): until then the function stays throttled.
    let mut again = None;
    sluice_testkit::assert_eventually_async!(
        match lambda
            .invoke_streaming("Gated", Bytes::from(event.to_string()), Default::default())
            .await
        {
            Ok(InvokeResponse::Streaming(stream)) => {
                again = Some(stream);
                true
            }
            Err(e) if e.error_type() == "TooManyRequestsException" => false,
            other => panic!("unexpected answer: {other:?}"),
        },
        "the sandbox is never free again"
    );
    let mut again = again.unwrap();
    let mut body = Vec::new();
    while let Some(chunk) = again.body.recv().await {
        body.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(body, b"chunk 1;chunk 2");
    let _ = std::fs::remove_file(&marker);
    lambda.shutdown().await;
}
