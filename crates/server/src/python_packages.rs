//! Lambda's Python runtimes ship boto3, so handlers import it without packaging it. Sluice runs the
//! host's `python3`; when that cannot import boto3, Sluice installs it once into its own cache and
//! puts the cache on the handlers' `PYTHONPATH`, saying what it did.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The folder to add to `PYTHONPATH`, if the host's python needs Sluice's copy of boto3.
pub fn boto3_path(cache_root: &Path) -> Result<Option<PathBuf>, String> {
    if imports_boto3(None) {
        return Ok(None);
    }
    let target = cache_root.join("python-packages");
    if imports_boto3(Some(&target)) {
        return Ok(Some(target));
    }
    eprintln!(
        "Python handlers expect boto3 (Lambda's runtime ships it) and python3 here lacks it: installing it into {} ...",
        target.display()
    );
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
        ])
        .arg(&target)
        .arg("boto3")
        .stdin(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() && imports_boto3(Some(&target)) => {
            eprintln!("Installed boto3 for python handlers.");
            Ok(Some(target))
        }
        _ => Err(format!(
            "python handlers cannot import boto3 and installing it failed; run `python3 -m pip install --target {} boto3`",
            target.display()
        )),
    }
}

fn imports_boto3(extra_path: Option<&Path>) -> bool {
    let mut command = Command::new("python3");
    command
        .args(["-c", "import boto3"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(path) = extra_path {
        command.env("PYTHONPATH", path);
    }
    command.status().map(|s| s.success()).unwrap_or(false)
}

/// Sluice's machine-wide cache: `$XDG_CACHE_HOME/sluice`, else `~/.cache/sluice`.
pub fn cache_root() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("sluice")
}
