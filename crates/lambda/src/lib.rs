//! The Lambda service: functions run as real processes ("sandboxes") that speak the documented
//! Lambda Runtime API to a loopback listener of their own.
//!
//! The only way in is [`Lambda::invoke`]: bytes in, bytes (or a typed function error) out. This
//! crate knows nothing about HTTP routes or templates; the caller converts its functions into
//! [`FunctionSpec`]s.

mod bootstrap;
mod invocation_log;
pub mod invoke_api;
mod memory;
mod pool;
mod runtime_api;
mod sandbox;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use sluice_aws_env::AwsEnv;

use crate::bootstrap::Launcher;
use crate::pool::FunctionPool;
use crate::sandbox::SandboxHost;

/// Largest synchronous request payload Lambda accepts (6 MB).
pub const MAX_REQUEST_PAYLOAD: usize = 6 * 1024 * 1024;
/// Largest synchronous response payload Lambda accepts (AWS allows 100 bytes over 6 MB).
pub const MAX_RESPONSE_PAYLOAD: usize = 6 * 1024 * 1024 + 100;

/// One function as the Lambda service sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// Function name (`FunctionName`, or the template's logical id).
    pub name: String,
    /// Runtime identifier such as `python3.12`, `nodejs20.x`, `provided.al2023`.
    pub runtime: String,
    /// Handler string (`app.handler`, `index.handler`); ignored by `provided*` runtimes.
    pub handler: String,
    /// Where the code lives.
    pub code: CodeSource,
    /// `MemorySize`: the sandbox's memory limit where the host allows it, reported in the
    /// environment and the REPORT line.
    pub memory_mb: u32,
    /// `Timeout`: an invocation running longer has its sandbox killed.
    pub timeout: Duration,
    /// Function environment variables; they win over everything Sluice sets.
    pub environment: BTreeMap<String, String>,
    /// `ReservedConcurrentExecutions`: a hard limit beyond which invokes are throttled.
    pub reserved_concurrency: Option<u32>,
    /// Aliases naming this code (`AutoPublishAlias`): `name:alias` invokes the function too.
    pub aliases: Vec<String>,
}

/// The function's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeSource {
    /// A folder (`CodeUri`), used as the task root and working directory.
    Dir(PathBuf),
    /// `InlineCode`, written into the cache dir as `index.py` / `index.js` (SAM's names).
    Inline(String),
}

/// A debugger listening in functions' sandboxes (SAM's `--debug-port`, `--debug-args`,
/// `--debugger-path`, `--debug-function`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugOptions {
    /// The port the debugger listens on, on loopback (SAM binds 0.0.0.0 inside its container; here
    /// the sandbox is on the host, and a debugger port open to the network runs anyone's code).
    pub port: u16,
    /// `--debug-args`: python's interpreter arguments (SAM's meaning: `-m debugpy --listen …`),
    /// else extra `node` or debugger arguments.
    pub args: Vec<String>,
    /// `--debugger-path`: the program a `provided` function's `bootstrap` runs under.
    pub debugger: Option<PathBuf>,
    /// `--debug-function`: only this function (by name); `None` means every function.
    pub function: Option<String>,
}

impl DebugOptions {
    /// Whether the function named `name` runs under the debugger.
    pub fn applies_to(&self, name: &str) -> bool {
        self.function.as_deref().is_none_or(|f| f == name)
    }
}

/// Service-wide settings.
#[derive(Clone)]
pub struct LambdaConfig {
    /// Sandboxes per function when no reserved concurrency is set; callers beyond it wait.
    pub default_concurrency: usize,
    /// Idle sandboxes older than this are stopped.
    pub idle_timeout: Duration,
    /// Region reported to functions (`AWS_REGION`), account and partition used in ARNs.
    pub aws: AwsEnv,
    /// Extra variables for every sandbox (e.g. `AWS_ENDPOINT_URL`); function variables win.
    pub extra_env: BTreeMap<String, String>,
    /// Where embedded bootstraps and inline code are written.
    pub cache_dir: PathBuf,
    /// Receives every log line of every function, START/END/REPORT included.
    pub log_sink: Arc<dyn LogSink>,
    /// Waits before retrying a failed asynchronous (`Event`) invocation, one per retry.
    pub event_retry_delays: Vec<Duration>,
    /// Enforce `MemorySize` and Lambda's process limit (off only for debugging).
    pub sandbox_limits: bool,
    /// Put each sandbox in a cgroup of its own where the host allows it; false keeps sandboxes
    /// to process groups (what hosts without cgroups get; tests use it to pin that path).
    pub use_cgroups: bool,
    /// Who sandboxes run as when Sluice runs as root (`nobody` when `None`; `root` keeps root).
    pub sandbox_user: Option<String>,
    /// A debugger to start functions under, if any.
    pub debug: Option<DebugOptions>,
}

/// AWS retries a failed asynchronous invocation twice, after about one and then two minutes.
pub const AWS_EVENT_RETRY_DELAYS: [Duration; 2] =
    [Duration::from_secs(60), Duration::from_secs(120)];

impl LambdaConfig {
    /// Defaults suited to local use: 10 sandboxes per function, 10 minutes idle, `us-east-1`.
    pub fn new(cache_dir: PathBuf, log_sink: Arc<dyn LogSink>) -> Self {
        LambdaConfig {
            default_concurrency: 10,
            idle_timeout: Duration::from_secs(600),
            aws: AwsEnv::default(),
            extra_env: BTreeMap::new(),
            cache_dir,
            log_sink,
            event_retry_delays: AWS_EVENT_RETRY_DELAYS.to_vec(),
            sandbox_limits: true,
            use_cgroups: true,
            sandbox_user: None,
            debug: None,
        }
    }
}

impl std::fmt::Debug for LambdaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaConfig")
            .field("default_concurrency", &self.default_concurrency)
            .field("idle_timeout", &self.idle_timeout)
            .field("aws", &self.aws)
            .field("cache_dir", &self.cache_dir)
            .finish_non_exhaustive()
    }
}

/// Where function log lines go (the terminal, a test buffer, ...).
pub trait LogSink: Send + Sync + 'static {
    /// One complete line (no trailing newline) written by or about `function`.
    fn line(&self, function: &str, line: &str);
}

/// The outcome of a synchronous invocation that reached the function.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The request id the function saw.
    pub request_id: String,
    /// The response payload, or the error document on a function error.
    pub payload: Bytes,
    /// `Some("Unhandled")` when the function failed (Lambda's `X-Amz-Function-Error`).
    pub function_error: Option<String>,
    /// This invocation's log lines, START to REPORT, newline-separated.
    pub log_tail: String,
}

/// Errors that stop an invocation before it reaches a function (Lambda Invoke API errors).
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// No function by that name.
    #[error("Function not found: {arn}")]
    ResourceNotFound {
        /// ARN of the missing function.
        arn: String,
    },
    /// The function's reserved concurrency is exhausted.
    #[error("Rate Exceeded.")]
    TooManyRequests {
        /// The throttled function.
        function: String,
    },
    /// The request payload is over 6 MB.
    #[error("Request must be smaller than {limit} bytes for the InvokeFunction operation")]
    RequestTooLarge {
        /// Size of the rejected payload.
        size: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// Sluice could not run the invocation (its fault, not the function's).
    #[error("{message}")]
    Service {
        /// What went wrong.
        message: String,
    },
}

impl InvokeError {
    /// Lambda's error type name for this error (the `x-amzn-ErrorType` / `__type`).
    pub fn error_type(&self) -> &'static str {
        match self {
            InvokeError::ResourceNotFound { .. } => "ResourceNotFoundException",
            InvokeError::TooManyRequests { .. } => "TooManyRequestsException",
            InvokeError::RequestTooLarge { .. } => "RequestTooLargeException",
            InvokeError::Service { .. } => "ServiceException",
        }
    }

    /// The HTTP status Lambda's Invoke API answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            InvokeError::ResourceNotFound { .. } => 404,
            InvokeError::TooManyRequests { .. } => 429,
            InvokeError::RequestTooLarge { .. } => 413,
            InvokeError::Service { .. } => 500,
        }
    }
}

/// Errors building the service or starting sandboxes.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// The runtime is not one Sluice can run.
    #[error("function {function}: runtime '{runtime}' is not supported (use python3.x, nodejsN.x, provided, provided.al2 or provided.al2023)")]
    UnknownRuntime {
        /// Function name.
        function: String,
        /// The unsupported runtime.
        runtime: String,
    },
    /// Two functions share a name.
    #[error("function {function} is defined twice")]
    DuplicateFunction {
        /// Function name.
        function: String,
    },
    /// Inline code for a runtime that has no inline file name.
    #[error("function {function}: InlineCode is only supported for python and nodejs runtimes")]
    InlineNotSupported {
        /// Function name.
        function: String,
    },
    /// A file in the cache dir could not be written.
    #[error("cannot write {path}: {source}")]
    Cache {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A sandbox failed to start or initialise.
    #[error("function {function}: {message}")]
    Start {
        /// Function name.
        function: String,
        /// Why.
        message: String,
    },
}

/// The Lambda service: a registry of functions, each with its own pool of sandboxes.
pub struct Lambda {
    functions: BTreeMap<String, Arc<FunctionPool>>,
    /// What each function was configured with, for the Invoke API's GetFunction/ListFunctions.
    specs: BTreeMap<String, FunctionSpec>,
    config: LambdaConfig,
    /// What the host allows sandboxes (cgroups, limits, Runtime API isolation, the sandbox
    /// user), probed once and handed on to the services that succeed this one.
    host: Arc<SandboxHost>,
    /// Queued asynchronous (`Event`) invocations, run by the worker [`Lambda::start_background`]
    /// starts.
    events: tokio::sync::mpsc::UnboundedSender<EventInvocation>,
    /// The queue's receiving end, until the background work takes it.
    event_queue: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<EventInvocation>>>,
}

/// An asynchronous invocation waiting for the background worker.
#[derive(Debug)]
pub(crate) struct EventInvocation {
    /// The function's name.
    pub function: String,
    /// The event.
    pub payload: Bytes,
}

/// The service's background work: the idle reaper and the asynchronous invocation worker (with
/// the retries it is waiting on). Whoever starts it owns it; stopping or dropping it ends it all.
#[derive(Debug)]
pub struct BackgroundWork {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl BackgroundWork {
    /// Stops every task and waits until they have ended.
    pub async fn stop(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for BackgroundWork {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Lambda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lambda")
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .field("config", &self.config)
            .finish()
    }
}

impl Lambda {
    /// Validate the functions, write bootstraps and inline code. No sandbox and no background
    /// work starts here: see [`Lambda::start_background`].
    pub fn new(
        functions: Vec<FunctionSpec>,
        config: LambdaConfig,
    ) -> Result<Arc<Lambda>, LambdaError> {
        Self::succeeding(None, functions, config, &BTreeSet::new())
    }

    /// Like [`Lambda::new`] for a reload: a function whose spec is unchanged and whose name is not
    /// in `code_changed` keeps `previous`'s pool, warm sandboxes included (the two services share
    /// it); every other function gets fresh sandboxes. `previous` keeps serving its in-flight
    /// invocations; its own pools end when it is dropped.
    pub fn succeeding(
        previous: Option<&Lambda>,
        functions: Vec<FunctionSpec>,
        config: LambdaConfig,
        code_changed: &BTreeSet<String>,
    ) -> Result<Arc<Lambda>, LambdaError> {
        let launchers = bootstrap::Launchers::new(&config.cache_dir, &functions)?;
        // Probed once per process: a reload's service inherits it (leftovers were reaped and
        // the notes said at the first start).
        let host = match previous {
            Some(old) => old.host.clone(),
            None => Arc::new(SandboxHost::probe(
                config.sandbox_limits,
                config.use_cgroups,
                config.sandbox_user.as_deref(),
            )),
        };
        let mut pools = BTreeMap::new();
        let specs = functions
            .iter()
            .map(|f| (f.name.clone(), f.clone()))
            .collect();
        for spec in functions {
            let mut launcher: Launcher = launchers.launcher_for(&spec, &config.cache_dir)?;
            if let Some(debug) = config.debug.as_ref().filter(|d| d.applies_to(&spec.name)) {
                launcher = bootstrap::debugged(launcher, &spec.runtime, debug);
            }
            let name = spec.name.clone();
            let kept = previous
                .filter(|_| !code_changed.contains(&name))
                .filter(|old| old.specs.get(&name) == Some(&spec))
                .and_then(|old| old.functions.get(&name))
                .cloned();
            let pool = match kept {
                Some(pool) => pool,
                None => Arc::new(FunctionPool::new(spec, launcher, &config, host.clone())),
            };
            if pools.insert(name.clone(), pool).is_some() {
                return Err(LambdaError::DuplicateFunction { function: name });
            }
        }
        let (events, event_queue) = tokio::sync::mpsc::unbounded_channel();
        Ok(Arc::new(Lambda {
            functions: pools,
            specs,
            config,
            host,
            events,
            event_queue: std::sync::Mutex::new(Some(event_queue)),
        }))
    }

    /// Starts the idle reaper and the worker that runs queued `Event` invocations (with Lambda's
    /// retries). Call it once, inside a tokio runtime; the caller owns what it returns. A second
    /// call starts only another reaper: the queue has one worker.
    pub fn start_background(self: &Arc<Self>) -> BackgroundWork {
        let mut tasks = vec![tokio::spawn(reap_idle(Arc::downgrade(self)))];
        let queue = self.event_queue.lock().ok().and_then(|mut q| q.take());
        if let Some(queue) = queue {
            tasks.push(tokio::spawn(invoke_api::run_events(
                Arc::downgrade(self),
                queue,
            )));
        }
        BackgroundWork { tasks }
    }

    /// Queues an asynchronous invocation for the background worker.
    pub(crate) fn enqueue_event(&self, function: &str, payload: Bytes) {
        // The receiver lives as long as the worker or the service; a send after both are gone has
        // nobody to run it, as when Lambda itself shuts down.
        let _ = self.events.send(EventInvocation {
            function: function.to_owned(),
            payload,
        });
    }

    /// What a person should know about sandboxes on this host (isolation or limits that are
    /// off, leftovers reaped), one line each.
    pub fn notes(&self) -> Vec<String> {
        self.host.notes()
    }

    /// Names of the registered functions.
    pub fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// Invoke `function` synchronously (RequestResponse) with `payload`.
    pub async fn invoke(&self, function: &str, payload: Bytes) -> Result<Invocation, InvokeError> {
        self.invoke_with_client_context(function, payload, None)
            .await
    }

    /// Like [`Lambda::invoke`], passing the caller's client context (JSON text) to the function
    /// (`context.client_context` in python, `context.clientContext` in node).
    pub async fn invoke_with_client_context(
        &self,
        function: &str,
        payload: Bytes,
        client_context: Option<String>,
    ) -> Result<Invocation, InvokeError> {
        let pool = self
            .functions
            .get(self.unqualified(function))
            .ok_or_else(|| InvokeError::ResourceNotFound {
                arn: function_arn(&self.config, function),
            })?;
        if payload.len() > MAX_REQUEST_PAYLOAD {
            return Err(InvokeError::RequestTooLarge {
                size: payload.len(),
                limit: MAX_REQUEST_PAYLOAD,
            });
        }
        pool.invoke(payload, client_context).await
    }

    /// Start one sandbox per function (SAM's EAGER warm containers), all at once, and wait until
    /// each is ready. Every function is tried; the first failure is returned.
    pub async fn prewarm(&self) -> Result<(), LambdaError> {
        let mut starts = tokio::task::JoinSet::new();
        for pool in self.functions.values() {
            let pool = pool.clone();
            starts.spawn(async move { pool.prewarm().await });
        }
        let mut first_error = None;
        while let Some(joined) = starts.join_next().await {
            if let Ok(Err(e)) = joined {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Stop every sandbox (all their processes) and what outlived them. Background work is
    /// stopped by its owner.
    pub async fn shutdown(&self) {
        for pool in self.functions.values() {
            pool.shutdown();
        }
        self.host.release();
    }
}

/// The ARN Lambda would give `function` in this account and region.
pub(crate) fn function_arn(config: &LambdaConfig, function: &str) -> String {
    config.aws.function_arn(function)
}

/// Periodically stop sandboxes idle for longer than the configured timeout.
async fn reap_idle(lambda: Weak<Lambda>) {
    let period = match lambda.upgrade() {
        Some(l) => {
            (l.config.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(30))
        }
        None => return,
    };
    loop {
        tokio::time::sleep(period).await;
        let Some(lambda) = lambda.upgrade() else {
            return;
        };
        for pool in lambda.functions.values() {
            pool.reap_idle(lambda.config.idle_timeout);
        }
        lambda.host.reap_orphans();
    }
}

/// Largest payload of an asynchronous (`Event`) invocation: 1 MB since AWS raised it from 256 KB.
pub const MAX_EVENT_PAYLOAD: usize = 1024 * 1024;

impl Lambda {
    /// The configuration a function was created with.
    pub fn spec(&self, name: &str) -> Option<&FunctionSpec> {
        self.specs.get(name)
    }

    /// The ARN Lambda would give this function.
    pub fn arn(&self, name: &str) -> String {
        function_arn(&self.config, name)
    }

    /// Whether `qualifier` names this function's code: `$LATEST`, or one of its aliases.
    /// AWS: a published version is a frozen copy; Sluice runs only the code on disk, which is what
    /// `$LATEST` and an `AutoPublishAlias` alias point at right after `sam deploy`.
    pub fn accepts_qualifier(&self, name: &str, qualifier: &str) -> bool {
        self.specs
            .get(name)
            .is_some_and(|s| qualifier == "$LATEST" || s.aliases.iter().any(|a| a == qualifier))
    }

    /// `name:$LATEST` or `name:alias` → `name`; anything else unchanged.
    fn unqualified<'n>(&self, function: &'n str) -> &'n str {
        match function.rsplit_once(':') {
            Some((name, qualifier)) if self.accepts_qualifier(name, qualifier) => name,
            _ => function,
        }
    }
}
