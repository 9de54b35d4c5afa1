//! The client that REST `HTTP` integrations and REST and HTTP API `HTTP_PROXY` integrations reach
//! their endpoints with, as the gateway's narrow `CallHttp` interface: pooled connections kept
//! across reloads, `https://` checked against the host's trust roots (the TLS configuration JWT
//! issuers' keys and `--dynamodb-endpoint` use), and the environment's proxy as
//! `--dynamodb-endpoint` honours it (only `http://` proxies are spoken).

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::uri::Scheme;
use http::Request;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioExecutor;
use sluice_apigw::outbound_proxy::{self, ProxyConnector};
use sluice_apigw::{CallHttp, HttpAnswer, HttpCallError, HttpFuture};

use crate::remote_dynamodb::error_chain;

/// The most an endpoint's answer may hold: API Gateway's 10 MB payload quota.
const MAX_ANSWER_BYTES: usize = 10 * 1024 * 1024;

/// HTTP endpoints as the target of `HTTP` and `HTTP_PROXY` integrations.
pub(crate) struct HttpEndpoints {
    /// The environment's proxy rules.
    proxies: Arc<Matcher>,
    /// `http://` endpoints.
    plain: Client<ProxyConnector, Full<Bytes>>,
    /// `https://` endpoints, made at the first one (loading the trust roots takes a moment);
    /// `None` when the host has no usable roots.
    tls: OnceLock<Option<Client<HttpsConnector<ProxyConnector>, Full<Bytes>>>>,
}

impl HttpEndpoints {
    /// A client honouring `proxies`.
    pub fn new(proxies: Matcher) -> HttpEndpoints {
        let proxies = Arc::new(proxies);
        HttpEndpoints {
            plain: Client::builder(TokioExecutor::new())
                .build(ProxyConnector::new(proxies.clone())),
            proxies,
            tls: OnceLock::new(),
        }
    }

    fn tls(&self) -> Option<&Client<HttpsConnector<ProxyConnector>, Full<Bytes>>> {
        self.tls
            .get_or_init(|| {
                let config = sluice_apigw::tls::client_config().ok()?;
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config((*config).clone())
                    .https_only()
                    .enable_http1()
                    .wrap_connector(ProxyConnector::new(self.proxies.clone()));
                Some(Client::builder(TokioExecutor::new()).build(connector))
            })
            .as_ref()
    }
}

impl CallHttp for HttpEndpoints {
    fn send(&self, request: Request<Bytes>) -> HttpFuture<'_> {
        Box::pin(async move {
            let unreachable = |reason: String| HttpCallError::Unreachable(reason);
            if let Some(proxy) = self.proxies.intercept(request.uri()) {
                if !outbound_proxy::is_supported(&proxy) {
                    return Err(unreachable(format!(
                        "the proxy {} the environment names is not an http:// proxy",
                        outbound_proxy::describe(&proxy)
                    )));
                }
            }
            let https = request.uri().scheme() == Some(&Scheme::HTTPS);
            let (parts, body) = request.into_parts();
            let request = Request::from_parts(parts, Full::new(body));
            let answer = if https {
                let Some(tls) = self.tls() else {
                    return Err(unreachable(sluice_apigw::tls::NoTrustRoots.to_string()));
                };
                tls.request(request).await
            } else {
                self.plain.request(request).await
            }
            .map_err(|e| unreachable(error_chain(&e)))?;
            let (parts, body) = answer.into_parts();
            let body = Limited::new(body, MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| unreachable(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok(HttpAnswer {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        (
                            name.as_str().to_owned(),
                            String::from_utf8_lossy(value.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_endpoint_that_refuses_connections_is_unreachable_with_the_reason() {
        // A port nothing listens on: bind one, then let it go.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let endpoints = HttpEndpoints::new(Matcher::builder().build());
        let request = Request::get(format!("http://127.0.0.1:{port}/x"))
            .body(Bytes::new())
            .expect("request");
        let Err(HttpCallError::Unreachable(reason)) = endpoints.send(request).await else {
            panic!("a refused connection answered");
        };
        assert!(reason.to_lowercase().contains("refused"), "{reason}");
    }

    #[tokio::test]
    async fn a_socks_proxy_for_the_endpoint_is_refused_with_a_reason() {
        let endpoints =
            HttpEndpoints::new(Matcher::builder().http("socks5://127.0.0.1:1080").build());
        let request = Request::get("http://backend.example/x")
            .body(Bytes::new())
            .expect("request");
        let Err(HttpCallError::Unreachable(reason)) = endpoints.send(request).await else {
            panic!("sent through a SOCKS proxy");
        };
        assert!(reason.contains("not an http:// proxy"), "{reason}");
    }
}
