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
    assert_eq!(ok["cognito:username"], "ada");

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
    let claims = validator.validate(&token, NOW).expect("valid access token");
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
fn a_remembered_token_still_expires() {
    let (issuer, validator) = setup("d");
    let token = issuer.sign(&claims(&issuer)).expect("sign");
    assert!(validator.validate(&token, NOW).is_ok());
    assert!(
        validator.validate(&token, NOW + 10).is_ok(),
        "answered from memory"
    );
    assert_eq!(
        validator.validate(&token, NOW + 3600),
        Err(JwtError::Expired)
    );
    // A clone (one per route) shares what was verified, and the rules still apply to others.
    let other = validator.clone();
    let mut wrong = claims(&issuer);
    wrong.insert("aud".into(), json!("client-b"));
    let wrong = issuer.sign(&wrong).expect("sign");
    assert_eq!(other.validate(&wrong, NOW), Err(JwtError::Audience));
    assert_eq!(
        other.validate(&wrong, NOW),
        Err(JwtError::Audience),
        "failures are not remembered"
    );
}
