//! Lambda extensions: an external extension from a layer's `extensions/` folder registers on the
//! sandbox's Extensions API, sees each invocation and the SHUTDOWN event; one that keeps an
//! invocation holds its sandbox; a registration under another name is refused; a wrapper script
//! named by `AWS_LAMBDA_EXEC_WRAPPER` starts the runtime.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use sluice_testkit::{fresh_dir, Server};

use crate::{client, idle_sandboxes, sluice};

/// An external extension: registers (first, when asked, under a wrong name), then records each
/// event in `$EXT_RECORD_DIR/<its name>-<function>.log`; with `HOLD` set it never calls `next` after an INVOKE.
const RECORDER: &str = r#"#!/usr/bin/env python3
import json, os, sys, time, urllib.request, urllib.error
name = os.path.basename(__file__)
base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2020-01-01/extension"
def record(line):
    log = name + "-" + os.environ["AWS_LAMBDA_FUNCTION_NAME"] + ".log"
    with open(os.path.join(os.environ["EXT_RECORD_DIR"], log), "a") as f:
        f.write(line + "\n")
def register(as_name):
    body = json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode()
    req = urllib.request.Request(base + "/register", data=body, method="POST",
                                 headers={"Lambda-Extension-Name": as_name})
    return urllib.request.urlopen(req)
if os.environ.get("WRONG_NAME_FIRST"):
    try:
        register("not-" + name)
        record("wrong name accepted")
    except urllib.error.HTTPError as e:
        record("wrong name refused %d %s" % (e.code, json.load(e)["errorType"]))
with register(name) as r:
    ext_id = r.headers["Lambda-Extension-Identifier"]
    record("registered " + json.load(r)["functionName"])
def status(path, method, headers, data=None):
    req = urllib.request.Request(path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return "%d %s" % (r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        return "%d %s" % (e.code, json.load(e)["errorType"])
if os.environ.get("PROBE"):
    root = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
    record("telemetry " + status(root + "/2022-07-01/telemetry/", "PUT",
        {"Lambda-Extension-Identifier": ext_id}, b'{"schemaVersion":"2022-12-13","types":["function"],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:4243"}}'))
    record("unknown route " + status(base + "/bogus", "GET", {}))
    record("no identifier " + status(base + "/event/next", "GET", {}))
    record("stranger " + status(base + "/event/next", "GET",
        {"Lambda-Extension-Identifier": "00000000-0000-0000-0000-000000000000"}))
while True:
    req = urllib.request.Request(base + "/event/next", headers={"Lambda-Extension-Identifier": ext_id})
    with urllib.request.urlopen(req) as r:
        event = json.load(r)
    if event["eventType"] == "INVOKE":
        record("INVOKE " + event["requestId"])
        if os.environ.get("HOLD"):
            time.sleep(3600)
        if os.environ.get("PROBE"):
            # Done after the function: the sandbox stays taken until this extension is.
            time.sleep(0.3)
    else:
        record("SHUTDOWN " + event["shutdownReason"])
        sys.exit(0)
"#;

const HANDLER: &str = "import os\ndef handler(event, context):\n    return {'statusCode': 200, 'body': context.aws_request_id + ' ' + os.environ.get('WRAPPED_BY', 'unwrapped')}\n";

const NODE_HANDLER: &str = "exports.handler = async (event, context) => ({ statusCode: 200, body: context.awsRequestId + ' ' + (process.env.WRAPPED_BY || 'unwrapped') });\n";

/// Sets a variable the handler sees, then runs the runtime's own command line.
const WRAPPER: &str = "#!/bin/sh\nexport WRAPPED_BY=wrapper-script\nexec \"$@\"\n";

/// A project whose function `Fn` (python) and `NodeFn` have the recorder as an extension, with
/// `variables` added to their environment. Returns the template and the record folder.
fn project(variables: &str) -> (PathBuf, PathBuf) {
    let dir = fresh_dir("extensions");
    let records = dir.join("records");
    let write = |path: &str, content: &str, mode: u32| {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("layer/extensions/recorder", RECORDER, 0o755);
    write("layer/wrapper.sh", WRAPPER, 0o755);
    write("py/app.py", HANDLER, 0o644);
    write("node/app.js", NODE_HANDLER, 0o644);
    std::fs::create_dir_all(&records).unwrap();
    // Sandboxes may run as another user (`nobody` when the tests run as root).
    std::fs::set_permissions(&records, std::fs::Permissions::from_mode(0o777)).unwrap();
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 60
    Layers: [!Ref Ext]
    Environment:
      Variables:
        EXT_RECORD_DIR: {records}
{variables}
Resources:
  Ext:
    Type: AWS::Serverless::LayerVersion
    Properties: {{ContentUri: layer/}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: py/
      Events:
        Get: {{Type: Api, Properties: {{Path: /py, Method: get}}}}
  NodeFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: node/
      Events:
        Get: {{Type: Api, Properties: {{Path: /node, Method: get}}}}
",
        records = records.display(),
    );
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    (dir.join("template.yaml"), records)
}

/// The recorder's lines so far (function `Fn`).
fn recorded(records: &Path) -> Vec<String> {
    std::fs::read_to_string(records.join("recorder-Fn.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Waits (up to 10 s) until the record holds a line satisfying `found`.
fn wait_recorded(records: &Path, found: impl Fn(&[String]) -> bool) -> Vec<String> {
    for _ in 0..500 {
        let lines = recorded(records);
        if found(&lines) {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    recorded(records)
}

fn get(server: &Server, path: &str) -> String {
    let response = client().get(server.url(path)).send().unwrap();
    assert_eq!(response.status(), 200);
    response.text().unwrap()
}

#[test]
fn an_extension_sees_each_invocation_and_shutdown_on_ctrl_c() {
    let (template, records) = project("        PROBE: '1'");
    let mut server = Server::start(sluice(), &template, &[]);
    let first = get(&server, "/py");
    // As on Lambda, the sandbox is free again only once the extension has also asked for its
    // next event; a request before that would rightly get another sandbox.
    sluice_testkit::assert_eventually!(
        idle_sandboxes(&server, "Fn") == 1.0,
        "the sandbox never became free: {:?}",
        recorded(&records)
    );
    let second = get(&server, "/py");
    let ids: Vec<&str> = [&first, &second]
        .iter()
        .map(|body| body.split(' ').next().unwrap())
        .collect();
    let lines = wait_recorded(&records, |l| {
        ids.iter().all(|id| l.contains(&format!("INVOKE {id}")))
    });
    assert_eq!(
        lines[..5],
        [
            "registered Fn",
            // Accepted as Lambda accepts a subscription (telemetry_api.rs checks the delivery).
            "telemetry 200 OK",
            "unknown route 404 NotFound",
            "no identifier 403 Extension.MissingExtensionIdentifier",
            "stranger 403 Extension.UnknownExtensionIdentifier",
        ]
    );
    for id in &ids {
        assert!(lines.contains(&format!("INVOKE {id}")), "{lines:?}");
    }
    assert!(
        !lines.iter().any(|l| l.starts_with("SHUTDOWN")),
        "{lines:?}"
    );
    // Both invocations ran in one sandbox: the extension registered once.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("registered")).count(),
        1
    );
    assert!(
        server
            .wait_for_log("Function Fn (python3.12) runs")
            .is_some_and(|l| l.ends_with(", with the extensions recorder from its layers")),
        "{:?}",
        server.logs()
    );
    assert!(server.interrupt(), "sluice did not exit on Ctrl-C");
    let lines = recorded(&records);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("SHUTDOWN spindown"),
        "{lines:?}"
    );
}

#[test]
fn an_extension_that_keeps_an_invocation_holds_its_sandbox() {
    let (template, records) = project("        HOLD: '1'");
    let server = Server::start(sluice(), &template, &[]);
    // The caller gets its answer although the extension is still at work on the invocation.
    let first = get(&server, "/py");
    let first_id = first.split(' ').next().unwrap().to_owned();
    wait_recorded(&records, |l| l.contains(&format!("INVOKE {first_id}")));
    // The held sandbox is not free: the next request starts another one.
    let second = get(&server, "/py");
    let second_id = second.split(' ').next().unwrap().to_owned();
    let lines = wait_recorded(&records, |l| l.contains(&format!("INVOKE {second_id}")));
    // Two sandboxes at least; a third may be a spare started ahead of demand, since two
    // invocations were in flight with no warm sandbox left.
    assert!(
        lines.iter().filter(|l| l.starts_with("registered")).count() >= 2,
        "{lines:?}"
    );
    // The first invocation has not ended: no REPORT for it yet.
    let logs = server.logs().join("\n");
    assert!(
        logs.contains(&format!("START RequestId: {first_id}")),
        "{logs}"
    );
    assert!(
        !logs.contains(&format!("REPORT RequestId: {first_id}")),
        "{logs}"
    );
}

#[test]
fn a_registration_under_another_name_is_refused() {
    let (template, records) = project("        WRONG_NAME_FIRST: '1'");
    let server = Server::start(sluice(), &template, &[]);
    get(&server, "/py");
    let lines = wait_recorded(&records, |l| l.iter().any(|l| l.starts_with("registered")));
    // A name that is no executable of the sandbox is an internal extension, which Lambda does
    // not allow to subscribe to SHUTDOWN.
    assert_eq!(
        lines.first().map(String::as_str),
        Some("wrong name refused 403 Extension.InvalidEventType"),
        "{lines:?}"
    );
}

#[test]
fn a_wrapper_script_starts_python_and_node_runtimes() {
    let (template, _records) = project("        AWS_LAMBDA_EXEC_WRAPPER: /opt/wrapper.sh");
    let server = Server::start(sluice(), &template, &[]);
    assert!(get(&server, "/py").ends_with(" wrapper-script"));
    assert!(get(&server, "/node").ends_with(" wrapper-script"));
}

fn invoke(template: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(sluice())
        .args(["invoke", "Fn", "--no-event", "-t"])
        .arg(template)
        .arg("--state-dir")
        .arg(fresh_dir("invoke-state"))
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn invoke_with_shutdown_sends_the_shutdown_event_and_waits() {
    let (template, records) = project("");
    let out = invoke(&template, &["--shutdown"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = body["body"].as_str().unwrap().split(' ').next().unwrap();
    let lines = recorded(&records);
    assert_eq!(
        lines,
        [
            "registered Fn".to_owned(),
            format!("INVOKE {id}"),
            "SHUTDOWN spindown".to_owned()
        ]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("REPORT RequestId: {id}")),
        "{stderr}"
    );

    // Without the flag the sandbox is killed at once, as SAM does.
    std::fs::remove_file(records.join("recorder-Fn.log")).unwrap();
    let out = invoke(&template, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = recorded(&records);
    assert!(
        !lines.iter().any(|l| l.starts_with("SHUTDOWN")),
        "{lines:?}"
    );
}

#[test]
fn a_reload_that_replaces_a_sandbox_sends_its_extensions_shutdown() {
    let (template, records) = project("");
    let server = Server::start(sluice(), &template, &[]);
    let before = get(&server, "/py");
    let dir = template.parent().unwrap();
    let partial = dir.join("py/app.saving");
    std::fs::write(&partial, HANDLER.replace("unwrapped", "edited")).unwrap();
    std::fs::rename(&partial, dir.join("py/app.py")).unwrap();
    server
        .wait_for_log("Reloaded after a change to Fn")
        .expect("the edit reloads Fn");
    let lines = wait_recorded(&records, |l| l.iter().any(|l| l == "SHUTDOWN spindown"));
    let id = before.split(' ').next().unwrap();
    assert_eq!(
        lines,
        [
            "registered Fn".to_owned(),
            format!("INVOKE {id}"),
            "SHUTDOWN spindown".to_owned()
        ]
    );
    assert!(get(&server, "/py").ends_with(" edited"));
}

/// The Lambda Web Adapter's layer: `/opt/bootstrap` ignores the runtime's command line and runs
/// the function's `Handler` as a program.
const EXEC_HANDLER: &str = "#!/bin/sh\nexec \"${LAMBDA_TASK_ROOT}/${_HANDLER}\"\n";

/// A `Handler: run.sh` that starts its own Runtime API client.
const RUN_SH: &str = "#!/bin/sh\nexec python3 \"$LAMBDA_TASK_ROOT/serve.py\"\n";

const SERVE_PY: &str = r#"import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
    body = json.dumps({"statusCode": 200, "body": "served by " + os.environ["_HANDLER"]}).encode()
    urllib.request.urlopen(urllib.request.Request(api + request_id + "/response", data=body, method="POST")).read()
"#;

#[test]
fn a_wrapper_may_run_a_handler_that_names_no_module() {
    let dir = fresh_dir("exec-handler");
    let write = |path: &str, content: &str, mode: u32| {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("layer/bootstrap", EXEC_HANDLER, 0o755);
    write("app/run.sh", RUN_SH, 0o755);
    write("app/serve.py", SERVE_PY, 0o644);
    write(
        "template.yaml",
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Adapter:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layer/}
  Web:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: run.sh
      CodeUri: app/
      Layers: [!Ref Adapter]
      Environment:
        Variables:
          AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap
      Events:
        Get: {Type: Api, Properties: {Path: /web, Method: get}}
",
        0o644,
    );
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    assert_eq!(get(&server, "/web"), "served by run.sh");
    let logs = server.logs().join("\n");
    // AWS deploys and runs it: no "module run not found" warning, and startup says what runs.
    assert!(!logs.contains("not found"), "{logs}");
    assert!(
        logs.contains("Function Web (python3.12) runs ")
            && logs.contains("run.sh through the wrapper "),
        "{logs}"
    );
}
