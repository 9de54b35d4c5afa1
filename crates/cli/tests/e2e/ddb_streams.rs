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
    assert!(ensure_python_module("boto3", "boto3"), "boto3 is needed");
    Server::start_in(sluice(), &fixture().join("template.yaml"), state, &[])
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

#[test]
fn a_failing_batch_is_bisected_retried_and_given_up_on_after_maximum_retry_attempts() {
    let server = start(&fresh_dir("ddb-streams-poison"));
    // One transaction, so one batch: q2 poisons whichever batch holds it.
    drive(&server, &["transact", "q1", "q2:poison=yes", "q3", "q4"]);
    let invocations = |rows: &[(String, Value)]| -> Vec<Vec<String>> {
        let mut calls: Vec<&Value> = rows
            .iter()
            .filter(|(t, _)| t == "poison")
            .map(|(_, r)| r)
            .collect();
        calls.sort_by_key(|r| r["at"].as_u64());
        calls
            .iter()
            .map(|r| {
                r["keys"]
                    .as_array()
                    .map(|k| {
                        k.iter()
                            .filter_map(|k| k.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    };
    let mut rows: Vec<(String, Value)>;
    assert_eventually!(within WAIT; {
        rows = seen(&server);
        invocations(&rows).len() >= 3
    }, "the poisoned batch was not retried: {rows:#?}\n{:#?}", server.logs());
    // The whole batch fails; its halves are retried; the half with q2 fails again and, with one
    // retry allowed, is given up on (logged, naming the destination that is not emulated).
    assert_eq!(
        invocations(&rows),
        [
            vec!["q1", "q2", "q3", "q4"],
            vec!["q1", "q2"],
            vec!["q3", "q4"]
        ]
    );
    assert!(
        server.wait_for_log("2 stream record(s)").is_some_and(
            |l| l.contains("every retry failed") && l.contains("poison-dlq is not emulated")
        ),
        "{:#?}",
        server.logs()
    );
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
