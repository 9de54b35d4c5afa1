//! One function as the Lambda service sees it: its code, runtime, limits and debugging.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Provisioned concurrency: sandboxes initialised at startup and kept warm (0: none).
    pub provisioned_concurrency: u32,
    /// Aliases naming this code (`AutoPublishAlias`): `name:alias` invokes the function too.
    pub aliases: Vec<String>,
    /// Other names a local caller may invoke it by (SAM CLI's logical ids); a function's own name
    /// always wins over another's local name.
    pub local_names: Vec<String>,
    /// External extensions (the executables of its layers' `extensions/` folders, Lambda's
    /// `/opt/extensions`), in the order Lambda starts them.
    pub extensions: Vec<PathBuf>,
    /// How asynchronous (`Event`) invocations are retried, aged out and reported
    /// (`EventInvokeConfig`).
    pub event_invoke: EventInvokeConfig,
    /// `TenancyConfig` `PER_TENANT`: every invocation names a tenant, and a sandbox serves one
    /// tenant only.
    pub tenant_isolation: bool,
}

/// A function's asynchronous invocation settings (`EventInvokeConfig`); the default is Lambda's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInvokeConfig {
    /// `MaximumRetryAttempts` (0–2): retries after a function error.
    pub maximum_retry_attempts: u32,
    /// `MaximumEventAgeInSeconds` (60 s–6 h): an event older than this is discarded unrun.
    pub maximum_event_age: Duration,
    /// `DestinationConfig.OnSuccess`: where the record of a successful invocation goes.
    pub on_success: Option<Destination>,
    /// `DestinationConfig.OnFailure`: where the record of a discarded event goes.
    pub on_failure: Option<Destination>,
}

impl Default for EventInvokeConfig {
    /// AWS: two retries, events kept for six hours, no destination.
    fn default() -> Self {
        EventInvokeConfig {
            maximum_retry_attempts: 2,
            maximum_event_age: Duration::from_secs(6 * 60 * 60),
            on_success: None,
            on_failure: None,
        }
    }
}

/// Where an asynchronous invocation record goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A function of this service, by name: it is invoked asynchronously with the record.
    Function(String),
    /// A queue, topic, bus, bucket or function Sluice does not run (its ARN or a description):
    /// the record is logged instead.
    NotEmulated(String),
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
