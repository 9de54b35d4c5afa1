//! `validate` refuses exactly what `start-api` would, with the same message.

use std::path::Path;
use std::process::{Command, Stdio};

use sluice_testkit::fresh_dir;

use super::project;
use crate::sluice;

/// Runs `validate` and `start-api` on the template in `dir`; both must fail with `expected`.
fn both_refuse(dir: &Path, expected: &[&str]) {
    let template = dir.join("template.yaml");
    let state = fresh_dir("refused-state");
    let state = state.to_str().unwrap();
    let start_api = [
        "start-api",
        "-p",
        "0",
        "--services-port",
        "0",
        "--state-dir",
        state,
    ];
    for args in [&["validate"][..], &start_api[..]] {
        let out = Command::new(sluice())
            .args(args)
            .arg("-t")
            .arg(&template)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", args[0]);
        for needle in expected {
            assert!(
                stderr.contains(needle),
                "{}: {needle:?} in {stderr}",
                args[0]
            );
        }
    }
}

fn function_template(properties: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n{properties}"
    )
}

#[test]
fn validate_and_start_api_refuse_what_cannot_run_with_the_same_message() {
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
    both_refuse(
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
    both_refuse(
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
    both_refuse(
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
    both_refuse(
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
    both_refuse(
        &provided,
        &[&format!(
            "Resources.Fn.Properties.CodeUri: runtime provided.al2 runs {}, which does not exist",
            provided.join("bin/bootstrap").display()
        )],
    );
}
