//! Outbound connections (JWT issuers' keys, `--dynamodb-endpoint`) that go through the proxy
//! the environment names, read as curl and the AWS CLI read it (`HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY`, `NO_PROXY`, lower-case forms):
//! `https://` destinations are tunnelled with `CONNECT`; `http://` ones are sent to the proxy
//! whole, in absolute form, as the AWS SDKs send them. hyper-util's matcher and tunnel do the
//! work; this connector only picks between them per destination, so the pooled client above it
//! keeps its connections (a tunnel is a connection like any other).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::uri::Scheme;
use http::Uri;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A TCP connector that honours the environment's proxy for each destination.
#[derive(Clone)]
pub struct ProxyConnector {
    /// Which destinations go through which proxy.
    proxies: Arc<Matcher>,
    /// Opens the TCP connections (to the destination, or to the proxy).
    tcp: HttpConnector,
}

impl ProxyConnector {
    /// A connector for `proxies`' rules.
    pub fn new(proxies: Arc<Matcher>) -> ProxyConnector {
        let mut tcp = HttpConnector::new();
        // The TLS layer above reads `https://` URIs; the TCP connector must let them through.
        tcp.enforce_http(false);
        ProxyConnector { proxies, tcp }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxiedStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxiedStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut tcp = self.tcp.clone();
        let proxy = self.proxies.intercept(&dst);
        Box::pin(async move {
            let (io, absolute_form) = match proxy {
                None => (tcp.call(dst).await?, false),
                Some(proxy) if dst.scheme() == Some(&Scheme::HTTPS) => {
                    let mut tunnel = Tunnel::new(proxy.uri().clone(), tcp);
                    if let Some(auth) = proxy.basic_auth() {
                        tunnel = tunnel.with_auth(auth.clone());
                    }
                    (tunnel.call(dst).await?, false)
                }
                Some(proxy) => (tcp.call(proxy.uri().clone()).await?, true),
            };
            Ok(ProxiedStream { io, absolute_form })
        })
    }
}

/// `proxy`'s URL for messages (the matcher keeps its credentials apart, never in the URL).
pub fn describe(proxy: &Intercept) -> String {
    proxy.uri().to_string().trim_end_matches('/').to_owned()
}

/// Whether Sluice can speak to `proxy`: an `http://` proxy (HTTP `CONNECT` or absolute-form
/// requests). SOCKS and TLS-to-the-proxy are not spoken.
pub fn is_supported(proxy: &Intercept) -> bool {
    proxy.uri().scheme() == Some(&Scheme::HTTP)
}

/// A connection to the destination, direct or through the proxy.
pub struct ProxiedStream {
    io: TokioIo<TcpStream>,
    /// Requests on it name their whole URL (`POST http://host/ HTTP/1.1`): it leads to an HTTP
    /// proxy, not to the destination or a tunnel.
    absolute_form: bool,
}

impl ProxiedStream {
    /// The TCP connection, for a caller that layers TLS over it itself.
    pub fn into_tcp(self) -> TcpStream {
        self.io.into_inner()
    }
}

impl Connection for ProxiedStream {
    fn connected(&self) -> Connected {
        // hyper-util's client writes absolute-form request targets on proxied connections.
        self.io.connected().proxy(self.absolute_form)
    }
}

impl hyper::rt::Read for ProxiedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for ProxiedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
