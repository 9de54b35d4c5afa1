//! Test harness: start the real `sluice` binary on port 0 and watch what it prints.

mod aws_cli;
mod browser;

pub use aws_cli::{aws_cli_v2, aws_cli_v2_or_skip, aws_command};
pub use browser::{chromium, dump_dom, HeadlessBrowser, PageServer};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Retries a condition until it holds or a deadline passes (default 10 s, or `within LIMIT;`),
/// then fails with a message.
#[macro_export]
macro_rules! assert_eventually {
    (within $limit:expr; $cond:expr, $($msg:tt)+) => {{
        let deadline = ::std::time::Instant::now() + $limit;
        loop {
            if $cond { break; }
            if ::std::time::Instant::now() > deadline { panic!($($msg)+); }
            ::std::thread::sleep(::std::time::Duration::from_millis(100));
        }
    }};
    ($cond:expr, $($msg:tt)+) => {{
        let deadline = ::std::time::Instant::now() + ::std::time::Duration::from_secs(10);
        loop {
            if $cond { break; }
            if ::std::time::Instant::now() > deadline { panic!($($msg)+); }
            ::std::thread::sleep(::std::time::Duration::from_millis(50));
        }
    }};
}

/// Like [`assert_eventually!`] inside async tests: retries without blocking the runtime's thread.
#[macro_export]
macro_rules! assert_eventually_async {
    (within $limit:expr; $cond:expr, $($msg:tt)+) => {{
        let deadline = ::std::time::Instant::now() + $limit;
        loop {
            if $cond { break; }
            if ::std::time::Instant::now() > deadline { panic!($($msg)+); }
            ::tokio::time::sleep(::std::time::Duration::from_millis(20)).await;
        }
    }};
    ($cond:expr, $($msg:tt)+) => {{
        let deadline = ::std::time::Instant::now() + ::std::time::Duration::from_secs(10);
        loop {
            if $cond { break; }
            if ::std::time::Instant::now() > deadline { panic!($($msg)+); }
            ::tokio::time::sleep(::std::time::Duration::from_millis(50)).await;
        }
    }};
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        // CARGO_MANIFEST_DIR is crates/testkit, two levels below the root by construction.
        .expect("testkit lives two levels below the workspace root")
}

/// Lines a child process printed, shared with the thread that reads them.
#[derive(Clone, Default)]
struct Lines(Arc<(Mutex<Vec<String>>, Condvar)>);

impl Lines {
    fn push(&self, line: String) {
        let (lock, cvar) = &*self.0;
        if let Ok(mut lines) = lock.lock() {
            lines.push(line);
        }
        cvar.notify_all();
    }

    fn snapshot(&self) -> Vec<String> {
        self.0 .0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Waits until some line satisfies `pred`; returns it.
    fn wait_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let (lock, cvar) = &*self.0;
        let deadline = Instant::now() + timeout;
        let mut lines = lock.lock().ok()?;
        loop {
            if let Some(line) = lines.iter().find(|l| pred(l)) {
                return Some(line.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            lines = cvar.wait_timeout(lines, left).ok()?.0;
        }
    }
}

/// The variables that route Sluice's outbound HTTP(S) through a proxy (both spellings).
const PROXY_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// A running `sluice start-api`, stopped with SIGTERM when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The services endpoint (DynamoDB, Lambda Invoke API), `http://127.0.0.1:PORT`.
    pub services_url: String,
    /// The state folder this server was started with.
    pub state_dir: PathBuf,
    /// `start-function-urls`: each Function URL's own address (`http://127.0.0.1:PORT/`), by the
    /// function's logical id.
    pub function_urls: std::collections::BTreeMap<String, String>,
    stderr: Lines,
}

impl Server {
    /// Starts `sluice start-api -t <template> -p 0 <args…>` with a fresh state folder and waits
    /// until it listens.
    pub fn start(sluice: &Path, template: &Path, args: &[&str]) -> Server {
        Self::start_in(sluice, template, &fresh_dir("state"), args)
    }

    /// Like `start`, with the given state folder (to restart on the same data).
    pub fn start_in(sluice: &Path, template: &Path, state_dir: &Path, args: &[&str]) -> Server {
        let mut all = vec!["start-api", "-p", "0", "--services-port", "0"];
        all.extend_from_slice(args);
        Self::launch(sluice, template, state_dir, &all, &[])
    }

    /// Like `start`, with extra environment variables for the server.
    pub fn start_with_env(
        sluice: &Path,
        template: &Path,
        args: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Server {
        let mut all = vec!["start-api", "-p", "0", "--services-port", "0"];
        all.extend_from_slice(args);
        Self::launch(sluice, template, &fresh_dir("state"), &all, env)
    }

    /// Starts `sluice start-lambda -p 0` (the services endpoint alone); `base_url` and
    /// `services_url` are both its address.
    pub fn start_lambda(sluice: &Path, template: &Path, args: &[&str]) -> Server {
        let mut all = vec!["start-lambda", "-p", "0"];
        all.extend_from_slice(args);
        Self::launch(sluice, template, &fresh_dir("state"), &all, &[])
    }

    /// Starts `sluice start-services --services-port 0` (the services endpoint alone, as
    /// `start_lambda`).
    pub fn start_services(sluice: &Path, template: &Path, args: &[&str]) -> Server {
        let mut all = vec!["start-services", "--services-port", "0"];
        all.extend_from_slice(args);
        Self::launch(sluice, template, &fresh_dir("state"), &all, &[])
    }

    /// Starts `sluice start-function-urls <args…>` (each URL on a port of its own) with the
    /// services endpoint on port 0; `function_urls` holds the URLs' addresses.
    pub fn start_function_urls(sluice: &Path, template: &Path, args: &[&str]) -> Server {
        let mut all = vec!["start-function-urls", "--services-port", "0"];
        all.extend_from_slice(args);
        Self::launch(sluice, template, &fresh_dir("state"), &all, &[])
    }

    /// Runs `sluice <args…> -t <template> --state-dir <dir> --ready-file <file>` (with `env`
    /// added to its environment) and waits until the ready file names the addresses it listens on.
    fn launch(
        sluice: &Path,
        template: &Path,
        state_dir: &Path,
        args: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Server {
        let ready_file = fresh_dir("ready").join("ready.json");
        let mut command = Command::new(sluice);
        // Sluice's outbound calls honour the proxy variables: a developer's proxy must not stand
        // between a test and its loopback servers, unless the test names one itself.
        for proxy in PROXY_VARIABLES {
            command.env_remove(proxy);
        }
        let mut child = command
            .args(args)
            .envs(env.iter().copied())
            .arg("-t")
            .arg(template)
            .arg("--state-dir")
            .arg(state_dir)
            .arg("--ready-file")
            .arg(&ready_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", sluice.display()));
        let stderr = Lines::default();
        let pipe = child.stderr.take().expect("stderr was piped above");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                eprintln!("[sluice] {line}");
                sink.push(line);
            }
        });
        let ready = wait_for_ready_file(&mut child, &ready_file, Duration::from_secs(60));
        let Some(ready) = ready else {
            let _ = child.kill();
            panic!(
                "sluice did not start; it printed:\n{}",
                stderr.snapshot().join("\n")
            );
        };
        let url = |key: &str| ready.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let services_url = url("services").expect("the ready file always names the services URL");
        let base_url = url("api").unwrap_or_else(|| services_url.clone());
        let function_urls = ready
            .get("function_urls")
            .and_then(|urls| urls.as_object())
            .map(|urls| {
                urls.iter()
                    .filter_map(|(f, u)| Some((f.clone(), u.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Server {
            child,
            base_url,
            services_url,
            state_dir: state_dir.to_owned(),
            function_urls,
            stderr,
        }
    }

    /// The URL of a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Everything the server printed on stderr so far.
    pub fn logs(&self) -> Vec<String> {
        self.stderr.snapshot()
    }

    /// Waits (up to 10 s) for a printed line containing `needle`.
    pub fn wait_for_log(&self, needle: &str) -> Option<String> {
        self.stderr
            .wait_for(Duration::from_secs(10), |l| l.contains(needle))
    }

    /// Kills the server with SIGKILL, as a crash would, and reaps it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the exit (up to 10 s); returns whether it exited by itself.
    pub fn stop(&mut self) -> bool {
        self.signal_and_wait(nix::sys::signal::Signal::SIGTERM)
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does, and waits for the exit (up to 10 s).
    pub fn interrupt(&mut self) -> bool {
        self.signal_and_wait(nix::sys::signal::Signal::SIGINT)
    }

    fn signal_and_wait(&mut self, signal: nix::sys::signal::Signal) -> bool {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, signal);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// Polls for the ready file Sluice writes once listening; `None` if the process exits first or the
/// timeout passes.
fn wait_for_ready_file(
    child: &mut Child,
    path: &Path,
    timeout: Duration,
) -> Option<serde_json::Value> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path) {
            return serde_json::from_str(&text).ok();
        }
        if let Ok(Some(_)) = child.try_wait() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// A new empty folder under the system's temp folder, unique to this process and call.
pub fn fresh_dir(label: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sluice-test-{}-{label}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// Builds a workspace binary package (same profile as the tests) and returns its path.
///
/// Tests run after `cargo test` released the build lock, so a nested `cargo build` is safe.
pub fn build_package_binary(package: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", package])
        .current_dir(workspace_root())
        .status()
        .expect("running cargo build");
    assert!(status.success(), "cargo build -p {package} failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("debug").join(package)
}

/// Makes sure python3 can import `module`, installing `package` with pip if it cannot (as CI does);
/// returns whether it is importable now.
pub fn ensure_python_module(module: &str, package: &str) -> bool {
    if python_has_module(module) {
        return true;
    }
    let _ = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            package,
        ])
        .status();
    python_has_module(module)
}

/// Whether a python module can be imported on this machine.
pub fn python_has_module(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs a python client script (`python3 script args…` with `env`) and fails the test with its
/// output unless it exits 0.
pub fn assert_python_script_passes(script: &Path, args: &[&str], env: &[(&str, &str)]) {
    let mut command = Command::new("python3");
    command.arg(script).args(args).env_remove("AWS_PROFILE");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("running python3 {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed\nstdout: {}\nstderr: {}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Installs a node fixture's dependencies (`npm ci` from its lock file) unless already there.
pub fn ensure_npm_dependencies(dir: &Path) {
    if dir.join("node_modules").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--silent", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("running npm in {}: {e}", dir.display()));
    assert!(status.success(), "npm ci failed in {}", dir.display());
}
