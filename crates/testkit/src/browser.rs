//! A headless Chromium for end-to-end checks only a browser can make (CORS), and a tiny page
//! server to give the page an origin of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Debian's `chromium` (or `chromium-browser`) on `PATH`, if installed.
pub fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A headless Chromium showing one URL, in its own process group so dropping it stops every
/// process it started.
pub struct HeadlessBrowser {
    child: Child,
    profile: PathBuf,
}

/// Headless Chromium in the fresh `profile` (no sandbox: tests may run as root in containers),
/// with everything that would reach past loopback turned off.
fn headless(chromium: &std::path::Path, profile: &std::path::Path) -> Command {
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            // The page and the API are on loopback; a proxy from the environment must not see them.
            "--no-proxy-server",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
    command
}

impl HeadlessBrowser {
    /// Opens `url` in a fresh profile (no sandbox: tests may run as root in containers).
    pub fn open(chromium: &std::path::Path, url: &str) -> HeadlessBrowser {
        let profile = crate::fresh_dir("chromium-profile");
        let child = headless(chromium, &profile)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromium.display()));
        HeadlessBrowser { child, profile }
    }
}

impl Drop for HeadlessBrowser {
    fn drop(&mut self) {
        // The group id is the browser's pid (process_group(0) above): only its own processes.
        let group = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Serves one HTML page on `127.0.0.1:<port>` (any GET) and hands every body POSTed to `/result`
/// to the test.
pub struct PageServer {
    /// The bound address.
    pub addr: SocketAddr,
    results: mpsc::Receiver<String>,
}

impl PageServer {
    /// Starts serving `html` on an ephemeral port.
    pub fn start(html: &'static str) -> PageServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the page server");
        let addr = listener.local_addr().expect("bound address");
        let (sender, results) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let sender = sender.clone();
                std::thread::spawn(move || serve(stream, html, &sender));
            }
        });
        PageServer { addr, results }
    }

    /// The next result the page posted, waiting up to `timeout`.
    pub fn next_result(&self, timeout: Duration) -> Option<String> {
        self.results.recv_timeout(timeout).ok()
    }
}

/// One HTTP/1.1 exchange, then close.
fn serve(stream: TcpStream, html: &str, results: &mpsc::Sender<String>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let response = match (method, path) {
        ("POST", "/result") => {
            let _ = results.send(String::from_utf8_lossy(&body).into_owned());
            "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_owned()
        }
        ("GET", p) if p == "/" || p.starts_with("/?") => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
            html.len()
        ),
        _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
    };
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}

/// The DOM of `url` after it loaded, as headless Chromium serializes it (`--dump-dom`), in a
/// fresh profile; panics when Chromium fails or takes longer than `timeout`.
pub fn dump_dom(chromium: &std::path::Path, url: &str, timeout: Duration) -> String {
    let profile = crate::fresh_dir("chromium-profile");
    let mut child = headless(chromium, &profile)
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", chromium.display()));
    let mut stdout = child.stdout.take().expect("stdout was piped above");
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = stdout.read_to_string(&mut dom);
        let _ = sender.send(dom);
    });
    let dom = received.recv_timeout(timeout);
    // The group id is the browser's pid (process_group(0) above): only its own processes.
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&profile);
    dom.unwrap_or_else(|_| panic!("chromium did not dump {url} within {timeout:?}"))
}
