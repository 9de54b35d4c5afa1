//! Python sandboxes forked from a warm template process instead of started as a fresh interpreter.
//!
//! A cold start is mostly the interpreter starting and the bootstrap importing its modules
//! (~50 ms here); the handler's own import is often a few ms. So for each interpreter and set of
//! variables that shape an interpreter's start, Sluice keeps one template process: the python
//! bootstrap with its modules imported and no user code, which forks a sandbox on request. The
//! sandbox then imports the handler afresh (fresh globals, `Init Duration` measured from the
//! request, as on Lambda) and becomes what a fresh interpreter with its environment would be:
//! folder, environment, `sys.path`, process group, cgroup, output pipes (`_serve_forks` in the
//! bootstrap).
//!
//! Written by hand because it is a contract with Sluice's own bootstrap: a `SOCK_SEQPACKET`
//! socket, one JSON request per sandbox with its pipes and cgroup files as `SCM_RIGHTS`, answered
//! with `pid ID PID`; the template reaps its sandboxes and reports `exit PID STATUS`.
//!
//! The template runs as the user its sandboxes run as (`nobody` when Sluice is root), so it holds
//! no privilege a sandbox lacks: nothing a handler leaves behind (a `.pth` file, a library on
//! `LD_LIBRARY_PATH`) can run with more rights through it. It is in its own process group, dies
//! with Sluice, and each sandbox dies with it. Anything that goes wrong (the template cannot
//! start, dies, or does not answer) falls back to a fresh interpreter.

use std::collections::{BTreeMap, HashMap};
use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use nix::sys::socket::{
    recv, sendmsg, socketpair, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType,
    UnixAddr,
};
use tokio::sync::oneshot;

use super::containment::Containment;
use super::function_error::describe_exit;
use super::orphans;
use super::process::{spawn_fork_server, SandboxProcess, Spawned, StartError};
use super::user::SandboxUser;
use crate::bootstrap::{forkable, Launcher};
use crate::lock::lock;

/// How long a template may take to fork a sandbox (its own start included) before Sluice gives
/// up on it and starts a fresh interpreter.
const FORK_LIMIT: Duration = Duration::from_secs(10);

/// Which template a sandbox can be forked from: the interpreter and the variables read while an
/// interpreter starts (so the fork equals a fresh start with the sandbox's environment).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TemplateKey {
    program: PathBuf,
    args: Vec<std::ffi::OsString>,
    runtime_dir: PathBuf,
    startup_env: Vec<(String, String)>,
    /// The sandboxes' user and group (`None`: Sluice's own).
    user: Option<(u32, u32)>,
}

/// Whether a variable is read when an interpreter starts (and so must match the template's).
/// `PYTHONPATH` is not: the sandbox lays out `sys.path` from its own.
fn read_at_startup(name: &str) -> bool {
    (name.starts_with("PYTHON") && name != "PYTHONPATH")
        || name.starts_with("LC_")
        || name.starts_with("LD_")
        || matches!(name, "LANG" | "TZ" | "HOME")
}

/// The templates of one host, started on first use.
#[derive(Default)]
pub(crate) struct ForkServers {
    servers: Mutex<HashMap<TemplateKey, Arc<ForkServer>>>,
    /// Keys whose template could not be started: not tried again.
    failed: Mutex<Vec<TemplateKey>>,
}

impl ForkServers {
    /// Fork a sandbox of `launcher` with `env` from a template, or `None` when this launcher
    /// cannot be forked (not the plain python bootstrap: a debugger, a wrapper script) or no
    /// template answers; the caller then starts a fresh interpreter.
    pub async fn spawn(
        &self,
        launcher: &Launcher,
        env: &BTreeMap<String, String>,
        containment: &Arc<Containment>,
        user: Option<&SandboxUser>,
    ) -> Option<Result<Spawned, StartError>> {
        let server = self.server_for(launcher, env, user)?;
        match server.fork(launcher, env, containment).await {
            Ok(spawned) => Some(Ok(spawned)),
            Err(ForkError::Host(e)) => Some(Err(e)),
            Err(ForkError::Unavailable(why)) => {
                tracing::debug!("the python template did not fork a sandbox ({why}); starting a fresh interpreter");
                server.kill();
                self.retire(&mut lock(&self.servers), &server);
                None
            }
        }
    }

    /// Start the template `launcher` with `env` would fork from, if it can have one and none is
    /// running, so the first sandbox does not wait for it.
    pub fn warm(
        &self,
        launcher: &Launcher,
        env: &BTreeMap<String, String>,
        user: Option<&SandboxUser>,
    ) {
        let _ = self.server_for(launcher, env, user);
    }

    /// The live template for `launcher` and `env`, started if needed.
    fn server_for(
        &self,
        launcher: &Launcher,
        env: &BTreeMap<String, String>,
        user: Option<&SandboxUser>,
    ) -> Option<Arc<ForkServer>> {
        if !forkable(launcher) || !launcher.program.is_absolute() {
            return None;
        }
        let key = TemplateKey {
            program: launcher.program.clone(),
            args: launcher.args.clone(),
            runtime_dir: launcher.runtime_dir.clone(),
            startup_env: env
                .iter()
                .filter(|(k, _)| read_at_startup(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            user: user.map(|u| (u.uid, u.gid)),
        };
        let mut servers = lock(&self.servers);
        if let Some(server) = servers.get(&key).cloned() {
            if server.alive.load(Ordering::Acquire) {
                return Some(server);
            }
            self.retire(&mut servers, &server);
        }
        if lock(&self.failed).contains(&key) {
            return None;
        }
        match ForkServer::start(&key) {
            Ok(server) => {
                servers.insert(key, server.clone());
                Some(server)
            }
            Err(e) => {
                tracing::warn!(
                    "cannot start the python template process ({e}); sandboxes start as fresh interpreters"
                );
                lock(&self.failed).push(key);
                None
            }
        }
    }

    /// Take a dead or failed template out of `servers` (if still there); one that never forked
    /// is not started again.
    fn retire(
        &self,
        servers: &mut HashMap<TemplateKey, Arc<ForkServer>>,
        server: &Arc<ForkServer>,
    ) {
        if !servers
            .get(&server.key)
            .is_some_and(|s| Arc::ptr_eq(s, server))
        {
            return;
        }
        servers.remove(&server.key);
        if !server.forked_once.load(Ordering::Acquire) {
            tracing::warn!("the python template process for {} never forked a sandbox; sandboxes start as fresh interpreters", server.key.program.display());
            lock(&self.failed).push(server.key.clone());
        }
    }

    /// Stop every template (at shutdown, after the sandboxes; a later start makes new ones).
    pub fn release(&self) {
        for (_, server) in lock(&self.servers).drain() {
            server.kill();
        }
    }
}

impl Drop for ForkServers {
    fn drop(&mut self) {
        self.release();
    }
}

/// Why a fork did not happen.
enum ForkError {
    /// Sluice's side failed (pipes, cgroup files): the start fails as it would unforked.
    Host(StartError),
    /// The template is gone or silent: start a fresh interpreter instead.
    Unavailable(String),
}

/// One template process and the socket to it.
struct ForkServer {
    key: TemplateKey,
    control: OwnedFd,
    /// Set by the thread that starts it.
    pid: OnceLock<u32>,
    alive: AtomicBool,
    /// Whether it ever forked: a template that dies before its first fork (an interpreter
    /// without `ctypes`, say) is not started again.
    forked_once: AtomicBool,
    next_id: AtomicU64,
    /// Forks asked for and not yet answered, by request id.
    pending: Mutex<HashMap<u64, oneshot::Sender<Forked>>>,
    /// Live sandboxes' exit notifications, by pid.
    exits: Mutex<HashMap<u32, oneshot::Sender<String>>>,
}

/// A sandbox process the template forked.
struct Forked {
    pid: u32,
    exit: oneshot::Receiver<String>,
}

impl ForkServer {
    /// Start a template (python with `_SLUICE_FORK_SERVER_FD`) and the thread that reads its
    /// answers; that thread also forks it, so the template's death signal follows the thread.
    fn start(key: &TemplateKey) -> std::io::Result<Arc<ForkServer>> {
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        let reader = ours.try_clone()?;
        let server = Arc::new(ForkServer {
            key: key.clone(),
            control: ours,
            pid: OnceLock::new(),
            alive: AtomicBool::new(true),
            forked_once: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            pending: Mutex::new(HashMap::new()),
            exits: Mutex::new(HashMap::new()),
        });
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let this = server.clone();
        std::thread::Builder::new()
            .name("sluice-fork-server".to_owned())
            .spawn(move || {
                let key = &this.key;
                let mut env: BTreeMap<String, String> = key.startup_env.iter().cloned().collect();
                env.insert("_SLUICE_FORK_SERVER_FD".to_owned(), "3".to_owned());
                // No user site-packages in the template: a sandbox's home (`/tmp` for `nobody`) is
                // a folder any handler can write a `.pth` file to, which would then run in every
                // later sandbox of every function. Each sandbox adds its own (`_become_sandbox`).
                env.insert(
                    "HOME".to_owned(),
                    key.runtime_dir
                        .join(".no-home")
                        .to_string_lossy()
                        .into_owned(),
                );
                env.remove("PYTHONUSERBASE");
                let child = spawn_fork_server(
                    &key.program,
                    &key.args,
                    &env,
                    &key.runtime_dir,
                    &theirs,
                    key.user,
                );
                drop(theirs);
                let mut child = match child {
                    Ok(child) => child,
                    Err(e) => {
                        let _ = started_tx.send(Err(e));
                        return;
                    }
                };
                let _ = this.pid.set(child.id());
                let _ = started_tx.send(Ok(()));
                this.read_answers(&reader);
                let _ = child.kill();
                let _ = child.wait();
                orphans::unregister_leader(child.id());
            })?;
        started_rx
            .recv()
            .map_err(|_| std::io::Error::other("the template's thread ended"))??;
        Ok(server)
    }

    /// Until the template closes its end: hand each forked pid to its requester and each exit to
    /// its sandbox.
    fn read_answers(&self, socket: &OwnedFd) {
        let mut buf = [0u8; 128];
        loop {
            let n = match recv(socket.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                Ok(0) => break,
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            };
            let text = String::from_utf8_lossy(&buf[..n]);
            let mut words = text.split(' ');
            let (kind, a, b) = (words.next(), words.next(), words.next());
            let (Some(a), Some(b)) = (
                a.and_then(|a| a.parse::<u64>().ok()),
                b.and_then(|b| b.parse::<i64>().ok()),
            ) else {
                continue;
            };
            match kind {
                Some("pid") => {
                    let Ok(pid) = u32::try_from(b) else { continue };
                    self.forked_once.store(true, Ordering::Release);
                    let (exit_tx, exit) = oneshot::channel();
                    lock(&self.exits).insert(pid, exit_tx);
                    let requester = lock(&self.pending).remove(&a);
                    // A requester that gave up leaves a sandbox nobody owns: kill it.
                    let taken = requester.is_some_and(|r| r.send(Forked { pid, exit }).is_ok());
                    if !taken {
                        kill_pid(pid);
                    }
                }
                Some("exit") => {
                    let status = std::process::ExitStatus::from_raw(b as i32);
                    if let Some(tx) = lock(&self.exits).remove(&(a as u32)) {
                        let _ = tx.send(describe_exit(status));
                    }
                }
                _ => {}
            }
        }
        self.alive.store(false, Ordering::Release);
        lock(&self.pending).clear();
        lock(&self.exits).clear();
    }

    /// Ask the template for one sandbox and wait for its pid.
    async fn fork(
        &self,
        launcher: &Launcher,
        env: &BTreeMap<String, String>,
        containment: &Arc<Containment>,
    ) -> Result<Spawned, ForkError> {
        let host = |what: &'static str| move |e| ForkError::Host(StartError::host(what)(e));
        let pipe =
            || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(std::io::Error::from);
        let (stdout, stdout_w) = pipe().map_err(host("cannot make the output pipes"))?;
        let (stderr, stderr_w) = pipe().map_err(host("cannot make the output pipes"))?;
        let joins = containment
            .join_files()
            .map_err(host("cannot join the sandbox's cgroup"))?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = serde_json::json!({
            "id": id,
            "env": env,
            "cwd": launcher.task_root,
            "group": containment.group().unwrap_or(0),
        })
        .to_string();
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        let mut fds = vec![stdout_w.as_raw_fd(), stderr_w.as_raw_fd()];
        fds.extend(joins.iter().map(AsRawFd::as_raw_fd));
        let sent = sendmsg::<UnixAddr>(
            self.control.as_raw_fd(),
            &[IoSlice::new(request.as_bytes())],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::MSG_NOSIGNAL,
            None,
        );
        // The template holds its own copies now; ours would keep the pipes open forever.
        drop((stdout_w, stderr_w, joins));
        if let Err(e) = sent {
            lock(&self.pending).remove(&id);
            return Err(ForkError::Unavailable(format!("send: {e}")));
        }
        let forked = match tokio::time::timeout(FORK_LIMIT, rx).await {
            Ok(Ok(forked)) => forked,
            Ok(Err(_)) => return Err(ForkError::Unavailable("the template exited".to_owned())),
            Err(_) => {
                lock(&self.pending).remove(&id);
                return Err(ForkError::Unavailable("no answer in 10 s".to_owned()));
            }
        };
        containment.set_leader(forked.pid);
        Ok(Spawned {
            process: SandboxProcess::forked(containment.clone(), forked.pid, forked.exit),
            stdout,
            stderr,
        })
    }

    /// Kill the template; its sandboxes die with it.
    fn kill(&self) {
        self.alive.store(false, Ordering::Release);
        if let Some(&pid) = self.pid.get() {
            kill_pid(pid);
        }
    }
}

fn kill_pid(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::containment::HostContainment;

    #[tokio::test]
    async fn a_template_that_dies_before_its_first_fork_is_not_started_again() {
        let dir = std::env::temp_dir();
        // The command line of the python bootstrap, run by a program that exits at once.
        let launcher = Launcher {
            program: PathBuf::from("/bin/false"),
            interpreter_of: None,
            args: vec!["-u".into(), dir.join("python_bootstrap.py").into()],
            task_root: dir.clone(),
            runtime_dir: dir.clone(),
            execution_env: Some("AWS_Lambda_python3.12".to_owned()),
            needs_executable_check: false,
            cannot_start: None,
        };
        assert!(forkable(&launcher));
        let containment = Arc::new(HostContainment::plain_for_tests().prepare(128).unwrap());
        let env = BTreeMap::new();
        let forks = ForkServers::default();
        // The caller is told to start a fresh interpreter.
        assert!(forks
            .spawn(&launcher, &env, &containment, None)
            .await
            .is_none());
        assert!(lock(&forks.servers).is_empty());
        assert_eq!(lock(&forks.failed).len(), 1);
        // And the next sandbox is not made to wait for another template that would die too.
        assert!(forks.server_for(&launcher, &env, None).is_none());
        assert!(lock(&forks.servers).is_empty());
    }

    #[test]
    fn only_variables_an_interpreter_reads_while_starting_pick_the_template() {
        for name in [
            "PYTHONDONTWRITEBYTECODE",
            "PYTHONHASHSEED",
            "LANG",
            "LC_ALL",
            "TZ",
            "HOME",
            "LD_LIBRARY_PATH",
            "LD_PRELOAD",
        ] {
            assert!(read_at_startup(name), "{name}");
        }
        for name in [
            "PYTHONPATH",
            "PATH",
            "AWS_LAMBDA_RUNTIME_API",
            "_HANDLER",
            "TABLE_NAME",
        ] {
            assert!(!read_at_startup(name), "{name}");
        }
    }
}
