//! Runtimes: which program a sandbox runs. Python and Node run bootstraps embedded in the binary
//! (written to the cache dir once); `provided*` runs the function's own `bootstrap`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sluice_aws_env::RuntimeFamily;

use crate::{CodeSource, DebugOptions, FunctionSpec, LambdaError};

const PYTHON_BOOTSTRAP: &str = include_str!("bootstraps/python_bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("bootstraps/node_bootstrap.js");

/// How to start one function's sandbox process.
#[derive(Debug, Clone)]
pub(crate) struct Launcher {
    /// Executable to run (for python and node, a stand-in until `interpreter_of` resolves).
    pub program: PathBuf,
    /// The runtime whose interpreter replaces `program` when a sandbox starts: finding it runs
    /// the interpreter (a version manager's shim can take half a second), so startup does not wait
    /// for it; the first sandbox does, once per process.
    pub interpreter_of: Option<String>,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// `LAMBDA_TASK_ROOT` and the working directory.
    pub task_root: PathBuf,
    /// `LAMBDA_RUNTIME_DIR` (where the bootstrap lives).
    pub runtime_dir: PathBuf,
    /// `AWS_EXECUTION_ENV`, absent for `provided*` as on AWS.
    pub execution_env: Option<String>,
    /// `provided*` functions must ship an executable `bootstrap`; checked at each start
    /// because the user may build it after Sluice starts.
    pub needs_executable_check: bool,
    /// Why no sandbox of this function can ever start (a runtime Sluice does not run): each
    /// invocation fails with it, and the template's other functions serve.
    pub cannot_start: Option<String>,
}

impl Launcher {
    /// This launcher with its interpreter found (see `interpreter_of`): read from the
    /// per-process cache once known, else found in a blocking thread (it runs the interpreter).
    pub async fn resolved(&self) -> std::borrow::Cow<'_, Launcher> {
        let Some(runtime) = self.interpreter_of.clone() else {
            return std::borrow::Cow::Borrowed(self);
        };
        // A blocking-thread hop costs a thread start on an idle pool (~3 ms seen on a cold start).
        let program = match crate::interpreters::known_interpreter(&runtime) {
            Some(program) => program,
            None => {
                tokio::task::spawn_blocking(move || crate::interpreters::interpreter_for(&runtime))
                    .await
                    .unwrap_or_else(|_| self.program.clone())
            }
        };
        std::borrow::Cow::Owned(Launcher {
            program,
            interpreter_of: None,
            ..self.clone()
        })
    }
}

/// Whether sandboxes of `launcher` can be forked from a template process: exactly the python
/// bootstrap as `launcher_for` starts it (not under a debugger or a wrapper script, which change
/// the command line).
pub(crate) fn forkable(launcher: &Launcher) -> bool {
    launcher.interpreter_of.is_none()
        && launcher.args.len() == 2
        && launcher.args[0] == "-u"
        && Path::new(&launcher.args[1]) == launcher.runtime_dir.join(PYTHON_BOOTSTRAP_FILE)
}

/// The python bootstrap's file name in the runtime folder.
const PYTHON_BOOTSTRAP_FILE: &str = "python_bootstrap.py";
/// The node bootstrap's file name in the runtime folder: `.cjs`, so that a `package.json` with
/// `"type": "module"` above the state folder (the project's, for the default `.sluice`) cannot
/// turn the CommonJS runtime client into an ES module, which AWS's `/var/runtime` never is.
const NODE_BOOTSTRAP_FILE: &str = "node_bootstrap.cjs";

/// Shared, once-per-service runtime setup: the bootstrap files.
pub(crate) struct Launchers {
    runtime_dir: PathBuf,
}

impl Launchers {
    /// Write the embedded bootstraps the functions' runtimes need.
    pub fn new(cache_dir: &Path, functions: &[FunctionSpec]) -> Result<Launchers, LambdaError> {
        let kinds: Vec<RuntimeFamily> = functions
            .iter()
            .filter_map(|f| RuntimeFamily::of(&f.runtime))
            .collect();
        let runtime_dir = cache_dir.join("runtime");
        if kinds.contains(&RuntimeFamily::Python) {
            write_if_changed(&runtime_dir.join(PYTHON_BOOTSTRAP_FILE), PYTHON_BOOTSTRAP)?;
        }
        if kinds.contains(&RuntimeFamily::Node) {
            write_if_changed(&runtime_dir.join(NODE_BOOTSTRAP_FILE), NODE_BOOTSTRAP)?;
        }
        Ok(Launchers { runtime_dir })
    }

    /// The launcher for one function, writing its inline code if it has some.
    pub fn launcher_for(
        &self,
        spec: &FunctionSpec,
        cache_dir: &Path,
    ) -> Result<Launcher, LambdaError> {
        let Some(kind) = RuntimeFamily::of(&spec.runtime) else {
            return Ok(self.unsupported(spec));
        };
        let task_root = match &spec.code {
            CodeSource::Dir(dir) => std::path::absolute(dir).unwrap_or_else(|_| dir.clone()),
            CodeSource::Inline(code) => {
                let file = match kind {
                    RuntimeFamily::Python => "index.py",
                    RuntimeFamily::Node => "index.js",
                    RuntimeFamily::Provided => {
                        return Err(LambdaError::InlineNotSupported {
                            function: spec.name.clone(),
                        })
                    }
                };
                let dir = cache_dir.join("inline").join(&spec.name);
                write_if_changed(&dir.join(file), code)?;
                std::path::absolute(&dir).unwrap_or(dir)
            }
        };
        let runtime_dir =
            std::path::absolute(&self.runtime_dir).unwrap_or_else(|_| self.runtime_dir.clone());
        Ok(match kind {
            RuntimeFamily::Python => Launcher {
                program: PathBuf::from("python3"),
                interpreter_of: Some(spec.runtime.clone()),
                // -u: print() reaches the log immediately, as on Lambda.
                args: vec!["-u".into(), runtime_dir.join(PYTHON_BOOTSTRAP_FILE).into()],
                task_root,
                runtime_dir,
                execution_env: Some(format!("AWS_Lambda_{}", spec.runtime)),
                needs_executable_check: false,
                cannot_start: None,
            },
            RuntimeFamily::Node => Launcher {
                program: PathBuf::from("node"),
                interpreter_of: Some(spec.runtime.clone()),
                args: node_args(spec.memory_mb, runtime_dir.join(NODE_BOOTSTRAP_FILE)),
                task_root,
                runtime_dir,
                execution_env: Some(format!("AWS_Lambda_{}", spec.runtime)),
                needs_executable_check: false,
                cannot_start: None,
            },
            RuntimeFamily::Provided => Launcher {
                program: task_root.join("bootstrap"),
                interpreter_of: None,
                args: Vec::new(),
                task_root,
                runtime_dir,
                execution_env: None,
                needs_executable_check: true,
                cannot_start: None,
            },
        })
    }

    /// The launcher of a function whose runtime Sluice does not run: it never starts a process.
    ///
    /// AWS: the runtime exists, so the function runs; Sluice: each invocation is an init
    /// failure that says the runtime is not one Sluice runs, and the other functions serve.
    fn unsupported(&self, spec: &FunctionSpec) -> Launcher {
        let task_root = match &spec.code {
            CodeSource::Dir(dir) => dir.clone(),
            CodeSource::Inline(_) => self.runtime_dir.clone(),
        };
        Launcher {
            program: PathBuf::new(),
            interpreter_of: None,
            args: Vec::new(),
            task_root,
            runtime_dir: self.runtime_dir.clone(),
            execution_env: Some(format!("AWS_Lambda_{}", spec.runtime)),
            needs_executable_check: false,
            cannot_start: Some(format!(
                "runtime {} is not supported by Sluice, which runs python3.x, nodejsN.x, provided, provided.al2 and provided.al2023 functions",
                spec.runtime
            )),
        }
    }
}

/// Node's command line as Lambda's node bootstrap builds it (`/var/runtime/bootstrap` of the
/// nodejs base images): the garbage collector exposed as `global.gc`, 80 KiB of HTTP headers,
/// and V8's heap sized from the function's memory (a tenth for the young generation, half of it
/// per semi-space, the rest for the old one), so a handler runs out of heap where it would on AWS.
fn node_args(memory_mb: u32, script: PathBuf) -> Vec<OsString> {
    let new_space = memory_mb / 10;
    vec![
        "--expose-gc".into(),
        "--max-http-header-size".into(),
        "81920".into(),
        format!("--max-semi-space-size={}", new_space / 2).into(),
        format!("--max-old-space-size={}", memory_mb - new_space).into(),
        script.into(),
    ]
}

/// `launcher` started under the debugger `debug` asks for: python under `debugpy` (or the
/// interpreter arguments `--debug-args` gives, as SAM passes them), node with its inspector,
/// `provided` under `--debugger-path` when one is given.
pub(crate) fn debugged(mut launcher: Launcher, runtime: &str, debug: &DebugOptions) -> Launcher {
    let extra: Vec<OsString> = debug.args.iter().map(OsString::from).collect();
    match RuntimeFamily::of(runtime) {
        Some(RuntimeFamily::Python) => {
            let interpreter_args = if extra.is_empty() {
                ["-m", "debugpy", "--listen"]
                    .into_iter()
                    .map(OsString::from)
                    .chain([OsString::from(format!("127.0.0.1:{}", debug.port))])
                    .collect()
            } else {
                extra
            };
            // Keep `-u` first and the bootstrap script last.
            let script = launcher.args.pop();
            launcher.args.extend(interpreter_args);
            launcher.args.extend(script);
        }
        Some(RuntimeFamily::Node) => {
            let mut args = vec![OsString::from(format!(
                "--inspect=127.0.0.1:{}",
                debug.port
            ))];
            args.extend(extra);
            args.append(&mut launcher.args);
            launcher.args = args;
        }
        Some(RuntimeFamily::Provided) => {
            if let Some(debugger) = &debug.debugger {
                let mut args = extra;
                args.push(launcher.program.clone().into());
                launcher.program = debugger.clone();
                launcher.args = args;
                // The check looks at `program`, now the user's debugger; the bootstrap itself was
                // located before startup (the checks `validate` shares with `start-api`).
                launcher.needs_executable_check = false;
            }
        }
        None => {}
    }
    launcher
}

/// Check, before starting a sandbox, what it needs: a runtime Sluice runs, its code folder, and
/// a `provided*` function's `bootstrap`, with a message that says what is missing. Checked at
/// each start: the user may create the folder or build the binary after Sluice starts.
pub(crate) fn check_startable(launcher: &Launcher) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(why) = &launcher.cannot_start {
        return Err(why.clone());
    }
    if !launcher.task_root.is_dir() {
        let what = if launcher.task_root.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        return Err(format!(
            "the function's code folder (CodeUri) {} {what}",
            launcher.task_root.display()
        ));
    }
    if !launcher.needs_executable_check {
        return Ok(());
    }
    // AWS's words (recorded 2021-2025, `Runtime.InvalidEntrypoint`): `Couldn't find valid
    // bootstrap(s): [/var/task/bootstrap /opt/bootstrap]`, and Go's exec error for one it
    // cannot run, `fork/exec /var/task/bootstrap: permission denied`. Sluice names the real
    // path and no `/opt/bootstrap` (it runs no layer's bootstrap).
    let path = &launcher.program;
    match std::fs::metadata(path) {
        Err(_) => Err(format!(
            "Couldn't find valid bootstrap(s): [{}]",
            path.display()
        )),
        Ok(meta) if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 => {
            Err(format!("fork/exec {}: permission denied", path.display()))
        }
        Ok(_) => Ok(()),
    }
}

fn write_if_changed(path: &Path, content: &str) -> Result<(), LambdaError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    let err = |source| LambdaError::Cache {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    // Write then rename so a concurrently starting sandbox never reads half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, content).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_families() {
        assert_eq!(RuntimeFamily::of("python3.12"), Some(RuntimeFamily::Python));
        assert_eq!(RuntimeFamily::of("nodejs20.x"), Some(RuntimeFamily::Node));
        assert_eq!(
            RuntimeFamily::of("provided.al2023"),
            Some(RuntimeFamily::Provided)
        );
        assert_eq!(RuntimeFamily::of("java21"), None);
        assert_eq!(RuntimeFamily::of("provided.al3"), None);
    }
    #[test]
    fn debugged_launchers_listen_on_loopback() {
        let launcher = |program: &str, args: &[&str]| Launcher {
            program: PathBuf::from(program),
            interpreter_of: None,
            args: args.iter().map(OsString::from).collect(),
            task_root: PathBuf::from("/code"),
            runtime_dir: PathBuf::from("/rt"),
            execution_env: None,
            needs_executable_check: false,
            cannot_start: None,
        };
        let debug = |args: &[&str]| DebugOptions {
            port: 5858,
            args: args.iter().map(|a| a.to_string()).collect(),
            debugger: None,
            function: None,
        };
        let python = debugged(
            launcher("python3", &["-u", "boot.py"]),
            "python3.12",
            &debug(&[]),
        );
        assert_eq!(
            python.args,
            [
                "-u",
                "-m",
                "debugpy",
                "--listen",
                "127.0.0.1:5858",
                "boot.py"
            ]
        );
        let sam_args = debug(&[
            "-m",
            "debugpy",
            "--listen",
            "127.0.0.1:5858",
            "--wait-for-client",
        ]);
        let python = debugged(
            launcher("python3", &["-u", "boot.py"]),
            "python3.12",
            &sam_args,
        );
        assert_eq!(
            python.args.last().map(|a| a.as_os_str()),
            Some("boot.py".as_ref())
        );
        assert!(python.args.iter().any(|a| a == "--wait-for-client"));
        let node = debugged(launcher("node", &["boot.js"]), "nodejs20.x", &debug(&[]));
        assert_eq!(node.args, ["--inspect=127.0.0.1:5858", "boot.js"]);
        let mut gdb = debug(&["--args"]);
        gdb.debugger = Some(PathBuf::from("/usr/bin/gdb"));
        let provided = debugged(launcher("/code/bootstrap", &[]), "provided.al2023", &gdb);
        assert_eq!(provided.program, PathBuf::from("/usr/bin/gdb"));
        assert_eq!(provided.args, ["--args", "/code/bootstrap"]);
    }
}
