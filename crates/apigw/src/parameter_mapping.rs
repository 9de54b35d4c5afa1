//! Phases map request parameters and map response parameters (HTTP APIs): an integration's
//! `RequestParameters` rewrite the request's headers, query string and path before the event is
//! built, and its `ResponseParameters` for the status the integration answered rewrite that
//! answer's status and headers (AWS docs, "Transform API requests and responses for HTTP APIs").
//!
//! Every value is evaluated against the request (or answer) as it arrived, then the maps apply in
//! template order. The template refused reserved headers and unknown keys or sources.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Body as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;
use sluice_template::{MapAction, MapTarget, MappingValue, ParameterMap, ValuePart};

use crate::api::Api;
use crate::exchange::Exchange;
use crate::json_path;
use crate::request_event::{domain_prefix, parse_query, request_time};
use crate::route_table::RouteMatch;

/// Characters a mapped query value keeps as they are (RFC 3986 unreserved).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Rewrites the request's headers and query string as the route's `RequestParameters` say.
pub(crate) fn map_request(ex: &mut Exchange, route: &RouteMatch, api: &Api) {
    let Some(mapping) = &route.entry.parameter_mapping else {
        return;
    };
    if mapping.request.is_empty() {
        return;
    }
    let sources = Sources {
        ex,
        route,
        api,
        request_body: std::cell::OnceCell::new(),
        answer: None,
    };
    let planned: Vec<(&ParameterMap, Option<String>)> = mapping
        .request
        .iter()
        .map(|map| (map, sources.value(map)))
        .collect();
    let mut pairs = raw_pairs(ex.query.as_deref());
    for (map, value) in planned {
        match &map.target {
            MapTarget::Header(name) => apply_header(&mut ex.headers, map.action, name, value),
            MapTarget::QueryString(name) => apply_query(&mut pairs, map.action, name, value),
            // The template takes only `overwrite:path`. A missing value leaves the path as sent,
            // as a missing one leaves a header.
            MapTarget::Path => {
                if let Some(path) = value {
                    ex.integration_path = Some(path);
                }
            }
            // Refused by the template on the request side.
            MapTarget::StatusCode => {}
        }
    }
    ex.query = (!pairs.is_empty()).then(|| pairs.join("&"));
}

/// Rewrites the integration's answer as the route's `ResponseParameters` for its status say.
pub(crate) fn map_response(
    response: Response<Full<Bytes>>,
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
) -> Response<Full<Bytes>> {
    let Some(mapping) = &route.entry.parameter_mapping else {
        return response;
    };
    let status = response.status().as_u16();
    let Some(maps) = mapping.response.iter().find(|m| m.status == status) else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let body = full_bytes(body);
    let planned: Vec<(&ParameterMap, Option<String>)> = {
        let sources = Sources {
            ex,
            route,
            api,
            request_body: std::cell::OnceCell::new(),
            answer: Some((&parts.headers, &body)),
        };
        maps.maps
            .iter()
            .map(|map| (map, sources.value(map)))
            .collect()
    };
    for (map, value) in planned {
        match &map.target {
            MapTarget::Header(name) => apply_header(&mut parts.headers, map.action, name, value),
            MapTarget::StatusCode => {
                if let Some(code) = value.and_then(|v| v.trim().parse::<u16>().ok()) {
                    if let Ok(code) = StatusCode::from_u16(code) {
                        parts.status = code;
                    }
                }
            }
            // Refused by the template on the response side.
            MapTarget::QueryString(_) | MapTarget::Path => {}
        }
    }
    Response::from_parts(parts, Full::new(body))
}

/// A buffered body's bytes: `Full` yields its one frame at once.
fn full_bytes(mut body: Full<Bytes>) -> Bytes {
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(&mut body).poll_frame(&mut cx) {
        Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    }
}

/// `$context.name` of an HTTP API request, as its parameter mappings read it (a stage's access
/// log reads the same variables).
pub(crate) fn context_variable(
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
    name: &str,
) -> Option<String> {
    Sources {
        ex,
        route,
        api,
        request_body: std::cell::OnceCell::new(),
        answer: None,
    }
    .context(name)
}

/// What values are read from.
struct Sources<'a> {
    ex: &'a Exchange,
    route: &'a RouteMatch,
    api: &'a Api,
    /// The request body as JSON, parsed on first use (`None`: not JSON).
    request_body: std::cell::OnceCell<Option<Value>>,
    /// The integration's answer (response maps only): its headers and body.
    answer: Option<(&'a HeaderMap, &'a Bytes)>,
}

impl Sources<'_> {
    /// The map's value; `None` for `remove`, or when every reference in it is missing.
    fn value(&self, map: &ParameterMap) -> Option<String> {
        if map.action == MapAction::Remove {
            return None;
        }
        self.evaluate(&map.value)
    }

    /// A value expression's text. A reference with no value adds nothing; a value made only of
    /// such references is missing, and its map is skipped.
    fn evaluate(&self, value: &MappingValue) -> Option<String> {
        let mut out = String::new();
        let mut found = false;
        for part in &value.0 {
            match part {
                ValuePart::Text(text) => {
                    out.push_str(text);
                    found = true;
                }
                reference => {
                    if let Some(v) = self.reference(reference) {
                        out.push_str(&v);
                        found = true;
                    }
                }
            }
        }
        found.then_some(out)
    }

    fn reference(&self, part: &ValuePart) -> Option<String> {
        let ex = self.ex;
        match part {
            ValuePart::Text(text) => Some(text.clone()),
            ValuePart::RequestHeader(name) => joined_header(&ex.headers, name),
            ValuePart::RequestQueryString(name) => ex.query.as_deref().and_then(|q| {
                parse_query(q)
                    .into_iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, values)| values.join(","))
            }),
            ValuePart::RequestBody(path) => {
                let body = self
                    .request_body
                    .get_or_init(|| serde_json::from_slice(&ex.body).ok());
                select(body.as_ref()?, path)
            }
            ValuePart::RequestPath => Some(ex.raw_path.clone()),
            ValuePart::RequestPathParameter(name) => self
                .route
                .path_parameters
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, raw)| {
                    percent_encoding::percent_decode_str(raw)
                        .decode_utf8_lossy()
                        .into_owned()
                }),
            ValuePart::ResponseHeader(name) => joined_header(self.answer?.0, name),
            ValuePart::ResponseBody(path) => {
                let body: Value = serde_json::from_slice(self.answer?.1).ok()?;
                select(&body, path)
            }
            ValuePart::Context(name) => self.context(name),
            ValuePart::StageVariable(name) => self.api.stage.stage_variables.get(name).cloned(),
        }
    }

    /// `$context.name`: the variables an HTTP API request has (the event's `requestContext`).
    fn context(&self, name: &str) -> Option<String> {
        let ex = self.ex;
        let domain_name = || ex.header("host").unwrap_or_else(|| "localhost".to_owned());
        Some(match name {
            // AWS: an HTTP API's request id is the short one (`apigw-requestid`).
            "requestId" | "extendedRequestId" => ex.extended_request_id.clone(),
            "apiId" => self.api.stage.api_id.clone(),
            "stage" => self.api.stage.stage.clone(),
            "routeKey" => self.route.entry.route_key.clone(),
            "httpMethod" => ex.method.clone(),
            // AWS: "The request path. For example, /{stage}/root/child" (HTTP API access log
            // variables), as `requestContext.http.path` has it.
            "path" => crate::http_api_event::http_api_path(ex, self.api),
            "protocol" => ex.protocol.to_owned(),
            "domainName" => domain_name(),
            "domainPrefix" => domain_prefix(&domain_name()).to_owned(),
            "requestTime" => request_time(ex.received_at),
            "requestTimeEpoch" => (ex.received_at.unix_timestamp_nanos() / 1_000_000).to_string(),
            "identity.sourceIp" => ex.remote.ip().to_canonical().to_string(),
            "identity.userAgent" => ex.header("user-agent").unwrap_or_default(),
            other => {
                let authorizer = ex.authorizer.as_ref()?;
                let rest = other.strip_prefix("authorizer.")?;
                // JWT claims sit under `jwt`, a Lambda authorizer's context under `lambda`.
                let path = match rest.strip_prefix("claims.") {
                    Some(claim) => format!("$.jwt.claims.{claim}"),
                    None => format!("$.lambda.{rest}"),
                };
                return select(authorizer, &path)
                    .or_else(|| select(authorizer, &format!("$.{rest}")));
            }
        })
    }
}

/// A JSONPath's selection as header text: strings as they are, anything else as JSON.
fn select(document: &Value, path: &str) -> Option<String> {
    match json_path::select(document, path).ok()?? {
        Value::String(s) => Some(s),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Every value of a header, joined with commas (AWS).
fn joined_header(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn apply_header(headers: &mut HeaderMap, action: MapAction, name: &str, value: Option<String>) {
    let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
        return;
    };
    if action == MapAction::Remove {
        headers.remove(&name);
        return;
    }
    let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) else {
        return;
    };
    match action {
        MapAction::Overwrite => {
            headers.insert(name, value);
        }
        MapAction::Append => {
            headers.append(name, value);
        }
        MapAction::Remove => {}
    }
}

/// The query string's `key=value` pairs as sent.
fn raw_pairs(query: Option<&str>) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(str::to_owned)
        .collect()
}

fn apply_query(pairs: &mut Vec<String>, action: MapAction, name: &str, value: Option<String>) {
    let named = |pair: &String| {
        let key = pair.split_once('=').map_or(pair.as_str(), |(k, _)| k);
        let key = key.replace('+', " ");
        percent_encoding::percent_decode_str(&key).decode_utf8_lossy() == name
    };
    if action == MapAction::Remove {
        pairs.retain(|p| !named(p));
        return;
    }
    let Some(value) = value else {
        return;
    };
    if action == MapAction::Overwrite {
        pairs.retain(|p| !named(p));
    }
    pairs.push(format!(
        "{}={}",
        utf8_percent_encode(name, QUERY_VALUE),
        utf8_percent_encode(&value, QUERY_VALUE)
    ));
}
