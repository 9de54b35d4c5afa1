//! The real AWS CLI v2 (Debian's `awscli` package), for end-to-end checks of commands only v2 has
//! (`aws logs tail`). PyPI's `awscli` is v1 and may come first on `PATH`, so each `aws` found is
//! asked its version.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where Debian's package puts it, looked at after `PATH` (a pip-installed v1 may shadow it).
const DEBIAN_AWS: &str = "/usr/bin/aws";

/// The first AWS CLI v2 on `PATH` (or at `/usr/bin/aws`), if one is installed.
pub fn aws_cli_v2() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("aws"))
        .chain(std::iter::once(PathBuf::from(DEBIAN_AWS)))
        .filter(|candidate| candidate.is_file())
        .find(|candidate| is_v2(candidate))
}

fn is_v2(aws: &Path) -> bool {
    Command::new(aws)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| {
            String::from_utf8_lossy(&out.stdout).starts_with("aws-cli/2.")
                || String::from_utf8_lossy(&out.stderr).starts_with("aws-cli/2.")
        })
}

/// The AWS CLI v2, or `None` after printing why the calling test skips. In CI (`CI` set, as
/// `.ci/run` and CI services set it) a missing CLI fails the test instead: it is installed there.
pub fn aws_cli_v2_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(aws) = aws_cli_v2() {
        return Some(aws);
    }
    let why = "the AWS CLI v2 is not installed here (CI installs Debian's awscli in .ci/run; \
               locally: apt-get install awscli)";
    assert!(
        std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "{test}: {why}"
    );
    eprintln!("SKIPPED {test}: {why}");
    None
}

/// `aws` with a clean, local configuration: dummy credentials, no pager, no profile or config
/// file of the machine's user, so the CLI only ever talks to the endpoint the test gives it.
pub fn aws_command(aws: &Path) -> Command {
    let mut command = Command::new(aws);
    command
        .env("AWS_ACCESS_KEY_ID", "AKIDSLUICETEST")
        .env("AWS_SECRET_ACCESS_KEY", "sluice-test-secret")
        .env("AWS_PAGER", "")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_DEFAULT_PROFILE")
        .stdin(Stdio::null());
    command
}
