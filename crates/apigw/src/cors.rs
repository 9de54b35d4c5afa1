//! Phase CORS, as each kind of API does it.
//!
//! - REST API `Cors`: SAM adds a MOCK `OPTIONS` method to every path, which answers 200 with the
//!   configured headers to any `OPTIONS` request, whatever its `Origin` (500 when the API's binary
//!   media types make the request binary). Proxy responses carry only the CORS headers the
//!   function returns: the gateway adds none (AWS proxy semantics).
//! - HTTP API `CorsConfiguration` and Function URL `Cors`: the gateway answers preflight itself
//!   (even without an `OPTIONS` route), adds the headers to responses when the `Origin` is allowed,
//!   and (HTTP API only) drops whatever `Access-Control-*` headers the function returned.
//! - A Function URL answers `Vary: Origin` to a request with an `Origin`, `Cors` or not.
//!
//! An explicit `OPTIONS` route in the template wins over all of this, as on AWS (the gateway
//! decides that before calling [`rest_preflight`] or [`preflight`]).

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use sluice_template::Cors;

use crate::dialect::Dialect;
use crate::exchange::Exchange;
use crate::gateway::Gateway;
use crate::gateway_error::GatewayError;

impl Gateway {
    /// Phase CORS preflight, before routing: an `OPTIONS` request the API's CORS rules answer
    /// (REST: SAM's MOCK method on a routed path; HTTP API and Function URL: any preflight). An
    /// explicit `OPTIONS` route wins. The answering API's dialect is recorded for the stamp.
    pub(crate) fn cors_preflight(
        &self,
        ex: &mut Exchange,
    ) -> Option<Result<Response<Full<Bytes>>, GatewayError>> {
        if ex.method != "OPTIONS" {
            return None;
        }
        let host = ex.header("host");
        if let Some(found) = self.function_urls.find(
            ex.pinned_url.as_deref(),
            host.as_deref(),
            &ex.raw_path,
            &self.options.aws.region,
        ) {
            // An unknown URL id has no CORS rules: routing refuses it next.
            let (route, _) = found.ok()?;
            let api = self.apis.get(route.entry.api)?;
            let answer = preflight(api.cors.as_ref()?, ex, api.dialect)?;
            ex.dialect = api.dialect;
            return Some(Ok(answer));
        }
        if self
            .routes
            .find("OPTIONS", &ex.raw_path)
            .is_some_and(|found| found.entry.method == "OPTIONS")
        {
            return None;
        }
        let resource = self.routes.resource(&ex.raw_path);
        let api_index = match &resource {
            Some(found) => Some(found.entry.api),
            None => self
                .routes
                .default_api()
                .or_else(|| self.only_http_api_with_cors()),
        }?;
        let api = self.apis.get(api_index)?;
        let cors = api.cors.as_ref()?;
        let answer = match api.dialect {
            // SAM's MOCK method sits on the resources the API defines, nowhere else.
            Dialect::Rest => {
                let found = resource?;
                // AWS: SAM's MOCK method has a request template and no `contentHandling`, so a
                // request the API's binary media types call binary (with `*/*`, every preflight:
                // no Content-Type counts as application/json) cannot be transformed: 500
                // "Unable to transform request" (serverless-application-model#1344).
                if api
                    .stage
                    .binary_media_types
                    .matches_content_type(ex.header("content-type").as_deref())
                {
                    ex.dialect = api.dialect;
                    return Some(Err(GatewayError::MappingFailed(
                        "Unable to transform request (binary body, CORS MOCK OPTIONS method)"
                            .into(),
                    )));
                }
                // The MOCK method is a method like any other: the API's resource policy applies
                // (it has no authentication, so only an explicit allow serves it).
                if let Err(refused) = crate::auth::resource_policy::guard(
                    api,
                    ex,
                    &self.options.aws,
                    crate::auth::resource_policy::Caller::Anonymous,
                    false,
                ) {
                    ex.dialect = api.dialect;
                    return Some(Err(refused));
                }
                rest_preflight(
                    cors,
                    &self.routes.methods_on(api_index, &found.entry.resource),
                )
            }
            Dialect::HttpApi(_) | Dialect::FunctionUrl => preflight(cors, ex, api.dialect)?,
        };
        ex.dialect = api.dialect;
        Some(Ok(answer))
    }

    /// The one HTTP API with CORS, if there is exactly one: it answers preflight on paths none of
    /// its routes match, as a lone HTTP API does on AWS.
    fn only_http_api_with_cors(&self) -> Option<usize> {
        let mut candidates =
            self.apis.iter().enumerate().filter(|(_, api)| {
                matches!(api.dialect, Dialect::HttpApi(_)) && api.cors.is_some()
            });
        let (index, _) = candidates.next()?;
        candidates.next().is_none().then_some(index)
    }

    /// Phase CORS on the function's response (HTTP API, Function URL; REST adds nothing).
    pub(crate) fn apply_cors(&self, ex: &Exchange, response: &mut Response<Full<Bytes>>) {
        if ex.dialect == Dialect::Rest {
            return;
        }
        if ex.dialect == Dialect::FunctionUrl && ex.header("origin").is_some() {
            vary_on_origin(response.headers_mut());
        }
        if let Ok((_, api)) = self.matched(ex) {
            if let Some(config) = &api.cors {
                apply(config, ex, response, ex.dialect == Dialect::FunctionUrl);
            }
        }
    }
}

/// The MOCK `OPTIONS` answer SAM generates for a REST API path whose routes use `methods`.
pub(crate) fn rest_preflight(cors: &Cors, methods: &[String]) -> Response<Full<Bytes>> {
    // SAM's MOCK response template for the method is `{}` and a newline.
    let mut response = Response::new(Full::new(Bytes::from_static(b"{}\n")));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in cors.rest_preflight_headers(methods) {
        // SAM spells them capitalised; a header name's case means nothing on the wire.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

/// HTTP API / Function URL preflight: `None` unless the request is one (`OPTIONS` with `Origin`
/// and `Access-Control-Request-Method`). The CORS headers are there only when the origin, method
/// and headers are allowed, so the browser refuses everything else; they list what is configured,
/// not what the request asked for.
///
/// An HTTP API answers 204. A Function URL answers 200 with `Content-Type: application/json`, an
/// empty body and `Vary: Origin`, as recorded from `lambda-url.us-east-1.on.aws` in
/// rimutaka/posts `lambda-url-with-cloudfront` ("Example of CORS request/response handled by
/// AWS": `Access-Control-Allow-Headers: authorization,content-type,x-books-authorization` for a
/// request asking `authorization,x-books-authorization`).
pub(crate) fn preflight(
    cors: &Cors,
    ex: &Exchange,
    dialect: Dialect,
) -> Option<Response<Full<Bytes>>> {
    let origin = ex.header("origin")?;
    let method = ex.header("access-control-request-method")?;
    let mut response = Response::new(Full::new(Bytes::new()));
    if dialect == Dialect::FunctionUrl {
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        vary_on_origin(headers);
    } else {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    let requested_headers = ex
        .header("access-control-request-headers")
        .unwrap_or_default();
    let headers_allowed = requested_headers
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .all(|h| listed(&cors.allow_headers, h));
    if origin_allowed(cors, &origin) && listed(&cors.allow_methods, &method) && headers_allowed {
        let headers = response.headers_mut();
        set(
            headers,
            "access-control-allow-origin",
            &allowed_origin_value(cors, &origin),
        );
        set(
            headers,
            "access-control-allow-methods",
            &cors.allow_methods.join(","),
        );
        if !cors.allow_headers.is_empty() {
            set(
                headers,
                "access-control-allow-headers",
                &cors.allow_headers.join(","),
            );
        }
        if let Some(age) = cors.max_age {
            set(headers, "access-control-max-age", &age.to_string());
        }
        if cors.allow_credentials {
            set(headers, "access-control-allow-credentials", "true");
        }
    }
    Some(response)
}

/// HTTP API / Function URL, on the function's response: the function's own CORS headers go, the
/// configured ones come when the request's `Origin` is allowed.
///
/// An HTTP API drops the integration's own `Access-Control-*` headers (AWS's "Configuring CORS
/// for an HTTP API"); a Function URL (`keep_theirs`) adds its own beside them, so a function
/// that also sets CORS answers two values and browsers refuse it, as users of both report
/// (aws-powertools/powertools-lambda-python#4163).
pub(crate) fn apply(
    cors: &Cors,
    ex: &Exchange,
    response: &mut Response<Full<Bytes>>,
    keep_theirs: bool,
) {
    let headers = response.headers_mut();
    if !keep_theirs {
        let theirs: Vec<HeaderName> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in theirs {
            headers.remove(name);
        }
    }
    let Some(origin) = ex.header("origin") else {
        return;
    };
    if !origin_allowed(cors, &origin) {
        return;
    }
    set(
        headers,
        "access-control-allow-origin",
        &allowed_origin_value(cors, &origin),
    );
    if cors.allow_credentials {
        set(headers, "access-control-allow-credentials", "true");
    }
    if !cors.expose_headers.is_empty() {
        set(
            headers,
            "access-control-expose-headers",
            &cors.expose_headers.join(","),
        );
    }
}

/// `*` when every origin is allowed (and credentials are not), else the request's origin.
fn allowed_origin_value(cors: &Cors, origin: &str) -> String {
    if cors.allow_origins.iter().any(|o| o == "*") && !cors.allow_credentials {
        "*".to_owned()
    } else {
        origin.to_owned()
    }
}

/// Whether an origin is allowed: exactly listed, `*`, or matched by a pattern with `*` in it
/// (HTTP API allows `https://*.example.com`). Origins compare case-insensitively.
fn origin_allowed(cors: &Cors, origin: &str) -> bool {
    let origin = origin.to_ascii_lowercase();
    cors.allow_origins
        .iter()
        .any(|allowed| glob(&allowed.to_ascii_lowercase(), &origin))
}

/// Whether `value` is in a configured list (case-insensitive), or the list allows `*`.
fn listed(list: &[String], value: &str) -> bool {
    list.iter()
        .any(|item| item == "*" || item.eq_ignore_ascii_case(value))
}

/// `*` in `pattern` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// `Vary: Origin`, unless the response already varies on it.
///
/// AWS: a Function URL's own preflight answer has it, and so do its answers to a request with an
/// `Origin`, `Cors` or not: rimutaka/posts `lambda-url-with-cloudfront/cloudfront-examples.md`
/// ("CORS not required", through CloudFront with caching off) shows `vary: Origin` beside the
/// function's `x-foo-header`, its function naming no `Vary`. Without an `Origin`: not recorded.
fn vary_on_origin(headers: &mut HeaderMap) {
    let varies = headers
        .get_all(http::header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|name| {
            let name = name.trim();
            name == "*" || name.eq_ignore_ascii_case("origin")
        });
    if !varies {
        headers.append(http::header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Adds a CORS header beside any of the same name (only a Function URL's response can have one:
/// the function's own).
fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_patterns() {
        let cors = Cors {
            allow_origins: vec![
                "https://app.example.com".into(),
                "https://*.dev.test".into(),
            ],
            ..Cors::default()
        };
        for (origin, allowed) in [
            ("https://app.example.com", true),
            ("HTTPS://APP.EXAMPLE.COM", true),
            ("https://app.example.com.evil", false),
            ("http://app.example.com", false),
            ("https://a.dev.test", true),
            ("https://a.b.dev.test", true),
            ("https://dev.test", false),
            ("null", false),
        ] {
            assert_eq!(origin_allowed(&cors, origin), allowed, "{origin}");
        }
        let any = Cors {
            allow_origins: vec!["*".into()],
            ..Cors::default()
        };
        assert!(origin_allowed(&any, "http://localhost:8080"));
        assert_eq!(allowed_origin_value(&any, "http://x"), "*");
    }

    /// An HTTP API replaces the function's CORS headers; a Function URL adds its own beside them
    /// (on AWS a function that also sets them answers two values, which browsers refuse).
    #[test]
    fn only_function_urls_keep_the_functions_own_cors_headers() {
        let cors = Cors {
            allow_origins: vec!["https://a.example".into()],
            ..Cors::default()
        };
        let (parts, ()) = http::Request::builder()
            .header("origin", "https://a.example")
            .body(())
            .expect("static request")
            .into_parts();
        let ex = Exchange::new(
            parts,
            "127.0.0.1:9".parse().expect("addr"),
            Dialect::FunctionUrl,
        );
        let answer = || {
            let mut response = Response::new(Full::new(Bytes::new()));
            response.headers_mut().insert(
                "access-control-allow-origin",
                HeaderValue::from_static("https://a.example"),
            );
            response
        };
        let values = |response: &Response<Full<Bytes>>| -> Vec<String> {
            response
                .headers()
                .get_all("access-control-allow-origin")
                .iter()
                .map(|v| v.to_str().unwrap_or_default().to_owned())
                .collect()
        };
        let mut url = answer();
        apply(&cors, &ex, &mut url, true);
        assert_eq!(values(&url), ["https://a.example", "https://a.example"]);
        let mut http_api = answer();
        apply(&cors, &ex, &mut http_api, false);
        assert_eq!(values(&http_api), ["https://a.example"]);
    }

    #[test]
    fn rest_preflight_lists_the_paths_methods_as_sam_does() {
        let cors = Cors {
            allow_origins: vec!["*".into()],
            ..Cors::default()
        };
        let response = rest_preflight(&cors, &["POST".into(), "GET".into()]);
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert_eq!(headers["access-control-allow-methods"], "GET,OPTIONS,POST");
        assert!(!headers.contains_key("access-control-allow-headers"));
        let response = rest_preflight(&cors, &["ANY".into()]);
        assert_eq!(
            response.headers()["access-control-allow-methods"],
            "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"
        );
    }
}
