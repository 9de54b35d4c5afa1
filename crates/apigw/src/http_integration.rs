//! Phase integrate for REST `HTTP` (custom) integrations: the integration request API Gateway
//! sends to an HTTP endpoint, and the call under the integration timeout. The mapped payload is
//! the body; `requestParameters` (`integration.request.header|querystring|path.name`) and the
//! request template's `$context.requestOverride` (which wins) give the headers, the query string
//! and the URI's `{name}` placeholders. The endpoint's status, headers and body go back to the
//! integration responses (`mapped_integration`), which select on the status code.
//!
//! Headers, as LocalStack's AWS-validated next-gen REST gateway records them
//! (`execute_api/handlers/integration_request.py`): `Expect`, `Proxy-Authenticate`, `TE` and
//! `Via` never leave; `Accept: application/json`, `User-Agent: AmazonAPIGateway_<apiId>` and,
//! for a method request with a body, its `Content-Type` are sent unless mapped; `X-Amzn-Trace-Id`
//! and `X-Amzn-Apigateway-Api-Id` are always the gateway's, and mapping one of them (or
//! `Content-Length`, `Transfer-Encoding`) fails the request with a 500. No body goes with `GET`,
//! `HEAD` or `OPTIONS` (`integrations/http.py`).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::gateway_error::GatewayError;
use crate::integration::{CallHttp, HttpAnswer, HttpCallError};

/// Headers a mapping may not set: the gateway frames the body and names itself.
pub(crate) const ILLEGAL_MAPPED_HEADERS: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "x-amzn-trace-id",
    "x-amzn-apigateway-api-id",
];

/// Headers dropped from the integration request after mapping.
pub(crate) const DROPPED_HEADERS: &[&str] = &["expect", "proxy-authenticate", "te", "via"];

/// Methods whose integration request carries no body.
pub(crate) const NO_BODY_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS"];

/// What query string names and values are encoded against: everything but RFC 3986's unreserved
/// characters.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The integration request's headers, query string and path values, as `requestParameters` and
/// then `$context.requestOverride` set them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Mapped {
    /// `integration.request.header.*` (a later value of the same name, in any case, replaces).
    pub header: Vec<(String, String)>,
    /// `integration.request.querystring.*`.
    pub querystring: Vec<(String, String)>,
    /// `integration.request.path.*`: the URI's `{name}` placeholders.
    pub path: Vec<(String, String)>,
}

impl Mapped {
    /// The integration's `requestParameters`, each source read by `value` (`None`: the request
    /// has no such value, and the parameter is not sent).
    pub fn from_parameters(
        parameters: &BTreeMap<String, String>,
        value: impl Fn(&str) -> Option<String>,
    ) -> Mapped {
        let mut mapped = Mapped::default();
        for (target, source) in parameters {
            let Some(target) = target.strip_prefix("integration.request.") else {
                continue;
            };
            let Some((location, name)) = target.split_once('.') else {
                continue;
            };
            if let Some(value) = value(source) {
                mapped.set(location, name, value);
            }
        }
        mapped
    }

    /// Applies a request template's `$context.requestOverride` (`{"header": {…}, "querystring":
    /// {…}, "path": {…}}`): AWS's overrides win over the request parameters.
    pub fn override_with(&mut self, overrides: &serde_json::Value) {
        for location in ["header", "querystring", "path"] {
            let Some(entries) = overrides.get(location).and_then(|v| v.as_object()) else {
                continue;
            };
            for (name, value) in entries {
                let value = match value {
                    serde_json::Value::Null => continue,
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                self.set(location, name, value);
            }
        }
    }

    fn set(&mut self, location: &str, name: &str, value: String) {
        let (list, any_case) = match location {
            "header" => (&mut self.header, true),
            "querystring" => (&mut self.querystring, false),
            "path" => (&mut self.path, false),
            _ => return,
        };
        list.retain(|(existing, _)| {
            if any_case {
                !existing.eq_ignore_ascii_case(name)
            } else {
                existing != name
            }
        });
        list.push((name.to_owned(), value));
    }
}

/// Everything the integration request is made of.
#[derive(Debug)]
pub(crate) struct Outbound<'a> {
    /// The integration's `httpMethod`; `ANY` sends the method request's.
    pub method: &'a str,
    /// The endpoint's URI as the template writes it.
    pub uri: &'a str,
    /// The method request's method.
    pub request_method: &'a str,
    /// The method request's `Content-Type`, if it sent one.
    pub request_content_type: Option<&'a str>,
    /// Mapped headers, query string and path values.
    pub mapped: &'a Mapped,
    /// The stage's variables (`${stageVariables.name}` in the URI).
    pub stage_variables: &'a BTreeMap<String, String>,
    /// The API's id (`User-Agent`, `X-Amzn-Apigateway-Api-Id`).
    pub api_id: &'a str,
    /// The request's trace (`X-Amzn-Trace-Id`).
    pub trace_id: &'a str,
    /// The mapped payload.
    pub body: Bytes,
}

impl Outbound<'_> {
    /// The HTTP request API Gateway sends to the endpoint. A mapping of a header the gateway
    /// owns, or a URI that is no HTTP URL once rendered, is AWS's configuration error (500).
    pub fn request(&self) -> Result<Request<Bytes>, GatewayError> {
        let method = if self.method.eq_ignore_ascii_case("ANY") {
            self.request_method
        } else {
            self.method
        };
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| GatewayError::MappingFailed(format!("{method:?} is no HTTP method")))?;
        let uri = self.uri()?;
        let mut builder = Request::builder().method(method.clone()).uri(uri);
        let mut sent: Vec<(String, String)> = Vec::new();
        for (name, value) in &self.mapped.header {
            let lower = name.to_ascii_lowercase();
            if ILLEGAL_MAPPED_HEADERS.contains(&lower.as_str()) {
                return Err(GatewayError::MappingFailed(format!(
                    "{name} header already present"
                )));
            }
            if !DROPPED_HEADERS.contains(&lower.as_str()) {
                sent.push((name.clone(), value.clone()));
            }
        }
        let has = |sent: &[(String, String)], name: &str| {
            sent.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let with_body = !NO_BODY_METHODS.contains(&method.as_str());
        let request_has_body = !NO_BODY_METHODS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(self.request_method));
        let mut defaults = vec![
            ("Accept", "application/json".to_owned()),
            ("User-Agent", format!("AmazonAPIGateway_{}", self.api_id)),
        ];
        if let (Some(content_type), true) = (self.request_content_type, request_has_body) {
            defaults.push(("Content-Type", content_type.to_owned()));
        }
        for (name, value) in defaults {
            if !has(&sent, name) {
                sent.push((name.to_owned(), value));
            }
        }
        sent.push(("X-Amzn-Trace-Id".to_owned(), self.trace_id.to_owned()));
        sent.push((
            "X-Amzn-Apigateway-Api-Id".to_owned(),
            self.api_id.to_owned(),
        ));
        for (name, value) in sent {
            let (name, value) = header_pair(&name, &value)?;
            builder = builder.header(name, value);
        }
        let body = if with_body {
            self.body.clone()
        } else {
            Bytes::new()
        };
        builder
            .body(body)
            .map_err(|e| GatewayError::MappingFailed(e.to_string()))
    }

    /// The URI with its `{name}` placeholders and `${stageVariables.name}` filled and the mapped
    /// query string appended.
    fn uri(&self) -> Result<Uri, GatewayError> {
        let rendered = render_uri(self.uri, &self.mapped.path, self.stage_variables);
        endpoint_uri(rendered, None, None, &self.mapped.querystring)
    }
}

/// `name: value` as an HTTP header; a name or value HTTP cannot carry is AWS's configuration
/// error, a 500 (for `HTTP` and `HTTP_PROXY` integrations alike).
pub(crate) fn header_pair(
    name: &str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), GatewayError> {
    let header = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| GatewayError::MappingFailed(format!("{name:?} is no header name")))?;
    let value = HeaderValue::from_str(value).map_err(|_| {
        GatewayError::MappingFailed(format!("the value of {header} is no header value"))
    })?;
    Ok((header, value))
}

/// `uri` with its `{name}` placeholders taken from `placeholders` (values inserted as they are:
/// path values arrive percent-encoded) and `${stageVariables.name}` filled (a variable the stage
/// lacks is empty; LocalStack's `render_integration_uri`). A placeholder nothing fills stays.
pub(crate) fn render_uri(
    uri: &str,
    placeholders: &[(String, String)],
    stage_variables: &BTreeMap<String, String>,
) -> String {
    let mut uri = uri.to_owned();
    for (name, value) in placeholders {
        uri = uri.replace(&format!("{{{name}}}"), value);
    }
    let mut rendered = String::with_capacity(uri.len());
    let mut rest = uri.as_str();
    while let Some(start) = rest.find("${stageVariables.") {
        rendered.push_str(&rest[..start]);
        let after = &rest[start + "${stageVariables.".len()..];
        let Some(end) = after.find('}') else {
            rendered.push_str(&rest[start..]);
            rest = "";
            break;
        };
        if let Some(value) = stage_variables.get(&after[..end]) {
            rendered.push_str(value);
        }
        rest = &after[end + 1..];
    }
    rendered.push_str(rest);
    rendered
}

/// The endpoint's URI from a rendered one: its path replaced by `path` when one is given, then
/// `raw_query` (sent as the client wrote it) and `query` (encoded here) appended to its own query.
/// A result that is no `http://` or `https://` URL is AWS's "Invalid endpoint address", a 500.
pub(crate) fn endpoint_uri(
    mut rendered: String,
    path: Option<&str>,
    raw_query: Option<&str>,
    query: &[(String, String)],
) -> Result<Uri, GatewayError> {
    if let Some(path) = path {
        // The path runs from the first `/` after the authority to the query or fragment.
        let authority = rendered.find("://").map_or(0, |i| i + 3);
        let ends = |from: usize, stops: &[char]| {
            rendered[from..]
                .find(stops)
                .map_or(rendered.len(), |i| from + i)
        };
        let start = ends(authority, &['/', '?', '#']);
        let end = ends(start, &['?', '#']);
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        rendered.replace_range(start..end, &path);
    }
    let joint = |rendered: &mut String| {
        rendered.push(if rendered.contains('?') { '&' } else { '?' });
    };
    if let Some(raw) = raw_query.filter(|q| !q.is_empty()) {
        joint(&mut rendered);
        rendered.push_str(raw);
    }
    for (name, value) in query {
        joint(&mut rendered);
        rendered.extend(utf8_percent_encode(name, QUERY));
        rendered.push('=');
        rendered.extend(utf8_percent_encode(value, QUERY));
    }
    let invalid = || {
        GatewayError::MappingFailed(format!(
            "Invalid endpoint address: {rendered:?} is no http:// or https:// URL"
        ))
    };
    let parsed: Uri = rendered.parse().map_err(|_| invalid())?;
    match (parsed.scheme_str(), parsed.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(parsed),
        _ => Err(invalid()),
    }
}

/// Sends the integration request under the integration timeout: past it, AWS's 504; an
/// endpoint that cannot be reached is its configuration error, 500.
pub(crate) async fn call(
    client: &dyn CallHttp,
    request: Request<Bytes>,
    timeout: Duration,
) -> Result<HttpAnswer, GatewayError> {
    match tokio::time::timeout(timeout, client.send(request)).await {
        Err(_) => Err(GatewayError::IntegrationTimedOut),
        Ok(Err(HttpCallError::Unreachable(reason))) => Err(GatewayError::MappingFailed(format!(
            "Invalid endpoint address ({reason})"
        ))),
        Ok(Ok(answer)) => Ok(answer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbound<'a>(mapped: &'a Mapped, stage: &'a BTreeMap<String, String>) -> Outbound<'a> {
        Outbound {
            method: "GET",
            uri: "https://httpbin.org/get",
            request_method: "GET",
            request_content_type: None,
            mapped,
            stage_variables: stage,
            api_id: "abc123",
            trace_id: "Root=1-abc",
            body: Bytes::from_static(b"{}"),
        }
    }

    fn headers(request: &Request<Bytes>) -> Vec<(String, String)> {
        request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    /// serverless-patterns apigw-lambda-authorizer-custom-header: the request template's
    /// `$context.requestOverride.header.enrichmentHeader` reaches the endpoint, beside the
    /// gateway's own headers; a GET carries no body.
    #[test]
    fn a_request_override_header_reaches_the_endpoint_with_the_gateways_own() {
        let mut mapped = Mapped::default();
        mapped.override_with(&serde_json::json!({
            "header": {"enrichmentHeader": "This data comes from Lambda Authorizer"},
            "querystring": {}, "path": {},
        }));
        let stage = BTreeMap::new();
        let request = outbound(&mapped, &stage).request().unwrap();
        assert_eq!(request.method(), Method::GET);
        assert_eq!(request.uri(), "https://httpbin.org/get");
        assert_eq!(
            headers(&request),
            [
                ("enrichmentheader", "This data comes from Lambda Authorizer"),
                ("accept", "application/json"),
                ("user-agent", "AmazonAPIGateway_abc123"),
                ("x-amzn-trace-id", "Root=1-abc"),
                ("x-amzn-apigateway-api-id", "abc123"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(request.body().is_empty());
    }

    #[test]
    fn parameters_fill_the_uri_and_query_and_overrides_win() {
        let parameters: BTreeMap<String, String> = [
            ("integration.request.path.id", "method.request.path.id"),
            (
                "integration.request.querystring.q",
                "method.request.querystring.q",
            ),
            (
                "integration.request.querystring.lost",
                "method.request.querystring.none",
            ),
            ("integration.request.header.X-Who", "'literal'"),
            ("integration.request.header.Accept", "'text/xml'"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut mapped = Mapped::from_parameters(&parameters, |source| match source {
            "method.request.path.id" => Some("7".into()),
            "method.request.querystring.q" => Some("a b&c".into()),
            "'literal'" => Some("literal".into()),
            "'text/xml'" => Some("text/xml".into()),
            _ => None,
        });
        mapped.override_with(&serde_json::json!({"header": {"x-who": "override"}}));
        let stage: BTreeMap<String, String> =
            [("host".to_owned(), "pets.example".to_owned())].into();
        let request = Outbound {
            method: "ANY",
            uri: "http://${stageVariables.host}/pets/{id}?v=1",
            request_method: "POST",
            request_content_type: Some("application/json"),
            ..outbound(&mapped, &stage)
        }
        .request()
        .unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "http://pets.example/pets/7?v=1&q=a%20b%26c");
        let sent = headers(&request);
        assert!(
            sent.contains(&("x-who".into(), "override".into())),
            "{sent:?}"
        );
        assert!(
            sent.contains(&("accept".into(), "text/xml".into())),
            "{sent:?}"
        );
        assert!(
            sent.contains(&("content-type".into(), "application/json".into())),
            "{sent:?}"
        );
        assert_eq!(request.body().as_ref(), b"{}");
    }

    #[test]
    fn the_gateways_own_headers_cannot_be_mapped_and_hop_headers_are_dropped() {
        let stage = BTreeMap::new();
        for owned in [
            "Content-Length",
            "X-Amzn-Trace-Id",
            "x-amzn-apigateway-api-id",
        ] {
            let mut mapped = Mapped::default();
            mapped.set("header", owned, "1".into());
            let err = outbound(&mapped, &stage).request().unwrap_err();
            assert!(
                matches!(err, GatewayError::MappingFailed(_)),
                "{owned}: {err}"
            );
        }
        let mut mapped = Mapped::default();
        mapped.set("header", "Via", "1.1 proxy".into());
        let request = outbound(&mapped, &stage).request().unwrap();
        assert!(request.headers().get("via").is_none());
    }

    #[test]
    fn endpoint_uris_take_a_path_override_and_the_clients_query_as_sent() {
        let uri = |rendered: &str, path: Option<&str>, raw: Option<&str>| {
            let query = [("k".to_owned(), "a b".to_owned())];
            endpoint_uri(rendered.to_owned(), path, raw, &query)
                .map(|uri| uri.to_string())
                .unwrap()
        };
        assert_eq!(
            uri("http://h/base?v=1", None, Some("q=%2B&q=2")),
            "http://h/base?v=1&q=%2B&q=2&k=a%20b"
        );
        assert_eq!(
            uri("https://h:8443/base/x?v=1", Some("/items/7"), None),
            "https://h:8443/items/7?v=1&k=a%20b"
        );
        assert_eq!(
            uri("http://h", Some("items"), Some("")),
            "http://h/items?k=a%20b"
        );
        let placeholders = [("proxy".to_owned(), "a/b%20c".to_owned())];
        assert_eq!(
            render_uri("http://h/{proxy}/{left}", &placeholders, &BTreeMap::new()),
            "http://h/a/b%20c/{left}"
        );
    }

    #[test]
    fn a_uri_that_is_no_http_url_once_rendered_is_a_configuration_error() {
        let stage = BTreeMap::new();
        let mapped = Mapped::default();
        let err = Outbound {
            uri: "${stageVariables.missing}/x",
            ..outbound(&mapped, &stage)
        }
        .request()
        .unwrap_err();
        assert!(
            err.to_string().contains("Invalid endpoint address"),
            "{err}"
        );
    }
}
