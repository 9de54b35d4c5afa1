//! The real AWS CLI v2 against the services endpoint: `aws logs tail` (its formats, `--since`,
//! `--filter-pattern`, stream prefixes and `--follow`), `filter-log-events`, `get-log-events` and
//! `describe-log-streams`, reading what a running `start-api` wrote. `tail` is v2 only, so these
//! run Debian's `awscli` (testkit's `aws_cli_v2`), not PyPI's v1.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sluice_testkit::{aws_cli_v2_or_skip, aws_command, fresh_dir, Server};

use crate::{client, sluice};

/// A one-function app whose handler prints a plain line and a JSON line naming the word it got,
/// and answers with its log stream's name.
fn app() -> PathBuf {
    let dir = fresh_dir("aws-cli-logs-app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Teller:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: teller-fn
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events:
        Tell:
          Type: Api
          Properties:
            Path: /tell
            Method: GET
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/app.py"),
        r#"import json

def handler(event, context):
    word = (event.get("queryStringParameters") or {}).get("word", "none")
    print(f"MARKER said {word}")
    print(json.dumps({"level": "INFO", "word": word}))
    return {"statusCode": 200, "body": context.log_stream_name}
"#,
    )
    .unwrap();
    dir.join("template.yaml")
}

const GROUP: &str = "/aws/lambda/teller-fn";

/// Requests `/tell?word=…` and returns the function's log stream name.
fn tell(server: &Server, word: &str) -> String {
    let response = client()
        .get(server.url(&format!("/tell?word={word}")))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().unwrap()
}

/// `aws --endpoint-url … --region us-east-1 logs <args>`, not started.
fn aws_logs_command(aws: &Path, server: &Server, args: &[&str]) -> Command {
    let mut command = aws_command(aws);
    command
        .args([
            "--endpoint-url",
            &server.services_url,
            "--region",
            "us-east-1",
            "logs",
        ])
        .args(args);
    command
}

/// [`aws_logs_command`], finished.
fn aws_logs(aws: &Path, server: &Server, args: &[&str]) -> Output {
    aws_logs_command(aws, server, args)
        .output()
        .expect("running the AWS CLI")
}

/// Its standard output, after checking it succeeded.
fn aws_ok(aws: &Path, server: &Server, args: &[&str]) -> String {
    let out = aws_logs(aws, server, args);
    assert!(
        out.status.success(),
        "aws logs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn aws_json(aws: &Path, server: &Server, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    serde_json::from_str(&aws_ok(aws, server, &all)).expect("the AWS CLI prints JSON")
}

fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `2026-01-31T10:00:00.123Z`: the ISO 8601 form `--since` takes.
fn iso(millis: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .expect("a timestamp of this century");
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(format).unwrap()
}

#[test]
fn aws_logs_tail_and_filter_log_events_read_the_functions_stream_through_the_aws_cli_v2() {
    let test =
        "aws_logs_tail_and_filter_log_events_read_the_functions_stream_through_the_aws_cli_v2";
    let Some(aws) = aws_cli_v2_or_skip(test) else {
        return;
    };
    let server = Server::start_in(sluice(), &app(), &fresh_dir("aws-cli-logs-state"), &[]);
    let stream = tell(&server, "first");

    // The default (`detailed`): ISO time with microseconds, the stream, the message.
    let detailed = aws_ok(&aws, &server, &["tail", GROUP]);
    let marker = lines_with(&detailed, "MARKER said first");
    assert_eq!(marker.len(), 1, "{detailed}");
    let fields: Vec<&str> = marker[0].splitn(3, ' ').collect();
    assert!(fields[0].ends_with("+00:00"), "{detailed}");
    assert_eq!(fields[1], stream, "{detailed}");
    assert_eq!(fields[2], "MARKER said first");
    for needle in ["START RequestId:", "END RequestId:", "REPORT RequestId:"] {
        assert_eq!(
            lines_with(&detailed, needle).len(),
            1,
            "{needle}: {detailed}"
        );
    }

    // `short`: time and message only; `json`: JSON messages pretty-printed.
    let short = aws_ok(&aws, &server, &["tail", GROUP, "--format", "short"]);
    let line = lines_with(&short, "MARKER said first")[0];
    assert!(!line.contains(&stream), "{short}");
    assert!(
        line.split_once(' ')
            .is_some_and(|(time, rest)| time.len() == 19 && rest == "MARKER said first"),
        "{short}"
    );
    let json = aws_ok(&aws, &server, &["tail", GROUP, "--format", "json"]);
    assert!(
        json.contains("{\n    \"level\": \"INFO\",\n    \"word\": \"first\"\n}"),
        "{json}"
    );

    // Filter patterns: a term, a quoted phrase, and a JSON selector.
    let only = |args: &[&str]| -> String {
        let mut all = vec!["tail", GROUP, "--format", "short"];
        all.extend_from_slice(args);
        aws_ok(&aws, &server, &all)
    };
    let terms = only(&["--filter-pattern", "MARKER"]);
    assert_eq!(terms.lines().count(), 1, "{terms}");
    let phrase = only(&["--filter-pattern", "\"said first\""]);
    assert_eq!(phrase.lines().count(), 1, "{phrase}");
    let selected = only(&["--filter-pattern", "{ $.word = \"first\" }"]);
    assert_eq!(selected.lines().count(), 1, "{selected}");
    assert!(
        selected.contains("{\"level\": \"INFO\", \"word\": \"first\"}"),
        "{selected}"
    );
    let none = only(&["--filter-pattern", "{ $.word = \"nobody\" }"]);
    assert_eq!(none, "", "no event matches");

    // Stream selection: the sandbox's prefix keeps its events, another prefix has none.
    let prefixed = only(&["--log-stream-name-prefix", &stream[..15]]);
    assert_eq!(
        lines_with(&prefixed, "MARKER said first").len(),
        1,
        "{prefixed}"
    );
    let named = only(&["--log-stream-names", &stream]);
    assert_eq!(lines_with(&named, "MARKER said first").len(), 1, "{named}");
    assert_eq!(only(&["--log-stream-name-prefix", "1999/"]), "");

    // `--since`: an ISO time after the first invocation's last event leaves only the second's.
    let first = aws_json(
        &aws,
        &server,
        &["filter-log-events", "--log-group-name", GROUP],
    );
    let events = first["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        6,
        "INIT_START, START, two lines, END, REPORT: {first}"
    );
    let last_first = events
        .iter()
        .filter_map(|e| e["timestamp"].as_i64())
        .max()
        .unwrap();
    // The second invocation's events must carry later timestamps than the first's.
    while now_millis() <= last_first {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(
        tell(&server, "second"),
        stream,
        "a warm sandbox keeps its stream"
    );
    let since = iso(last_first + 1);
    let later = only(&["--since", &since]);
    assert_eq!(lines_with(&later, "MARKER said second").len(), 1, "{later}");
    assert!(lines_with(&later, "said first").is_empty(), "{later}");
    let hour = only(&["--since", "1h", "--filter-pattern", "MARKER"]);
    assert_eq!(hour.lines().count(), 2, "{hour}");

    // `filter-log-events` as `tail` calls it: from a start time, interleaved, one event a page
    // (the CLI follows each nextToken), and which streams were searched.
    let from = (last_first - 600_000).to_string();
    let filtered = aws_json(
        &aws,
        &server,
        &[
            "filter-log-events",
            "--log-group-name",
            GROUP,
            "--start-time",
            &from,
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
        ["MARKER said first", "MARKER said second"],
        "{filtered}"
    );
    assert_eq!(filtered["events"][1]["logStreamName"], stream.as_str());
    assert_eq!(
        filtered["searchedLogStreams"][0]["logStreamName"],
        stream.as_str(),
        "{filtered}"
    );

    // The stream as `describe-log-streams` and `get-log-events` give it.
    let streams = aws_json(
        &aws,
        &server,
        &[
            "describe-log-streams",
            "--log-group-name",
            GROUP,
            "--order-by",
            "LastEventTime",
            "--descending",
        ],
    );
    assert_eq!(streams["logStreams"][0]["logStreamName"], stream.as_str());
    assert!(
        streams["logStreams"][0]["lastEventTimestamp"].as_i64() > Some(last_first),
        "{streams}"
    );
    let read = aws_json(
        &aws,
        &server,
        &[
            "get-log-events",
            "--log-group-name",
            GROUP,
            "--log-stream-name",
            &stream,
            "--start-from-head",
        ],
    );
    let messages = crate::event_messages(&read);
    // AWS: the sandbox's INIT_START, then two invocations of five lines.
    assert_eq!(messages.len(), 11, "{read}");
    assert!(
        messages[0].starts_with("INIT_START Runtime Version: "),
        "{messages:?}"
    );
    assert!(messages[1].starts_with("START RequestId:"), "{messages:?}");
    assert_eq!(messages[7], "MARKER said second", "{messages:?}");

    // A group that does not exist is the CLI's ResourceNotFoundException.
    let missing = aws_logs(&aws, &server, &["tail", "/aws/lambda/nobody"]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
}

#[test]
fn aws_logs_tail_follow_prints_each_new_line_once() {
    let Some(aws) = aws_cli_v2_or_skip("aws_logs_tail_follow_prints_each_new_line_once") else {
        return;
    };
    let server = Server::start_in(sluice(), &app(), &fresh_dir("aws-cli-follow-state"), &[]);
    tell(&server, "before");
    let mut follow = aws_logs_command(
        &aws,
        &server,
        &["tail", GROUP, "--follow", "--format", "short"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("starting aws logs tail --follow");
    let stdout = follow.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen: Vec<String> = Vec::new();
    let mut wait_for = |needle: &str| {
        // `tail --follow` polls every five seconds; a generous bound for a loaded machine.
        let deadline = Instant::now() + Duration::from_secs(90);
        while !seen.iter().any(|l| l.contains(needle)) {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        seen.iter().any(|l| l.contains(needle))
    };
    let saw_before = wait_for("MARKER said before");
    let saw_during = saw_before && {
        tell(&server, "during");
        wait_for("MARKER said during")
    };
    // One more poll's worth of lines, so a repeated event would show up before the kill.
    let saw_after = saw_during && {
        tell(&server, "after");
        wait_for("MARKER said after")
    };
    let _ = follow.kill();
    let stderr = follow
        .wait_with_output()
        .map(|out| String::from_utf8_lossy(&out.stderr).into_owned())
        .unwrap_or_default();
    assert!(
        saw_before && saw_during && saw_after,
        "--follow printed: {seen:?}\nstderr: {stderr}"
    );
    for word in ["before", "during", "after"] {
        let marker = format!("MARKER said {word}");
        assert_eq!(
            seen.iter().filter(|l| l.ends_with(&marker)).count(),
            1,
            "each event once: {seen:?}"
        );
    }
    assert_eq!(
        seen.iter()
            .filter(|l| l.contains("START RequestId:"))
            .count(),
        3,
        "{seen:?}"
    );
}
