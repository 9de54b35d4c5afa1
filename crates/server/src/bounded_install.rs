//! Package installs the host probes run (pip for boto3, npm for the AWS SDK), waited for with a
//! deadline: startup goes on offline, and a hung registry cannot hold a background probe forever.

use std::process::Child;
use std::time::{Duration, Instant};

/// Waits for `child` (`tool`, e.g. "pip") until `deadline`, killing it past that; `installed`
/// confirms a zero exit really installed what was asked. The reason when it did not.
pub(crate) fn wait_for_install(
    mut child: Child,
    tool: &str,
    source: &str,
    deadline: Duration,
    installed: impl Fn() -> bool,
) -> Result<(), String> {
    let give_up = Instant::now() + deadline;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() && installed() => return Ok(()),
            Ok(Some(_)) => {
                return Err(format!(
                    "{tool} failed; is the network or the {source} reachable?"
                ))
            }
            Ok(None) if Instant::now() >= give_up => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{tool} took longer than {} s", deadline.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for {tool}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn says_why_an_install_did_not_happen() {
        let ok = Command::new("true").spawn().unwrap();
        assert_eq!(
            wait_for_install(ok, "pip", "index", Duration::from_secs(5), || true),
            Ok(())
        );
        let unconfirmed = Command::new("true").spawn().unwrap();
        let why = wait_for_install(
            unconfirmed,
            "pip",
            "package index",
            Duration::from_secs(5),
            || false,
        );
        assert_eq!(
            why.unwrap_err(),
            "pip failed; is the network or the package index reachable?"
        );
        let hung = Command::new("sleep").arg("30").spawn().unwrap();
        let why = wait_for_install(hung, "npm", "registry", Duration::ZERO, || true);
        assert_eq!(why.unwrap_err(), "npm took longer than 0 s");
    }
}
