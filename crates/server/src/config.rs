//! The validated configuration the binary hands to the server (no side effects to build one).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sluice_aws_env::AwsEnv;

/// When sandboxes start: SAM's `--warm-containers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WarmContainers {
    /// One sandbox per function at startup.
    Eager,
    /// Sandboxes start on first invocation.
    #[default]
    Lazy,
}

/// Everything the server needs, already validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SAM template (absolute or relative to the working directory).
    pub template: PathBuf,
    /// Where the API listens.
    pub api_addr: SocketAddr,
    /// Where the services endpoint (DynamoDB, Lambda Invoke API) listens.
    pub services_addr: SocketAddr,
    /// Keep DynamoDB data in memory only (`--in-memory`), for throwaway runs.
    pub in_memory: bool,
    /// `--parameter-overrides`, parsed.
    pub parameter_overrides: BTreeMap<String, String>,
    /// `--env-vars`: SAM's JSON file of per-function environment overrides.
    pub env_vars_file: Option<PathBuf>,
    /// `--warm-containers`.
    pub warm_containers: WarmContainers,
    /// Sandboxes per function when the template sets no `ReservedConcurrentExecutions`.
    pub default_concurrency: usize,
    /// How long an idle sandbox is kept warm.
    pub idle_timeout: Duration,
    /// Sluice's state folder (`.sluice/` next to the template unless set).
    pub state_dir: Option<PathBuf>,
    /// Region, account and partition reported to functions, in ARNs and in events.
    pub aws: AwsEnv,
    /// Where usage-plan counters and token buckets live: `redis://host:port` shares them between
    /// Sluice processes; `None` keeps them in this process (quotas in the state folder).
    pub limits_store: Option<String>,
    /// The account-level throttle every API's requests share (`--account-throttle`); `None` is
    /// AWS's default quota, 10,000 requests per second with a burst of 5,000.
    pub account_throttle: Option<sluice_template::auth_model::Throttle>,
    /// `--dynamodb-endpoint`: DynamoDB and DynamoDB Streams calls go to this DynamoDB-compatible
    /// service (`http://host:port`) instead of the embedded store.
    pub dynamodb_endpoint: Option<String>,
    /// Credentials calls to `dynamodb_endpoint` are re-signed with (from the standard AWS
    /// environment variables; AWS's own endpoints need them).
    pub dynamodb_signing_key: Option<sluice_apigw::auth::sigv4::SigningKey>,
    /// Enforce `MemorySize` and Lambda's process limit on sandboxes (`--no-sandbox-limits` turns
    /// them off for debugging).
    pub sandbox_limits: bool,
    /// When Sluice runs as root, the user sandboxes run as (`--sandbox-user`; `nobody` if unset).
    pub sandbox_user: Option<String>,
    /// Fork python sandboxes from a warm template process (`--no-fork-server`: fresh
    /// interpreters).
    pub fork_sandboxes: bool,
    /// `--static-dir`: files served at `/` before routing, as SAM CLI serves them (absolute; a
    /// folder that does not exist serves nothing).
    pub static_dir: Option<PathBuf>,
    /// `--log-file`: function logs go to this file instead of the terminal.
    pub log_file: Option<PathBuf>,
    /// `--disable-authorizer`: requests skip authorizers (kept for when authorizers are emulated).
    pub disable_authorizer: bool,
    /// ANSI colours in function and access lines (the binary sets it: a terminal, no `NO_COLOR`).
    pub color: bool,
    /// Most connections both listeners hold at once (`--max-connections`); `None`: what the
    /// descriptor limit allows.
    pub max_connections: Option<usize>,
    /// `--debug-port` and friends: functions start under a debugger, one sandbox each, with their
    /// timeout lifted so a paused breakpoint does not kill them.
    pub debug: Option<sluice_lambda::DebugOptions>,
    /// Whether stopping a sandbox runs Lambda's Shutdown phase (SIGTERM to the runtime, the
    /// SHUTDOWN event to extensions): always for the servers, with `--shutdown` for `invoke`.
    pub shutdown_events: bool,
    /// Where the local console answers on the API port (`start-api` sets [`CONSOLE_PREFIX`]
    /// unless told otherwise); `None`: no console.
    ///
    /// [`CONSOLE_PREFIX`]: crate::CONSOLE_PREFIX
    pub console: Option<String>,
}

impl Config {
    /// A configuration with Sluice's defaults for this template.
    pub fn new(template: PathBuf) -> Self {
        Self {
            template,
            api_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            services_addr: SocketAddr::from(([127, 0, 0, 1], 4566)),
            in_memory: false,
            parameter_overrides: BTreeMap::new(),
            env_vars_file: None,
            warm_containers: WarmContainers::Lazy,
            default_concurrency: 10,
            idle_timeout: Duration::from_secs(600),
            state_dir: None,
            aws: AwsEnv::default(),
            limits_store: None,
            account_throttle: None,
            dynamodb_endpoint: None,
            dynamodb_signing_key: None,
            sandbox_limits: true,
            sandbox_user: None,
            fork_sandboxes: true,
            static_dir: None,
            log_file: None,
            disable_authorizer: false,
            color: false,
            max_connections: None,
            debug: None,
            shutdown_events: true,
            console: None,
        }
    }

    /// The state folder: `--state-dir`, else `.sluice/` beside the template.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(|| {
            self.template
                .parent()
                .map(|dir| dir.join(".sluice"))
                .unwrap_or_else(|| PathBuf::from(".sluice"))
        })
    }
}
