//! Provisioned concurrency: `ProvisionedConcurrencyConfig` sandboxes start before the first
//! request, say `provisioned-concurrency`, and report no `Init Duration`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_testkit::Server;

use crate::{client, get_text, idle_sandboxes, sluice};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/provisioned/template.yaml")
}

/// REPORT lines of `function`, and how many of them carry `Init Duration`.
fn reports(server: &Server, function: &str) -> (usize, usize) {
    let prefix = format!("[{function}] REPORT");
    let logs = server.logs();
    let reports: Vec<&String> = logs.iter().filter(|l| l.starts_with(&prefix)).collect();
    let cold = reports
        .iter()
        .filter(|l| l.contains("Init Duration"))
        .count();
    (reports.len(), cold)
}

#[test]
fn provisioned_sandboxes_start_before_the_first_request_and_report_no_init_duration() {
    let server = Server::start(sluice(), &template(), &[]);
    // Two sandboxes started with no request at all; the on-demand function started none.
    sluice_testkit::assert_eventually!(
        idle_sandboxes(&server, "ProvisionedFunction") == 2.0,
        "expected 2 provisioned sandboxes, saw {}",
        idle_sandboxes(&server, "ProvisionedFunction")
    );
    assert_eq!(idle_sandboxes(&server, "OnDemandFunction"), 0.0);

    let body: Value = serde_json::from_str(&get_text(&server, "/provisioned")).unwrap();
    assert_eq!(body["initialization_type"], "provisioned-concurrency");
    let body: Value = serde_json::from_str(&get_text(&server, "/on-demand")).unwrap();
    assert_eq!(body["initialization_type"], "on-demand");

    sluice_testkit::assert_eventually!(
        reports(&server, "ProvisionedFunction").0 == 1
            && reports(&server, "OnDemandFunction").0 == 1,
        "one REPORT each: {:?}",
        server.logs()
    );
    assert_eq!(
        reports(&server, "ProvisionedFunction").1,
        0,
        "a provisioned sandbox reports no Init Duration: {:?}",
        server.logs()
    );
    assert_eq!(
        reports(&server, "OnDemandFunction").1,
        1,
        "{:?}",
        server.logs()
    );
}

#[test]
fn requests_beyond_provisioned_concurrency_spill_over_to_on_demand_sandboxes() {
    let server = Server::start(sluice(), &template(), &[]);
    sluice_testkit::assert_eventually!(
        idle_sandboxes(&server, "ProvisionedFunction") == 2.0,
        "expected 2 provisioned sandboxes, saw {}",
        idle_sandboxes(&server, "ProvisionedFunction")
    );
    // Three at once, each holding its sandbox for a second: two provisioned, one on demand.
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let url = server.url("/provisioned?sleep=1");
            std::thread::spawn(move || client().get(url).send().unwrap().text().unwrap())
        })
        .collect();
    let mut kinds: Vec<String> = handles
        .into_iter()
        .map(|h| {
            let body: Value = serde_json::from_str(&h.join().unwrap()).unwrap();
            body["initialization_type"].as_str().unwrap().to_owned()
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "on-demand",
            "provisioned-concurrency",
            "provisioned-concurrency"
        ]
    );
    sluice_testkit::assert_eventually!(
        reports(&server, "ProvisionedFunction").0 == 3,
        "three REPORTs: {:?}",
        server.logs()
    );
    assert_eq!(
        reports(&server, "ProvisionedFunction").1,
        1,
        "only the on-demand sandbox reports Init Duration: {:?}",
        server.logs()
    );
}
