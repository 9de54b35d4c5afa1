//! SAM CLI parity: the wire details API Gateway and SAM CLI have, the flags SAM users type, and
//! samconfig files, exercised on the real binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sluice_testkit::{fresh_dir, Server};

use crate::{client, example_template, fixture_server, fixture_template, sluice};

/// Sends raw bytes to the API and returns everything the server answered before closing.
fn raw_exchange(server: &Server, request: &[u8]) -> String {
    let addr = server.base_url.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn http10_request_gets_an_http11_status_line_and_a_numeric_body_is_sent_as_text() {
    let server = fixture_server();
    let reply = raw_exchange(
        &server,
        b"GET /shape/numeric-body HTTP/1.0\r\nHost: localhost\r\n\r\n",
    );
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("\r\n\r\n42"), "{reply}");
    // The same connection handling still serves HTTP/1.1 clients.
    let reply = raw_exchange(
        &server,
        b"GET /shape/empty HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
}

#[test]
fn redirected_logs_carry_no_colour_codes() {
    let server = fixture_server();
    // A malformed proxy response makes the gateway log its reason through `tracing`.
    let response = client()
        .get(server.url("/shape/unknown-key"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 502);
    assert!(server.wait_for_log("WARN").is_some(), "{:?}", server.logs());
    let coloured: Vec<String> = server
        .logs()
        .into_iter()
        .filter(|l| l.contains('\x1b'))
        .collect();
    assert!(coloured.is_empty(), "{coloured:?}");
}

#[test]
fn template_flag_may_name_the_folder_holding_template_yaml() {
    let folder = example_template("hello");
    let out = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(folder.parent().unwrap())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("template.yaml is a valid SAM template"),
        "{stdout}"
    );
    let empty = fresh_dir("no-template");
    let out = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(&empty)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no template.yaml or template.yml in"),
        "{stderr}"
    );
}

#[test]
fn malformed_event_file_is_reported_with_its_path_and_position_and_nothing_runs() {
    let event = fresh_dir("bad-event").join("event.json");
    std::fs::write(&event, "{\n  \"name\": \"x\",\n  \"oops\"\n}\n").unwrap();
    let out = Command::new(sluice())
        .args(["invoke", "HelloFunction", "-e"])
        .arg(&event)
        .arg("-t")
        .arg(example_template("hello"))
        .arg("--state-dir")
        .arg(fresh_dir("bad-event-state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("event {}:4:1: not valid JSON", event.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("START RequestId"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn no_event_invokes_with_an_empty_object() {
    let out = Command::new(sluice())
        .args(["invoke", "HelloFunction", "--no-event", "-t"])
        .arg(example_template("hello"))
        .arg("--state-dir")
        .arg(fresh_dir("no-event"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["statusCode"], 200);
    let conflict = Command::new(sluice())
        .args(["invoke", "--no-event", "-e", "x.json", "-t"])
        .arg(example_template("hello"))
        .output()
        .unwrap();
    assert!(
        !conflict.status.success(),
        "-e and --no-event exclude each other"
    );
}

/// A `sluice start-services` child, stopped when dropped.
struct Services(std::process::Child);

impl Drop for Services {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn start_services_without_a_template_serves_an_empty_store() {
    let dir = fresh_dir("standalone-ddb");
    let mut child = Command::new(sluice())
        .args(["start-services", "--services-port", "0", "--in-memory"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let services = Services(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut url = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(at) = line.find("http://") {
            url = line[at..].split_whitespace().next().map(str::to_owned);
            break;
        }
        assert!(Instant::now() < deadline, "no banner");
    }
    let url = url.expect("start-services printed its URL");
    let response = client()
        .post(&url)
        .header("X-Amz-Target", "DynamoDB_20120810.ListTables")
        .header("Content-Type", "application/x-amz-json-1.0")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["TableNames"], serde_json::json!([]));
    drop(services);
}

#[test]
fn sam_flags_are_accepted_static_files_are_served_and_function_logs_go_to_the_log_file() {
    let dir = fresh_dir("static");
    std::fs::create_dir_all(dir.join("public/css")).unwrap();
    std::fs::write(dir.join("public/css/site.css"), "body { color: red }").unwrap();
    let log_file = dir.join("functions.log");
    let public = dir.join("public");
    let docker_flags: [&[&str]; 12] = [
        &["--skip-pull-image"],
        &["--docker-network", "sam-net"],
        &["--docker-volume-basedir", "/tmp"],
        &["--force-image-build"],
        &["--container-env-vars", "env.json"],
        &[
            "--invoke-image",
            "amazon/aws-sam-cli-emulation-image-python3.12",
        ],
        &["--container-host", "localhost"],
        &["--container-host-interface", "127.0.0.1"],
        &["--add-host", "example.com:127.0.0.1"],
        &["--mount-symlinks"],
        &["--layer-cache-basedir", "/tmp/layers"],
        &["--profile", "dev"],
    ];
    let mut args: Vec<&str> = docker_flags
        .iter()
        .flat_map(|f| f.iter().copied())
        .collect();
    args.extend([
        "-s",
        public.to_str().unwrap(),
        "-l",
        log_file.to_str().unwrap(),
        "--disable-authorizer",
        "--debug-args",
        "-X",
    ]);
    let server = Server::start(sluice(), &fixture_template(), &args);
    for flag in &docker_flags {
        let line = server.wait_for_log(&format!("{}: ", flag[0]));
        assert!(
            line.is_some(),
            "{} gets its line: {:?}",
            flag[0],
            server.logs()
        );
    }
    assert!(server
        .wait_for_log("--debug-args: only used with --debug-port (ignored)")
        .is_some());

    let css = client().get(server.url("/css/site.css")).send().unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.text().unwrap(), "body { color: red }");
    // Anything that is not a file goes on to the API routes.
    let api = client().get(server.url("/shape/empty")).send().unwrap();
    assert_eq!(api.status(), 200);
    let missing = client().get(server.url("/css/nope.css")).send().unwrap();
    assert_eq!(missing.status(), 403, "unknown REST route");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let written = std::fs::read_to_string(&log_file).unwrap_or_default();
        if written.contains("REPORT RequestId:") {
            assert!(
                written.contains("[ShapeFunction] START RequestId:"),
                "{written}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no function log in the file: {written}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !server.logs().iter().any(|l| l.contains("START RequestId")),
        "function logs go to the file, not the terminal"
    );
}

const SAMCONFIG: &str = r#"version = 0.1
[default.global.parameters]
stack_name = "fixture"
parameter_overrides = "Greeting=from-global"

[default.local_invoke.parameters]
parameter_overrides = "Greeting=from-default"

[dev.global.parameters]
parameter_overrides = "Greeting=from-dev-global"

[dev.local_invoke.parameters]
parameter_overrides = ["Greeting=from-dev"]
"#;

fn invoke_echo(config: &Path, extra: &[&str]) -> String {
    let event = fresh_dir("echo-event").join("event.json");
    std::fs::write(
        &event,
        r#"{"httpMethod": "GET", "path": "/echo", "resource": "/echo", "headers": {}}"#,
    )
    .unwrap();
    let out = Command::new(sluice())
        .args(["local", "invoke", "EchoFunction", "-e"])
        .arg(&event)
        .arg("-t")
        .arg(fixture_template())
        .arg("--state-dir")
        .arg(fresh_dir("samconfig-state"))
        .arg("--config-file")
        .arg(config)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Using "), "{stderr}");
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    response["headers"]["X-Greeting"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn samconfig_environments_supply_flags_and_the_command_line_wins() {
    let config = fresh_dir("samconfig").join("samconfig.toml");
    std::fs::write(&config, SAMCONFIG).unwrap();
    assert_eq!(invoke_echo(&config, &[]), "from-default");
    assert_eq!(invoke_echo(&config, &["--config-env", "dev"]), "from-dev");
    assert_eq!(
        invoke_echo(
            &config,
            &[
                "--config-env",
                "dev",
                "--parameter-overrides",
                "Greeting=typed"
            ]
        ),
        "typed"
    );
}

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

#[test]
fn debug_port_starts_the_chosen_node_function_with_its_inspector_and_no_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port_text = port.to_string();
    let server = Server::start(
        sluice(),
        &fixture_template(),
        &["-d", &port_text, "--debug-function", "NodeFunction"],
    );
    assert!(server
        .wait_for_log(&format!(
            "Debugger: function NodeFunction starts with a debugger on 127.0.0.1:{port}"
        ))
        .is_some());
    let response: serde_json::Value = client()
        .get(server.url("/node"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let remaining = response["remaining"].as_u64().unwrap();
    assert!(remaining > 3_600_000, "timeout lifted, {remaining} ms left");
    let inspector: serde_json::Value = client()
        .get(format!("http://127.0.0.1:{port}/json/version"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        inspector["Browser"]
            .as_str()
            .unwrap_or_default()
            .starts_with("node.js"),
        "{inspector}"
    );
    // Functions the debugger was not asked for run as usual.
    let shape = client().get(server.url("/shape/empty")).send().unwrap();
    assert_eq!(shape.status(), 200);
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
