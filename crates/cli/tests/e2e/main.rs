//! End-to-end tests: the real `sluice` binary on port 0, driven by real HTTP clients and real
//! Lambda runtime clients. One test binary, modules by topic (saves link time).

mod access_logs;
mod async_invoke;
mod auth;
mod auth_lambda;
mod broken_functions;
mod browser_cors;
mod build_command;
mod certificates;
mod cli_options;
mod console;
mod cost_report;
mod ddb_streams;
mod debugging;
mod dynamodb_endpoint_tls;
mod errors;
mod esbuild;
mod execution_environment;
mod execution_logs;
mod extensions;
mod fork_server;
mod function_url_aliases;
mod function_url_streaming;
mod function_urls_command;
mod generate_event;
mod hardening;
mod hello;
mod http_api;
mod http_auth;
mod http_proxy;
mod http_proxy_integrations;
mod integration_qualifiers;
mod integration_timeout;
mod invoke_command;
mod items_app;
mod items_auth;
mod items_rust;
mod lambda_behaviour;
mod limits_redis;
mod logs;
mod logs_aws_cli;
mod mapping;
mod oidc_issuer;
mod parameter_mapping;
mod provisioned;
mod reload;
mod request_event;
mod resource_policy;
mod response_headers;
mod rest_throttling;
mod runtime_clients;
mod sam_parity;
mod sam_templates;
mod services;
mod telemetry_api;
mod tenant_isolation;
mod validate_command;

use std::path::{Path, PathBuf};

use sluice_testkit::{workspace_root, Server};

/// The `sluice` binary cargo built for these tests.
pub fn sluice() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_sluice"))
}

/// The fixture application's template.
pub fn fixture_template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/app/template.yaml")
}

/// An example application's template.
pub fn example_template(name: &str) -> PathBuf {
    workspace_root()
        .join("examples")
        .join(name)
        .join("template.yaml")
}

/// The messages of a CloudWatch Logs answer's `events` (GetLogEvents, FilterLogEvents).
pub fn event_messages(answer: &serde_json::Value) -> Vec<&str> {
    answer["events"]
        .as_array()
        .expect("an events array")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect()
}

/// What `sluice report` prints for `template` and its state folder (the command must succeed).
pub fn sluice_report(template: &Path, state_dir: &Path) -> String {
    let out = std::process::Command::new(sluice())
        .arg("report")
        .arg("-t")
        .arg(template)
        .arg("--state-dir")
        .arg(state_dir)
        .output()
        .expect("running sluice report");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts the fixture application.
pub fn fixture_server() -> Server {
    Server::start(sluice(), &fixture_template(), &[])
}

/// A blocking HTTP client without redirects or proxies.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("building an HTTP client")
}

/// The body of a GET of `path` on `server`, as text.
pub fn get_text(server: &Server, path: &str) -> String {
    client()
        .get(server.url(path))
        .send()
        .and_then(|response| response.text())
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// How many sandboxes of `function` are warm and free, from the metrics endpoint.
pub fn idle_sandboxes(server: &Server, function: &str) -> f64 {
    let series = format!(r#"sluice_sandboxes{{function="{function}",state="idle"}} "#);
    get_text(server, "/_sluice/metrics")
        .lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
        .unwrap_or(0.0)
}

/// The JSON body of a GET of `path` on `server`, which must answer 200.
pub fn get_json(server: &Server, path: &str) -> serde_json::Value {
    let response = client().get(server.url(path)).send().unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().unwrap()
}

/// The real uid of process `pid`, from `/proc`.
pub fn uid_of(pid: u32) -> u32 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap()
}

/// Whether the tests run as root.
pub fn running_as_root() -> bool {
    uid_of(std::process::id()) == 0
}
