//! Running the build tools: pip, npm, make and cargo, each into a scratch folder renamed into place
//! once it succeeded, so an interrupted build never leaves a half-installed folder that looks done.

use std::path::{Path, PathBuf};
use std::process::Command;

use sluice_template::Function;

use super::build_plan::{is_built, BuildPlan, DONE_MARKER};

/// Why a build step failed: the tool's fault (its own output says why) or the host's.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The tool ran and failed; `output` is what it printed.
    #[error("{function}: `{command}` failed ({status}):\n{output}")]
    Tool {
        /// The function's logical id.
        function: String,
        /// The command line, for the person to rerun it.
        command: String,
        /// How it exited.
        status: String,
        /// Its standard output and error.
        output: String,
    },
    /// The tool could not be started (not installed).
    #[error("{function}: cannot run `{program}` ({source}); install it or leave this function out (-x {function})")]
    MissingTool {
        /// The function's logical id.
        function: String,
        /// The program.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A function bundled with esbuild, and no esbuild to run.
    #[error("{function}: esbuild not found (BuildMethod: esbuild); run `npm install` in {dir} (with esbuild in its package.json), `npm install -g esbuild`, or `sluice build`")]
    NoEsbuild {
        /// The function's logical id.
        function: String,
        /// Its code folder.
        dir: PathBuf,
    },
    /// `Metadata.BuildProperties` that SAM would refuse too.
    #[error("{function}: Metadata.BuildProperties: {message}")]
    Properties {
        /// The function's logical id.
        function: String,
        /// What is wrong.
        message: String,
    },
    /// A build folder could not be prepared.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

pub(super) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BuildError {
    let context = context.into();
    move |source| BuildError::Io { context, source }
}

pub(super) fn run(function: &Function, plan: &BuildPlan) -> Result<String, BuildError> {
    let id = &function.logical_id;
    match plan {
        BuildPlan::Pip { target, .. } | BuildPlan::Npm { target, .. } if is_built(plan) => Ok(
            format!("{id}: dependencies unchanged, reusing {}", target.display()),
        ),
        BuildPlan::Pip {
            requirements,
            target,
        } => {
            into_place(target, |scratch| {
                let mut command = Command::new("python3");
                command
                    .args([
                        "-m",
                        "pip",
                        "install",
                        "--disable-pip-version-check",
                        "--no-input",
                        "--quiet",
                        "-r",
                    ])
                    .arg(requirements)
                    .arg("--target")
                    .arg(scratch);
                tool(id, command)
            })?;
            Ok(format!(
                "{id}: installed {} into {}",
                requirements.display(),
                target.display()
            ))
        }
        BuildPlan::Npm { dir, target } => {
            npm_install(id, dir, target, true)?;
            Ok(format!(
                "{id}: installed {} into {}",
                dir.join("package.json").display(),
                target.join("node_modules").display()
            ))
        }
        BuildPlan::Make { dir, artifacts } => make(id, dir, artifacts),
        BuildPlan::Esbuild {
            dir,
            deps,
            artifacts,
        } => {
            let mut installed = String::new();
            if let Some(deps) = deps.as_deref().filter(|d| !d.join(DONE_MARKER).is_file()) {
                // Dev dependencies too: esbuild (and the types a bundle may import) are usually
                // among them.
                npm_install(id, dir, deps, false)?;
                installed = format!(", dependencies installed into {}", deps.display());
            }
            super::esbuild::bundle(function, dir, deps.as_deref(), artifacts)?;
            Ok(format!(
                "{id}: esbuild bundled into {}{installed}",
                artifacts.display()
            ))
        }
        BuildPlan::Layer { dir, folder, out } => super::layers::run(id, dir, folder, out),
        BuildPlan::Cargo { dir } => {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut command = Command::new(cargo);
            command.args(["build", "--release"]).current_dir(dir);
            tool(id, command)?;
            Ok(format!("{id}: cargo build --release in {}", dir.display()))
        }
    }
}

/// `make build-<id>` in `dir` with `ARTIFACTS_DIR` set, as SAM runs it (for a function or a layer).
pub(super) fn make(id: &str, dir: &Path, artifacts: &Path) -> Result<String, BuildError> {
    into_place(artifacts, |scratch| {
        let mut command = Command::new("make");
        command
            .arg(format!("build-{id}"))
            .env("ARTIFACTS_DIR", scratch)
            .current_dir(dir);
        tool(id, command)
    })?;
    Ok(format!("{id}: make build-{id} → {}", artifacts.display()))
}

/// `npm ci` (with a lock file) or `npm install` of `dir`'s `package.json` into
/// `target/node_modules`; `production` leaves the dev dependencies out.
pub(super) fn npm_install(
    id: &str,
    dir: &Path,
    target: &Path,
    production: bool,
) -> Result<(), BuildError> {
    into_place(target, |scratch| {
        for file in ["package.json", "package-lock.json", "npm-shrinkwrap.json"] {
            let from = dir.join(file);
            if from.is_file() {
                std::fs::copy(&from, scratch.join(file))
                    .map_err(io(format!("copying {}", from.display())))?;
            }
        }
        let locked = scratch.join("package-lock.json").is_file()
            || scratch.join("npm-shrinkwrap.json").is_file();
        let mut command = Command::new("npm");
        command
            .arg(if locked { "ci" } else { "install" })
            .args(["--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(scratch);
        if production {
            command.arg("--omit=dev");
        }
        tool(id, command)
    })
}

/// Builds into a fresh scratch folder beside `target`, marks it done and swaps it in (replacing an
/// older `target`, as a rebuild of a makefile function does).
pub(super) fn into_place(
    target: &Path,
    build: impl FnOnce(&Path) -> Result<(), BuildError>,
) -> Result<(), BuildError> {
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    let scratch: PathBuf = parent.join(format!(
        ".{}.partial-{}",
        target
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(io(format!("creating {}", scratch.display())))?;
    if let Err(error) = build(&scratch) {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(error);
    }
    std::fs::write(scratch.join(DONE_MARKER), b"")
        .map_err(io(format!("finishing {}", scratch.display())))?;
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(io(format!("replacing {}", target.display())))?;
    }
    std::fs::rename(&scratch, target)
        .map_err(io(format!("moving the build to {}", target.display())))
}

/// Runs `command`, its output kept for the error when it fails.
pub(super) fn tool(function: &str, mut command: Command) -> Result<(), BuildError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let line = std::iter::once(program.clone())
        .chain(command.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let out = command
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| BuildError::MissingTool {
            function: function.to_owned(),
            program,
            source,
        })?;
    if out.status.success() {
        return Ok(());
    }
    Err(BuildError::Tool {
        function: function.to_owned(),
        command: line,
        status: out.status.to_string(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    })
}
