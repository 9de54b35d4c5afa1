//! SAM templates SAM CLI accepts, run as SAM CLI runs them: shared function names, aliases,
//! single-file code, layers, `Fn::ForEach`, nested stacks, and `validate` refusing exactly what
//! `start-api` would.
//!
//! Just past 600 lines: one e2e test per template form SAM CLI accepts.

use std::path::Path;
use std::process::{Command, Stdio};

use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

/// Writes `files` (path, content) under a fresh folder and returns the folder.
fn project(label: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = fresh_dir(label);
    for (path, content) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    dir
}

const SHARED_NAMES: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  First:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: shared
      Runtime: python3.12
      Handler: first.handler
      CodeUri: py/
      AutoPublishAlias: live
      Environment:
        Variables:
          MY_ALIAS: !Ref First.Alias
      Events:
        Get: {Type: Api, Properties: {Path: /first, Method: get}}
  Second:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: shared
      Runtime: python3.12
      Handler: second.handler
      CodeUri: py/
      Events:
        Get: {Type: Api, Properties: {Path: /second, Method: get}}
  Single:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: node/function.js
      Events:
        Get: {Type: Api, Properties: {Path: /single, Method: get}}
";

const FIRST_PY: &str = "import os\ndef handler(event, context):\n    return {'statusCode': 200, 'body': 'first ' + os.environ['MY_ALIAS']}\n";
const SECOND_PY: &str =
    "def handler(event, context):\n    return {'statusCode': 200, 'body': 'second'}\n";
const FUNCTION_JS: &str =
    "exports.handler = async () => ({ statusCode: 200, body: 'single file' });\n";

fn shared_names_project() -> std::path::PathBuf {
    project(
        "shared-names",
        &[
            ("template.yaml", SHARED_NAMES),
            ("py/first.py", FIRST_PY),
            ("py/second.py", SECOND_PY),
            ("node/function.js", FUNCTION_JS),
        ],
    )
}

#[test]
fn shared_function_names_warn_in_validate_and_both_functions_serve() {
    let dir = shared_names_project();
    let template = dir.join("template.yaml");
    let warning = "Resources.Second.Properties.FunctionName: shared is also the name of First (AWS would refuse to deploy both); Second runs under its logical id, and the Invoke API resolves shared to First";
    let out = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(&template)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(warning), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "Function Single (nodejs20.x) runs {}",
            dir.join("node/function.js").display()
        )),
        "{stdout}"
    );

    let server = Server::start(sluice(), &template, &[]);
    assert!(server.wait_for_log(warning).is_some());
    assert!(server
        .wait_for_log(&format!(
            "Function First (python3.12) runs {}",
            dir.join("py/first.py").display()
        ))
        .is_some());
    let alias_arn = "arn:aws:lambda:us-east-1:123456789012:function:shared:live";
    let get = |path: &str| {
        client()
            .get(server.url(path))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    assert_eq!(get("/first"), format!("first {alias_arn}"));
    assert_eq!(get("/second"), "second");
    assert_eq!(get("/single"), "single file");

    let invoke = |name: &str| {
        client()
            .post(format!(
                "{}/2015-03-31/functions/{name}/invocations",
                server.services_url
            ))
            .body("{}")
            .send()
            .unwrap()
    };
    for name in ["shared", "shared:live", "shared:$LATEST", alias_arn] {
        let response = invoke(name);
        assert_eq!(response.status(), 200, "{name}");
        let body: serde_json::Value = response.json().unwrap();
        assert_eq!(body["body"], format!("first {alias_arn}"), "{name}");
    }
    let second: serde_json::Value = invoke("Second").json().unwrap();
    assert_eq!(second["body"], "second");
    assert_eq!(invoke("shared:prod").status(), 404, "no such alias");
}

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
        B: {Type: Api, Properties: {RestApiId: !Ref Two, Path: '/x/{key}', Method: get}}
",
            ),
            ("app.py", ""),
        ],
    );
    both_refuse(&routes, &["GET /x/{key} is routed twice"]);

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

const LAYERS: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Base:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/base/}
  Override:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/override/}
  NodeLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/node/}
  Py:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: py/
      Layers: [!Ref Base, !Ref Override]
      Events:
        Get: {Type: Api, Properties: {Path: /py, Method: get}}
  Node:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: node/
      Layers: [!Ref NodeLayer]
      Events:
        Get: {Type: Api, Properties: {Path: /node, Method: get}}
";

#[test]
fn handlers_import_modules_from_their_layers_and_later_layers_win() {
    let dir = project(
        "layers",
        &[
            ("template.yaml", LAYERS),
            ("layers/base/python/greeting.py", "WORD = 'hello from a layer'\n"),
            ("layers/base/python/shared.py", "WHO = 'base'\n"),
            (
                "layers/override/python/lib/python3.12/site-packages/shared.py",
                "WHO = 'override'\n",
            ),
            (
                "py/app.py",
                "import boto3, greeting, shared\ndef handler(event, context):\n    return {'statusCode': 200, 'body': greeting.WORD + ' / ' + shared.WHO}\n",
            ),
            (
                "layers/node/nodejs/node_modules/greet/index.js",
                "module.exports = () => 'hello from a node layer';\n",
            ),
            (
                "node/app.js",
                "const greet = require('greet');\nexports.handler = async () => ({ statusCode: 200, body: greet() });\n",
            ),
        ],
    );
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let get = |path: &str| {
        client()
            .get(server.url(path))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    assert_eq!(get("/py"), "hello from a layer / override");
    assert_eq!(get("/node"), "hello from a node layer");
}

const FOR_EACH: &str = "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Resources:
  Fn::ForEach::Greeters:
    - Who
    - [alpha, beta, gamma]
    - ${Who}Function:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          CodeUri: py/
          Environment:
            Variables:
              WHO: !Ref Who
          Events:
            Get: {Type: Api, Properties: {Path: !Sub '/${Who}', Method: get}}
";

#[test]
fn for_each_generates_three_functions_and_their_routes() {
    let dir = project(
        "for-each",
        &[
            ("template.yaml", FOR_EACH),
            (
                "py/app.py",
                "import os\ndef handler(event, context):\n    return {'statusCode': 200, 'body': os.environ['WHO'] + ' via ' + context.function_name}\n",
            ),
        ],
    );
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    for who in ["alpha", "beta", "gamma"] {
        let body = client()
            .get(server.url(&format!("/{who}")))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(body, format!("{who} via {who}Function"));
    }
}

const PARENT: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Greeter:
    Type: AWS::Serverless::Application
    Properties:
      Location: greeter/template.yaml
      Parameters: {Greeting: hello-from-parent}
  Store:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./store/template.yaml
  Parent:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment: {Variables: {SAYS: !GetAtt Greeter.Outputs.Said}}
      Events:
        Root: {Type: Api, Properties: {Path: /parent, Method: get}}
        Clash: {Type: Api, Properties: {Path: /shared, Method: get}}
";

const GREETER: &str = "Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String}
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment: {Variables: {SAYS: !Ref Greeting}}
      Events:
        Get: {Type: Api, Properties: {Path: /hello, Method: get}}
        Clash: {Type: Api, Properties: {Path: /shared, Method: get}}
Outputs:
  Said:
    Value: !Sub '${Greeting} via ${Hello}'
";

const STORE: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment: {Variables: {SAYS: store}}
      Events:
        Get: {Type: Api, Properties: {Path: /store, Method: get}}
";

const SAYS_PY: &str = "import os\ndef handler(event, context):\n    return {'statusCode': 200, 'body': os.environ['SAYS'] + ' from ' + context.function_name}\n";

#[test]
fn nested_stacks_take_parameters_give_outputs_and_the_parent_wins_route_collisions() {
    let dir = project(
        "nested",
        &[
            ("template.yaml", PARENT),
            ("src/app.py", SAYS_PY),
            ("greeter/template.yaml", GREETER),
            ("greeter/src/app.py", SAYS_PY),
            ("store/template.yaml", STORE),
            ("store/src/app.py", SAYS_PY),
        ],
    );
    let template = dir.join("template.yaml");
    let validate = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(&template)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&validate.stdout);
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    assert!(stdout.contains("Greeter/Hello (python3.12"), "{stdout}");
    assert!(stdout.contains("Store/Hello (python3.12"), "{stdout}");

    let server = Server::start(sluice(), &template, &[]);
    assert!(server
        .wait_for_log("Greeter/Hello: GET /shared is also routed to Parent, which wins")
        .is_some());
    let get = |path: &str| {
        client()
            .get(server.url(path))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    assert_eq!(get("/parent"), "hello-from-parent via Hello from Parent");
    assert_eq!(get("/hello"), "hello-from-parent from Greeter/Hello");
    assert_eq!(get("/store"), "store from Store/Hello");
    assert_eq!(get("/shared"), "hello-from-parent via Hello from Parent");
}

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
",
            ),
            (
                "src/app.js",
                "const { DynamoDBClient, ListTablesCommand } = require('@aws-sdk/client-dynamodb');\nexports.handler = async () => {\n  const out = await new DynamoDBClient({}).send(new ListTablesCommand({}));\n  return out.TableNames;\n};\n",
            ),
        ],
    );
    let out = Command::new(sluice())
        .args(["invoke", "--no-event", "-t"])
        .arg(dir.join("template.yaml"))
        .arg("--in-memory")
        .arg("--state-dir")
        .arg(fresh_dir("node-sdk-shipped-state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let tables: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        tables,
        serde_json::json!(["sdk-shipped-things"]),
        "{stderr}"
    );
}
