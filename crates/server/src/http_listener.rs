//! The listeners: accept connections on a bound listener, serve each with hyper, and stop
//! gracefully when the shutdown future resolves.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sluice_apigw::{Gateway, RawHeaderNames};
use tokio::net::{TcpListener, TcpStream};

use crate::header_case::{CaseRecordingStream, HeaderNameQueue};

/// Accepts connections on `listener` until `shutdown` resolves, serving each with the
/// `(io, service)` pair `per_connection` makes for it; then waits for in-flight requests.
/// Both listeners (the API and the services endpoint) run on this one loop.
pub async fn serve_connections<I, S, F>(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    mut per_connection: F,
) where
    F: FnMut(TcpStream, SocketAddr) -> (I, S),
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::Service<
            http::Request<Incoming>,
            Response = http::Response<Full<Bytes>>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
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
        let (io, service) = per_connection(stream, remote);
        let watched = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(error) = watched.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    graceful.shutdown().await;
}

/// Serves the gateway on `listener` until `shutdown` resolves, then waits for in-flight requests.
/// `current` gives the gateway of the current generation; each request uses the one it got.
pub async fn serve_gateway(
    listener: TcpListener,
    current: impl Fn() -> Arc<Gateway> + Clone + Send + Sync + 'static,
    shutdown: impl Future<Output = ()>,
) {
    serve_connections(listener, shutdown, move |stream, remote| {
        let queue = HeaderNameQueue::default();
        let io = TokioIo::new(CaseRecordingStream::new(stream, queue.clone()));
        let current = current.clone();
        let service = service_fn(move |mut request: http::Request<Incoming>| {
            let names = queue.pop();
            let gateway = current();
            async move {
                if let Some(names) = names {
                    request.extensions_mut().insert(RawHeaderNames(names));
                }
                Ok::<_, Infallible>(gateway.handle(request, remote).await)
            }
        });
        (io, service)
    })
    .await;
}
