//! The parts of Lambda's lifecycle that wait on extensions: Init (every extension registered,
//! then every one in `next`), the end of an invocation (every INVOKE subscriber back in `next`),
//! and the Shutdown phase (SIGTERM to the runtime, SHUTDOWN to extensions, then SIGKILL).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::extension_processes::ExtensionProcesses;
use super::function_error::{error_document, InitFailure};
use super::process::{runtime_exited, SandboxProcess};
use crate::extensions::{
    Event, EventKind, Failure, Registry, ShutdownReason, RUNTIME_GRACE, SHUTDOWN_LIMIT_EXTERNAL,
    SHUTDOWN_LIMIT_INTERNAL,
};
use crate::invocation_log::ReportStatus;

/// END/REPORT of an invocation whose extensions are still at work.
pub(crate) struct PendingReport {
    pub(super) request_id: String,
    /// `X-Amzn-Trace-Id`, for the Telemetry API's `platform.report`.
    pub(super) trace_id: String,
    pub(super) invoke_started: Instant,
    /// The function's timeout covers the whole Invoke phase, extensions included.
    pub(super) deadline: tokio::time::Instant,
    pub(super) init_duration: Option<Duration>,
    pub(super) status: ReportStatus,
    /// The function's own error type, when it returned an error (for the Telemetry API).
    pub(super) function_error: Option<Option<String>>,
}

/// How a wait on the extensions ended.
pub(super) enum Waited<T> {
    Done(T),
    RuntimeExited(String),
    TimedOut,
}

pub(super) fn init_failure(failure: Failure) -> InitFailure {
    InitFailure {
        payload: error_document(&failure.error_type, &failure.message),
        error_type: failure.error_type,
        timed_out: false,
        fault: None,
    }
}

pub(super) fn init_timeout(limit: Duration) -> InitFailure {
    InitFailure {
        error_type: "Sandbox.Timedout".to_owned(),
        payload: error_document(
            "Sandbox.Timedout",
            &format!(
                "Init phase timed out after {:.2} seconds",
                limit.as_secs_f64()
            ),
        ),
        timed_out: true,
        fault: None,
    }
}

/// Wait until every external extension has registered (Lambda starts the runtime only then).
pub(super) async fn wait_registered(
    registry: &Registry,
    deadline: tokio::time::Instant,
) -> Result<(), InitFailure> {
    let started = tokio::time::Instant::now();
    let mut changes = registry.watch();
    loop {
        changes.borrow_and_update();
        if let Some(settled) = registry.registration_settled() {
            return settled.map_err(init_failure);
        }
        tokio::select! {
            _ = changes.changed() => {}
            _ = tokio::time::sleep_until(deadline) => {
                return Err(init_timeout(deadline.saturating_duration_since(started)));
            }
        }
    }
}

/// Milliseconds since the epoch at `at` (an instant in the future), for `deadlineMs`.
fn epoch_ms(at: tokio::time::Instant) -> u64 {
    let ahead = at.saturating_duration_since(tokio::time::Instant::now());
    SystemTime::now()
        .checked_add(ahead)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64)
}

/// Wait until `check` holds on `registry`, the runtime exits, or `deadline` passes.
pub(super) async fn until<T>(
    registry: &Registry,
    process: &mut Option<SandboxProcess>,
    deadline: tokio::time::Instant,
    check: impl Fn(&Registry) -> Option<T>,
) -> Waited<T> {
    let mut changes = registry.watch();
    loop {
        changes.borrow_and_update();
        if let Some(done) = check(registry) {
            return Waited::Done(done);
        }
        tokio::select! {
            _ = changes.changed() => {}
            status = runtime_exited(process) => return Waited::RuntimeExited(status),
            _ = tokio::time::sleep_until(deadline) => return Waited::TimedOut,
        }
    }
}

/// Lambda's Shutdown phase: with extensions registered, the runtime gets SIGTERM (and up to
/// 300 ms, 500 ms with an internal extension), then each extension subscribed to SHUTDOWN gets
/// the event with the phase's deadline (2,000 ms in all with external extensions); it ends at the
/// deadline or once all are done, and the caller kills what is left. Without extensions: at once.
pub(super) async fn shutdown_phase(
    process: &mut Option<SandboxProcess>,
    extensions: &ExtensionProcesses,
    reason: ShutdownReason,
) {
    let (external, internal) = extensions.registry.counts();
    let running = process.as_ref().is_some_and(|p| p.is_running());
    if external + internal == 0 || !(running || external > 0) {
        return;
    }
    let limit = if external > 0 {
        SHUTDOWN_LIMIT_EXTERNAL
    } else {
        SHUTDOWN_LIMIT_INTERNAL
    };
    let deadline = tokio::time::Instant::now() + limit;
    if let Some(runtime) = process.as_ref().filter(|p| p.is_running()) {
        runtime.terminate();
        let grace = if internal > 0 {
            SHUTDOWN_LIMIT_INTERNAL
        } else {
            RUNTIME_GRACE
        };
        let _ = tokio::time::timeout(grace.min(limit), runtime_exited(process)).await;
    }
    if external == 0 {
        return;
    }
    extensions.begin_shutdown();
    // AWS: what is buffered reaches subscribers before the environment ends.
    extensions.telemetry.flush();
    let event = Event::shutdown(reason, epoch_ms(deadline));
    if extensions.registry.dispatch(EventKind::Shutdown, || event) > 0 {
        let registry = &extensions.registry;
        let mut changes = registry.watch();
        loop {
            changes.borrow_and_update();
            if registry.all_done() {
                break;
            }
            tokio::select! {
                _ = changes.changed() => {}
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
    }
}
