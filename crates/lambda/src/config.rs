//! Service-wide settings and where function log lines go.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sluice_aws_env::AwsEnv;

use crate::spec::DebugOptions;

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
    /// Which cgroups sandboxes get where the host allows them.
    pub cgroups: SandboxCgroups,
    /// Who sandboxes run as when Sluice runs as root (`nobody` when `None`; `root` keeps root).
    pub sandbox_user: Option<String>,
    /// Fork python sandboxes from a warm template process (false: a fresh interpreter each).
    pub fork_sandboxes: bool,
    /// A debugger to start functions under, if any.
    pub debug: Option<DebugOptions>,
    /// Whether stopping a sandbox runs Lambda's Shutdown phase (SIGTERM, the SHUTDOWN event to
    /// extensions); false kills at once, as `sam local invoke` does without `--shutdown`.
    pub shutdown_events: bool,
}

/// Where each sandbox's processes are kept together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SandboxCgroups {
    /// The best the host offers: cgroup v2 with the memory controller, else v1's `memory` and
    /// `pids`, else v2 without controllers, else process groups.
    #[default]
    Auto,
    /// Only cgroup v2, with or without its memory controller (tests pin that path on hybrid
    /// hosts, where v1 would win).
    V2,
    /// Process groups only (what hosts without cgroups get; tests pin that path).
    Off,
}

/// AWS retries a failed asynchronous invocation twice, after about one and then two minutes.
pub const AWS_EVENT_RETRY_DELAYS: [Duration; 2] =
    [Duration::from_secs(60), Duration::from_secs(120)];

impl LambdaConfig {
    /// The ARN Lambda would give `function` in this account and region.
    pub(crate) fn function_arn(&self, function: &str) -> String {
        self.aws.function_arn(function)
    }

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
            cgroups: SandboxCgroups::Auto,
            sandbox_user: None,
            fork_sandboxes: true,
            debug: None,
            shutdown_events: true,
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

/// One of Lambda's own lines about a sandbox's Init, for [`LogSink::init_line`].
#[derive(Debug, Clone, Copy)]
pub struct InitLine<'a> {
    /// The line as Lambda's text format writes it.
    pub text: &'a str,
    /// `initializationType`: `on-demand` or `provisioned-concurrency`.
    pub initialization_type: &'static str,
    /// `functionVersion`: `$LATEST` or the published version the sandbox runs.
    pub function_version: &'a str,
}

/// Where function log lines go (the terminal, a test buffer, ...).
pub trait LogSink: Send + Sync + 'static {
    /// One complete line (no trailing newline) written by or about `function`.
    fn line(&self, function: &str, line: &str);

    /// The same line with the log stream it belongs to (`YYYY/MM/DD/[$LATEST]<id>`, one per
    /// sandbox, as `AWS_LAMBDA_LOG_STREAM_NAME` tells the function); sinks that keep streams
    /// apart override it, the others see [`LogSink::line`].
    fn stream_line(&self, function: &str, stream: &Arc<str>, line: &str) {
        let _ = stream;
        self.line(function, line);
    }

    /// A line Lambda writes about a sandbox's Init (`INIT_START`, `INIT_REPORT`) on `stream`,
    /// with what its JSON form (`LogFormat: JSON`) carries beyond the text; sinks that write
    /// that form override it, the others see [`LogSink::stream_line`].
    fn init_line(&self, function: &str, stream: &Arc<str>, line: &InitLine<'_>) {
        self.stream_line(function, stream, line.text);
    }

    /// One invocation of `function` ended (every path: API, Invoke API, events, pollers), with
    /// its outcome and log tail; sinks that keep statistics override it.
    fn invoked(&self, function: &str, invocation: &crate::Invocation) {
        let _ = (function, invocation);
    }
}
