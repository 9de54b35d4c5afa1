//! Phase integrate for `HTTP_PROXY` integrations, REST and HTTP APIs: the client's request goes to
//! the endpoint through the narrow [`CallHttp`] that `HTTP` integrations use, and the endpoint's
//! status, headers and body come back as the answer, with no template in between. Past the
//! integration timeout the dialect's timeout answer (REST 504, HTTP API 503); an endpoint that
//! cannot be reached is AWS's "Invalid endpoint address" configuration error, a 500.
//!
//! REST, as LocalStack's AWS-validated next-gen gateway passes it (`handlers/integration_request.py`,
//! `integrations/http.py`, `header_utils.py`): the method (`ANY`: the client's); the URI with its
//! `{name}` placeholders filled only by `integration.request.path.name` parameters (the docs'
//! `/{proxy+}` → `…/{proxy}` example maps `method.request.path.proxy`) and `${stageVariables.name}`;
//! the client's query string, then the mapped `integration.request.querystring.*`; the client's
//! headers as the method request has them (`X-Forwarded-For`, `-Port`, `-Proto` as in a Lambda
//! proxy's event) without `Host` and `Content-Encoding`, the mapped headers replacing theirs
//! (mapping `X-Amzn-Trace-Id`, `X-Amzn-Apigateway-Api-Id`, `Content-Length` or
//! `Transfer-Encoding` is a 500), `Accept: application/json` and `User-Agent:
//! AmazonAPIGateway_<apiId>` when the client sent none, `Expect`, `Proxy-Authenticate`, `TE` and
//! `Via` dropped, the gateway's trace id and API id set; the body as sent (none for `GET`, `HEAD`,
//! `OPTIONS`). The answer's headers go through the `HTTP_PROXY` remap table.
//!
//! HTTP APIs (AWS docs, "Create HTTP proxy integrations for HTTP APIs": "API Gateway passes the
//! entire request and response"): the method (`ANY`: the client's); the URI with the route's path
//! variables (`{proxy}` for `{proxy+}`) and stage variables filled, its path replaced by an
//! `overwrite:path` parameter map; the query string and headers as the route's parameter maps left
//! them. "HTTP APIs translate incoming `X-Forwarded-*` headers into a standard `Forwarded` header
//! and append the egress IP, host and protocol" ("Amazon API Gateway important notes for HTTP
//! APIs"; deployed APIs send `for=<client>,for=<caller>;…;host=<api host>;proto=https`,
//! pbojinov/request-ip#70): Sluice appends `for=<caller>;host=<Host>;proto=http`, the scheme it
//! serves. The answer's headers pass but for the connection-level ones; the route's
//! `ResponseParameters` and the API's CORS apply after, as for a Lambda's answer.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::Full;
use sluice_aws_env::AwsEnv;
use sluice_template::HttpProxy;

use crate::api::Api;
use crate::dialect::Dialect;
use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;
use crate::header_rules::{self, HOP_BY_HOP_REQUEST_HEADERS, REST_DROPPED_REQUEST_HEADERS};
use crate::http_integration::{
    self, endpoint_uri, render_uri, DROPPED_HEADERS, ILLEGAL_MAPPED_HEADERS, NO_BODY_METHODS,
};
use crate::integration::CallHttp;
use crate::request_event::gateway_header;
use crate::route_table::RouteMatch;

/// Client headers a REST `HTTP_PROXY` does not pass on (a mapping may still set them): the
/// endpoint's host is the URI's (LocalStack: `drop_headers(headers, ["Host",
/// "Content-Encoding"])`, "validated behavior").
const REST_UNSENT: &[&str] = &["host", "content-encoding"];

/// The headers REST's front end sets on every request, replacing the client's (as the Lambda
/// proxy event shows them).
const REST_FORWARDING: &[&str] = &["x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"];

/// Client headers an HTTP API folds into `Forwarded` instead of passing them.
const HTTP_API_FORWARDING: &[&str] = &[
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-proto",
];

/// Sends the client's request to the `HTTP_PROXY` endpoint under `timeout` and answers with the
/// endpoint's answer. Without a `client`, the route answers as an integration Sluice does not run.
pub(crate) async fn integrate(
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
    aws: &AwsEnv,
    proxy: &HttpProxy,
    client: Option<&dyn CallHttp>,
    timeout: Duration,
) -> Result<Response<Full<Bytes>>, GatewayError> {
    let Some(client) = client else {
        return Err(GatewayError::NotEmulated(format!(
            "HTTP_PROXY integration of {} {}",
            route.entry.method, route.entry.resource
        )));
    };
    let (request, rules) = match ex.dialect {
        Dialect::Rest => (
            rest_request(ex, route, api, aws, proxy)?,
            &header_rules::REST_HTTP_PROXY,
        ),
        Dialect::HttpApi(_) | Dialect::FunctionUrl => (
            http_api_request(ex, route, api, proxy)?,
            &header_rules::HTTP_API,
        ),
    };
    let answer = http_integration::call(client, request, timeout).await?;
    let status = StatusCode::from_u16(answer.status)
        .map_err(|_| GatewayError::MappingFailed(format!("status {}", answer.status)))?;
    crate::response_parts::assemble(
        status,
        answer.headers,
        answer.body,
        "application/json",
        rules,
    )
    .map_err(|name| {
        GatewayError::MappingFailed(format!("the endpoint's {name} header cannot be relayed"))
    })
}

/// The integration's method: its own, or the client's for `ANY`.
fn method(proxy: &HttpProxy, ex: &Exchange) -> Result<Method, GatewayError> {
    let method = if proxy.method == "ANY" {
        ex.method.as_str()
    } else {
        proxy.method.as_str()
    };
    Method::from_bytes(method.as_bytes())
        .map_err(|_| GatewayError::MappingFailed(format!("{method:?} is no HTTP method")))
}

/// A REST API's integration request (see the module's notes).
fn rest_request(
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
    aws: &AwsEnv,
    proxy: &HttpProxy,
) -> Result<Request<Bytes>, GatewayError> {
    let mapped = crate::mapped_integration::mapped_parameters(
        ex,
        route,
        api,
        aws,
        &proxy.request_parameters,
    )?;
    let rendered = render_uri(&proxy.uri, &mapped.path, &api.stage.stage_variables);
    let uri = endpoint_uri(rendered, None, ex.query.as_deref(), &mapped.querystring)?;
    let mut headers = HeaderMap::with_capacity(ex.headers.len() + 6);
    for (name, value) in &ex.headers {
        let lower = name.as_str();
        let unsent = REST_DROPPED_REQUEST_HEADERS.contains(&lower)
            || REST_UNSENT.contains(&lower)
            || REST_FORWARDING.contains(&lower)
            || lower == "x-amzn-trace-id";
        if !unsent {
            headers.append(name.clone(), value.clone());
        }
    }
    for name in REST_FORWARDING {
        if let Some(value) = gateway_header(ex, name) {
            insert(&mut headers, name, &value)?;
        }
    }
    for (name, value) in &mapped.header {
        if ILLEGAL_MAPPED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(GatewayError::MappingFailed(format!(
                "{name} header already present"
            )));
        }
        insert(&mut headers, name, value)?;
    }
    if !headers.contains_key(http::header::ACCEPT) {
        insert(&mut headers, "accept", "application/json")?;
    }
    if !headers.contains_key(http::header::USER_AGENT) {
        let agent = format!("AmazonAPIGateway_{}", api.stage.api_id);
        insert(&mut headers, "user-agent", &agent)?;
    }
    for dropped in DROPPED_HEADERS {
        headers.remove(*dropped);
    }
    insert(&mut headers, "x-amzn-trace-id", &ex.trace_id)?;
    insert(&mut headers, "x-amzn-apigateway-api-id", &api.stage.api_id)?;
    let method = method(proxy, ex)?;
    let body = if NO_BODY_METHODS.contains(&method.as_str()) {
        Bytes::new()
    } else {
        ex.body.clone()
    };
    build(method, uri, headers, body)
}

/// An HTTP API's integration request (see the module's notes).
fn http_api_request(
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
    proxy: &HttpProxy,
) -> Result<Request<Bytes>, GatewayError> {
    let rendered = render_uri(
        &proxy.uri,
        &route.path_parameters,
        &api.stage.stage_variables,
    );
    let uri = endpoint_uri(
        rendered,
        ex.integration_path.as_deref(),
        ex.query.as_deref(),
        &[],
    )?;
    let mut headers = HeaderMap::with_capacity(ex.headers.len() + 2);
    for (name, value) in &ex.headers {
        let lower = name.as_str();
        let unsent = HOP_BY_HOP_REQUEST_HEADERS.contains(&lower)
            || HTTP_API_FORWARDING.contains(&lower)
            || lower == "host"
            || lower == "x-amzn-trace-id";
        if !unsent {
            headers.append(name.clone(), value.clone());
        }
    }
    insert(&mut headers, "forwarded", &forwarded(ex))?;
    insert(&mut headers, "x-amzn-trace-id", &ex.trace_id)?;
    build(method(proxy, ex)?, uri, headers, ex.body.clone())
}

/// The `Forwarded` header an HTTP API sends: the client's own `Forwarded` elements, a `for=` per
/// address of its `X-Forwarded-For`, then the caller as Sluice saw it, with the host it addressed
/// and the scheme Sluice serves (RFC 7239 syntax: a value that is no token is quoted, an IPv6
/// address bracketed).
fn forwarded(ex: &Exchange) -> String {
    let text = |name: &str| -> Vec<String> {
        ex.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    };
    let mut elements: Vec<String> = text("forwarded")
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|element| !element.is_empty())
        .map(str::to_owned)
        .collect();
    let chain = text("x-forwarded-for");
    let earlier = chain.iter().flat_map(|value| value.split(','));
    for address in earlier.map(str::trim).filter(|a| !a.is_empty()) {
        elements.push(format!("for={}", node(address)));
    }
    let mut own = format!("for={}", node(&ex.remote.ip().to_canonical().to_string()));
    if let Some(host) = ex.header_str("host") {
        own.push_str(";host=");
        own.push_str(&quoted(&host));
    }
    own.push_str(";proto=http");
    elements.push(own);
    elements.join(",")
}

/// A `for=` node: an IPv6 address bracketed and quoted, anything else a token or quoted.
fn node(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => format!("\"[{v6}]\""),
        _ => quoted(address),
    }
}

/// `value` as RFC 7230's token when it is one, else as a quoted string.
fn quoted(value: &str) -> String {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !value.is_empty() && value.chars().all(tchar) {
        value.to_owned()
    } else {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}

/// Sets `name` (replacing every value it had); a name or value HTTP cannot carry is AWS's
/// configuration error, a 500.
fn insert(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), GatewayError> {
    let (name, value) = http_integration::header_pair(name, value)?;
    headers.insert(name, value);
    Ok(())
}

fn build(
    method: Method,
    uri: http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Request<Bytes>, GatewayError> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .body(body)
        .map_err(|e| GatewayError::MappingFailed(e.to_string()))?;
    *request.headers_mut() = headers;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_nodes_are_tokens_or_quoted_and_ipv6_is_bracketed() {
        assert_eq!(node("192.0.2.43"), "192.0.2.43");
        assert_eq!(node("2001:db8:cafe::17"), "\"[2001:db8:cafe::17]\"");
        assert_eq!(node("unknown"), "unknown");
        assert_eq!(quoted("127.0.0.1:3000"), "\"127.0.0.1:3000\"");
        assert_eq!(quoted("api.example.com"), "api.example.com");
    }
}
