//! Sandboxes started before they are needed: a spare when every warm sandbox is busy, and
//! provisioned concurrency. Counted through REPORT lines and sandbox counts, never timed.

use serde_json::json;

use crate::harness::{invoke, json, python, service};

/// REPORT lines of `function` with `Init Duration` (sandboxes that started for, or ahead of,
/// an invocation and ran it).
fn cold_reports(lines: &crate::harness::Lines, function: &str) -> usize {
    lines
        .of(function)
        .iter()
        .filter(|l| l.starts_with("REPORT") && l.contains("Init Duration"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spare_starts_when_every_warm_sandbox_is_busy() {
    let (lambda, lines) = service(vec![python("Busy", "app.slow")]);
    let (a, b) = tokio::join!(
        invoke(&lambda, "Busy", json!({"seconds": 0.5})),
        invoke(&lambda, "Busy", json!({"seconds": 0.5}))
    );
    assert_eq!(json(&a), json!({"slept": 0.5}));
    assert_eq!(json(&b), json!({"slept": 0.5}));
    assert_eq!(cold_reports(&lines, "Busy"), 2);
    // Two in flight and none idle: a third sandbox was started ahead of demand.
    sluice_testkit::assert_eventually_async!(
        lambda.sandbox_counts()["Busy"].idle == 3,
        "expected 2 used sandboxes and 1 spare, saw {:?}",
        lambda.sandbox_counts()["Busy"]
    );
    // A sandbox started ahead of demand is initialised as an on-demand one (AWS has no other
    // label for it, and it tells the function `AWS_LAMBDA_INITIALIZATION_TYPE=on-demand`).
    sluice_testkit::assert_eventually_async!(
        lines.init_lines_of("Busy").len() == 3,
        "expected one INIT_START per sandbox: {:#?}",
        lines.init_lines_of("Busy")
    );
    assert!(lines
        .init_lines_of("Busy")
        .iter()
        .all(|(l, how)| l.starts_with("INIT_START ") && how == "on-demand $LATEST"));
    // The next invocation runs on a sandbox that already served: the spare stays spare.
    let next = invoke(&lambda, "Busy", json!({"seconds": 0})).await;
    assert!(
        !next.log_tail.contains("Init Duration"),
        "{}",
        next.log_tail
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioned_sandboxes_start_with_the_service_and_report_no_init_duration() {
    let mut spec = python("Prov", "app.environment");
    spec.provisioned_concurrency = 2;
    spec.aliases = vec!["live".to_owned()];
    let (lambda, lines) = service(vec![spec]);
    let _background = lambda.start_background();
    sluice_testkit::assert_eventually_async!(
        lambda.sandbox_counts()["Prov"].idle == 2,
        "expected 2 provisioned sandboxes before any invocation, saw {:?}",
        lambda.sandbox_counts()["Prov"]
    );
    for _ in 0..2 {
        let inv = invoke(&lambda, "Prov:live", json!({})).await;
        assert_eq!(
            json(&inv)["AWS_LAMBDA_INITIALIZATION_TYPE"],
            "provisioned-concurrency"
        );
        // The alias's sandboxes run (and name) the version it points at.
        assert_eq!(json(&inv)["AWS_LAMBDA_FUNCTION_VERSION"], "1");
        assert!(!inv.log_tail.contains("Init Duration"), "{}", inv.log_tail);
    }
    assert_eq!(cold_reports(&lines, "Prov"), 0);
    // Each provisioned sandbox's Init opened its stream with INIT_START, which its JSON form
    // labels `provisioned-concurrency` (AWS: Telemetry API schema, `InitType`).
    let inits = lines.init_lines_of("Prov");
    let provisioned: Vec<&String> = inits
        .iter()
        .filter(|(_, how)| how == "provisioned-concurrency 1")
        .map(|(line, _)| line)
        .collect();
    assert_eq!(provisioned.len(), 2, "{inits:#?}");
    for line in provisioned {
        assert!(
            line.starts_with("INIT_START Runtime Version: python:3.12.v1\t"),
            "{line}"
        );
    }
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_provisioned_sandbox_is_replaced() {
    let mut spec = python("Crashy", "app.crash");
    spec.provisioned_concurrency = 1;
    let (lambda, lines) = service(vec![spec]);
    let _background = lambda.start_background();
    sluice_testkit::assert_eventually_async!(
        lambda.sandbox_counts()["Crashy"].idle == 1,
        "expected 1 provisioned sandbox, saw {:?}",
        lambda.sandbox_counts()["Crashy"]
    );
    let crashed = invoke(&lambda, "Crashy", json!({})).await;
    assert!(
        crashed.function_error.is_some(),
        "{:?}\n{}\n{:#?}",
        String::from_utf8_lossy(&crashed.payload),
        crashed.log_tail,
        lines.of("Crashy")
    );
    // Lambda keeps the configured number: a new provisioned sandbox replaces the dead one.
    sluice_testkit::assert_eventually_async!(
        lambda.sandbox_counts()["Crashy"].idle == 1,
        "the crashed sandbox was not replaced: {:?}\n{:#?}",
        lambda.sandbox_counts()["Crashy"],
        lines.of("Crashy")
    );
    let again = invoke(&lambda, "Crashy", json!({})).await;
    assert!(
        !again.log_tail.contains("Init Duration"),
        "{}",
        again.log_tail
    );
    assert_eq!(cold_reports(&lines, "Crashy"), 0);
    lambda.shutdown().await;
}

/// AWS (docs, "Failures during the Init phase"): an Init that fails is reported in an
/// INIT_REPORT line, a provisioned sandbox's as an on-demand one's (which Sluice already
/// wrote); a provisioned one's wrote none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_sandbox_whose_init_fails_reports_it() {
    let mut spec = crate::harness::spec(
        "BrokenProv",
        "python3.12",
        "app.handler",
        "python_import_error",
    );
    spec.provisioned_concurrency = 1;
    let (lambda, lines) = service(vec![spec]);
    let _background = lambda.start_background();
    let report = "\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError";
    sluice_testkit::assert_eventually_async!(
        lines
            .of("BrokenProv")
            .iter()
            .any(|l| l.starts_with("INIT_REPORT Init Duration: ") && l.ends_with(report)),
        "no INIT_REPORT for the failed provisioned Init: {:#?}",
        lines.of("BrokenProv")
    );
    // After the runtime's own account of the failure, as on demand.
    let logged = lines.of("BrokenProv");
    let at = logged
        .iter()
        .position(|l| l.starts_with("INIT_REPORT"))
        .unwrap();
    assert!(
        logged[..at]
            .iter()
            .any(|l| l.contains("Runtime.ImportModuleError")),
        "{logged:#?}"
    );
    // Its JSON form says the sandbox was provisioned; Sluice labelled every Init on-demand.
    let inits = lines.init_lines_of("BrokenProv");
    assert!(
        inits
            .iter()
            .filter(|(l, _)| l.starts_with("INIT_REPORT"))
            .all(|(_, how)| how == "provisioned-concurrency $LATEST"),
        "{inits:#?}"
    );
    lambda.shutdown().await;
}

/// AWS keeps provisioned environments initialised ahead of invocations: one whose runtime
/// exits after answering (awslambdaric does after a 413) is replaced at once. Sluice noticed
/// the death only when the next invocation looked for a sandbox, which then ran cold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_sandbox_whose_runtime_exits_idle_is_replaced_before_the_next_call() {
    let mut spec = crate::harness::spec(
        "ExitsProv",
        "provided.al2023",
        "unused",
        "provided_exit_after_answer",
    );
    spec.provisioned_concurrency = 1;
    spec.environment
        .insert("SAY_READY".to_owned(), "1".to_owned());
    let (lambda, lines) = service(vec![spec]);
    let _background = lambda.start_background();
    let started = || {
        lines
            .of("ExitsProv")
            .iter()
            .filter(|l| l.starts_with("ready "))
            .count()
    };
    // "ready" is printed before the runtime's first `next`: the sandbox is warm only once idle.
    let idle = || lambda.sandbox_counts()["ExitsProv"].idle;
    sluice_testkit::assert_eventually_async!(
        started() == 1 && idle() == 1,
        "no provisioned sandbox started"
    );
    let first = invoke(&lambda, "ExitsProv", json!({"then": "exit"})).await;
    assert_eq!(first.function_error, None, "{}", first.log_tail);
    sluice_testkit::assert_eventually_async!(
        started() == 2 && idle() == 1,
        "the dead provisioned sandbox was not replaced: {:#?}",
        lines.of("ExitsProv")
    );
    let next = invoke(&lambda, "ExitsProv", json!({})).await;
    assert_eq!(next.function_error, None, "{}", next.log_tail);
    assert_ne!(json(&next)["pid"], json(&first)["pid"]);
    assert!(
        !next.log_tail.contains("Init Duration"),
        "{}",
        next.log_tail
    );
    assert_eq!(cold_reports(&lines, "ExitsProv"), 0);
    lambda.shutdown().await;
}

/// Failed Inits (`INIT_REPORT … Status: error`) of `function`'s provisioned sandboxes.
fn failed_provisioned_inits(lines: &crate::harness::Lines, function: &str) -> usize {
    lines
        .init_lines_of(function)
        .iter()
        .filter(|(l, how)| {
            l.starts_with("INIT_REPORT")
                && l.contains("\tStatus: error")
                && how.starts_with("provisioned-concurrency ")
        })
        .count()
}

/// AWS keeps the configured number of provisioned environments, trying again while Init fails
/// (the configuration stays `IN_PROGRESS`). A provisioned sandbox whose Init fails twice, then
/// succeeds, is up after its third start: Sluice used to give up after the first failure,
/// leaving the function short of its provisioned sandboxes until it restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_sandbox_whose_init_fails_at_first_is_started_again_until_it_is_up() {
    let count_dir = std::env::temp_dir().join(format!(
        "sluice-init-count-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir(&count_dir).unwrap();
    // Writable by the user sandboxes run as when the tests run as root (`nobody`).
    std::fs::set_permissions(
        &count_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let mut spec = crate::harness::spec(
        "FlakyProv",
        "provided.al2023",
        "unused",
        "provided_init_flaky",
    );
    spec.provisioned_concurrency = 1;
    spec.environment
        .insert("FAIL_INITS".to_owned(), "2".to_owned());
    spec.environment.insert(
        "INIT_COUNT_DIR".to_owned(),
        count_dir.to_string_lossy().into_owned(),
    );
    let (lambda, lines) = service(vec![spec]);
    let _background = lambda.start_background();
    sluice_testkit::assert_eventually_async!(
        lambda.sandbox_counts()["FlakyProv"].idle == 1,
        "the provisioned sandbox never came up: {:?}\n{:#?}",
        lambda.sandbox_counts()["FlakyProv"],
        lines.of("FlakyProv")
    );
    // One slot, one start at a time: exactly the two failures, each reported, then the one
    // that serves.
    assert_eq!(
        failed_provisioned_inits(&lines, "FlakyProv"),
        2,
        "{:#?}",
        lines.init_lines_of("FlakyProv")
    );
    assert_eq!(std::fs::read_dir(&count_dir).unwrap().count(), 2);
    let inv = invoke(&lambda, "FlakyProv", json!({})).await;
    assert_eq!(inv.function_error, None, "{}", inv.log_tail);
    assert!(!inv.log_tail.contains("Init Duration"), "{}", inv.log_tail);
    assert_eq!(cold_reports(&lines, "FlakyProv"), 0);
    lambda.shutdown().await;
    let _ = std::fs::remove_dir_all(&count_dir);
}

/// A provisioned sandbox whose runtime exits at once during every Init is started again
/// with backoff (100 ms doubling to a minute), never in a loop that spins the CPU: a few attempts
/// in the first seconds where a loop would make hundreds. Counted, never timed: the bound
/// grows with the time that passed, so a slow machine only makes fewer attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_sandbox_whose_init_always_fails_is_started_again_with_backoff() {
    let mut spec = crate::harness::spec(
        "CrashLoop",
        "provided.al2023",
        "unused",
        "provided_init_exit",
    );
    spec.provisioned_concurrency = 1;
    spec.reserved_concurrency = Some(1);
    let (lambda, lines) = service(vec![spec]);
    let began = std::time::Instant::now();
    let _background = lambda.start_background();
    let attempts = || failed_provisioned_inits(&lines, "CrashLoop");
    sluice_testkit::assert_eventually_async!(
        attempts() >= 3,
        "the failed provisioned Init was not tried again: {:#?}",
        lines.of("CrashLoop")
    );
    // A window in which a loop without backoff would start the runtime hundreds of times.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let made = attempts();
    let elapsed = began.elapsed().as_secs() as usize;
    // Backoff allows about log2(T / 100 ms) + T / 10 s attempts in T seconds.
    assert!(
        made <= 10 + elapsed,
        "{made} attempts in about {elapsed} s: not backing off"
    );
    assert_eq!(lambda.sandbox_counts()["CrashLoop"].idle, 0);
    // Retries hold no concurrency: an invocation meanwhile runs on demand (and fails as the
    // function's Init does) instead of being throttled.
    let inv = invoke(&lambda, "CrashLoop", json!({})).await;
    assert_eq!(
        inv.function_error.as_deref(),
        Some("Unhandled"),
        "{}",
        inv.log_tail
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_demand_sandboxes_say_so_in_their_environment() {
    let (lambda, _) = service(vec![python("Env", "app.environment")]);
    let inv = invoke(&lambda, "Env", json!({})).await;
    assert_eq!(json(&inv)["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
    lambda.shutdown().await;
}

/// AWS: an invocation runs to its end whatever its caller does. Callers dropped mid-invocation
/// (a client that hung up), one buffered and one streaming, each during the sandbox's cold start,
/// leave their invocations running: both REPORT, and their sandboxes stay warm for the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocations_whose_callers_go_away_run_to_their_end() {
    let (lambda, lines) = service(vec![python("Left", "app.slow")]);
    let event = || bytes::Bytes::from(json!({"seconds": 0.3}).to_string());
    let gone = std::time::Duration::from_millis(20);
    assert!(tokio::time::timeout(gone, lambda.invoke("Left", event()))
        .await
        .is_err());
    assert!(tokio::time::timeout(
        gone,
        lambda.invoke_streaming("Left", event(), Default::default())
    )
    .await
    .is_err());
    let reports = || {
        lines
            .of("Left")
            .into_iter()
            .filter(|l| l.starts_with("REPORT"))
            .collect::<Vec<_>>()
    };
    sluice_testkit::assert_eventually_async!(
        reports().len() == 2,
        "expected both abandoned invocations to REPORT, saw {:?}",
        reports()
    );
    assert_eq!(cold_reports(&lines, "Left"), 2, "{:?}", reports());
    sluice_testkit::assert_eventually_async!(
        lambda.sandbox_counts()["Left"].idle >= 2,
        "expected both sandboxes warm, saw {:?}",
        lambda.sandbox_counts()["Left"]
    );
    let next = invoke(&lambda, "Left", json!({"seconds": 0})).await;
    assert!(
        !next.log_tail.contains("Init Duration"),
        "{}",
        next.log_tail
    );
    lambda.shutdown().await;
}
