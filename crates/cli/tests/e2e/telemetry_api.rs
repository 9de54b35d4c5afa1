//! The Telemetry and Logs APIs: an external extension subscribes to both during Init, and its
//! own HTTP listeners receive Lambda's records in batches: Init's (from before it subscribed),
//! each invocation's platform events, the function's lines and the extension's own.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

/// An external extension with two listeners on ports of its own: it subscribes the first to the
/// Telemetry API (every type) and the second to the Logs API (platform and function), and
/// appends each POSTed batch, one JSON line per record, to `$RECORDS/telemetry` or
/// `$RECORDS/logs`.
const SUBSCRIBER: &str = r#"#!/usr/bin/env python3
import http.server, json, os, sys, threading, urllib.request
records = os.environ["RECORDS"]
def listener(file):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_POST(self):
            batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with open(os.path.join(records, file), "a") as f:
                for record in batch:
                    f.write(json.dumps(record) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
name = os.path.basename(__file__)
req = urllib.request.Request(api + "/2020-01-01/extension/register", method="POST",
    data=json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode(),
    headers={"Lambda-Extension-Name": name})
with urllib.request.urlopen(req) as r:
    ext_id = r.headers["Lambda-Extension-Identifier"]
def subscribe(path, version, types, port):
    body = {"schemaVersion": version, "types": types,
            "buffering": {"timeoutMs": 25, "maxItems": 1000, "maxBytes": 262144},
            "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:%d" % port}}
    req = urllib.request.Request(api + path, method="PUT", data=json.dumps(body).encode(),
        headers={"Lambda-Extension-Identifier": ext_id, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        print("subscribed", path, r.status, r.read().decode(), flush=True)
subscribe("/2022-07-01/telemetry", "2022-12-13", ["platform", "function", "extension"], listener("telemetry"))
subscribe("/2020-08-15/logs", "2021-03-18", ["platform", "function"], listener("logs"))
while True:
    req = urllib.request.Request(api + "/2020-01-01/extension/event/next",
        headers={"Lambda-Extension-Identifier": ext_id})
    with urllib.request.urlopen(req) as r:
        event = json.load(r)
    if event["eventType"] == "SHUTDOWN":
        sys.exit(0)
"#;

const HANDLER: &str = "import logging\ndef handler(event, context):\n    print('handler says hi')\n    logging.getLogger().warning('logged hi')\n    if event.get('queryStringParameters'):\n        raise ValueError('asked to fail')\n    return {'statusCode': 200, 'body': context.aws_request_id}\n";

fn project() -> (PathBuf, PathBuf) {
    let dir = fresh_dir("telemetry-api");
    let records = dir.join("records");
    let write = |path: &str, content: &str, mode: u32| {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("layer/extensions/subscriber", SUBSCRIBER, 0o755);
    write("py/app.py", HANDLER, 0o644);
    for folder in [records.clone(), records.join("json")] {
        std::fs::create_dir_all(&folder).unwrap();
        // Sandboxes may run as another user (`nobody` when the tests run as root).
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31
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
      Timeout: 30
      ReservedConcurrentExecutions: 1
      Layers: [!Ref Ext]
      Environment:
        Variables:
          RECORDS: {records}
      Events:
        Get: {{Type: Api, Properties: {{Path: /py, Method: get}}}}
  JsonFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: py/
      LoggingConfig: {{LogFormat: JSON}}
      Layers: [!Ref Ext]
      Environment:
        Variables:
          RECORDS: {records}/json
      Events:
        Get: {{Type: Api, Properties: {{Path: /json, Method: get}}}}
",
        records = records.display(),
    );
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    (dir.join("template.yaml"), records)
}

/// The records one listener got so far.
fn received(records: &Path, api: &str) -> Vec<Value> {
    std::fs::read_to_string(records.join(api))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Waits (up to 10 s) until a listener got a record satisfying `found`.
fn wait_received(records: &Path, api: &str, found: impl Fn(&Value) -> bool) -> Vec<Value> {
    for _ in 0..500 {
        let got = received(records, api);
        if got.iter().any(&found) {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    received(records, api)
}

fn of_type<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == kind).collect()
}

fn is_report_of(id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |r| r["type"] == "platform.report" && r["record"]["requestId"] == id
}

#[test]
fn subscribers_receive_lambdas_records_in_the_documented_shapes() {
    let (template, records) = project();
    let server = Server::start(sluice(), &template, &[]);
    let ok = client().get(server.url("/py")).send().unwrap();
    assert_eq!(ok.status(), 200);
    let id = ok.text().unwrap();
    let got = wait_received(&records, "telemetry", is_report_of(&id));
    let types: Vec<&str> = got.iter().map(|r| r["type"].as_str().unwrap()).collect();
    // Init's records were kept for the subscriber that joined during Init.
    let first = |kind: &str| types.iter().position(|t| *t == kind);
    assert!(
        first("platform.initStart") < first("platform.initRuntimeDone"),
        "{types:?}"
    );
    assert!(
        first("platform.initRuntimeDone") < first("platform.initReport"),
        "{types:?}"
    );
    assert!(
        first("platform.initReport") < first("platform.start"),
        "{types:?}"
    );
    assert!(first("platform.start") < first("function"), "{types:?}");
    assert!(
        first("function") < first("platform.runtimeDone"),
        "{types:?}"
    );
    assert!(
        first("platform.runtimeDone") < first("platform.report"),
        "{types:?}"
    );
    assert!(got
        .iter()
        .all(|r| r["time"].as_str().is_some_and(|t| t.ends_with('Z'))));
    let init_start = &of_type(&got, "platform.initStart")[0]["record"];
    assert_eq!(init_start["initializationType"], "on-demand");
    assert_eq!(init_start["phase"], "init");
    // AWS (schema reference): the runtime version INIT_START names, and the version run.
    assert_eq!(init_start["runtimeVersion"], "python:3.12.v1");
    assert!(init_start["runtimeVersionArn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:lambda:us-east-1::runtime:"));
    assert_eq!(init_start["functionVersion"], "$LATEST");
    assert_eq!(
        of_type(&got, "platform.telemetrySubscription")[0]["record"],
        serde_json::json!({"name": "subscriber", "state": "Subscribed", "types": ["platform", "function", "extension"]})
    );
    let start = &of_type(&got, "platform.start")[0]["record"];
    assert_eq!(start["requestId"], id.as_str());
    assert_eq!(start["version"], "$LATEST");
    assert_eq!(start["tracing"]["type"], "X-Amzn-Trace-Id");
    assert!(start["tracing"]["value"]
        .as_str()
        .unwrap()
        .starts_with("Root=1-"));
    assert!(of_type(&got, "function")
        .iter()
        .any(|r| r["record"] == "handler says hi"));
    // The extension's own output is an `extension` record.
    assert!(of_type(&got, "extension")
        .iter()
        .any(|r| r["record"] == "subscribed /2022-07-01/telemetry 200 OK"));
    let done = &of_type(&got, "platform.runtimeDone")[0]["record"];
    assert_eq!(done["requestId"], id.as_str());
    assert_eq!(done["status"], "success");
    assert!(done["metrics"]["durationMs"].is_f64());
    assert!(done["metrics"]["producedBytes"].as_u64().unwrap() > 0);
    // AWS (RIE; a recorded runtimeDone): the response's spans, and the invocation's tracing.
    let spans = done["spans"].as_array().expect("spans");
    let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["responseLatency", "responseDuration"], "{done}");
    let starts: Vec<&str> = spans.iter().map(|s| s["start"].as_str().unwrap()).collect();
    assert!(
        starts.iter().all(|t| t.len() == 24 && t.ends_with('Z')),
        "{done}"
    );
    assert!(starts[0] <= starts[1], "{done}");
    let within = |span: &Value| {
        span["durationMs"].as_f64().unwrap() <= done["metrics"]["durationMs"].as_f64().unwrap()
    };
    assert!(spans.iter().all(within), "{done}");
    assert_eq!(done["tracing"], start["tracing"]);
    let report = &of_type(&got, "platform.report")[0]["record"];
    assert_eq!(report["status"], "success");
    assert_eq!(report["tracing"], start["tracing"]);
    let metrics = &report["metrics"];
    assert!(metrics["durationMs"].is_f64(), "{report}");
    assert!(
        metrics["billedDurationMs"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert_eq!(metrics["memorySizeMB"], 128);
    assert!(metrics["maxMemoryUsedMB"].as_u64().is_some(), "{report}");
    assert!(metrics["initDurationMs"].is_f64(), "a cold start: {report}");

    // A function error: `error` with the function's errorType; no initDurationMs when warm.
    let failed = client().get(server.url("/py?fail=1")).send().unwrap();
    assert_eq!(failed.status(), 502);
    let got = wait_received(&records, "telemetry", |r| {
        r["type"] == "platform.report" && r["record"]["requestId"] != id.as_str()
    });
    let report = &of_type(&got, "platform.report")[1]["record"];
    assert_eq!(report["status"], "error", "{report}");
    assert_eq!(report["errorType"], "ValueError", "{report}");
    assert!(
        report["metrics"].get("initDurationMs").is_none(),
        "{report}"
    );
    let done = &of_type(&got, "platform.runtimeDone")[1]["record"];
    assert_eq!(
        (&done["status"], &done["errorType"]),
        (&"error".into(), &"ValueError".into())
    );
    // No response, no response spans (RIE: only when the runtime called /response).
    assert!(done.get("spans").is_none(), "{done}");

    // The Logs API words the same invocation its own way: platform.end, no tracing or metrics
    // on platform.start and platform.runtimeDone.
    let logs = wait_received(&records, "logs", is_report_of(&id));
    let first_report = logs.iter().position(is_report_of(&id)).unwrap();
    let kinds: Vec<&str> = logs[..=first_report]
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "platform.logsSubscription",
            "platform.start",
            "function",
            "function",
            "platform.runtimeDone",
            "platform.end",
            "platform.report"
        ]
    );
    assert_eq!(
        of_type(&logs, "platform.start")[0]["record"],
        serde_json::json!({"requestId": id, "version": "$LATEST"})
    );
    assert_eq!(
        of_type(&logs, "platform.runtimeDone")[0]["record"],
        serde_json::json!({"requestId": id, "status": "success"})
    );
    assert!(of_type(&logs, "platform.report")[0]["record"]["metrics"]["initDurationMs"].is_f64());
}

/// AWS: with `LogFormat: JSON` a function's log record reaches subscribers as the JSON object it
/// is; a bare `print` stays text.
#[test]
fn json_format_logs_reach_subscribers_as_objects() {
    let (template, records) = project();
    let server = Server::start(sluice(), &template, &[]);
    let ok = client().get(server.url("/json")).send().unwrap();
    assert_eq!(ok.status(), 200);
    let id = ok.text().unwrap();
    let records = records.join("json");
    let got = wait_received(&records, "telemetry", is_report_of(&id));
    let lines: Vec<&Value> = of_type(&got, "function")
        .into_iter()
        .map(|r| &r["record"])
        .collect();
    assert!(
        lines.contains(&&Value::from("handler says hi")),
        "{lines:?}"
    );
    let logged = lines
        .iter()
        .find(|r| r["message"] == "logged hi")
        .unwrap_or_else(|| panic!("no JSON record: {lines:?}"));
    assert_eq!(logged["level"], "WARNING");
    assert_eq!(logged["requestId"], id.as_str());
}
