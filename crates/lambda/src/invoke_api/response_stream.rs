//! `InvokeWithResponseStream` (`POST /2021-11-15/functions/{name}/response-streaming-invocations`):
//! the function's response as event-stream `PayloadChunk` events while it is written, then one
//! `InvokeComplete` (with `ErrorCode`/`ErrorDetails` when the function failed).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, SizeHint};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::function_ref::{resolve, Operation};
use super::{client_context, error, query_param, LOG_TAIL_BYTES};
use crate::{InvokeResponse, Lambda, StreamFailure};

/// The path prefix of the operation (its own API version).
pub const PREFIX: &str = "/2021-11-15/functions";

/// A buffered answer's stream content type.
const BUFFERED_CONTENT_TYPE: &str = "application/octet-stream";

/// Handles one request under [`PREFIX`].
pub async fn handle(
    lambda: &Arc<Lambda>,
    parts: &http::request::Parts,
    payload: Bytes,
) -> Response<EventStreamBody> {
    let path = parts.uri.path();
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let (&Method::POST, [name, "response-streaming-invocations"]) =
        (&parts.method, segments.as_slice())
    else {
        return whole(error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!("Sluice does not emulate {} {path}", parts.method),
        ));
    };
    let query = parts.uri.query().unwrap_or("");
    let qualifier = query_param(query, "Qualifier");
    let (name, qualifier) = match resolve(lambda, name, qualifier, Operation::Invoke) {
        Ok(found) => found,
        Err(e) => return whole(e.response(Operation::Invoke)),
    };
    let header = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let payload = if payload.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    if serde_json::from_slice::<serde::de::IgnoredAny>(&payload).is_err() {
        return whole(error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "Could not parse request body into json: Could not parse payload into json",
        ));
    }
    match header("x-amz-invocation-type") {
        "" | "RequestResponse" => {}
        "DryRun" => return whole(super::respond(StatusCode::NO_CONTENT, Bytes::new(), &[])),
        other => {
            return whole(error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                &format!("Unsupported invocation type {other:?}: use RequestResponse or DryRun"),
            ))
        }
    }
    let context = match client_context(header("x-amz-client-context")) {
        Ok(context) => context,
        Err(invalid) => return whole(invalid.into_response()),
    };
    let tail = header("x-amz-log-type") == "Tail";
    // Chosen here so the response can name the invocation before its stream ends.
    let request_id = uuid::Uuid::new_v4().to_string();
    let options = crate::InvokeOptions {
        client_context: context,
        request_id: Some(request_id.clone()),
        qualifier,
        tenant_id: super::tenant_id(header("x-amz-tenant-id")),
    };
    let executed = options.executed_version().to_owned();
    let (content_type, body) = match lambda.invoke_streaming(&name, payload, options).await {
        Err(e) => return whole(super::invoke_error(&e)),
        Ok(InvokeResponse::Streaming(stream)) => {
            (stream.content_type, EventStreamBody::streamed(stream.body))
        }
        Ok(InvokeResponse::Buffered(invocation)) => {
            let mut frames = VecDeque::new();
            let failure = match invocation.function_error {
                None => {
                    if !invocation.payload.is_empty() {
                        frames.push_back(payload_chunk(&invocation.payload));
                    }
                    None
                }
                Some(_) => Some(failure_of(&invocation.payload)),
            };
            // AWS: the log tail (last 4 KB) only with `LogType: Tail`.
            let log = tail.then(|| {
                let log = invocation.log_tail.as_bytes();
                let start = log.len().saturating_sub(LOG_TAIL_BYTES);
                base64::engine::general_purpose::STANDARD.encode(&log[start..])
            });
            frames.push_back(invoke_complete(failure.as_ref(), log.as_deref()));
            (
                BUFFERED_CONTENT_TYPE.to_owned(),
                EventStreamBody::frames(frames),
            )
        }
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    // The `Content-Type` header is the stream's (`ResponseStreamContentType`); SDKs know the body
    // is an event stream from the operation.
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&executed) {
        headers.insert("x-amz-executed-version", value);
    }
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// A whole (error) response as this operation's body.
fn whole(response: Response<Full<Bytes>>) -> Response<EventStreamBody> {
    response.map(|full| EventStreamBody(Kind::Whole(full)))
}

fn payload_chunk(bytes: &[u8]) -> Bytes {
    super::event_stream::event("PayloadChunk", "application/octet-stream", bytes)
}

/// `InvokeComplete`: the error type as `ErrorCode` and its message as `ErrorDetails` when the
/// function failed, the base64 log tail as `LogResult` when asked for.
fn invoke_complete(failure: Option<&Failure>, log: Option<&str>) -> Bytes {
    let mut fields = serde_json::Map::new();
    if let Some(failure) = failure {
        fields.insert("ErrorCode".into(), json!(failure.error_type));
        fields.insert("ErrorDetails".into(), json!(failure.message));
    }
    if let Some(log) = log {
        fields.insert("LogResult".into(), json!(log));
    }
    let payload = Value::Object(fields).to_string();
    super::event_stream::event("InvokeComplete", "application/json", payload.as_bytes())
}

/// A function's failure as `InvokeComplete` reports it.
struct Failure {
    error_type: String,
    message: String,
}

/// The error type and message of an error document (`Unhandled` when it names no type).
fn failure_of(document: &[u8]) -> Failure {
    let parsed: Value = serde_json::from_slice(document).unwrap_or(Value::Null);
    let text = |key: &str| parsed.get(key).and_then(Value::as_str).map(str::to_owned);
    Failure {
        error_type: text("errorType").unwrap_or_else(|| "Unhandled".to_owned()),
        message: text("errorMessage")
            .unwrap_or_else(|| String::from_utf8_lossy(document).into_owned()),
    }
}

/// The operation's response body: event-stream frames, written as the function streams.
#[derive(Debug)]
pub struct EventStreamBody(Kind);

#[derive(Debug)]
enum Kind {
    /// A plain (error) response.
    Whole(Full<Bytes>),
    /// Frames ready to send, then (while streaming) the function's chunks, each a `PayloadChunk`,
    /// closed by an `InvokeComplete`.
    Frames {
        ready: VecDeque<Bytes>,
        chunks: Option<mpsc::Receiver<Result<Bytes, StreamFailure>>>,
    },
}

impl EventStreamBody {
    fn frames(ready: VecDeque<Bytes>) -> Self {
        EventStreamBody(Kind::Frames {
            ready,
            chunks: None,
        })
    }

    fn streamed(chunks: mpsc::Receiver<Result<Bytes, StreamFailure>>) -> Self {
        EventStreamBody(Kind::Frames {
            ready: VecDeque::new(),
            chunks: Some(chunks),
        })
    }

    /// Type-erased, to be served beside the endpoint's other bodies.
    pub fn boxed(self) -> http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible> {
        BodyExt::boxed_unsync(self)
    }
}

impl Body for EventStreamBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let (ready, chunks) = match &mut self.get_mut().0 {
            Kind::Whole(full) => return Pin::new(full).poll_frame(cx),
            Kind::Frames { ready, chunks } => (ready, chunks),
        };
        loop {
            if let Some(frame) = ready.pop_front() {
                return Poll::Ready(Some(Ok(Frame::data(frame))));
            }
            let Some(receiver) = chunks.as_mut() else {
                return Poll::Ready(None);
            };
            match receiver.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => {
                    if !bytes.is_empty() {
                        ready.push_back(payload_chunk(&bytes));
                    }
                }
                Poll::Ready(Some(Err(failure))) => {
                    *chunks = None;
                    let failure = failure_of(&failure.payload);
                    ready.push_back(invoke_complete(Some(&failure), None));
                }
                Poll::Ready(None) => {
                    *chunks = None;
                    ready.push_back(invoke_complete(None, None));
                }
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Whole(full) => full.size_hint(),
            Kind::Frames { .. } => SizeHint::default(),
        }
    }
}
