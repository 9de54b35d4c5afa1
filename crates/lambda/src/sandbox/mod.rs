//! One sandbox: a runtime process in its own containment, its Runtime API listener, its
//! captured output, and the supervision of one invocation at a time (timeouts, crashes).
//!
//! The jobs live apart: [`process`] spawns and kills, [`containment`] holds the processes
//! (cgroup or process group) and measures memory, [`peer`] tells who calls the Runtime API,
//! [`output`] turns pipes into log lines, [`function_error`] words failures as Lambda does.

mod containment;
mod function_error;
mod orphans;
mod output;
mod peer;
mod process;
mod stream_relay;
mod user;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::bootstrap::{check_executable, Launcher};
use crate::invocation_log::{self, FunctionLog, Report, ReportStatus};
use crate::memory;
use crate::runtime_api::{
    AnyPeer, PeerCheck, PendingInvocation, RuntimeApi, RuntimeChannels, RuntimeEvent,
};
use crate::{Invocation, LogSink, StreamingInvocation, MAX_RESPONSE_PAYLOAD};

pub(crate) use containment::{Containment, HostContainment};
pub(crate) use function_error::{error_document, InitFailure};
use function_error::{error_payload, init_error};
use output::PipeReader;
pub(crate) use process::StartError;
use process::{SandboxProcess, Spawned};
use user::SandboxUser;

/// Where a sandbox hands a streamed response's head to the caller that takes one.
pub(crate) type StreamHead = tokio::sync::oneshot::Sender<StreamingInvocation>;

/// AWS gives on-demand initialisation 10 seconds.
const INIT_LIMIT: Duration = Duration::from_secs(10);
/// How often, at most, a busy sandbox's peak memory is read again from `/proc`.
const MEMORY_REFRESH: Duration = Duration::from_millis(100);

/// Everything needed to start sandboxes of one function.
pub(crate) struct SandboxTemplate {
    pub function: String,
    pub launcher: Launcher,
    pub memory_mb: u32,
    pub timeout: Duration,
    pub function_arn: String,
    /// The environment shared by all of the function's sandboxes, in precedence order already
    /// (Sluice's variables, then `extra_env`, then the function's own).
    pub env: BTreeMap<String, String>,
    pub sink: Arc<dyn LogSink>,
    /// What the host allows: cgroups, limits, Runtime API isolation, the sandbox user.
    pub host: Arc<SandboxHost>,
    /// Set once it was said that this function keeps Sluice's user.
    pub said_privileged: AtomicBool,
}

/// Host-wide sandbox facilities, decided once per service.
pub(crate) struct SandboxHost {
    /// Cgroups and limits.
    pub containment: HostContainment,
    /// Whether each Runtime API admits only its sandbox's processes.
    pub isolate_runtime_api: bool,
    /// Who sandboxes run as when Sluice is root (`None`: Sluice's own user).
    user: Option<SandboxUser>,
    /// Why sandboxes keep root although Sluice is root, if they do.
    user_problem: Option<String>,
}

impl SandboxHost {
    /// Probe the host; `limits` turns `MemorySize` and the process limit on, `use_cgroups`
    /// false keeps sandboxes to process groups, `user` names who sandboxes run as when Sluice is
    /// root (`nobody` when `None`).
    pub fn probe(limits: bool, use_cgroups: bool, user: Option<&str>) -> SandboxHost {
        let (user, user_problem) = match SandboxUser::choose(user) {
            Ok(user) => (user, None),
            Err(why) => (None, Some(why)),
        };
        SandboxHost {
            containment: HostContainment::probe(limits, use_cgroups),
            isolate_runtime_api: cfg!(target_os = "linux") && peer::tracing_works(),
            user,
            user_problem,
        }
    }

    /// A host on which Sluice cannot contain sandboxes (tests of the blame for that).
    #[cfg(test)]
    pub fn broken_for_tests() -> SandboxHost {
        SandboxHost {
            containment: HostContainment::broken_for_tests(),
            isolate_runtime_api: false,
            user: None,
            user_problem: None,
        }
    }

    /// The user a sandbox of `template` runs as (`None`: Sluice's own), saying once per function
    /// why one keeps Sluice's user.
    fn user_for(
        &self,
        template: &SandboxTemplate,
        env: &BTreeMap<String, String>,
    ) -> Option<&SandboxUser> {
        let user = self.user.as_ref()?;
        match user.cannot_run(&template.launcher, env) {
            None => Some(user),
            Some(why) => {
                if !template.said_privileged.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "function {} runs as root, not {}: {why}",
                        template.function,
                        user.name
                    );
                }
                None
            }
        }
    }

    /// At shutdown: stop what outlived the sandboxes and give back their cgroup folders.
    pub fn release(&self) {
        self.containment.release();
    }

    /// Periodic housekeeping: reap adopted orphans that exited.
    pub fn reap_orphans(&self) {
        self.containment.reap_orphans();
    }

    /// What a person should know at startup, one line each.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.containment.notes().to_vec();
        if let Some(user) = &self.user {
            notes.push(format!(
                "Sandboxes run as user {} (uid {}), not root",
                user.name, user.uid
            ));
        }
        if let Some(why) = &self.user_problem {
            notes.push(format!("Warning: sandboxes run as root ({why})"));
        }
        if !self.isolate_runtime_api {
            notes.push(
                "Warning: Runtime API isolation is off on this host (it cannot trace a loopback connection to its process): any local process can take a function's invocations".to_owned(),
            );
        }
        notes
    }
}

/// A started runtime process and its Runtime API listener.
pub(crate) struct Sandbox {
    template: Arc<SandboxTemplate>,
    process: SandboxProcess,
    _api: RuntimeApi,
    channels: RuntimeChannels,
    output: [Arc<PipeReader>; 2],
    log: FunctionLog,
    started: Instant,
    /// Set once the runtime first asks for work; reported on the first invocation only.
    init_duration: Option<Duration>,
    ready: bool,
    reported_init: bool,
    healthy: bool,
    last_memory_mb: u64,
    /// When `last_memory_mb` was read from `/proc`.
    memory_read_at: Option<Instant>,
    /// When the sandbox last finished an invocation (for the idle reaper).
    pub last_used: Instant,
}

impl Sandbox {
    /// Start the runtime process; it initialises in the background.
    pub async fn start(template: Arc<SandboxTemplate>) -> Result<Sandbox, StartError> {
        check_executable(&template.launcher).map_err(StartError::Function)?;
        let host = &template.host;
        let containment = Arc::new(
            host.containment
                .prepare(template.memory_mb)
                .map_err(StartError::host("cannot create the sandbox's cgroup"))?,
        );
        let peers: Arc<dyn PeerCheck> = if host.isolate_runtime_api {
            Arc::new(peer::SandboxPeers::new(containment.clone()))
        } else {
            Arc::new(AnyPeer)
        };
        let (api, channels) = RuntimeApi::start(template.function_arn.clone(), peers)
            .await
            .map_err(StartError::host("cannot bind the Runtime API listener"))?;
        let log = FunctionLog::new(&template.function, template.sink.clone());
        let mut env = template.env.clone();
        env.insert(
            "AWS_LAMBDA_LOG_STREAM_NAME".to_owned(),
            log.stream().to_owned(),
        );
        // Reserved: the function's own variables cannot redirect the Runtime API.
        env.insert("AWS_LAMBDA_RUNTIME_API".to_owned(), api.address());
        let user = host.user_for(&template, &env);
        if user.is_some() && env.get("HOME") == std::env::var("HOME").ok().as_ref() {
            // Sluice's own home is not the sandbox user's to read; /tmp is, as on Lambda.
            env.insert("HOME".to_owned(), "/tmp".to_owned());
        }
        let started = Instant::now();
        let Spawned {
            process,
            stdout,
            stderr,
        } = SandboxProcess::spawn(&template.launcher, &env, containment, user)?;
        let output = [
            PipeReader::spawn(stdout, log.clone())
                .map_err(StartError::host("cannot watch the runtime's output"))?,
            PipeReader::spawn(stderr, log.clone())
                .map_err(StartError::host("cannot watch the runtime's output"))?,
        ];
        Ok(Sandbox {
            template,
            process,
            _api: api,
            channels,
            output,
            log,
            started,
            init_duration: None,
            ready: false,
            reported_init: false,
            healthy: true,
            last_memory_mb: 0,
            memory_read_at: None,
            last_used: Instant::now(),
        })
    }

    /// The process (and process group) id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// What holds the sandbox's processes (to kill it while busy).
    pub fn containment(&self) -> Arc<Containment> {
        self.process.containment().clone()
    }

    /// Whether the sandbox can take another invocation.
    pub fn is_reusable(&mut self) -> bool {
        let _ = self.process.try_exited();
        self.healthy && self.process.is_running()
    }

    /// Wait until the runtime asks for its first invocation.
    pub async fn wait_ready(&mut self, request_id: Option<&str>) -> Result<(), InitFailure> {
        if self.ready {
            return Ok(());
        }
        let limit = INIT_LIMIT.max(self.template.timeout);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let event = tokio::select! {
                ev = self.channels.events.recv() => ev,
                status = self.process.exited() => {
                    self.healthy = false;
                    // A runtime may report init/error just before exiting; prefer its words.
                    if let Ok(RuntimeEvent::InitError { error_type, body }) = self.channels.events.try_recv() {
                        return Err(init_error(error_type, body));
                    }
                    return Err(InitFailure {
                        error_type: "Runtime.ExitError".to_owned(),
                        payload: error_document("Runtime.ExitError", &match request_id {
                            Some(id) => format!("RequestId: {id} Error: Runtime exited with error: {status}"),
                            None => format!("Runtime exited with error: {status}"),
                        }),
                        timed_out: false,
                    });
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.kill();
                    return Err(InitFailure {
                        error_type: "Sandbox.Timedout".to_owned(),
                        payload: error_document("Sandbox.Timedout", &format!("Init phase timed out after {:.2} seconds", limit.as_secs_f64())),
                        timed_out: true,
                    });
                }
            };
            match event {
                Some(RuntimeEvent::Ready { at }) => {
                    self.ready = true;
                    self.init_duration = Some(at.saturating_duration_since(self.started));
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
                    });
                }
            }
        }
    }

    /// Run one invocation to completion, logging START/END/REPORT. Never fails: every way an
    /// invocation can go wrong inside the sandbox is a function error, as on Lambda.
    ///
    /// With a `head`, a response the runtime streams is handed over through it as soon as the
    /// stream begins, and this returns when the stream has ended (REPORT then covers the whole
    /// stream, as on AWS); the returned payload is then only the error document, if any.
    pub async fn invoke(
        &mut self,
        payload: Bytes,
        client_context: Option<String>,
        mut head: Option<StreamHead>,
    ) -> Invocation {
        let request_id = uuid::Uuid::new_v4().to_string();
        let begun = Instant::now();
        let ready = self.wait_ready(Some(&request_id)).await;
        let init_duration = if self.reported_init {
            None
        } else {
            self.reported_init = true;
            self.init_duration
                .or(Some(begun.saturating_duration_since(self.started)))
        };
        self.log.line(&invocation_log::start_line(&request_id));
        let invoke_started = Instant::now();
        let outcome = match ready {
            Err(failure) => Outcome {
                payload: failure.payload,
                function_error: true,
                status: if failure.timed_out {
                    ReportStatus::Timeout
                } else {
                    ReportStatus::Error(failure.error_type)
                },
            },
            Ok(()) => {
                self.run(&request_id, payload, client_context, &mut head)
                    .await
            }
        };
        let duration = invoke_started.elapsed();
        self.flush_output();
        // AWS: measured per invocation. Sluice: /proc costs ~28 µs a request, so under load the
        // figure is refreshed at most every 100 ms; a peak only grows, so it lags by that much at most.
        // A failed invocation is read afresh: it may have died of its memory limit.
        let stale = !matches!(outcome.status, ReportStatus::Success)
            || self
                .memory_read_at
                .is_none_or(|at| at.elapsed() >= MEMORY_REFRESH || duration >= MEMORY_REFRESH);
        if stale {
            if let Some(kb) = self.process.peak_memory_kb() {
                self.last_memory_mb = memory::kb_to_mb(kb);
            }
            self.memory_read_at = Some(Instant::now());
        }
        self.log.line(&invocation_log::end_line(&request_id));
        self.log.line(&invocation_log::report_line(&Report {
            request_id: &request_id,
            duration,
            memory_size_mb: self.template.memory_mb,
            max_memory_used_mb: self.last_memory_mb,
            init_duration,
            status: outcome.status,
        }));
        self.last_used = Instant::now();
        Invocation {
            request_id,
            payload: outcome.payload,
            function_error: outcome.function_error.then(|| "Unhandled".to_owned()),
            log_tail: self.log.take_tail(),
        }
    }

    /// Hand the invocation to the runtime and wait for its answer, its death, or the timeout.
    async fn run(
        &mut self,
        request_id: &str,
        payload: Bytes,
        client_context: Option<String>,
        head: &mut Option<StreamHead>,
    ) -> Outcome {
        let timeout = self.template.timeout;
        let deadline_ms = SystemTime::now()
            .checked_add(timeout)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64);
        let pending = PendingInvocation {
            request_id: request_id.to_owned(),
            payload,
            deadline_ms,
            trace_id: trace_id(),
            client_context,
            streaming: head.is_some(),
        };
        if self.channels.invocations.send(pending).await.is_err() {
            self.healthy = false;
            return Outcome::failed(
                "Runtime.Unknown",
                "The Runtime API listener stopped".to_owned(),
            );
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let event = tokio::select! {
                ev = self.channels.events.recv() => ev,
                status = self.process.exited() => {
                    self.healthy = false;
                    // The runtime may have answered just before exiting.
                    while let Ok(ev) = self.channels.events.try_recv() {
                        if let Some(outcome) = self.outcome_of(request_id, ev) {
                            return outcome;
                        }
                    }
                    return Outcome::failed(
                        "Runtime.ExitError",
                        format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
                    );
                }
                _ = tokio::time::sleep_until(deadline) => return self.timed_out(request_id),
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
                    return self
                        .relay_stream(id, content_type, frames, head.take(), deadline)
                        .await;
                }
                continue;
            }
            if let Some(outcome) = self.outcome_of(request_id, event) {
                return outcome;
            }
        }
    }

    /// The invocation ran out of time: the sandbox is killed and the timeout logged, as on Lambda.
    fn timed_out(&mut self, request_id: &str) -> Outcome {
        self.kill();
        let message = invocation_log::timeout_message(request_id, self.template.timeout);
        self.flush_output();
        self.log.line(&message);
        Outcome {
            payload: Bytes::from(serde_json::json!({ "errorMessage": message }).to_string()),
            function_error: true,
            status: ReportStatus::Timeout,
        }
    }

    /// Interpret one runtime event for the invocation `request_id`; `None` for stale events.
    fn outcome_of(&mut self, request_id: &str, event: RuntimeEvent) -> Option<Outcome> {
        match event {
            RuntimeEvent::Response { request_id: id, body } if id == request_id => Some(Outcome {
                payload: body,
                function_error: false,
                status: ReportStatus::Success,
            }),
            RuntimeEvent::Error {
                request_id: id,
                error_type,
                body,
            } if id == request_id => Some(Outcome {
                payload: error_payload(error_type.as_deref(), body),
                function_error: true,
                status: ReportStatus::Success,
            }),
            RuntimeEvent::ResponseTooLarge { request_id: id } if id == request_id => Some(Outcome {
                payload: error_document(
                    "Function.ResponseSizeTooLarge",
                    &format!("Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_PAYLOAD} bytes)."),
                ),
                function_error: true,
                status: ReportStatus::Error("Function.ResponseSizeTooLarge".to_owned()),
            }),
            RuntimeEvent::InitError { error_type, body } => {
                // Reported late (a runtime that initialises lazily); the sandbox is done.
                self.healthy = false;
                self.kill();
                let failure = init_error(error_type, body);
                Some(Outcome {
                    payload: failure.payload,
                    function_error: true,
                    status: ReportStatus::Error(failure.error_type),
                })
            }
            _ => None,
        }
    }

    /// Read whatever the runtime wrote before answering, so its lines precede END.
    fn flush_output(&self) {
        for reader in &self.output {
            reader.drain(64);
        }
    }

    /// SIGKILL every process of the sandbox; it is never used again. (Dropping the sandbox
    /// does the same.)
    pub fn kill(&mut self) {
        self.healthy = false;
        self.process.kill();
    }
}

/// The result of one invocation inside the sandbox.
pub(crate) struct Outcome {
    payload: Bytes,
    function_error: bool,
    status: ReportStatus,
}

impl Outcome {
    /// A runtime failure (`Runtime.ExitError`, ...): the sandbox is not reused.
    fn failed(error_type: &str, message: String) -> Outcome {
        Outcome {
            payload: error_document(error_type, &message),
            function_error: true,
            status: ReportStatus::Error(error_type.to_owned()),
        }
    }
}

/// An X-Ray style trace header value, fresh per invocation.
fn trace_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{secs:08x}-{};Parent={};Sampled=0",
        &rand[..24],
        &rand[16..32]
    )
}
