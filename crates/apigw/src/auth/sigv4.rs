//! `AWS_IAM` authorization: AWS Signature Version 4 on the request (header form), checked against
//! credentials Sluice was given. Runs after the body is read, because the signature covers the
//! body's SHA-256.
//!
//! AWS: IAM then evaluates the caller's policies; Sluice has no IAM, so a correctly signed request
//! from a known access key is allowed.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// How far a request's `X-Amz-Date` may be from now: API Gateway and Lambda refuse signatures
/// over 5 minutes off ("… (<now> - 5 min.)" in their refusals; S3's 15 minutes is its own).
const MAX_SKEW: time::Duration = time::Duration::minutes(5);

/// One access key Sluice accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `aws_access_key_id`.
    pub access_key_id: String,
    /// `aws_secret_access_key`.
    pub secret_access_key: String,
    /// The profile it came from (the user name in `userArn`).
    pub profile: String,
}

/// Why a request's signature is refused; each maps to AWS's 403 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header: AWS's `Missing Authentication Token`.
    #[error("the request is not signed")]
    Unsigned,
    /// The header lacks SigV4's parameters (a bearer token, say) or the request its date.
    #[error("incomplete signature: {missing:?} missing")]
    Incomplete {
        /// What is missing, in AWS's order.
        missing: Vec<SignaturePart>,
        /// The `Authorization` header as sent (AWS echoes it).
        authorization: String,
    },
    /// The header is a SigV4 authorization Sluice cannot read.
    #[error("malformed Authorization header: {0}")]
    Malformed(String),
    /// The access key is not one Sluice knows.
    #[error("unknown access key")]
    UnknownKey,
    /// The signature does not match; AWS tells the caller what it signed instead.
    #[error("signature mismatch")]
    Mismatch {
        /// The canonical request Sluice computed.
        canonical_request: String,
        /// The string to sign Sluice computed.
        string_to_sign: String,
    },
    /// `X-Amz-Date` is more than [`MAX_SKEW`] before now.
    #[error("signature expired")]
    Expired {
        /// `X-Amz-Date`.
        signed_at: OffsetDateTime,
        /// When the request arrived.
        now: OffsetDateTime,
    },
    /// `X-Amz-Date` is more than [`MAX_SKEW`] after now.
    #[error("signature not yet current")]
    NotYetCurrent {
        /// `X-Amz-Date`.
        signed_at: OffsetDateTime,
        /// When the request arrived.
        now: OffsetDateTime,
    },
}

/// A part of a SigV4 signature a request can lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignaturePart {
    /// `Credential=` in the header.
    Credential,
    /// `Signature=` in the header.
    Signature,
    /// `SignedHeaders=` in the header.
    SignedHeaders,
    /// An `X-Amz-Date` (or `Date`) header.
    Date,
}

/// The request parts a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The raw path as sent.
    pub raw_path: &'a str,
    /// The raw query, without `?`.
    pub query: Option<&'a str>,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: &'a [u8],
}

/// Access keys by id.
#[derive(Debug, Clone, Default)]
pub struct SigV4Verifier {
    keys: HashMap<String, Credential>,
}

impl SigV4Verifier {
    /// A verifier accepting these credentials.
    pub fn new(credentials: Vec<Credential>) -> SigV4Verifier {
        SigV4Verifier {
            keys: credentials
                .into_iter()
                .map(|c| (c.access_key_id.clone(), c))
                .collect(),
        }
    }

    /// The credential that signed `request`, if its signature verifies at `now`.
    pub fn verify(
        &self,
        request: &SignedRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<&Credential, SigV4Error> {
        let header = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(SigV4Error::Unsigned)?;
        let malformed = |m: &str| SigV4Error::Malformed(m.to_owned());
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        // AWS: a header that is not `AWS4-HMAC-SHA256 …` (a bearer token) lacks every parameter.
        if let Some(fields) = header.strip_prefix("AWS4-HMAC-SHA256 ") {
            for field in fields.split(',') {
                let (key, value) = field
                    .trim()
                    .split_once('=')
                    .ok_or_else(|| malformed("field"))?;
                match key {
                    "Credential" => credential = Some(value),
                    "SignedHeaders" => signed_headers = Some(value),
                    "Signature" => signature = Some(value),
                    _ => {}
                }
            }
        }
        let has_date = ["x-amz-date", "date"]
            .iter()
            .any(|name| request.headers.contains_key(*name));
        let (credential, signed_headers, signature) = match (credential, signed_headers, signature)
        {
            (Some(c), Some(h), Some(s)) if has_date => (c, h, s),
            _ => {
                let missing = [
                    (credential.is_none(), SignaturePart::Credential),
                    (signature.is_none(), SignaturePart::Signature),
                    (signed_headers.is_none(), SignaturePart::SignedHeaders),
                    (!has_date, SignaturePart::Date),
                ]
                .into_iter()
                .filter_map(|(absent, part)| absent.then_some(part))
                .collect();
                return Err(SigV4Error::Incomplete {
                    missing,
                    authorization: header.to_owned(),
                });
            }
        };
        let mut scope = credential.splitn(2, '/');
        let key_id = scope.next().unwrap_or_default();
        let scope = scope
            .next()
            .ok_or_else(|| malformed("Credential has no scope"))?;
        let parts: Vec<&str> = scope.split('/').collect();
        if parts.len() != 4 || parts[3] != "aws4_request" {
            return Err(malformed("scope is not date/region/service/aws4_request"));
        }
        let key = self.keys.get(key_id).ok_or(SigV4Error::UnknownKey)?;
        let amz_date = request
            .headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| malformed("no X-Amz-Date"))?;
        let signed_at = parse_amz_date(amz_date).ok_or_else(|| malformed("X-Amz-Date"))?;
        if signed_at < now - MAX_SKEW {
            return Err(SigV4Error::Expired { signed_at, now });
        }
        if signed_at > now + MAX_SKEW {
            return Err(SigV4Error::NotYetCurrent { signed_at, now });
        }
        let canonical = canonical_request(request, signed_headers);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mismatch = || SigV4Error::Mismatch {
            canonical_request: canonical.clone(),
            string_to_sign: string_to_sign.clone(),
        };
        // A scope dated another day than the request cannot verify.
        if !amz_date.starts_with(parts[0]) {
            return Err(mismatch());
        }
        let mut signing_key = format!("AWS4{}", key.secret_access_key).into_bytes();
        for part in &parts {
            signing_key = hmac(&signing_key, part.as_bytes());
        }
        let expected = hex(&hmac(&signing_key, string_to_sign.as_bytes()));
        // Compared without an early exit, so timing does not tell how much matched.
        let same = expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            Ok(key)
        } else {
            Err(mismatch())
        }
    }
}

/// Credentials to sign with (the standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// `aws_access_key_id`.
    pub access_key_id: String,
    /// `aws_secret_access_key`.
    pub secret_access_key: String,
    /// `aws_session_token` of temporary credentials.
    pub session_token: Option<String>,
}

/// Signs a request in header form for `service` in `region` at `now`: adds `x-amz-date` (and
/// `x-amz-security-token` for temporary credentials), then `authorization` over every header
/// already in `headers` (put `host` in first). The signature is [`SigV4Verifier::verify`]'s.
pub fn sign(
    headers: &mut HeaderMap,
    request: (&str, &str, &[u8]),
    key: &SigningKey,
    region: &str,
    service: &str,
    now: OffsetDateTime,
) {
    let (method, raw_path, body) = request;
    let amz_date = format_amz_date(now);
    let date = &amz_date[..8];
    let value = |text: &str| http::HeaderValue::from_str(text).ok();
    headers.remove(http::header::AUTHORIZATION);
    if let Some(v) = value(&amz_date) {
        headers.insert("x-amz-date", v);
    }
    if let Some(v) = key.session_token.as_deref().and_then(value) {
        headers.insert("x-amz-security-token", v);
    }
    let mut names: Vec<&str> = headers.keys().map(http::HeaderName::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let signed_headers = names.join(";");
    let canonical = canonical_request(
        &SignedRequest {
            method,
            raw_path,
            query: None,
            headers,
            body,
        },
        &signed_headers,
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut signing_key = format!("AWS4{}", key.secret_access_key).into_bytes();
    for part in [date, region, service, "aws4_request"] {
        signing_key = hmac(&signing_key, part.as_bytes());
    }
    let signature = hex(&hmac(&signing_key, string_to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        key.access_key_id
    );
    if let Some(v) = value(&authorization) {
        headers.insert(http::header::AUTHORIZATION, v);
    }
}

/// SigV4's canonical request (non-S3 rules: the path as sent, encoded once more).
fn canonical_request(request: &SignedRequest<'_>, signed_headers: &str) -> String {
    let path = if request.raw_path.is_empty() {
        "/"
    } else {
        request.raw_path
    };
    let canonical_uri: String = path
        .split('/')
        .map(uri_encode)
        .collect::<Vec<_>>()
        .join("/");
    let mut query: Vec<(String, String)> = request
        .query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(&decode(k)), uri_encode(&decode(v)))
        })
        .collect();
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let values: Vec<String> = request
            .headers
            .get_all(name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
        request.method,
        hex(&Sha256::digest(request.body))
    )
}

/// SigV4's URI encoding: unreserved characters kept, every other byte as `%XX` (upper case).
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-decoding of a query component (`+` stays `+`, as SigV4 clients encode spaces `%20`).
fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// `at` as `20260101T000000Z` (SigV4's `X-Amz-Date` form).
pub(crate) fn format_amz_date(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// How far off a signature's date may be ([`MAX_SKEW`]), in whole minutes, for AWS's messages.
pub(crate) fn max_skew_minutes() -> i64 {
    MAX_SKEW.whole_minutes()
}

/// `20260101T000000Z` (parsed by hand: the workspace builds `time` without its parser).
fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let month = time::Month::try_from(u8::try_from(number(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(number(0..4)?).ok()?,
        month,
        u8::try_from(number(6..8)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(number(9..11)?).ok()?,
        u8::try_from(number(11..13)?).ok()?,
        u8::try_from(number(13..15)?).ok()?,
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signing AWS's documented example request reproduces its documented signature, and what
    /// `sign` produces verifies.
    #[test]
    fn signing_reproduces_the_documented_signature() {
        let key = SigningKey {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().expect("static"));
        let at = parse_amz_date("20150830T123600Z").expect("date");
        sign(
            &mut headers,
            ("GET", "/", b""),
            &key,
            "us-east-1",
            "service",
            at,
        );
        // AWS's get-vanilla test vector.
        assert_eq!(
            headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        let verifier = SigV4Verifier::new(vec![Credential {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: key.secret_access_key.clone(),
            profile: "p".into(),
        }]);
        let request = SignedRequest {
            method: "GET",
            raw_path: "/",
            query: None,
            headers: &headers,
            body: b"",
        };
        assert!(verifier.verify(&request, at).is_ok());
    }

    /// AWS's published SigV4 example (IAM ListUsers, `AKIDEXAMPLE`), from the signing docs.
    #[test]
    fn aws_documented_example_verifies_and_a_changed_request_does_not() {
        let verifier = SigV4Verifier::new(vec![Credential {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            profile: "example".into(),
        }]);
        let mut headers = HeaderMap::new();
        headers.insert("host", "iam.amazonaws.com".parse().expect("static"));
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .expect("static"),
        );
        headers.insert("x-amz-date", "20150830T123600Z".parse().expect("static"));
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
                .parse()
                .expect("static"),
        );
        let request = SignedRequest {
            method: "GET",
            raw_path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers: &headers,
            body: b"",
        };
        let at = time::macros::datetime!(2015-08-30 12:36 UTC);
        assert_eq!(
            verifier.verify(&request, at).map(|c| c.profile.as_str()),
            Ok("example")
        );
        let changed = SignedRequest {
            query: Some("Action=DeleteUser&Version=2010-05-08"),
            ..request
        };
        // The refusal carries what Sluice signed: the changed query, in canonical form.
        let Err(SigV4Error::Mismatch {
            canonical_request,
            string_to_sign,
        }) = verifier.verify(&changed, at)
        else {
            panic!("a changed request must not verify");
        };
        assert!(
            canonical_request.starts_with("GET\n/\nAction=DeleteUser&Version=2010-05-08\n"),
            "{canonical_request}"
        );
        assert!(
            string_to_sign.starts_with(
                "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
            ),
            "{string_to_sign}"
        );
        // Five minutes either way, as API Gateway and Lambda allow; a second more is refused.
        let signed_at = time::macros::datetime!(2015-08-30 12:36 UTC);
        for now in [
            time::macros::datetime!(2015-08-30 12:41 UTC),
            time::macros::datetime!(2015-08-30 12:31 UTC),
        ] {
            assert!(verifier.verify(&request, now).is_ok(), "{now}");
        }
        let later = time::macros::datetime!(2015-08-30 12:41:01 UTC);
        assert_eq!(
            verifier.verify(&request, later),
            Err(SigV4Error::Expired {
                signed_at,
                now: later
            })
        );
        let earlier = time::macros::datetime!(2015-08-30 12:30:59 UTC);
        assert_eq!(
            verifier.verify(&request, earlier),
            Err(SigV4Error::NotYetCurrent {
                signed_at,
                now: earlier
            })
        );
        let unsigned = HeaderMap::new();
        let bare = SignedRequest {
            headers: &unsigned,
            ..request
        };
        assert_eq!(verifier.verify(&bare, at), Err(SigV4Error::Unsigned));
        assert_eq!(
            SigV4Verifier::default().verify(&request, at),
            Err(SigV4Error::UnknownKey)
        );
    }

    /// A bearer token, or a SigV4 header without its date, lacks parts AWS names one by one.
    #[test]
    fn a_header_without_sigv4_parts_is_incomplete() {
        let verifier = SigV4Verifier::default();
        let at = time::macros::datetime!(2015-08-30 12:36 UTC);
        let verify = |authorization: &str, dated: bool| {
            let mut headers = HeaderMap::new();
            headers.insert("authorization", authorization.parse().expect("static"));
            if dated {
                headers.insert("x-amz-date", "20150830T123600Z".parse().expect("static"));
            }
            let request = SignedRequest {
                method: "GET",
                raw_path: "/",
                query: None,
                headers: &headers,
                body: b"",
            };
            verifier.verify(&request, at).map(|_| ())
        };
        assert_eq!(
            verify("Bearer eyJ0eXAi", false),
            Err(SigV4Error::Incomplete {
                missing: vec![
                    SignaturePart::Credential,
                    SignaturePart::Signature,
                    SignaturePart::SignedHeaders,
                    SignaturePart::Date,
                ],
                authorization: "Bearer eyJ0eXAi".into(),
            })
        );
        let signed = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00";
        assert_eq!(
            verify(signed, false),
            Err(SigV4Error::Incomplete {
                missing: vec![SignaturePart::Date],
                authorization: signed.into(),
            })
        );
        let unsigned = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host";
        assert_eq!(
            verify(unsigned, true),
            Err(SigV4Error::Incomplete {
                missing: vec![SignaturePart::Signature],
                authorization: unsigned.into(),
            })
        );
    }
}
