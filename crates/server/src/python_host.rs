//! The host's `python3` stands in for Lambda's Python runtimes. Those ship boto3, so handlers
//! import it without packaging it; when the host's python cannot, Sluice installs it once into its
//! own cache, which is on the handlers' `PYTHONPATH`, saying what it did.
//!
//! Startup never waits for python: the probe runs in the background and says what it found.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// What the host's `python3` is, learnt from one process at startup.
pub struct HostPython {
    /// `python3.X`, or `None` when python3 does not run.
    pub version: Option<String>,
    /// Whether it imports boto3 as it is.
    pub imports_boto3: bool,
}

/// Probes the host's python in a thread of its own and says what it found: notes for the
/// template's `runtimes` that differ from it, and boto3 installed into [`packages_dir`] when the
/// host lacks it. Startup does not wait: a python process (through a version manager's shim,
/// often) costs hundreds of milliseconds.
pub fn probe_in_background(runtimes: Vec<String>) {
    let spawned = std::thread::Builder::new()
        .name("sluice-python-probe".to_owned())
        .spawn(move || {
            let host = probe();
            let notes = version_notes(
                runtimes.iter().map(String::as_str),
                host.version.as_deref(),
                |r| sluice_lambda::matching_interpreter(r).is_some(),
            );
            for note in notes {
                eprintln!("{note}");
            }
            ensure_boto3(&host, &cache_root());
        });
    if let Err(e) = spawned {
        eprintln!("Warning: cannot look at the host's python3: {e}");
    }
}

/// Runs `python3` once: prints its version, then looks boto3 up without importing it (the exit
/// status says if it is there; importing it would cost half a second of CPU).
fn probe() -> HostPython {
    let out = python3_with(
        "import sys, importlib.util; print(f'python{sys.version_info[0]}.{sys.version_info[1]}', flush=True); sys.exit(importlib.util.find_spec('boto3') is None)",
        None,
    )
    .stdout(Stdio::piped())
    .output();
    match out {
        Ok(out) => {
            let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            HostPython {
                version: (!version.is_empty()).then_some(version),
                imports_boto3: out.status.success(),
            }
        }
        Err(_) => HostPython {
            version: None,
            imports_boto3: false,
        },
    }
}

/// How long pip may wait on the network per connection, and in all, when installing boto3.
const PIP_CONNECT_TIMEOUT_SECS: &str = "5";
const PIP_DEADLINE: Duration = Duration::from_secs(120);

/// The folder on every python handler's `PYTHONPATH` where Sluice keeps its own boto3, for
/// hosts whose python lacks it. Python skips the entry while the folder does not exist.
///
/// AWS: handlers import the runtime's boto3. Sluice: this copy when there is one (installed on
/// an earlier run, when the host lacked boto3), else the host's.
pub fn packages_dir(cache_root: &Path) -> PathBuf {
    cache_root.join("python-packages")
}

/// Installs boto3 into [`packages_dir`] when the host's python lacks it and the copy is missing.
///
/// Never waits on the network for long (a short timeout and no retries); sandboxes started after
/// it lands import it. Until then, or if it cannot be installed, handlers that import boto3 fail
/// as they would on a host without it; that is said once.
fn ensure_boto3(host: &HostPython, cache_root: &Path) {
    if host.imports_boto3 || host.version.is_none() {
        return;
    }
    let target = packages_dir(cache_root);
    if target.join("boto3").join("__init__.py").is_file() {
        return;
    }
    eprintln!(
        "Python handlers expect boto3 (Lambda's runtime ships it) and python3 here lacks it: installing it into {} ...",
        target.display()
    );
    // Already off the startup path (the probe's thread).
    match install_boto3(&target) {
        Ok(()) => eprintln!("Installed boto3 for python handlers."),
        Err(why) => eprintln!(
            "Warning: boto3 could not be installed ({why}); python handlers that import it will fail. Install it with `python3 -m pip install --target {} boto3`",
            target.display()
        ),
    }
}

/// `pip install --target <target> boto3`, bounded in time; the reason when it fails.
fn install_boto3(target: &Path) -> Result<(), String> {
    let child = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            // AWS: not applicable. Sluice: offline, pip's default (5 retries, 15 s each) would
            // take minutes to say what one refused connection already says.
            "--retries",
            "0",
            "--timeout",
            PIP_CONNECT_TIMEOUT_SECS,
            "--target",
        ])
        .arg(target)
        .arg("boto3")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run pip: {e}"))?;
    crate::bounded_install::wait_for_install(child, "pip", "package index", PIP_DEADLINE, || {
        imports_boto3(Some(target))
    })
}

fn imports_boto3(extra_path: Option<&Path>) -> bool {
    python3_with("import boto3", extra_path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `python3 -c <code>` with no input or output, and `extra_path` as `PYTHONPATH` if given.
fn python3_with(code: &str, extra_path: Option<&Path>) -> Command {
    let mut command = Command::new("python3");
    command
        .args(["-c", code])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(path) = extra_path {
        command.env("PYTHONPATH", path);
    }
    command
}

/// Sluice's machine-wide cache: `$XDG_CACHE_HOME/sluice`, else `~/.cache/sluice`.
pub fn cache_root() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("sluice")
}

/// Notes naming the runtimes the template asks for that differ from the host's python3: those
/// that run a matching interpreter found on `PATH` (`has_match`), and those that cannot.
pub fn version_notes<'a>(
    runtimes: impl Iterator<Item = &'a str>,
    host: Option<&str>,
    has_match: impl Fn(&str) -> bool,
) -> Vec<String> {
    let Some(host) = host else {
        return vec!["python handlers need python3 on the PATH, and none runs here".to_owned()];
    };
    let mut others: Vec<&str> = runtimes.filter(|r| *r != host).collect();
    others.sort_unstable();
    others.dedup();
    crate::runtime_notes::differing(
        others,
        has_match,
        &format!("this machine's python3 ({host})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_differing_runtime_once() {
        let runtimes = ["python3.12", "python3.11", "python3.12", "python3.13"];
        assert_eq!(
            version_notes(runtimes.into_iter(), Some("python3.11"), |r| r == "python3.13"),
            [
                "Note: python3.13 functions run the matching interpreter found on PATH",
                "Note: the template asks for python3.12; Sluice runs this machine's python3 (python3.11) for them",
            ]
        );
        assert!(version_notes(["python3.11"].into_iter(), Some("python3.11"), |_| true).is_empty());
    }
}
