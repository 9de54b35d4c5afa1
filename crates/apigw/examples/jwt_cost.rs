//! What validating one Cognito-shaped RS256 token costs (signature, claims), in microseconds:
//! a token's first request (RSA verification) and its repeats (the verified-token cache, claims
//! still checked), with whichever backend `jsonwebtoken` is built with.
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
    let sign = || {
        issuer.sign(
            &TokenRequest {
                client_id: "client".into(),
                username: "ada".into(),
                groups: vec!["admin".into()],
                expires_in: 3600,
                now: now as i64,
                ..TokenRequest::default()
            }
            .claims(issuer.issuer()),
        )
    };
    let validator = JwtValidator::new(
        issuer.jwks()?,
        JwtRules {
            issuer: issuer.issuer().to_owned(),
            audiences: vec!["client".into()],
            token_uses: vec!["id".into()],
            leeway_secs: 0,
        },
    );
    // First sight of a token: each one distinct (its own `jti`), so each is a cache miss (RSA
    // verification, then the cache insert), as a client's first request with a new token.
    let fresh: Vec<String> = (0..(iterations / 10).max(1))
        .map(|_| sign())
        .collect::<Result<_, _>>()?;
    let mut fresh_tokens = fresh.iter();
    let cold = measure(fresh.len(), || {
        // `measure` calls this exactly `fresh.len()` times.
        let token = fresh_tokens.next().expect("one token per run");
        validator.validate(token, now).map(|_| ())
    })?;
    assert_eq!(validator.jwks().verifications(), fresh.len() as u64);
    // A token seen before (the usual case: a client sends the same token for an hour).
    let token = &fresh[0];
    let warm = measure(iterations, || validator.validate(token, now).map(|_| ()))?;
    assert_eq!(validator.jwks().verifications(), fresh.len() as u64);
    println!("RS256 token, first sight: {cold}");
    println!("RS256 token, seen before: {warm}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
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
