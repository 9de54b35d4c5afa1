//! The Lambda Runtime API (version 2018-06-01) served to one sandbox on a loopback port:
//! one handler per endpoint, as documented by AWS.
//!
//! The listener only moves data: invocations come in through a queue from the sandbox's
//! supervisor, results go back as [`RuntimeEvent`]s. Deciding what a result means is the
//! supervisor's job.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::extensions::api as extensions_api;
use crate::lock::lock;
use crate::MAX_RESPONSE_PAYLOAD;

const PREFIX: &str = "/2018-06-01/runtime/";
const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";
mod error_type;
mod runtime_state;
mod streamed_response;
#[cfg(test)]
mod tests;

use error_type::valid_error_type;
use runtime_state::{CurrentInvocation, Phase, Transition};
use streamed_response::{streamed_response, trailer_error};

/// A runtime that streams its response says so with `streaming` in this header (and sends the
/// body chunked); a failure mid-stream arrives as the error type and body trailers.
const RESPONSE_MODE_HEADER: &str = "lambda-runtime-function-response-mode";
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("lambda-runtime-aws-request-id");
const DEADLINE_HEADER: HeaderName = HeaderName::from_static("lambda-runtime-deadline-ms");
const FUNCTION_ARN_HEADER: HeaderName =
    HeaderName::from_static("lambda-runtime-invoked-function-arn");
const TRACE_ID_HEADER: HeaderName = HeaderName::from_static("lambda-runtime-trace-id");
const CLIENT_CONTEXT_HEADER: HeaderName = HeaderName::from_static("lambda-runtime-client-context");
const TENANT_ID_HEADER: HeaderName = HeaderName::from_static("lambda-runtime-aws-tenant-id");
/// Bodies beyond the payload limit are read and discarded up to this size so the client sees
/// our 413 instead of a reset connection; beyond it the connection is dropped.
const DISCARD_LIMIT: usize = 64 * 1024 * 1024;

/// An invocation waiting to be picked up by `GET /invocation/next`.
#[derive(Debug)]
pub(crate) struct PendingInvocation {
    pub request_id: String,
    pub payload: Bytes,
    pub deadline_ms: u64,
    pub trace_id: String,
    /// The caller's client context (JSON text), sent as `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    /// The tenant a tenant-isolated function runs the invocation for, sent as
    /// `Lambda-Runtime-Aws-Tenant-Id`.
    pub tenant_id: Option<String>,
    /// A qualified `Lambda-Runtime-Invoked-Function-Arn` (`…:function:my-fn:live`); `None` for
    /// the sandbox's unqualified one.
    pub invoked_arn: Option<String>,
    /// Whether the caller takes a streamed response. AWS tells the runtime nothing (its node
    /// runtime streams whenever the handler is `streamifyResponse`d); when the caller wants the
    /// whole answer, a streamed response is read to its end here and passed on buffered.
    pub streaming: bool,
}

/// One piece of a streamed response, in the order the runtime sent it. `End`, `Failed` and
/// `TooLarge` are last; a channel that closes without one of them broke off.
#[derive(Debug)]
pub(crate) enum StreamFrame {
    /// Body bytes.
    Data(Bytes),
    /// The body ended normally.
    End,
    /// The runtime reported a failure in the trailers.
    Failed {
        error_type: Option<String>,
        body: Bytes,
    },
    /// The body passed the streamed-response limit.
    TooLarge,
}

/// What the runtime told us.
#[derive(Debug)]
pub(crate) enum RuntimeEvent {
    /// The runtime asked for its first invocation: initialisation is over.
    Ready { at: std::time::Instant },
    /// `POST /invocation/{id}/response`, read from `began` to `ended` (the Telemetry API's
    /// `responseLatency` and `responseDuration` spans).
    Response {
        request_id: String,
        body: Bytes,
        began: std::time::Instant,
        ended: std::time::Instant,
    },
    /// A response larger than Lambda allows was rejected with 413.
    ResponseTooLarge { request_id: String },
    /// A streamed `POST /invocation/{id}/response` began; its body follows on `frames`.
    Stream {
        request_id: String,
        content_type: String,
        frames: mpsc::Receiver<StreamFrame>,
    },
    /// A response whose `Lambda-Runtime-Function-Response-Mode` is neither absent nor
    /// `streaming` was refused; AWS fails the invocation with `Runtime.InvalidResponseModeHeader`.
    InvalidResponseMode { request_id: String },
    /// `POST /invocation/{id}/error`.
    Error {
        request_id: String,
        /// The request's `Content-Type`: it decides how the body becomes the caller's payload.
        content_type: Option<String>,
        body: Bytes,
    },
    /// A streamed response, read whole, whose trailers reported a failure (as
    /// [`StreamFrame::Failed`] does when it is relayed).
    TrailerError {
        request_id: String,
        error_type: Option<String>,
        body: Bytes,
    },
    /// `POST /init/error`, accepted only before the runtime's first `next`.
    InitError {
        /// As Lambda records it ([`valid_error_type`]).
        error_type: String,
        body: Bytes,
    },
}

/// Decides, once per accepted connection, whether its client may use this Runtime API.
pub(crate) trait PeerCheck: Send + Sync + 'static {
    /// Whether the client at `peer`, connected to the listener at `local`, is admitted.
    fn allows(&self, peer: SocketAddr, local: SocketAddr) -> bool;
}

/// Admits every connection (hosts where Sluice cannot tell who connects).
pub(crate) struct AnyPeer;

impl PeerCheck for AnyPeer {
    fn allows(&self, _: SocketAddr, _: SocketAddr) -> bool {
        true
    }
}

/// Shared by every connection of one sandbox's listener.
struct State {
    function_arn: String,
    /// `Lambda-Runtime-Invoked-Function-Arn`, made once: each `next` shares it.
    function_arn_header: Option<HeaderValue>,
    queue: tokio::sync::Mutex<mpsc::Receiver<PendingInvocation>>,
    /// Whether the runtime is in `next`, waiting on `queue`.
    waiting: tokio::sync::watch::Sender<bool>,
    /// Where the runtime stands, and the invocation it holds.
    phase: Mutex<Phase>,
    events: mpsc::UnboundedSender<RuntimeEvent>,
    /// The Extensions API, served on the same listener as on Lambda.
    extensions: Arc<extensions_api::Endpoint>,
}

/// A running Runtime API listener; stops when dropped.
pub(crate) struct RuntimeApi {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

/// The supervisor's ends of the listener's channels.
pub(crate) struct RuntimeChannels {
    pub invocations: mpsc::Sender<PendingInvocation>,
    pub events: mpsc::UnboundedReceiver<RuntimeEvent>,
    /// Whether the runtime is waiting in `next` for an invocation: only then has it surely
    /// not died between its last answer and its next `next`.
    pub waiting: tokio::sync::watch::Receiver<bool>,
}

impl RuntimeApi {
    /// Bind `127.0.0.1:0` and serve the Runtime API for one sandbox to the clients `peers` admits.
    pub async fn start(
        function_arn: String,
        peers: Arc<dyn PeerCheck>,
        extensions: Arc<extensions_api::Endpoint>,
    ) -> std::io::Result<(RuntimeApi, RuntimeChannels)> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (inv_tx, inv_rx) = mpsc::channel(1);
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (waiting_tx, waiting_rx) = tokio::sync::watch::channel(false);
        let state = Arc::new(State {
            function_arn_header: HeaderValue::try_from(function_arn.as_str()).ok(),
            function_arn,
            queue: tokio::sync::Mutex::new(inv_rx),
            waiting: waiting_tx,
            phase: Mutex::new(Phase::Started),
            events: ev_tx,
            extensions,
        });
        let task = tokio::spawn(serve(listener, state, peers));
        Ok((
            RuntimeApi { addr, task },
            RuntimeChannels {
                invocations: inv_tx,
                events: ev_rx,
                waiting: waiting_rx,
            },
        ))
    }

    /// The `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<State>, peers: Arc<dyn PeerCheck>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::debug!(%err, "runtime api accept failed");
                continue;
            }
        };
        // Small request/response exchanges: Nagle would add delayed-ACK latency to each.
        let _ = stream.set_nodelay(true);
        while connections.try_join_next().is_some() {}
        let state = state.clone();
        let peers = peers.clone();
        connections.spawn(async move {
            // Judged in the connection's task so a slow `/proc` never delays accepting others.
            let admitted = stream
                .local_addr()
                .is_ok_and(|local| peers.allows(peer, local));
            if !admitted {
                tracing::warn!(
                    function = %state.function_arn,
                    "Runtime API: refused a connection from a process outside the sandbox"
                );
            }
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move {
                    Ok::<_, Infallible>(if admitted {
                        route(&state, req).await
                    } else {
                        forbidden(req).await
                    })
                }
            });
            if let Err(err) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%err, "runtime api connection ended");
            }
        });
    }
}

/// Dispatch one request to its endpoint handler.
async fn route(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if extensions_api::handles(&path) {
        return state.extensions.serve(req).await;
    }
    let Some(rest) = path.strip_prefix(PREFIX) else {
        read_body(req.into_body()).await;
        return not_found();
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match (req.method(), segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next_invocation(state).await,
        (&Method::POST, ["invocation", id, "response"]) => {
            invocation_response(state, id, req).await
        }
        (&Method::POST, ["invocation", id, "error"]) => invocation_error(state, id, req).await,
        (&Method::POST, ["init", "error"]) => init_error(state, req).await,
        (_, ["invocation", "next"])
        | (_, ["invocation", _, "response" | "error"])
        | (_, ["init", "error"]) => {
            read_body(req.into_body()).await;
            error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "Method not allowed",
            )
        }
        _ => {
            // Unread bodies make hyper drop the connection; keep it usable.
            read_body(req.into_body()).await;
            not_found()
        }
    }
}

/// Any request from outside the sandbox: 403, naming nothing (no event, no request id), and
/// the connection closed.
async fn forbidden(req: Request<Incoming>) -> Response<Full<Bytes>> {
    // Bounded: a stranger's body is not worth reading in full.
    let _ = http_body_util::Limited::new(req.into_body(), 64 * 1024)
        .collect()
        .await;
    let mut response = error_response(
        StatusCode::FORBIDDEN,
        "AccessDenied",
        "Only the sandbox's own processes may use its Runtime API",
    );
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

/// `GET /runtime/invocation/next`: long-poll until the supervisor assigns an invocation.
async fn next_invocation(state: &State) -> Response<Full<Bytes>> {
    {
        let mut phase = lock(&state.phase);
        match &*phase {
            Phase::Started => {
                let _ = state.events.send(RuntimeEvent::Ready {
                    at: std::time::Instant::now(),
                });
            }
            // AWS (RIE RuntimeRunningState.Ready): `next` while an invocation is open renders
            // that invocation again, same event and headers.
            Phase::Running(current) => return render(current),
            Phase::Ready | Phase::ResponseSent(_) => {}
            Phase::InitError | Phase::InvocationResponse(_) => {
                return phase.refuse(Transition::Ready)
            }
        }
        *phase = Phase::Ready;
    }
    let pending = {
        let mut queue = state.queue.lock().await;
        let _waiting = Waiting::on(&state.waiting);
        queue.recv().await
    };
    let Some(inv) = pending else {
        // The sandbox is being stopped.
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Runtime.Shutdown",
            "Sandbox is shutting down",
        );
    };
    let PendingInvocation {
        request_id,
        payload,
        deadline_ms,
        trace_id,
        client_context,
        tenant_id,
        invoked_arn,
        streaming,
    } = inv;
    let function_arn = match invoked_arn {
        Some(arn) => owned_header(arn).ok(),
        None => state.function_arn_header.clone(),
    };
    let (Ok(request_id_header), Ok(trace_id), Some(function_arn)) = (
        owned_header(request_id.clone()),
        owned_header(trace_id),
        function_arn,
    ) else {
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "bad header",
        );
    };
    // Static names: hyper writes them lower-case either way, and parsing each name again on
    // every invocation showed in profiles.
    let mut headers = http::HeaderMap::with_capacity(8);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REQUEST_ID_HEADER, request_id_header);
    headers.insert(DEADLINE_HEADER, HeaderValue::from(deadline_ms));
    headers.insert(FUNCTION_ARN_HEADER, function_arn);
    headers.insert(TRACE_ID_HEADER, trace_id);
    // AWS: Lambda-Runtime-Client-Context / -Cognito-Identity only when the caller sent them.
    // Sluice's callers can send a client context (the Invoke API's X-Amz-Client-Context); no
    // caller has a Cognito identity yet.
    if let Some(context) = client_context.and_then(|c| owned_header(c).ok()) {
        headers.insert(CLIENT_CONTEXT_HEADER, context);
    }
    // AWS: the runtime interface clients read the tenant from this header (awslambdaric's
    // `context.tenant_id`, aws-lambda-ric's `context.tenantId`).
    if let Some(tenant) = tenant_id.and_then(|t| owned_header(t).ok()) {
        headers.insert(TENANT_ID_HEADER, tenant);
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(payload.len()));
    let current = CurrentInvocation {
        request_id,
        payload,
        headers,
        streaming,
    };
    let response = render(&current);
    *lock(&state.phase) = Phase::Running(Box::new(current));
    response
}

/// Marks the runtime as waiting in `next` while alive (a `next` whose client hung up is dropped).
struct Waiting<'a>(&'a tokio::sync::watch::Sender<bool>);

impl<'a> Waiting<'a> {
    fn on(flag: &'a tokio::sync::watch::Sender<bool>) -> Waiting<'a> {
        flag.send_replace(true);
        Waiting(flag)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.send_replace(false);
    }
}

/// The invocation's own strings move into their headers instead of being copied again.
fn owned_header(text: String) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
    HeaderValue::from_maybe_shared(Bytes::from(text))
}

/// `next`'s answer for `current`.
fn render(current: &CurrentInvocation) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(current.payload.clone()));
    *response.headers_mut() = current.headers.clone();
    response
}

/// `POST /runtime/invocation/{id}/response`.
async fn invocation_response(
    state: &State,
    id: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let began = std::time::Instant::now();
    let mode = req.headers().get(RESPONSE_MODE_HEADER).cloned();
    // AWS (RIE invocationresponse.go): only exactly `streaming`, or no header, is a mode.
    let streamed = match &mode {
        None => false,
        Some(mode) if mode.as_bytes() == STREAMING_MODE => true,
        Some(_) => return invalid_response_mode(state, id, req).await,
    };
    if streamed && is_open_streaming(state, id) {
        return streamed_response(state, id, req).await;
    }
    // The body is read before judging the id: hyper closes a connection whose request body
    // was left unread, and the runtime's keep-alive connection must survive a 400.
    let body = read_body(req.into_body()).await;
    let body = match body {
        BodyRead::Failed => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "Could not read request body",
            )
        }
        BodyRead::Complete(body, trailers) => Some((body, trailers)),
        BodyRead::TooLarge => None,
    };
    if let Some(refused) = refusal_of_answer(state, id, Transition::InvocationResponse) {
        return refused;
    }
    let Some((body, trailers)) = body else {
        let _ = state.events.send(RuntimeEvent::ResponseTooLarge {
            request_id: id.to_owned(),
        });
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE_PAYLOAD} bytes)."),
        );
    };
    // A streamed response read whole: a failure reported in its trailers fails the
    // invocation as `POST /error` would.
    let event = match trailers.as_ref().and_then(trailer_error) {
        Some((error_type, body)) => RuntimeEvent::TrailerError {
            request_id: id.to_owned(),
            error_type,
            body,
        },
        None => RuntimeEvent::Response {
            request_id: id.to_owned(),
            body,
            began,
            ended: std::time::Instant::now(),
        },
    };
    let _ = state.events.send(event);
    accepted()
}

/// `Lambda-Runtime-Function-Response-Mode: streaming`, byte for byte.
const STREAMING_MODE: &[u8] = b"streaming";

/// A response with a response mode Lambda does not know. AWS (RIE invocationresponse.go): the
/// state check comes first; then the invocation fails with `Runtime.InvalidResponseModeHeader`
/// and the runtime gets a 400, left in `InvocationResponse` (so its next `next` is refused).
async fn invalid_response_mode(
    state: &State,
    id: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    read_body(req.into_body()).await;
    {
        let mut phase = lock(&state.phase);
        if let Some(refused) = phase.refusal_of_result(id, Transition::InvocationResponse) {
            return refused;
        }
        *phase = Phase::InvocationResponse(id.to_owned());
    }
    let _ = state.events.send(RuntimeEvent::InvalidResponseMode {
        request_id: id.to_owned(),
    });
    error_response(
        StatusCode::BAD_REQUEST,
        "InvalidFunctionResponseMode",
        "Invalid function response mode",
    )
}

/// Whether `id` is the open invocation and its caller takes a streamed response.
fn is_open_streaming(state: &State, id: &str) -> bool {
    matches!(&*lock(&state.phase), Phase::Running(current) if current.request_id == id && current.streaming)
}

/// `POST /runtime/invocation/{id}/error`.
async fn invocation_error(
    state: &State,
    id: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    // Its `Lambda-Runtime-Function-Error-Type` goes unused: REPORT shows no error type for a
    // handled error, and the caller's payload is the body.
    let content_type = header_string(&req, "content-type");
    let body = match read_body(req.into_body()).await {
        BodyRead::Complete(body, _) => body,
        // An oversized or unreadable error document still fails the invocation.
        BodyRead::TooLarge | BodyRead::Failed => Bytes::new(),
    };
    if let Some(refused) = refusal_of_answer(state, id, Transition::InvocationErrorResponse) {
        return refused;
    }
    let _ = state.events.send(RuntimeEvent::Error {
        request_id: id.to_owned(),
        content_type,
        body,
    });
    accepted()
}

/// `POST /runtime/init/error`: only before the runtime's first `next`. AWS (RIE
/// RuntimeStartedState.InitError): from any other state it is a 403 and the invocation, if
/// any, carries on.
async fn init_error(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let error_type = valid_error_type(header_string(&req, ERROR_TYPE_HEADER).as_deref());
    let body = match read_body(req.into_body()).await {
        BodyRead::Complete(body, _) => body,
        BodyRead::TooLarge | BodyRead::Failed => Bytes::new(),
    };
    {
        let mut phase = lock(&state.phase);
        if !matches!(*phase, Phase::Started) {
            return phase.refuse(Transition::InitError);
        }
        *phase = Phase::InitError;
    }
    let _ = state
        .events
        .send(RuntimeEvent::InitError { error_type, body });
    accepted()
}

/// Record a result for invocation `id`, or give the refusal ([`Phase::refusal_of_result`]).
fn refusal_of_answer(
    state: &State,
    id: &str,
    transition: Transition,
) -> Option<Response<Full<Bytes>>> {
    let mut phase = lock(&state.phase);
    if let Some(refused) = phase.refusal_of_result(id, transition) {
        return Some(refused);
    }
    *phase = Phase::ResponseSent(id.to_owned());
    None
}

fn header_string(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

enum BodyRead {
    /// The body, and its trailers if it had any.
    Complete(Bytes, Option<http::HeaderMap>),
    TooLarge,
    Failed,
}

/// Read a body up to Lambda's payload limit, draining (up to a cap) what lies beyond it.
async fn read_body(mut body: Incoming) -> BodyRead {
    let mut buf = BytesMut::new();
    let mut total = 0usize;
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return BodyRead::Failed;
        };
        match frame.into_data() {
            Ok(data) => {
                total += data.len();
                if total <= MAX_RESPONSE_PAYLOAD {
                    buf.extend_from_slice(&data);
                } else if total > DISCARD_LIMIT {
                    return BodyRead::TooLarge;
                }
            }
            Err(frame) => trailers = frame.into_trailers().ok(),
        }
    }
    if total > MAX_RESPONSE_PAYLOAD {
        BodyRead::TooLarge
    } else {
        BodyRead::Complete(buf.freeze(), trailers)
    }
}

fn accepted() -> Response<Full<Bytes>> {
    json_response(
        StatusCode::ACCEPTED,
        Bytes::from_static(br#"{"status":"OK"}"#),
    )
}

fn invalid_request_id() -> Response<Full<Bytes>> {
    error_response(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID",
    )
}

fn not_found() -> Response<Full<Bytes>> {
    error_response(StatusCode::NOT_FOUND, "NotFound", "Not Found")
}

/// The Runtime API's one error encoder: `{"errorMessage","errorType"}`.
fn error_response(status: StatusCode, error_type: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "errorMessage": message, "errorType": error_type });
    json_response(status, Bytes::from(body.to_string()))
}

fn json_response(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
