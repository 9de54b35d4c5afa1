//! What a hostile or careless handler cannot do: use another sandbox's Runtime API, leave
//! processes behind, or take more memory than its `MemorySize`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_testkit::{assert_eventually, Server};

use crate::{client, get_json, running_as_root, sluice};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hardening/template.yaml")
}

/// True while `pid` is a live (non-zombie) process.
fn alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Field 3 is the state; after ") " in "pid (comm) S ...".
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Starts a handler that leaves a plain child and a `setsid` double-forked one; their pids.
fn leave_orphans(server: &Server) -> [u64; 2] {
    let pids = get_json(server, "/orphans");
    let pids = [
        pids["plain"].as_u64().unwrap(),
        pids["detached"].as_u64().unwrap(),
    ];
    assert!(pids.iter().all(|&p| alive(p)), "the orphans run: {pids:?}");
    pids
}

/// Whether this host has what Sluice's v1 path needs (CI: root on a hybrid host), so a test
/// that finds it unused fails instead of skipping.
fn v1_cgroups_here() -> bool {
    std::fs::read_to_string("/proc/self/cgroup").is_ok_and(|c| c.contains(":memory:"))
        && running_as_root()
}

/// Whether `server` said at startup that it cannot do `what` (a phrase of its notes). On a host
/// where the v1 path must work it may not say so; elsewhere (e.g. cgroup v2 shared with other
/// processes) the test is skipped, saying why.
fn unable(server: &Server, phrase: &str) -> bool {
    // The notes come before the banner; the banner may reach the log after the ready file.
    server.wait_for_log("is serving");
    let said = server.logs().into_iter().find(|l| l.contains(phrase));
    assert!(
        !(v1_cgroups_here() && said.is_some()),
        "cgroups are usable here, yet Sluice said: {said:?}"
    );
    if let Some(note) = &said {
        eprintln!("skipped: {note}");
    }
    said.is_some()
}

#[test]
fn a_spy_cannot_poll_or_answer_another_functions_runtime_api() {
    let server = Server::start(sluice(), &template(), &[]);
    let first = get_json(&server, "/victim?token=t0");
    let target = first["runtime_api"].as_str().unwrap().to_owned();
    let spy = {
        let url = server.url(&format!("/spy?target={target}&seconds=3"));
        std::thread::spawn(move || client().get(url).send().unwrap().json::<Vec<Value>>())
    };
    // While the spy polls, the victim keeps serving its own callers, each its own answer.
    for i in 1..=20 {
        let token = format!("t{i}");
        let body = get_json(&server, &format!("/victim?token={token}"));
        assert_eq!(body["token"], token.as_str(), "{body}");
    }
    let attempts = spy.join().unwrap().unwrap();
    assert!(!attempts.is_empty());
    for attempt in &attempts {
        for call in ["next", "answer"] {
            let got = &attempt[call];
            assert_eq!(got["status"], 403, "{call}: {got}");
            let text = got.to_string();
            assert!(
                !text.contains("Lambda-Runtime") && !text.contains("token"),
                "the spy learnt something: {text}"
            );
        }
    }
    assert!(server.wait_for_log("refused a connection").is_some());
}

#[test]
fn orphans_are_gone_after_ctrl_c() {
    let mut server = Server::start(sluice(), &template(), &[]);
    let pids = leave_orphans(&server);
    assert!(server.interrupt(), "sluice exits on Ctrl-C");
    assert_eventually!(
        pids.iter().all(|&p| !alive(p)),
        "handler processes {pids:?} outlived Ctrl-C"
    );
}

#[test]
fn orphans_are_gone_after_kill_9_and_a_restart() {
    let mut server = Server::start(sluice(), &template(), &[]);
    if unable(&server, "process groups only") {
        return;
    }
    let pids = leave_orphans(&server);
    let state = server.state_dir.clone();
    server.kill9();
    // (Any Sluice starting in this cgroup reaps a dead one's sandboxes, so with tests running in
    // parallel another server may be the one that says so: only the outcome is asserted.)
    let _restarted = Server::start_in(sluice(), &template(), &state, &[]);
    assert_eventually!(
        pids.iter().all(|&p| !alive(p)),
        "handler processes {pids:?} outlived kill -9 and a restart"
    );
}

#[test]
fn a_handler_over_its_memory_size_gets_lambdas_error() {
    let server = Server::start(sluice(), &template(), &[]);
    if unable(&server, "MemorySize is not enforced") {
        return;
    }
    // Within its 128 MB: fine, and REPORT measures the sandbox.
    assert_eq!(get_json(&server, "/hog?mb=16")["held"], 16 * 1024 * 1024);
    let report = server
        .wait_for_log("[HogFunction] REPORT")
        .expect("a REPORT line");
    let used: u64 = report
        .split("Max Memory Used: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!((16..=128).contains(&used), "{report}");

    // REST API: 502, as API Gateway answers a function that failed.
    let response = client().get(server.url("/hog?mb=400")).send().unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        response.text().unwrap(),
        r#"{"message": "Internal server error"}"#
    );

    // Invoke API: Unhandled, Runtime.ExitError, "signal: killed".
    let response = client()
        .post(format!(
            "{}/2015-03-31/functions/HogFunction/invocations",
            server.services_url
        ))
        .body(r#"{"queryStringParameters": {"mb": "400"}}"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-amz-function-error"], "Unhandled");
    let error: Value = response.json().unwrap();
    assert_eq!(error["errorType"], "Runtime.ExitError", "{error}");
    let message = error["errorMessage"].as_str().unwrap();
    assert!(
        message.ends_with("Error: Runtime exited with error: signal: killed"),
        "{message}"
    );
    // REPORT shows the limit reached, read from the sandbox's cgroup.
    let report = server
        .wait_for_log("Max Memory Used: 128 MB")
        .expect("a REPORT at the limit");
    assert!(report.contains("Runtime.ExitError"), "{report}");
}

#[test]
fn limits_can_be_turned_off() {
    let server = Server::start(sluice(), &template(), &["--no-sandbox-limits"]);
    assert_eq!(get_json(&server, "/hog?mb=200")["held"], 200 * 1024 * 1024);
}

#[test]
fn host_exposes_the_api_and_leaves_the_services_endpoint_on_loopback() {
    let server = Server::start(sluice(), &template(), &["--host", "0.0.0.0"]);
    assert!(
        server.base_url.starts_with("http://0.0.0.0:"),
        "{}",
        server.base_url
    );
    assert!(
        server.services_url.starts_with("http://127.0.0.1:"),
        "{}",
        server.services_url
    );
    assert!(
        !server
            .logs()
            .iter()
            .any(|l| l.contains("accepts any credentials")),
        "no warning when the services endpoint stays local"
    );
}

#[test]
fn services_host_exposes_the_services_endpoint_with_a_warning() {
    let server = Server::start(sluice(), &template(), &["--services-host", "0.0.0.0"]);
    assert!(
        server.services_url.starts_with("http://0.0.0.0:"),
        "{}",
        server.services_url
    );
    assert!(server.wait_for_log("accepts any credentials").is_some());
    assert!(server.base_url.starts_with("http://127.0.0.1:"));
}

/// A python3 without boto3 (a fresh venv), package indexes on a closed loopback port and an empty
/// cache: startup says once that each install failed and serves, without waiting on the network.
/// A package index that never finishes answering: it accepts each connection and trickles header
/// lines until dropped, so a client's read timeout never fires and whoever waits for it waits
/// forever. Startup that is ready while an install hangs on it did not wait on the network.
struct HangingIndex {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl HangingIndex {
    fn start() -> HangingIndex {
        use std::io::Write;
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let flag = flag.clone();
                std::thread::spawn(move || {
                    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n");
                    while !flag.load(Ordering::Relaxed) {
                        if stream.write_all(b"X-Wait: 1\r\n").is_err() {
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(300));
                    }
                    // Dropped mid-headers: the install fails now.
                });
            }
        });
        HangingIndex { port, stop }
    }

    fn release(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn startup_with_no_network_and_no_boto3_does_not_wait_for_the_install() {
    let dir = sluice_testkit::fresh_dir("offline");
    let venv = dir.join("venv");
    let made = std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: python3 cannot make a venv here");
        return;
    }
    let hanging = HangingIndex::start();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let index = format!("http://127.0.0.1:{}/simple", hanging.port);
    let registry = format!("http://127.0.0.1:{closed_port}/");
    let path = std::env::join_paths(std::iter::once(venv.join("bin")).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let cache = dir.join("cache");
    let npm_cache = cache.join("npm");
    let env = [
        ("PATH", path.as_os_str()),
        ("XDG_CACHE_HOME", cache.as_os_str()),
        ("PIP_INDEX_URL", index.as_ref()),
        ("PIP_NO_CACHE_DIR", "1".as_ref()),
        ("npm_config_registry", registry.as_ref()),
        ("npm_config_cache", npm_cache.as_os_str()),
    ];
    let offline =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/offline/template.yaml");
    let said =
        |server: &Server, needle: &str| server.logs().iter().filter(|l| l.contains(needle)).count();

    // Python alone: boto3 installs in the background. Sluice is ready while pip still hangs on
    // the index (an order, not a timing: the index never answers until released).
    let server = Server::start_with_env(sluice(), &template(), &[], &env);
    assert_eq!(said(&server, "boto3 could not be installed"), 0);
    // Handlers that do not import boto3 serve meanwhile.
    assert_eq!(get_json(&server, "/victim?token=x")["token"], "x");
    hanging.release();
    assert!(server
        .wait_for_log("boto3 could not be installed")
        .is_some());
    assert_eq!(
        said(&server, "boto3 could not be installed"),
        1,
        "said once"
    );
    drop(server);

    // Node's SDK is waited for (a first request needs it); offline, npm's failure is said once and
    // functions that need no SDK package serve.
    let server = Server::start_with_env(sluice(), &offline, &[], &env);
    assert_eq!(
        said(&server, "@aws-sdk/client-dynamodb and installing failed"),
        1,
        "{:?}",
        server.logs()
    );
    let plain = client().get(server.url("/plain")).send().unwrap();
    assert_eq!(plain.text().unwrap(), "plain");
}

#[test]
fn sandbox_user_root_keeps_sandboxes_as_root() {
    let server = Server::start(sluice(), &template(), &["--sandbox-user", "root"]);
    let uid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
    assert_eq!(get_json(&server, "/who")["uid"], uid.unwrap());
}
