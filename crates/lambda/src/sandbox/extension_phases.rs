//! The parts of Lambda's lifecycle that wait on extensions: Init (every extension registered,
//! then every one in `next`), the end of an invocation (every INVOKE subscriber back in `next`),
//! and the Shutdown phase (SIGTERM to the runtime, SHUTDOWN to extensions, then SIGKILL).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::function_error::{error_document, InitFailure};
use super::{runtime_exited, Sandbox};
use crate::extensions::{
    Event, EventKind, Failure, Registry, ShutdownReason, RUNTIME_GRACE, SHUTDOWN_LIMIT_EXTERNAL,
    SHUTDOWN_LIMIT_INTERNAL,
};
use crate::invocation_log::{self, ReportStatus};

/// END/REPORT of an invocation whose extensions are still at work.
pub(crate) struct PendingReport {
    pub(super) request_id: String,
    pub(super) invoke_started: Instant,
    /// The function's timeout covers the whole Invoke phase, extensions included.
    pub(super) deadline: tokio::time::Instant,
    pub(super) init_duration: Option<Duration>,
    pub(super) status: ReportStatus,
}

/// How a wait on the extensions ended.
enum Waited<T> {
    Done(T),
    RuntimeExited(String),
    TimedOut,
}

fn init_failure(failure: Failure) -> InitFailure {
    InitFailure {
        payload: error_document(&failure.error_type, &failure.message),
        error_type: failure.error_type,
        timed_out: false,
    }
}

fn init_timeout(limit: Duration) -> InitFailure {
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

impl Sandbox {
    /// Wait until `check` holds on the registry, the runtime exits, or `deadline` passes.
    async fn until<T>(
        &mut self,
        deadline: tokio::time::Instant,
        check: impl Fn(&Registry) -> Option<T>,
    ) -> Waited<T> {
        let registry = self.extensions.registry.clone();
        let mut changes = registry.watch();
        loop {
            changes.borrow_and_update();
            if let Some(done) = check(&registry) {
                return Waited::Done(done);
            }
            tokio::select! {
                _ = changes.changed() => {}
                status = runtime_exited(&mut self.process) => return Waited::RuntimeExited(status),
                _ = tokio::time::sleep_until(deadline) => return Waited::TimedOut,
            }
        }
    }

    /// After the runtime's first `next`: wait for every extension's. `Some(when)` Init ended,
    /// if it was after the runtime's `next`.
    pub(super) async fn wait_extensions_ready(
        &mut self,
        deadline: tokio::time::Instant,
        limit: Duration,
    ) -> Result<Option<Instant>, InitFailure> {
        if let Some(settled) = self.extensions.registry.init_settled() {
            return settled.map(|()| None).map_err(init_failure);
        }
        match self.until(deadline, Registry::init_settled).await {
            Waited::Done(Ok(())) => Ok(Some(Instant::now())),
            Waited::Done(Err(failure)) => {
                self.kill();
                Err(init_failure(failure))
            }
            Waited::RuntimeExited(status) => {
                self.healthy = false;
                Err(InitFailure {
                    error_type: "Runtime.ExitError".to_owned(),
                    payload: error_document(
                        "Runtime.ExitError",
                        &format!("Runtime exited with error: {status}"),
                    ),
                    timed_out: false,
                })
            }
            Waited::TimedOut => {
                self.kill();
                Err(init_timeout(limit))
            }
        }
    }

    /// Finish an invocation answered while extensions were still at work: wait until each has
    /// called `next` (or the function's timeout), then END and REPORT, whose duration includes
    /// the extensions' time as Lambda bills it.
    pub async fn complete(&mut self, mut pending: PendingReport) {
        let done = self
            .until(pending.deadline, |r| r.all_done().then_some(()))
            .await;
        match done {
            Waited::Done(()) => {}
            Waited::RuntimeExited(_) => self.healthy = false,
            Waited::TimedOut => {
                let timeout = self.template.timeout;
                self.flush_output();
                self.log.line(&invocation_log::timeout_message(
                    &pending.request_id,
                    timeout,
                ));
                pending.status = ReportStatus::Timeout;
                self.reset_through_shutdown(ShutdownReason::Timeout);
            }
        }
        self.report(pending);
        // The caller already has its answer; these lines went to the log sink.
        let _ = self.log.take_tail();
    }

    /// Lambda's Shutdown phase: with extensions registered, the runtime gets SIGTERM (and up to
    /// 300 ms, 500 ms with an internal extension), then each extension subscribed to SHUTDOWN
    /// gets the event with the phase's deadline (2,000 ms in all with external extensions); at the
    /// deadline, or once all are done, every process is killed. Without extensions: killed at once.
    pub async fn shutdown(mut self, reason: ShutdownReason) {
        let (external, internal) = self.extensions.registry.counts();
        let running = self.process.as_ref().is_some_and(|p| p.is_running());
        if external + internal == 0 || !(running || external > 0) {
            return;
        }
        let limit = if external > 0 {
            SHUTDOWN_LIMIT_EXTERNAL
        } else {
            SHUTDOWN_LIMIT_INTERNAL
        };
        let begun = tokio::time::Instant::now();
        let deadline = begun + limit;
        if let Some(process) = self.process.as_ref().filter(|p| p.is_running()) {
            process.terminate();
            let grace = if internal > 0 {
                SHUTDOWN_LIMIT_INTERNAL
            } else {
                RUNTIME_GRACE
            };
            let _ = tokio::time::timeout(grace.min(limit), runtime_exited(&mut self.process)).await;
        }
        if external > 0 {
            self.extensions.begin_shutdown();
            let event = Event::shutdown(reason, epoch_ms(deadline));
            if self
                .extensions
                .registry
                .dispatch(EventKind::Shutdown, &event)
                > 0
            {
                let registry = self.extensions.registry.clone();
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
        self.flush_output();
        // Dropping the sandbox kills whatever is left.
    }
}
