//! `--dynamodb-endpoint URL`: DynamoDB and DynamoDB Streams calls go to another DynamoDB-compatible
//! service (ScyllaDB Alternator, DynamoDB Local, moto, or DynamoDB itself), so several Sluice
//! replicas share one data store. The template's tables are created there (existing ones kept).
//!
//! Requests are re-signed with SigV4 when credentials are in the environment (required for AWS's
//! own endpoints). `http://` and `https://` (over the TLS configuration JWT issuers' keys are
//! fetched with: the host's roots, or `SSL_CERT_FILE`'s); both keep pooled connections. Both go
//! through the proxy the environment names for them, as the AWS CLI's do (see
//! [`sluice_apigw::outbound_proxy`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use sluice_apigw::auth::sigv4::{self, SigningKey};
use sluice_dynamodb::TableSpec;
use sluice_lambda::stream_poller::{
    Checkpoint, ShardCheckpoint, SourceFuture, StreamApi, StreamSource, StreamSourceError,
};

use crate::stream_mappings::{decode_reply, EmbeddedStreams};
use sluice_apigw::outbound_proxy::{self, ProxyConnector};

/// DynamoDB's and DynamoDB Streams' `X-Amz-Target` prefixes.
const DYNAMODB: &str = "DynamoDB_20120810.";
const STREAMS: &str = "DynamoDBStreams_20120810.";
/// A call the remote service does not answer in this long fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the endpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The URL is not an `http(s)://host[:port]` URL.
    #[error("--dynamodb-endpoint {url:?}: {reason}")]
    Url {
        /// As given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// AWS's endpoints need signed requests.
    #[error("--dynamodb-endpoint {url}: AWS's endpoint needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials {
        /// As given.
        url: String,
    },
    /// An `https://` endpoint, but the host has no trust roots to check its certificate with.
    #[error("--dynamodb-endpoint {url}: no trusted root certificates to check its certificate with (set SSL_CERT_FILE to a CA bundle)")]
    NoTrustRoots {
        /// As given.
        url: String,
    },
    /// The environment names a proxy for the endpoint that Sluice cannot speak to.
    #[error("--dynamodb-endpoint {url}: the proxy {proxy} the environment names for it is not an http:// proxy (SOCKS and https:// proxies are not supported; list the host in NO_PROXY to go direct)")]
    UnsupportedProxy {
        /// As given.
        url: String,
        /// The proxy's URL, without credentials.
        proxy: String,
    },
}

/// The pooled client for the endpoint's scheme.
enum Transport {
    /// `http://`: TCP, to the endpoint or to its proxy.
    Plain(Client<ProxyConnector, Full<Bytes>>),
    /// `https://`: TLS over the same connector (through a tunnel behind a proxy); it refuses
    /// `http://` URIs.
    Tls(Client<HttpsConnector<ProxyConnector>, Full<Bytes>>),
}

impl Transport {
    fn request(&self, request: Request<Full<Bytes>>) -> ResponseFuture {
        match self {
            Transport::Plain(client) => client.request(request),
            Transport::Tls(client) => client.request(request),
        }
    }
}

/// The remote DynamoDB-compatible service.
pub(crate) struct RemoteDynamoDb {
    /// `http://host:port` for DynamoDB calls.
    dynamodb: Uri,
    /// Where DynamoDB Streams calls go (the same server, except on AWS).
    streams: Uri,
    /// Region signatures are scoped to.
    region: String,
    /// Credentials to re-sign with, when there are any.
    key: Option<SigningKey>,
    /// The environment's proxy rules (the transport's too): an `http://` proxy wants its
    /// credentials on each request.
    proxies: Arc<Matcher>,
    client: Transport,
    /// The template's tables, created before the first call is forwarded.
    tables: Vec<TableSpec>,
    /// Set once the tables were created (or found).
    ready: tokio::sync::OnceCell<()>,
}

impl RemoteDynamoDb {
    /// Checks `url`, the credentials AWS's endpoints need and the proxy `proxies` names for it.
    pub fn new(
        url: &str,
        region: &str,
        key: Option<SigningKey>,
        tables: Vec<TableSpec>,
        proxies: Matcher,
    ) -> Result<RemoteDynamoDb, RemoteError> {
        let bad = |reason: &str| RemoteError::Url {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("use http://host[:port] or https://host[:port]")),
        };
        let host = uri.host().ok_or_else(|| bad("the URL names no host"))?;
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(bad("the URL must not have a path"));
        }
        let on_aws = host.ends_with(".amazonaws.com");
        if on_aws && key.is_none() {
            return Err(RemoteError::NoCredentials {
                url: url.to_owned(),
            });
        }
        // AWS serves Streams on its own host: dynamodb.R.amazonaws.com → streams.dynamodb.R….
        let streams = match host.strip_prefix("dynamodb.") {
            Some(rest) if on_aws => format!(
                "{}://streams.dynamodb.{rest}/",
                if tls { "https" } else { "http" }
            )
            .parse()
            .map_err(|_| bad("not a URL"))?,
            _ => uri.clone(),
        };
        for proxy in [&uri, &streams]
            .into_iter()
            .filter_map(|u| proxies.intercept(u))
        {
            if !outbound_proxy::is_supported(&proxy) {
                return Err(RemoteError::UnsupportedProxy {
                    url: url.to_owned(),
                    proxy: outbound_proxy::describe(&proxy),
                });
            }
        }
        let proxies = Arc::new(proxies);
        let region = if on_aws {
            host.split('.').nth(1).unwrap_or(region).to_owned()
        } else {
            region.to_owned()
        };
        Ok(RemoteDynamoDb {
            dynamodb: uri,
            streams,
            region,
            key,
            client: transport(tls, proxies.clone()).map_err(|_| RemoteError::NoTrustRoots {
                url: url.to_owned(),
            })?,
            proxies,
            tables,
            ready: tokio::sync::OnceCell::new(),
        })
    }

    /// The proxy DynamoDB calls go through, for messages (`None`: straight to the endpoint).
    pub fn proxy(&self) -> Option<String> {
        self.proxies
            .intercept(&self.dynamodb)
            .map(|proxy| outbound_proxy::describe(&proxy))
    }

    /// Creates the template's tables the first time it is called; later calls return at once.
    /// Every forwarded call waits for it, so a client never finds a template table missing.
    pub async fn ready(&self) {
        self.ready
            .get_or_init(|| async {
                for note in self.ensure_tables(&self.tables).await {
                    if note.starts_with("Warning: ") {
                        tracing::warn!("{}", note.trim_start_matches("Warning: "));
                    } else {
                        tracing::info!("{note}");
                    }
                }
            })
            .await;
    }

    /// Where calls go, for messages.
    pub fn url(&self) -> String {
        self.dynamodb.to_string()
    }

    /// Sends one call (`target` is the whole `X-Amz-Target`); the remote's status and body.
    pub async fn forward(&self, target: &str, body: Bytes) -> Result<(u16, Bytes), String> {
        let base = if target.starts_with(STREAMS) {
            &self.streams
        } else {
            &self.dynamodb
        };
        let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
        let mut headers = HeaderMap::new();
        let header = |text: &str| HeaderValue::from_str(text).map_err(|e| e.to_string());
        headers.insert(http::header::HOST, header(authority)?);
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        headers.insert("x-amz-target", header(target)?);
        if let Some(key) = &self.key {
            sigv4::sign(
                &mut headers,
                ("POST", "/", &body),
                key,
                &self.region,
                "dynamodb",
                time::OffsetDateTime::now_utc(),
            );
        }
        let mut request = Request::post(base.clone())
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        *request.headers_mut() = headers;
        // Added after signing: it is for the proxy, which removes it. A tunnel carries it on its
        // CONNECT instead.
        if base.scheme_str() == Some("http") {
            if let Some(auth) = self
                .proxies
                .intercept(base)
                .and_then(|p| p.basic_auth().cloned())
            {
                request
                    .headers_mut()
                    .insert(http::header::PROXY_AUTHORIZATION, auth);
            }
        }
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| error_chain(&e))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(CALL_TIMEOUT, call)
            .await
            .map_err(|_| format!("no answer in {}s", CALL_TIMEOUT.as_secs()))?
    }

    /// Creates each table that does not exist yet (with its stream and TTL); existing tables are
    /// kept as they are. What it did, one line each.
    pub async fn ensure_tables(&self, tables: &[TableSpec]) -> Vec<String> {
        let mut notes = Vec::new();
        for spec in tables {
            let request = spec.to_create_table_request();
            let created = self
                .forward(
                    &format!("{DYNAMODB}CreateTable"),
                    Bytes::from(request.to_string()),
                )
                .await;
            match created.map(|(status, body)| (status, decode_reply("CreateTable", status, &body)))
            {
                Ok((_, Ok(_))) => {
                    notes.push(format!(
                        "Created DynamoDB table {} at {}",
                        spec.name,
                        self.url()
                    ));
                    if let Some(attribute) = &spec.ttl_attribute {
                        let ttl = json!({"TableName": spec.name, "TimeToLiveSpecification": {"Enabled": true, "AttributeName": attribute}});
                        let _ = self
                            .forward(
                                &format!("{DYNAMODB}UpdateTimeToLive"),
                                Bytes::from(ttl.to_string()),
                            )
                            .await;
                    }
                }
                Ok((_, Err(StreamSourceError::Api { error_type, .. })))
                    if error_type == "ResourceInUseException" => {}
                Ok((_, Err(e))) => notes.push(format!(
                    "Warning: cannot create DynamoDB table {} at {}: {e}",
                    spec.name,
                    self.url()
                )),
                Err(e) => notes.push(format!(
                    "Warning: cannot reach {} to create DynamoDB table {}: {e}",
                    self.url(),
                    spec.name
                )),
            }
        }
        notes
    }
}

/// A pooled client for `http://` (`tls` false) or `https://` URLs, through `proxies`' proxy.
fn transport(
    tls: bool,
    proxies: Arc<Matcher>,
) -> Result<Transport, sluice_apigw::tls::NoTrustRoots> {
    let builder = Client::builder(TokioExecutor::new());
    let http = ProxyConnector::new(proxies);
    if !tls {
        return Ok(Transport::Plain(builder.build(http)));
    }
    let config = sluice_apigw::tls::client_config()?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*config).clone())
        .https_only()
        .enable_http1()
        .wrap_connector(http);
    Ok(Transport::Tls(builder.build(connector)))
}

/// `e` and its causes, `: `-joined: hyper-util's own message ("client error (Connect)") hides
/// what failed (a refused connection, an untrusted certificate).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// Stream pollers over the remote service; checkpoints stay in the local store's file.
pub(crate) struct RemoteStreams {
    /// The remote service.
    pub remote: Arc<RemoteDynamoDb>,
    /// Where checkpoints are kept.
    pub checkpoints: EmbeddedStreams,
}

impl StreamSource for RemoteStreams {
    fn call(
        &self,
        api: StreamApi,
        operation: &'static str,
        body: Value,
    ) -> SourceFuture<'_, Value> {
        Box::pin(async move {
            let prefix = match api {
                StreamApi::DynamoDb => DYNAMODB,
                StreamApi::Streams => STREAMS,
            };
            self.remote.ready().await;
            let (status, reply) = self
                .remote
                .forward(
                    &format!("{prefix}{operation}"),
                    Bytes::from(body.to_string()),
                )
                .await
                .map_err(|message| StreamSourceError::Transport {
                    operation: operation.to_owned(),
                    message: format!("{}: {message}", self.remote.url()),
                })?;
            decode_reply(operation, status, &reply)
        })
    }

    fn checkpoint<'a>(&'a self, mapping: &'a str) -> SourceFuture<'a, Option<Checkpoint>> {
        self.checkpoints.checkpoint(mapping)
    }

    fn save_checkpoint<'a>(
        &'a self,
        mapping: &'a str,
        checkpoint: Checkpoint,
    ) -> SourceFuture<'a, ()> {
        self.checkpoints.save_checkpoint(mapping, checkpoint)
    }

    fn shard_checkpoints<'a>(
        &'a self,
        mapping: &'a str,
        stream_arn: &'a str,
    ) -> SourceFuture<'a, Option<Vec<ShardCheckpoint>>> {
        self.checkpoints.shard_checkpoints(mapping, stream_arn)
    }

    fn save_shard_checkpoints<'a>(
        &'a self,
        mapping: &'a str,
        stream_arn: &'a str,
        checkpoints: Vec<ShardCheckpoint>,
    ) -> SourceFuture<'a, ()> {
        self.checkpoints
            .save_shard_checkpoints(mapping, stream_arn, checkpoints)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment without proxies.
    fn no_proxy() -> Matcher {
        Matcher::builder().build()
    }

    #[test]
    fn urls_are_checked_and_aws_needs_credentials() {
        let key = SigningKey {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        assert!(RemoteDynamoDb::new(
            "http://127.0.0.1:8000",
            "us-east-1",
            None,
            vec![],
            no_proxy()
        )
        .is_ok());
        for bad in [
            "ftp://x:1",
            "127.0.0.1:8000",
            "http://x:1/path",
            "https://x:1/path",
        ] {
            assert!(
                RemoteDynamoDb::new(bad, "us-east-1", None, vec![], no_proxy()).is_err(),
                "{bad}"
            );
        }
        assert!(matches!(
            RemoteDynamoDb::new(
                "http://dynamodb.eu-west-1.amazonaws.com",
                "us-east-1",
                None,
                vec![],
                no_proxy()
            ),
            Err(RemoteError::NoCredentials { .. })
        ));
        let aws = RemoteDynamoDb::new(
            "http://dynamodb.eu-west-1.amazonaws.com",
            "us-east-1",
            Some(key),
            vec![],
            no_proxy(),
        )
        .expect("valid");
        assert_eq!(aws.region, "eu-west-1");
        assert_eq!(
            aws.streams.to_string(),
            "http://streams.dynamodb.eu-west-1.amazonaws.com/"
        );
    }

    #[test]
    fn an_https_aws_endpoint_keeps_https_for_streams() {
        let key = SigningKey {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        match RemoteDynamoDb::new(
            "https://dynamodb.eu-west-1.amazonaws.com",
            "us-east-1",
            Some(key),
            vec![],
            no_proxy(),
        ) {
            Ok(aws) => assert_eq!(
                aws.streams.to_string(),
                "https://streams.dynamodb.eu-west-1.amazonaws.com/"
            ),
            // A host without trust roots refuses https:// at startup, which is right too.
            Err(RemoteError::NoTrustRoots { .. }) => {}
            Err(e) => panic!("https:// is accepted: {e}"),
        }
    }
}

#[cfg(test)]
mod proxy_tests {
    use super::*;

    fn remote(url: &str, proxies: Matcher) -> Result<RemoteDynamoDb, RemoteError> {
        RemoteDynamoDb::new(url, "us-east-1", None, vec![], proxies)
    }

    #[test]
    fn the_proxy_is_named_without_its_credentials_and_no_proxy_hosts_go_direct() {
        let proxies = || {
            Matcher::builder()
                .http("http://user:secret@proxy.corp:3128")
                .no("localhost,.internal")
                .build()
        };
        let through = remote("http://ddb.example:8000", proxies()).expect("valid");
        assert_eq!(through.proxy().as_deref(), Some("http://proxy.corp:3128"));
        for direct in ["http://localhost:8000", "http://ddb.internal:8000"] {
            assert_eq!(remote(direct, proxies()).expect("valid").proxy(), None);
        }
    }

    #[test]
    fn a_proxy_sluice_cannot_speak_to_is_refused_at_startup() {
        let socks = || {
            Matcher::builder()
                .all("socks5://proxy.corp:1080")
                .no("localhost")
                .build()
        };
        match remote("http://ddb.example:8000", socks()) {
            Err(RemoteError::UnsupportedProxy { proxy, .. }) => {
                assert_eq!(proxy, "socks5://proxy.corp:1080")
            }
            Err(e) => panic!("refused for another reason: {e}"),
            Ok(_) => panic!("a SOCKS proxy was accepted"),
        }
        // A host the proxy is skipped for does not need it.
        assert!(remote("http://localhost:8000", socks()).is_ok());
    }
}
