//! Which headers each kind of API drops, or renames to `x-amzn-Remapped-<name>`, between the
//! client and the integration. Kept as data: one table per API kind (and, for REST APIs, per
//! integration type), each naming where its rules come from. A header no table lists passes.

/// What the gateway does with a header an integration answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Not sent to the client.
    Dropped,
    /// Sent as `x-amzn-Remapped-<name>`; the gateway sends its own `Date` and `Content-Length`.
    Remapped,
}

use http::HeaderName;
use Fate::{Dropped, Remapped};

/// The prefix a remapped header is sent under (names go out in lower case, as hyper writes them).
const REMAPPED_PREFIX: &str = "x-amzn-remapped-";

/// One API kind's rules for the headers of an integration's answer (lower-case names).
#[derive(Debug)]
pub(crate) struct ResponseRules(&'static [(&'static str, Fate)]);

/// Connection-level headers no kind of API relays when its table does not say otherwise: they
/// describe the integration's connection, and hyper frames the client's.
const CONNECTION_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// REST API, Lambda proxy integration. AWS's per-header table in "Amazon API Gateway important
/// notes for REST APIs" (`api-gateway-known-issues`, integration response, `lambda` column);
/// `Content-Length` as LocalStack's AWS-validated `REMAPPED_FROM_INTEGRATION_RESPONSE_COMMON`
/// (the gateway sends the body's own length). `x-amzn-RequestId` because the gateway sends its
/// own: LocalStack's AWS-validated `test_http_integration_with_lambda[HTTP_PROXY]` snapshot
/// records a proxied backend's id as `x-amzn-remapped-x-amzn-requestid` beside the gateway's.
pub(crate) const REST_LAMBDA_PROXY: ResponseRules = ResponseRules(&[
    ("authorization", Remapped),
    ("connection", Remapped),
    ("content-length", Remapped),
    ("content-md5", Remapped),
    ("date", Remapped),
    ("expect", Dropped),
    ("host", Dropped),
    ("max-forwards", Remapped),
    ("proxy-authenticate", Dropped),
    ("server", Remapped),
    ("te", Dropped),
    ("trailer", Dropped),
    ("transfer-encoding", Dropped),
    ("upgrade", Dropped),
    ("user-agent", Remapped),
    ("via", Dropped),
    ("www-authenticate", Remapped),
    ("x-amzn-requestid", Remapped),
]);

/// REST API, non-proxy AWS and HTTP integrations (Lambda custom, DynamoDB, an HTTP endpoint):
/// the method response's mapped headers, after `responseParameters` and `$context.responseOverride`. LocalStack's
/// AWS-validated `REMAPPED_FROM_INTEGRATION_RESPONSE_NON_PROXY` and
/// `DROPPED_FROM_INTEGRATION_RESPONSES_COMMON` (next-gen `execute_api/header_utils.py`).
pub(crate) const REST_AWS: ResponseRules = ResponseRules(&[
    ("authorization", Remapped),
    ("connection", Remapped),
    ("content-length", Remapped),
    ("content-md5", Remapped),
    ("date", Remapped),
    ("expect", Remapped),
    ("host", Remapped),
    ("max-forwards", Remapped),
    ("proxy-authenticate", Remapped),
    ("server", Remapped),
    ("trailer", Remapped),
    ("transfer-encoding", Dropped),
    ("upgrade", Remapped),
    ("user-agent", Remapped),
    ("www-authenticate", Remapped),
]);

/// REST API, `HTTP_PROXY` integration: the endpoint's own headers. LocalStack's AWS-validated
/// `test_http_integration_with_lambda[HTTP_PROXY]` snapshot records `Connection`,
/// `Content-Length`, `Date` and `x-amzn-RequestId` reaching the client as `x-amzn-Remapped-*`
/// beside the gateway's own; `Server` as `REMAPPED_FROM_INTEGRATION_RESPONSE_COMMON`, `Via` and
/// `Transfer-Encoding` as `DROPPED_FROM_INTEGRATION_RESPONSES_HTTP_PROXY` (next-gen
/// `execute_api/header_utils.py`). That table also drops `Content-Encoding`, because LocalStack's
/// client decodes the body; Sluice relays the body as the endpoint encoded it, so it keeps the
/// header that says how.
pub(crate) const REST_HTTP_PROXY: ResponseRules = ResponseRules(&[
    ("connection", Remapped),
    ("content-length", Remapped),
    ("date", Remapped),
    ("server", Remapped),
    ("transfer-encoding", Dropped),
    ("via", Dropped),
    ("x-amzn-requestid", Remapped),
]);

/// REST API, MOCK integration: only the common remaps (same LocalStack source as [`REST_AWS`]),
/// so a mocked `WWW-Authenticate` reaches the client under its own name.
pub(crate) const REST_MOCK: ResponseRules = ResponseRules(&[
    ("connection", Remapped),
    ("content-length", Remapped),
    ("date", Remapped),
    ("server", Remapped),
    ("transfer-encoding", Dropped),
]);

/// HTTP API (payload 1.0 and 2.0): AWS documents remapping for REST APIs only; an HTTP API relays
/// the function's headers (`WWW-Authenticate` included) except the connection-level ones.
pub(crate) const HTTP_API: ResponseRules = ResponseRules(&[]);

/// Function URL: what deployed URLs are recorded doing (clients receive
/// `x-amzn-Remapped-www-authenticate`; CloudFront policies in front of URLs strip the
/// `x-amzn-Remapped-` forms of `Connection`, `Content-Length`, `Date` and `Server`).
pub(crate) const FUNCTION_URL: ResponseRules = ResponseRules(&[
    ("connection", Remapped),
    ("content-length", Remapped),
    ("date", Remapped),
    ("server", Remapped),
    ("www-authenticate", Remapped),
]);

impl ResponseRules {
    /// What happens to `name` (lower case); `None` passes it through.
    pub(crate) fn fate(&self, name: &str) -> Option<Fate> {
        match self.0.iter().find(|(listed, _)| *listed == name) {
            Some((_, fate)) => Some(*fate),
            None if CONNECTION_HEADERS.contains(&name) => Some(Dropped),
            None => None,
        }
    }

    /// The name `name` reaches the client under, or `None` when it is dropped.
    pub(crate) fn sent_name(&self, name: HeaderName) -> Option<HeaderName> {
        match self.fate(name.as_str()) {
            None => Some(name),
            Some(Remapped) => {
                HeaderName::from_bytes(format!("{REMAPPED_PREFIX}{}", name.as_str()).as_bytes())
                    .ok()
            }
            Some(Dropped) => None,
        }
    }
}

/// Client headers a REST API never puts in a Lambda proxy event or offers to mapping templates:
/// AWS's table (integration request, `lambda` column: dropped) and LocalStack's AWS-validated
/// `DROPPED_FROM_REQUEST_COMMON`, plus the hop-by-hop headers neither lists.
pub(crate) const REST_DROPPED_REQUEST_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "content-md5",
    "expect",
    "keep-alive",
    "max-forwards",
    "proxy-authenticate",
    "proxy-connection",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "www-authenticate",
];

/// Client headers HTTP APIs and Function URLs leave out of events: the hop-by-hop ones (AWS's
/// per-header request table covers REST APIs only).
pub(crate) const HOP_BY_HOP_REQUEST_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "expect",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_lambda_proxy_remaps_auth_and_identity_headers_and_drops_framing() {
        let sent = |name: &'static str| {
            REST_LAMBDA_PROXY
                .sent_name(HeaderName::from_static(name))
                .map(|sent| sent.as_str().to_owned())
        };
        assert_eq!(
            sent("www-authenticate").as_deref(),
            Some("x-amzn-remapped-www-authenticate")
        );
        assert_eq!(sent("date").as_deref(), Some("x-amzn-remapped-date"));
        assert_eq!(sent("via"), None);
        assert_eq!(
            sent("x-amzn-requestid").as_deref(),
            Some("x-amzn-remapped-x-amzn-requestid"),
            "the gateway's own id takes the name"
        );
        assert_eq!(sent("keep-alive"), None, "hop-by-hop, listed or not");
        assert_eq!(sent("x-custom").as_deref(), Some("x-custom"));
        assert_eq!(sent("content-type").as_deref(), Some("content-type"));
    }

    #[test]
    fn mock_and_http_api_relay_www_authenticate_and_function_urls_remap_it() {
        assert_eq!(REST_MOCK.fate("www-authenticate"), None);
        assert_eq!(REST_MOCK.fate("server"), Some(Remapped));
        assert_eq!(REST_AWS.fate("www-authenticate"), Some(Remapped));
        assert_eq!(HTTP_API.fate("www-authenticate"), None);
        assert_eq!(HTTP_API.fate("server"), None);
        assert_eq!(HTTP_API.fate("content-length"), Some(Dropped));
        assert_eq!(FUNCTION_URL.fate("www-authenticate"), Some(Remapped));
        assert_eq!(FUNCTION_URL.fate("transfer-encoding"), Some(Dropped));
    }

    #[test]
    fn tables_are_lower_case_and_name_each_header_once() {
        for table in [
            REST_LAMBDA_PROXY,
            REST_HTTP_PROXY,
            REST_AWS,
            REST_MOCK,
            HTTP_API,
            FUNCTION_URL,
        ] {
            for (i, (name, _)) in table.0.iter().enumerate() {
                assert_eq!(*name, name.to_ascii_lowercase());
                assert!(!table.0[i + 1..].iter().any(|(other, _)| other == name));
            }
        }
    }
}
