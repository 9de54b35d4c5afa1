//! A sandbox's external extensions as processes: started before the runtime in its containment,
//! as its user, with its environment; their output goes to the function's log; each one's end is
//! reported to the [`Registry`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::containment::Containment;
use super::output::PipeReader;
use super::process::{SandboxProcess, Spawned, StartError};
use super::user::SandboxUser;
use crate::bootstrap::Launcher;
use crate::extensions::telemetry::Category;
use crate::extensions::{Registry, Telemetry};
use crate::invocation_log::FunctionLog;

/// The external extension processes of one sandbox (killed with it).
pub(crate) struct ExtensionProcesses {
    /// The lifecycle state the Extensions API moves.
    pub registry: Arc<Registry>,
    /// The Telemetry and Logs API subscriptions.
    pub telemetry: Arc<Telemetry>,
    /// Held so their processes live as long as the sandbox.
    _processes: Vec<SandboxProcess>,
    output: Vec<Arc<PipeReader>>,
    /// Set once the Shutdown phase begins: an extension exiting then is no crash.
    shutting_down: Arc<AtomicBool>,
}

/// The file name an extension registers with (`Lambda-Extension-Name`).
pub(crate) fn extension_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl ExtensionProcesses {
    /// Start each executable in `paths`, in order; one that cannot start is recorded as Lambda's
    /// `Extension.LaunchError` (the Init phase then fails).
    pub fn spawn(
        paths: &[PathBuf],
        registry: Arc<Registry>,
        telemetry: Arc<Telemetry>,
        env: &BTreeMap<String, String>,
        containment: &Arc<Containment>,
        user: Option<&SandboxUser>,
        log: &FunctionLog,
    ) -> Result<ExtensionProcesses, StartError> {
        let shutting_down = Arc::new(AtomicBool::new(false));
        let mut processes = Vec::new();
        let mut output = Vec::new();
        let tap = telemetry.clone();
        let log = &log.tapped(move |line| tap.line(Category::Extension, line));
        for path in paths {
            let name = extension_name(path);
            // AWS: extensions run from `/opt/extensions`; here, the layer's folder is `/opt`.
            let opt = path
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("/"))
                .to_owned();
            let launcher = Launcher {
                program: path.clone(),
                interpreter_of: None,
                args: Vec::new(),
                task_root: opt.clone(),
                runtime_dir: opt,
                execution_env: None,
                needs_executable_check: false,
                cannot_start: None,
            };
            let spawned = match SandboxProcess::spawn(&launcher, env, containment.clone(), user) {
                Ok(spawned) => spawned,
                Err(StartError::Function(message)) => {
                    registry.launch_failed(&name, &message);
                    break;
                }
                Err(host) => return Err(host),
            };
            let Spawned {
                mut process,
                stdout,
                stderr,
            } = spawned;
            for fd in [stdout, stderr] {
                output.push(
                    PipeReader::spawn(fd, log.clone())
                        .map_err(StartError::host("cannot watch an extension's output"))?,
                );
            }
            if let Some(exit) = process.take_exit() {
                let registry = registry.clone();
                let shutting_down = shutting_down.clone();
                // Ends when the process does, which the sandbox's drop guarantees.
                tokio::spawn(async move {
                    let status = exit
                        .await
                        .unwrap_or_else(|_| "exit status unknown".to_owned());
                    registry.process_exited(&name, &status, shutting_down.load(Ordering::Acquire));
                });
            }
            processes.push(process);
        }
        Ok(ExtensionProcesses {
            registry,
            telemetry,
            _processes: processes,
            output,
            shutting_down,
        })
    }

    /// The Shutdown phase begins: exits are expected from now on.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    /// The extensions' stdout and stderr readers.
    pub fn output_readers(&self) -> impl Iterator<Item = &Arc<PipeReader>> + Clone {
        self.output.iter()
    }
}
