//! `/_sluice/metrics` in Prometheus' text exposition format (version 0.0.4).
//!
//! Written by hand rather than with the `prometheus` or `metrics` crates: the figures already live
//! in [`Traffic`](crate::traffic::Traffic) and the Lambda service, the format is a few lines per
//! family, and a registry would mean recording every request twice.

use std::collections::BTreeMap;
use std::fmt::Write;

use sluice_lambda::SandboxCount;

use crate::traffic::{FunctionStats, RouteTally, DURATION_BUCKETS};

/// The exposition's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value with `\`, `"` and newlines escaped as the format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The metrics text for these routes, functions and sandboxes.
pub fn render(
    routes: &[RouteTally],
    functions: &BTreeMap<String, FunctionStats>,
    sandboxes: &BTreeMap<String, SandboxCount>,
) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "sluice_requests_total",
        "counter",
        "API requests answered, by API, route and status (route \"\" when none matched).",
    );
    for tally in routes {
        let (api, route) = tally
            .route
            .as_ref()
            .map_or(("", ""), |r| (&*r.api, &*r.key));
        for (status, count) in &tally.statuses {
            let _ = writeln!(
                out,
                "sluice_requests_total{{api=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                label(api),
                label(route)
            );
        }
    }
    let counters = [
        (
            "sluice_invocations_total",
            "Function invocations, every path (API, Invoke API, events).",
            (|s: &FunctionStats| s.invocations) as fn(&FunctionStats) -> u64,
        ),
        (
            "sluice_invocation_errors_total",
            "Invocations that ended in a function error.",
            |s| s.errors,
        ),
        (
            "sluice_cold_starts_total",
            "Invocations that started a sandbox (REPORT lines with Init Duration).",
            |s| s.cold_starts,
        ),
    ];
    for (name, help, value) in counters {
        family(&mut out, name, "counter", help);
        for (function, stats) in functions {
            let _ = writeln!(
                out,
                "{name}{{function=\"{}\"}} {}",
                label(function),
                value(stats)
            );
        }
    }
    let name = "sluice_invocation_duration_seconds";
    family(
        &mut out,
        name,
        "histogram",
        "Invocation durations (the REPORT line's Duration).",
    );
    for (function, stats) in functions {
        let f = label(function);
        let mut cumulative = 0;
        for (bound, count) in DURATION_BUCKETS.iter().zip(stats.buckets) {
            cumulative += count;
            let _ = writeln!(
                out,
                "{name}_bucket{{function=\"{f}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let timed = stats.timed();
        let _ = writeln!(out, "{name}_bucket{{function=\"{f}\",le=\"+Inf\"}} {timed}");
        let _ = writeln!(out, "{name}_sum{{function=\"{f}\"}} {}", stats.duration_sum);
        let _ = writeln!(out, "{name}_count{{function=\"{f}\"}} {timed}");
    }
    family(
        &mut out,
        "sluice_sandboxes",
        "gauge",
        "Sandboxes per function: idle (warm) or busy (running an invocation).",
    );
    for (function, count) in sandboxes {
        let f = label(function);
        for (state, n) in [("idle", count.idle), ("busy", count.busy)] {
            let _ = writeln!(
                out,
                "sluice_sandboxes{{function=\"{f}\",state=\"{state}\"}} {n}"
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::ReportFigures;
    use sluice_apigw::{Dialect, RouteRecord};

    #[test]
    fn the_exposition_has_counters_a_cumulative_histogram_and_gauges() {
        let routes = vec![RouteTally {
            route: Some(RouteRecord {
                api: "Api".into(),
                key: "GET /say/\"hi\"".into(),
                function: "Fn".into(),
                dialect: Dialect::Rest,
            }),
            requests: 3,
            statuses: BTreeMap::from([(200, 2), (502, 1)]),
            invocations: 3,
            gb_seconds: 0.0,
            rejected: 0,
            read_units: 0.0,
            write_units: 0.0,
        }];
        let mut stats = FunctionStats::default();
        for ms in [3.0, 7.0, 2000.0] {
            let report = ReportFigures {
                duration_ms: ms,
                billed_ms: 1,
                memory_mb: 128,
                cold: ms > 1000.0,
            };
            stats.record(false, Some(&report));
        }
        let functions = BTreeMap::from([("fn-a".to_owned(), stats)]);
        let sandboxes = BTreeMap::from([("fn-a".to_owned(), SandboxCount { idle: 1, busy: 0 })]);
        let text = render(&routes, &functions, &sandboxes);
        for line in [
            "# TYPE sluice_requests_total counter",
            r#"sluice_requests_total{api="Api",route="GET /say/\"hi\"",status="200"} 2"#,
            r#"sluice_requests_total{api="Api",route="GET /say/\"hi\"",status="502"} 1"#,
            r#"sluice_invocations_total{function="fn-a"} 3"#,
            r#"sluice_cold_starts_total{function="fn-a"} 1"#,
            r#"sluice_invocation_duration_seconds_bucket{function="fn-a",le="0.005"} 1"#,
            r#"sluice_invocation_duration_seconds_bucket{function="fn-a",le="0.01"} 2"#,
            r#"sluice_invocation_duration_seconds_bucket{function="fn-a",le="1"} 2"#,
            r#"sluice_invocation_duration_seconds_bucket{function="fn-a",le="2.5"} 3"#,
            r#"sluice_invocation_duration_seconds_bucket{function="fn-a",le="+Inf"} 3"#,
            r#"sluice_invocation_duration_seconds_count{function="fn-a"} 3"#,
            r#"sluice_sandboxes{function="fn-a",state="idle"} 1"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
