//! Node handlers' packages: a missing one is named, the AWS SDK is there as Lambda ships it.

use std::path::Path;
use std::process::{Command, Output};

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

/// Lambda's `nodejs16.x` and older ship the AWS SDK for JavaScript v2, which reads no
/// `AWS_ENDPOINT_URL*`: Sluice installs it and points it at its own DynamoDB, a service-specific
/// variable winning over the global one and an endpoint given in code over both. `nodejs18.x`
/// and later ship v3 only, so there the same code fails as on Lambda.
#[test]
fn node16_handlers_use_the_aws_sdk_v2_as_lambda_ships_it_against_sluice() {
    let function = |runtime: &str| {
        format!(
            "    Type: AWS::Serverless::Function
    Properties:
      Runtime: {runtime}
      Handler: app.handler
      CodeUri: src/
      Timeout: 30
      Environment:
        Variables:
          # Nothing listens here: DynamoDB calls must take AWS_ENDPOINT_URL_DYNAMODB (Sluice's).
          AWS_ENDPOINT_URL: http://127.0.0.1:9
"
        )
    };
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Things:
    Type: AWS::Serverless::SimpleTable
    Properties: {{TableName: sdk-v2-things}}
  Old:
{}  New:
{}",
        function("nodejs16.x"),
        function("nodejs20.x")
    );
    let dir = project(
        "node-sdk-v2",
        &[
            ("template.yaml", &template),
            (
                "src/app.js",
                "const AWS = require('aws-sdk');
exports.handler = async () => {
  const db = new AWS.DynamoDB.DocumentClient();
  await db.put({ TableName: 'sdk-v2-things', Item: { id: 'a', n: 1 } }).promise();
  const { Item } = await db.get({ TableName: 'sdk-v2-things', Key: { id: 'a' } }).promise();
  return {
    major: AWS.VERSION.split('.')[0],
    item: Item,
    sqs: new AWS.SQS().endpoint.href,
    explicit: new AWS.DynamoDB({ endpoint: 'http://127.0.0.1:1' }).endpoint.href,
  };
};
",
            ),
        ],
    );
    let state = fresh_dir("node-sdk-v2-state");
    let invoke = |function: &str| {
        Command::new(sluice())
            .args(["invoke", function, "--no-event", "-t"])
            .arg(dir.join("template.yaml"))
            .arg("--in-memory")
            .arg("--state-dir")
            .arg(&state)
            .output()
            .unwrap()
    };
    let out = invoke("Old");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({
            "major": "2",
            "item": {"id": "a", "n": 1},
            "sqs": "http://127.0.0.1:9/",
            "explicit": "http://127.0.0.1:1/",
        }),
        "{stderr}"
    );

    // AWS (nodejs18.x and later): `Runtime.ImportModuleError`, "Error: Cannot find module
    // 'aws-sdk'\nRequire stack:\n- /var/task/app.js\n- /var/runtime/index.mjs".
    let out = invoke("New");
    assert_eq!(out.status.code(), Some(1));
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["errorType"], "Runtime.ImportModuleError");
    let message = response["errorMessage"].as_str().unwrap_or_default();
    let expected = format!(
        "Error: Cannot find module 'aws-sdk'\nRequire stack:\n- {}\n- ",
        dir.join("src/app.js").display()
    );
    assert!(message.starts_with(&expected), "{message}");
}

/// `AWS_ENDPOINT_URL_<SERVICE>` names a service by its serviceId, upper-cased with spaces made
/// underscores (SDKs and Tools reference guide, "Identifiers for service-specific endpoints"):
/// `AWS_ENDPOINT_URL_SFN` is Step Functions, whose v2 client is `AWS.StepFunctions`. Every v2
/// client, named apart from its serviceId or not, takes the variable that names it; the handler
/// sets one for each service of the SDK's own `apis/metadata.json` before it loads the SDK.
#[test]
fn every_sdk_v2_client_takes_the_endpoint_its_service_id_names() {
    let dir = project(
        "node-sdk-v2-service-ids",
        &[
            (
                "template.yaml",
                "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs16.x
      Handler: app.handler
      CodeUri: src/
      Timeout: 60
      MemorySize: 1024
",
            ),
            (
                "src/app.js",
                r#"const fs = require('fs');
const path = require('path');

exports.handler = async () => {
  const apis = path.join(path.dirname(require.resolve('aws-sdk/package.json')), 'apis');
  const models = fs.readdirSync(apis);
  const classes = Object.entries(require(path.join(apis, 'metadata.json'))).map(([id, meta]) => {
    const prefix = `${meta.prefix || id}-`;
    const latest = models
      .filter((f) => f.startsWith(prefix) && /^\d{4}-\d\d-\d\d\.min\.json$/.test(f.slice(prefix.length)))
      .sort()
      .pop();
    const { serviceId } = require(path.join(apis, latest)).metadata;
    const name = ['AWS_ENDPOINT_URL', ...serviceId.split(' ').map((w) => w.toUpperCase())].join('_');
    process.env[name] = `http://127.0.0.1:9/${meta.name}`;
    return meta.name;
  });
  const AWS = require('aws-sdk');
  const astray = classes.filter((c) => new AWS[c]().endpoint.href !== `http://127.0.0.1:9/${c}`);
  return { classes: classes.length, astray };
};
"#,
            ),
        ],
    );
    let out = invoke_in_memory(&dir, &fresh_dir("node-sdk-v2-service-ids-state"), "Fn");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // v2's last release has 385 services; each must be checked for the test to mean anything.
    assert!(answer["classes"].as_u64() > Some(300), "{answer}");
    assert_eq!(answer["astray"], serde_json::json!([]), "{stderr}");
}

/// Lambda's runtimes ship one AWS SDK for JavaScript each (Lambda developer guide,
/// "Runtime-included SDK versions"): v2 on `nodejs16.x` and older, v3 on `nodejs18.x` and later.
/// So on `nodejs16.x` `require('@aws-sdk/client-dynamodb')` fails, even where the template's
/// newer functions make Sluice install v3, while a copy the function ships itself resolves on
/// both, its own `node_modules` coming before the runtime's.
#[test]
fn each_node_runtime_gets_only_the_aws_sdk_lambda_ships_with_it() {
    let function = |runtime: &str| {
        format!(
            "    Type: AWS::Serverless::Function
    Properties:
      Runtime: {runtime}
      Handler: app.handler
      CodeUri: src/
      Timeout: 30
"
        )
    };
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Old:
{}  New:
{}",
        function("nodejs16.x"),
        function("nodejs20.x")
    );
    let dir = project(
        "node-sdk-per-runtime",
        &[
            ("template.yaml", &template),
            (
                "src/app.js",
                "const resolves = (name) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};
exports.handler = async () => ({
  v2: resolves('aws-sdk'),
  v3: resolves('@aws-sdk/client-dynamodb'),
  own: require('@aws-sdk/util-own-copy'),
});
",
            ),
            (
                "src/node_modules/@aws-sdk/util-own-copy/package.json",
                r#"{"name": "@aws-sdk/util-own-copy", "version": "0.0.0", "main": "index.js"}"#,
            ),
            (
                "src/node_modules/@aws-sdk/util-own-copy/index.js",
                "module.exports = 'bundled';\n",
            ),
        ],
    );
    let state = fresh_dir("node-sdk-per-runtime-state");
    let answers: Vec<serde_json::Value> = ["Old", "New"]
        .iter()
        .map(|function| {
            let out = invoke_in_memory(&dir, &state, function);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{function}: {stderr}");
            serde_json::from_slice(&out.stdout).unwrap()
        })
        .collect();
    assert_eq!(
        answers,
        [
            serde_json::json!({"v2": true, "v3": false, "own": "bundled"}),
            serde_json::json!({"v2": false, "v3": true, "own": "bundled"}),
        ]
    );
}

/// Inline code (`InlineCode`) gets the SDK its runtime ships as code in a folder does: Lambda's
/// runtime serves it, since nothing else sits beside the code.
#[test]
fn inline_node_code_gets_the_aws_sdk_its_runtime_ships() {
    let dir = project(
        "node-sdk-inline",
        &[(
            "template.yaml",
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Things:
    Type: AWS::Serverless::SimpleTable
    Properties: {TableName: sdk-inline-things}
  V3:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Timeout: 30
      InlineCode: |
        const { DynamoDBClient, ListTablesCommand } = require('@aws-sdk/client-dynamodb');
        exports.handler = async () => (await new DynamoDBClient({}).send(new ListTablesCommand({}))).TableNames;
  V2:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs16.x
      Handler: index.handler
      Timeout: 30
      InlineCode: |
        const AWS = require('aws-sdk');
        exports.handler = async () => (await new AWS.DynamoDB().listTables({}).promise()).TableNames;
",
        )],
    );
    let state = fresh_dir("node-sdk-inline-state");
    for function in ["V3", "V2"] {
        let out = invoke_in_memory(&dir, &state, function);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{function}: {stderr}");
        let tables: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            tables,
            serde_json::json!(["sdk-inline-things"]),
            "{function}: {stderr}"
        );
    }
}

/// `sluice invoke <function>` of the template in `dir`, with an in-memory store.
fn invoke_in_memory(dir: &Path, state: &Path, function: &str) -> Output {
    Command::new(sluice())
        .args(["invoke", function, "--no-event", "-t"])
        .arg(dir.join("template.yaml"))
        .arg("--in-memory")
        .arg("--state-dir")
        .arg(state)
        .output()
        .unwrap()
}
