//! Two Sluice processes sharing one Redis (`--limits-store`) share one quota and one token bucket,
//! as the stages of one API Gateway do. Starts its own `redis-server` (CI installs it).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sluice_testkit::{fresh_dir, Server};

use crate::auth::{auth_template, get};
use crate::sluice;

/// A throwaway `redis-server` on a free port, killed when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Redis {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (.ci/run installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pong = TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
                s.write_all(b"PING\r\n")?;
                let mut buf = [0u8; 7];
                s.read_exact(&mut buf)?;
                Ok(buf.starts_with(b"+PONG"))
            });
            if matches!(pong, Ok(true)) {
                break;
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis { child, port }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_processes_share_one_quota_and_one_bucket_through_redis() {
    let redis = Redis::start();
    let url = redis.url();
    let key = "shared-quota-key-0123456789";
    let servers: Vec<Server> = (0..2)
        .map(|i| {
            // The same generated key value in both state folders, as replicas of one deployment.
            let state = fresh_dir(&format!("redis-{i}"));
            std::fs::write(
                state.join("api-keys.json"),
                format!("{{\"ApiApiKey\": \"{key}\"}}"),
            )
            .expect("api-keys.json");
            Server::start_in(
                sluice(),
                &auth_template(),
                &state,
                &["--in-memory", "--limits-store", &url],
            )
        })
        .collect();

    // Quota 3 per day for the plan's key, requests alternating between the processes.
    let quota: Vec<u16> = (0..6)
        .map(|i| get(&servers[i % 2], "/keyed", &[("x-api-key", key)]).0)
        .collect();
    assert_eq!(quota.iter().filter(|s| **s == 200).count(), 3, "{quota:?}");
    assert_eq!(
        get(&servers[0], "/keyed", &[("x-api-key", key)]),
        (429, r#"{"message":"Limit Exceeded"}"#.to_owned())
    );

    // Burst 2 (rate 0.01/s) for the fixed key: two requests pass in all, not two per process.
    let fixed = ("x-api-key", "fixed-key-value-0123456789");
    let burst: Vec<u16> = (0..4)
        .map(|i| get(&servers[i % 2], "/keyed", &[fixed]).0)
        .collect();
    assert_eq!(burst, vec![200, 200, 429, 429]);

    // A store that cannot be reached stops the start, naming it.
    drop(redis);
    let out = Command::new(sluice())
        .args([
            "start-api",
            "-p",
            "0",
            "--services-port",
            "0",
            "--in-memory",
            "--limits-store",
            &url,
            "-t",
        ])
        .arg(auth_template())
        .arg("--state-dir")
        .arg(fresh_dir("redis-down"))
        .stdin(Stdio::null())
        .output()
        .expect("sluice start-api");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&url),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
