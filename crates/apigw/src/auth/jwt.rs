//! JWT validation against a JWKS: the one validator behind the REST Cognito authorizer and (next)
//! the HTTP API JWT authorizer. It knows signatures, `iss`, `exp`, `nbf`, audiences and scopes;
//! what a dialect does with the claims is its own business.
//!
//! Asymmetric keys only (RSA: RS*/PS*, EC: ES256/ES384, OKP: EdDSA), as Cognito and OIDC issuers
//! publish: a token's `alg` must belong to the family of the key its `kid` names, so `alg: none`
//! and an HS256 token "signed" with the RSA public key both fail.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

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

/// The public keys of one issuer.
#[derive(Clone)]
pub struct Jwks {
    keys: Vec<Key>,
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
        Ok(Jwks { keys })
    }

    /// A JWKS with no keys: accepts no token. For checking a configuration without its keys.
    pub fn empty() -> Jwks {
        Jwks { keys: Vec::new() }
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

/// Tokens already verified, kept until they expire: a token's signature and claims cannot change,
/// so a repeat is answered by a lookup instead of an RSA verification (~100 µs in pure Rust).
/// Only valid tokens are kept, so forged ones cannot fill it.
type Verified = Arc<Mutex<HashMap<String, (u64, Map<String, Value>)>>>;

/// Verified tokens kept at most; past it the cache starts over (a cache may forget).
const MAX_VERIFIED: usize = 10_000;

/// A JWKS and the rules its tokens must meet.
#[derive(Debug, Clone)]
pub struct JwtValidator {
    jwks: Jwks,
    rules: JwtRules,
    verified: Verified,
}

impl JwtValidator {
    /// A validator for one issuer.
    pub fn new(jwks: Jwks, rules: JwtRules) -> JwtValidator {
        JwtValidator {
            jwks,
            rules,
            verified: Verified::default(),
        }
    }

    /// The rules this validator applies.
    pub fn rules(&self) -> &JwtRules {
        &self.rules
    }

    /// Verifies `token` at `now` (seconds since the epoch); the claims on success. A token verified
    /// before is answered from memory until its `exp` (checked against `now` on every call).
    pub fn validate(&self, token: &str, now: u64) -> Result<Map<String, Value>, JwtError> {
        let verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((exp, claims)) = verified.get(token) {
            if now.saturating_sub(self.rules.leeway_secs) < *exp {
                return Ok(claims.clone());
            }
        }
        drop(verified);
        let claims = self.verify(token, now)?;
        // `nbf` in the future already failed; `exp` bounds how long the answer holds.
        if let Some(exp) = claims.get("exp").and_then(Value::as_u64) {
            let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
            if verified.len() >= MAX_VERIFIED {
                verified.clear();
            }
            verified.insert(token.to_owned(), (exp, claims.clone()));
        }
        Ok(claims)
    }

    /// The full check: signature, then claims.
    fn verify(&self, token: &str, now: u64) -> Result<Map<String, Value>, JwtError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::TooLarge);
        }
        if token.split('.').count() != 3 {
            return Err(JwtError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            // `alg: none` and unknown names fail to parse as an Algorithm.
            jsonwebtoken::errors::ErrorKind::Json(_) => JwtError::Algorithm("unknown".into()),
            _ => JwtError::Malformed,
        })?;
        let key = self.jwks.key(header.kid.as_deref())?;
        if !key.algorithms.contains(&header.alg) {
            return Err(JwtError::Algorithm(format!("{:?}", header.alg)));
        }
        // Claims are checked below, against `now`, so tests and the validator agree on time.
        let mut validation = Validation::new(header.alg);
        validation.algorithms = key.algorithms.clone();
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => JwtError::Signature,
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                    JwtError::Algorithm(format!("{:?}", header.alg))
                }
                _ => JwtError::Malformed,
            })?;
        let claims = data.claims;
        self.check_claims(&claims, now)?;
        Ok(claims)
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
