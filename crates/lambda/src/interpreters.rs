//! Interpreters for the runtime a template names. Lambda runs exactly the version the template
//! asks for; on a developer's machine a `python3.13` or `node22` on the `PATH` is the closest match,
//! so it is preferred over the default `python3` / `node` when it exists.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

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

/// The interpreter on `PATH` whose version matches `runtime`, if one is installed.
pub fn matching_interpreter(runtime: &str) -> Option<PathBuf> {
    matching_in(runtime, &std::env::var_os("PATH")?)
}

fn matching_in(runtime: &str, path: &OsStr) -> Option<PathBuf> {
    let name = versioned_name(runtime)?;
    std::env::split_paths(path)
        .map(|dir| dir.join(&name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
