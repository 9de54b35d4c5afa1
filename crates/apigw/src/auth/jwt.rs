//! JWT validation against a JWKS: the one validator behind the REST Cognito authorizer and (next)
//! the HTTP API JWT authorizer. It knows signatures, `iss`, `exp`, `nbf`, audiences and scopes;
//! what a dialect does with the claims is its own business.
//!
//! Asymmetric keys only (RSA: RS*/PS*, EC: ES256/ES384, OKP: EdDSA), as Cognito and OIDC issuers
//! publish: a token's `alg` must belong to the family of the key its `kid` names, so `alg: none`
//! and an HS256 token "signed" with the RSA public key both fail.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::remote_keys::RemoteKeys;

/// Largest token accepted; API Gateway refuses requests whose headers exceed 10 KB long before.
pub const MAX_TOKEN_BYTES: usize = 10 * 1024;

/// Why a token was refused. Every variant is a 401 at the gateway; the name goes to the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts with a JSON header and payload.
    #[error("malformed token")]
    Malformed,
    /// Longer than [`MAX_TOKEN_BYTES`].
    #[error("token too large")]
    TooLarge,
    /// `alg` is none, symmetric, or not one the named key can verify.
    #[error("algorithm {0} not accepted for this key")]
    Algorithm(String),
    /// No key in the JWKS has the token's `kid`.
    #[error("no key with kid {0:?}")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("invalid signature")]
    Signature,
    /// `exp` is missing or in the past.
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("token not yet valid")]
    NotYetValid,
    /// `iss` is not the expected issuer.
    #[error("wrong issuer")]
    Issuer,
    /// Neither `aud` nor `client_id` is an accepted audience.
    #[error("wrong audience")]
    Audience,
    /// `token_use` is not accepted here.
    #[error("token_use not accepted")]
    TokenUse,
    /// The token grants none of the required scopes.
    #[error("required scope missing")]
    Scope,
    /// The issuer's keys could not be fetched (the request fails closed).
    #[error("the issuer's keys are not available")]
    NoKeys,
}

/// Why a JWKS document could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// Not a JWKS (`{"keys": [...]}`).
    #[error("not a JWKS document: {0}")]
    Parse(#[from] serde_json::Error),
    /// It holds no usable public key.
    #[error("the JWKS has no RSA, EC or OKP public key")]
    NoKeys,
}

/// One verification key and the algorithms it may verify.
#[derive(Clone)]
struct Key {
    kid: Option<String>,
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

/// Tokens whose signature a key of this JWKS verified, with their decoded claims: a repeat is
/// answered by a lookup instead of an RSA verification (~120 µs in pure Rust). Keyed by the whole
/// token (a tampered one is another key) and owned by one [`Jwks`], so a refreshed or rotated
/// JWKS, being a new `Jwks`, starts empty. Only verified tokens enter, so forged ones cannot fill
/// it; the claims are checked again on every use.
type Verified = moka::sync::Cache<String, Arc<Map<String, Value>>>;

/// Bytes of token text the cache holds at most (~20,000 Cognito-sized tokens); past it the
/// least useful entries go, and a forgotten token is simply verified again.
const VERIFIED_BYTES: u64 = 16 * 1024 * 1024;

/// A verified token nobody presented for this long is dropped, to give its memory back.
const VERIFIED_IDLE: Duration = Duration::from_secs(3600);

/// The public keys of one issuer, and the tokens they have verified.
#[derive(Clone)]
pub struct Jwks {
    keys: Vec<Key>,
    verified: Verified,
    /// Signatures verified so far (each clone counts into the same total): the cache's misses.
    verifications: Arc<AtomicU64>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<_> = self.keys.iter().map(|k| k.kid.clone()).collect();
        f.debug_struct("Jwks").field("kids", &kids).finish()
    }
}

impl Jwks {
    /// Parses a JWKS document; symmetric (`oct`) keys are skipped: an issuer never publishes one.
    pub fn from_json(bytes: &[u8]) -> Result<Jwks, JwksError> {
        let set: JwkSet = serde_json::from_slice(bytes)?;
        let keys: Vec<Key> = set.keys.iter().filter_map(key_of).collect();
        if keys.is_empty() {
            return Err(JwksError::NoKeys);
        }
        Ok(Jwks::with_keys(keys))
    }

    /// A JWKS with no keys: accepts no token. For checking a configuration without its keys.
    pub fn empty() -> Jwks {
        Jwks::with_keys(Vec::new())
    }

    fn with_keys(keys: Vec<Key>) -> Jwks {
        let verified = moka::sync::Cache::builder()
            .max_capacity(VERIFIED_BYTES)
            // Claims are about as long as the token's payload, so the token's length weighs both.
            .weigher(|token: &String, _| u32::try_from(token.len()).unwrap_or(u32::MAX))
            .time_to_idle(VERIFIED_IDLE)
            .build();
        Jwks {
            keys,
            verified,
            verifications: Arc::default(),
        }
    }

    /// How many signatures this JWKS (and its clones) has verified: tokens not found in the cache.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// The token's claims once its signature verifies against the key its `kid` names, from the
    /// cache when this JWKS verified the same token before (then `true`). Claims are not checked
    /// here.
    fn verified_claims(&self, token: &str) -> Result<(Arc<Map<String, Value>>, bool), JwtError> {
        if let Some(claims) = self.verified.get(token) {
            return Ok((claims, true));
        }
        let claims = Arc::new(self.verify_signature(token)?);
        self.verified.insert(token.to_owned(), Arc::clone(&claims));
        Ok((claims, false))
    }

    /// Decodes the header, picks the key and verifies the signature; the payload on success.
    fn verify_signature(&self, token: &str) -> Result<Map<String, Value>, JwtError> {
        if token.split('.').count() != 3 {
            return Err(JwtError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            // `alg: none` and unknown names fail to parse as an Algorithm.
            jsonwebtoken::errors::ErrorKind::Json(_) => JwtError::Algorithm("unknown".into()),
            _ => JwtError::Malformed,
        })?;
        let key = self.key(header.kid.as_deref())?;
        if !key.algorithms.contains(&header.alg) {
            return Err(JwtError::Algorithm(format!("{:?}", header.alg)));
        }
        // Only the signature here: the claims are checked by the validator, against its `now`,
        // on every request (a cached token must still expire).
        let mut validation = Validation::new(header.alg);
        validation.algorithms = key.algorithms.clone();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => JwtError::Signature,
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                    JwtError::Algorithm(format!("{:?}", header.alg))
                }
                _ => JwtError::Malformed,
            })?;
        Ok(data.claims)
    }

    /// The key for a token's `kid` (a JWKS with one key also serves tokens without `kid`).
    fn key(&self, kid: Option<&str>) -> Result<&Key, JwtError> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or_else(|| JwtError::UnknownKey(kid.to_owned())),
            None if self.keys.len() == 1 => Ok(&self.keys[0]),
            None => Err(JwtError::UnknownKey(String::new())),
        }
    }
}

/// The usable key in a JWK, with the algorithms its family (or its `alg`) allows.
fn key_of(jwk: &Jwk) -> Option<Key> {
    use Algorithm::*;
    let family: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![RS256, RS384, RS512, PS256, PS384, PS512],
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => vec![ES256],
            EllipticCurve::P384 => vec![ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(_) => vec![EdDSA],
        AlgorithmParameters::OctetKey(_) => return None,
    };
    let algorithms = match jwk
        .common
        .key_algorithm
        .and_then(|a| a.to_string().parse().ok())
    {
        Some(alg) if family.contains(&alg) => vec![alg],
        Some(_) => return None,
        None => family,
    };
    Some(Key {
        kid: jwk.common.key_id.clone(),
        algorithms,
        key: DecodingKey::from_jwk(jwk).ok()?,
    })
}

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtRules {
    /// The exact `iss`.
    pub issuer: String,
    /// Accepted audiences, matched against `aud` (string or list) or, failing that, `client_id`
    /// (Cognito access tokens carry no `aud`). Empty accepts any.
    pub audiences: Vec<String>,
    /// Accepted `token_use` values (Cognito: `id`, `access`); empty skips the check.
    pub token_uses: Vec<String>,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: u64,
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidToken {
    /// Its claims, as the token carries them.
    pub claims: Arc<Map<String, Value>>,
    /// Whether its signature was verified on an earlier request (the access log's `cached`).
    pub signature_cached: bool,
}

/// A JWKS and the rules its tokens must meet.
#[derive(Debug, Clone)]
pub struct JwtValidator {
    jwks: Jwks,
    /// Keys fetched from the issuer; `jwks` is then unused (empty).
    remote: Option<Arc<RemoteKeys>>,
    rules: JwtRules,
}

impl JwtValidator {
    /// A validator for one issuer. Validators built from clones of one [`Jwks`] share the tokens
    /// it verified (one per route, for the same issuer).
    pub fn new(jwks: Jwks, rules: JwtRules) -> JwtValidator {
        JwtValidator {
            jwks,
            remote: None,
            rules,
        }
    }

    /// A validator whose keys are fetched from the issuer (see [`RemoteKeys`]).
    pub fn remote(keys: Arc<RemoteKeys>, rules: JwtRules) -> JwtValidator {
        JwtValidator {
            jwks: Jwks::empty(),
            remote: Some(keys),
            rules,
        }
    }

    /// The rules this validator applies.
    pub fn rules(&self) -> &JwtRules {
        &self.rules
    }

    /// The keys this validator trusts.
    pub fn jwks(&self) -> &Jwks {
        &self.jwks
    }

    /// Verifies `token` at `now` (seconds since the epoch); the claims on success. The signature
    /// of a token seen before is not verified again; `exp`, `nbf`, `iss`, audience and
    /// `token_use` are checked against `now` on every call.
    pub fn validate(&self, token: &str, now: u64) -> Result<ValidToken, JwtError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::TooLarge);
        }
        self.validate_with(&self.jwks, token, now)
    }

    /// [`JwtValidator::validate`], with the issuer's fetched keys when they are remote: waiting
    /// for the first fetch, and refetching once when the token names a `kid` they lack.
    pub async fn validate_fetching(&self, token: &str, now: u64) -> Result<ValidToken, JwtError> {
        let Some(remote) = &self.remote else {
            return self.validate(token, now);
        };
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::TooLarge);
        }
        let jwks = remote.keys().await.ok_or(JwtError::NoKeys)?;
        match self.validate_with(&jwks, token, now) {
            Err(JwtError::UnknownKey(kid)) => match remote.after_unknown_kid().await {
                Some(fresh) => self.validate_with(&fresh, token, now),
                None => Err(JwtError::UnknownKey(kid)),
            },
            other => other,
        }
    }

    fn validate_with(&self, jwks: &Jwks, token: &str, now: u64) -> Result<ValidToken, JwtError> {
        let (claims, signature_cached) = jwks.verified_claims(token)?;
        self.check_claims(&claims, now)?;
        Ok(ValidToken {
            claims,
            signature_cached,
        })
    }

    /// `exp`, `nbf`, `iss`, audience and `token_use`.
    fn check_claims(&self, claims: &Map<String, Value>, now: u64) -> Result<(), JwtError> {
        let leeway = self.rules.leeway_secs;
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or(JwtError::Expired)?;
        if exp.saturating_add(leeway) <= now {
            return Err(JwtError::Expired);
        }
        if let Some(nbf) = claims.get("nbf") {
            let nbf = nbf.as_u64().ok_or(JwtError::Malformed)?;
            if nbf > now.saturating_add(leeway) {
                return Err(JwtError::NotYetValid);
            }
        }
        if claims.get("iss").and_then(Value::as_str) != Some(self.rules.issuer.as_str()) {
            return Err(JwtError::Issuer);
        }
        if !self.rules.audiences.is_empty() {
            let accepted = |v: &str| self.rules.audiences.iter().any(|a| a == v);
            let audience_ok = match claims.get("aud") {
                Some(Value::String(aud)) => accepted(aud),
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(accepted),
                _ => claims
                    .get("client_id")
                    .and_then(Value::as_str)
                    .is_some_and(accepted),
            };
            if !audience_ok {
                return Err(JwtError::Audience);
            }
        }
        if !self.rules.token_uses.is_empty() {
            let token_use = claims.get("token_use").and_then(Value::as_str);
            if !token_use.is_some_and(|u| self.rules.token_uses.iter().any(|t| t == u)) {
                return Err(JwtError::TokenUse);
            }
        }
        Ok(())
    }
}

/// Whether the token's `scope` (space-separated; `scp` list as some issuers send) grants at least
/// one of `required` (API Gateway: any one matching scope authorizes). Empty `required` passes.
pub fn has_any_scope(claims: &Map<String, Value>, required: &[String]) -> bool {
    if required.is_empty() {
        return true;
    }
    let granted: Vec<&str> = match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => s.split(' ').collect(),
        (_, Some(Value::Array(list))) => list.iter().filter_map(Value::as_str).collect(),
        (_, Some(Value::String(s))) => s.split(' ').collect(),
        _ => Vec::new(),
    };
    required.iter().any(|r| granted.contains(&r.as_str()))
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
