//! One sandbox: a runtime process in its own process group, its Runtime API listener, its
//! captured output, and the supervision of one invocation at a time (timeouts, crashes).

use std::collections::BTreeMap;
use std::os::fd::{AsFd, OwnedFd};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::net::unix::pipe;
use tokio::sync::oneshot;

use crate::bootstrap::{check_executable, Launcher};
use crate::invocation_log::{self, FunctionLog, Report, ReportStatus};
use crate::memory;
use crate::runtime_api::{PendingInvocation, RuntimeApi, RuntimeChannels, RuntimeEvent};
use crate::{Invocation, LogSink, MAX_RESPONSE_PAYLOAD};

/// AWS gives on-demand initialisation 10 seconds.
const INIT_LIMIT: Duration = Duration::from_secs(10);
/// Longest line kept whole; longer output is split so one handler cannot exhaust memory.
const MAX_LINE: usize = 64 * 1024;

/// Everything needed to start sandboxes of one function.
/// How often, at most, a busy sandbox's peak memory is read again from `/proc`.
const MEMORY_REFRESH: Duration = Duration::from_millis(100);

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
}

/// Why a sandbox could not become ready.
#[derive(Debug)]
pub(crate) struct InitFailure {
    /// Lambda error type (`Runtime.ImportModuleError`, `Runtime.ExitError`, ...).
    pub error_type: String,
    /// The error document returned to the caller.
    pub payload: Bytes,
    /// Whether it failed by running out of time.
    pub timed_out: bool,
}

/// A started runtime process and its Runtime API listener.
pub(crate) struct Sandbox {
    template: Arc<SandboxTemplate>,
    pid: u32,
    _api: RuntimeApi,
    channels: RuntimeChannels,
    exit: Option<oneshot::Receiver<String>>,
    exited: Option<String>,
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
    pub async fn start(template: Arc<SandboxTemplate>) -> Result<Sandbox, String> {
        check_executable(&template.launcher)?;
        let (api, channels) = RuntimeApi::start(template.function_arn.clone())
            .await
            .map_err(|e| format!("cannot bind the Runtime API listener: {e}"))?;
        let log = FunctionLog::new(&template.function, template.sink.clone());
        let launcher = &template.launcher;
        let mut cmd = tokio::process::Command::new(&launcher.program);
        cmd.args(&launcher.args)
            .current_dir(&launcher.task_root)
            .env_clear()
            .envs(&template.env)
            .env("AWS_LAMBDA_LOG_STREAM_NAME", log.stream())
            // Reserved: the function's own variables cannot redirect the Runtime API.
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group, so a timeout kills everything the handler started.
            .process_group(0)
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", launcher.program.display()))?;
        let pid = child.id().ok_or("the runtime process exited immediately")?;
        let stdout = child.stdout.take().map(|s| s.into_owned_fd());
        let stderr = child.stderr.take().map(|s| s.into_owned_fd());
        let (Some(Ok(stdout)), Some(Ok(stderr))) = (stdout, stderr) else {
            kill_group(pid);
            return Err("cannot capture the runtime's output".to_owned());
        };
        let output = [
            PipeReader::spawn(stdout, log.clone())
                .map_err(|e| format!("cannot watch output: {e}"))?,
            PipeReader::spawn(stderr, log.clone())
                .map_err(|e| format!("cannot watch output: {e}"))?,
        ];
        let (exit_tx, exit_rx) = oneshot::channel();
        tokio::spawn(async move {
            let description = match child.wait().await {
                Ok(status) => describe_exit(status),
                Err(e) => format!("wait failed: {e}"),
            };
            let _ = exit_tx.send(description);
        });
        Ok(Sandbox {
            template,
            pid,
            _api: api,
            channels,
            exit: Some(exit_rx),
            exited: None,
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
        self.pid
    }

    /// Whether the sandbox can take another invocation.
    pub fn is_reusable(&mut self) -> bool {
        if let Some(rx) = &mut self.exit {
            match rx.try_recv() {
                Ok(description) => {
                    self.exited = Some(description);
                    self.exit = None;
                }
                Err(oneshot::error::TryRecvError::Closed) => self.exit = None,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
        self.healthy && self.exit.is_some()
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
                status = wait_exit(&mut self.exit) => {
                    self.exited = Some(status.clone());
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
    pub async fn invoke(&mut self, payload: Bytes, client_context: Option<String>) -> Invocation {
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
            Ok(()) => self.run(&request_id, payload, client_context).await,
        };
        let duration = invoke_started.elapsed();
        self.flush_output();
        // AWS: measured per invocation. Sluice: /proc costs ~28 µs a request, so under load the
        // figure is refreshed at most every 100 ms; a peak only grows, so it lags by that much at most.
        let stale = self
            .memory_read_at
            .is_none_or(|at| at.elapsed() >= MEMORY_REFRESH || duration >= MEMORY_REFRESH);
        if stale {
            if let Some(kb) = memory::peak_rss_kb(self.pid) {
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
                status = wait_exit(&mut self.exit) => {
                    self.exited = Some(status.clone());
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
                _ = tokio::time::sleep_until(deadline) => {
                    self.kill();
                    let message = invocation_log::timeout_message(request_id, timeout);
                    self.flush_output();
                    self.log.line(&message);
                    return Outcome {
                        payload: Bytes::from(serde_json::json!({ "errorMessage": message }).to_string()),
                        function_error: true,
                        status: ReportStatus::Timeout,
                    };
                }
            };
            let Some(event) = event else {
                self.healthy = false;
                self.kill();
                return Outcome::failed(
                    "Runtime.Unknown",
                    "The Runtime API listener stopped".to_owned(),
                );
            };
            if let Some(outcome) = self.outcome_of(request_id, event) {
                return outcome;
            }
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

    /// SIGKILL the whole process group; the sandbox is never used again.
    pub fn kill(&mut self) {
        self.healthy = false;
        kill_group(self.pid);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        kill_group(self.pid);
    }
}

/// The result of one invocation inside the sandbox.
struct Outcome {
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

async fn wait_exit(exit: &mut Option<oneshot::Receiver<String>>) -> String {
    match exit {
        Some(rx) => {
            let status = rx.await.unwrap_or_else(|_| "unknown".to_owned());
            *exit = None;
            status
        }
        None => std::future::pending().await,
    }
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // ESRCH (already gone) is fine.
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// `exit status 1` / `signal: killed`, worded as Lambda words it (Go's os.ProcessState).
fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(9) => "signal: killed".to_owned(),
        Some(6) => "signal: aborted".to_owned(),
        Some(11) => "signal: segmentation fault".to_owned(),
        Some(15) => "signal: terminated".to_owned(),
        Some(n) => format!("signal: {n}"),
        None => "exit status unknown".to_owned(),
    }
}

fn init_error(error_type: Option<String>, body: Bytes) -> InitFailure {
    let error_type = error_type
        .or_else(|| {
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("errorType")
                        .and_then(|t| t.as_str())
                        .map(str::to_owned)
                })
        })
        .unwrap_or_else(|| "Runtime.Unknown".to_owned());
    InitFailure {
        payload: error_payload(Some(&error_type), body),
        error_type,
        timed_out: false,
    }
}

/// The payload returned for a reported error: the runtime's document when it sent JSON, else
/// one built from the error type header.
fn error_payload(error_type: Option<&str>, body: Bytes) -> Bytes {
    if serde_json::from_slice::<serde_json::Value>(&body).is_ok() {
        return body;
    }
    let message = String::from_utf8_lossy(&body).into_owned();
    error_document(error_type.unwrap_or("Unhandled"), &message)
}

/// Lambda's error document `{"errorType","errorMessage"}`.
fn error_document(error_type: &str, message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string())
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

/// A sandbox's stdout or stderr, turned into log lines.
///
/// Read under a lock both by a background task and, at the end of each invocation, by the
/// supervisor itself with a direct `read(2)` (not gated by the reactor's readiness), so output
/// written before the response is always logged before END.
struct PipeReader {
    pipe: pipe::Receiver,
    partial: Mutex<Vec<u8>>,
    log: FunctionLog,
}

impl PipeReader {
    fn spawn(fd: OwnedFd, log: FunctionLog) -> std::io::Result<Arc<PipeReader>> {
        let reader = Arc::new(PipeReader {
            // Sets O_NONBLOCK, which `drain` relies on.
            pipe: pipe::Receiver::from_owned_fd(fd)?,
            partial: Mutex::new(Vec::new()),
            log,
        });
        tokio::spawn(reader.clone().run());
        Ok(reader)
    }

    async fn run(self: Arc<Self>) {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if self.pipe.readable().await.is_err() {
                return;
            }
            let mut partial = self.partial.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                // `try_read` clears the reactor's readiness on WouldBlock, ending this round.
                match self.pipe.try_read(&mut buf) {
                    Ok(0) => {
                        self.finish(&mut partial);
                        return;
                    }
                    Ok(n) => self.split_lines(&mut partial, &buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        self.finish(&mut partial);
                        return;
                    }
                }
            }
        }
    }

    /// Read what the pipe holds right now (at most `max_reads` chunks).
    fn drain(&self, max_reads: usize) {
        let mut partial = self.partial.lock().unwrap_or_else(|p| p.into_inner());
        let mut buf = [0u8; 16 * 1024];
        for _ in 0..max_reads {
            match nix::unistd::read(self.pipe.as_fd(), &mut buf) {
                Ok(0) => return self.finish(&mut partial),
                Ok(n) => self.split_lines(&mut partial, &buf[..n]),
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return,
            }
        }
    }

    fn finish(&self, partial: &mut Vec<u8>) {
        if !partial.is_empty() {
            self.emit(partial);
            partial.clear();
        }
    }

    fn split_lines(&self, partial: &mut Vec<u8>, mut data: &[u8]) {
        while let Some(pos) = data.iter().position(|&b| b == b'\n') {
            partial.extend_from_slice(&data[..pos]);
            self.emit(partial);
            partial.clear();
            data = &data[pos + 1..];
        }
        partial.extend_from_slice(data);
        if partial.len() > MAX_LINE {
            self.emit(partial);
            partial.clear();
        }
    }

    fn emit(&self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        self.log.line(&String::from_utf8_lossy(line));
    }
}
