//! DynamoDB streams drive functions: boto3 writes to a table, the functions mapped to its stream
//! record every record they receive in another table, and the test reads those back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use sluice_testkit::{assert_eventually, ensure_python_module, fresh_dir, Server};

use crate::sluice;

/// Cold starts on a loaded machine: generous, and never asserted on.
const WAIT: Duration = Duration::from_secs(90);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ddb-streams")
}

/// Runs `drive.py` (boto3) against the server; its stdout.
fn drive(server: &Server, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(fixture().join("drive.py"))
        .args(args)
        .env("ENDPOINT", &server.services_url)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "drive.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every delivery the functions recorded: (function tag, the record as received).
fn seen(server: &Server) -> Vec<(String, Value)> {
    let rows: Vec<Value> = serde_json::from_str(&drive(server, &["seen"])).expect("seen is JSON");
    let mut rows: Vec<(String, Value)> = rows
        .into_iter()
        .map(|r| {
            (
                r["tag"].as_str().unwrap_or("").to_owned(),
                r["record"].clone(),
            )
        })
        .collect();
    rows.sort_by_key(|(_, r)| sequence(r));
    rows
}

fn sequence(record: &Value) -> u128 {
    record["dynamodb"]["SequenceNumber"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn key(record: &Value) -> &str {
    record["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap_or("")
}

/// What `tag` received: (key, eventName) in delivery order by sequence number.
fn received(rows: &[(String, Value)], tag: &str) -> Vec<(String, String)> {
    rows.iter()
        .filter(|(t, _)| t == tag)
        .map(|(_, r)| {
            (
                key(r).to_owned(),
                r["eventName"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn start(state: &Path) -> Server {
    start_template(state, "template.yaml")
}

/// Starts Sluice on `state` with the fixture's template `name`.
fn start_template(state: &Path, name: &str) -> Server {
    assert!(ensure_python_module("boto3", "boto3"), "boto3 is needed");
    Server::start_in(sluice(), &fixture().join(name), state, &[])
}

/// One invocation as a per-invocation recorder saw it (`record_invocation` in app.py).
#[derive(Debug, Clone, PartialEq)]
struct Call {
    keys: Vec<String>,
    seqs: Vec<String>,
    /// The event's size, compact JSON.
    bytes: u64,
}

/// The invocations `tag` recorded, in the order they ran.
fn calls(rows: &[(String, Value)], tag: &str) -> Vec<Call> {
    let mut rows: Vec<&Value> = rows
        .iter()
        .filter(|(t, _)| t == tag)
        .map(|(_, r)| r)
        .collect();
    rows.sort_by_key(|r| r["at"].as_u64());
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    rows.iter()
        .map(|r| Call {
            keys: strings(&r["keys"]),
            seqs: strings(&r["seqs"]),
            bytes: r["bytes"].as_u64().unwrap_or(0),
        })
        .collect()
}

fn keys_of(calls: &[Call]) -> Vec<Vec<&str>> {
    calls
        .iter()
        .map(|c| c.keys.iter().map(String::as_str).collect())
        .collect()
}

/// The invocation record a give-up line carries (its `record=` field, logged last).
fn logged_record(line: &str) -> Value {
    let json = line
        .split_once(" record=")
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("no record in {line}"));
    serde_json::from_str(json).unwrap_or_else(|e| panic!("record is not JSON ({e}): {json}"))
}

/// Checks an on-failure invocation record against the shape recorded from AWS (LocalStack's
/// test_lambda_integration_dynamodbstreams.snapshot.json, test_dynamodb_event_source_mapping_with_
/// on_failure_destination_config): its keys in order, the ARNs, the timestamps' formats.
fn assert_failure_record_shape(record: &Value) {
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(record),
        [
            "requestContext",
            "responseContext",
            "version",
            "timestamp",
            "DDBStreamBatchInfo"
        ],
        "{record}"
    );
    assert_eq!(
        keys(&record["requestContext"]),
        [
            "requestId",
            "functionArn",
            "condition",
            "approximateInvokeCount"
        ],
        "{record}"
    );
    assert_eq!(
        keys(&record["responseContext"]),
        ["statusCode", "executedVersion", "functionError"],
        "{record}"
    );
    assert_eq!(
        keys(&record["DDBStreamBatchInfo"]),
        [
            "shardId",
            "startSequenceNumber",
            "endSequenceNumber",
            "approximateArrivalOfFirstRecord",
            "approximateArrivalOfLastRecord",
            "batchSize",
            "streamArn"
        ],
        "{record}"
    );
    let function_arn = record["requestContext"]["functionArn"]
        .as_str()
        .unwrap_or("");
    assert!(
        function_arn.starts_with("arn:aws:lambda:us-east-1:123456789012:function:")
            && !function_arn.contains("$LATEST"),
        "unqualified, as recorded: {record}"
    );
    assert_eq!(record["responseContext"]["statusCode"], 200, "{record}");
    assert_eq!(
        record["responseContext"]["executedVersion"], "$LATEST",
        "{record}"
    );
    assert_eq!(record["version"], "1.0", "{record}");
    // `2022-07-13T13:48:01.000Z`; the arrivals without milliseconds, `2022-07-13T13:48:01Z`.
    let stamp = record["timestamp"].as_str().unwrap_or("");
    assert!(
        stamp.len() == 24 && stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.',
        "{record}"
    );
    let info = &record["DDBStreamBatchInfo"];
    for arrival in [
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
    ] {
        let at = info[arrival].as_str().unwrap_or("");
        assert!(
            at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
            "{record}"
        );
    }
    assert!(
        info["shardId"].as_str().is_some_and(|s| !s.is_empty()),
        "{record}"
    );
    assert!(
        info["streamArn"].as_str().is_some_and(
            |a| a.starts_with("arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/")
        ),
        "{record}"
    );
}

/// Starts Sluice on `state`, puts `keys`, and waits until the function has received them all;
/// returns the server and the rows it has seen.
fn start_and_deliver(state: &Path, keys: &[&str]) -> (Server, Vec<(String, Value)>) {
    let server = start(state);
    for key in keys {
        drive(&server, &["put", key]);
    }
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        rows = seen(&server);
        received(&rows, "all").len() >= keys.len()
    }, "{keys:?} never arrived: {:#?}", server.logs());
    (server, rows)
}

/// Starts Sluice again on `state` (after `what`), puts `key`, waits until the function has it,
/// and checks that every key arrived exactly once, in the order `expected` gives.
fn restart_delivers_once(state: &Path, key: &str, expected: &[&str], what: &str) {
    let server = start(state);
    drive(&server, &["put", key]);
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        rows = seen(&server);
        received(&rows, "all").iter().any(|(k, _)| k == key)
    }, "{key} never arrived after {what}: {rows:#?}\n{:#?}", server.logs());
    let keys: Vec<String> = received(&rows, "all").into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, expected, "{rows:#?}");
}

#[test]
fn stream_records_reach_the_function_as_dynamodbs_batch_event_and_filters_drop_the_rest() {
    let server = start(&fresh_dir("ddb-streams"));
    drive(&server, &["put", "a", "kind=basic"]);
    drive(&server, &["update", "a", "kind=vip-upgraded"]);
    drive(&server, &["delete", "a"]);
    drive(&server, &["put", "b", "kind=vip-gold"]);
    drive(&server, &["put", "c", "kind=basic"]);
    drive(&server, &["put", "z", "kind=vip-last"]);
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        rows = seen(&server);
        received(&rows, "all").len() >= 6 && received(&rows, "vip").iter().any(|(k, _)| k == "z")
    }, "the consumers never received every record: {rows:#?}\n{:#?}", server.logs());
    let pair = |k: &str, e: &str| (k.to_owned(), e.to_owned());
    assert_eq!(
        received(&rows, "all"),
        vec![
            pair("a", "INSERT"),
            pair("a", "MODIFY"),
            pair("a", "REMOVE"),
            pair("b", "INSERT"),
            pair("c", "INSERT"),
            pair("z", "INSERT"),
        ]
    );
    // The filter: inserts whose kind starts with "vip" (a's MODIFY to vip-upgraded is not one).
    // z is the last record written, so every earlier record was already filtered or delivered.
    assert_eq!(
        received(&rows, "vip"),
        vec![pair("b", "INSERT"), pair("z", "INSERT")]
    );

    let all: Vec<&Value> = rows
        .iter()
        .filter(|(t, _)| t == "all")
        .map(|(_, r)| r)
        .collect();
    for record in &all {
        assert_eq!(record["eventSource"], "aws:dynamodb", "{record}");
        assert_eq!(record["eventVersion"], "1.1", "{record}");
        assert_eq!(record["awsRegion"], "us-east-1", "{record}");
        assert!(
            record["eventID"].as_str().is_some_and(|id| !id.is_empty()),
            "{record}"
        );
        let arn = record["eventSourceARN"].as_str().unwrap_or("");
        assert!(
            arn.starts_with("arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/"),
            "{record}"
        );
        let d = &record["dynamodb"];
        assert_eq!(d["StreamViewType"], "NEW_AND_OLD_IMAGES", "{record}");
        assert!(d["ApproximateCreationDateTime"].is_number(), "{record}");
        assert!(d["SizeBytes"].as_u64().is_some_and(|n| n > 0), "{record}");
    }
    let (insert, modify, remove) = (
        &all[0]["dynamodb"],
        &all[1]["dynamodb"],
        &all[2]["dynamodb"],
    );
    assert_eq!(insert["NewImage"]["kind"]["S"], "basic");
    assert!(insert.get("OldImage").is_none(), "{insert}");
    assert_eq!(modify["OldImage"]["kind"]["S"], "basic");
    assert_eq!(modify["NewImage"]["kind"]["S"], "vip-upgraded");
    assert_eq!(remove["OldImage"]["kind"]["S"], "vip-upgraded");
    assert!(remove.get("NewImage").is_none(), "{remove}");
    assert_eq!(remove["Keys"]["pk"]["S"], "a");

    // The batch event is what AWS's Rust types read.
    let event = serde_json::json!({ "Records": all });
    let parsed: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_value(event).expect("aws_lambda_events reads the event");
    assert_eq!(parsed.records.len(), 6);
    assert_eq!(parsed.records[1].event_name, "MODIFY");
    assert_eq!(
        parsed.records[1].change.stream_view_type,
        Some(aws_lambda_events::event::dynamodb::StreamViewType::NewAndOldImages)
    );
}

#[test]
fn report_batch_item_failures_resumes_from_the_first_failed_record() {
    let server = start(&fresh_dir("ddb-streams-partial"));
    // One transaction: the three records reach the stream at once, so they share a batch.
    drive(&server, &["transact", "p1", "p2:failOnce=yes", "p3"]);
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        rows = seen(&server);
        received(&rows, "partial").iter().any(|(k, _)| k == "p3")
    }, "p3 never reached the function: {rows:#?}\n{:#?}", server.logs());
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (k, _) in received(&rows, "partial") {
        *counts.entry(k).or_default() += 1;
    }
    // p1 succeeded and is not redelivered; p2 failed once and came back; p3 came after it.
    let expected: BTreeMap<String, usize> = [("p1", 1), ("p2", 2), ("p3", 1)]
        .map(|(k, n)| (k.to_owned(), n))
        .into();
    assert_eq!(counts, expected, "{rows:#?}");
}

#[test]
fn a_restart_resumes_after_the_checkpoint_without_redelivering() {
    let state = fresh_dir("ddb-streams-restart");
    let (mut first, _) = start_and_deliver(&state, &["r1", "r2"]);
    assert!(first.stop(), "sluice did not stop on SIGTERM");
    restart_delivers_once(&state, "r3", &["r1", "r2", "r3"], "the restart");
}

/// The store's SQLite file under a state folder.
fn store_file(state: &Path) -> PathBuf {
    let mut dirs = vec![state.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("state folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n == "dynamodb.sqlite3") {
                return path;
            }
        }
    }
    panic!("no dynamodb.sqlite3 under {}", state.display());
}

#[test]
fn an_older_sluices_single_checkpoint_is_resumed_after_an_upgrade() {
    let state = fresh_dir("ddb-streams-upgrade");
    let (mut first, _) = start_and_deliver(&state, &["u1", "u2"]);
    assert!(first.stop(), "sluice did not stop on SIGTERM");

    // Make the file what an older Sluice left behind: one checkpoint per mapping (the last
    // handled record), no per-shard checkpoints.
    let script = "import sqlite3, sys\n\
        c = sqlite3.connect(sys.argv[1])\n\
        n = c.execute('INSERT OR REPLACE INTO stream_checkpoints(mapping, arn, sequence, updated) \
        SELECT mapping, arn, sequence, updated FROM stream_shard_checkpoints \
        WHERE sequence IS NOT NULL').rowcount\n\
        c.execute('DROP TABLE stream_shard_checkpoints')\n\
        c.commit()\n\
        print(n)\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(store_file(&state))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let moved: usize = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a count");
    assert!(moved >= 1, "no checkpoint to turn into an older one");

    // Resumed after the older checkpoint: nothing redelivered, nothing skipped.
    restart_delivers_once(&state, "u3", &["u1", "u2", "u3"], "the upgrade");
}

/// Each of the fixture's four mappings on `orders` has checkpointed its shard at `sequence` or
/// later, as the store's file shows.
fn all_checkpointed(state: &Path, sequence: u128) -> bool {
    let script = "import sqlite3, sys\n\
        c = sqlite3.connect(sys.argv[1])\n\
        rows = c.execute('SELECT sequence FROM stream_shard_checkpoints').fetchall()\n\
        print(sum(1 for (s,) in rows if s is not None and int(s) >= int(sys.argv[2])))\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(store_file(state))
        .arg(sequence.to_string())
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
        >= 4
}

#[test]
fn a_checkpoint_written_before_a_kill_9_is_not_lost() {
    let state = fresh_dir("ddb-streams-kill9");
    let (mut first, rows) = start_and_deliver(&state, &["k1", "k2"]);
    let last = rows
        .iter()
        .map(|(_, r)| sequence(r))
        .max()
        .expect("records");
    assert_eventually!(within WAIT; all_checkpointed(&state, last),
        "the mappings never checkpointed {last}: {:#?}", first.logs());
    first.kill9();
    restart_delivers_once(&state, "k3", &["k1", "k2", "k3"], "the kill");
}

/// A `moto_server` on a free port, stopped when dropped.
struct Moto {
    child: std::process::Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        assert!(
            ensure_python_module("moto.server", "moto[server]"),
            "moto[server] is needed (requirements-test.txt)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto starts");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        assert_eventually!(within WAIT;
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            "moto_server never listened on {port}");
        moto
    }

    /// `drive.py` straight against moto, bypassing Sluice.
    fn drive(&self, args: &[&str]) -> String {
        let out = Command::new("python3")
            .arg(fixture().join("drive.py"))
            .args(args)
            .env("ENDPOINT", &self.url)
            .env_remove("AWS_PROFILE")
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn with_dynamodb_endpoint_the_tables_and_their_streams_live_in_the_other_service() {
    let moto = Moto::start();
    let credentials = [
        ("AWS_ACCESS_KEY_ID", std::ffi::OsStr::new("AKIDSLUICETEST")),
        ("AWS_SECRET_ACCESS_KEY", std::ffi::OsStr::new("secret")),
    ];
    let server = Server::start_with_env(
        sluice(),
        &fixture().join("template.yaml"),
        &["--dynamodb-endpoint", &moto.url],
        &credentials,
    );
    // Written through Sluice, stored in moto: the template's table was created there.
    drive(&server, &["put", "m1", "kind=vip-remote"]);
    let item: Value = serde_json::from_str(&moto.drive(&["get", "m1"])).expect("JSON");
    assert_eq!(item["kind"]["S"], "vip-remote", "{item}");
    // The pollers read moto's stream; the functions' own writes (through Sluice) land in moto.
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        let text = moto.drive(&["seen"]);
        let parsed: Vec<Value> = serde_json::from_str(&text).expect("JSON");
        rows = parsed
            .into_iter()
            .map(|r| (r["tag"].as_str().unwrap_or("").to_owned(), r["record"].clone()))
            .collect();
        received(&rows, "all").len() == 1 && received(&rows, "vip").len() == 1
    }, "moto's stream never reached the functions: {rows:#?}\n{:#?}", server.logs());
    assert_eq!(
        received(&rows, "all"),
        [("m1".to_owned(), "INSERT".to_owned())]
    );
    assert_eq!(rows[0].1["dynamodb"]["NewImage"]["kind"]["S"], "vip-remote");
}

/// AWS (Lambda developer guide, services-dynamodb-errors): with BisectBatchOnFunctionError a
/// failed batch is split in two, and "Splitting batches doesn't consume the retry quota"; the
/// record given up on is logged as the invocation record its OnFailure destination would get.
#[test]
fn a_failing_batch_is_bisected_down_to_the_bad_record_which_alone_uses_the_retries() {
    let server = start(&fresh_dir("ddb-streams-poison"));
    // One transaction, so one batch: q2 poisons whichever batch holds it.
    drive(&server, &["transact", "q1", "q2:poison=yes", "q3", "q4"]);
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        rows = seen(&server);
        calls(&rows, "poison").len() >= 6
    }, "the poisoned batch was not bisected and retried: {rows:#?}\n{:#?}", server.logs());
    // Halves until q2 is alone (no retry used), then q2's one retry; q1, q3 and q4 go through.
    let calls = calls(&rows, "poison");
    assert_eq!(
        keys_of(&calls),
        [
            vec!["q1", "q2", "q3", "q4"],
            vec!["q1", "q2"],
            vec!["q1"],
            vec!["q2"],
            vec!["q2"],
            vec!["q3", "q4"]
        ]
    );
    let line = server
        .wait_for_log("stream record(s)")
        .unwrap_or_else(|| panic!("no give-up line: {:#?}", server.logs()));
    assert!(
        line.contains("1 stream record(s)")
            && line.contains("every retry failed")
            && line.contains("poison-dlq is not emulated"),
        "{line}"
    );
    let record = logged_record(&line);
    assert_failure_record_shape(&record);
    let q2 = &calls[3].seqs[0];
    assert_eq!(
        record["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    // Every invocation that carried q2.
    assert_eq!(
        record["requestContext"]["approximateInvokeCount"], 4,
        "{record}"
    );
    assert_eq!(record["responseContext"]["functionError"], "Unhandled");
    let info = &record["DDBStreamBatchInfo"];
    assert_eq!(
        (
            &info["startSequenceNumber"],
            &info["endSequenceNumber"],
            &info["batchSize"]
        ),
        (
            &Value::from(q2.as_str()),
            &Value::from(q2.as_str()),
            &Value::from(1)
        ),
        "{record}"
    );
}

/// AWS (services-ddb-batchfailurereporting, "Bisecting a batch"): with ReportBatchItemFailures and
/// BisectBatchOnFunctionError both on, a partial-failure answer bisects the batch "at the
/// returned sequence number and Lambda retries only the remaining records"; once the retries run
/// out, the record sent on failure names the function's answer as no error (`functionError`
/// null, as recorded in test_dynamodb_report_batch_item_failures).
#[test]
fn a_partial_failure_is_retried_from_the_reported_record_whole_then_given_up_on() {
    let server = start_template(&fresh_dir("ddb-streams-split"), "failures.yaml");
    drive(
        &server,
        &["transact", "s1", "s2:failAlways=yes", "s3", "s4"],
    );
    let given_up = || {
        server
            .logs()
            .into_iter()
            .find(|l| l.contains("Split/Changes") && l.contains("stream record(s)"))
    };
    assert_eventually!(within WAIT; given_up().is_some(),
        "nothing given up on: {:#?}", server.logs());
    let line = given_up().unwrap_or_default();
    let rows = seen(&server);
    let calls = calls(&rows, "split");
    assert_eq!(
        keys_of(&calls),
        [vec!["s1", "s2", "s3", "s4"], vec!["s2", "s3", "s4"]],
        "{line}"
    );
    assert!(
        line.contains("3 stream record(s)") && line.contains("every retry failed"),
        "{line}"
    );
    let record = logged_record(&line);
    assert_failure_record_shape(&record);
    assert_eq!(
        record["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(
        record["requestContext"]["approximateInvokeCount"], 2,
        "{record}"
    );
    assert_eq!(
        record["responseContext"]["functionError"],
        Value::Null,
        "{record}"
    );
    let info = &record["DDBStreamBatchInfo"];
    assert_eq!(info["batchSize"], 3, "{record}");
    assert_eq!(
        info["startSequenceNumber"],
        calls[1].seqs[0].as_str(),
        "{record}"
    );
    assert_eq!(
        info["endSequenceNumber"],
        calls[1].seqs[2].as_str(),
        "{record}"
    );
}

/// AWS (services-dynamodb-errors): "If a Lambda event source mapping is unable to invoke the
/// function due to throttling or other issues, it retries until the records expire or exceed the
/// maximum age"; MaximumRetryAttempts (0 here) and bisection are for function errors only.
#[test]
fn a_function_that_cannot_be_invoked_is_retried_without_using_the_retry_quota() {
    let server = start_template(&fresh_dir("ddb-streams-throttled"), "failures.yaml");
    drive(&server, &["transact", "t1", "t2"]);
    let attempts = || {
        server
            .logs()
            .into_iter()
            .filter(|l| l.contains("Throttled/Changes"))
            .collect::<Vec<String>>()
    };
    assert_eventually!(within WAIT;
        attempts().iter().filter(|l| l.contains("not invoked")).count() >= 3
            || attempts().iter().any(|l| l.contains("skipped")),
        "no attempt to invoke: {:#?}", server.logs());
    let lines = attempts();
    assert!(
        !lines.iter().any(|l| l.contains("skipped")),
        "records given up on while the function could not run: {lines:#?}"
    );
}

/// AWS (Lambda developer guide, invocation-eventsourcemapping, "Batching behavior"): a batch is
/// sent when it reaches BatchSize, the batching window ends, or the payload reaches 6 MB; Sluice
/// sent one 7 MB event, which Lambda refuses (RequestEntityTooLarge), so nothing was delivered.
#[test]
fn records_gathered_past_six_megabytes_go_in_several_invocations() {
    let server = start_template(&fresh_dir("ddb-streams-big"), "failures.yaml");
    // 20 items of about 390 KB in one BatchWriteItem: 7.8 MB of records within one window.
    drive(&server, &["bulk", "b", "20", "390000"]);
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        rows = seen(&server);
        calls(&rows, "big").iter().map(|c| c.keys.len()).sum::<usize>() >= 20
    }, "the records never reached the function: {:#?}", server.logs());
    let calls = calls(&rows, "big");
    let keys: Vec<&str> = calls
        .iter()
        .flat_map(|c| c.keys.iter().map(String::as_str))
        .collect();
    let expected: Vec<String> = (1..=20).map(|i| format!("b{i}")).collect();
    assert_eq!(keys, expected, "each record once, in order: {calls:#?}");
    assert!(calls.len() >= 2, "{calls:#?}");
    for call in &calls {
        assert!(
            call.bytes <= 6 * 1024 * 1024,
            "{} bytes in one event",
            call.bytes
        );
    }
}

#[test]
fn a_reload_hands_the_stream_to_the_new_pollers_at_the_checkpoint() {
    let dir = fresh_dir("ddb-streams-reload");
    std::fs::create_dir_all(dir.join("src")).expect("src");
    let template = std::fs::read_to_string(fixture().join("template.yaml")).expect("template");
    std::fs::write(dir.join("template.yaml"), &template).expect("write");
    std::fs::copy(fixture().join("src/app.py"), dir.join("src/app.py")).expect("copy");
    assert!(ensure_python_module("boto3", "boto3"), "boto3 is needed");
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    drive(&server, &["put", "r1"]);
    assert_eventually!(within WAIT; received(&seen(&server), "all").len() == 1,
        "r1 never arrived: {:#?}", server.logs());

    // Saved the way editors save: the template changes, the generation is replaced.
    let partial = dir.join("template.saving");
    std::fs::write(&partial, template.replace("BatchSize: 10", "BatchSize: 20")).expect("write");
    std::fs::rename(&partial, dir.join("template.yaml")).expect("rename");
    assert!(
        server.wait_for_log("Reloaded").is_some(),
        "no reload: {:#?}",
        server.logs()
    );
    drive(&server, &["put", "r2"]);
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        rows = seen(&server);
        received(&rows, "all").iter().any(|(k, _)| k == "r2")
    }, "r2 never arrived after the reload: {rows:#?}\n{:#?}", server.logs());
    let keys: Vec<String> = received(&rows, "all").into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["r1", "r2"], "{rows:#?}");
}
