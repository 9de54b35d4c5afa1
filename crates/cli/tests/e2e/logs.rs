//! Function logs as CloudWatch keeps them: `sluice logs` and the real AWS CLI read what a running
//! `start-api` wrote, one stream per sandbox named as the function saw it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sluice_testkit::{assert_eventually, ensure_python_module, fresh_dir, Server};

use crate::{client, sluice};

/// A one-function app whose handler logs a marker and returns its log stream's name.
fn app() -> PathBuf {
    let dir = fresh_dir("logs-app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Talker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: talker-fn
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events:
        Talk:
          Type: Api
          Properties:
            Path: /talk
            Method: GET
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"import os

def handler(event, context):
    word = (event.get("queryStringParameters") or {}).get("word", "none")
    print(f"MARKER said {word}")
    if word == "bad":
        print("ERROR something failed")
    return {"statusCode": 200, "body": context.log_stream_name}
"#,
    )
    .unwrap();
    dir.join("template.yaml")
}

fn sluice_logs(template: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(sluice())
        .arg("logs")
        .arg("--template")
        .arg(template)
        .arg("--state-dir")
        .arg(state)
        .args(args)
        .output()
        .expect("running sluice logs")
}

/// `sluice logs` output for `args` once `done` holds for it. The server writes its log store off
/// the request path (a batch a moment after the lines), and this other process cannot make it
/// write sooner: a response does not mean its lines are stored yet, as CloudWatch Logs shows
/// events some time after the function wrote them.
fn sluice_logs_once(
    template: &Path,
    state: &Path,
    args: &[&str],
    done: impl Fn(&str) -> bool,
) -> String {
    let mut text: String;
    assert_eventually!(
        {
            let out = sluice_logs(template, state, args);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            text = String::from_utf8_lossy(&out.stdout).into_owned();
            done(&text)
        },
        "the log store never had it: {text}"
    );
    text
}

fn aws(server: &Server, args: &[&str]) -> Value {
    let out = Command::new("python3")
        .args(["-m", "awscli", "logs"])
        .args(args)
        .args([
            "--endpoint-url",
            &server.services_url,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("running the AWS CLI");
    assert!(
        out.status.success(),
        "aws logs {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the AWS CLI prints JSON")
}

#[test]
fn sluice_logs_and_the_aws_cli_read_each_sandboxs_stream() {
    assert!(
        ensure_python_module("awscli", "awscli"),
        "the AWS CLI (pip install awscli) is needed"
    );
    let template = app();
    let state = fresh_dir("logs-state");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    let talk = |word: &str| {
        let response = client()
            .get(server.url(&format!("/talk?word={word}")))
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().unwrap()
    };
    let stream = talk("hello");
    assert!(
        stream.contains("/[$LATEST]"),
        "the function's stream name: {stream}"
    );
    assert_eq!(talk("bad"), stream, "a warm sandbox keeps its stream");

    // `sam logs` style: every line of the function, stream first; --filter narrows. The second
    // invocation's REPORT is the last line the two wrote.
    let text = sluice_logs_once(&template, &state, &["-n", "Talker"], |text| {
        text.matches("REPORT RequestId:").count() == 2
    });
    for needle in [
        "MARKER said hello",
        "MARKER said bad",
        "START RequestId:",
        "REPORT RequestId:",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    assert!(text.lines().all(|l| l.starts_with(&stream)), "{text}");
    let out = sluice_logs(
        &template,
        &state,
        &["-n", "talker-fn", "--filter", "ERROR", "-s", "1h"],
    );
    let filtered = String::from_utf8_lossy(&out.stdout);
    assert_eq!(filtered.lines().count(), 1, "{filtered}");
    assert!(filtered.contains("ERROR something failed"));
    let out = sluice_logs(&template, &state, &["-n", "Nobody"]);
    assert!(!out.status.success());

    // `sluice report` costs the two invocations from their REPORT lines.
    let report = crate::sluice_report(&template, &state);
    let row = report
        .lines()
        .find(|l| l.starts_with("talker-fn"))
        .unwrap_or_else(|| panic!("no row for the function:\n{report}"));
    assert_eq!(row.split_whitespace().nth(1), Some("2"), "{report}");
    assert!(
        report.contains("Per million requests like these: REST API $"),
        "{report}"
    );

    // The AWS CLI against the services endpoint.
    let groups = aws(&server, &["describe-log-groups"]);
    assert_eq!(
        groups["logGroups"][0]["logGroupName"],
        "/aws/lambda/talker-fn"
    );
    let streams = aws(
        &server,
        &[
            "describe-log-streams",
            "--log-group-name",
            "/aws/lambda/talker-fn",
        ],
    );
    assert_eq!(streams["logStreams"][0]["logStreamName"], stream.as_str());
    let events = aws(
        &server,
        &[
            "get-log-events",
            "--log-group-name",
            "/aws/lambda/talker-fn",
            "--log-stream-name",
            &stream,
            "--start-from-head",
        ],
    );
    let messages = crate::event_messages(&events);
    assert!(
        messages.iter().any(|m| m.starts_with("START RequestId:")),
        "{messages:?}"
    );
    // AWS (docs, "Identifying runtime version changes"): each new execution environment's
    // stream opens with INIT_START, which names the runtime version.
    assert!(
        messages[0].starts_with(
            "INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:"
        ),
        "{messages:?}"
    );
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.starts_with("INIT_START"))
            .count(),
        1,
        "{messages:?}"
    );
    // What `aws logs tail` (CLI v2) sends: FilterLogEvents from a start time, interleaved,
    // paginated; the CLI v1 on PyPI has no `tail`, so its `filter-log-events` makes the same call.
    let since = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        - 600_000)
        .to_string();
    let filtered = aws(
        &server,
        &[
            "filter-log-events",
            "--log-group-name",
            "/aws/lambda/talker-fn",
            "--start-time",
            &since,
            "--interleaved",
            "--filter-pattern",
            "MARKER",
            "--page-size",
            "1",
        ],
    );
    let messages = crate::event_messages(&filtered);
    assert_eq!(
        messages,
        ["MARKER said hello", "MARKER said bad"],
        "{filtered}"
    );
    assert_eq!(filtered["events"][0]["logStreamName"], stream.as_str());
}

#[test]
fn sluice_logs_tail_prints_lines_as_they_arrive() {
    let template = app();
    let state = fresh_dir("logs-tail-state");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    let mut tail = Command::new(sluice())
        .arg("logs")
        .arg("--template")
        .arg(&template)
        .arg("--state-dir")
        .arg(&state)
        .args(["-n", "Talker", "--tail"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting sluice logs --tail");
    let stdout = tail.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let response = client().get(server.url("/talk?word=later")).send().unwrap();
    assert_eq!(response.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("MARKER said later"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = tail.kill();
    let _ = tail.wait();
    assert!(
        seen.iter().any(|l| l.contains("MARKER said later")),
        "--tail printed: {seen:?}"
    );
    assert_eq!(
        seen.iter()
            .filter(|l| l.contains("MARKER said later"))
            .count(),
        1,
        "no repeats: {seen:?}"
    );
}

/// `sluice logs -o json` messages of `function`, each parsed when it is JSON, once one of them
/// is `last` (what the invocation stored last: see [`sluice_logs_once`]).
fn logged_messages(
    template: &Path,
    state: &Path,
    function: &str,
    last: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let messages = |text: &str| -> Vec<Value> {
        text.lines()
            .map(|l| {
                let event: Value = serde_json::from_str(l).expect("-o json prints JSON lines");
                let message = event["message"].as_str().unwrap_or_default().to_owned();
                serde_json::from_str(&message).unwrap_or(Value::String(message))
            })
            .collect()
    };
    let text = sluice_logs_once(template, state, &["-n", function, "-o", "json"], |text| {
        messages(text).iter().any(&last)
    });
    messages(&text)
}

#[test]
fn functions_in_lambdas_json_log_format_log_json_events_by_logging_config_or_variable() {
    let dir = fresh_dir("json-logs-app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
Resources:
  PyJson:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      LoggingConfig:
        LogFormat: JSON
      Events:
        Get: {Type: Api, Properties: {Path: /py, Method: GET}}
  NodeJson:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Environment:
        Variables:
          AWS_LAMBDA_LOG_FORMAT: JSON
      Events:
        Get: {Type: Api, Properties: {Path: /node, Method: GET}}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"import logging
logger = logging.getLogger()

def handler(event, context):
    logger.info("json hello")
    logger.debug("below the default level")
    return {"statusCode": 200, "body": context.aws_request_id}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/index.js"),
        r#"exports.handler = async (event, context) => {
  console.log("node says %s", "hi");
  console.debug("below the default level");
  return { statusCode: 200, body: context.awsRequestId };
};
"#,
    )
    .unwrap();
    let template = dir.join("template.yaml");
    let state = fresh_dir("json-logs-state");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    for (path, function, message, runtime) in [
        ("/py", "PyJson", "json hello", "python:3.12.v1"),
        ("/node", "NodeJson", "node says hi", "nodejs:20.v1"),
    ] {
        let response = client().get(server.url(path)).send().unwrap();
        assert_eq!(response.status(), 200);
        let request_id = response.text().unwrap();
        // END has no JSON form: the invocation's report is the last record it stores.
        let messages = logged_messages(&template, &state, function, |m| {
            m["type"] == "platform.report" && m["record"]["requestId"] == request_id.as_str()
        });
        let of_type = |kind: &str| messages.iter().find(|m| m["type"] == kind);
        // AWS (recorded JSON-format logs): the sandbox's first event.
        assert_eq!(messages[0]["type"], "platform.initStart", "{messages:?}");
        let init = &messages[0]["record"];
        assert_eq!(init["initializationType"], "on-demand");
        assert_eq!(init["phase"], "init");
        assert_eq!(init["runtimeVersion"], runtime);
        assert!(
            init["runtimeVersionArn"]
                .as_str()
                .is_some_and(|a| a.starts_with("arn:aws:lambda:us-east-1::runtime:")),
            "{init}"
        );
        assert_eq!(init["functionName"], function);
        assert_eq!(init["functionVersion"], "$LATEST");
        let start = of_type("platform.start").unwrap_or_else(|| panic!("{messages:?}"));
        assert_eq!(start["record"]["requestId"], request_id.as_str());
        let report = of_type("platform.report").unwrap_or_else(|| panic!("{messages:?}"));
        assert_eq!(report["record"]["status"], "success");
        assert!(
            report["record"]["metrics"]["billedDurationMs"]
                .as_u64()
                .is_some(),
            "{report}"
        );
        let app = messages
            .iter()
            .find(|m| m["message"] == message)
            .unwrap_or_else(|| panic!("no JSON line {message:?} in {messages:?}"));
        assert_eq!(app["level"], "INFO");
        assert_eq!(app["requestId"], request_id.as_str());
        assert!(
            app["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{app}"
        );
        let text = format!("{messages:?}");
        assert!(!text.contains("below the default level"), "{text}");
        assert!(!text.contains("END RequestId"), "{text}");
    }
}

/// A JSON-format function whose Init fails: Lambda's INIT_REPORT lines for the failed Init and
/// its retry inside the invocation are stored as `platform.initReport` events, and the REPORT
/// as a `platform.report` with the error and no `initDurationMs`.
#[test]
fn a_failed_init_is_logged_as_init_report_events_in_the_json_log_format() {
    let dir = fresh_dir("json-init-error-app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: python3.12
      Handler: app.handler
      LoggingConfig:
        LogFormat: JSON
      Events:
        Get: {Type: Api, Properties: {Path: /broken, Method: GET}}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        "import a_module_nobody_installed  # noqa: F401\n\ndef handler(event, context):\n    return {}\n",
    )
    .unwrap();
    let template = dir.join("template.yaml");
    let state = fresh_dir("json-init-error-state");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    let response = client().get(server.url("/broken")).send().unwrap();
    assert_eq!(response.status(), 502);
    let messages = logged_messages(&template, &state, "Broken", |m| {
        m["type"] == "platform.report"
    });
    let init_reports: Vec<&Value> = messages
        .iter()
        .filter(|m| m["type"] == "platform.initReport")
        .collect();
    let phases: Vec<&Value> = init_reports.iter().map(|m| &m["record"]["phase"]).collect();
    assert_eq!(phases, ["init", "invoke"], "{messages:#?}");
    for report in &init_reports {
        let record = &report["record"];
        assert_eq!(record["initializationType"], "on-demand");
        assert_eq!(record["status"], "error");
        assert_eq!(record["errorType"], "Runtime.ImportModuleError");
        assert!(
            record["metrics"]["durationMs"].as_f64().is_some(),
            "{record}"
        );
    }
    let report = messages
        .iter()
        .find(|m| m["type"] == "platform.report")
        .unwrap_or_else(|| panic!("{messages:#?}"));
    assert_eq!(report["record"]["status"], "error");
    assert_eq!(report["record"]["errorType"], "Runtime.ImportModuleError");
    assert!(
        report["record"]["metrics"].get("initDurationMs").is_none(),
        "{report}"
    );
    // The INIT_REPORT text lines are not stored beside their events; one initStart, for the
    // sandbox, none for the retry (as the text format's INIT_START).
    let text = format!("{messages:?}");
    assert!(!text.contains("INIT_REPORT"), "{text}");
    assert!(
        !messages
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.starts_with("INIT_START"))),
        "{text}"
    );
    let starts = messages
        .iter()
        .filter(|m| m["type"] == "platform.initStart")
        .count();
    assert_eq!(starts, 1, "{messages:#?}");
}

/// AWS (docs, "Log-level filtering"): with the JSON log format, Lambda drops its own records
/// below `SystemLogLevel` (START, REPORT of a success and INIT_START are INFO) and the
/// function's JSON objects below `ApplicationLogLevel` by their `"level"` key; output that is no
/// JSON object is kept. Sluice stored everything.
#[test]
fn json_format_records_below_the_log_levels_are_not_stored() {
    let dir = fresh_dir("json-levels-app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Quiet:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: python3.12
      Handler: app.handler
      LoggingConfig:
        LogFormat: JSON
        ApplicationLogLevel: WARN
        SystemLogLevel: WARN
      Events:
        Get: {Type: Api, Properties: {Path: /quiet, Method: GET}}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"import json

def handler(event, context):
    print(json.dumps({"level": "debug", "msg": "a debug object"}))
    print(json.dumps({"msg": "an object without a level"}))
    print(json.dumps({"level": "error", "msg": "an error object"}))
    print("plain text stays")
    return {"statusCode": 200, "body": "ok"}
"#,
    )
    .unwrap();
    let template = dir.join("template.yaml");
    let state = fresh_dir("json-levels-state");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    let response = client().get(server.url("/quiet")).send().unwrap();
    assert_eq!(response.status(), 200);
    // Its last line; the REPORT after it is below WARN.
    let messages = logged_messages(&template, &state, "Quiet", |m| m == "plain text stays");
    let text = format!("{messages:?}");
    assert!(text.contains("an error object"), "{text}");
    assert!(text.contains("plain text stays"), "{text}");
    assert!(!text.contains("a debug object"), "{text}");
    assert!(!text.contains("an object without a level"), "{text}");
    assert!(
        !messages.iter().any(|m| m["type"].as_str().is_some()),
        "no platform record reaches WARN: {messages:#?}"
    );
}
