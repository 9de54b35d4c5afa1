//! `validate` refuses exactly what `start-api` would, with the same message; a function that
//! cannot run is refused by `validate` and, the same words, a warning from `start-api`, which
//! serves the template's other functions (as AWS deploys it and fails only that function).

use std::path::Path;
use std::process::{Command, Stdio};

use sluice_testkit::{fresh_dir, Server};

use super::project;
use crate::sluice;

/// Runs `validate` on the template in `dir`: it must fail with `expected`.
fn validate_refuses(dir: &Path, expected: &[&str]) {
    let out = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(dir.join("template.yaml"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "validate: {stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "validate: {needle:?} in {stderr}");
    }
}

/// Runs `validate` and `start-api` on the template in `dir`; both must fail with `expected`.
fn both_refuse(dir: &Path, expected: &[&str]) {
    validate_refuses(dir, expected);
    let state = fresh_dir("refused-state");
    let out = Command::new(sluice())
        .args([
            "start-api",
            "-p",
            "0",
            "--services-port",
            "0",
            "--state-dir",
        ])
        .arg(&state)
        .arg("-t")
        .arg(dir.join("template.yaml"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "start-api: {stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "start-api: {needle:?} in {stderr}");
    }
}

/// `validate` refuses the function in `dir` with `expected`; `start-api` starts, says each as a
/// warning, and serves.
fn validate_refuses_and_start_api_warns(dir: &Path, expected: &[&str]) {
    validate_refuses(dir, expected);
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    for needle in expected {
        assert!(
            server.wait_for_log(needle).is_some(),
            "start-api: {needle:?} in {:?}",
            server.logs()
        );
    }
    assert!(server
        .logs()
        .iter()
        .any(|l| l.starts_with("Warning: ") && l.contains(expected[0])));
}

fn function_template(properties: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n{properties}"
    )
}

#[test]
fn validate_refuses_what_cannot_run_and_start_api_says_the_same() {
    let typo = project(
        "typo",
        &[(
            "template.yaml",
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Functon\n",
        )],
    );
    both_refuse(
        &typo,
        &[
            "template.yaml:3:11: Resources.Fn.Type: AWS::Serverless::Functon is not a SAM resource type",
            "hint: did you mean AWS::Serverless::Function?",
        ],
    );

    let folder = project(
        "missing-folder",
        &[(
            "template.yaml",
            &function_template(
                "      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: src/\n",
            ),
        )],
    );
    validate_refuses_and_start_api_warns(
        &folder,
        &[&format!(
            "template.yaml:8:16: Resources.Fn.Properties.CodeUri: folder {} does not exist",
            folder.join("src").display()
        )],
    );

    let module = project(
        "missing-module",
        &[
            (
                "template.yaml",
                &function_template(
                    "      Runtime: python3.12\n      Handler: handlers.api.get\n      CodeUri: src/\n",
                ),
            ),
            ("src/other.py", ""),
        ],
    );
    validate_refuses_and_start_api_warns(
        &module,
        &[&format!(
            "template.yaml:7:16: Resources.Fn.Properties.Handler: module handlers.api not found: no handlers/api.py in {}",
            module.join("src").display()
        )],
    );

    let node = project(
        "missing-node-module",
        &[(
            "template.yaml",
            &function_template("      Runtime: nodejs20.x\n      Handler: index.handler\n"),
        )],
    );
    validate_refuses_and_start_api_warns(
        &node,
        &["Resources.Fn.Properties.Handler: module index not found: no index.js or index.mjs or index.cjs in"],
    );

    let rust = project(
        "unbuilt-rust",
        &[
            (
                "template.yaml",
                &function_template(
                    "      Runtime: provided.al2023\n      Handler: bootstrap\n      CodeUri: fn/\n",
                ),
            ),
            ("fn/Cargo.toml", "[package]\nname = \"sluice-never-built-fn\"\n"),
        ],
    );
    validate_refuses_and_start_api_warns(
        &rust,
        &[
            "Resources.Fn.Properties.CodeUri: no built binary for Rust package \"sluice-never-built-fn\"",
            &format!(
                "hint: build it with: cargo build --release --manifest-path {}",
                rust.join("fn/Cargo.toml").display()
            ),
        ],
    );

    let routes = project(
        "routed-twice",
        &[
            (
                "template.yaml",
                "Transform: AWS::Serverless-2016-10-31
Resources:
  One: {Type: AWS::Serverless::Api, Properties: {StageName: a}}
  Two: {Type: AWS::Serverless::Api, Properties: {StageName: b}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        A: {Type: Api, Properties: {RestApiId: !Ref One, Path: '/x/{id}', Method: get}}
        B: {Type: Api, Properties: {RestApiId: !Ref One, Path: '/x/{key}', Method: get}}
",
            ),
            ("app.py", ""),
        ],
    );
    both_refuse(
        &routes,
        &["route GET /x/{key} on One is already defined by"],
    );

    let provided = project(
        "no-bootstrap",
        &[
            (
                "template.yaml",
                &function_template("      Runtime: provided.al2\n      CodeUri: bin/\n"),
            ),
            ("bin/readme.txt", ""),
        ],
    );
    validate_refuses_and_start_api_warns(
        &provided,
        &[&format!(
            "Resources.Fn.Properties.CodeUri: runtime provided.al2 runs {}, which does not exist",
            provided.join("bin/bootstrap").display()
        )],
    );
}
