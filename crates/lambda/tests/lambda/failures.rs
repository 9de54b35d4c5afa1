//! What a misbehaving handler can do, and that none of it takes the service down.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use sluice_lambda::{InvokeError, SandboxCgroups};

use crate::harness::{invoke, json, python, service, service_with, v1_memory_as_root};

/// True while `pid` is a live (non-zombie) process.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Field 3 is the state; after ") " in "pid (comm) S ...".
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_the_process_group_and_the_next_invocation_works() {
    let mut spec = python("Hang", "app.spawn_and_hang");
    spec.timeout = Duration::from_secs(1);
    let (lambda, lines) = service(vec![spec]);
    let inv = invoke(&lambda, "Hang", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    // AWS's current shape (recorded 2025): typed, and no timestamp, unlike the logged line.
    assert_eq!(
        inv.payload,
        format!(
            r#"{{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: {} Error: Task timed out after 1.00 seconds"}}"#,
            inv.request_id
        )
    );
    assert!(inv.log_tail.contains("Status: timeout"), "{}", inv.log_tail);
    let logged = format!(" {} Task timed out after 1.00 seconds", inv.request_id);
    assert!(
        lines
            .of("Hang")
            .iter()
            .any(|l| l.ends_with(&logged) && l.split(' ').next().is_some_and(|t| t.ends_with('Z'))),
        "{}",
        inv.log_tail
    );
    let child: u32 = inv
        .log_tail
        .lines()
        .find_map(|l| l.strip_prefix("child pid "))
        .expect("the handler printed its child's pid")
        .parse()
        .unwrap();
    let mut gone = false;
    for _ in 0..50 {
        if !alive(child) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "the handler's child {child} survived the timeout");
    // A fresh sandbox serves the next invocation (cold start again).
    let next = invoke(&lambda, "Hang", json!({})).await;
    assert!(next.log_tail.contains("Init Duration"), "{}", next.log_tail);
    lambda.shutdown().await;
}

/// A warm sandbox keeps one timeout timer and moves it to each invocation's deadline: after
/// an idle spell longer than the timeout, a quick invocation must not time out, and a slow one
/// must, at its own deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invocation_of_a_warm_sandbox_gets_its_own_full_timeout() {
    let mut spec = python("Slow", "app.slow");
    spec.timeout = Duration::from_secs(1);
    let (lambda, _) = service(vec![spec]);
    let first = invoke(&lambda, "Slow", json!({"seconds": 0.6})).await;
    assert_eq!(first.function_error, None, "{}", first.log_tail);
    // Started 0.6 s into the first one's second: a timer left at the first deadline would fire
    // 0.4 s into this one.
    let second = invoke(&lambda, "Slow", json!({"seconds": 0.7})).await;
    assert_eq!(second.function_error, None, "{}", second.log_tail);
    // Idle past the last deadline, then quick, then too slow.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let quick = invoke(&lambda, "Slow", json!({"seconds": 0})).await;
    assert_eq!(quick.function_error, None, "{}", quick.log_tail);
    assert!(
        !quick.log_tail.contains("Init Duration"),
        "{}",
        quick.log_tail
    );
    let started = std::time::Instant::now();
    let late = invoke(&lambda, "Slow", json!({"seconds": 3})).await;
    assert_eq!(late.function_error.as_deref(), Some("Unhandled"));
    assert!(
        json(&late)["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Task timed out after 1.00 seconds"),
        "{}",
        late.log_tail
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "timed out early: {:?}",
        started.elapsed()
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_mid_invocation_is_an_exit_error_and_the_next_invocation_works() {
    let (lambda, _) = service(vec![
        python("Crash", "app.crash"),
        python("Hello", "app.hello"),
    ]);
    let inv = invoke(&lambda, "Crash", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Runtime.ExitError");
    assert_eq!(
        err["errorMessage"],
        format!(
            "RequestId: {} Error: Runtime exited with error: exit status 1",
            inv.request_id
        )
    );
    assert!(inv.log_tail.contains("about to crash"), "{}", inv.log_tail);
    let again = invoke(&lambda, "Crash", json!({})).await;
    assert_eq!(json(&again)["errorType"], "Runtime.ExitError");
    assert!(
        again.log_tail.contains("Init Duration"),
        "crashed sandbox was reused"
    );
    assert_eq!(
        json(&invoke(&lambda, "Hello", json!({})).await),
        json!({"hello": "world"})
    );
    lambda.shutdown().await;
}

/// AWS: an invocation fails with `Runtime.ExitError` only if its runtime exits while handling
/// it. A runtime that exits while idle (awslambdaric after a 413, a crash after answering) has
/// its sandbox replaced: the next invocation runs on a fresh one, with its own Init.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_exiting_after_its_answer_fails_no_invocation() {
    let (lambda, lines) = service(vec![crate::harness::spec(
        "ExitsIdle",
        "provided.al2023",
        "unused",
        "provided_exit_after_answer",
    )]);
    let first = invoke(&lambda, "ExitsIdle", json!({"then": "exit"})).await;
    assert_eq!(first.function_error, None, "{}", first.log_tail);
    // Its runtime is still alive (lingering) when this one is assigned to its sandbox.
    let second = invoke(&lambda, "ExitsIdle", json!({"then": "exit"})).await;
    assert_eq!(second.function_error, None, "{}", second.log_tail);
    assert_eq!(json(&second)["answered"], json!(second.request_id));
    assert_ne!(json(&first)["pid"], json(&second)["pid"]);
    assert!(
        second.log_tail.contains("Init Duration"),
        "{}",
        second.log_tail
    );
    assert!(
        !second.log_tail.contains(&first.request_id),
        "{}",
        second.log_tail
    );
    // The exited runtime's last line stays before the next invocation's only START.
    let logged = lines.of("ExitsIdle");
    let at = |line: &str| logged.iter().position(|l| l.starts_with(line));
    let starts = format!("START RequestId: {} ", second.request_id);
    assert_eq!(
        logged.iter().filter(|l| l.starts_with(&starts)).count(),
        1,
        "{logged:#?}"
    );
    let exited = at(&format!("exiting after {}", first.request_id));
    assert!(exited.is_some() && exited < at(&starts), "{logged:#?}");
    assert!(
        !logged.iter().any(|l| l.contains("Runtime.ExitError")),
        "{logged:#?}"
    );
    lambda.shutdown().await;
}

/// AWS: an environment whose runtime answered but has not asked for the next event (a handler
/// busy in a background thread, a hung runtime) is not idle: the next invocation goes to another
/// environment, not to it after a wait. Sluice gave it the next invocation once the function's
/// timeout had passed, and that invocation timed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_that_never_asks_again_gets_no_more_invocations() {
    let mut spec = crate::harness::spec(
        "Hangs",
        "provided.al2023",
        "unused",
        "provided_exit_after_answer",
    );
    spec.timeout = Duration::from_secs(5);
    let (lambda, _) = service(vec![spec]);
    let first = invoke(&lambda, "Hangs", json!({"then": "hang"})).await;
    assert_eq!(first.function_error, None, "{}", first.log_tail);
    let second = invoke(&lambda, "Hangs", json!({})).await;
    assert_eq!(second.function_error, None, "{}", second.log_tail);
    assert_eq!(json(&second)["answered"], json!(second.request_id));
    assert_ne!(json(&first)["pid"], json(&second)["pid"]);
    // The fresh sandbox is now the one waiting: it serves the next one warm.
    let third = invoke(&lambda, "Hangs", json!({})).await;
    assert_eq!(json(&third)["pid"], json(&second)["pid"]);
    assert!(
        !third.log_tail.contains("Init Duration"),
        "{}",
        third.log_tail
    );
    lambda.shutdown().await;
}

/// A warm runtime that exits while handling an invocation still fails that invocation with
/// `Runtime.ExitError` (it is not run again elsewhere), and the next one starts afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_runtime_exiting_mid_invocation_is_still_an_exit_error() {
    let (lambda, _) = service(vec![crate::harness::spec(
        "ExitsBusy",
        "provided.al2023",
        "unused",
        "provided_exit_after_answer",
    )]);
    let warm = invoke(&lambda, "ExitsBusy", json!({})).await;
    assert_eq!(warm.function_error, None, "{}", warm.log_tail);
    let inv = invoke(&lambda, "ExitsBusy", json!({"exit": "in_handler"})).await;
    assert_eq!(
        json(&inv),
        json!({
            "errorType": "Runtime.ExitError",
            "errorMessage": format!(
                "RequestId: {} Error: Runtime exited with error: exit status 4",
                inv.request_id
            ),
        })
    );
    assert!(
        inv.log_tail
            .contains(&format!("handling {}", inv.request_id)),
        "{}",
        inv.log_tail
    );
    assert!(!inv.log_tail.contains("Init Duration"), "{}", inv.log_tail);
    let next = invoke(&lambda, "ExitsBusy", json!({})).await;
    assert_eq!(next.function_error, None, "{}", next.log_tail);
    assert!(next.log_tail.contains("Init Duration"), "{}", next.log_tail);
    lambda.shutdown().await;
}

/// AWS words a runtime's exit with status 0 apart: there is no error status to quote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_exit_is_an_exit_error_without_a_reason() {
    let (lambda, _) = service(vec![
        python("ExitsInHandler", "app.exit_clean"),
        crate::harness::spec(
            "ExitsAtImport",
            "python3.12",
            "exits.handler",
            "python_import_error",
        ),
    ]);
    for function in ["ExitsInHandler", "ExitsAtImport"] {
        let inv = invoke(&lambda, function, json!({})).await;
        assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
        assert_eq!(
            json(&inv),
            json!({
                "errorType": "Runtime.ExitError",
                "errorMessage": format!(
                    "RequestId: {} Error: Runtime exited without providing a reason",
                    inv.request_id
                ),
            }),
            "{function}"
        );
        assert!(
            inv.log_tail
                .contains("Status: error\tError Type: Runtime.ExitError"),
            "{function}: {}",
            inv.log_tail
        );
    }
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_response_is_a_function_error() {
    let (lambda, _) = service(vec![python("Huge", "app.huge")]);
    let inv = invoke(&lambda, "Huge", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Function.ResponseSizeTooLarge");
    assert!(
        err["errorMessage"]
            .as_str()
            .unwrap()
            .contains("6291556 bytes"),
        "{err}"
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_output_is_logged_not_fatal() {
    let (lambda, _) = service(vec![python("Garbage", "app.garbage")]);
    let inv = invoke(&lambda, "Garbage", json!({})).await;
    assert_eq!(json(&inv), json!("survived"));
    assert!(inv.log_tail.contains("not utf8"), "lossy line missing");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_over_6mb_is_rejected_before_the_function() {
    let (lambda, lines) = service(vec![python("Hello", "app.hello")]);
    let err = lambda
        .invoke("Hello", Bytes::from(vec![b' '; 6 * 1024 * 1024 + 1]))
        .await
        .unwrap_err();
    assert!(matches!(err, InvokeError::RequestTooLarge { .. }));
    // AWS's code on the wire (recorded), though Lambda's model names RequestTooLargeException.
    assert_eq!(err.error_type(), "RequestEntityTooLargeException");
    assert_eq!(
        err.to_string(),
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    );
    assert!(lines.of("Hello").is_empty(), "no sandbox should have run");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_function_is_resource_not_found() {
    let (lambda, _) = service(vec![]);
    let err = lambda
        .invoke("Nope", Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "ResourceNotFoundException");
    assert_eq!(
        err.to_string(),
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope:$LATEST"
    );
}

/// A runtime Sluice does not run no longer stops the service (AWS runs the function): its
/// invocations fail as an init failure that names the runtime, and the other functions serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_runtime_fails_its_invocations_and_the_others_serve() {
    let java = crate::harness::spec("Java", "java21", "x::y", "python");
    let (lambda, lines) = service(vec![java, python("Py", "app.hello")]);
    let inv = invoke(&lambda, "Java", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Runtime.InvalidEntrypoint");
    // AWS words the failure `RequestId: … Error: …`, and logs it so, its type on the next line.
    let message = format!(
        "RequestId: {} Error: runtime java21 is not supported by Sluice, which runs python3.x, nodejsN.x, provided, provided.al2 and provided.al2023 functions",
        inv.request_id
    );
    assert_eq!(err["errorMessage"], message);
    let java = lines.of("Java");
    let at = java.iter().position(|l| *l == message);
    assert!(
        at.is_some_and(|at| java[at + 1] == "Runtime.InvalidEntrypoint"),
        "{java:#?}"
    );
    let ok = invoke(&lambda, "Py", json!({"a": 1})).await;
    assert_eq!(ok.function_error, None, "{:?}", ok.payload);
}

/// A code folder that does not exist fails each invocation with a message naming it (it may
/// appear later: checked at each start).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_code_folder_fails_its_invocations_naming_it() {
    let mut spec = python("Gone", "app.hello");
    let missing = std::env::temp_dir().join(format!(
        "sluice-no-such-folder-{}",
        uuid::Uuid::new_v4().simple()
    ));
    spec.code = sluice_lambda::CodeSource::Dir(missing.clone());
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Gone", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Runtime.InvalidEntrypoint");
    assert_eq!(
        err["errorMessage"],
        format!(
            "RequestId: {} Error: the function's code folder (CodeUri) {} does not exist",
            inv.request_id,
            missing.display()
        )
    );
}

/// Runs a handler that detaches two processes, shuts the service down, and checks both are gone.
async fn detached_processes_die_at_shutdown(cgroups: SandboxCgroups) {
    let _orphans = crate::harness::ADOPTED_ORPHANS.lock().await;
    let (lambda, _) = service_with(vec![python("Detach", "app.detach")], |config| {
        config.cgroups = cgroups;
    });
    let pids = json(&invoke(&lambda, "Detach", json!({})).await);
    let pids: Vec<u32> = ["plain", "detached"]
        .iter()
        .map(|k| pids[*k].as_u64().unwrap() as u32)
        .collect();
    assert!(pids.iter().all(|&p| alive(p)), "they run: {pids:?}");
    // The path under test is the one taken: the detached child is in its sandbox's cgroup.
    let cgroup = std::fs::read_to_string(format!("/proc/{}/cgroup", pids[1])).unwrap();
    let in_sandbox = |prefix: &str| {
        cgroup
            .lines()
            .any(|l| l.starts_with(prefix) && l.contains("/sluice/"))
    };
    match cgroups {
        SandboxCgroups::V2 => assert!(in_sandbox("0::"), "{cgroup}"),
        SandboxCgroups::Off => assert!(!in_sandbox(""), "{cgroup}"),
        // This project's CI (root, v1 `memory`): there; elsewhere whatever the host gave.
        SandboxCgroups::Auto if v1_memory_as_root() => {
            let memory = cgroup.lines().find(|l| l.contains(":memory:"));
            assert!(memory.is_some_and(|l| l.contains("/sluice/")), "{cgroup}");
        }
        SandboxCgroups::Auto => {}
    }
    lambda.shutdown().await;
    // Generous: a loaded machine can take seconds to reap a killed process tree.
    for _ in 0..1500 {
        if !pids.iter().any(|&p| alive(p)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("detached processes {pids:?} outlived the service (cgroups: {cgroups:?})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detached_processes_die_at_shutdown_in_a_cgroup() {
    detached_processes_die_at_shutdown(SandboxCgroups::Auto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detached_processes_die_at_shutdown_in_a_process_group() {
    detached_processes_die_at_shutdown(SandboxCgroups::Off).await;
}

/// Hosts whose only cgroups are v2 (most Linux machines today): `cgroup.kill` empties the
/// sandbox's cgroup, `setsid` children included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detached_processes_die_at_shutdown_in_a_v2_cgroup() {
    detached_processes_die_at_shutdown(SandboxCgroups::V2).await;
}
