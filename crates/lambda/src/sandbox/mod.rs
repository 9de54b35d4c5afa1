//! One sandbox: a runtime process and its external extensions in their own containment, its
//! Runtime API listener, its captured output, and the supervision of one invocation at a time
//! (timeouts, crashes).
//!
//! The jobs live apart: [`process`] spawns and kills, [`containment`] holds the processes
//! (cgroup or process group) and measures memory, [`peer`] tells who calls the Runtime API,
//! [`output`] turns pipes into log lines, [`function_error`] words failures as Lambda does,
//! [`host`] is what the host allows, [`extension_processes`] starts extensions and
//! [`extension_phases`] waits on them through Init, Invoke and Shutdown; [`start`] and [`init`]
//! are a sandbox's first two steps.

mod cgroups;
mod containment;
mod extension_phases;
mod extension_processes;
mod fork_server;
mod function_error;
mod host;
mod init;
mod orphans;
mod outcome;
mod output;
mod peer;
mod process;
mod sandbox_template;
mod start;
mod stream_relay;
mod user;

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::extensions::telemetry::{Platform, ResponseSpans, Status};
use crate::extensions::{Event, EventKind, Registry, ShutdownReason};
use crate::invocation_log::{self, FunctionLog, InitPhase, Report, ReportStatus};
use crate::memory;
use crate::runtime_api::{PendingInvocation, RuntimeApi, RuntimeChannels, RuntimeEvent};
use crate::{Invocation, InvokeOptions, ReportFigures, StreamingInvocation, MAX_RESPONSE_PAYLOAD};

pub(crate) use containment::Containment;
pub(crate) use extension_phases::PendingReport;
use extension_phases::{until, Waited};
use extension_processes::ExtensionProcesses;
pub(crate) use function_error::{error_document, InitFailure};
use function_error::{
    error_payload, invocation_error_payload, response_too_large, runtime_exit_message,
    RESPONSE_TOO_LARGE, RUNTIME_EXIT_ERROR,
};
pub(crate) use host::SandboxHost;
pub(crate) use outcome::Answered;
use outcome::{trace_id, Outcome};
use output::PipeReader;
pub(crate) use process::StartError;
use process::{runtime_exited, SandboxProcess};
pub(crate) use sandbox_template::SandboxTemplate;
pub(crate) use start::Announce;

/// Where a sandbox hands a streamed response's head to the caller that takes one.
pub(crate) type StreamHead = tokio::sync::oneshot::Sender<StreamingInvocation>;

/// AWS gives on-demand initialisation 10 seconds; one that takes longer is retried inside the
/// first invocation, with the function's timeout.
const INIT_LIMIT: Duration = Duration::from_secs(10);
/// AWS gives a provisioned sandbox's Init 130 seconds, or the function's timeout if longer.
const PROVISIONED_INIT_LIMIT: Duration = Duration::from_secs(130);
/// How long after its answer a runtime may take to ask for the next invocation before a new
/// invocation goes to another sandbox instead. Runtimes ask at once; this only absorbs a busy
/// host's scheduling delay, which would otherwise cost a needless cold start.
const ASKS_AFTER_ANSWER: Duration = Duration::from_millis(500);
/// How often, at most, a busy sandbox's peak memory is read again from `/proc`.
const MEMORY_REFRESH: Duration = Duration::from_millis(100);

/// How Lambda initialised a sandbox, as `AWS_LAMBDA_INITIALIZATION_TYPE` tells the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InitType {
    /// Started for (or ahead of) invocations: its first REPORT carries `Init Duration`.
    OnDemand,
    /// Provisioned concurrency: initialised before any invocation; no REPORT carries
    /// `Init Duration`, as on Lambda.
    Provisioned,
}

impl InitType {
    /// How long Init may take before Lambda gives up on it (AWS docs, "Understand the Lambda
    /// execution environment lifecycle": 10 s on demand; with provisioned concurrency "130
    /// seconds or the configured function timeout (maximum 900 seconds), whichever is higher").
    fn init_limit(self, timeout: Duration) -> Duration {
        match self {
            InitType::OnDemand => INIT_LIMIT,
            InitType::Provisioned => PROVISIONED_INIT_LIMIT.max(timeout),
        }
    }

    /// The value of `AWS_LAMBDA_INITIALIZATION_TYPE`.
    pub(crate) fn env_value(self) -> &'static str {
        match self {
            InitType::OnDemand => "on-demand",
            InitType::Provisioned => "provisioned-concurrency",
        }
    }
}

/// Whether a warm sandbox can take the invocation about to be assigned to it.
pub(crate) enum Readiness {
    /// Its runtime is waiting in `next`.
    Asked,
    /// Its runtime exited while idle: the sandbox is not used again.
    Exited,
    /// Its runtime has not asked for work since its last answer: the sandbox is busy.
    Busy,
}

/// A started runtime process and its Runtime API listener.
pub(crate) struct Sandbox {
    template: Arc<SandboxTemplate>,
    /// The runtime process; `None` when the extensions' Init failed before it could start.
    process: Option<SandboxProcess>,
    containment: Arc<Containment>,
    extensions: ExtensionProcesses,
    /// Why Init failed before the runtime started (an extension crashed or reported an error).
    init_failure: Option<InitFailure>,
    /// Set when an invocation timed out or the runtime died while extensions are registered:
    /// the sandbox is reset through the Shutdown phase with this reason, as on Lambda.
    reset: Option<ShutdownReason>,
    _api: RuntimeApi,
    channels: RuntimeChannels,
    output: Vec<Arc<PipeReader>>,
    log: FunctionLog,
    started: Instant,
    /// Set once the runtime first asks for work; reported on the first invocation only.
    init_duration: Option<Duration>,
    ready: bool,
    /// Whether `Init Duration` was reported (or never will be: a provisioned sandbox).
    reported_init: bool,
    init_type: InitType,
    healthy: bool,
    last_memory_mb: u64,
    /// When `last_memory_mb` was read from `/proc`.
    memory_read_at: Option<Instant>,
    /// When the runtime began and finished posting the current invocation's response.
    response_read: Option<(Instant, Instant)>,
    /// `init`, or `invoke` for the Init Lambda runs again inside an invocation after one failed.
    init_phase: InitPhase,
    /// When the sandbox last finished an invocation (for the idle reaper).
    pub last_used: Instant,
    /// The function timeout's timer, kept across invocations and reset to each new deadline.
    /// A fresh timer per invocation lands in tokio's then-empty timer wheel, which makes tokio
    /// wake the worker parked in the I/O driver (an `eventfd` write and a context switch per
    /// invocation); moving a pending timer to a later deadline is a store, no wake-up.
    timeout_timer: Pin<Box<tokio::time::Sleep>>,
    /// The tenant whose invocations this sandbox runs (a tenant-isolated function's), bound by
    /// its first invocation; `None` before it and for every other function.
    tenant: Option<String>,
}

impl Sandbox {
    /// The process group id: the sandbox's first process (an extension, else the runtime).
    pub fn pid(&self) -> u32 {
        self.containment.group().unwrap_or_default()
    }

    /// How the sandbox was initialised.
    pub fn init_type(&self) -> InitType {
        self.init_type
    }

    /// What holds the sandbox's processes (to kill it while busy).
    pub fn containment(&self) -> Arc<Containment> {
        self.containment.clone()
    }

    /// Whether an extension crashed or reported an error (the sandbox must not be used again).
    pub fn extension_failed(&self) -> bool {
        self.extensions.registry.failure().is_some()
    }

    /// Whether the sandbox can take another invocation. A runtime found to have exited (while
    /// idle) marks the sandbox for a reset, as one that dies during an invocation does.
    pub fn is_reusable(&mut self) -> bool {
        let Some(process) = self.process.as_mut() else {
            return false;
        };
        if process.try_exited().is_some() && self.healthy {
            self.runtime_died();
            // Its last words belong to its own log stream.
            self.flush_output();
        }
        let running = self
            .process
            .as_ref()
            .is_some_and(SandboxProcess::is_running);
        self.healthy && running && self.extensions.registry.failure().is_none()
    }

    /// Turns true once the runtime process has exited; `None` when there is none.
    pub fn runtime_gone(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        self.process.as_ref().map(SandboxProcess::gone)
    }

    /// Whether the runtime is waiting in `next` (a sandbox not yet initialised counts: its Init
    /// is part of the invocation).
    pub fn runtime_waiting(&self) -> bool {
        !self.ready || *self.channels.waiting.borrow()
    }

    /// Whether this sandbox may run an invocation for `tenant`: one that has not run for any
    /// tenant yet, or has run for this one.
    ///
    /// AWS (Lambda docs, "Tenant isolation"): "execution environments are never reused across
    /// different tenants"; the tenant id reaches the function at invocation only, never at Init,
    /// so a sandbox initialised ahead may take the first tenant that comes.
    pub fn serves(&self, tenant: Option<&str>) -> bool {
        self.tenant.is_none() || self.runs_for(tenant)
    }

    /// Whether this sandbox has run an invocation for `tenant` already.
    pub fn runs_for(&self, tenant: Option<&str>) -> bool {
        self.tenant.is_some() && self.tenant.as_deref() == tenant
    }

    /// Whether the runtime answered its last invocation so recently that it may still be on
    /// its way to ask for the next one.
    pub fn answered_a_moment_ago(&self) -> bool {
        self.last_used.elapsed() < ASKS_AFTER_ANSWER
    }

    /// Before an invocation is assigned to this warm sandbox: wait until its runtime asks for
    /// work again (`next`), as a runtime does right after answering, for at most
    /// [`ASKS_AFTER_ANSWER`] past its last answer.
    ///
    /// AWS: an environment whose runtime has not asked for the next event is not idle (a
    /// handler still busy in the background, a hung runtime); the invocation goes to another
    /// environment or a fresh one ([`Readiness::Busy`]). Lambda fails an invocation with
    /// `Runtime.ExitError` only when its runtime exits while handling it; an environment whose
    /// runtime died idle is replaced ([`Readiness::Exited`]). (A runtime exits between answers
    /// when its answer is refused, as awslambdaric does after a 413, or when it crashes or is
    /// killed after answering.)
    pub async fn runtime_readiness(&mut self) -> Readiness {
        if self.runtime_waiting() {
            return Readiness::Asked;
        }
        let patience = tokio::time::sleep_until((self.last_used + ASKS_AFTER_ANSWER).into());
        let readiness = tokio::select! {
            biased;
            _ = runtime_exited(&mut self.process) => Readiness::Exited,
            // A closed channel is a stopped listener, which `invoke` reports.
            _ = self.channels.waiting.wait_for(|waiting| *waiting) => Readiness::Asked,
            () = patience => Readiness::Busy,
        };
        if matches!(readiness, Readiness::Exited) {
            self.runtime_died();
            // Its last words belong to its own log stream, before the fresh sandbox's Init.
            self.flush_output();
        }
        readiness
    }

    /// Run one invocation up to the runtime's answer, logging START (and END/REPORT unless
    /// extensions are still working on it). Never fails: every way an invocation can go wrong
    /// inside the sandbox is a function error, as on Lambda.
    ///
    /// AWS: the caller gets the response as soon as the runtime posts it; the invocation ends
    /// (REPORT, environment free) once every extension subscribed to INVOKE has called `next`
    /// again. Then [`Answered::pending`] holds the rest, for [`Sandbox::complete`].
    ///
    /// With a `head`, a response the runtime streams is handed over through it as soon as the
    /// stream begins, and this returns when the stream has ended (REPORT then covers at least
    /// the whole stream, as on AWS); the answer's payload is then only the error document, if any.
    pub async fn invoke(
        &mut self,
        payload: Bytes,
        options: InvokeOptions,
        mut head: Option<StreamHead>,
    ) -> Answered {
        let version = options.executed_version();
        let InvokeOptions {
            client_context,
            request_id,
            qualifier,
            tenant_id,
        } = options;
        if tenant_id.is_some() {
            self.tenant.clone_from(&tenant_id);
        }
        let request_id = request_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let trace_id = trace_id();
        let begun = Instant::now();
        let mut ready = self.wait_ready(Some(&request_id)).await;
        // For a suppressed init, the invoke phase (REPORT's Duration) includes the second Init.
        let mut invoke_began = None;
        if let Err(failure) = ready {
            // Boxed: a failed Init is rare, and inline its state would be in every invocation's.
            let (began, retried) = Box::pin(self.suppressed_init(failure, &request_id)).await;
            invoke_began = Some(began);
            ready = retried;
        }
        let init_duration = if self.reported_init {
            None
        } else {
            self.reported_init = true;
            self.init_duration
                .or(Some(begun.saturating_duration_since(self.started)))
        };
        self.log
            .line(&invocation_log::start_line_of(&request_id, version));
        self.extensions.telemetry.platform(|| Platform::Start {
            request_id: request_id.clone(),
            version: version.to_owned(),
            trace_id: trace_id.clone(),
        });
        let invoke_started = invoke_began.unwrap_or_else(Instant::now);
        let outcome = match ready {
            Err(failure) => {
                if let Some(fault) = &failure.fault {
                    self.log_fault(fault, &failure.error_type);
                }
                Outcome {
                    status: failure.status(),
                    payload: failure.payload,
                    function_error: true,
                }
            }
            Ok(()) => {
                let caller = Caller {
                    client_context,
                    qualifier,
                    tenant_id,
                };
                self.run(
                    &request_id,
                    &trace_id,
                    payload,
                    caller,
                    invoke_started,
                    &mut head,
                )
                .await
            }
        };
        let function_error = outcome
            .function_error
            .then(|| function_error_type(&outcome.payload));
        if self.extensions.telemetry.is_active() {
            // What the runtime wrote before answering precedes its runtimeDone, as on Lambda.
            self.flush_output();
        }
        let response_read = self.response_read.take();
        self.extensions
            .telemetry
            .platform(|| Platform::RuntimeDone {
                request_id: request_id.clone(),
                trace_id: trace_id.clone(),
                status: telemetry_status(&outcome.status, function_error.as_ref()),
                duration: invoke_started.elapsed(),
                produced_bytes: (!outcome.function_error).then_some(outcome.payload.len()),
                spans: response_read
                    .map(|(began, ended)| response_spans(invoke_started, began, ended)),
            });
        let mut invocation = Invocation {
            request_id: request_id.clone(),
            payload: outcome.payload,
            function_error: outcome.function_error.then(|| "Unhandled".to_owned()),
            log_tail: String::new(),
            trace_id,
            report: None,
        };
        let pending = PendingReport {
            request_id,
            trace_id: invocation.trace_id.clone(),
            invoke_started,
            deadline: tokio::time::Instant::from_std(invoke_started) + self.template.timeout,
            init_duration,
            status: outcome.status,
            function_error,
        };
        if self.healthy && !self.extensions.registry.all_done() {
            self.flush_output();
            invocation.log_tail = self.log.take_tail();
            return Answered {
                invocation,
                pending: Some(pending),
            };
        }
        invocation.report = Some(self.report(pending));
        invocation.log_tail = self.log.take_tail();
        Answered {
            invocation,
            pending: None,
        }
    }

    /// END and REPORT for an invocation; its duration runs until now. Gives the REPORT's figures.
    fn report(&mut self, pending: PendingReport) -> ReportFigures {
        let PendingReport {
            request_id,
            trace_id,
            invoke_started,
            init_duration,
            mut status,
            function_error,
            ..
        } = pending;
        let duration = invoke_started.elapsed();
        self.flush_output();
        if let Some(failure) = self.extensions.registry.failure() {
            // The sandbox is not reused after an extension failed.
            self.healthy = false;
            if status == ReportStatus::Success {
                status = ReportStatus::Error(failure.error_type);
            }
        }
        // AWS: measured per invocation. Sluice: /proc costs ~28 µs a request, so under load the
        // figure is refreshed at most every 100 ms; a peak only grows, so it lags by that much at most.
        // A failed invocation is read afresh: it may have died of its memory limit.
        let stale = !matches!(status, ReportStatus::Success)
            || self
                .memory_read_at
                .is_none_or(|at| at.elapsed() >= MEMORY_REFRESH || duration >= MEMORY_REFRESH);
        if stale {
            if let Some(kb) = self.containment.peak_memory_kb() {
                self.last_memory_mb = memory::kb_to_mb(kb);
            }
            self.memory_read_at = Some(Instant::now());
        }
        self.log.line(&invocation_log::end_line(&request_id));
        let report = Report {
            request_id: &request_id,
            duration,
            memory_size_mb: self.template.memory_mb,
            max_memory_used_mb: self.last_memory_mb,
            init_duration,
            status,
        };
        self.log.line(&invocation_log::report_line(&report));
        let figures = report.figures();
        let telemetry = &self.extensions.telemetry;
        telemetry.platform(|| Platform::End {
            request_id: request_id.clone(),
        });
        telemetry.platform(|| Platform::Report {
            request_id: request_id.clone(),
            trace_id,
            status: telemetry_status(&report.status, function_error.as_ref()),
            duration,
            billed_ms: figures.billed_ms,
            memory_mb: figures.memory_mb,
            max_memory_mb: report.max_memory_used_mb,
            init_duration,
        });
        self.last_used = Instant::now();
        figures
    }

    /// Hand the invocation to the runtime and wait for its answer, its death, or the timeout,
    /// which runs from `began`, the start of the invoke phase.
    ///
    /// AWS: "The function's timeout setting limits the duration of the entire Invoke phase"
    /// (Extensions API docs), and an Init run again inside the invocation is part of it: the
    /// handler then has what that Init left of the timeout.
    async fn run(
        &mut self,
        request_id: &str,
        trace_id: &str,
        payload: Bytes,
        caller: Caller,
        began: Instant,
        head: &mut Option<StreamHead>,
    ) -> Outcome {
        let Caller {
            client_context,
            qualifier,
            tenant_id,
        } = caller;
        // AWS: the invoked ARN carries the qualifier the caller used (`…:my-fn:live`).
        let invoked_arn = qualifier
            .as_deref()
            .map(|q| format!("{}:{q}", self.template.function_arn));
        let timeout = self.template.timeout;
        let left = timeout.saturating_sub(began.elapsed());
        let deadline_ms = SystemTime::now()
            .checked_add(left)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64);
        // AWS: extensions subscribed to INVOKE get the event as the runtime gets the invocation.
        self.extensions.registry.dispatch(EventKind::Invoke, || {
            Event::invoke(
                request_id,
                deadline_ms,
                invoked_arn
                    .as_deref()
                    .unwrap_or(&self.template.function_arn),
                trace_id,
            )
        });
        let pending = PendingInvocation {
            request_id: request_id.to_owned(),
            payload,
            deadline_ms,
            trace_id: trace_id.to_owned(),
            client_context,
            tenant_id,
            invoked_arn,
            streaming: head.is_some(),
        };
        if self.channels.invocations.send(pending).await.is_err() {
            self.healthy = false;
            return Outcome::failed(
                "Runtime.Unknown",
                "The Runtime API listener stopped".to_owned(),
            );
        }
        let deadline = tokio::time::Instant::from_std(began) + timeout;
        self.timeout_timer.as_mut().reset(deadline);
        loop {
            let event = tokio::select! {
                ev = self.channels.events.recv() => ev,
                status = runtime_exited(&mut self.process) => {
                    self.runtime_died();
                    // The runtime may have answered just before exiting.
                    while let Ok(ev) = self.channels.events.try_recv() {
                        if let Some(outcome) = self.outcome_of(request_id, ev) {
                            return outcome;
                        }
                    }
                    return self.runtime_exited_during(request_id, &status);
                }
                _ = self.timeout_timer.as_mut() => return self.timed_out(request_id),
            };
            let Some(event) = event else {
                self.healthy = false;
                self.kill();
                return Outcome::failed(
                    "Runtime.Unknown",
                    "The Runtime API listener stopped".to_owned(),
                );
            };
            if let RuntimeEvent::Stream {
                request_id: id,
                content_type,
                frames,
            } = event
            {
                if id == request_id {
                    // Boxed: only streamed answers need the relay's state, which inline would
                    // be in every invocation's future.
                    return Box::pin(self.relay_stream(
                        id,
                        content_type,
                        frames,
                        head.take(),
                        deadline,
                    ))
                    .await;
                }
                continue;
            }
            if let Some(outcome) = self.outcome_of(request_id, event) {
                return outcome;
            }
        }
    }

    /// The runtime exited during invocation `request_id` (`status` as Lambda words it): the
    /// failure is logged after the runtime's last output, as Lambda logs it (the error, then its
    /// type, before END), and is the invocation's outcome.
    fn runtime_exited_during(&mut self, request_id: &str, status: &str) -> Outcome {
        let outcome = Outcome::runtime_exited(request_id, status);
        self.flush_output();
        self.log_fault(
            &runtime_exit_message(Some(request_id), status),
            RUNTIME_EXIT_ERROR,
        );
        outcome
    }

    /// Lambda's own account of a runtime failure in the function's log. AWS (recorded 2023-2025,
    /// RIE `FaultData`): `RequestId: … Error: Runtime exited with error: exit status 1`, then
    /// `Runtime.ExitError` on a line of its own.
    fn log_fault(&self, message: &str, error_type: &str) {
        self.log.line(message);
        self.log.line(error_type);
    }

    /// The invocation ran out of time: the timeout is logged and the sandbox killed, or with
    /// extensions registered reset through the Shutdown phase, as on Lambda.
    fn timed_out(&mut self, request_id: &str) -> Outcome {
        if !self.reset_through_shutdown(ShutdownReason::Timeout) {
            self.kill();
        }
        let timeout = self.template.timeout;
        self.flush_output();
        self.log
            .line(&invocation_log::timeout_message(request_id, timeout));
        Outcome {
            payload: error_document(
                "Sandbox.Timedout",
                &invocation_log::timeout_error_message(request_id, timeout),
            ),
            function_error: true,
            status: ReportStatus::Timeout,
        }
    }

    /// Interpret one runtime event for the invocation `request_id`; `None` for stale events.
    fn outcome_of(&mut self, request_id: &str, event: RuntimeEvent) -> Option<Outcome> {
        match event {
            RuntimeEvent::Response {
                request_id: id,
                body,
                began,
                ended,
            } if id == request_id => {
                self.response_read = Some((began, ended));
                Some(Outcome {
                    payload: body,
                    function_error: false,
                    status: ReportStatus::Success,
                })
            }
            RuntimeEvent::Error {
                request_id: id,
                content_type,
                body,
            } if id == request_id => Some(Outcome {
                payload: invocation_error_payload(content_type.as_deref(), body),
                function_error: true,
                status: ReportStatus::Success,
            }),
            RuntimeEvent::TrailerError {
                request_id: id,
                error_type,
                body,
            } if id == request_id => Some(Outcome {
                payload: error_payload(error_type.as_deref(), body),
                function_error: true,
                status: ReportStatus::Success,
            }),
            RuntimeEvent::ResponseTooLarge { request_id: id } if id == request_id => {
                Some(Outcome {
                    payload: response_too_large(MAX_RESPONSE_PAYLOAD),
                    function_error: true,
                    status: ReportStatus::Error(RESPONSE_TOO_LARGE.to_owned()),
                })
            }
            RuntimeEvent::InvalidResponseMode { request_id: id } if id == request_id => {
                // AWS (RIE invocationresponse.go): an error with an empty payload; the runtime
                // is left mid-response and its next `next` is refused, so the sandbox is not
                // used again.
                self.healthy = false;
                Some(Outcome {
                    payload: Bytes::new(),
                    function_error: true,
                    status: ReportStatus::Error("Runtime.InvalidResponseModeHeader".to_owned()),
                })
            }
            // An `/init/error` is only accepted before the first `next` ([`Sandbox::wait_ready`]
            // takes it); nothing else is for this invocation.
            _ => None,
        }
    }

    /// Read whatever the runtime and extensions wrote before answering, so their lines precede END.
    /// Output without a final newline ends there too: it belongs to this invocation, as on
    /// Lambda, not to the next one's first newline.
    fn flush_output(&self) {
        let extensions = self.extensions.output_readers();
        let readers = self.output.iter().chain(extensions).map(|r| &**r);
        PipeReader::drain_all(readers.clone(), 64);
        for reader in readers {
            reader.end_line();
        }
    }

    /// Finish an invocation answered while extensions were still at work: wait until each has
    /// called `next` (or the function's timeout), then END and REPORT, whose duration includes
    /// the extensions' time as Lambda bills it.
    pub async fn complete(&mut self, mut pending: PendingReport) {
        let registry = self.extensions.registry.clone();
        let check = |r: &Registry| r.all_done().then_some(());
        match until(&registry, &mut self.process, pending.deadline, check).await {
            Waited::Done(()) => {}
            Waited::RuntimeExited(_) => self.healthy = false,
            Waited::TimedOut => {
                self.flush_output();
                let message =
                    invocation_log::timeout_message(&pending.request_id, self.template.timeout);
                self.log.line(&message);
                pending.status = ReportStatus::Timeout;
                self.reset_through_shutdown(ShutdownReason::Timeout);
            }
        }
        self.report(pending);
        // The caller already has its answer; these lines went to the log sink.
        let _ = self.log.take_tail();
    }

    /// Stop the sandbox through Lambda's Shutdown phase (see [`extension_phases::shutdown_phase`]),
    /// then kill whatever is left.
    pub async fn shutdown(mut self, reason: ShutdownReason) {
        extension_phases::shutdown_phase(&mut self.process, &self.extensions, reason).await;
        self.flush_output();
        // Dropping the sandbox kills whatever is left.
    }

    /// With extensions registered, mark the sandbox for a reset through the Shutdown phase
    /// (`reason` for its SHUTDOWN event) instead of a kill; false when there are none.
    fn reset_through_shutdown(&mut self, reason: ShutdownReason) -> bool {
        if self.extensions.registry.counts() == (0, 0) {
            return false;
        }
        self.healthy = false;
        self.reset = Some(reason);
        true
    }

    /// The runtime exited during an invocation: the sandbox is not reused, and with extensions
    /// registered it is reset through the Shutdown phase.
    fn runtime_died(&mut self) {
        self.healthy = false;
        self.reset_through_shutdown(ShutdownReason::Failure);
    }

    /// Why this sandbox must be reset through the Shutdown phase, if it must.
    pub fn reset_reason(&self) -> Option<ShutdownReason> {
        self.reset
    }

    /// SIGKILL every process of the sandbox; it is never used again. (Dropping the sandbox
    /// does the same.)
    pub fn kill(&mut self) {
        self.healthy = false;
        self.containment.kill_all();
    }
}

/// The Telemetry API's `spans` for a response the runtime began posting at `began` and
/// finished at `ended`, in the invocation that began at `invoked`.
fn response_spans(invoked: Instant, began: Instant, ended: Instant) -> ResponseSpans {
    ResponseSpans {
        invoked_at: SystemTime::now() - invoked.elapsed(),
        latency: began.saturating_duration_since(invoked),
        duration: ended.saturating_duration_since(began),
    }
}

/// The `status` of the Telemetry API's records: a function's own error is `error` (with its
/// `errorType`), a runtime's failure `failure`.
fn telemetry_status(status: &ReportStatus, function_error: Option<&Option<String>>) -> Status {
    match (status, function_error) {
        (ReportStatus::Timeout, _) => Status::Timeout,
        (ReportStatus::Error(kind), _) => Status::Failure(kind.clone()),
        (ReportStatus::Success, Some(kind)) => Status::Error(kind.clone()),
        (ReportStatus::Success, None) => Status::Success,
    }
}

/// The `errorType` of a function's error document, if it has one.
fn function_error_type(payload: &Bytes) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorDocument {
        #[serde(rename = "errorType")]
        error_type: Option<String>,
    }
    serde_json::from_slice::<ErrorDocument>(payload)
        .ok()?
        .error_type
}

/// What a caller chose about an invocation that reaches the runtime with it.
struct Caller {
    /// `Lambda-Runtime-Client-Context`.
    client_context: Option<String>,
    /// The version or alias named, for `Lambda-Runtime-Invoked-Function-Arn`.
    qualifier: Option<String>,
    /// `Lambda-Runtime-Aws-Tenant-Id`.
    tenant_id: Option<String>,
}
