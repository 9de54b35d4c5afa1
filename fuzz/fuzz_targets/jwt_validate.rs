//! The JWT validator behind Cognito/JWT authorizers: any token against a real RS256 key set (the
//! local issuer's), and any bytes as a JWKS document.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use sluice_apigw::auth::issuer::LocalIssuer;
use sluice_apigw::auth::jwt::{Jwks, JwtRules, JwtValidator};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    token: &'a str,
    now: u64,
    /// When set, also parsed as a JWKS and used to validate the token.
    jwks: Option<&'a [u8]>,
    /// Sign these claims with the real key and validate that token instead (reaches the claim checks).
    signed_claims: Option<Vec<(String, i64)>>,
}

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_fuzz";

/// The local issuer (an RSA key made once in a scratch folder) and a validator for its tokens.
fn issuer() -> &'static (LocalIssuer, JwtValidator) {
    static ISSUER_AND_VALIDATOR: OnceLock<(LocalIssuer, JwtValidator)> = OnceLock::new();
    ISSUER_AND_VALIDATOR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sluice-fuzz-jwt-{}", std::process::id()));
        let issuer = LocalIssuer::open(&dir, "us-east-1_fuzz", ISSUER.into())
            .expect("the local issuer makes its key (fuzz harness setup)");
        let jwks = issuer
            .jwks()
            .expect("the issuer's own JWKS parses (fuzz harness setup)");
        let _ = std::fs::remove_dir_all(&dir);
        let validator = JwtValidator::new(jwks, rules());
        (issuer, validator)
    })
}

fn rules() -> JwtRules {
    JwtRules {
        issuer: ISSUER.into(),
        audiences: vec!["client".into()],
        token_uses: vec!["id".into(), "access".into()],
        leeway_secs: 60,
    }
}

fuzz_target!(|input: Input| {
    let (issuer, validator) = issuer();
    let _ = validator.validate(input.token, input.now);
    if let Some(bytes) = input.jwks {
        if let Ok(jwks) = Jwks::from_json(bytes) {
            let _ = JwtValidator::new(jwks, rules()).validate(input.token, input.now);
        }
    }
    if let Some(claims) = input.signed_claims {
        let mut map = serde_json::Map::new();
        map.insert("iss".into(), Value::String(ISSUER.into()));
        map.insert("token_use".into(), Value::String("id".into()));
        map.insert("exp".into(), json!(input.now.saturating_add(3600)));
        // Named claims (`exp`, `nbf`, `iat`, `auth_time`…) overwrite the defaults with any integer.
        for (name, value) in claims.into_iter().take(8) {
            map.insert(name, json!(value));
        }
        map.insert("aud".into(), Value::String("client".into()));
        if let Ok(token) = issuer.sign(&map) {
            let _ = validator.validate(&token, input.now);
        }
    }
});
