//! START / END / REPORT lines and the function's own output between them.

use serde_json::json;

use crate::harness::{invoke, python, service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_output_end_report_in_order_with_init_duration_on_cold_start_only() {
    let (lambda, lines) = service(vec![python("Noisy", "app.noisy")]);
    let first = invoke(&lambda, "Noisy", json!({})).await;
    let second = invoke(&lambda, "Noisy", json!({})).await;
    for (inv, cold) in [(&first, true), (&second, false)] {
        let id = &inv.request_id;
        let tail: Vec<&str> = inv.log_tail.lines().collect();
        let pos = |needle: &str| {
            tail.iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle:?} missing from {tail:#?}"))
        };
        let start = pos(&format!("START RequestId: {id} Version: $LATEST"));
        let printed = pos("printed line");
        let warned = pos("warned line");
        let stderr = pos("stderr line");
        let end = pos(&format!("END RequestId: {id}"));
        let report = pos(&format!("REPORT RequestId: {id}\tDuration: "));
        assert!(
            start < printed && printed < warned && warned < end,
            "{tail:#?}"
        );
        assert!(start < stderr && stderr < end, "{tail:#?}");
        assert_eq!(report, end + 1);
        let report_line = tail[report];
        assert!(report_line.contains("\tBilled Duration: "), "{report_line}");
        // AWS ends the line with a tab, in the log tail as in the stored events.
        assert!(
            report_line.ends_with(" MB\t") || report_line.ends_with(" ms\t"),
            "{report_line:?}"
        );
        assert!(
            report_line.contains("\tMemory Size: 128 MB\tMax Memory Used: "),
            "{report_line}"
        );
        let used: u64 = report_line
            .split("Max Memory Used: ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(used > 1, "python uses more than 1 MB: {report_line}");
        assert_eq!(
            report_line.contains("\tInit Duration: "),
            cold,
            "{report_line}"
        );
    }
    // The logging format carries the request id, as on Lambda.
    let warned = lines
        .of("Noisy")
        .into_iter()
        .find(|l| l.contains("warned line"))
        .unwrap();
    assert!(warned.starts_with("[WARNING]\t"), "{warned}");
    assert!(
        warned.contains(&format!("Z\t{}\twarned line", first.request_id)),
        "{warned}"
    );
    // The sink saw the same lines as the tails, in the same order, after the sandbox's
    // INIT_START, which no tail has (AWS docs, "Identifying runtime version changes": Lambda
    // writes it to CloudWatch Logs at each Init, "but it is not visible in the console").
    let stream = lines.of("Noisy");
    assert!(
        stream[0].starts_with("INIT_START Runtime Version: "),
        "{stream:#?}"
    );
    let all = stream[1..].join("\n") + "\n";
    assert_eq!(all, format!("{}{}", first.log_tail, second.log_tail));
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_without_a_final_newline_is_logged_before_end() {
    // Lambda ends the invocation's log with what the function wrote, newline or not; it must
    // neither wait for a later invocation's newline nor be lost when the sandbox stops.
    let (lambda, _lines) = service(vec![python("Partial", "app.unterminated")]);
    for _ in 0..2 {
        let inv = invoke(&lambda, "Partial", json!({})).await;
        let tail: Vec<&str> = inv.log_tail.lines().collect();
        let pos = |needle: &str| {
            tail.iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle:?} missing from {tail:#?}"))
        };
        let end = pos(&format!("END RequestId: {}", inv.request_id));
        assert!(pos("no newline on stdout") < end, "{tail:#?}");
        assert!(pos("no newline on stderr") < end, "{tail:#?}");
        assert_eq!(
            tail.iter().filter(|l| l.contains("no newline")).count(),
            2,
            "each write is one line of its own invocation: {tail:#?}"
        );
    }
    lambda.shutdown().await;
}

/// A line with its figures (every run of digits, with its decimals) replaced by `N`, so whole
/// lines can be compared while durations and memory vary.
fn shape(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
            {
                chars.next();
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    out
}

/// The shape of awslambdaric's warning record before an Init error's record.
fn unhandled_warning() -> String {
    shape("[WARNING]\t2026-01-31T10:00:00.000Z\t\tLAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, in rare cases, a Lambda runtime update can cause unexpected function behavior. For functions using managed runtimes, runtime updates can be triggered by a function change, or can be applied automatically. To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. If this error correlates with a change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the previous runtime version. For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html")
}

/// The `Init Duration` of an INIT_REPORT line and the `Duration` of a REPORT line, in ms.
fn figure(line: &str, field: &str) -> f64 {
    line.split(field)
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {field:?} in {line:?}"))
}

/// AWS (recorded 2024-2025): an Init that fails is reported, run again inside the invocation
/// (a "suppressed init") and reported again, before START; the REPORT then has no
/// `Init Duration` and its Duration spans the second Init.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_init_is_reported_retried_in_the_invocation_and_reported_again() {
    let spec = crate::harness::spec("Broken", "python3.12", "app.handler", "python_import_error");
    let (lambda, lines) = service(vec![spec]);
    let inv = invoke(&lambda, "Broken", json!({})).await;
    let id = &inv.request_id;
    let error = "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'module_that_does_not_exist'\rTraceback (most recent call last):";
    let tail: Vec<&str> = inv.log_tail.lines().collect();
    let shapes: Vec<String> = tail.iter().map(|l| shape(l)).collect();
    assert_eq!(
        shapes,
        [
            unhandled_warning(),
            error.to_owned(),
            "INIT_REPORT Init Duration: N ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError".to_owned(),
            unhandled_warning(),
            error.to_owned(),
            "INIT_REPORT Init Duration: N ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ImportModuleError".to_owned(),
            shape(&format!("START RequestId: {id} Version: $LATEST")),
            shape(&format!("END RequestId: {id}")),
            shape(&format!("REPORT RequestId: {id}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tStatus: error\tError Type: Runtime.ImportModuleError\t")),
        ],
        "{tail:#?}"
    );
    assert_eq!(tail[6], format!("START RequestId: {id} Version: $LATEST"));
    assert!(tail[8].starts_with(&format!("REPORT RequestId: {id}\t")));
    let second_init = figure(tail[5], "Init Duration: ");
    assert!(figure(tail[8], "\tDuration: ") >= second_init, "{tail:#?}");
    // The stored stream holds the same lines after the one INIT_START of the sandbox: the
    // suppressed Init writes none (AWS, recorded 2024-2026), and the invocation's log tail
    // never has it (AWS docs: "not visible in the console").
    let stream = lines.of("Broken");
    assert_eq!(stream[1..].join("\n") + "\n", inv.log_tail);
    assert!(
        stream[0].starts_with("INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:"),
        "{stream:#?}"
    );
    assert!(
        !inv.log_tail.lines().any(|l| l.starts_with("INIT_START")),
        "{}",
        inv.log_tail
    );
    lambda.shutdown().await;
}

/// A runtime that exits during Init: Lambda's own account of the exit, with the request id,
/// sits between START and END.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_that_exits_in_init_is_reported_as_an_exit_error_in_both_phases() {
    let spec = crate::harness::spec("GivesUp", "provided.al2023", "x", "provided_init_exit");
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "GivesUp", json!({})).await;
    let id = &inv.request_id;
    let shapes: Vec<String> = inv.log_tail.lines().map(shape).collect();
    assert_eq!(
        shapes,
        [
            "no configuration, giving up".to_owned(),
            "INIT_REPORT Init Duration: N ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError".to_owned(),
            "no configuration, giving up".to_owned(),
            "INIT_REPORT Init Duration: N ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError".to_owned(),
            shape(&format!("START RequestId: {id} Version: $LATEST")),
            shape(&format!("RequestId: {id} Error: Runtime exited with error: exit status 3")),
            "Runtime.ExitError".to_owned(),
            shape(&format!("END RequestId: {id}")),
            shape(&format!("REPORT RequestId: {id}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tStatus: error\tError Type: Runtime.ExitError\t")),
        ],
        "{}",
        inv.log_tail
    );
    assert!(inv.log_tail.contains(&format!(
        "\nRequestId: {id} Error: Runtime exited with error: exit status 3\n"
    )));
    assert_eq!(
        json_payload(&inv.payload)["errorMessage"],
        format!("RequestId: {id} Error: Runtime exited with error: exit status 3")
    );
    lambda.shutdown().await;
}

/// A runtime that dies during an invocation (a crash, `os._exit`): after its last output,
/// Lambda logs the error and its type, then END and a REPORT with the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_that_dies_mid_invocation_is_logged_before_end() {
    let (lambda, _) = service(vec![python("Crash", "app.crash")]);
    let inv = invoke(&lambda, "Crash", json!({})).await;
    let id = &inv.request_id;
    let tail: Vec<&str> = inv.log_tail.lines().collect();
    let start = tail
        .iter()
        .position(|l| *l == format!("START RequestId: {id} Version: $LATEST"))
        .unwrap_or_else(|| panic!("{tail:#?}"));
    let shapes: Vec<String> = tail[start + 1..].iter().map(|l| shape(l)).collect();
    assert_eq!(
        shapes,
        [
            "about to crash".to_owned(),
            shape(&format!("RequestId: {id} Error: Runtime exited with error: exit status 1")),
            "Runtime.ExitError".to_owned(),
            shape(&format!("END RequestId: {id}")),
            shape(&format!("REPORT RequestId: {id}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tInit Duration: 1 ms\tStatus: error\tError Type: Runtime.ExitError\t")),
        ],
        "{tail:#?}"
    );
    assert_eq!(
        tail[start + 2],
        format!("RequestId: {id} Error: Runtime exited with error: exit status 1")
    );
    lambda.shutdown().await;
}

/// A timeout: Lambda's timestamped line after the function's output, then END and a REPORT
/// whose status is `timeout`, with no error type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_logged_with_its_own_line_and_status() {
    let mut spec = python("Slow", "app.slow");
    spec.timeout = std::time::Duration::from_secs(1);
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Slow", json!({"seconds": 3})).await;
    let id = &inv.request_id;
    let tail: Vec<&str> = inv.log_tail.lines().collect();
    let n = tail.len();
    assert!(n >= 4, "{tail:#?}");
    let (timed_out, end, report) = (tail[n - 3], tail[n - 2], tail[n - 1]);
    assert!(
        timed_out.ends_with(&format!("Z {id} Task timed out after 1.00 seconds")),
        "{tail:#?}"
    );
    assert_eq!(end, format!("END RequestId: {id}"));
    assert_eq!(
        shape(report),
        shape(&format!("REPORT RequestId: {id}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tInit Duration: 1 ms\tStatus: timeout\t"))
    );
    lambda.shutdown().await;
}

fn json_payload(payload: &[u8]) -> serde_json::Value {
    serde_json::from_slice(payload).expect("a JSON payload")
}

/// An Init that fails once and succeeds when Lambda runs it again inside the invocation: the
/// invocation runs; only the failed Init is reported, and the REPORT has no `Init Duration`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_init_that_succeeds_on_its_second_run_serves_the_invocation() {
    let marker = std::env::temp_dir().join(format!(
        "sluice-flaky-init-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut spec = python("Flaky", "flaky_init.handler");
    spec.environment.insert(
        "FLAKY_MARKER".to_owned(),
        marker.to_string_lossy().into_owned(),
    );
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Flaky", json!({})).await;
    let _ = std::fs::remove_file(&marker);
    assert_eq!(inv.function_error, None, "{}", inv.log_tail);
    assert_eq!(crate::harness::json(&inv), json!("ready"));
    let id = &inv.request_id;
    let shapes: Vec<String> = inv.log_tail.lines().map(shape).collect();
    assert_eq!(
        shapes,
        [
            unhandled_warning(),
            "[ERROR] Runtime.ImportModuleError: Unable to import module 'flaky_init': not ready yet\rTraceback (most recent call last):".to_owned(),
            "INIT_REPORT Init Duration: N ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError".to_owned(),
            shape(&format!("START RequestId: {id} Version: $LATEST")),
            shape(&format!("END RequestId: {id}")),
            shape(&format!("REPORT RequestId: {id}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\t")),
        ],
        "{}",
        inv.log_tail
    );
    lambda.shutdown().await;
}

/// `slow_init` with `env` and `timeout`, its marker file (removed by the caller).
fn slow_init(
    name: &str,
    timeout: std::time::Duration,
    env: &[(&str, &str)],
) -> (sluice_lambda::FunctionSpec, std::path::PathBuf) {
    let marker = std::env::temp_dir().join(format!(
        "sluice-slow-init-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut spec = python(name, "slow_init.handler");
    spec.timeout = timeout;
    spec.environment.insert(
        "INIT_MARKER".to_owned(),
        marker.to_string_lossy().into_owned(),
    );
    for (key, value) in env {
        spec.environment
            .insert((*key).to_owned(), (*value).to_owned());
    }
    (spec, marker)
}

/// AWS (docs, "Understand the Lambda execution environment lifecycle"): a failed Init is
/// retried "at the time of the first function invocation with the configured function
/// timeout"; the function's timeout bounds the whole Invoke phase. Sluice gave the retry the
/// first Init's 10 s, so a 1 s function's retried Init ran on for 3 s and then served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_init_is_bounded_by_the_function_timeout() {
    let (spec, marker) = slow_init(
        "SlowRetry",
        std::time::Duration::from_secs(1),
        &[("FIRST_INIT_FAILS", "1"), ("SECOND_INIT_SECONDS", "3")],
    );
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "SlowRetry", json!({})).await;
    let _ = std::fs::remove_file(&marker);
    assert_eq!(
        inv.function_error.as_deref(),
        Some("Unhandled"),
        "{}",
        inv.log_tail
    );
    let shapes: Vec<String> = inv.log_tail.lines().map(shape).collect();
    assert!(
        shapes.contains(
            &"INIT_REPORT Init Duration: N ms\tPhase: invoke\tStatus: timeout".to_owned()
        ),
        "{}",
        inv.log_tail
    );
    lambda.shutdown().await;
}

/// The handler after a retried Init has what that Init left of the timeout: a 2 s function
/// whose retried Init takes 1.2 s times out in a handler of 1.2 s (Sluice gave it 2 s more).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_after_a_retried_init_has_what_is_left_of_the_timeout() {
    let (spec, marker) = slow_init(
        "SlowHandler",
        std::time::Duration::from_secs(2),
        &[("FIRST_INIT_FAILS", "1"), ("SECOND_INIT_SECONDS", "1.2")],
    );
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "SlowHandler", json!({"seconds": 1.2})).await;
    let _ = std::fs::remove_file(&marker);
    assert_eq!(
        json_payload(&inv.payload)["errorType"],
        "Sandbox.Timedout",
        "{}",
        inv.log_tail
    );
    lambda.shutdown().await;
}

/// AWS (same page): "The Init phase is limited to 10 seconds", whatever the function's
/// timeout; an Init still running then is reported (`Status: timeout`) and run again inside
/// the invocation. Sluice gave a 20 s function's Init 20 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_on_demand_init_is_limited_to_ten_seconds() {
    let (spec, marker) = slow_init(
        "SlowFirst",
        std::time::Duration::from_secs(20),
        &[("FIRST_INIT_SECONDS", "10.5")],
    );
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "SlowFirst", json!({})).await;
    let _ = std::fs::remove_file(&marker);
    assert_eq!(inv.function_error, None, "{}", inv.log_tail);
    let id = &inv.request_id;
    let shapes: Vec<String> = inv.log_tail.lines().map(shape).collect();
    assert_eq!(
        shapes,
        [
            "INIT_REPORT Init Duration: N ms\tPhase: init\tStatus: timeout".to_owned(),
            shape(&format!("START RequestId: {id} Version: $LATEST")),
            shape(&format!("END RequestId: {id}")),
            shape(&format!("REPORT RequestId: {id}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\t")),
        ],
        "{}",
        inv.log_tail
    );
    lambda.shutdown().await;
}

/// AWS (recorded 2024-2026): a function that cannot start at all (no `bootstrap`) still opens
/// its stream with INIT_START; its Init fails with `Runtime.InvalidEntrypoint`, is retried inside
/// the invocation and fails again, then Lambda's own account of the failure sits between START
/// and END, and the REPORT says `Status: error` with no `Init Duration`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_that_cannot_start_is_logged_as_a_failed_init() {
    let spec = crate::harness::spec("NoBoot", "provided.al2023", "x", "python");
    let (lambda, lines) = service(vec![spec]);
    let inv = invoke(&lambda, "NoBoot", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let id = &inv.request_id;
    let err = crate::harness::json(&inv);
    assert_eq!(err["errorType"], "Runtime.InvalidEntrypoint");
    let message = err["errorMessage"].as_str().unwrap();
    let prefix = format!("RequestId: {id} Error: Couldn't find valid bootstrap(s): [");
    assert!(
        message.starts_with(&prefix) && message.ends_with("/bootstrap]"),
        "{message}"
    );
    let shapes: Vec<String> = inv.log_tail.lines().map(shape).collect();
    assert_eq!(
        shapes,
        [
            "INIT_REPORT Init Duration: N ms\tPhase: init\tStatus: error\tError Type: Runtime.InvalidEntrypoint".to_owned(),
            "INIT_REPORT Init Duration: N ms\tPhase: invoke\tStatus: error\tError Type: Runtime.InvalidEntrypoint".to_owned(),
            shape(&format!("START RequestId: {id} Version: $LATEST")),
            shape(message),
            "Runtime.InvalidEntrypoint".to_owned(),
            shape(&format!("END RequestId: {id}")),
            shape(&format!("REPORT RequestId: {id}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tStatus: error\tError Type: Runtime.InvalidEntrypoint\t")),
        ],
        "{}",
        inv.log_tail
    );
    assert_eq!(inv.log_tail.lines().nth(3), Some(message));
    // One INIT_START, for the one execution environment, before both INIT_REPORTs.
    let stream = lines.of("NoBoot");
    assert_eq!(stream[1..].join("\n") + "\n", inv.log_tail);
    assert!(stream[0].starts_with("INIT_START Runtime Version: provided:al2023.v1\t"));
    let inits = lines.init_lines_of("NoBoot");
    assert_eq!(inits.len(), 3, "{inits:#?}");
    assert!(inits.iter().all(|(_, how)| how == "on-demand $LATEST"));
    lambda.shutdown().await;
}
