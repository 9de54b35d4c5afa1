//! Phase route, for Function URLs: which function's URL a request addresses. Each URL is its own
//! endpoint on AWS (`https://<url-id>.lambda-url.<region>.on.aws/`); Sluice serves it on the
//! gateway's port in two forms, both printed at startup:
//!
//! - by host: `http://<url-id>.lambda-url.<region>.localhost:<port>/…` (`*.localhost` resolves
//!   to loopback in browsers and most resolvers, so no DNS setup is needed);
//! - by path: `http://127.0.0.1:<port>/lambda-url/<FunctionName>/…` (`<FunctionName>:<alias>`
//!   for an alias's URL), for clients that cannot choose a host. The prefix is not part of the
//!   path the function sees.
//!
//! A URL has no routes: every method and path reaches the function. The unqualified function and
//! each alias have URLs of their own on AWS, with their own ids, settings and invoked qualifier.

use std::sync::Arc;

use sluice_template::FunctionUrl;

use crate::api::function_url_id;
use crate::dialect::Dialect;
use crate::route_table::{RouteEntry, RouteMatch};

/// The path prefix of the path form.
pub const PATH_PREFIX: &str = "/lambda-url/";

/// One served Function URL.
#[derive(Debug, Clone)]
struct UrlEntry {
    /// The host's first label.
    url_id: String,
    /// The path form's second segment: the function's name, `:alias` for an alias's URL.
    path_name: String,
    /// The function's name alone (the path form falls back on it, see [`FunctionUrlTable::find`]).
    function_name: String,
    /// The catch-all route every request on this URL takes.
    entry: Arc<RouteEntry>,
}

/// Every Function URL of the template.
#[derive(Debug, Clone, Default)]
pub(crate) struct FunctionUrlTable {
    urls: Vec<UrlEntry>,
}

impl FunctionUrlTable {
    /// The table for these URLs; `urls[i]` is the gateway's API number `first_api + i`.
    pub fn new(urls: &[FunctionUrl], first_api: usize) -> FunctionUrlTable {
        FunctionUrlTable {
            urls: urls
                .iter()
                .enumerate()
                .map(|(i, url)| {
                    let mut entry =
                        RouteEntry::catch_all(first_api + i, &url.function, Dialect::FunctionUrl);
                    // A URL invokes its own qualifier, $LATEST included: never the function's
                    // `AutoPublishAlias` alias that API events target by default.
                    entry.invoke(Some(
                        url.qualifier.clone().unwrap_or_else(|| LATEST.to_owned()),
                    ));
                    UrlEntry {
                        url_id: function_url_id(&url.target()),
                        path_name: path_name(url),
                        function_name: url.function_name.clone(),
                        entry: Arc::new(entry),
                    }
                })
                .collect(),
        }
    }

    /// The URL this request addresses, with the path its function sees; `None` when the request is
    /// for an API instead; `Some(Err(UnknownUrl))` when its host names a URL id no function has
    /// (or its listener is `pinned` to a URL target, `Fn` or `Fn:live`, that a reload removed).
    /// The path form `/lambda-url/<name>/` of a function with no unqualified URL but a single
    /// alias URL finds that one, so a template's URL keeps its address when it gains an alias.
    pub fn find(
        &self,
        pinned: Option<&str>,
        host: Option<&str>,
        raw_path: &str,
        region: &str,
    ) -> Option<Result<(RouteMatch, String), UnknownUrl>> {
        if self.urls.is_empty() && pinned.is_none() {
            return None;
        }
        let matched = |url: &UrlEntry| RouteMatch {
            entry: url.entry.clone(),
            path_parameters: Vec::new(),
        };
        if let Some(target) = pinned {
            // A listener of this URL alone: every host and path is the URL's.
            let url_id = function_url_id(target);
            let Some(url) = self.urls.iter().find(|u| u.url_id == url_id) else {
                return Some(Err(UnknownUrl));
            };
            return Some(Ok((matched(url), raw_path.to_owned())));
        }
        if let Some(url_id) = host.and_then(|h| url_id_of_host(h, region)) {
            // A host that names a URL is never an API request, even when the id is unknown.
            let Some(url) = self.urls.iter().find(|u| u.url_id == url_id) else {
                return Some(Err(UnknownUrl));
            };
            return Some(Ok((matched(url), raw_path.to_owned())));
        }
        let rest = raw_path.strip_prefix(PATH_PREFIX)?;
        let (name, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let url = match self.urls.iter().find(|u| u.path_name == name) {
            Some(url) => url,
            None => {
                let mut of_function = self.urls.iter().filter(|u| u.function_name == name);
                match (of_function.next(), of_function.next()) {
                    (Some(only), None) if !name.contains(':') => only,
                    _ => return None,
                }
            }
        };
        Some(Ok((matched(url), path.to_owned())))
    }
}

/// A request whose host is a Function URL's form with an id no function of the template has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UnknownUrl;

/// The URL id of a `<url-id>.lambda-url.<region>.localhost[:port]` host, lower-cased.
fn url_id_of_host(host: &str, region: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_owned(),
        _ => host,
    };
    let suffix = format!(".lambda-url.{region}.localhost");
    let id = host.trim_end_matches('.').strip_suffix(&suffix)?;
    (!id.is_empty() && !id.contains('.')).then(|| id.to_owned())
}

/// The qualifier of an unqualified Function URL's invocations.
const LATEST: &str = "$LATEST";

/// The path form's name of a URL: `my-fn`, or `my-fn:live` for an alias's.
fn path_name(url: &FunctionUrl) -> String {
    match &url.qualifier {
        Some(q) => format!("{}:{q}", url.function_name),
        None => url.function_name.clone(),
    }
}

/// The two addresses of a Function URL on a gateway listening at `addr`: by host, then by path.
pub fn function_url_addresses(
    url: &FunctionUrl,
    region: &str,
    addr: std::net::SocketAddr,
) -> (String, String) {
    let id = function_url_id(&url.target());
    (
        format!("http://{id}.lambda-url.{region}.localhost:{}/", addr.port()),
        format!("http://{addr}{PATH_PREFIX}{}/", path_name(url)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_template::{FunctionUrlAuth, InvokeMode};

    fn url(qualifier: Option<&str>) -> FunctionUrl {
        FunctionUrl {
            function: "Fn".into(),
            function_name: "my-fn".into(),
            qualifier: qualifier.map(str::to_owned),
            auth: FunctionUrlAuth::None,
            cors: None,
            invoke_mode: InvokeMode::Buffered,
        }
    }

    fn table() -> FunctionUrlTable {
        FunctionUrlTable::new(&[url(None)], 3)
    }

    /// The unqualified function's URL and its alias's are two URLs: two ids, two path names,
    /// each invoking its own qualifier.
    #[test]
    fn a_functions_alias_has_a_url_of_its_own() {
        let table = FunctionUrlTable::new(&[url(Some("live")), url(None)], 3);
        let (latest, live) = (function_url_id("Fn"), function_url_id("Fn:live"));
        assert_ne!(latest, live);
        assert_eq!(live.len(), 32);
        let found = |host: Option<String>, path: &str| {
            let (route, _) = table
                .find(None, host.as_deref(), path, "us-east-1")
                .expect("a URL request")
                .expect("a known URL");
            (route.entry.api, route.entry.qualifier.clone())
        };
        let live_at = (3, Some("live".to_owned()));
        let latest_at = (4, Some("$LATEST".to_owned()));
        let host = |id: &str| Some(format!("{id}.lambda-url.us-east-1.localhost:3000"));
        assert_eq!(found(host(&live), "/x"), live_at);
        assert_eq!(found(host(&latest), "/x"), latest_at);
        assert_eq!(found(None, "/lambda-url/my-fn:live/x"), live_at);
        assert_eq!(found(None, "/lambda-url/my-fn/x"), latest_at);
        let pinned = |target: &str| {
            table
                .find(Some(target), None, "/", "us-east-1")
                .expect("a URL request")
                .expect("a known URL")
                .0
                .entry
                .api
        };
        assert_eq!((pinned("Fn:live"), pinned("Fn")), (3, 4));
        assert!(
            table
                .find(None, None, "/lambda-url/my-fn:dev/", "us-east-1")
                .is_none(),
            "an alias without a URL has no path form"
        );
    }

    /// An alias's URL alone answers its function's plain path form too, so a URL keeps that
    /// address when its function gains `AutoPublishAlias`.
    #[test]
    fn an_alias_url_alone_answers_the_plain_path_form() {
        let table = FunctionUrlTable::new(&[url(Some("live"))], 0);
        for path in ["/lambda-url/my-fn/a", "/lambda-url/my-fn:live/a"] {
            let (route, api_path) = table
                .find(None, None, path, "us-east-1")
                .expect("a URL request")
                .expect("a known URL");
            assert_eq!(route.entry.qualifier.as_deref(), Some("live"), "{path}");
            assert_eq!(api_path, "/a");
        }
    }

    #[test]
    fn both_address_forms_find_the_function() {
        let table = table();
        let id = function_url_id("Fn");
        assert_eq!(id.len(), 32);
        let host = format!("{id}.lambda-url.us-east-1.localhost:3000");
        let rows: &[(Option<&str>, &str, Option<&str>)] = &[
            (Some(&host), "/a/b", Some("/a/b")),
            (Some(&host.to_uppercase()), "/", Some("/")),
            (
                Some("127.0.0.1:3000"),
                "/lambda-url/my-fn/a/b",
                Some("/a/b"),
            ),
            (Some("127.0.0.1:3000"), "/lambda-url/my-fn/", Some("/")),
            (Some("127.0.0.1:3000"), "/lambda-url/my-fn", Some("/")),
            (None, "/lambda-url/my-fn/x", Some("/x")),
            (Some("127.0.0.1:3000"), "/lambda-url/other/", None),
            (Some("127.0.0.1:3000"), "/lambda-url/my-fnx/", None),
            (Some("127.0.0.1:3000"), "/items", None),
            (Some(&host.replace("us-east-1", "eu-west-1")), "/", None),
        ];
        for (host, path, expected) in rows {
            let found = table
                .find(None, *host, path, "us-east-1")
                .map(|found| found.expect("a known URL or none"));
            assert_eq!(
                found.as_ref().map(|(_, p)| p.as_str()),
                *expected,
                "{host:?} {path}"
            );
            if let Some((route, _)) = found {
                assert_eq!(route.entry.api, 3);
                assert_eq!(route.entry.function, "Fn");
                assert_eq!(route.entry.dialect, Dialect::FunctionUrl);
            }
        }
    }

    /// A host of the URL form whose id no function has is a URL request, refused, never an API's.
    #[test]
    fn an_unknown_url_id_is_not_an_api_request() {
        let found = table().find(
            None,
            Some("zzz.lambda-url.us-east-1.localhost"),
            "/items",
            "us-east-1",
        );
        assert_eq!(found.map(|f| f.err()), Some(Some(UnknownUrl)));
    }

    /// A listener pinned to one URL (`start-function-urls`) sends every host and path there.
    #[test]
    fn a_pinned_listener_serves_its_url_at_the_root() {
        let table = table();
        for (host, path) in [
            (Some("127.0.0.1:3001"), "/items/1"),
            (None, "/"),
            (
                Some("zzz.lambda-url.us-east-1.localhost"),
                "/lambda-url/other/x",
            ),
        ] {
            let (route, api_path) = table
                .find(Some("Fn"), host, path, "us-east-1")
                .expect("a pinned listener always addresses a URL")
                .expect("the pinned function has a URL");
            assert_eq!(route.entry.function, "Fn");
            assert_eq!(api_path, path, "the path is the function's own");
        }
        // After a reload removed the URL: refused as a URL request, never routed to an API.
        assert_eq!(
            table
                .find(Some("Gone"), None, "/", "us-east-1")
                .map(|f| f.err()),
            Some(Some(UnknownUrl))
        );
        assert_eq!(
            FunctionUrlTable::default()
                .find(Some("Fn"), None, "/", "us-east-1")
                .map(|f| f.err()),
            Some(Some(UnknownUrl))
        );
    }

    #[test]
    fn addresses_are_printed_in_both_forms() {
        let addr = "127.0.0.1:3000".parse().expect("static addr");
        let (by_host, by_path) = function_url_addresses(&url(None), "us-east-1", addr);
        assert_eq!(
            by_host,
            format!(
                "http://{}.lambda-url.us-east-1.localhost:3000/",
                function_url_id("Fn")
            )
        );
        assert_eq!(by_path, "http://127.0.0.1:3000/lambda-url/my-fn/");
        let (by_host, by_path) = function_url_addresses(&url(Some("live")), "us-east-1", addr);
        assert!(by_host.starts_with(&format!("http://{}.", function_url_id("Fn:live"))));
        assert_eq!(by_path, "http://127.0.0.1:3000/lambda-url/my-fn:live/");
    }
}
