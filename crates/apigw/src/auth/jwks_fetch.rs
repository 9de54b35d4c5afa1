//! Fetching an issuer's public keys over HTTPS, as API Gateway does for issuers it does not host:
//! an OIDC issuer's `{issuer}/.well-known/openid-configuration` names its `jwks_uri` (and, to be
//! used, the very issuer it was fetched for); a Cognito pool publishes its keys at
//! `{issuer}/.well-known/jwks.json`.
//!
//! One small client (hyper's HTTP/1 connection over [`crate::tls::client_config`]). Only
//! `https://` is spoken: AWS fetches keys from HTTPS issuers only. Behind a proxy, the fetch
//! tunnels through the one `HTTPS_PROXY` (or `ALL_PROXY`) names, unless `NO_PROXY` lists the
//! host, read as curl reads them: a developer's machine on a corporate network reaches an
//! issuer only that way.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::jwt::{Jwks, JwksError};
use crate::outbound_proxy::{self, ProxyConnector};

/// Longest a whole fetch (connect, handshake, request, body) may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest discovery or JWKS document read; real ones are a few KB.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Where an issuer's keys are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    /// An OIDC issuer (HTTP API JWT authorizers): its discovery document names the `jwks_uri`.
    Discovery {
        /// The issuer URL (the tokens' `iss`).
        issuer: String,
    },
    /// A JWKS document's own URL (a Cognito pool's `…/.well-known/jwks.json`).
    Jwks {
        /// The document's URL.
        url: String,
    },
}

impl KeyLocation {
    /// The URL fetched first, for messages.
    pub fn url(&self) -> String {
        match self {
            KeyLocation::Discovery { issuer } => discovery_url(issuer),
            KeyLocation::Jwks { url } => url.clone(),
        }
    }
}

/// Why an issuer's keys could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum JwksFetchError {
    /// Not an `https://` URL (API Gateway fetches keys only over HTTPS).
    #[error("{0} is not an https:// URL (API Gateway fetches keys from https:// issuers only)")]
    NotHttps(String),
    /// The host's trust roots could not be loaded.
    #[error(transparent)]
    NoRoots(#[from] crate::tls::NoTrustRoots),
    /// Connecting, the TLS handshake or the exchange failed.
    #[error("{url}: {message}")]
    Connect {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The fetch took longer than its limit.
    #[error("{0}: timed out")]
    Timeout(String),
    /// The server answered with a status other than 2xx.
    #[error("{url}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// Its status.
        status: u16,
    },
    /// The discovery document is not JSON or has no string `jwks_uri`.
    #[error("{0}: no jwks_uri in the OpenID configuration")]
    Discovery(String),
    /// The discovery document names another issuer: OIDC Discovery 1.0 §4.3 forbids using it.
    #[error("{url}: the OpenID configuration names the issuer {published:?}, not the configured {configured:?} (they must be identical, trailing `/` included)")]
    IssuerMismatch {
        /// The discovery document's URL.
        url: String,
        /// The authorizer's issuer.
        configured: String,
        /// The document's `issuer` (empty when it has none).
        published: String,
    },
    /// The key set is not a usable JWKS.
    #[error("{url}: {source}")]
    Jwks {
        /// The URL.
        url: String,
        /// Why it is not usable.
        source: JwksError,
    },
}

/// Fetches the keys at `location`: the discovery document first when it is an OIDC issuer.
pub async fn fetch_jwks(location: &KeyLocation) -> Result<Jwks, JwksFetchError> {
    let jwks_url = match location {
        KeyLocation::Jwks { url } => url.clone(),
        KeyLocation::Discovery { issuer } => {
            let url = discovery_url(issuer);
            let body = get(&url).await?;
            jwks_uri_of(issuer, &url, &body)?
        }
    };
    let body = get(&jwks_url).await?;
    Jwks::from_json(&body).map_err(|source| JwksFetchError::Jwks {
        url: jwks_url,
        source,
    })
}

/// The `jwks_uri` of the discovery document `body` fetched from `url`, once its `issuer` is
/// the configured `issuer`, byte for byte (OIDC Discovery 1.0 §4.3: otherwise "the data
/// contained in the response MUST NOT be used"). No trailing-`/` leniency: API Gateway matches
/// a token's `iss` against the configured issuer exactly, so a working authorizer's issuer is
/// the provider's own spelling (`https://TENANT.auth0.com/` with its `/`), which is also what
/// its discovery document publishes.
fn jwks_uri_of(issuer: &str, url: &str, body: &[u8]) -> Result<String, JwksFetchError> {
    let doc = serde_json::from_slice::<Value>(body)
        .map_err(|_| JwksFetchError::Discovery(url.to_owned()))?;
    let published = doc
        .get("issuer")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if published != issuer {
        return Err(JwksFetchError::IssuerMismatch {
            url: url.to_owned(),
            configured: issuer.to_owned(),
            published: published.to_owned(),
        });
    }
    doc.get("jwks_uri")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| JwksFetchError::Discovery(url.to_owned()))
}

/// `{issuer}/.well-known/openid-configuration` (OIDC Discovery 1.0 §4: a trailing `/` of the
/// issuer is dropped first).
fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// One HTTPS GET; the body of a 2xx answer.
async fn get(url: &str) -> Result<Bytes, JwksFetchError> {
    match tokio::time::timeout(FETCH_TIMEOUT, get_unbounded(url)).await {
        Ok(result) => result,
        Err(_) => Err(JwksFetchError::Timeout(url.to_owned())),
    }
}

async fn get_unbounded(url: &str) -> Result<Bytes, JwksFetchError> {
    let failed = |message: String| JwksFetchError::Connect {
        url: url.to_owned(),
        message,
    };
    let uri: http::Uri = url
        .parse()
        .map_err(|_| JwksFetchError::NotHttps(url.to_owned()))?;
    if uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
        return Err(JwksFetchError::NotHttps(url.to_owned()));
    }
    let host = uri
        .host()
        .ok_or_else(|| JwksFetchError::NotHttps(url.to_owned()))?;
    // `[::1]` names the address without its brackets.
    let bare_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let server_name =
        rustls::pki_types::ServerName::try_from(bare_host).map_err(|e| failed(e.to_string()))?;
    let tcp = connect(Matcher::from_env(), &uri).await.map_err(failed)?;
    let tls = tokio_rustls::TlsConnector::from(crate::tls::client_config()?)
        .connect(server_name, tcp)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| failed(e.to_string()))?;
    // The connection is driven beside the request and ends with it (dropped with `sender`).
    let driver = tokio::spawn(connection);
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
    let request = http::Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(http::header::HOST, authority)
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::USER_AGENT, "sluice")
        .body(Empty::<Bytes>::new())
        .map_err(|e| failed(e.to_string()))?;
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !response.status().is_success() {
            return Err(JwksFetchError::Status {
                url: url.to_owned(),
                status: response.status().as_u16(),
            });
        }
        let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
            .collect()
            .await
            .map_err(|e| failed(e.to_string()))?;
        Ok(body.to_bytes())
    }
    .await;
    driver.abort();
    result
}

/// A TCP connection to `uri`'s host: direct, or tunnelled through the proxy `proxies` name for
/// it (the same connector `--dynamodb-endpoint` uses), which must be an `http://` proxy.
async fn connect(proxies: Matcher, uri: &http::Uri) -> Result<tokio::net::TcpStream, String> {
    use tower_service::Service as _;
    let proxy = proxies.intercept(uri);
    let through = |e: &dyn std::fmt::Display| match &proxy {
        Some(proxy) => format!("through the proxy {}: {e}", outbound_proxy::describe(proxy)),
        None => e.to_string(),
    };
    if proxy
        .as_ref()
        .is_some_and(|proxy| !outbound_proxy::is_supported(proxy))
    {
        return Err(through(
            &"only http:// proxies are spoken (not SOCKS nor https://)",
        ));
    }
    let stream = ProxyConnector::new(Arc::new(proxies))
        .call(uri.clone())
        .await
        .map_err(|e| through(&e))?;
    Ok(stream.into_tcp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_socks_or_https_proxy_is_refused_with_a_reason() {
        let uri: http::Uri = "https://issuer.example/.well-known/jwks.json"
            .parse()
            .unwrap();
        for proxy in ["socks5://127.0.0.1:1080", "https://127.0.0.1:3128"] {
            let matcher = Matcher::builder().https(proxy).build();
            let err = connect(matcher, &uri).await.expect_err(proxy);
            assert!(err.contains("only http:// proxies"), "{proxy}: {err}");
        }
    }

    #[tokio::test]
    async fn only_https_urls_are_fetched() {
        let location = KeyLocation::Discovery {
            issuer: "http://issuer.example".into(),
        };
        let err = fetch_jwks(&location).await.expect_err("plain http");
        assert!(matches!(err, JwksFetchError::NotHttps(_)), "{err}");
        assert!(err.to_string().contains("https://"), "{err}");
    }

    #[test]
    fn discovery_url_drops_a_trailing_slash() {
        let location = KeyLocation::Discovery {
            issuer: "https://tenant.example/".into(),
        };
        assert_eq!(
            location.url(),
            "https://tenant.example/.well-known/openid-configuration"
        );
    }

    const URL: &str = "https://tenant.example/.well-known/openid-configuration";

    fn document(issuer: &str) -> Vec<u8> {
        serde_json::json!({"issuer": issuer, "jwks_uri": "https://keys.example/jwks"})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn the_discovery_documents_issuer_must_be_the_configured_one() {
        for issuer in ["https://tenant.example", "https://tenant.example/"] {
            assert_eq!(
                jwks_uri_of(issuer, URL, &document(issuer)).expect("identical issuers"),
                "https://keys.example/jwks"
            );
        }
    }

    #[test]
    fn an_issuer_that_differs_even_by_a_trailing_slash_is_refused_naming_both() {
        for (configured, published) in [
            ("https://tenant.example/", "https://tenant.example"),
            ("https://tenant.example", "https://tenant.example/"),
            ("https://tenant.example", "https://other.example"),
        ] {
            let err = jwks_uri_of(configured, URL, &document(published)).expect_err("mismatch");
            assert!(
                matches!(err, JwksFetchError::IssuerMismatch { .. }),
                "{err}"
            );
            let text = err.to_string();
            assert!(
                text.contains(&format!("{configured:?}"))
                    && text.contains(&format!("{published:?}")),
                "{text}"
            );
        }
    }

    #[test]
    fn a_document_without_an_issuer_is_refused() {
        let body = br#"{"jwks_uri": "https://keys.example/jwks"}"#;
        let err = jwks_uri_of("https://tenant.example", URL, body).expect_err("no issuer");
        assert!(
            matches!(err, JwksFetchError::IssuerMismatch { .. }),
            "{err}"
        );
        let err = jwks_uri_of("https://tenant.example", URL, b"not json").expect_err("not JSON");
        assert!(matches!(err, JwksFetchError::Discovery(_)), "{err}");
    }
}
