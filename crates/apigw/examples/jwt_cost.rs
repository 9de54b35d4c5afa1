//! What validating one Cognito-shaped RS256 token costs (signature, claims), in microseconds.
//!
//! `cargo run --release -p sluice-apigw --example jwt_cost [ITERATIONS]`; the target is
//! under 30 µs p50 added to a request.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use sluice_apigw::auth::issuer::{LocalIssuer, TokenRequest};
use sluice_apigw::auth::jwt::{JwtRules, JwtValidator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("sluice-jwt-cost-{}", std::process::id()));
    let issuer = LocalIssuer::open(&dir, "us-east-1_BENCH", "https://issuer/bench".into())?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let token = issuer.sign(
        &TokenRequest {
            client_id: "client".into(),
            username: "ada".into(),
            groups: vec!["admin".into()],
            expires_in: 3600,
            now: now as i64,
            ..TokenRequest::default()
        }
        .claims(issuer.issuer()),
    )?;
    let validator = JwtValidator::new(
        issuer.jwks()?,
        JwtRules {
            issuer: issuer.issuer().to_owned(),
            audiences: vec!["client".into()],
            token_uses: vec!["id".into()],
            leeway_secs: 0,
        },
    );
    // First sight of a token: a fresh validator each time (full RSA verification).
    let cold = measure(iterations / 10, || {
        let fresh = JwtValidator::new(validator_jwks(&issuer), validator.rules().clone());
        fresh.validate(&token, now).map(|_| ())
    })?;
    // A token seen before (the usual case: a client sends the same token for an hour).
    let warm = measure(iterations, || validator.validate(&token, now).map(|_| ()))?;
    println!("RS256 token, first sight: {cold}");
    println!("RS256 token, seen before: {warm}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn validator_jwks(issuer: &LocalIssuer) -> sluice_apigw::auth::jwt::Jwks {
    // The issuer made this JWKS itself; it always parses.
    issuer.jwks().expect("the issuer's own JWKS")
}

/// p50/p90/p99 of `f` in microseconds over `n` runs.
fn measure<E>(n: usize, mut f: impl FnMut() -> Result<(), E>) -> Result<String, E> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let started = Instant::now();
        f()?;
        samples.push(started.elapsed().as_nanos() as f64 / 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    Ok(format!(
        "p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs over {} runs",
        pick(0.5),
        pick(0.9),
        pick(0.99),
        samples.len()
    ))
}
