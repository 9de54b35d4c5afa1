//! The listeners: accept connections on a bound listener, serve each with hyper, and stop
//! gracefully when the shutdown future resolves.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sluice_apigw::{
    AccessLog, AccessRecord, Gateway, PinnedFunctionUrl, RawHeaderNames, ResponseBody,
};
use tokio::net::{TcpListener, TcpStream};

use crate::connections::{ConnectionLimit, Tracked};
use crate::console::Console;
use crate::header_case::{CaseRecordingStream, HeaderNameQueue};
use crate::static_files::StaticFiles;
use crate::terminal_log::TerminalLog;
use crate::traffic::request_slot;

/// Accepts connections on `listener` until `shutdown` resolves, serving each with the
/// `(io, service)` pair `per_connection` makes for it; then waits for in-flight requests.
/// Both listeners (the API and the services endpoint) run on this one loop.
pub async fn serve_connections<I, S, F, B>(
    listener: TcpListener,
    limit: Arc<ConnectionLimit>,
    shutdown: impl Future<Output = ()>,
    mut per_connection: F,
) where
    F: FnMut(Tracked<TcpStream>, SocketAddr) -> (I, S),
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::Service<
            http::Request<Incoming>,
            Response = http::Response<B>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // EMFILE and friends: back off briefly rather than spin or exit.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // At the limit this closes the quietest connection, so this one is served.
        let slot = limit.admit();
        let stream = Tracked::new(stream, slot.activity.clone());
        let (io, service) = per_connection(stream, remote);
        let watched = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            tokio::select! {
                served = watched => {
                    if let Err(error) = served {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                }
                // Dropping the connection closes its socket.
                () = slot.activity.closed() => {}
            }
            drop(slot);
        });
    }
    graceful.shutdown().await;
}

/// What the API port answers besides the gateway, and where it logs.
pub(crate) struct Served {
    /// Access lines of requests the gateway does not log itself (static files).
    pub log: Arc<TerminalLog>,
    /// `--static-dir` files, answered before routing.
    pub static_files: Option<Arc<StaticFiles>>,
    /// The local console, answered before routing under its prefix.
    pub console: Option<Arc<Console>>,
    /// The function whose URL this listener serves alone (`start-function-urls`).
    pub pinned: Option<String>,
}

/// Serves the gateway on `listener` until `shutdown` resolves, then waits for in-flight requests.
/// `current` gives the gateway of the current generation; each request uses the one it got.
/// The console and files in `static_files` answer first, as SAM CLI's `--static-dir` does.
pub async fn serve_gateway(
    listener: TcpListener,
    limit: Arc<ConnectionLimit>,
    current: impl Fn() -> Arc<Gateway> + Clone + Send + Sync + 'static,
    served: Served,
    shutdown: impl Future<Output = ()>,
) {
    let served = Arc::new(served);
    serve_connections(listener, limit, shutdown, move |stream, remote| {
        let queue = HeaderNameQueue::default();
        let io = TokioIo::new(CaseRecordingStream::new(stream, queue.clone()));
        let current = current.clone();
        let served = served.clone();
        let service = service_fn(move |mut request: http::Request<Incoming>| {
            let names = queue.pop();
            let gateway = current();
            let served = served.clone();
            async move {
                if let Some(names) = names {
                    request.extensions_mut().insert(RawHeaderNames(names));
                }
                if let Some(function) = &served.pinned {
                    request
                        .extensions_mut()
                        .insert(PinnedFunctionUrl(function.clone()));
                }
                let handled = handle(&gateway, &served, request, remote);
                Ok::<_, Infallible>(handled.await)
            }
        });
        (io, service)
    })
    .await;
}

/// The console or a static file if one answers (logged here), else the gateway (which logs its
/// own requests, with the invocation it made: the request slot joins the two).
async fn handle(
    gateway: &Gateway,
    served: &Served,
    request: http::Request<Incoming>,
    remote: SocketAddr,
) -> http::Response<ResponseBody> {
    let started = Instant::now();
    let path = request.uri().path();
    let response = match &served.console {
        Some(console) if console.claims(path) => Some(
            console
                .respond(request.method(), path, request.uri().query())
                .await,
        ),
        _ => served
            .static_files
            .as_deref()
            .and_then(|files| files.respond(request.method(), path)),
    };
    let Some(response) = response else {
        return request_slot::scope(gateway.handle(request, remote)).await;
    };
    served.log.record(&AccessRecord {
        request_id: String::new(),
        method: request.method().to_string(),
        path: request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        protocol: "HTTP/1.1",
        status: response.status().as_u16(),
        elapsed: started.elapsed(),
        ..AccessRecord::default()
    });
    response.map(ResponseBody::from)
}
