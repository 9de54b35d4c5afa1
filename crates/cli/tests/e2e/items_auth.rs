//! `examples/items-auth` answers as its README shows: 200, 401, 201, 403, 204, 403 and 429.

use std::process::Command;

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::{client, example_template, sluice};

fn sluice_out(state: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(sluice())
        .args(args)
        .arg("-t")
        .arg(example_template("items-auth"))
        .arg("--state-dir")
        .arg(state)
        .output()
        .expect("running sluice");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_readme_walkthrough() {
    let state = fresh_dir("items-auth");
    let server = Server::start_in(
        sluice(),
        &example_template("items-auth"),
        &state,
        &["--in-memory"],
    );
    let url = |p: &str| server.url(p);
    let http = client();
    assert_eq!(http.get(url("/items")).send().unwrap().status(), 200);
    let anonymous = http
        .post(url("/items"))
        .body(r#"{"name":"Test"}"#)
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let token = sluice_out(&state, &["token", "--username", "ada"]);
    let created = http
        .post(url("/items"))
        .header("Authorization", &token)
        .body(r#"{"name":"Test"}"#)
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let item: Value = created.json().unwrap();
    assert_eq!(item["owner"], "ada");
    let id = item["id"].as_str().unwrap().to_owned();

    let delete = |token: &str| {
        http.delete(url(&format!("/items/{id}")))
            .header("Authorization", token)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(delete(&token), 403);
    let admin = sluice_out(
        &state,
        &["token", "--username", "root", "--groups", "admin"],
    );
    assert_eq!(delete(&admin), 204);
    let expired = sluice_out(&state, &["token", "--expires-in", "-1h"]);
    assert_eq!(delete(&expired), 401);

    assert_eq!(
        http.get(url("/partner/items")).send().unwrap().status(),
        403
    );
    let key = sluice_out(&state, &["api-keys"]);
    let key = key.split('\t').nth(1).unwrap().to_owned();
    let statuses: Vec<u16> = (0..10)
        .map(|_| {
            let (url, key) = (url("/partner/items"), key.clone());
            std::thread::spawn(move || {
                client()
                    .get(url)
                    .header("x-api-key", key)
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "{statuses:?}"
    );
}

/// `--account-throttle` stands for the account's quota (AWS: 10,000 req/s, burst 5,000, raised
/// through Service Quotas): past it any route answers API Gateway's 429 before its function runs.
#[test]
fn the_account_throttle_is_the_flags() {
    let hello = example_template("hello");
    // A bucket of one that refills every 100 s: the first request passes, the next do not.
    let server = Server::start(sluice(), &hello, &["--account-throttle", "0.01,1"]);
    let mut statuses = Vec::new();
    let mut last_body = String::new();
    for _ in 0..3 {
        let response = client().get(server.url("/hello")).send().unwrap();
        statuses.push(response.status().as_u16());
        last_body = response.text().unwrap();
    }
    assert_eq!(statuses, [200, 429, 429]);
    assert_eq!(last_body, r#"{"message":"Too Many Requests"}"#);
    // The default quota leaves the same requests alone.
    let server = Server::start(sluice(), &hello, &[]);
    for _ in 0..3 {
        let response = client().get(server.url("/hello")).send().unwrap();
        assert_eq!(response.status(), 200);
    }
}
