//! The host's `node` stands in for Lambda's Node.js runtimes; when the template asks for another
//! major version, startup says so once (as it does for python).

use std::process::{Command, Stdio};

/// `node --version` (`v20.11.1`), or `None` when node does not run.
pub fn probe() -> Option<String> {
    let out = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !version.is_empty()).then_some(version)
}

/// One note naming the `nodejsN.x` runtimes whose major version differs from the host's node.
pub fn version_note<'a>(
    runtimes: impl Iterator<Item = &'a str>,
    host: Option<&str>,
) -> Option<String> {
    let Some(host) = host else {
        return Some("node handlers need node on the PATH, and none runs here".to_owned());
    };
    let host_major = host
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap_or_default();
    let mut others: Vec<&str> = runtimes
        .filter(|r| {
            let major = r.trim_start_matches("nodejs").trim_end_matches(".x");
            major != host_major
        })
        .collect();
    others.sort_unstable();
    others.dedup();
    (!others.is_empty()).then(|| {
        format!(
            "Note: the template asks for {}; Sluice runs this machine's node ({host}) for them",
            others.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_runtime_whose_major_version_differs() {
        let runtimes = ["nodejs24.x", "nodejs20.x", "nodejs24.x", "nodejs22.x"];
        assert_eq!(
            version_note(runtimes.into_iter(), Some("v20.11.1")).as_deref(),
            Some("Note: the template asks for nodejs22.x, nodejs24.x; Sluice runs this machine's node (v20.11.1) for them")
        );
        assert_eq!(
            version_note(["nodejs20.x"].into_iter(), Some("v20.1.0")),
            None
        );
        assert!(version_note(["nodejs20.x"].into_iter(), None).is_some());
    }
}
