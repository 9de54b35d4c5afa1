//! The one TLS client configuration Sluice uses for outgoing HTTPS (JWT issuers' keys,
//! `--dynamodb-endpoint https://…`): rustls with the ring provider, trusting the host's roots
//! (`rustls-native-certs`: only those of `SSL_CERT_FILE` / `SSL_CERT_DIR` when either is set).
//! Built once.

use std::sync::{Arc, OnceLock};

/// The host has no usable trust roots.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("no trusted root certificates (set SSL_CERT_FILE to a CA bundle)")]
pub struct NoTrustRoots;

/// The shared client configuration (HTTP/1.1 only: ALPN is left unset, as both users speak 1.1).
pub fn client_config() -> Result<Arc<rustls::ClientConfig>, NoTrustRoots> {
    static CONFIG: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::debug!("trust roots: {error}");
            }
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return None;
            }
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .ok()?
            .with_root_certificates(roots)
            .with_no_client_auth();
            Some(Arc::new(config))
        })
        .clone()
        .ok_or(NoTrustRoots)
}
