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

/// A minimal Debug Adapter Protocol client: `Content-Length` framed JSON over TCP, as VS Code
/// speaks it to debugpy.
struct Dap {
    reader: BufReader<std::net::TcpStream>,
    writer: std::net::TcpStream,
    seq: u64,
}

impl Dap {
    fn connect(port: u16) -> Dap {
        let deadline = Instant::now() + Duration::from_secs(60);
        let stream = loop {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(stream) => break stream,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("debugpy never listened on {port}: {e}"),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Dap {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            seq: 0,
        }
    }

    fn send(&mut self, command: &str, arguments: serde_json::Value) -> u64 {
        self.seq += 1;
        let body = serde_json::json!({
            "seq": self.seq, "type": "request", "command": command, "arguments": arguments,
        })
        .to_string();
        write!(self.writer, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.seq
    }

    fn read(&mut self) -> serde_json::Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("DAP header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length:") {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Reads messages until one matches, returning it (events and responses in between are skipped).
    fn until(&mut self, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        loop {
            let message = self.read();
            if wanted(&message) {
                return message;
            }
        }
    }

    fn response(&mut self, seq: u64) -> serde_json::Value {
        let response = self.until(|m| m["type"] == "response" && m["request_seq"] == seq);
        assert_eq!(response["success"], true, "{response}");
        response
    }
}

#[test]
fn debug_port_with_debugpy_stops_at_a_breakpoint_set_through_dap_and_continues() {
    if Command::new("python3")
        .args(["-c", "import debugpy"])
        .status()
        .map_or(true, |s| !s.success())
    {
        panic!("debugpy is missing: `python3 -m pip install -r requirements-test.txt`");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let debug_args = format!("-m debugpy --listen {listen} --wait-for-client");
    let server = Server::start(
        sluice(),
        &fixture_template(),
        &[
            "-d",
            &port.to_string(),
            "--debug-function",
            "ShapeFunction",
            "--debug-args",
            &debug_args,
        ],
    );
    // The sandbox starts with the first request and waits for the debugger before running it.
    let url = server.url("/shape/numeric-string");
    let request = std::thread::spawn(move || {
        let response = client().get(url).send().unwrap();
        (response.status().as_u16(), response.text().unwrap())
    });

    let handler = fixture_template()
        .parent()
        .unwrap()
        .join("py/shapes.py")
        .canonicalize()
        .unwrap();
    let line = std::fs::read_to_string(&handler)
        .unwrap()
        .lines()
        .position(|l| l.contains(r#"kind = event["pathParameters"]["kind"]"#))
        .expect("the handler's first line")
        + 1;

    let mut dap = Dap::connect(port);
    let init = dap.send(
        "initialize",
        serde_json::json!({"clientID": "sluice-test", "adapterID": "debugpy", "pathFormat": "path",
            "linesStartAt1": true, "columnsStartAt1": true}),
    );
    dap.response(init);
    let attach = dap.send("attach", serde_json::json!({"justMyCode": false}));
    dap.until(|m| m["type"] == "event" && m["event"] == "initialized");
    let set = dap.send(
        "setBreakpoints",
        serde_json::json!({"source": {"path": handler}, "breakpoints": [{"line": line}]}),
    );
    let breakpoints = dap.response(set);
    assert_eq!(
        breakpoints["body"]["breakpoints"][0]["verified"], true,
        "{breakpoints}"
    );
    let done = dap.send("configurationDone", serde_json::json!({}));
    dap.response(done);
    dap.response(attach);

    let stopped = dap.until(|m| m["type"] == "event" && m["event"] == "stopped");
    assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
    let thread = stopped["body"]["threadId"].clone();
    let trace = dap.send("stackTrace", serde_json::json!({"threadId": thread}));
    let frames = dap.response(trace);
    let top = &frames["body"]["stackFrames"][0];
    assert_eq!(top["name"], "handler", "{frames}");
    assert_eq!(top["line"], line, "{frames}");
    // The request is held at the breakpoint until the debugger continues it.
    assert!(!request.is_finished());
    let resume = dap.send("continue", serde_json::json!({"threadId": thread}));
    dap.response(resume);

    let (status, body) = request.join().unwrap();
    assert_eq!((status, body.as_str()), (201, "created"));
}

#[test]
fn a_runtime_whose_versioned_interpreter_is_on_path_runs_it() {
    use std::os::unix::fs::PermissionsExt;
    let root = fresh_dir("matching-interpreter");
    // Stand-ins for a second installed version: `python3.13` and `node22` that the handlers can
    // recognise (python reports the path it was started as; node sees the wrapper's variable).
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let python = String::from_utf8(
        Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::os::unix::fs::symlink(python.trim(), bin.join("python3.13")).unwrap();
    let node22 = bin.join("node22");
    std::fs::write(&node22, "#!/bin/sh\nSTARTED_AS=node22 exec node \"$@\"\n").unwrap();
    std::fs::set_permissions(&node22, std::fs::Permissions::from_mode(0o755)).unwrap();
    for dir in [&root, &bin] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let code = root.join("src");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(
        code.join("app.py"),
        "import sys\n\ndef handler(event, context):\n    return {'statusCode': 200, 'body': sys.executable}\n",
    )
    .unwrap();
    std::fs::write(
        code.join("app.js"),
        "exports.handler = async () => ({ statusCode: 200, body: process.env.STARTED_AS || 'node' });\n",
    )
    .unwrap();
    std::fs::write(
        root.join("template.yaml"),
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Py:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.13\n      Handler: app.handler\n      CodeUri: src/\n      Events:\n        Get: {Type: Api, Properties: {Path: /py, Method: get}}\n  Js:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs22.x\n      Handler: app.handler\n      CodeUri: src/\n      Events:\n        Get: {Type: Api, Properties: {Path: /js, Method: get}}\n",
    )
    .unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let server = Server::start_with_env(
        sluice(),
        &root.join("template.yaml"),
        &[],
        &[("PATH", path.as_os_str())],
    );
    let body = |route: &str| {
        client()
            .get(server.url(route))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    assert_eq!(body("/py"), bin.join("python3.13").display().to_string());
    assert_eq!(body("/js"), "node22");
    assert!(server
        .wait_for_log("python3.13 functions run the matching interpreter found on PATH")
        .is_some());
    assert!(server
        .wait_for_log("nodejs22.x functions run the matching interpreter found on PATH")
        .is_some());
}
