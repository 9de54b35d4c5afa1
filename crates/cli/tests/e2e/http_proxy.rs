//! The python HTTP proxy (`fixtures/proxy/http_proxy.py`) the tests of Sluice's outbound calls
//! go through: it tunnels `CONNECT`s, forwards absolute-form requests, and logs each connection's
//! target and `Proxy-Authorization`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running proxy, killed when dropped.
pub struct Proxy {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Proxy {
    /// Starts a proxy that logs to `dir/connects`.
    pub fn start(dir: &Path) -> Proxy {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/proxy/http_proxy.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir)
            .stdin(Stdio::null())
            .spawn()
            .expect("starting the python proxy");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Ok(port) = std::fs::read_to_string(dir.join("proxy-port")) {
                break port.trim().parse().expect("a port number");
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the python proxy exited: {status}");
            }
            assert!(Instant::now() < deadline, "the python proxy did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        Proxy { child, port }
    }

    /// One line per connection so far: `<CONNECT target or absolute URL> <Proxy-Authorization or ->`.
    pub fn connections(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join("connects"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
