//! The token attack list against the validator: each refused with the reason it deserves.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::*;
use crate::auth::issuer::{LocalIssuer, TokenRequest};

const NOW: u64 = 1_800_000_000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// One issuer (key made once per test binary in a temp folder) and a validator trusting it.
fn setup(name: &str) -> (LocalIssuer, JwtValidator) {
    let dir = std::env::temp_dir().join(format!("sluice-jwt-{}-{name}", std::process::id()));
    let issuer = LocalIssuer::open(&dir, "us-east-1_TEST", format!("https://issuer/{name}"))
        .expect("issuer key");
    let validator = JwtValidator::new(
        issuer.jwks().expect("jwks"),
        JwtRules {
            issuer: issuer.issuer().to_owned(),
            audiences: vec!["client-a".into()],
            token_uses: vec!["id".into(), "access".into()],
            leeway_secs: 0,
        },
    );
    (issuer, validator)
}

fn claims(issuer: &LocalIssuer) -> Map<String, Value> {
    TokenRequest {
        client_id: "client-a".into(),
        username: "ada".into(),
        groups: vec!["admin".into()],
        expires_in: 3600,
        now: NOW as i64,
        ..TokenRequest::default()
    }
    .claims(issuer.issuer())
}

#[test]
fn a_good_token_passes_and_every_attack_fails() {
    let (issuer, validator) = setup("a");
    let good = issuer.sign(&claims(&issuer)).expect("sign");
    let ok = validator.validate(&good, NOW).expect("valid token");
    assert_eq!(ok.claims["cognito:username"], "ada");
    assert!(!ok.signature_cached);

    let mut parts = good.split('.').map(str::to_owned).collect::<Vec<_>>();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&parts[1])
        .expect("payload");

    // alg: none, with and without a signature.
    let none_header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let none = format!("{none_header}.{}.", parts[1]);
    assert!(matches!(
        validator.validate(&none, NOW),
        Err(JwtError::Algorithm(_) | JwtError::Malformed)
    ));

    // HS256 "signed" with the issuer's public key material.
    let n = issuer.jwks_json()["keys"][0]["n"]
        .as_str()
        .expect("n")
        .to_owned();
    let kid = issuer.jwks_json()["keys"][0]["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
    header.kid = Some(kid);
    let hs = jsonwebtoken::encode(
        &header,
        &claims(&issuer),
        &jsonwebtoken::EncodingKey::from_secret(n.as_bytes()),
    )
    .expect("hs256");
    assert!(matches!(
        validator.validate(&hs, NOW),
        Err(JwtError::Algorithm(_))
    ));

    // Tampered payload: same signature, other claims.
    let mut tampered: Value = serde_json::from_slice(&payload).expect("json");
    tampered["cognito:username"] = json!("mallory");
    parts[1] = b64(tampered.to_string().as_bytes());
    assert_eq!(
        validator.validate(&parts.join("."), NOW),
        Err(JwtError::Signature)
    );

    // Signed by another key (unknown kid).
    let (other, _) = setup("b");
    let foreign = other.sign(&claims(&issuer)).expect("sign");
    assert!(matches!(
        validator.validate(&foreign, NOW),
        Err(JwtError::UnknownKey(_))
    ));

    // Expired, not yet valid, wrong issuer, wrong audience, wrong token_use.
    let with = |edit: &dyn Fn(&mut Map<String, Value>)| {
        let mut c = claims(&issuer);
        edit(&mut c);
        validator.validate(&issuer.sign(&c).expect("sign"), NOW)
    };
    assert_eq!(
        with(&|c| {
            c.insert("exp".into(), json!(NOW - 1));
        }),
        Err(JwtError::Expired)
    );
    assert_eq!(
        with(&|c| {
            c.remove("exp");
        }),
        Err(JwtError::Expired)
    );
    assert_eq!(
        with(&|c| {
            c.insert("nbf".into(), json!(NOW + 60));
        }),
        Err(JwtError::NotYetValid)
    );
    assert_eq!(
        with(&|c| {
            c.insert("iss".into(), json!("https://evil"));
        }),
        Err(JwtError::Issuer)
    );
    assert_eq!(
        with(&|c| {
            c.insert("aud".into(), json!("client-b"));
        }),
        Err(JwtError::Audience)
    );
    assert_eq!(
        with(&|c| {
            c.insert("token_use".into(), json!("refresh"));
        }),
        Err(JwtError::TokenUse)
    );

    // Garbage and huge tokens.
    for garbage in ["", "abc", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30"] {
        assert!(validator.validate(garbage, NOW).is_err(), "{garbage:?}");
    }
    let huge = format!("{good}{}", "A".repeat(MAX_TOKEN_BYTES));
    assert_eq!(validator.validate(&huge, NOW), Err(JwtError::TooLarge));
}

#[test]
fn access_tokens_carry_client_id_and_scopes() {
    let (issuer, validator) = setup("c");
    let request = TokenRequest {
        client_id: "client-a".into(),
        username: "ada".into(),
        scopes: vec!["items/read".into(), "openid".into()],
        expires_in: 60,
        now: NOW as i64,
        ..TokenRequest::default()
    };
    let token = issuer.sign(&request.claims(issuer.issuer())).expect("sign");
    let claims = validator
        .validate(&token, NOW)
        .expect("valid access token")
        .claims;
    assert_eq!(claims["token_use"], "access");
    assert!(claims.get("aud").is_none());
    assert!(has_any_scope(&claims, &["items/read".into()]));
    assert!(has_any_scope(&claims, &["x".into(), "openid".into()]));
    assert!(!has_any_scope(&claims, &["items/write".into()]));
}

#[test]
fn the_key_persists_across_opens() {
    let dir = std::env::temp_dir().join(format!("sluice-jwt-{}-persist", std::process::id()));
    let first = LocalIssuer::open(&dir, "p", "i".into()).expect("create");
    let second = LocalIssuer::open(&dir, "p", "i".into()).expect("reopen");
    assert_eq!(first.jwks_json(), second.jwks_json());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_cached_token_is_not_verified_again_but_still_expires() {
    let (issuer, validator) = setup("d");
    let token = issuer.sign(&claims(&issuer)).expect("sign");
    assert!(validator.validate(&token, NOW).is_ok());
    assert_eq!(validator.jwks().verifications(), 1);
    let again = validator.validate(&token, NOW + 10).expect("still valid");
    assert!(again.signature_cached);
    assert!(validator.validate(&token, NOW + 3599).is_ok());
    assert_eq!(
        validator.jwks().verifications(),
        1,
        "the repeats came from the cache"
    );
    // The cache still holds it, but `exp` (NOW + 3600) is checked on every call.
    assert_eq!(
        validator.validate(&token, NOW + 3600),
        Err(JwtError::Expired)
    );
    assert_eq!(validator.jwks().verifications(), 1);
}

#[test]
fn a_cached_token_becomes_valid_at_its_nbf_and_not_before() {
    let (issuer, validator) = setup("e");
    let mut early = claims(&issuer);
    early.insert("nbf".into(), json!(NOW + 60));
    let early = issuer.sign(&early).expect("sign");
    assert_eq!(validator.validate(&early, NOW), Err(JwtError::NotYetValid));
    assert_eq!(
        validator.validate(&early, NOW + 59),
        Err(JwtError::NotYetValid)
    );
    assert!(validator.validate(&early, NOW + 60).is_ok());
    assert_eq!(validator.jwks().verifications(), 1);
}

#[test]
fn validators_sharing_a_jwks_share_its_cache_but_apply_their_own_rules() {
    let (issuer, validator) = setup("f");
    let token = issuer.sign(&claims(&issuer)).expect("sign");
    assert!(validator.validate(&token, NOW).is_ok());
    // Another route's authorizer for the same issuer, with another audience and issuer rule.
    let other_audience = JwtValidator::new(
        validator.jwks().clone(),
        JwtRules {
            audiences: vec!["client-b".into()],
            ..validator.rules().clone()
        },
    );
    assert_eq!(
        other_audience.validate(&token, NOW),
        Err(JwtError::Audience)
    );
    let other_issuer = JwtValidator::new(
        validator.jwks().clone(),
        JwtRules {
            issuer: "https://issuer/elsewhere".into(),
            ..validator.rules().clone()
        },
    );
    assert_eq!(other_issuer.validate(&token, NOW), Err(JwtError::Issuer));
    assert_eq!(
        validator.jwks().verifications(),
        1,
        "one verification served all three"
    );
    // Refusals are never remembered as anything but a verified signature: a tampered copy of the
    // cached token is another key and fails its own verification, every time.
    let mut parts = token.split('.').map(str::to_owned).collect::<Vec<_>>();
    parts[2] = b64(b"not the signature");
    let forged = parts.join(".");
    for _ in 0..2 {
        assert_eq!(validator.validate(&forged, NOW), Err(JwtError::Signature));
    }
    assert_eq!(validator.jwks().verifications(), 3);
}

#[test]
fn a_refreshed_or_rotated_jwks_verifies_again() {
    let (issuer, validator) = setup("g");
    let token = issuer.sign(&claims(&issuer)).expect("sign");
    assert!(validator.validate(&token, NOW).is_ok());
    // The same keys fetched again: a new Jwks, an empty cache, the signature checked again.
    let refreshed = JwtValidator::new(issuer.jwks().expect("jwks"), validator.rules().clone());
    assert!(refreshed.validate(&token, NOW).is_ok());
    assert_eq!(refreshed.jwks().verifications(), 1);
    // The issuer rotated its key: the old key is gone, so is everything it verified.
    let dir = std::env::temp_dir().join(format!("sluice-jwt-{}-rotated", std::process::id()));
    let rotated_issuer =
        LocalIssuer::open(&dir, "us-east-1_TEST", issuer.issuer().to_owned()).expect("new key");
    let rotated = JwtValidator::new(
        rotated_issuer.jwks().expect("jwks"),
        validator.rules().clone(),
    );
    assert!(matches!(
        rotated.validate(&token, NOW),
        Err(JwtError::UnknownKey(_))
    ));
    let fresh = rotated_issuer.sign(&claims(&issuer)).expect("sign");
    assert!(rotated.validate(&fresh, NOW).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failures_are_refused_again_on_every_call() {
    let (issuer, validator) = setup("h");
    let mut wrong = claims(&issuer);
    wrong.insert("aud".into(), json!("client-b"));
    let wrong = issuer.sign(&wrong).expect("sign");
    for _ in 0..2 {
        assert_eq!(validator.validate(&wrong, NOW), Err(JwtError::Audience));
    }
    for _ in 0..2 {
        assert!(validator.validate("a.b.c", NOW).is_err());
    }
}
