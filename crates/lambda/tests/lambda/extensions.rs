//! External extensions in a sandbox, with and without a cgroup: the runtime starts only once
//! they registered, an invocation's REPORT waits for them, SHUTDOWN reaches them when the service
//! stops, and none outlives it.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sluice_lambda::{CodeSource, FunctionSpec, SandboxCgroups};

use crate::harness::{invoke, json, service_with};

/// Leaves a marker and registers (after a pause, so a runtime started too early would find no
/// marker), then records events; after an INVOKE it waits for a `release` file before calling
/// `next` again. The marker comes first: a runtime started on time may import its handler before
/// the extension has read the answer to `register` (a forked python sandbox starts in ms).
const EXTENSION: &str = r#"#!/usr/bin/env python3
import json, os, sys, time, urllib.request
dir = os.environ["RECORDS"]
base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2020-01-01/extension"
def record(line):
    with open(os.path.join(dir, "events"), "a") as f:
        f.write(line + "\n")
time.sleep(0.3)
open(os.path.join(dir, "registered"), "w").close()
req = urllib.request.Request(base + "/register", method="POST",
    data=b'{"events":["INVOKE","SHUTDOWN"]}', headers={"Lambda-Extension-Name": "recorder"})
with urllib.request.urlopen(req) as r:
    ext_id = r.headers["Lambda-Extension-Identifier"]
record("pid %d" % os.getpid())
while True:
    req = urllib.request.Request(base + "/event/next", headers={"Lambda-Extension-Identifier": ext_id})
    with urllib.request.urlopen(req) as r:
        event = json.load(r)
    record(event["eventType"] + " " + event.get("requestId", event.get("shutdownReason", "")))
    if event["eventType"] == "SHUTDOWN":
        sys.exit(0)
    if os.environ.get("CRASH"):
        sys.exit(3)
    if os.environ.get("NO_HOLD"):
        continue
    while not os.path.exists(os.path.join(dir, "release")):
        time.sleep(0.02)
    os.remove(os.path.join(dir, "release"))
    print("extension done with " + event["requestId"], flush=True)
"#;

const HANDLER: &str = "import os\nREGISTERED_AT_INIT = os.path.exists(os.path.join(os.environ['RECORDS'], 'registered'))\ndef handler(event, context):\n    return {'registered_at_init': REGISTERED_AT_INIT, 'id': context.aws_request_id}\ndef slow(event, context):\n    import time\n    time.sleep(60)\n";

fn function(dir: &Path) -> FunctionSpec {
    let write = |path: &str, text: &str, mode: u32| {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, text).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("layer/extensions/recorder", EXTENSION, 0o755);
    write("code/app.py", HANDLER, 0o644);
    let records = dir.join("records");
    std::fs::create_dir_all(&records).unwrap();
    // Sandboxes run as `nobody` when the tests run as root.
    std::fs::set_permissions(&records, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    FunctionSpec {
        name: "Ext".to_owned(),
        runtime: "python3.12".to_owned(),
        handler: "app.handler".to_owned(),
        code: CodeSource::Dir(dir.join("code")),
        memory_mb: 128,
        timeout: Duration::from_secs(60),
        environment: BTreeMap::from([("RECORDS".to_owned(), records.display().to_string())]),
        reserved_concurrency: None,
        provisioned_concurrency: 0,
        aliases: Vec::new(),
        local_names: Vec::new(),
        extensions: vec![dir.join("layer/extensions/recorder")],
        event_invoke: Default::default(),
        tenant_isolation: false,
    }
}

fn events(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("records/events"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never: {what}");
}

fn fresh() -> PathBuf {
    std::env::temp_dir().join(format!("sluice-ext-test-{}", uuid::Uuid::new_v4().simple()))
}

/// An extension that dies during an invocation fails it (`Extension.Crash` in the REPORT) and
/// its sandbox is not used again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extension_crash_is_reported_and_resets_the_sandbox() {
    let dir = fresh();
    let mut spec = function(&dir);
    spec.environment.insert("CRASH".to_owned(), "1".to_owned());
    let (lambda, lines) = service_with(vec![spec], |_| {});
    let first = invoke(&lambda, "Ext", serde_json::json!({})).await;
    let report = format!("REPORT RequestId: {}", first.request_id);
    eventually("the REPORT line", || {
        lines.of("Ext").iter().any(|l| l.starts_with(&report))
    })
    .await;
    let log = lines.of("Ext");
    let line = log.iter().find(|l| l.starts_with(&report)).unwrap();
    assert!(
        line.ends_with("Status: error\tError Type: Extension.Crash\t"),
        "{line}"
    );
    invoke(&lambda, "Ext", serde_json::json!({})).await;
    let pids = events(&dir)
        .iter()
        .filter(|l| l.starts_with("pid "))
        .count();
    assert_eq!(
        pids,
        2,
        "a fresh sandbox ran the second invocation: {:?}",
        events(&dir)
    );
    lambda.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sandbox whose extension is still at work on the last invocation keeps its concurrency slot
/// but runs no invocation: a lone caller's next request starts one sandbox for itself, and no
/// spare ahead of demand (which is for more than one invocation in flight).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_finishing_with_its_extensions_is_not_load_that_starts_a_spare() {
    let dir = fresh();
    let (lambda, _lines) = service_with(vec![function(&dir)], |_| {});
    let first = json(&invoke(&lambda, "Ext", serde_json::json!({})).await);
    let first = first["id"].as_str().unwrap().to_owned();
    eventually("the extension holds the first INVOKE", || {
        events(&dir).contains(&format!("INVOKE {first}"))
    })
    .await;
    // The first sandbox is still finishing: this one needs a sandbox of its own.
    invoke(&lambda, "Ext", serde_json::json!({})).await;
    // A spare's extension would have registered by now (it pauses 0.3 s before it does).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pids = || {
        events(&dir)
            .iter()
            .filter(|l| l.starts_with("pid "))
            .count()
    };
    assert_eq!(pids(), 2, "{:?}", events(&dir));
    std::fs::write(dir.join("records/release"), "").unwrap();
    lambda.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// AWS: an invocation that times out resets the environment, and its extensions get SHUTDOWN
/// with `shutdownReason: timeout`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_invocation_sends_shutdown_timeout() {
    let dir = fresh();
    let mut spec = function(&dir);
    spec.handler = "app.slow".to_owned();
    spec.timeout = Duration::from_secs(1);
    spec.environment
        .insert("NO_HOLD".to_owned(), "1".to_owned());
    let (lambda, lines) = service_with(vec![spec], |_| {});
    let invocation = invoke(&lambda, "Ext", serde_json::json!({})).await;
    assert!(invocation.function_error.is_some());
    let id = invocation.request_id.clone();
    eventually("SHUTDOWN timeout", || {
        events(&dir).last().map(String::as_str) == Some("SHUTDOWN timeout")
    })
    .await;
    assert!(
        events(&dir).contains(&format!("INVOKE {id}")),
        "{:?}",
        events(&dir)
    );
    assert!(
        lines
            .of("Ext")
            .iter()
            .any(|l| l.starts_with(&format!("REPORT RequestId: {id}"))
                && l.ends_with("Status: timeout\t")),
        "{:?}",
        lines.of("Ext")
    );
    lambda.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    })
}

async fn lifecycle(cgroups: SandboxCgroups) {
    // A process-group service's shutdown kills every detached process the test process adopted.
    let _orphans = match cgroups {
        SandboxCgroups::Off => Some(crate::harness::ADOPTED_ORPHANS.lock().await),
        _ => None,
    };
    let dir = fresh();
    let (lambda, lines) = service_with(vec![function(&dir)], |config| {
        config.cgroups = cgroups;
    });
    let answer = json(&invoke(&lambda, "Ext", serde_json::json!({})).await);
    assert_eq!(
        answer["registered_at_init"], true,
        "the runtime started before the extension registered"
    );
    let id = answer["id"].as_str().unwrap().to_owned();
    // The caller has its answer; the invocation ends only when the extension is done with it.
    let report = format!("REPORT RequestId: {id}");
    assert!(
        !lines.of("Ext").iter().any(|l| l.starts_with(&report)),
        "{:?}",
        lines.of("Ext")
    );
    eventually("the extension sees the INVOKE", || {
        events(&dir).contains(&format!("INVOKE {id}"))
    })
    .await;
    std::fs::write(dir.join("records/release"), "").unwrap();
    eventually("the REPORT line", || {
        lines.of("Ext").iter().any(|l| l.starts_with(&report))
    })
    .await;
    let log = lines.of("Ext");
    let done = log
        .iter()
        .position(|l| l == &format!("extension done with {id}"))
        .expect("the extension's output is in the function's log");
    let end = log.iter().position(|l| l.starts_with(&report)).unwrap();
    assert!(done < end, "{log:?}");
    let pid: u32 = events(&dir)[0]
        .strip_prefix("pid ")
        .unwrap()
        .parse()
        .unwrap();
    assert!(alive(pid));
    lambda.shutdown().await;
    assert_eq!(
        events(&dir).last().map(String::as_str),
        Some("SHUTDOWN spindown")
    );
    eventually("the extension's exit", || !alive(pid)).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_lifecycle_in_a_cgroup() {
    lifecycle(SandboxCgroups::Auto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_lifecycle_in_a_process_group() {
    lifecycle(SandboxCgroups::Off).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_lifecycle_in_a_v2_cgroup() {
    lifecycle(SandboxCgroups::V2).await;
}

/// A streamed invocation honours extensions as a buffered one does: the caller has the whole
/// stream, but the invocation (its REPORT), its sandbox and its concurrency slot stay taken until
/// the extension is done with it; then the sandbox is put back warm, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_invocation_waits_for_its_extensions() {
    use bytes::Bytes;
    use sluice_lambda::InvokeResponse;

    let dir = fresh();
    let recorder = function(&dir);
    let mut spec = crate::harness::spec("ExtStream", "nodejs20.x", "index.prelude", "node_stream");
    spec.environment = recorder.environment;
    spec.extensions = recorder.extensions;
    spec.timeout = Duration::from_secs(60);
    spec.reserved_concurrency = Some(1);
    let (lambda, lines) = service_with(vec![spec], |_| {});
    let streamed = lambda
        .invoke_streaming("ExtStream", Bytes::from_static(b"{}"), Default::default())
        .await
        .unwrap();
    let InvokeResponse::Streaming(mut stream) = streamed else {
        panic!("answered buffered: {streamed:?}");
    };
    while let Some(chunk) = stream.body.recv().await {
        chunk.expect("no failure");
    }
    let id = stream.request_id.clone();
    let report = format!("REPORT RequestId: {id}");
    eventually("the extension sees the INVOKE", || {
        events(&dir).contains(&format!("INVOKE {id}"))
    })
    .await;
    // The stream has ended; the extension still holds the invocation and its one sandbox.
    assert!(
        !lines.of("ExtStream").iter().any(|l| l.starts_with(&report)),
        "{:?}",
        lines.of("ExtStream")
    );
    let throttled = lambda
        .invoke("ExtStream", Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert_eq!(throttled.error_type(), "TooManyRequestsException");
    std::fs::write(dir.join("records/release"), "").unwrap();
    eventually("the REPORT line", || {
        lines.of("ExtStream").iter().any(|l| l.starts_with(&report))
    })
    .await;
    // The permit comes back once the sandbox is put back; the same sandbox runs the next one.
    let mut next = None;
    for _ in 0..250 {
        match lambda.invoke("ExtStream", Bytes::from_static(b"{}")).await {
            Ok(invocation) => {
                next = Some(invocation);
                break;
            }
            Err(e) if e.error_type() == "TooManyRequestsException" => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let next = next.expect("the sandbox is never free again");
    assert!(next.function_error.is_none(), "{next:?}");
    eventually("the extension sees the second INVOKE", || {
        events(&dir).contains(&format!("INVOKE {}", next.request_id))
    })
    .await;
    std::fs::write(dir.join("records/release"), "").unwrap();
    lambda.shutdown().await;
    let log = events(&dir);
    assert_eq!(
        log.iter().filter(|l| l.starts_with("pid ")).count(),
        1,
        "one sandbox ran both: {log:?}"
    );
    assert_eq!(
        log.iter().filter(|l| l.starts_with("SHUTDOWN")).count(),
        1,
        "{log:?}"
    );
    assert_eq!(log.last().map(String::as_str), Some("SHUTDOWN spindown"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// AWS: the managed runtimes' `/var/runtime/bootstrap` checks `AWS_LAMBDA_EXEC_WRAPPER` before
/// running it: a missing file prints `<wrapper>: does not exist` and exits 127, a file that is
/// not executable `<wrapper>: is not an executable` and 126 (the base images' bootstrap for
/// python and node), which Lambda reports as `Runtime.ExitError`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrapper_that_cannot_run_exits_the_runtime_as_lambdas_bootstrap_does() {
    let dir = std::env::temp_dir().join(format!("sluice-wrapper-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.sh");
    let not_executable = dir.join("plain.sh");
    std::fs::write(&not_executable, "#!/bin/sh\nexec \"$@\"\n").unwrap();
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let wrapped = |name: &str, wrapper: &Path| {
        let mut spec = crate::harness::python(name, "app.hello");
        spec.environment.insert(
            "AWS_LAMBDA_EXEC_WRAPPER".into(),
            wrapper.display().to_string(),
        );
        spec
    };
    let (lambda, lines) = service_with(
        vec![
            wrapped("Missing", &missing),
            wrapped("NotExecutable", &not_executable),
        ],
        |_| {},
    );
    for (name, wrapper, said, status) in [
        ("Missing", &missing, "does not exist", 127),
        (
            "NotExecutable",
            &not_executable,
            "is not an executable",
            126,
        ),
    ] {
        let inv = invoke(&lambda, name, serde_json::json!({})).await;
        let error = json(&inv);
        assert_eq!(error["errorType"], "Runtime.ExitError", "{name}: {error}");
        assert!(
            error["errorMessage"].as_str().unwrap().ends_with(&format!(
                "Error: Runtime exited with error: exit status {status}"
            )),
            "{name}: {error}"
        );
        let line = format!("{}: {said}", wrapper.display());
        assert!(
            lines.of(name).contains(&line),
            "{name}: {:?}",
            lines.of(name)
        );
    }
    lambda.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
