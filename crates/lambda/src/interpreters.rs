//! Interpreters for the runtime a template names. Lambda runs exactly the version the template
//! asks for; on a developer's machine a `python3.13` or `node22` on the `PATH` is the closest match,
//! so it is preferred over the default `python3` / `node` when it exists.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sluice_aws_env::RuntimeFamily;

/// The executable name that matches `runtime`'s version: `python3.13` for `python3.13`, `node22`
/// for `nodejs22.x` (the names Debian, Homebrew and version managers install).
fn versioned_name(runtime: &str) -> Option<String> {
    match RuntimeFamily::of(runtime)? {
        RuntimeFamily::Python => runtime
            .strip_prefix("python")
            .filter(|v| v.contains('.'))
            .map(|_| runtime.to_owned()),
        RuntimeFamily::Node => runtime
            .strip_prefix("nodejs")
            .and_then(|v| v.strip_suffix(".x"))
            .filter(|major| !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()))
            .map(|major| format!("node{major}")),
        RuntimeFamily::Provided => None,
    }
}

type Cells = HashMap<String, Arc<OnceLock<Option<PathBuf>>>>;
/// `matching_interpreter`'s answers, one cell per runtime.
static FOUND: OnceLock<Mutex<Cells>> = OnceLock::new();
/// `default_python`'s answer.
static PYTHON: OnceLock<PathBuf> = OnceLock::new();

/// The interpreter on `PATH` whose version matches `runtime`, if one is installed and runs,
/// resolved to the real executable (a version manager's shim costs tens of milliseconds per start,
/// and pyenv's exists for every version it knows even when that version is not active). Found once
/// per runtime per process; a caller asking while another thread resolves it waits for that.
pub fn matching_interpreter(runtime: &str) -> Option<PathBuf> {
    // The map is locked only to find the runtime's cell: runtimes resolve side by side.
    let cell = FOUND
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(runtime.to_owned())
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let candidate = matching_in(runtime, &std::env::var_os("PATH")?)?;
        resolve(&candidate, RuntimeFamily::of(runtime)?)
    })
    .clone()
}

/// The real interpreter behind the host's `python3`, resolved once per process: version-manager
/// shims (pyenv) cost tens of milliseconds per start, hundreds on a busy machine.
pub(crate) fn default_python() -> PathBuf {
    PYTHON
        .get_or_init(|| {
            let python = Path::new("python3");
            resolve(python, RuntimeFamily::Python).unwrap_or_else(|| python.to_owned())
        })
        .clone()
}

/// The interpreter `runtime`'s sandboxes run: the one matching its version if `PATH` has it, else
/// the host's `python3` (resolved) or `node`. Blocks while it is found, once per runtime per process.
pub(crate) fn interpreter_for(runtime: &str) -> PathBuf {
    matching_interpreter(runtime).unwrap_or_else(|| match RuntimeFamily::of(runtime) {
        Some(RuntimeFamily::Python) => default_python(),
        _ => PathBuf::from("node"),
    })
}

/// `interpreter_for(runtime)` if it is already known: no waiting and no process started, so a
/// sandbox start needs no blocking-thread hop once its runtime was resolved.
pub(crate) fn known_interpreter(runtime: &str) -> Option<PathBuf> {
    let matched = FOUND
        .get()?
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(runtime)?
        .get()?
        .is_some();
    // Without a match, only python's fallback has to be found (node's is a name).
    let fallback_known =
        RuntimeFamily::of(runtime) != Some(RuntimeFamily::Python) || PYTHON.get().is_some();
    (matched || fallback_known).then(|| interpreter_for(runtime))
}

/// Starts finding the interpreters `runtimes` need, each in a thread of its own, so that the first
/// sandboxes (which wait for them) find them ready, and runtimes resolve side by side instead of
/// one interpreter process after another.
pub fn resolve_interpreters_in_background<'a>(runtimes: impl IntoIterator<Item = &'a str>) {
    let mut runtimes: Vec<String> = runtimes.into_iter().map(str::to_owned).collect();
    runtimes.sort_unstable();
    runtimes.dedup();
    let spawn = |name: &str, job: Box<dyn FnOnce() + Send>| {
        // Not started: the service resolves it itself when it needs it.
        let _ = std::thread::Builder::new().name(name.to_owned()).spawn(job);
    };
    if runtimes
        .iter()
        .any(|r| RuntimeFamily::of(r) == Some(RuntimeFamily::Python))
    {
        spawn(
            "sluice-python3",
            Box::new(|| {
                default_python();
            }),
        );
    }
    for runtime in runtimes {
        if versioned_name(&runtime).is_some() {
            spawn(
                "sluice-interpreter",
                Box::new(move || {
                    matching_interpreter(&runtime);
                }),
            );
        }
    }
}

/// The executable `candidate` really runs, or `None` if it does not start.
fn resolve(candidate: &Path, family: RuntimeFamily) -> Option<PathBuf> {
    let script = match family {
        RuntimeFamily::Python => ["-c", "import sys; print(sys.executable)"],
        RuntimeFamily::Node => ["-e", "console.log(process.execPath)"],
        RuntimeFamily::Provided => return None,
    };
    let out = std::process::Command::new(candidate)
        .args(script)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match family {
        // A symlink or wrapper keeps its own name: python reports the path it was started as.
        RuntimeFamily::Python if out.status.success() && !path.is_empty() => {
            Some(PathBuf::from(path))
        }
        // node reports the real binary even behind a wrapper script, which may set the
        // environment the user wants: keep the wrapper once it is known to start.
        RuntimeFamily::Node if out.status.success() => Some(candidate.to_owned()),
        _ => None,
    }
}

fn matching_in(runtime: &str, path: &OsStr) -> Option<PathBuf> {
    find_on_path(versioned_name(runtime)?.as_ref(), path)
}

/// The first executable file named `name` in the folders of `path` (a `PATH` value).
pub fn find_on_path(name: &Path, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file someone may execute.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolved_interpreter_is_known_without_waiting() {
        // Never resolved in this process: unknown, and nothing was started to find out.
        assert_eq!(known_interpreter("python9.99"), None);
        for runtime in ["python3.12", "nodejs20.x"] {
            let found = interpreter_for(runtime);
            assert_eq!(known_interpreter(runtime), Some(found), "{runtime}");
        }
    }

    #[test]
    fn names_the_versioned_executable_of_each_runtime() {
        assert_eq!(versioned_name("python3.13").as_deref(), Some("python3.13"));
        assert_eq!(versioned_name("nodejs22.x").as_deref(), Some("node22"));
        assert_eq!(versioned_name("python3"), None);
        assert_eq!(versioned_name("nodejs.x"), None);
        assert_eq!(versioned_name("provided.al2023"), None);
    }

    #[test]
    fn finds_only_executable_files_in_path_order() {
        use std::os::unix::fs::PermissionsExt;
        let root = std::env::temp_dir().join(format!("sluice-interp-{}", std::process::id()));
        let (first, second) = (root.join("a"), root.join("b"));
        for dir in [&first, &second] {
            std::fs::create_dir_all(dir).unwrap();
        }
        // Not executable in the first folder: skipped for the second folder's.
        std::fs::write(first.join("node22"), "").unwrap();
        let exe = second.join("node22");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([&first, &second]).unwrap();
        assert_eq!(matching_in("nodejs22.x", &path), Some(exe));
        assert_eq!(matching_in("nodejs20.x", &path), None);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_version_manager_shim_for_an_inactive_version_is_no_match() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sluice-shim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // What pyenv's shim does when the version is installed but not active.
        let shim = dir.join("python3.12");
        std::fs::write(
            &shim,
            "#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n",
        )
        .unwrap();
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(resolve(&shim, RuntimeFamily::Python), None);
        assert_eq!(resolve(&shim, RuntimeFamily::Node), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
