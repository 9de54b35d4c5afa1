//! Shared test setup: fixtures, a log sink that remembers lines, and a service builder.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use sluice_lambda::{
    CodeSource, FunctionSpec, InitLine, Invocation, Lambda, LambdaConfig, LogSink,
};

/// Remembers every line, per function, in arrival order, and how each Init line's sandbox
/// was initialised.
#[derive(Default)]
pub struct Lines(
    Mutex<Vec<(String, String)>>,
    Mutex<Vec<(String, String, String)>>,
);

impl LogSink for Lines {
    fn line(&self, function: &str, line: &str) {
        self.0
            .lock()
            .unwrap()
            .push((function.to_owned(), line.to_owned()));
    }

    fn init_line(&self, function: &str, stream: &Arc<str>, line: &InitLine<'_>) {
        self.1.lock().unwrap().push((
            function.to_owned(),
            line.text.to_owned(),
            format!("{} {}", line.initialization_type, line.function_version),
        ));
        self.stream_line(function, stream, line.text);
    }
}

impl Lines {
    /// `function`'s Init lines (INIT_START, INIT_REPORT), each with its sandbox's
    /// `initializationType` and function version (`on-demand $LATEST`).
    pub fn init_lines_of(&self, function: &str) -> Vec<(String, String)> {
        self.1
            .lock()
            .unwrap()
            .iter()
            .filter(|(f, _, _)| f == function)
            .map(|(_, l, how)| (l.clone(), how.clone()))
            .collect()
    }

    /// All lines logged for `function`.
    pub fn of(&self, function: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, l)| l.clone())
            .collect()
    }
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A function from a fixture folder with a 3 s timeout and 128 MB.
pub fn spec(name: &str, runtime: &str, handler: &str, dir: &str) -> FunctionSpec {
    FunctionSpec {
        name: name.to_owned(),
        runtime: runtime.to_owned(),
        handler: handler.to_owned(),
        code: CodeSource::Dir(fixture(dir)),
        memory_mb: 128,
        timeout: Duration::from_secs(3),
        environment: BTreeMap::new(),
        reserved_concurrency: None,
        provisioned_concurrency: 0,
        aliases: Vec::new(),
        local_names: Vec::new(),
        extensions: Vec::new(),
        event_invoke: Default::default(),
        tenant_isolation: false,
    }
}

pub fn python(name: &str, handler: &str) -> FunctionSpec {
    spec(name, "python3.12", handler, "python")
}

pub fn node(name: &str, handler: &str) -> FunctionSpec {
    spec(name, "nodejs20.x", handler, "node")
}

/// Held by the tests that run a service in process groups only (`SandboxCgroups::Off`) and by
/// those whose sandboxes leave detached processes running: one at a time.
///
/// Process-group containment makes the whole test process the parent of every detached
/// process (`PR_SET_CHILD_SUBREAPER` is per process, and stays), and its shutdown kills every
/// such child, whichever service's sandbox left it. A real Sluice has one containment for its
/// life (a reload's service inherits it); a test process mixes them, so a process-group
/// service stopping beside a cgroup test killed that test's detached child before it looked.
pub static ADOPTED_ORPHANS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A service over `functions` with a fresh cache dir.
pub fn service(functions: Vec<FunctionSpec>) -> (Arc<Lambda>, Arc<Lines>) {
    service_with(functions, |_| {})
}

/// Like `service`, with the configuration adjusted by `adjust`.
pub fn service_with(
    functions: Vec<FunctionSpec>,
    adjust: impl FnOnce(&mut LambdaConfig),
) -> (Arc<Lambda>, Arc<Lines>) {
    // The service's own warnings (a sandbox started ahead that failed, ...) explain a failure.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("sluice_lambda=warn")
        .try_init();
    let lines = Arc::new(Lines::default());
    let cache = std::env::temp_dir().join(format!(
        "sluice-lambda-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut config = LambdaConfig::new(cache, lines.clone());
    adjust(&mut config);
    (Lambda::new(functions, config).unwrap(), lines)
}

pub async fn invoke(lambda: &Lambda, function: &str, event: serde_json::Value) -> Invocation {
    lambda
        .invoke(function, Bytes::from(event.to_string()))
        .await
        .unwrap_or_else(|e| panic!("invoke {function}: {e}"))
}

pub fn json(inv: &Invocation) -> serde_json::Value {
    serde_json::from_slice(&inv.payload).unwrap_or_else(|e| {
        panic!(
            "payload is not JSON ({e}): {}",
            String::from_utf8_lossy(&inv.payload)
        )
    })
}

/// Whether the tests run with an effective uid of 0.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
    })
}

/// Whether sandboxes here must get a v1 `memory` cgroup (root on a host with that controller, as
/// this project's CI): tests that may skip elsewhere must not skip then.
pub fn v1_memory_as_root() -> bool {
    std::fs::read_to_string("/proc/self/cgroup").is_ok_and(|c| c.contains(":memory:")) && is_root()
}
