//! Least privilege: as root, Sluice runs sandboxes as an unprivileged user when it can.

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use crate::harness::{invoke, is_root, json, node, service, service_with};

/// Node lives in /usr/bin on the machines CI runs on, reachable by `nobody`.
fn node_reachable_by_nobody() -> bool {
    std::fs::metadata("/usr/bin/node").is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_root_a_handler_runs_as_nobody_and_cannot_read_private_files() {
    if !is_root() || !node_reachable_by_nobody() {
        eprintln!("skipped: needs root and a node that nobody can run");
        return;
    }
    let secret = std::env::temp_dir().join(format!("sluice-secret-{}", std::process::id()));
    std::fs::write(&secret, "state").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (lambda, _) = service(vec![node("Who", "index.whoami")]);
    let out = json(&invoke(&lambda, "Who", json!({"path": secret})).await);
    assert_eq!(out["uid"], 65534, "{out}");
    assert_eq!(out["home"], "/tmp", "{out}");
    assert_eq!(out["read"], "EACCES", "{out}");
    lambda.shutdown().await;
    let _ = std::fs::remove_file(&secret);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_user_can_be_root_again() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let (lambda, _) = service_with(vec![node("Who", "index.whoami")], |config| {
        config.sandbox_user = Some("root".to_owned());
    });
    assert_eq!(json(&invoke(&lambda, "Who", json!({})).await)["uid"], 0);
    lambda.shutdown().await;
}
