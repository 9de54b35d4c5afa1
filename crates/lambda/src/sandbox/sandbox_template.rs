//! What every sandbox of one function starts from: its launcher, limits, environment, log sink,
//! extensions, and the host's facilities.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::host::SandboxHost;
use crate::bootstrap::Launcher;
use crate::extensions::FunctionInfo;
use crate::invocation_log::RuntimeVersion;
use crate::LogSink;

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
    /// External extensions (Lambda's `/opt/extensions/*`), in the order Lambda starts them.
    pub extensions: Vec<std::path::PathBuf>,
    /// What the Extensions API's `register` tells extensions about the function.
    pub function_info: FunctionInfo,
    /// The runtime version each sandbox's `INIT_START` names.
    pub runtime_version: RuntimeVersion,
}
