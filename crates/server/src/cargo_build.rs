//! `cargo build --release` for a Rust function on reload, done as soon as cargo says the build
//! finished rather than when cargo exits.
//!
//! After its `Finished` line cargo still records what it used in its global cache database and
//! frees its state: 40–85 ms measured on a 2-core machine (`bench/reload/run rust`), most of
//! issue 12's 100 ms budget for "the new binary serving" after cargo. The binary is complete by
//! then, so the reload goes on when cargo's `build-finished` message arrives on its stdout and
//! cargo is left to exit on its own.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

/// Why a Rust function's build failed.
#[derive(Debug, thiserror::Error)]
pub enum CargoBuildError {
    /// `cargo build` failed (cargo printed why).
    #[error("cargo build failed in {dir} ({status})")]
    Failed {
        /// The package folder.
        dir: PathBuf,
        /// Cargo's exit status.
        status: String,
    },
    /// Cargo could not be started.
    #[error("cannot run cargo in {dir}: {source}")]
    Missing {
        /// The package folder.
        dir: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Runs `cargo build --release` in `dir`, cargo's progress and diagnostics on Sluice's stderr,
/// and returns once the build is over (see the module doc).
pub async fn cargo_build(dir: &Path) -> Result<(), CargoBuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // `json-render-diagnostics`: cargo still prints its progress and rendered errors on stderr,
    // as a plain `cargo build` does; only the machine messages go to stdout.
    let mut child = tokio::process::Command::new(cargo)
        .args([
            "build",
            "--release",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|source| CargoBuildError::Missing {
            dir: dir.to_owned(),
            source,
        })?;
    let Some(stdout) = child.stdout.take() else {
        unreachable!("stdout is piped above")
    };
    let mut messages = BufReader::new(stdout);
    if build_finished(&mut messages).await == Some(true) {
        // Cargo is finishing its bookkeeping; the task ends when it exits. Its stdout stays open
        // (drained) meanwhile, so a late line never meets a closed pipe.
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut messages, &mut tokio::io::sink()).await;
            let _ = child.wait().await;
        });
        return Ok(());
    }
    // A failed build (or cargo stopping before it built anything): the exit status says how.
    let _ = tokio::io::copy(&mut messages, &mut tokio::io::sink()).await;
    let status = child
        .wait()
        .await
        .map_err(|source| CargoBuildError::Missing {
            dir: dir.to_owned(),
            source,
        })?;
    Err(CargoBuildError::Failed {
        dir: dir.to_owned(),
        status: status.to_string(),
    })
}

/// Reads cargo's JSON messages until `build-finished` and returns its `success`; `None` if the
/// stream ends first (cargo failed before building, e.g. on a broken `Cargo.toml`).
async fn build_finished(messages: &mut (impl AsyncBufRead + Unpin)) -> Option<bool> {
    let mut line = String::new();
    loop {
        line.clear();
        match messages.read_line(&mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        // Cheap check first: most lines are `compiler-artifact` messages.
        if !line.contains("\"build-finished\"") {
            continue;
        }
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] == "build-finished" {
            return message["success"].as_bool();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// The point of the module: the answer comes from the message, while cargo's stdout is still
    /// open (cargo has not exited).
    #[tokio::test]
    async fn the_build_is_over_at_cargos_message_not_at_its_exit() {
        let (mut cargo, stdout) = tokio::io::duplex(4096);
        cargo
            .write_all(
                b"{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"build-finished\"}}\n\
                  {\"reason\":\"build-finished\",\"success\":true}\n",
            )
            .await
            .unwrap();
        let mut messages = BufReader::new(stdout);
        assert_eq!(build_finished(&mut messages).await, Some(true));
        drop(cargo);
    }

    #[tokio::test]
    async fn a_failed_build_and_a_cargo_that_stops_early_are_told_apart() {
        let mut failed =
            BufReader::new(&b"{\"reason\":\"build-finished\",\"success\":false}\n"[..]);
        assert_eq!(build_finished(&mut failed).await, Some(false));
        let mut stopped = BufReader::new(&b""[..]);
        assert_eq!(build_finished(&mut stopped).await, None);
    }
}
