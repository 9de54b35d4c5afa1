//! The context every phase of one request reads and extends: the request as received, the ids API
//! Gateway assigns it, and (filled by later phases) what they learned.

use std::net::SocketAddr;

use base64::Engine as _;
use bytes::Bytes;
use http::HeaderMap;
use time::OffsetDateTime;

use crate::dialect::Dialect;
use crate::route_table::RouteMatch;

/// The original header names of a request, in the order the client sent them (one entry per header
/// line). Put it in the request's extensions and the event's header names keep the client's case,
/// as API Gateway's payload 1.0 does; without it the names are lower case (hyper lowercases them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawHeaderNames(pub Vec<String>);

/// The target ([`sluice_template::FunctionUrl::target`]: `MyFn`, or `MyFn:live` for an alias's) of
/// the Function URL a listener serves alone, at its root (as `start-function-urls` gives each URL
/// its own port). Put it in the request's extensions and the
/// request reaches that URL whatever its host and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedFunctionUrl(pub String);

/// One request on its way through the phases.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// `requestContext.requestId` and `x-amzn-RequestId`: a fresh UUID v4.
    pub request_id: String,
    /// `requestContext.extendedRequestId` and `x-amz-apigw-id`.
    pub extended_request_id: String,
    /// `X-Amzn-Trace-Id` of the response.
    pub trace_id: String,
    /// When the gateway received the request (`requestTime`, `requestTimeEpoch`).
    pub received_at: OffsetDateTime,
    /// The method as the client sent it.
    pub method: String,
    /// The raw (percent-encoded) path as the client sent it, leading `//` included.
    pub raw_path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// `HTTP/1.1` and friends.
    pub protocol: &'static str,
    /// Request headers (names lower-cased by hyper).
    pub headers: HeaderMap,
    /// The client's header names, when the server captured them.
    pub raw_header_names: Option<Vec<String>>,
    /// The function whose URL the request's listener serves alone ([`PinnedFunctionUrl`]).
    pub pinned_url: Option<String>,
    /// The client's address (`identity.sourceIp`).
    pub remote: SocketAddr,
    /// The request body, once the body phase has read it.
    pub body: Bytes,
    /// The kind of API answering: the gateway's default until routing, then the matched API's.
    pub dialect: Dialect,
    /// The route the route phase selected.
    pub route: Option<RouteMatch>,
    /// The raw path as the matched API sees it: `raw_path`, except that a Function URL's path form
    /// (`/lambda-url/<name>/rest`) loses its prefix (`/rest`).
    pub api_path: String,
    /// The path an HTTP API route's `overwrite:path` parameter map gave the integration request;
    /// `None`: the integration gets the client's.
    pub integration_path: Option<String>,
    /// What an authorizer phase learned, as the dialect's event shows it under
    /// `requestContext.authorizer` (`{"jwt": …}`, `{"lambda": …}`, `{"iam": …}`); `None` when no
    /// authorizer ran, and the key is then absent from the event.
    pub authorizer: Option<serde_json::Value>,
    /// The authorizer that decided (for the access log).
    pub decided_by: Option<String>,
    /// Whether the authorizer's answer came from its cache (Lambda result, or a JWT's signature).
    pub authorizer_cache_hit: Option<bool>,
    /// The `usageIdentifierKey` a Lambda authorizer returned.
    pub usage_identifier_key: Option<String>,
    /// The logical id of the API key the request used.
    pub api_key_id: Option<String>,
    /// The API key's value, once the route required one and it passed.
    pub api_key: Option<String>,
    /// The limit that throttled the request (for the access log).
    pub throttled_by: Option<String>,
    /// The stage cache key and TTL, when the method is cached.
    pub cache: Option<(String, std::time::Duration)>,
    /// Whether the stage cache answered (`None`: the method is not cached).
    pub response_cache_hit: Option<bool>,
    /// The access key id and profile of a verified SigV4 signature (`AWS_IAM` routes).
    pub iam_caller: Option<(String, String)>,
    /// What the integration phase did, once it ran (a stage's access log reports it).
    pub integration: Option<IntegrationFacts>,
    /// What the authentication and authorization phases did (a stage's access log reports it).
    pub auth: AuthFacts,
    /// The gateway error answered, if any (a stage's access log reports it).
    pub error: Option<ErrorFacts>,
    /// What the phases note for the stage's execution log; `None` unless the matched method
    /// writes one (every note is then skipped).
    pub execution: Option<Box<crate::execution_log::ExecutionTrace>>,
}

/// What the integration phase did, for `$context.integration*` in a stage's access log.
#[derive(Debug, Clone)]
pub(crate) struct IntegrationFacts {
    /// How long the integration took, from its start to its answer or failure.
    pub latency: std::time::Duration,
    /// The status the integration's endpoint answered (`$context.integrationStatus`): Lambda's
    /// Invoke (200, a function error included; 202 for an `Event` invocation), an HTTP
    /// endpoint's, DynamoDB's, a MOCK's own; `None` when nothing answered (refused, timed out).
    pub status: Option<u16>,
    /// The integration's status as `$context.integration.status` reports it: a Lambda proxy's is
    /// the `statusCode` the function's response named (known once that response is mapped),
    /// any other integration's its endpoint's, as `status`.
    pub backend_status: Option<u16>,
    /// The request id of the Lambda invocation that answered (`$context.integration.requestId`,
    /// the `RequestId` of its START/END/REPORT lines); `None` when no function ran.
    pub request_id: Option<String>,
    /// The function's error, when it failed.
    pub error: Option<String>,
}

/// The gateway error a request was answered with, for `$context.error.*` in a stage's access log.
#[derive(Debug, Clone)]
pub(crate) struct ErrorFacts {
    /// Its gateway response type (`MISSING_AUTHENTICATION_TOKEN`).
    pub response_type: &'static str,
    /// Its default body, whose `message` is `$context.error.message`.
    pub body: std::borrow::Cow<'static, str>,
    /// `$context.error.validationErrorString`: a failed body's violations, else empty.
    pub validation_errors: String,
}

/// What the authentication and authorization phases did, for a stage's access log
/// (`$context.authenticate.*`, `authorizer.*`, `authorize.*`); each `None` when its phase did not
/// run. AWS names the phases a request goes through (Compute Blog, "Troubleshooting Amazon API
/// Gateway with enhanced observability variables"): authenticate (IAM's signature), authorizer (a
/// Lambda, JWT or Cognito authorizer), authorize (a Lambda authorizer's or IAM's policy).
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthFacts {
    /// Verifying an `AWS_IAM` route's signature.
    pub authenticate: Option<PhaseFacts>,
    /// The route's authorizer reaching its answer.
    pub authorizer: Option<PhaseFacts>,
    /// The authorizer function's invocation, when it ran for this request (not a cached answer)
    /// and Lambda answered.
    pub authorizer_call: Option<LambdaCall>,
    /// Evaluating the policy a Lambda authorizer returned, or the resource policy for an IAM
    /// caller.
    pub authorize: Option<PhaseFacts>,
}

/// How one phase ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhaseFacts {
    /// 200 when the request passed it, else the status the gateway answered for it.
    pub status: u16,
    /// From the phase's start to its end.
    pub latency: std::time::Duration,
}

/// A Lambda invocation the gateway made and Lambda answered.
#[derive(Debug, Clone)]
pub(crate) struct LambdaCall {
    /// The request id the function ran under.
    pub request_id: String,
    /// From the Invoke call to its answer.
    pub latency: std::time::Duration,
}

impl Exchange {
    /// Start an exchange for a request's head (its headers and raw names are moved, not copied);
    /// fresh ids and the receive time are assigned here.
    pub fn new(parts: http::request::Parts, remote: SocketAddr, dialect: Dialect) -> Exchange {
        let http::request::Parts {
            method,
            uri,
            version,
            headers,
            mut extensions,
            ..
        } = parts;
        let received_at = OffsetDateTime::now_utc();
        let request_id = uuid::Uuid::new_v4();
        let random = uuid::Uuid::new_v4();
        let random = random.as_bytes();
        Exchange {
            request_id: request_id.to_string(),
            // AWS's look: 16 characters of base64 ending in `=` (11 random bytes).
            extended_request_id: base64::engine::general_purpose::STANDARD.encode(&random[..11]),
            trace_id: headers
                .get("x-amzn-trace-id")
                .and_then(|incoming| {
                    continued_trace(incoming.to_str().ok()?, &request_id.as_bytes()[8..])
                })
                .unwrap_or_else(|| trace_id(received_at, &request_id.as_bytes()[..12])),
            received_at,
            method: method.as_str().to_owned(),
            raw_path: uri.path().to_owned(),
            api_path: uri.path().to_owned(),
            integration_path: None,
            authorizer: None,
            query: uri.query().map(str::to_owned),
            protocol: protocol_name(version),
            headers,
            raw_header_names: extensions.remove::<RawHeaderNames>().map(|names| names.0),
            pinned_url: extensions.remove::<PinnedFunctionUrl>().map(|pin| pin.0),
            remote,
            body: Bytes::new(),
            dialect,
            route: None,
            decided_by: None,
            authorizer_cache_hit: None,
            usage_identifier_key: None,
            api_key_id: None,
            api_key: None,
            throttled_by: None,
            cache: None,
            response_cache_hit: None,
            iam_caller: None,
            integration: None,
            auth: AuthFacts::default(),
            error: None,
            execution: None,
        }
    }

    /// A request header's value as text (lossy), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.header_str(name).map(std::borrow::Cow::into_owned)
    }

    /// [`Exchange::header`], borrowed when the value is valid UTF-8 (as nearly every one is).
    pub fn header_str(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
    }
}

/// `requestContext.protocol` for an HTTP version.
fn protocol_name(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// `Root=1-<epoch seconds, 8 hex digits>-<24 hex digits>`, built in one allocation.
fn trace_id(at: OffsetDateTime, random: &[u8]) -> String {
    let mut out = String::with_capacity(16 + random.len() * 2);
    out.push_str("Root=1-");
    // `{:08x}` of the epoch, as X-Ray writes it; a time before 1970 shows as zero.
    let epoch = u32::try_from(at.unix_timestamp()).unwrap_or(0);
    hex(&epoch.to_be_bytes(), &mut out);
    out.push('-');
    hex(random, &mut out);
    out
}

/// The trace a client's `X-Amzn-Trace-Id` starts, continued: AWS keeps its `Root` (and `Parent`
/// and `Sampled` when given), adds a `Parent` of its own when there is none, and marks a trace
/// without a parent unsampled (LocalStack's recorded `test_invocation_trace_id`). `None` when the
/// header has no `Root`, which starts a fresh trace instead.
fn continued_trace(incoming: &str, random: &[u8]) -> Option<String> {
    let field = |key: &str| {
        incoming.split(';').find_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            (k.eq_ignore_ascii_case(key) && !v.is_empty()).then_some(v)
        })
    };
    let root = field("Root")?;
    let parent = field("Parent");
    let mut out = format!("Root={root};Parent=");
    match parent {
        Some(parent) => out.push_str(parent),
        None => hex(&random[..8], &mut out),
    }
    let sampled = field("Sampled").unwrap_or(if parent.is_some() { "1" } else { "0" });
    out.push_str(";Sampled=");
    out.push_str(sampled);
    Some(out)
}

/// Lower-case hex of some bytes, appended to `out`.
fn hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// FNV-1a (64-bit): stable across runs and Rust releases (std's hasher is not), for the ids
/// Sluice derives from names.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_from(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a continued from `hash` over `bytes`: hashing parts in turn hashes them joined.
fn fnv1a_from(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A stable lower-case alphanumeric id of `len` characters derived from `seed` (FNV-1a), so the
/// same template gives the same `apiId` / `resourceId` on every start, as a deployed API would.
pub(crate) fn stable_id(seed: &str, len: usize) -> String {
    stable_id_of(&[seed], len)
}

/// [`stable_id`] of the parts joined: the per-request `resourceId` hashes its API and resource
/// without formatting them into a string first.
pub(crate) fn stable_id_of(parts: &[&str], len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut hash = parts
        .iter()
        .fold(fnv1a(b""), |hash, part| fnv1a_from(hash, part.as_bytes()));
    let mut out = String::with_capacity(len);
    for _ in 0..len {
        out.push(char::from(ALPHABET[(hash % 36) as usize]));
        hash /= 36;
        if hash == 0 {
            // Re-mix so long ids do not end in a run of zeros.
            hash = 0x9e37_79b9_7f4a_7c15 ^ (out.len() as u64);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_are_stable_distinct_and_shaped() {
        let a = stable_id("ServerlessRestApi", 10);
        assert_eq!(a, stable_id("ServerlessRestApi", 10));
        assert_ne!(a, stable_id("OtherApi", 10));
        assert_eq!(a.len(), 10);
        assert_eq!(
            stable_id_of(&["ServerlessRestApi", " ", "/items/{id}"], 6),
            stable_id("ServerlessRestApi /items/{id}", 6)
        );
        assert!(a
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }

    #[test]
    fn fresh_ids_have_aws_shapes() {
        let (parts, ()) = http::Request::builder()
            .uri("/x?a=1")
            .extension(RawHeaderNames(vec!["Host".into()]))
            .body(())
            .expect("static request")
            .into_parts();
        let ex = Exchange::new(
            parts.clone(),
            "127.0.0.1:9".parse().expect("static addr"),
            Dialect::Rest,
        );
        assert_eq!(ex.extended_request_id.len(), 16);
        assert!(ex.extended_request_id.ends_with('='));
        assert!(uuid::Uuid::parse_str(&ex.request_id).is_ok());
        let trace = ex.trace_id.strip_prefix("Root=1-").expect("trace prefix");
        let (epoch, random) = trace.split_once('-').expect("two parts");
        assert_eq!((epoch.len(), random.len()), (8, 24));
        let epoch = i64::from_str_radix(epoch, 16).expect("hex epoch");
        assert_eq!(epoch, ex.received_at.unix_timestamp());
        assert!(random
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(&random[..8], &ex.request_id.replace('-', "")[..8]);
        assert_eq!(ex.query.as_deref(), Some("a=1"));
        assert_eq!(ex.raw_header_names, Some(vec!["Host".to_owned()]));
        let other = Exchange::new(
            parts,
            "127.0.0.1:9".parse().expect("static addr"),
            Dialect::Rest,
        );
        assert_ne!(ex.request_id, other.request_id);
        assert_ne!(ex.extended_request_id, other.extended_request_id);
    }

    /// A client's trace header is continued, not replaced.
    #[test]
    fn a_clients_trace_is_continued() {
        let trace_of = |header: &str| {
            let (parts, ()) = http::Request::builder()
                .header("x-amzn-trace-id", header)
                .body(())
                .expect("static request")
                .into_parts();
            Exchange::new(parts, "127.0.0.1:9".parse().expect("addr"), Dialect::Rest).trace_id
        };
        let full = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1";
        assert_eq!(trace_of(full), full);
        let rooted = trace_of("Root=1-3152b799-8954dae64eda91bc9a23a7e8");
        let parent = rooted
            .strip_prefix("Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=")
            .and_then(|rest| rest.strip_suffix(";Sampled=0"))
            .expect("the root kept, a parent added");
        assert_eq!(parent.len(), 16);
        assert!(parent.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(trace_of("garbage").starts_with("Root=1-"));
        assert!(!trace_of("garbage").contains("garbage"));
    }
}
