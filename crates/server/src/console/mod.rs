//! The local console on the API port (`/_sluice/` unless `--console-path` moves it): routes,
//! functions, the last requests with their function's log lines, the DynamoDB tables, what the
//! traffic would cost, and Prometheus metrics at `/_sluice/metrics`. Server-rendered HTML, no
//! scripts, no external assets.
//!
//! Who answers a path under the console's prefix (AWS has no console there, so this is Sluice's
//! own rule): a template route whose literal path is under the prefix wins, and the console steps
//! aside entirely (a user moving to AWS expects their declared routes to behave as deployed);
//! catch-alls (`/{proxy+}`, `$default`) do not, since nobody meant them for `/_sluice`. Both
//! cases are said at startup ([`shadow_notes`]).

mod html;
mod metrics_text;
mod pages;
mod request_logs;
mod tables_page;

use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::Full;
use sluice_template::Model;

use crate::generation::{Generation, Shared};

/// The console's default prefix.
pub const DEFAULT_PREFIX: &str = "/_sluice";

/// The console: reads the current generation and the shared parts, never changes them.
pub(crate) struct Console {
    prefix: String,
    current: Arc<ArcSwap<Generation>>,
    shared: Arc<Shared>,
}

/// Whether a route's path template (`/a/{id}`, `/{proxy+}`, `$default`) matches `path`.
fn template_matches(template: &str, path: &str) -> bool {
    if template == sluice_template::DEFAULT_ROUTE {
        return true;
    }
    let mut want = template.trim_matches('/').split('/');
    let mut have = path.trim_matches('/').split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(_)) if w.starts_with('{') && w.ends_with("+}") => return true,
            (Some(w), Some(h)) if (w.starts_with('{') && w.ends_with('}')) || w == h => {}
            _ => return false,
        }
    }
}

/// Every REST and HTTP API route of `model` as `(method and path, path template)`.
fn routes(model: &Model) -> impl Iterator<Item = (String, &str)> {
    let rest = model
        .rest_apis
        .iter()
        .flat_map(|a| &a.routes)
        .map(|r| (format!("{} {}", r.method, r.path), r.path.as_str()));
    let http = model
        .http_apis
        .iter()
        .flat_map(|a| &a.routes)
        .map(|r| (r.route_key(), r.path.as_str()));
    rest.chain(http)
}

/// Whether a template route's literal path lies under `prefix` (the template then wins).
fn declared_under(template: &str, prefix: &str) -> bool {
    template == prefix || template.starts_with(&format!("{prefix}/"))
}

/// What startup says about routes and the console's prefix: the template's routes under it win
/// (the console is off), and catch-alls that the console answers before.
pub fn shadow_notes(model: &Model, prefix: &str) -> Vec<String> {
    let declared: Vec<String> = routes(model)
        .filter(|(_, path)| declared_under(path, prefix))
        .map(|(key, _)| key)
        .collect();
    if !declared.is_empty() {
        return vec![format!(
            "Warning: the template declares {} under {prefix}, the console's path: the template's routes win and the console is off (move it with --console-path)",
            declared.join(", ")
        )];
    }
    let probe = format!("{prefix}/metrics");
    routes(model)
        .filter(|(_, path)| template_matches(path, &probe))
        .map(|(key, _)| {
            format!(
                "Note: the console answers {prefix}/… before the route {key} (as deployed on AWS that route would get these paths; --console-path moves the console, --no-console turns it off)"
            )
        })
        .collect()
}

impl Console {
    /// The console at `prefix` over the application's current generation and shared parts.
    pub fn new(prefix: &str, current: Arc<ArcSwap<Generation>>, shared: Arc<Shared>) -> Console {
        Console {
            prefix: prefix.trim_end_matches('/').to_owned(),
            current,
            shared,
        }
    }

    /// Whether the console answers `path` (it is under the prefix and no template route there
    /// claims it).
    pub fn claims(&self, path: &str) -> bool {
        let under = path == self.prefix
            || path
                .strip_prefix(self.prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/'));
        under
            && !routes(&self.current.load().model)
                .any(|(_, template)| declared_under(template, &self.prefix))
    }

    /// Answers a request the console [claims](Console::claims).
    pub async fn respond(
        &self,
        method: &http::Method,
        path: &str,
        query: Option<&str>,
    ) -> Response {
        if method != http::Method::GET && method != http::Method::HEAD {
            return respond(
                405,
                "text/plain; charset=utf-8",
                "The console is read-only: GET it.\n".into(),
            );
        }
        let rest = path[self.prefix.len()..].trim_end_matches('/');
        let html = "text/html; charset=utf-8";
        let generation = self.current.load_full();
        let shared = &self.shared;
        match rest {
            "" => {
                let costs = shared.run_costs(&generation.model);
                let body = pages::overview(
                    &self.prefix,
                    &pages::Overview {
                        model: &generation.model,
                        routes: &shared.traffic.routes(),
                        functions: &shared.traffic.functions(),
                        sandboxes: &generation.lambda.sandbox_counts(),
                        costs: &costs,
                    },
                );
                respond(200, html, body)
            }
            "/requests" => {
                let recent = shared.traffic.recent();
                let logs = shared.logs.clone();
                let prefix = self.prefix.clone();
                // Reading streams is file I/O: off the async workers.
                let body = tokio::task::spawn_blocking(move || {
                    let mut lookup = request_logs::LogLookup::new(&logs);
                    pages::requests(&prefix, &recent, &mut lookup)
                })
                .await
                .unwrap_or_else(|e| format!("the requests page failed: {e}"));
                respond(200, html, body)
            }
            "/metrics" => respond(
                200,
                metrics_text::CONTENT_TYPE,
                metrics_text::render(
                    &shared.traffic.routes(),
                    &shared.traffic.functions(),
                    &generation.lambda.sandbox_counts(),
                ),
            ),
            "/tables" => respond(
                200,
                html,
                tables_page::list(&self.prefix, &shared.dynamodb).await,
            ),
            _ => match rest.strip_prefix("/tables/") {
                Some(table) if !table.contains('/') => {
                    let table = percent_encoding::percent_decode_str(table).decode_utf8_lossy();
                    let start = query_value(query, "start");
                    let body = tables_page::items(
                        &self.prefix,
                        &shared.dynamodb,
                        &table,
                        start.as_deref(),
                    )
                    .await;
                    respond(200, html, body)
                }
                _ => {
                    let mut page = html::Page::new(&self.prefix, "Not found");
                    page.text(&format!("The console has no page at {path}."));
                    respond(404, html, page.finish())
                }
            },
        }
    }
}

/// A response of the console.
pub type Response = http::Response<Full<Bytes>>;

fn respond(status: u16, content_type: &str, body: String) -> Response {
    let mut response = http::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    let headers = response.headers_mut();
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

/// The decoded value of `name` in a query string.
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| {
            percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_templates_match_as_the_gateway_matches_them() {
        assert!(template_matches("/{proxy+}", "/_sluice/metrics"));
        assert!(template_matches("$default", "/_sluice/metrics"));
        assert!(template_matches("/{a}/metrics", "/_sluice/metrics"));
        assert!(!template_matches("/{a}", "/_sluice/metrics"));
        assert!(!template_matches("/items/{proxy+}", "/_sluice/metrics"));
        assert!(declared_under("/_sluice/x", "/_sluice"));
        assert!(declared_under("/_sluice", "/_sluice"));
        assert!(!declared_under("/_sluicer", "/_sluice"));
    }

    #[test]
    fn query_values_are_decoded() {
        let q = Some("a=1&start=%7B%22k%22%3A1%7D");
        assert_eq!(query_value(q, "start").as_deref(), Some("{\"k\":1}"));
        assert_eq!(query_value(q, "b"), None);
    }
}
