//! The runtime process of one sandbox: spawned into its containment, killed with everything it
//! started, and watched until it exits.
//!
//! This is the one module allowed `unsafe`: `pre_exec` runs code in the forked child before
//! `exec`, where only async-signal-safe calls are allowed (no allocation, no locks).
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::containment::Containment;
use super::function_error::describe_exit;
use super::orphans;
use super::user::SandboxUser;
use crate::bootstrap::Launcher;

/// Why a sandbox did not start, and whose fault that is.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    /// The function cannot be started as it is (no `bootstrap`, no interpreter): Lambda's
    /// `Runtime.InvalidEntrypoint`.
    #[error("{0}")]
    Function(String),
    /// Sluice itself failed (a listener, a cgroup, a pipe): not the function's fault.
    #[error("{what}: {source}")]
    Host {
        /// What Sluice was doing.
        what: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// An exec failure as Go words it, which Lambda quotes (`exec format error`, `permission
/// denied`): the C library's description, lower-cased, without Rust's `(os error N)`.
fn exec_error_text(e: &std::io::Error) -> String {
    let Some(errno) = e.raw_os_error() else {
        return e.to_string();
    };
    let text = nix::errno::Errno::from_raw(errno).desc();
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// Whose fault a failed spawn of `program` is. The host's when it ran short of processes,
/// memory or descriptors (fork, or the output pipes, failed: EAGAIN, ENOMEM, EMFILE, ENFILE),
/// which passes; the function's otherwise (exec: no such file, not executable, bad format),
/// Lambda's `Runtime.InvalidEntrypoint` with Go's `fork/exec` wording.
fn spawn_error(program: &std::path::Path, e: std::io::Error) -> StartError {
    use nix::libc::{EAGAIN, EMFILE, ENFILE, ENOMEM};
    match e.raw_os_error() {
        Some(EAGAIN | ENOMEM | EMFILE | ENFILE) => StartError::Host {
            what: "cannot start the runtime process",
            source: e,
        },
        _ => StartError::Function(format!(
            "fork/exec {}: {}",
            program.display(),
            exec_error_text(&e)
        )),
    }
}

impl StartError {
    /// A host failure while doing `what`.
    pub fn host(what: &'static str) -> impl FnOnce(std::io::Error) -> StartError {
        move |source| StartError::Host { what, source }
    }
}

/// A spawned runtime process; dropping it kills the sandbox's every process.
pub(crate) struct SandboxProcess {
    containment: Arc<Containment>,
    pid: u32,
    /// Resolves with Lambda's wording of the exit (`exit status 1`, `signal: killed`).
    exit: Option<oneshot::Receiver<String>>,
    /// Turns true once the process has exited, for any number of watchers.
    gone: tokio::sync::watch::Receiver<bool>,
}

/// The process and the read ends of its stdout and stderr.
pub(crate) struct Spawned {
    pub process: SandboxProcess,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

impl SandboxProcess {
    /// Start `launcher` with exactly `env`, as `user` (else Sluice's own), in its own process
    /// group and `containment`, dying with Sluice.
    ///
    /// Call it from a tokio worker (or the thread driving `block_on`), never from a thread that
    /// may exit first: the kernel sends the death signal when the *thread* that forked exits, and
    /// blocking-pool threads (`spawn_blocking`, `block_in_place`) exit after 10 s idle.
    pub fn spawn(
        launcher: &Launcher,
        env: &BTreeMap<String, String>,
        containment: Arc<Containment>,
        user: Option<&SandboxUser>,
    ) -> Result<Spawned, StartError> {
        let join_files = containment
            .join_files()
            .map_err(StartError::host("cannot join the sandbox's cgroup"))?;
        let mut cmd = tokio::process::Command::new(&launcher.program);
        cmd.args(&launcher.args)
            .current_dir(&launcher.task_root)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // One process group per sandbox (the first process's), so a timeout kills everything
            // the handler and the extensions started.
            .process_group(
                containment
                    .group()
                    .and_then(|g| i32::try_from(g).ok())
                    .unwrap_or(0),
            )
            .kill_on_drop(true);
        if let Some(user) = user {
            // std drops supplementary groups (setgroups) before setuid when given a uid.
            cmd.uid(user.uid).gid(user.gid);
        }
        enter_containment(cmd.as_std_mut(), join_files);
        let mut child = orphans::spawn_leader(|| cmd.spawn(), |c| c.id())
            .map_err(|e| spawn_error(&launcher.program, e))?;
        let Some(pid) = child.id() else {
            return Err(StartError::Function(
                "the runtime process exited immediately".to_owned(),
            ));
        };
        containment.set_leader(pid);
        let (gone_tx, gone) = tokio::sync::watch::channel(false);
        let mut process = SandboxProcess {
            containment,
            pid,
            exit: None,
            gone,
        };
        let stdout = child.stdout.take().map(|s| s.into_owned_fd());
        let stderr = child.stderr.take().map(|s| s.into_owned_fd());
        let (Some(Ok(stdout)), Some(Ok(stderr))) = (stdout, stderr) else {
            // `process` drops here and kills what was started.
            return Err(StartError::Host {
                what: "cannot capture the runtime's output",
                source: std::io::Error::other("stdout or stderr missing"),
            });
        };
        let (exit_tx, exit_rx) = oneshot::channel();
        tokio::spawn(async move {
            let description = match child.wait().await {
                Ok(status) => describe_exit(status),
                Err(e) => format!("wait failed: {e}"),
            };
            orphans::unregister_leader(pid);
            let _ = gone_tx.send(true);
            let _ = exit_tx.send(description);
        });
        process.exit = Some(exit_rx);
        Ok(Spawned {
            process,
            stdout,
            stderr,
        })
    }

    /// A runtime process a template forked (see [`super::fork_server`]): not Sluice's child, so
    /// its exit comes from the template, which reaps it.
    pub fn forked(
        containment: Arc<Containment>,
        pid: u32,
        exit: oneshot::Receiver<String>,
    ) -> SandboxProcess {
        // Relayed, so the exit also reaches `gone`'s watchers.
        let (gone_tx, gone) = tokio::sync::watch::channel(false);
        let (relay_tx, relay) = oneshot::channel();
        tokio::spawn(async move {
            let exited = exit.await;
            let _ = gone_tx.send(true);
            if let Ok(description) = exited {
                let _ = relay_tx.send(description);
            }
        });
        SandboxProcess {
            containment,
            pid,
            exit: Some(relay),
            gone,
        }
    }

    /// Turns true once the process has exited (or when no one can tell any more).
    pub fn gone(&self) -> tokio::sync::watch::Receiver<bool> {
        self.gone.clone()
    }

    /// `Some(description)` once the runtime process has exited (reported once), else `None`.
    pub fn try_exited(&mut self) -> Option<String> {
        let rx = self.exit.as_mut()?;
        match rx.try_recv() {
            Ok(description) => {
                self.exit = None;
                Some(description)
            }
            Err(oneshot::error::TryRecvError::Closed) => {
                self.exit = None;
                Some("exit status unknown".to_owned())
            }
            Err(oneshot::error::TryRecvError::Empty) => None,
        }
    }

    /// Whether the runtime process is still running (as far as its watcher knows).
    pub fn is_running(&self) -> bool {
        self.exit.is_some()
    }

    /// Resolves when the runtime process exits; never resolves again after that.
    pub async fn exited(&mut self) -> String {
        match &mut self.exit {
            Some(rx) => {
                let status = rx.await.unwrap_or_else(|_| "unknown".to_owned());
                self.exit = None;
                status
            }
            None => std::future::pending().await,
        }
    }

    /// SIGTERM this process only (the graceful start of Lambda's Shutdown phase).
    pub fn terminate(&self) {
        if let Ok(pid) = i32::try_from(self.pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    }

    /// Hand the exit notification to another watcher (an extension's, which outlives no one:
    /// the process itself stays owned, and killed on drop, here).
    pub fn take_exit(&mut self) -> Option<oneshot::Receiver<String>> {
        self.exit.take()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        // The pool may still hold the containment (a busy sandbox being shut down); the
        // processes must go now regardless.
        self.containment.kill_all();
    }
}

/// Resolves when the runtime process exits; never when there is none or it was reported.
pub(super) async fn runtime_exited(process: &mut Option<SandboxProcess>) -> String {
    match process {
        Some(process) => process.exited().await,
        None => std::future::pending().await,
    }
}

/// Start a template process (see [`super::fork_server`]) with exactly `env`, in `dir`, as `user`
/// (uid, gid; else Sluice's), in its own process group, dying with the calling thread, with
/// `control` as its descriptor 3.
pub(super) fn spawn_fork_server(
    program: &std::path::Path,
    args: &[std::ffi::OsString],
    env: &BTreeMap<String, String>,
    dir: &std::path::Path,
    control: &OwnedFd,
    user: Option<(u32, u32)>,
) -> std::io::Result<std::process::Child> {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .process_group(0);
    if let Some((uid, gid)) = user {
        // std changes user before the closure below runs, which matters: a change of user
        // clears the death signal. Supplementary groups are dropped, as for sandboxes.
        cmd.uid(uid).gid(gid);
    }
    let parent = nix::unistd::getpid();
    let control = control.as_raw_fd();
    // SAFETY: as in `enter_containment`: only async-signal-safe syscalls (prctl, getppid,
    // sched_setscheduler, dup2, fcntl, _exit) on values prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
            if nix::unistd::getppid() != parent {
                nix::libc::_exit(1);
            }
            // The sandboxes it forks inherit the policy and the limit.
            batch_scheduling();
            descriptor_limit();
            // Descriptor 3, without close-on-exec (which dup2 clears, unless it is already 3).
            let moved = if control == 3 {
                nix::libc::fcntl(3, nix::libc::F_SETFD, 0)
            } else {
                nix::libc::dup2(control, 3)
            };
            if moved < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    orphans::spawn_leader(|| cmd.spawn(), |c| Some(c.id()))
}

/// In the child, before `exec`: the `SCHED_BATCH` policy, so that a runtime woken by the Runtime
/// API's answer does not preempt the Sluice thread that wrote it. Under wake-up preemption every
/// answer to `next` and every 202 switched the writing thread out in the middle of its work;
/// without it a saturated machine serves 5–15 % more requests a second (bench/README.md).
/// Nothing else changes: the runtime keeps its nice level and its share of the CPU, and is woken
/// at once on an idle core. Best effort: a host that refuses leaves the normal policy.
fn batch_scheduling() {
    let normal = nix::libc::sched_param { sched_priority: 0 };
    // SAFETY: one raw syscall on a value on this stack; it neither allocates nor locks.
    unsafe {
        nix::libc::sched_setscheduler(0, nix::libc::SCHED_BATCH, &normal);
    }
}

/// Lambda's limit on open file descriptors in one execution environment ("Lambda quotas":
/// file descriptors, 1,024; not one that can be raised).
const MAX_DESCRIPTORS: u64 = 1024;

/// In the child, before `exec`: Lambda's descriptor limit, soft and hard, so a handler that leaks
/// descriptors fails here as it would on AWS rather than at the host's (often far higher)
/// limit. Never above the host's hard limit, which an unprivileged process cannot raise. Best
/// effort: a host that refuses leaves its own limit.
fn descriptor_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    // Both are single syscalls on values on this stack: async-signal-safe.
    let hard = getrlimit(Resource::RLIMIT_NOFILE)
        .map_or(MAX_DESCRIPTORS, |(_, hard)| hard.min(MAX_DESCRIPTORS));
    let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
}

/// In the child, before `exec`: die with Sluice, join the sandbox's cgroups, Lambda's
/// [`descriptor_limit`], and the [`batch_scheduling`] policy.
fn enter_containment(cmd: &mut std::process::Command, join_files: Vec<OwnedFd>) {
    let parent = nix::unistd::getpid();
    // SAFETY: the closure only makes raw syscalls that are async-signal-safe (prctl, getppid,
    // sched_setscheduler, write, _exit) on values prepared before the fork; it allocates nothing
    // and takes no lock.
    // `join_files` are opened close-on-exec, so the runtime never inherits them.
    unsafe {
        cmd.pre_exec(move || {
            // AWS: the environment dies with its micro-VM. Sluice: the runtime dies with Sluice
            // (even on `kill -9`); its descendants are reaped through the cgroup.
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
            if nix::unistd::getppid() != parent {
                // Sluice died between fork and prctl: nobody would ever kill this process.
                nix::libc::_exit(1);
            }
            batch_scheduling();
            descriptor_limit();
            for fd in &join_files {
                // `0` means the writing process itself.
                if nix::libc::write(fd.as_raw_fd(), b"0".as_ptr().cast(), 1) != 1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host out of processes or descriptors is Sluice's failure (retried, a ServiceException
    /// on demand), not the function's `Runtime.InvalidEntrypoint`.
    #[test]
    fn a_spawn_short_of_resources_is_the_hosts_fault_an_exec_failure_the_functions() {
        let program = std::path::Path::new("/var/task/bootstrap");
        for errno in [
            nix::libc::EAGAIN,
            nix::libc::ENOMEM,
            nix::libc::EMFILE,
            nix::libc::ENFILE,
        ] {
            let e = spawn_error(program, std::io::Error::from_raw_os_error(errno));
            assert!(matches!(e, StartError::Host { .. }), "{errno}: {e}");
        }
        for (errno, text) in [
            (nix::libc::ENOENT, "no such file or directory"),
            (nix::libc::EACCES, "permission denied"),
            (nix::libc::ENOEXEC, "exec format error"),
        ] {
            match spawn_error(program, std::io::Error::from_raw_os_error(errno)) {
                StartError::Function(message) => {
                    assert_eq!(message, format!("fork/exec /var/task/bootstrap: {text}"));
                }
                host => panic!("{errno}: {host}"),
            }
        }
    }
}
