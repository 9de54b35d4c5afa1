//! A sandbox's Init phase: waiting for the runtime's first `next` and every extension's, within
//! Lambda's init limit.

use std::time::{Duration, Instant};

use crate::extensions::telemetry::{Platform, Status};
use crate::extensions::Registry;
use crate::invocation_log::{init_report_line, InitPhase};
use crate::runtime_api::RuntimeEvent;

use super::extension_phases::{self, until, Waited};
use super::function_error::{error_document, init_error, runtime_exited_in_init, InitFailure};
use super::process::runtime_exited;
use super::start::Announce;
use super::Sandbox;

impl Sandbox {
    /// Init failed (`failure`) on the way to invocation `request_id`. As Lambda does: report it,
    /// reset the sandbox, and run Init again inside the invocation (a "suppressed init"),
    /// reporting that one too if it fails. Gives when the invoke phase began, and how the
    /// second Init went.
    ///
    /// AWS (recorded 2024-2025): the runtime's Init output twice, each followed by its
    /// `INIT_REPORT … Phase: init|invoke\tStatus: error\tError Type: …`, then START; the REPORT
    /// has no `Init Duration`, its Duration spans the second Init.
    pub(super) async fn suppressed_init(
        &mut self,
        failure: InitFailure,
        request_id: &str,
    ) -> (Instant, Result<(), InitFailure>) {
        let invoke_began = Instant::now();
        self.log_failed_init(
            invoke_began.saturating_duration_since(self.started),
            InitPhase::Init,
            &failure,
        );
        let template = self.template.clone();
        let fresh = match Sandbox::start_logging_to(
            template,
            self.init_type,
            self.log.clone(),
            Announce::Nothing,
        )
        .await
        {
            Ok(fresh) => fresh,
            Err(e) => {
                // It started a moment ago; whatever stops it now, the first failure stands.
                tracing::warn!(function = %self.template.function, "cannot reset the sandbox after a failed Init: {e}");
                return (invoke_began, Err(failure));
            }
        };
        // Dropping the failed sandbox kills whatever is left of it. The pool registered the
        // failed one as busy: a service shutdown meanwhile leaves the fresh one to end with the
        // invocation (its answer or its timeout), when the pool stops it.
        drop(std::mem::replace(self, fresh));
        // The INIT_REPORT lines account for Init; the REPORT does not repeat it.
        self.reported_init = true;
        // AWS: retried "at the time of the first function invocation with the configured
        // function timeout", which the handler shares ([`Sandbox::run`]).
        let deadline = tokio::time::Instant::from_std(invoke_began) + self.template.timeout;
        let retried = self
            .wait_ready_until(Some(request_id), deadline, self.template.timeout)
            .await;
        if let Err(failure) = &retried {
            self.log_failed_init(self.started.elapsed(), InitPhase::Invoke, failure);
        }
        (invoke_began, retried)
    }

    /// Init ahead of any invocation (provisioned concurrency, or a sandbox started ahead of
    /// demand): wait until the runtime is ready, and report a failure as an on-demand Init's.
    ///
    /// AWS (docs, "Failures during the Init phase"): "If a function crashes or times out during
    /// the Init phase, Lambda emits error information in the INIT_REPORT log", whatever started it.
    pub async fn init_ahead(&mut self) -> Result<(), InitFailure> {
        let ready = self.wait_ready(None).await;
        if let Err(failure) = &ready {
            self.log_failed_init(self.started.elapsed(), InitPhase::Init, failure);
        }
        ready
    }

    /// An Init that failed after `took`: the runtime's last output, then its `INIT_REPORT`.
    fn log_failed_init(&self, took: Duration, phase: InitPhase, failure: &InitFailure) {
        self.flush_output();
        self.log.init_line(
            &init_report_line(took, phase, &failure.status()),
            self.init_type.env_value(),
            true,
        );
    }

    /// Wait until the runtime asks for its first invocation, within Lambda's Init limit.
    pub async fn wait_ready(&mut self, request_id: Option<&str>) -> Result<(), InitFailure> {
        let limit = self.init_type.init_limit(self.template.timeout);
        let deadline = tokio::time::Instant::from_std(self.started) + limit;
        self.wait_ready_until(request_id, deadline, limit).await
    }

    /// [`Sandbox::wait_ready`] until `deadline`, `limit` after Init began.
    async fn wait_ready_until(
        &mut self,
        request_id: Option<&str>,
        deadline: tokio::time::Instant,
        limit: Duration,
    ) -> Result<(), InitFailure> {
        if self.ready {
            return Ok(());
        }
        if let Some(failure) = self.init_failure.take() {
            self.kill();
            return Err(failure);
        }
        loop {
            let event = tokio::select! {
                // What the runtime already said wins over a deadline passed meanwhile (a sandbox
                // started ahead of demand is first waited on at its first invocation).
                biased;
                ev = self.channels.events.recv() => ev,
                status = runtime_exited(&mut self.process) => {
                    self.healthy = false;
                    // A runtime may report init/error just before exiting; prefer its words.
                    if let Ok(RuntimeEvent::InitError { error_type, body }) = self.channels.events.try_recv() {
                        return Err(init_error(error_type, body));
                    }
                    return Err(runtime_exited_in_init(request_id, &status));
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.kill();
                    return Err(InitFailure {
                        error_type: "Sandbox.Timedout".to_owned(),
                        payload: error_document("Sandbox.Timedout", &format!("Init phase timed out after {:.2} seconds", limit.as_secs_f64())),
                        timed_out: true,
                        fault: None,
                    });
                }
            };
            match event {
                Some(RuntimeEvent::Ready { at }) => {
                    let init_type = self.init_type.env_value();
                    let phase = self.init_phase.as_str();
                    let telemetry = self.extensions.telemetry.clone();
                    telemetry.platform(|| Platform::InitRuntimeDone {
                        init_type,
                        phase,
                        status: Status::Success,
                    });
                    // AWS: Init ends when the runtime and every extension have called `next`.
                    let at = self
                        .wait_extensions_ready(request_id, deadline, limit)
                        .await?
                        .unwrap_or(at);
                    self.ready = true;
                    let took = at.saturating_duration_since(self.started);
                    self.init_duration = Some(took);
                    telemetry.platform(|| Platform::InitReport {
                        init_type,
                        phase,
                        status: Status::Success,
                        duration: took,
                    });
                    telemetry.init_ended();
                    return Ok(());
                }
                Some(RuntimeEvent::InitError { error_type, body }) => {
                    // The runtime said why; it is expected to exit, make sure it does.
                    self.kill();
                    return Err(init_error(error_type, body));
                }
                // Nothing else can arrive before the first `next`; ignore stray posts.
                Some(_) => {}
                None => {
                    self.kill();
                    return Err(InitFailure {
                        error_type: "Runtime.Unknown".to_owned(),
                        payload: error_document(
                            "Runtime.Unknown",
                            "The Runtime API listener stopped",
                        ),
                        timed_out: false,
                        fault: None,
                    });
                }
            }
        }
    }

    /// After the runtime's first `next`: wait for every extension's. `Some(when)` Init ended,
    /// if it was after the runtime's `next`.
    async fn wait_extensions_ready(
        &mut self,
        request_id: Option<&str>,
        deadline: tokio::time::Instant,
        limit: Duration,
    ) -> Result<Option<Instant>, InitFailure> {
        let registry = self.extensions.registry.clone();
        if let Some(settled) = registry.init_settled() {
            return settled
                .map(|()| None)
                .map_err(extension_phases::init_failure);
        }
        match until(
            &registry,
            &mut self.process,
            deadline,
            Registry::init_settled,
        )
        .await
        {
            Waited::Done(Ok(())) => Ok(Some(Instant::now())),
            Waited::Done(Err(failure)) => {
                self.kill();
                Err(extension_phases::init_failure(failure))
            }
            Waited::RuntimeExited(status) => {
                self.healthy = false;
                Err(runtime_exited_in_init(request_id, &status))
            }
            Waited::TimedOut => {
                self.kill();
                Err(extension_phases::init_timeout(limit))
            }
        }
    }
}
