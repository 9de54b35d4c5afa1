//! Flags users bring from SAM CLI: parameter overrides, env-vars files, `local` aliases,
//! `start-lambda`.

use std::path::Path;
use std::process::Command;

use sluice_testkit::Server;

use crate::{client, fixture_template, sluice};

fn greeting(server: &Server) -> String {
    let response = client().get(server.url("/echo")).send().unwrap();
    response.headers()["x-greeting"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn parameter_overrides_in_both_forms_reach_the_function() {
    let sam_form = Server::start(
        sluice(),
        &fixture_template(),
        &[
            "--parameter-overrides",
            "ParameterKey=Greeting,ParameterValue=sam-form",
        ],
    );
    assert_eq!(greeting(&sam_form), "sam-form");
    let short_form = Server::start(
        sluice(),
        &fixture_template(),
        &["--parameter-overrides", "Greeting=short"],
    );
    assert_eq!(greeting(&short_form), "short");
}

#[test]
fn env_vars_file_overrides_declared_variables_only() {
    let env = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/app/env.json");
    let server = Server::start(
        sluice(),
        &fixture_template(),
        &["--env-vars", env.to_str().unwrap()],
    );
    assert_eq!(greeting(&server), "from-function-section");
    assert!(
        server
            .wait_for_log("UNDECLARED not declared by function EchoFunction")
            .is_some(),
        "the ignored variable is named"
    );
}

#[test]
fn sam_style_local_invoke_alias_works() {
    let out = Command::new(sluice())
        .args(["local", "invoke", "ShapeFunction", "-t"])
        .arg(fixture_template())
        .arg("--state-dir")
        .arg(sluice_testkit::fresh_dir("local-invoke"))
        .args(["-e", "-"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    // No event on stdin: the handler gets `{}` → KeyError → function error, exit code 1.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("KeyError"));
}

#[test]
fn start_lambda_serves_the_invoke_api_for_boto3() {
    let server = Server::start_lambda(sluice(), &fixture_template(), &[]);
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clients/lambda_invoke.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&server.base_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
