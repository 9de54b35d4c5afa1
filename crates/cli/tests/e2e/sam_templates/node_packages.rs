//! Node handlers' packages: a missing one is named, the AWS SDK v3 is there as Lambda ships it.

use std::process::Command;

use sluice_testkit::fresh_dir;

use super::project;
use crate::sluice;

#[test]
fn a_package_a_node_handler_requires_but_lacks_is_named_in_the_error() {
    let dir = project(
        "node-missing-package",
        &[
            (
                "template.yaml",
                "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: src/
",
            ),
            (
                "src/app.js",
                "const { DynamoDBClient } = require('@sluice-test/no-such-sdk');\nexports.handler = async () => 'unreachable';\n",
            ),
        ],
    );
    let out = Command::new(sluice())
        .args(["invoke", "--no-event", "-t"])
        .arg(dir.join("template.yaml"))
        .arg("--state-dir")
        .arg(fresh_dir("node-missing-state"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["errorType"], "Runtime.ImportModuleError");
    let message = response["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Error: Cannot find module '@sluice-test/no-such-sdk'"),
        "{message}"
    );
    assert!(
        message.contains(&format!("- {}", dir.join("src/app.js").display())),
        "{message}"
    );
}

#[test]
fn node_handlers_require_the_aws_sdk_v3_as_lambda_ships_it() {
    let dir = project(
        "node-sdk-shipped",
        &[
            (
                "template.yaml",
                "Transform: AWS::Serverless-2016-10-31
Resources:
  Things:
    Type: AWS::Serverless::SimpleTable
    Properties: {TableName: sdk-shipped-things}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: src/
      Timeout: 30
  Esm:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: esm.handler
      CodeUri: src/
      Timeout: 30
",
            ),
            (
                "src/app.js",
                "const { DynamoDBClient, ListTablesCommand } = require('@aws-sdk/client-dynamodb');\nexports.handler = async () => {\n  const out = await new DynamoDBClient({}).send(new ListTablesCommand({}));\n  return out.TableNames;\n};\n",
            ),
            // The ES module form Lambda's console starts nodejs20.x functions with: `import`
            // ignores NODE_PATH, and the SDK still resolves, as on Lambda.
            (
                "src/esm.mjs",
                "import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';\nexport const handler = async () => {\n  const out = await new DynamoDBClient({}).send(new ListTablesCommand({}));\n  return out.TableNames;\n};\n",
            ),
        ],
    );
    let state = fresh_dir("node-sdk-shipped-state");
    for function in ["Fn", "Esm"] {
        let out = Command::new(sluice())
            .args(["invoke", function, "--no-event", "-t"])
            .arg(dir.join("template.yaml"))
            .arg("--in-memory")
            .arg("--state-dir")
            .arg(&state)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{function}: {stderr}");
        let tables: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            tables,
            serde_json::json!(["sdk-shipped-things"]),
            "{function}: {stderr}"
        );
    }
}
