//! Phase integrate (input side): the Lambda proxy event, payload format 1.0, as API Gateway REST
//! APIs send it. Field order and `null`s follow events recorded from AWS.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use http::HeaderMap;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use sluice_aws_env::AwsEnv;

use crate::api::ApiStage;
use crate::exchange::{stable_id_of, Exchange};
use crate::header_rules::REST_DROPPED_REQUEST_HEADERS;
use crate::route_table::RouteMatch;

/// Name → value pairs serialized as a JSON object in this order (the client's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pairs<'a, V>(pub Vec<(Cow<'a, str>, V)>);

impl<V: Into<String>> Pairs<'_, V> {
    /// The pairs as owned strings.
    pub fn into_owned(self) -> Vec<(String, String)> {
        self.0
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into()))
            .collect()
    }
}

impl<V: Serialize> Serialize for Pairs<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Text of the event: borrowed from the request, route and stage where they hold it already (the
/// event is built for every proxied request and serialized at once), owned where it is made here.
type Text<'a> = Cow<'a, str>;

/// The payload 1.0 event. All twelve keys are always present; empty collections are `null`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProxyRequestEvent<'a> {
    /// The resource path as defined (`/items/{id}`).
    pub resource: &'a str,
    /// The request path, client encoding kept, leading `//` collapsed.
    pub path: Text<'a>,
    /// The request method.
    pub http_method: &'a str,
    /// Last value of each header.
    pub headers: Option<Pairs<'a, Text<'a>>>,
    /// All values of each header.
    pub multi_value_headers: Option<Pairs<'a, Vec<Text<'a>>>>,
    /// Last value of each query key, decoded (so always made here).
    pub query_string_parameters: Option<Pairs<'a, String>>,
    /// All values of each query key, decoded.
    pub multi_value_query_string_parameters: Option<Pairs<'a, Vec<String>>>,
    /// Path parameters, client encoding kept.
    pub path_parameters: Option<Pairs<'a, Text<'a>>>,
    /// The stage's variables.
    pub stage_variables: Option<&'a BTreeMap<String, String>>,
    /// Who, when, where.
    pub request_context: ProxyRequestContext<'a>,
    /// The body: text, or base64 for binary media types; `null` when empty.
    pub body: Option<Text<'a>>,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
}

/// `requestContext` of a payload 1.0 event.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProxyRequestContext<'a> {
    /// Stable per resource.
    pub resource_id: String,
    /// The resource path as defined.
    pub resource_path: &'a str,
    /// The request method.
    pub http_method: &'a str,
    /// Fresh per request.
    pub extended_request_id: &'a str,
    /// `09/Apr/2015:12:34:56 +0000`.
    pub request_time: String,
    /// `/<stage>` + the raw path (leading `//` kept).
    pub path: String,
    /// The configured account id.
    pub account_id: &'a str,
    /// `HTTP/1.1`.
    pub protocol: &'a str,
    /// The stage name.
    pub stage: &'a str,
    /// First label of the host.
    pub domain_prefix: Text<'a>,
    /// Milliseconds since the epoch.
    pub request_time_epoch: i64,
    /// Fresh UUID per request.
    pub request_id: &'a str,
    /// Caller identity; every key present.
    pub identity: Identity<'a>,
    /// The `Host` header, or `localhost`.
    pub domain_name: Text<'a>,
    /// Stable per API.
    pub deployment_id: &'a str,
    /// Stable per API.
    pub api_id: &'a str,
    /// What an authorizer returned; absent (not `null`) when no authorizer ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<&'a Value>,
    /// The method's `OperationName` (OpenAPI `operationId`); absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<&'a str>,
}

/// `requestContext.identity`: every key present, `null` when unknown.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Identity<'a> {
    /// Cognito identity pool (IAM auth only).
    pub cognito_identity_pool_id: Option<String>,
    /// Caller's account (IAM auth only).
    pub account_id: Option<String>,
    /// Cognito identity (IAM auth only).
    pub cognito_identity_id: Option<String>,
    /// Caller (IAM auth only).
    pub caller: Option<String>,
    /// The client's IP address.
    pub source_ip: String,
    /// Caller's organisation (IAM auth only).
    pub principal_org_id: Option<String>,
    /// Access key (IAM auth only).
    pub access_key: Option<String>,
    /// Cognito auth type (IAM auth only).
    pub cognito_authentication_type: Option<String>,
    /// Cognito auth provider (IAM auth only).
    pub cognito_authentication_provider: Option<String>,
    /// Caller ARN (IAM auth only).
    pub user_arn: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<Text<'a>>,
    /// User (IAM auth only).
    pub user: Option<String>,
    /// The API key, on a method that requires one (absent otherwise, as in AWS's events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The API key's id, on a method that requires one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<String>,
}

/// Build the event for a routed request whose body has been read.
pub(crate) fn build<'a>(
    ex: &'a Exchange,
    route: &'a RouteMatch,
    api: &'a ApiStage,
    api_logical_id: &str,
    aws: &'a AwsEnv,
) -> ProxyRequestEvent<'a> {
    let (mut headers, mut multi_value_headers) =
        event_headers(&ex.headers, ex.raw_header_names.as_deref());
    add_forwarding(&mut headers, &mut multi_value_headers, ex);
    let query = ex.query.as_deref().map(parse_query).unwrap_or_default();
    let (query_string_parameters, multi_value_query_string_parameters) = if query.is_empty() {
        (None, None)
    } else {
        let query: Vec<(Text, Vec<String>)> = query
            .into_iter()
            .map(|(k, values)| (k.into(), values))
            .collect();
        let last = query
            .iter()
            .map(|(k, values)| (k.clone(), values.last().cloned().unwrap_or_default()))
            .collect();
        (Some(Pairs(last)), Some(Pairs(query)))
    };
    let path_parameters = (!route.path_parameters.is_empty()).then(|| {
        Pairs(
            route
                .path_parameters
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str())))
                .collect(),
        )
    });
    let stage_variables = (!api.stage_variables.is_empty()).then_some(&api.stage_variables);

    let is_base64_encoded = !ex.body.is_empty()
        && api
            .binary_media_types
            .matches_content_type(ex.header_str("content-type").as_deref());
    let body = if ex.body.is_empty() {
        None
    } else if is_base64_encoded {
        Some(Cow::Owned(
            base64::engine::general_purpose::STANDARD.encode(&ex.body),
        ))
    } else {
        Some(String::from_utf8_lossy(&ex.body))
    };

    let domain_name = ex.header_str("host").unwrap_or(Cow::Borrowed("localhost"));
    let domain_prefix = match &domain_name {
        Cow::Borrowed(host) => Cow::Borrowed(domain_prefix(host)),
        Cow::Owned(host) => Cow::Owned(domain_prefix(host).to_owned()),
    };
    let resource = route.entry.resource.as_str();
    // `/` + the path without its leading slashes: the path itself when it has one slash.
    let path = if ex.raw_path.starts_with('/') && !ex.raw_path.starts_with("//") {
        Cow::Borrowed(ex.raw_path.as_str())
    } else {
        Cow::Owned(format!("/{}", ex.raw_path.trim_start_matches('/')))
    };

    ProxyRequestEvent {
        resource,
        path,
        http_method: &ex.method,
        headers,
        multi_value_headers,
        query_string_parameters,
        multi_value_query_string_parameters,
        path_parameters,
        stage_variables,
        request_context: ProxyRequestContext {
            resource_id: stable_id_of(&[api_logical_id, " ", resource], 6),
            resource_path: resource,
            http_method: &ex.method,
            extended_request_id: &ex.extended_request_id,
            request_time: request_time(ex.received_at),
            path: context_path(ex, api),
            account_id: &aws.account_id,
            protocol: ex.protocol,
            stage: &api.stage,
            domain_prefix,
            request_time_epoch: (ex.received_at.unix_timestamp_nanos() / 1_000_000) as i64,
            request_id: &ex.request_id,
            identity: identity(ex, aws),
            domain_name,
            deployment_id: &api.deployment_id,
            api_id: &api.api_id,
            authorizer: ex.authorizer.as_ref(),
            operation_name: route.entry.operation_name.as_deref(),
        },
        body,
        is_base64_encoded,
    }
}

/// `requestContext.path` (`$context.path`): the stage, then the raw path as sent (a leading `//`
/// kept), as the stage's URL has them (`/prod/items/7`).
pub(crate) fn context_path(ex: &Exchange, api: &ApiStage) -> String {
    // Joined by hand: `format!` was five times the work, on every proxied request.
    let mut path = String::with_capacity(1 + api.stage.len() + ex.raw_path.len());
    path.push('/');
    path.push_str(&api.stage);
    path.push_str(&ex.raw_path);
    path
}

/// `requestContext.identity`: the client, and the signing caller on `AWS_IAM` routes.
fn identity<'a>(ex: &'a Exchange, aws: &AwsEnv) -> Identity<'a> {
    let mut identity = Identity {
        source_ip: ex.remote.ip().to_canonical().to_string(),
        user_agent: ex.header_str("user-agent"),
        // AWS: set for a method that requires an API key.
        api_key: ex.api_key.clone(),
        api_key_id: ex
            .api_key_id
            .as_deref()
            .map(sluice_template::auth_model::api_key_id),
        ..Identity::default()
    };
    if let Some((access_key, profile)) = &ex.iam_caller {
        // AWS: `caller`/`user` are the principal id; Sluice has no IAM, so the access key stands in.
        identity.access_key = Some(access_key.clone());
        identity.account_id = Some(aws.account_id.clone());
        identity.caller = Some(access_key.clone());
        identity.user = Some(access_key.clone());
        identity.user_arn = Some(format!(
            "arn:{}:iam::{}:user/{profile}",
            aws.partition, aws.account_id
        ));
    }
    identity
}

/// `domainPrefix`: the first label of the host (`abc` of `abc.execute-api…`); an IP literal, which
/// AWS never sees, is kept whole rather than cut at its first dot.
pub(crate) fn domain_prefix(domain_name: &str) -> &str {
    let host = match domain_name.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => domain_name,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<std::net::IpAddr>().is_ok() {
        host
    } else {
        host.split('.').next().unwrap_or_default()
    }
}

/// `headers` and `multiValueHeaders`: the headers REST APIs never forward dropped, names in the client's case when
/// known, in the client's order; both `None` when nothing is left.
#[allow(clippy::type_complexity)]
pub(crate) fn event_headers<'a>(
    headers: &'a HeaderMap,
    raw_names: Option<&'a [String]>,
) -> (
    Option<Pairs<'a, Text<'a>>>,
    Option<Pairs<'a, Vec<Text<'a>>>>,
) {
    let mut multi: Vec<(usize, Text<'a>, Vec<Text<'a>>)> = Vec::new();
    for name in headers.keys() {
        let lower = name.as_str();
        if REST_DROPPED_REQUEST_HEADERS.contains(&lower) {
            continue;
        }
        let position =
            raw_names.and_then(|raw| raw.iter().position(|r| r.eq_ignore_ascii_case(lower)));
        let cased = match (canonical_name(lower), raw_names, position) {
            (Some(canonical), _, _) => canonical,
            (None, Some(raw), Some(i)) => raw[i].as_str(),
            _ => lower,
        };
        let values = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect();
        multi.push((position.unwrap_or(usize::MAX), Cow::Borrowed(cased), values));
    }
    if multi.is_empty() {
        return (None, None);
    }
    // Stable sort: names the raw list lacks keep hyper's order, after the known ones.
    multi.sort_by_key(|(position, _, _)| *position);
    let last = multi
        .iter()
        .map(|(_, name, values)| (name.clone(), values.last().cloned().unwrap_or_default()))
        .collect();
    let all = multi
        .into_iter()
        .map(|(_, name, values)| (name, values))
        .collect();
    (Some(Pairs(last)), Some(Pairs(all)))
}

/// The spelling API Gateway gives some headers in REST events whatever the client's case:
/// recorded events show `authorization`, `aUThorization` and `user-Agent` arrive as
/// `Authorization` and `User-Agent` (LocalStack's `test_lambda_aws_proxy_integration`), and
/// HTTP/2 clients' lower-case `host` and `user-agent` as `Host` and `User-Agent` (the Lambda
/// guide's API Gateway event), while other names keep the client's case.
fn canonical_name(lower: &str) -> Option<&'static str> {
    match lower {
        "authorization" => Some("Authorization"),
        "host" => Some("Host"),
        "user-agent" => Some("User-Agent"),
        _ => None,
    }
}

/// The headers API Gateway adds to a REST request on its way to the integration, as real events
/// show them: `X-Amzn-Trace-Id`, and `X-Forwarded-For` (the caller's address appended to any the
/// client sent), `-Port` and `-Proto` (`http`: Sluice serves plain HTTP, where AWS says `https`).
fn add_forwarding<'a>(
    last: &mut Option<Pairs<'a, Text<'a>>>,
    all: &mut Option<Pairs<'a, Vec<Text<'a>>>>,
    ex: &'a Exchange,
) {
    let last = last.get_or_insert_with(|| Pairs(Vec::new()));
    let all = all.get_or_insert_with(|| Pairs(Vec::new()));
    let forwarded_for = forwarded_for(
        last.0
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-forwarded-for"))
            .map(|(_, earlier)| earlier.as_ref()),
        ex,
    );
    let mut set = |name: &'static str, value: Text<'a>| {
        last.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        all.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        last.0.push((Cow::Borrowed(name), value.clone()));
        all.0.push((Cow::Borrowed(name), vec![value]));
    };
    set("X-Amzn-Trace-Id", Cow::Borrowed(ex.trace_id.as_str()));
    set("X-Forwarded-For", Cow::Owned(forwarded_for));
    set("X-Forwarded-Port", Cow::Owned(forwarded_port(ex)));
    set("X-Forwarded-Proto", Cow::Borrowed("http"));
}

/// `X-Forwarded-For`: the client's own chain (`earlier`), if it sent one, then its address.
fn forwarded_for(earlier: Option<&str>, ex: &Exchange) -> String {
    let source = ex.remote.ip().to_canonical().to_string();
    match earlier {
        Some(earlier) => format!("{earlier}, {source}"),
        None => source,
    }
}

/// The value API Gateway's front end gives a header it sets on every request (`X-Forwarded-For`,
/// `X-Forwarded-Port`, `X-Forwarded-Proto`, `X-Amzn-Trace-Id`), as the event shows it; `None`
/// for any other name.
pub(crate) fn gateway_header(ex: &Exchange, name: &str) -> Option<String> {
    let is = |known: &str| name.eq_ignore_ascii_case(known);
    if is("x-forwarded-for") {
        let earlier = ex.headers.get_all("x-forwarded-for").iter().next_back();
        let earlier = earlier.map(|v| String::from_utf8_lossy(v.as_bytes()));
        Some(forwarded_for(earlier.as_deref(), ex))
    } else if is("x-forwarded-port") {
        Some(forwarded_port(ex))
    } else if is("x-forwarded-proto") {
        Some("http".to_owned())
    } else if is("x-amzn-trace-id") {
        Some(ex.trace_id.clone())
    } else {
        None
    }
}

/// `X-Forwarded-Port`: the port of the `Host` the client addressed (80 without one).
pub(crate) fn forwarded_port(ex: &Exchange) -> String {
    ex.header("host")
        .and_then(|h| h.rsplit_once(':').map(|(_, p)| p.to_owned()))
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| "80".to_owned())
}

/// Decoded query parameters, keys in order of first appearance, every value kept.
pub(crate) fn parse_query(query: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (decode_query_part(key), decode_query_part(value));
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value),
            None => out.push((key, vec![value])),
        }
    }
    out
}

/// `+` and `%20` become spaces, other escapes are decoded (invalid UTF-8 replaced).
fn decode_query_part(part: &str) -> String {
    let spaced = part.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// `requestTime` as API Gateway writes it: `09/Apr/2015:12:34:56 +0000`.
pub(crate) fn request_time(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn query_decoding_and_repeats() {
        /// Query string → expected (key, values) in order.
        type Row<'a> = (&'a str, &'a [(&'a str, &'a [&'a str])]);
        let rows: &[Row] = &[
            ("a=1", &[("a", &["1"])]),
            ("a=1&a=2&b=3", &[("a", &["1", "2"]), ("b", &["3"])]),
            (
                "q=a+b&r=a%20b&s=a%2Bb",
                &[("q", &["a b"]), ("r", &["a b"]), ("s", &["a+b"])],
            ),
            ("flag", &[("flag", &[""])]),
            ("e=", &[("e", &[""])]),
            ("a=1&&b=2&", &[("a", &["1"]), ("b", &["2"])]),
            ("k%5B%5D=x", &[("k[]", &["x"])]),
            ("x=%E2%9C%93", &[("x", &["✓"])]),
            ("x=%ZZ", &[("x", &["%ZZ"])]),
            ("a=b=c", &[("a", &["b=c"])]),
            ("", &[]),
        ];
        for (query, expected) in rows {
            let expected: Vec<(String, Vec<String>)> = expected
                .iter()
                .map(|(k, vs)| {
                    (
                        (*k).to_owned(),
                        vs.iter().map(|v| (*v).to_owned()).collect(),
                    )
                })
                .collect();
            assert_eq!(parse_query(query), expected, "{query}");
        }
    }

    fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
                HeaderValue::from_str(value).expect("test header value"),
            );
        }
        map
    }

    #[test]
    fn headers_keep_client_case_and_order_and_drop_hop_by_hop() {
        let map = header_map(&[
            ("host", "h"),
            ("x-multi", "a"),
            ("authorization", "t"),
            ("x-multi", "b"),
            ("content-length", "3"),
            ("connection", "keep-alive"),
            ("transfer-encoding", "chunked"),
            ("expect", "100-continue"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("keep-alive", "5"),
            ("trailer", "x"),
            // AWS's REST table: dropped before the integration, though not hop-by-hop.
            ("content-md5", "Q2hlY2sgSW50ZWdyaXR5IQ=="),
            ("max-forwards", "3"),
            ("proxy-authenticate", "Basic"),
            ("server", "client"),
            ("www-authenticate", "Basic"),
            ("via", "1.1 proxy"),
        ]);
        let raw: Vec<String> = [
            "Authorization",
            "Host",
            "X-Multi",
            "x-MULTI",
            "Content-Length",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let (last, all) = event_headers(&map, Some(&raw));
        let last = last.expect("headers present").into_owned();
        let all = all.expect("headers present").0;
        assert_eq!(
            last,
            vec![
                ("Authorization".to_owned(), "t".to_owned()),
                ("Host".to_owned(), "h".to_owned()),
                ("X-Multi".to_owned(), "b".to_owned()),
                ("via".to_owned(), "1.1 proxy".to_owned()),
            ]
        );
        assert_eq!(all[2].0, "X-Multi");
        assert_eq!(all[2].1, ["a", "b"]);
    }

    #[test]
    fn authorization_host_and_user_agent_take_aws_spelling() {
        let map = header_map(&[
            ("authorization", "t"),
            ("user-agent", "u"),
            ("host", "h"),
            ("x-custom", "c"),
        ]);
        let raw: Vec<String> = ["aUThorization", "user-Agent", "host", "x-CUSTOM"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let (last, _) = event_headers(&map, Some(&raw));
        let names: Vec<String> = last
            .expect("present")
            .into_owned()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, ["Authorization", "User-Agent", "Host", "x-CUSTOM"]);
    }

    #[test]
    fn headers_without_raw_names_are_lower_case_and_null_when_empty() {
        let map = header_map(&[("X-Foo", "1")]);
        let (last, _) = event_headers(&map, None);
        assert_eq!(
            last.expect("present").into_owned(),
            vec![("x-foo".to_owned(), "1".to_owned())]
        );
        let map = header_map(&[("content-length", "0")]);
        let (last, all) = event_headers(&map, None);
        assert!(last.is_none() && all.is_none());
    }

    #[test]
    fn domain_prefix_is_first_label() {
        for (host, prefix) in [
            ("abc123.execute-api.us-east-1.amazonaws.com", "abc123"),
            ("localhost:3000", "localhost"),
            ("localhost", "localhost"),
            ("127.0.0.1:3000", "127.0.0.1"),
            ("[::1]:3000", "::1"),
        ] {
            assert_eq!(domain_prefix(host), prefix, "{host}");
        }
    }

    #[test]
    fn request_time_has_aws_format() {
        let at = time::macros::datetime!(2015-04-09 12:34:56 UTC);
        assert_eq!(request_time(at), "09/Apr/2015:12:34:56 +0000");
    }
}
