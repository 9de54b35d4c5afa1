//! The one reader of `method.request.<location>.<name>` expressions (AWS docs, "Parameter mapping
//! source reference for REST APIs"): request parameter mappings, gateway response headers and
//! stage cache keys all take a request's values from here, so they agree on what a request holds.
//!
//! As API Gateway reads them (LocalStack's parameter mapper, modelled on AWS): `header` and
//! `querystring` are the last value of a repeated name, `multivalueheader` and
//! `multivaluequerystring` all of them in request order (a mapping sees them joined by `,`); query
//! values are decoded, path values are the raw (percent-encoded) segments the route bound.
//! Headers are those the proxy event carries: less the hop-by-hop ones API Gateway drops, with
//! the `X-Forwarded-*` and `X-Amzn-Trace-Id` its front end sets.

use std::cell::OnceCell;

use http::HeaderMap;

use crate::exchange::Exchange;
use crate::header_rules::REST_DROPPED_REQUEST_HEADERS;

/// Where a `method.request.*` expression reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    /// `method.request.path.NAME`: a path parameter the route bound.
    Path,
    /// `method.request.querystring.NAME`: the last value of a query parameter.
    QueryString,
    /// `method.request.multivaluequerystring.NAME`: every value of a query parameter.
    MultiValueQueryString,
    /// `method.request.header.NAME`: the last value of a header.
    Header,
    /// `method.request.multivalueheader.NAME`: every value of a header.
    MultiValueHeader,
}

/// A parsed `method.request.<location>.<name>` expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parameter<'a> {
    /// Where the value is read.
    pub location: Location,
    /// The parameter's name, as the expression spells it.
    pub name: &'a str,
}

impl<'a> Parameter<'a> {
    /// `expression` as a method request parameter; `None` for any other source (`'literal'`,
    /// `stageVariables.x`, `context.x`, `method.request.body…`).
    pub fn parse(expression: &'a str) -> Option<Parameter<'a>> {
        let (location, name) = expression
            .strip_prefix("method.request.")?
            .split_once('.')?;
        let location = match location {
            "path" => Location::Path,
            "querystring" => Location::QueryString,
            "multivaluequerystring" => Location::MultiValueQueryString,
            "header" => Location::Header,
            "multivalueheader" => Location::MultiValueHeader,
            _ => return None,
        };
        Some(Parameter { location, name })
    }
}

/// The parts of one request that `method.request.*` expressions read.
#[derive(Debug)]
pub(crate) struct MethodRequest<'a> {
    /// The request's headers (looked up whatever the case of the name).
    headers: &'a HeaderMap,
    /// The raw query string, parsed on first use.
    raw_query: Option<&'a str>,
    /// The decoded query, made once (most expressions never read it).
    query: OnceCell<Vec<(String, Vec<String>)>>,
    /// The path parameters the route bound (raw), in template order.
    path: &'a [(String, String)],
    /// The exchange whose gateway-set headers (`X-Forwarded-For`, …) replace the client's.
    gateway: Option<&'a Exchange>,
}

impl<'a> MethodRequest<'a> {
    /// The method request of an exchange (no path parameters before routing).
    pub fn of(ex: &'a Exchange) -> MethodRequest<'a> {
        let path = ex
            .route
            .as_ref()
            .map_or(&[][..], |route| route.path_parameters.as_slice());
        MethodRequest {
            gateway: Some(ex),
            ..MethodRequest::new(&ex.headers, ex.query.as_deref(), path)
        }
    }

    /// A method request over its parts: headers, the raw query (without `?`), path parameters.
    pub fn new(
        headers: &'a HeaderMap,
        raw_query: Option<&'a str>,
        path: &'a [(String, String)],
    ) -> MethodRequest<'a> {
        MethodRequest {
            headers,
            raw_query,
            query: OnceCell::new(),
            path,
            gateway: None,
        }
    }

    /// The request's values for `parameter`: one for `path`, `header` and `querystring` (the
    /// last of a repeated name), all in request order for the `multivalue…` locations; `None`
    /// when the request has none (a present but empty value is `Some("")`).
    pub fn values(&self, parameter: Parameter<'_>) -> Option<Vec<String>> {
        let name = parameter.name;
        let mut values: Vec<String> = match parameter.location {
            Location::Path => {
                let (_, value) = self.path.iter().find(|(key, _)| key == name)?;
                return Some(vec![value.clone()]);
            }
            Location::Header | Location::MultiValueHeader => {
                if REST_DROPPED_REQUEST_HEADERS
                    .iter()
                    .any(|dropped| name.eq_ignore_ascii_case(dropped))
                {
                    return None;
                }
                let set = self
                    .gateway
                    .and_then(|ex| crate::request_event::gateway_header(ex, name));
                if let Some(value) = set {
                    return Some(vec![value]);
                }
                self.headers
                    .get_all(name)
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .collect()
            }
            Location::QueryString | Location::MultiValueQueryString => {
                let query = self.query.get_or_init(|| {
                    self.raw_query
                        .map(crate::request_event::parse_query)
                        .unwrap_or_default()
                });
                let (_, values) = query.iter().find(|(key, _)| key == name)?;
                values.clone()
            }
        };
        if values.is_empty() {
            return None;
        }
        if matches!(parameter.location, Location::Header | Location::QueryString) {
            values.drain(..values.len() - 1);
        }
        Some(values)
    }

    /// The value a mapping gives `parameter`: [`MethodRequest::values`] joined by `,`.
    pub fn value(&self, parameter: Parameter<'_>) -> Option<String> {
        self.values(parameter).map(|values| values.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(expression: &str) -> Parameter<'_> {
        Parameter::parse(expression).expect("a method request parameter")
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn expressions_parse_into_location_and_name() {
        for (expression, location, name) in [
            ("method.request.path.id", Location::Path, "id"),
            ("method.request.querystring.q", Location::QueryString, "q"),
            (
                "method.request.multivaluequerystring.q",
                Location::MultiValueQueryString,
                "q",
            ),
            ("method.request.header.X-Team", Location::Header, "X-Team"),
            (
                "method.request.multivalueheader.Accept",
                Location::MultiValueHeader,
                "Accept",
            ),
            // A name may itself hold dots.
            ("method.request.header.x.y", Location::Header, "x.y"),
        ] {
            assert_eq!(
                Parameter::parse(expression),
                Some(Parameter { location, name }),
                "{expression}"
            );
        }
        for other in [
            "'literal'",
            "stageVariables.x",
            "context.requestId",
            "method.request.body",
            "method.request.body.a.b",
            "method.request.cookie.x",
            "method.request.header",
        ] {
            assert_eq!(Parameter::parse(other), None, "{other}");
        }
    }

    #[test]
    fn every_location_reads_its_values() {
        let headers = headers(&[("x-team", "red"), ("accept", "a/b"), ("accept", "c/d")]);
        let path = [("id".to_owned(), "a%2Fb".to_owned())];
        let request = MethodRequest::new(&headers, Some("q=1&tag=x+y&tag=%7Az&empty="), &path);
        let values = |expression| request.values(parameter(expression));
        assert_eq!(values("method.request.path.id"), Some(vec!["a%2Fb".into()]));
        assert_eq!(
            values("method.request.querystring.q"),
            Some(vec!["1".into()])
        );
        // Decoded, and the last of a repeated name.
        assert_eq!(
            values("method.request.querystring.tag"),
            Some(vec!["zz".into()])
        );
        assert_eq!(
            values("method.request.multivaluequerystring.tag"),
            Some(vec!["x y".into(), "zz".into()])
        );
        assert_eq!(
            values("method.request.header.X-Team"),
            Some(vec!["red".into()])
        );
        assert_eq!(
            values("method.request.header.accept"),
            Some(vec!["c/d".into()])
        );
        assert_eq!(
            values("method.request.multivalueheader.Accept"),
            Some(vec!["a/b".into(), "c/d".into()])
        );
        // Present but empty is a value, apart from absent.
        assert_eq!(
            values("method.request.querystring.empty"),
            Some(vec![String::new()])
        );
    }

    #[test]
    fn absent_values_are_none() {
        let headers = headers(&[("x-team", "red")]);
        let request = MethodRequest::new(&headers, Some("q=1"), &[]);
        for expression in [
            "method.request.path.id",
            "method.request.querystring.other",
            "method.request.multivaluequerystring.other",
            "method.request.header.x-other",
            "method.request.multivalueheader.x-other",
            // Query names are matched exactly.
            "method.request.querystring.Q",
        ] {
            assert_eq!(request.values(parameter(expression)), None, "{expression}");
            assert_eq!(request.value(parameter(expression)), None, "{expression}");
        }
        let no_query = MethodRequest::new(&headers, None, &[]);
        assert_eq!(
            no_query.value(parameter("method.request.querystring.q")),
            None
        );
    }

    #[test]
    fn the_front_end_sets_the_forwarding_headers() {
        let (parts, ()) = http::Request::builder()
            .uri("/x")
            .header("host", "localhost:8080")
            .header("x-forwarded-for", "10.0.0.1")
            .header("x-forwarded-proto", "https")
            .body(())
            .expect("static request")
            .into_parts();
        let ex = Exchange::new(
            parts,
            "192.0.2.7:9".parse().expect("static addr"),
            crate::dialect::Dialect::Rest,
        );
        let request = MethodRequest::of(&ex);
        let value = |expression| request.value(parameter(expression));
        // As the proxy event shows them: the caller's address appended to the client's chain.
        assert_eq!(
            value("method.request.header.X-Forwarded-For"),
            Some("10.0.0.1, 192.0.2.7".into())
        );
        assert_eq!(
            value("method.request.header.x-forwarded-port"),
            Some("8080".into())
        );
        assert_eq!(
            value("method.request.header.X-Forwarded-Proto"),
            Some("http".into())
        );
        assert_eq!(
            value("method.request.header.X-Amzn-Trace-Id"),
            Some(ex.trace_id.clone())
        );
    }

    #[test]
    fn hop_by_hop_headers_are_not_method_request_values() {
        let headers = headers(&[("connection", "keep-alive"), ("te", "trailers")]);
        let request = MethodRequest::new(&headers, None, &[]);
        assert_eq!(
            request.value(parameter("method.request.header.Connection")),
            None
        );
        assert_eq!(
            request.value(parameter("method.request.multivalueheader.te")),
            None
        );
    }

    #[test]
    fn header_names_match_whatever_their_case() {
        let headers = headers(&[("x-tenant-id", "t1")]);
        let request = MethodRequest::new(&headers, None, &[]);
        for name in ["x-tenant-id", "X-Tenant-Id", "X-TENANT-ID"] {
            assert_eq!(
                request.value(parameter(&format!("method.request.header.{name}"))),
                Some("t1".into()),
                "{name}"
            );
        }
    }

    #[test]
    fn a_mapping_sees_multiple_values_joined_by_commas() {
        let headers = headers(&[("x-id", "a"), ("x-id", "b"), ("x-one", "solo")]);
        let request = MethodRequest::new(&headers, Some("k=1&k=2"), &[]);
        let value = |expression| request.value(parameter(expression));
        assert_eq!(
            value("method.request.multivalueheader.x-id"),
            Some("a,b".into())
        );
        assert_eq!(value("method.request.header.x-id"), Some("b".into()));
        assert_eq!(
            value("method.request.multivalueheader.x-one"),
            Some("solo".into())
        );
        assert_eq!(
            value("method.request.multivaluequerystring.k"),
            Some("1,2".into())
        );
        assert_eq!(value("method.request.querystring.k"), Some("2".into()));
    }
}
