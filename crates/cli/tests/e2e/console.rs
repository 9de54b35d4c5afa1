//! The local console (`/_sluice/`), its Prometheus endpoint, `--no-console`, and the run's cost
//! printed at shutdown and by `sluice report`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sluice_testkit::{chromium, dump_dom, Server};

use crate::{fixture_template, sluice};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/console/template.yaml")
}

fn get(server: &Server, path: &str) -> reqwest::blocking::Response {
    reqwest::blocking::Client::new()
        .get(server.url(path))
        .timeout(Duration::from_secs(60))
        .send()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// Saves a note through the REST route; the function logs `CONSOLE-MARKER <word>`.
fn save_note(server: &Server, word: &str) {
    let response = get(server, &format!("/notes?word={word}"));
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().unwrap(),
        format!("{{\"saved\": \"{word}\"}}")
    );
}

#[test]
fn the_console_shows_a_requests_log_lines_in_a_real_browser() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED the_console_shows_a_requests_log_lines_in_a_real_browser: chromium is not \
             installed here (CI installs it in .ci/run; locally: apt-get install chromium)"
        );
        return;
    };
    let server = Server::start(sluice(), &template(), &[]);
    assert!(
        server
            .wait_for_log("Note: the console answers /_sluice/… before the route ANY /{proxy+}")
            .is_some(),
        "startup says which catch-all the console shadows"
    );
    let word = format!("w{}", std::process::id());
    save_note(&server, &word);

    let dom = dump_dom(
        &chromium,
        &server.url("/_sluice/requests"),
        Duration::from_secs(90),
    );
    assert!(dom.contains("Last requests"), "{dom}");
    // The function's own line, found by its request id in the log store, escaped as text.
    assert!(
        dom.contains(&format!("CONSOLE-MARKER {word} &lt;b&gt;bold&lt;/b&gt;")),
        "the request's log line is on the page:\n{dom}"
    );
    assert!(
        !dom.contains("<b>bold</b>"),
        "log text never becomes markup"
    );
    assert!(dom.contains(&format!("/notes?word={word}")), "{dom}");
    assert!(dom.contains("REPORT RequestId:"), "{dom}");
    assert!(
        dom.contains(&format!(r#""body": "{{\"saved\": \"{word}\"}}""#)),
        "the function's response is shown: {dom}"
    );

    let table = dump_dom(
        &chromium,
        &server.url("/_sluice/tables/console-notes"),
        Duration::from_secs(90),
    );
    assert!(
        table.contains(&format!("&lt;i&gt;{word}&lt;/i&gt;")),
        "the item the function saved: {table}"
    );

    // The overview: the route with its request, the function with its invocation.
    let overview = get(&server, "/_sluice/").text().unwrap();
    assert!(overview.contains("GET /notes"), "{overview}");
    assert!(overview.contains("200×1"), "{overview}");
    assert!(overview.contains("console-note-fn"), "{overview}");
    // The catch-all still gets everything else.
    assert_eq!(get(&server, "/anything").text().unwrap(), "catch-all");
}

/// The value of the sample line `name{labels}` in a metrics text, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn the_metrics_endpoint_counts_a_request_and_its_invocation() {
    let server = Server::start(sluice(), &template(), &[]);
    let metrics = || {
        let response = get(&server, "/_sluice/metrics");
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        response.text().unwrap()
    };
    let requests =
        r#"sluice_requests_total{api="ServerlessRestApi",route="GET /notes",status="200"}"#;
    let invocations = r#"sluice_invocations_total{function="console-note-fn"}"#;
    let durations = r#"sluice_invocation_duration_seconds_count{function="console-note-fn"}"#;
    let cold = r#"sluice_cold_starts_total{function="console-note-fn"}"#;
    let before = metrics();
    assert_eq!(sample(&before, requests), None, "{before}");
    save_note(&server, "one");
    let after = metrics();
    assert_eq!(sample(&after, requests), Some(1.0), "{after}");
    assert_eq!(sample(&after, invocations), Some(1.0), "{after}");
    assert_eq!(sample(&after, durations), Some(1.0), "{after}");
    assert_eq!(sample(&after, cold), Some(1.0), "{after}");
    save_note(&server, "two");
    let again = metrics();
    assert_eq!(sample(&again, requests), Some(2.0), "{again}");
    assert_eq!(
        sample(&again, cold),
        Some(1.0),
        "the second was warm: {again}"
    );
    assert_eq!(
        sample(
            &again,
            r#"sluice_sandboxes{function="console-note-fn",state="idle"}"#
        ),
        Some(1.0),
        "{again}"
    );
}

#[test]
fn without_the_console_its_path_is_an_unknown_route() {
    let server = Server::start(sluice(), &fixture_template(), &["--no-console"]);
    let response = get(&server, "/_sluice/");
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.text().unwrap(),
        r#"{"message":"Missing Authentication Token"}"#
    );
    let metrics = get(&server, "/_sluice/metrics");
    assert_eq!(metrics.status(), 403);

    let moved = Server::start(
        sluice(),
        &fixture_template(),
        &["--console-path", "/dev-console"],
    );
    assert_eq!(get(&moved, "/_sluice/").status(), 403);
    let page = get(&moved, "/dev-console/");
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains("Sluice console"));
}

#[test]
fn start_api_prints_the_runs_cost_and_report_prices_routes_and_tables() {
    let mut server = Server::start(sluice(), &template(), &[]);
    for word in ["a", "b", "c"] {
        save_note(&server, word);
    }
    assert!(server.interrupt(), "start-api stops on Ctrl-C");
    let logs = server.logs().join("\n");
    assert!(
        logs.contains("What this run's traffic would cost on AWS (us-east-1, list prices of"),
        "{logs}"
    );
    let route = server
        .logs()
        .into_iter()
        .find(|l| l.contains("GET /notes (REST API)"))
        .unwrap_or_else(|| panic!("no row for the route:\n{logs}"));
    assert_eq!(route.split_whitespace().nth(4), Some("3"), "{route}");
    // Three small puts (one write unit each) and three eventually consistent gets (half a unit),
    // counted toward the route whose invocations made them (boto3 sends each invocation's
    // trace header).
    assert_eq!(route.split_whitespace().nth(5), Some("1.5/3"), "{route}");
    assert!(
        !logs.contains("DynamoDB outside any request"),
        "every unit was a request's: {logs}"
    );

    let out = Command::new(sluice())
        .arg("report")
        .arg("-t")
        .arg(template())
        .arg("--state-dir")
        .arg(&server.state_dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains("The last start-api run, per route:"),
        "{report}"
    );
    let row = report
        .lines()
        .find(|l| l.starts_with("GET /notes"))
        .unwrap_or_else(|| panic!("no route row:\n{report}"));
    let columns: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        columns[4..7],
        ["3", "0", "1.5/3"],
        "requests, refused, units: {row}"
    );
    assert!(
        report.contains("DynamoDB table console-notes: 1.5 read and 3 write request units"),
        "{report}"
    );
}
