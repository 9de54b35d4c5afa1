//! Phase integrate (input side) for HTTP APIs and Function URLs: the payload 2.0 event (and the
//! 1.0 event an HTTP API route can ask for), as AWS builds them.
//!
//! Payload 2.0 omits what is empty (`cookies`, `queryStringParameters`, `pathParameters`,
//! `stageVariables`, `body`) where a Function URL writes `null` for the last three it never fills.
//! Header names are lower case, repeated headers and query values are joined with commas, and the
//! `Cookie` header moves to `cookies`, one entry per cookie.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Map, Value};
use sluice_aws_env::AwsEnv;

use crate::api::Api;
use crate::exchange::Exchange;
use crate::header_rules::HOP_BY_HOP_REQUEST_HEADERS;
use crate::request_event::{self, domain_prefix, parse_query, request_time};
use crate::route_table::RouteMatch;

/// Which front door built the event: they differ in a few `requestContext` details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Front {
    HttpApi,
    FunctionUrl,
}

/// The payload 2.0 event of an HTTP API route.
pub(crate) fn build_v2(ex: &Exchange, route: &RouteMatch, api: &Api, aws: &AwsEnv) -> Value {
    build(ex, Some(route), api, aws, Front::HttpApi)
}

/// The payload 2.0 event of a Function URL (no route: every path reaches the function).
pub(crate) fn build_function_url(ex: &Exchange, api: &Api, aws: &AwsEnv) -> Value {
    build(ex, None, api, aws, Front::FunctionUrl)
}

fn build(
    ex: &Exchange,
    route: Option<&RouteMatch>,
    api: &Api,
    aws: &AwsEnv,
    front: Front,
) -> Value {
    let (headers, cookies) = headers_and_cookies(ex, front);
    let raw_path = raw_path(ex, api, front);
    let route_key = route.map_or(sluice_template::DEFAULT_ROUTE, |r| {
        r.entry.route_key.as_str()
    });
    let domain_name = ex.header("host").unwrap_or_else(|| "localhost".to_owned());

    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!(route_key));
    event.insert("rawPath".into(), json!(integration_path(ex, api, front)));
    event.insert(
        "rawQueryString".into(),
        json!(ex.query.as_deref().unwrap_or("")),
    );
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    event.insert("headers".into(), json!(headers));
    let query = ex.query.as_deref().map(parse_query).unwrap_or_default();
    if !query.is_empty() {
        let joined: Map<String, Value> = query
            .into_iter()
            .map(|(key, values)| (key, Value::String(values.join(","))))
            .collect();
        event.insert("queryStringParameters".into(), Value::Object(joined));
    }

    let mut context = Map::new();
    // AWS: a public Function URL reports the caller's account as "anonymous".
    let account_id = if front == Front::FunctionUrl && !api.requires_iam {
        "anonymous".to_owned()
    } else {
        aws.account_id.clone()
    };
    context.insert("accountId".into(), json!(account_id));
    context.insert("apiId".into(), json!(api.stage.api_id));
    if front == Front::FunctionUrl {
        context.insert("authentication".into(), Value::Null);
    }
    if let Some(authorizer) = &ex.authorizer {
        context.insert("authorizer".into(), authorizer.clone());
    }
    context.insert("domainName".into(), json!(domain_name));
    context.insert("domainPrefix".into(), json!(domain_prefix(&domain_name)));
    context.insert(
        "http".into(),
        json!({
            "method": ex.method,
            "path": raw_path,
            "protocol": ex.protocol,
            "sourceIp": source_ip(ex),
            "userAgent": ex.header("user-agent").unwrap_or_default(),
        }),
    );
    // AWS: HTTP APIs use the short id (also sent back as `apigw-requestid`); Lambda uses a UUID.
    let request_id = match front {
        Front::HttpApi => &ex.extended_request_id,
        Front::FunctionUrl => &ex.request_id,
    };
    context.insert("requestId".into(), json!(request_id));
    context.insert("routeKey".into(), json!(route_key));
    context.insert("stage".into(), json!(api.stage.stage));
    context.insert("time".into(), json!(request_time(ex.received_at)));
    context.insert("timeEpoch".into(), json!(epoch_millis(ex)));
    event.insert("requestContext".into(), Value::Object(context));

    let (body, is_base64) = body(ex);
    if let Some(body) = body {
        event.insert("body".into(), json!(body));
    }
    let path_parameters: Map<String, Value> = route
        .map(|r| {
            r.path_parameters
                .iter()
                .map(|(name, raw)| (name.clone(), Value::String(decode_path(raw))))
                .collect()
        })
        .unwrap_or_default();
    match front {
        Front::FunctionUrl => {
            event.insert("pathParameters".into(), Value::Null);
        }
        Front::HttpApi if !path_parameters.is_empty() => {
            event.insert("pathParameters".into(), Value::Object(path_parameters));
        }
        Front::HttpApi => {}
    }
    event.insert("isBase64Encoded".into(), json!(is_base64));
    match front {
        Front::FunctionUrl => {
            event.insert("stageVariables".into(), Value::Null);
        }
        Front::HttpApi if !api.stage.stage_variables.is_empty() => {
            event.insert("stageVariables".into(), json!(api.stage.stage_variables));
        }
        Front::HttpApi => {}
    }
    Value::Object(event)
}

/// The payload 1.0 event of an HTTP API route: the REST event with `version: "1.0"`, lower-case
/// header names, HTTP API's ids and stage, and HTTP API's rule for base64 bodies.
pub(crate) fn build_v1(ex: &Exchange, route: &RouteMatch, api: &Api, aws: &AwsEnv) -> Value {
    let rest = request_event::build(ex, route, &api.stage, &api.logical_id, aws);
    let Ok(Value::Object(rest)) = serde_json::to_value(&rest) else {
        return Value::Null;
    };
    let mut event = Map::new();
    event.insert("version".into(), json!("1.0"));
    let content_length = ex.body.len().to_string();
    for (key, value) in rest {
        let value = match key.as_str() {
            // AWS: a named stage leads `path` too (`/dev/items`), as in `requestContext.path`.
            "path" => json!(integration_path(ex, api, Front::HttpApi)),
            "headers" => v1_headers(value, json!(content_length)),
            "multiValueHeaders" => v1_headers(value, json!([content_length])),
            "requestContext" => v1_context(value, ex, route, api),
            _ => value,
        };
        event.insert(key, value);
    }
    let (body, is_base64) = body(ex);
    event.insert("body".into(), body.map_or(Value::Null, Value::String));
    event.insert("isBase64Encoded".into(), json!(is_base64));
    Value::Object(event)
}

/// HTTP API's version of the 1.0 `requestContext`: its short request id, the route key as the
/// resource id, no deployment id, and the stage prefix only for a named stage.
fn v1_context(value: Value, ex: &Exchange, route: &RouteMatch, api: &Api) -> Value {
    let Value::Object(mut context) = value else {
        return value;
    };
    context.remove("deploymentId");
    if let Some(Value::Object(identity)) = context.get_mut("identity") {
        identity.insert("cognitoAmr".into(), Value::Null);
    }
    context.insert("requestId".into(), json!(ex.extended_request_id));
    context.insert("resourceId".into(), json!(route.entry.route_key));
    context.insert("path".into(), json!(raw_path(ex, api, Front::HttpApi)));
    Value::Object(context)
}

/// Payload 1.0 `headers` or `multiValueHeaders` as HTTP API sends them: names spelled its way,
/// `Content-Length` always present (`"0"` without a body), sorted by name as AWS lists them.
fn v1_headers(value: Value, content_length: Value) -> Value {
    let mut named: Vec<(String, Value)> = match value {
        Value::Object(map) => map
            .into_iter()
            .map(|(name, v)| (v1_header_name(&name), v))
            .collect(),
        _ => Vec::new(),
    };
    named.push(("Content-Length".to_owned(), content_length));
    named.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(named.into_iter().collect())
}

/// The headers HTTP API sets or vouches for, spelled as its payload 1.0 events spell them.
const V1_CANONICAL_HEADERS: &[&str] = &[
    "Content-Length",
    "Content-Type",
    "Host",
    "User-Agent",
    "X-Amzn-Trace-Id",
    "X-Forwarded-For",
    "X-Forwarded-Port",
    "X-Forwarded-Proto",
];

/// Header names of HTTP/2's static table (RFC 7541, appendix A).
const HPACK_STATIC_NAMES: &[&str] = &[
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "access-control-allow-origin",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-location",
    "content-range",
    "cookie",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "link",
    "location",
    "max-forwards",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "refresh",
    "retry-after",
    "server",
    "set-cookie",
    "strict-transport-security",
    "transfer-encoding",
    "vary",
    "via",
    "www-authenticate",
];

/// HTTP API's spelling of a payload 1.0 header name. Recorded events (curl, browsers, Postman,
/// Telegram's webhooks) show the gateway's own and vouched-for headers in canonical case
/// (`Host`, `User-Agent`, `Content-Type`, `X-Forwarded-For`…), the names of HTTP/2's static table
/// in lower case even from HTTP/1.1 clients (`accept`, `accept-encoding`, `cache-control`), and
/// any other name as the client spelled it (`Postman-Token`).
fn v1_header_name(name: &str) -> String {
    if let Some(canonical) = V1_CANONICAL_HEADERS
        .iter()
        .find(|c| c.eq_ignore_ascii_case(name))
    {
        return (*canonical).to_owned();
    }
    let lower = name.to_ascii_lowercase();
    if HPACK_STATIC_NAMES.contains(&lower.as_str()) {
        lower
    } else {
        name.to_owned()
    }
}

/// An HTTP API request's `$context.path`: its `rawPath` (`/v1/items` on a named stage).
pub(crate) fn http_api_path(ex: &Exchange, api: &Api) -> String {
    raw_path(ex, api, Front::HttpApi)
}

/// `rawPath`: the path as sent; AWS puts a named stage in front of it (`/v1/items`), while the
/// `$default` stage is served at the root.
fn raw_path(ex: &Exchange, api: &Api, front: Front) -> String {
    let stage = &api.stage.stage;
    if front == Front::HttpApi && stage != sluice_template::DEFAULT_STAGE {
        format!("/{stage}{}", ex.api_path)
    } else {
        ex.api_path.clone()
    }
}

/// The path the integration request carries, which the event gives as `rawPath` (1.0: `path`):
/// the client's ([`raw_path`]), or the one the route's `overwrite:path` parameter map gave.
///
/// AWS: request parameters change "headers, query strings, or the request path" before the
/// request reaches the integration, for every HTTP API integration without a subtype, Lambda
/// proxies included (the mapped headers and query strings are the event's); what a Lambda event
/// shows of a rewritten path is not documented. Sluice: the path the integration request carries,
/// as written (no stage prefix: `$request.path` has none), while `requestContext` keeps describing
/// the client's request (`http.path`, 1.0 `path`, as `$context.path` does), as do `routeKey` and
/// `pathParameters`, which routing chose before any map ran.
fn integration_path(ex: &Exchange, api: &Api, front: Front) -> String {
    match &ex.integration_path {
        Some(path) => path.clone(),
        None => raw_path(ex, api, front),
    }
}

/// Lower-case headers with repeats joined by commas, and the cookies the `Cookie` headers carry.
/// Connection headers are dropped; AWS adds `content-length`, the trace id and `x-forwarded-*`.
fn headers_and_cookies(ex: &Exchange, front: Front) -> (BTreeMap<String, String>, Vec<String>) {
    let mut headers = BTreeMap::new();
    let mut cookies = Vec::new();
    for name in ex.headers.keys() {
        let lower = name.as_str();
        let values = ex
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if lower == "cookie" {
            for value in values {
                cookies.extend(
                    value
                        .split(';')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned),
                );
            }
            continue;
        }
        if HOP_BY_HOP_REQUEST_HEADERS.contains(&lower) {
            continue;
        }
        headers.insert(lower.to_owned(), values.collect::<Vec<_>>().join(","));
    }
    // AWS: an HTTP API always sends `content-length` (`0` for a bodiless GET); a Function URL
    // only for a request that had a body or said its length (recorded browser and curl GETs
    // through Function URLs carry none).
    let sent_length = !ex.body.is_empty() || ex.headers.contains_key(http::header::CONTENT_LENGTH);
    if front == Front::HttpApi || sent_length {
        headers.insert("content-length".into(), ex.body.len().to_string());
    }
    headers.insert("x-amzn-trace-id".into(), ex.trace_id.clone());
    let source = source_ip(ex);
    let forwarded_for = match headers.get("x-forwarded-for") {
        Some(earlier) => format!("{earlier}, {source}"),
        None => source,
    };
    headers.insert("x-forwarded-for".into(), forwarded_for);
    headers.insert(
        "x-forwarded-port".into(),
        crate::request_event::forwarded_port(ex),
    );
    // AWS: https; Sluice serves plain HTTP and says so.
    headers.insert("x-forwarded-proto".into(), "http".into());
    (headers, cookies)
}

/// The body and whether it is base64: AWS passes text media types as text and base64-encodes
/// everything else, including bodies without a `Content-Type` and form posts.
fn body(ex: &Exchange) -> (Option<String>, bool) {
    if ex.body.is_empty() {
        return (None, false);
    }
    let text = is_text_media_type(ex.header("content-type").as_deref());
    match std::str::from_utf8(&ex.body) {
        Ok(body) if text => (Some(body.to_owned()), false),
        _ => (
            Some(base64::engine::general_purpose::STANDARD.encode(&ex.body)),
            true,
        ),
    }
}

/// Whether a `Content-Type` names text: `text/*`, JSON, XML, JavaScript (and their `+json` /
/// `+xml` suffixes).
fn is_text_media_type(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/javascript" | "application/xml"
        )
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
}

/// Path parameters as HTTP API passes them: percent-decoded (invalid UTF-8 replaced).
fn decode_path(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

fn source_ip(ex: &Exchange) -> String {
    ex.remote.ip().to_canonical().to_string()
}

fn epoch_millis(ex: &Exchange) -> i64 {
    (ex.received_at.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_media_types() {
        for (content_type, text) in [
            (Some("application/json"), true),
            (Some("application/json; charset=utf-8"), true),
            (Some("text/plain"), true),
            (Some("TEXT/HTML"), true),
            (Some("application/vnd.api+json"), true),
            (Some("application/atom+xml"), true),
            (Some("application/xml"), true),
            (Some("application/x-www-form-urlencoded"), false),
            (Some("application/octet-stream"), false),
            (Some("image/png"), false),
            (None, false),
        ] {
            assert_eq!(is_text_media_type(content_type), text, "{content_type:?}");
        }
    }

    #[test]
    fn payload_1_0_header_names_are_spelled_as_http_api_spells_them() {
        for (sent, spelled) in [
            ("host", "Host"),
            ("user-agent", "User-Agent"),
            ("content-type", "Content-Type"),
            ("x-forwarded-for", "X-Forwarded-For"),
            ("X-Amzn-Trace-Id", "X-Amzn-Trace-Id"),
            ("Accept", "accept"),
            ("Accept-Encoding", "accept-encoding"),
            ("Cache-Control", "cache-control"),
            ("Authorization", "authorization"),
            ("Postman-Token", "Postman-Token"),
            ("x-custom", "x-custom"),
        ] {
            assert_eq!(v1_header_name(sent), spelled, "{sent}");
        }
    }

    #[test]
    fn path_parameters_are_decoded_leniently() {
        assert_eq!(decode_path("a%20b"), "a b");
        assert_eq!(decode_path("a%2Fb"), "a/b");
        assert_eq!(decode_path("a+b"), "a+b");
        assert_eq!(decode_path("%ZZ"), "%ZZ");
        assert_eq!(decode_path("%FF"), "\u{fffd}");
    }
}
