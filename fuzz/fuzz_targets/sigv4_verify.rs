//! The SigV4 verifier behind IAM auth: any request (Authorization header, X-Amz-Date, signed
//! headers, query, body) at any time.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sluice_apigw::auth::sigv4::{Credential, SigV4Verifier, SignedRequest};

#[derive(Debug, Arbitrary)]
struct Input {
    method: String,
    uri: String,
    authorization: String,
    amz_date: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    now: i64,
}

fuzz_target!(|input: Input| {
    let mut builder = http::Request::builder()
        .method(input.method.as_str())
        .uri(input.uri.as_str())
        .header("host", "abc.execute-api.us-east-1.amazonaws.com")
        // Most inputs name the known key, so the canonical request and signature code runs.
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/{}",
                input.authorization
            ),
        );
    if let Some(date) = &input.amz_date {
        builder = builder.header("x-amz-date", date.as_str());
    }
    for (name, value) in &input.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    let Ok(request) = builder.body(()) else {
        return;
    };
    let verifier = SigV4Verifier::new(vec![Credential {
        access_key_id: "AKIDFUZZ".into(),
        secret_access_key: "secret".into(),
        profile: "default".into(),
    }]);
    let Ok(now) = time::OffsetDateTime::from_unix_timestamp(input.now % 100_000_000_000) else {
        return;
    };
    let signed = SignedRequest {
        method: request.method().as_str(),
        raw_path: request.uri().path(),
        query: request.uri().query(),
        headers: request.headers(),
        body: &input.body,
    };
    let _ = verifier.verify(&signed, now);
});
