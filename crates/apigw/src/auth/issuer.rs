//! Sluice's own issuer for each `AWS::Cognito::UserPool`: one RSA key per pool, kept in the state
//! folder (so tokens survive restarts), the pool's JWKS and OpenID configuration, and tokens shaped
//! like Cognito's for `sluice token`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Map, Value};

use super::jwt::{Jwks, JwksError};

/// Why the local issuer could not load, create or use its key.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// The key file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The key file is not a PKCS#8 RSA private key.
    #[error("{}: not a PKCS#8 RSA private key ({message}); delete it to make a new one", path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// Key generation or signing failed.
    #[error("signing key: {0}")]
    Crypto(String),
    /// The JWKS Sluice built could not be parsed back (a bug).
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

/// One pool's signing key and identity.
pub struct LocalIssuer {
    pool_id: String,
    issuer: String,
    kid: String,
    jwks: Value,
    encoding: EncodingKey,
}

impl std::fmt::Debug for LocalIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalIssuer")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl LocalIssuer {
    /// Loads the pool's key from `<state>/cognito/<pool id>.pem`, creating it on first use.
    /// `issuer` is the `iss` its tokens carry.
    pub fn open(
        state_dir: &Path,
        pool_id: &str,
        issuer: String,
    ) -> Result<LocalIssuer, IssuerError> {
        let path = state_dir.join("cognito").join(format!("{pool_id}.pem"));
        let io = |source| IssuerError::Io {
            path: path.clone(),
            source,
        };
        let key = match std::fs::read_to_string(&path) {
            Ok(pem) => RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| IssuerError::BadKey {
                path: path.clone(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                    .map_err(|e| IssuerError::Crypto(e.to_string()))?;
                let pem = key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| IssuerError::Crypto(e.to_string()))?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                match write_private(&path, pem.as_bytes()) {
                    Ok(()) => key,
                    // Another process (a server and `sluice token`) made it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let pem = std::fs::read_to_string(&path).map_err(io)?;
                        RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| IssuerError::BadKey {
                            path: path.clone(),
                            message: e.to_string(),
                        })?
                    }
                    Err(e) => return Err(io(e)),
                }
            }
            Err(e) => return Err(io(e)),
        };
        let der = key
            .to_pkcs1_der()
            .map_err(|e| IssuerError::Crypto(e.to_string()))?;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let n = b64(&key.n().to_bytes_be());
        let e = b64(&key.e().to_bytes_be());
        // A stable id for this key: a hash of its modulus, so a new key gets a new kid.
        let kid = format!("{:016x}", crate::exchange::fnv1a(n.as_bytes()));
        let jwks = json!({"keys": [{
            "alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig"
        }]});
        Ok(LocalIssuer {
            pool_id: pool_id.to_owned(),
            issuer,
            kid,
            jwks,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        })
    }

    /// The pool id.
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The `iss` of this pool's tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `/.well-known/jwks.json`.
    pub fn jwks_json(&self) -> &Value {
        &self.jwks
    }

    /// The JWKS as the validator uses it.
    pub fn jwks(&self) -> Result<Jwks, IssuerError> {
        Ok(Jwks::from_json(self.jwks.to_string().as_bytes())?)
    }

    /// `/.well-known/openid-configuration`, with the JWKS at `jwks_uri`.
    pub fn openid_configuration(&self, jwks_uri: &str) -> Value {
        json!({
            "issuer": self.issuer,
            "jwks_uri": jwks_uri,
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
        })
    }

    /// Signs `claims` with RS256 and this pool's `kid`.
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String, IssuerError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| IssuerError::Crypto(e.to_string()))
    }
}

/// What a Cognito token says about its user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRequest {
    /// The app client id (`aud` of an id token, `client_id` of an access token).
    pub client_id: String,
    /// `sub` (default: a UUID derived from the username, so it is stable).
    pub sub: Option<String>,
    /// `cognito:username` / `username`.
    pub username: String,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// Scopes: an access token when set (`scope`), else an id token.
    pub scopes: Vec<String>,
    /// Extra claims (`email=a@b.c`), as strings.
    pub extra: Vec<(String, String)>,
    /// Seconds until `exp` (negative gives an already expired token, for tests).
    pub expires_in: i64,
    /// `iat` and `auth_time` (seconds since the epoch).
    pub now: i64,
}

impl TokenRequest {
    /// The claims Cognito puts in an id token (no scopes) or an access token (scopes).
    pub fn claims(&self, issuer: &str) -> Map<String, Value> {
        let sub = self.sub.clone().unwrap_or_else(|| {
            let h = crate::exchange::fnv1a(self.username.as_bytes());
            let g = crate::exchange::fnv1a(format!("sub {}", self.username).as_bytes());
            format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                h >> 32,
                (h >> 16) & 0xffff,
                h & 0xfff,
                g >> 52,
                g & 0xffff_ffff_ffff
            )
        });
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(sub));
        if !self.groups.is_empty() {
            claims.insert("cognito:groups".into(), json!(self.groups));
        }
        claims.insert("iss".into(), json!(issuer));
        let jti = uuid::Uuid::new_v4().to_string();
        if self.scopes.is_empty() {
            claims.insert("cognito:username".into(), json!(self.username));
            claims.insert("aud".into(), json!(self.client_id));
            claims.insert("event_id".into(), json!(uuid::Uuid::new_v4().to_string()));
            claims.insert("token_use".into(), json!("id"));
        } else {
            claims.insert("client_id".into(), json!(self.client_id));
            claims.insert("event_id".into(), json!(uuid::Uuid::new_v4().to_string()));
            claims.insert("token_use".into(), json!("access"));
            claims.insert("scope".into(), json!(self.scopes.join(" ")));
            claims.insert("username".into(), json!(self.username));
        }
        claims.insert("auth_time".into(), json!(self.now));
        claims.insert("exp".into(), json!(self.now + self.expires_in));
        claims.insert("iat".into(), json!(self.now));
        claims.insert("jti".into(), json!(jti));
        for (key, value) in &self.extra {
            claims.insert(key.clone(), json!(value));
        }
        claims
    }
}

/// The `iss` AWS gives a pool's tokens. Sluice keeps AWS's form (rather than its own address) so
/// handler code that compares `iss` runs unchanged and tokens survive a port change.
pub fn cognito_issuer(region: &str, pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}
