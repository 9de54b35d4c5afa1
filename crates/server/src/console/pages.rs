//! The overview (routes, functions, costs) and the last requests, rendered from plain data.

use std::collections::BTreeMap;

use sluice_lambda::SandboxCount;
use sluice_template::Model;

use super::html::{code_block, escape, Page};
use super::request_logs::LogLookup;
use crate::cost::{dollars, RunCosts};
use crate::traffic::request_slot::QUEUED;
use crate::traffic::{FunctionStats, RecentRequest, RouteTally};

/// What the overview shows.
pub struct Overview<'a> {
    /// The current template.
    pub model: &'a Model,
    /// Requests per route.
    pub routes: &'a [RouteTally],
    /// Statistics per function name.
    pub functions: &'a BTreeMap<String, FunctionStats>,
    /// Sandboxes per function name.
    pub sandboxes: &'a BTreeMap<String, SandboxCount>,
    /// The run's costs.
    pub costs: &'a RunCosts,
}

/// `200×3 502×1`.
fn statuses(tally: Option<&RouteTally>) -> String {
    tally
        .map(|t| {
            t.statuses
                .iter()
                .map(|(status, n)| format!("{status}×{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The overview page.
pub fn overview(prefix: &str, view: &Overview<'_>) -> String {
    let mut page = Page::new(prefix, "Sluice console");
    let tally = |api: &str, key: &str| {
        view.routes.iter().find(|t| {
            t.route
                .as_ref()
                .is_some_and(|r| &*r.api == api && &*r.key == key)
        })
    };
    let mut rows = Vec::new();
    let mut row = |api: &str, kind: &str, key: String, function: &str| {
        let t = tally(api, &key);
        rows.push(vec![
            escape(api),
            escape(kind),
            escape(&key),
            escape(function),
            t.map_or(0, |t| t.requests).to_string(),
            escape(&statuses(t)),
        ]);
    };
    for api in &view.model.rest_apis {
        for r in &api.routes {
            row(
                &api.logical_id,
                "REST API",
                format!("{} {}", r.method, r.path),
                &r.function,
            );
        }
    }
    for api in &view.model.http_apis {
        for r in &api.routes {
            row(&api.logical_id, "HTTP API", r.route_key(), &r.function);
        }
    }
    for url in &view.model.function_urls {
        row(
            &url.target(),
            "Function URL",
            "$default".to_owned(),
            &url.function,
        );
    }
    page.heading("Routes");
    page.table(
        &["API", "kind", "route", "function", "requests", "statuses"],
        &rows,
    );
    if let Some(unrouted) = view.routes.iter().find(|t| t.route.is_none()) {
        page.text(&format!(
            "Requests that matched no route: {} ({})",
            unrouted.requests,
            statuses(Some(unrouted))
        ));
    }

    page.heading("Functions");
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.2} ms")).unwrap_or_default();
    let rows: Vec<Vec<String>> = view
        .model
        .functions
        .iter()
        .map(|f| {
            let stats = view.functions.get(&f.name).cloned().unwrap_or_default();
            let sandboxes = view.sandboxes.get(&f.name).copied().unwrap_or_default();
            vec![
                escape(&f.name),
                escape(&f.runtime),
                format!("{} MB", f.memory_mb),
                format!("{} warm, {} busy", sandboxes.idle, sandboxes.busy),
                stats.invocations.to_string(),
                if stats.errors > 0 {
                    format!("<span class=\"err\">{}</span>", stats.errors)
                } else {
                    "0".to_owned()
                },
                stats.cold_starts.to_string(),
                ms(stats.percentile(50.0)),
                ms(stats.percentile(99.0)),
            ]
        })
        .collect();
    page.table(
        &[
            "function",
            "runtime",
            "memory",
            "sandboxes",
            "invocations",
            "errors",
            "cold starts",
            "p50",
            "p99",
        ],
        &rows,
    );

    page.heading("What this traffic would cost on AWS");
    let costs = view.costs;
    page.text(&costs.heading());
    let rows: Vec<Vec<String>> = costs
        .routes
        .iter()
        .map(|r| {
            let mut row = vec![
                escape(&r.traffic.route),
                escape(r.traffic.front_door.label()),
                r.traffic.requests.to_string(),
                r.traffic.rejected.to_string(),
                format!("{}/{}", r.traffic.read_units, r.traffic.write_units),
                dollars(r.lambda),
                dollars(r.as_served),
            ];
            row.extend(r.through.iter().map(|(_, cost)| dollars(*cost)));
            row
        })
        .collect();
    page.table(
        &[
            "route",
            "served by",
            "requests",
            "not billed (refused)",
            "DynamoDB RRU/WRU",
            "Lambda",
            "as served",
            "via REST API",
            "via HTTP API",
            "via Function URL",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = costs
        .tables
        .iter()
        .map(|(t, cost)| {
            vec![
                escape(&t.table),
                t.read_units.to_string(),
                t.write_units.to_string(),
                dollars(*cost),
            ]
        })
        .collect();
    page.table(
        &["DynamoDB table", "read units", "write units", "on demand"],
        &rows,
    );
    page.finish()
}

/// `12:34:56.789`, UTC.
fn clock(millis: i64) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
    else {
        return String::new();
    };
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// The last requests, newest first, each with its event, response and the function's lines.
pub fn requests(prefix: &str, recent: &[RecentRequest], logs: &mut LogLookup<'_>) -> String {
    let mut page = Page::new(prefix, "Last requests");
    if recent.is_empty() {
        page.text("No requests yet.");
    }
    let rows: Vec<Vec<String>> = recent
        .iter()
        .map(|r| {
            let status = if r.status >= 500 {
                format!("<span class=\"err\">{}</span>", r.status)
            } else {
                r.status.to_string()
            };
            let mut details = String::new();
            if let Some(inv) = &r.invocation {
                let lines = logs.lines(&inv.function, &inv.request_id);
                let size = |kept: usize, size: usize| {
                    if kept < size {
                        format!(" (the first {kept} of {size} bytes)")
                    } else {
                        String::new()
                    }
                };
                details = format!(
                    "<details><summary>event{}</summary>{}</details>\
<details><summary>response{}{}</summary>{}</details>\
<details open><summary>log ({} lines, RequestId {})</summary><pre class=\"log\">{}</pre></details>",
                    size(inv.event.len(), inv.event_size),
                    code_block(&inv.event),
                    size(inv.response.len(), inv.response_size),
                    if inv.function_error {
                        " (function error)"
                    } else if inv.integration_status == QUEUED {
                        " (Lambda 202: an asynchronous invocation, run after the answer)"
                    } else {
                        ""
                    },
                    code_block(&inv.response),
                    lines.len(),
                    escape(&inv.request_id),
                    escape(&lines.join("\n")),
                );
            }
            vec![
                escape(&clock(r.at_millis)),
                escape(&r.method),
                escape(&r.path),
                escape(r.route.as_ref().map_or("", |route| &*route.key)),
                status,
                format!("{:.1} ms", r.elapsed.as_secs_f64() * 1000.0),
                escape(r.invocation.as_ref().map_or("", |i| i.function.as_str())),
                details,
            ]
        })
        .collect();
    page.table(
        &[
            "time (UTC)",
            "method",
            "path",
            "route",
            "status",
            "duration",
            "function",
            "details",
        ],
        &rows,
    );
    page.finish()
}
