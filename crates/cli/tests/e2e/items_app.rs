//! The Items application (`examples/items`): the article's curl lines, run verbatim with curl, and
//! items that survive a restart and a crash.

use std::process::Command;

use serde_json::Value;
use sluice_testkit::Server;

use crate::{example_template, sluice};

/// Runs curl with the given arguments; returns (status, body).
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl is installed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

#[test]
fn the_articles_curl_lines_work_and_items_survive_a_restart() {
    let state = sluice_testkit::fresh_dir("items");
    let mut server = Server::start_in(sluice(), &example_template("items"), &state, &[]);
    let items = server.url("/items");

    // The article's two lines, with the test server's port.
    let (status, body) = curl(&[&items]);
    assert_eq!((status, body.as_str()), (200, "[]"));
    let (status, body) = curl(&["-X", "POST", &items, "-d", r#"{"name": "Test"}"#]);
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(created["name"], "Test");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a uuid");

    // Numbers reach DynamoDB as numbers and come back as JSON numbers.
    let (status, body) = curl(&[
        "-X",
        "POST",
        &items,
        "-d",
        r#"{"name": "Priced", "price": 12.5, "qty": 3}"#,
    ]);
    assert_eq!(status, 201, "{body}");
    let priced: Value = serde_json::from_str(&body).unwrap();
    let priced_id = priced["id"].as_str().unwrap().to_owned();

    let (status, body) = curl(&[&server.url(&format!("/items/{priced_id}"))]);
    assert_eq!(status, 200);
    let item: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(item["price"], 12.5);
    assert_eq!(item["qty"], 3);

    let (status, body) = curl(&["-X", "DELETE", &server.url(&format!("/items/{priced_id}"))]);
    assert_eq!((status, body.as_str()), (204, ""));
    let (status, _) = curl(&[&server.url(&format!("/items/{priced_id}"))]);
    assert_eq!(status, 404);
    let (status, body) = curl(&["-X", "PUT", &items]);
    assert_eq!(
        status, 403,
        "no PUT route: API Gateway's answer, not the handler's: {body}"
    );

    assert!(server.stop(), "sluice exits on SIGTERM");
    let server = Server::start_in(sluice(), &example_template("items"), &state, &[]);
    let (status, body) = curl(&[&server.url("/items")]);
    assert_eq!(status, 200);
    let list: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 1, "{body}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["name"], "Test");
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let state = sluice_testkit::fresh_dir("items-crash");
    let mut server = Server::start_in(sluice(), &example_template("items"), &state, &[]);
    let items = server.url("/items");
    let client = crate::client();
    let mut acknowledged = Vec::new();
    for n in 0..40 {
        let response = client
            .post(&items)
            .body(format!(r#"{{"name": "burst-{n}"}}"#))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
        let item: Value = response.json().unwrap();
        acknowledged.push(item["id"].as_str().unwrap().to_owned());
    }
    // A write in flight when the process dies: it may or may not land, but must not corrupt anything.
    let in_flight = {
        let url = items.clone();
        std::thread::spawn(move || {
            crate::client()
                .post(url)
                .body(r#"{"name": "in-flight"}"#)
                .send()
        })
    };
    server.kill9();
    let _ = in_flight.join();

    let server = Server::start_in(sluice(), &example_template("items"), &state, &[]);
    let list: Vec<Value> = crate::client()
        .get(server.url("/items"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let stored: std::collections::HashSet<&str> =
        list.iter().filter_map(|i| i["id"].as_str()).collect();
    for id in &acknowledged {
        assert!(
            stored.contains(id.as_str()),
            "acknowledged item {id} was lost"
        );
    }
}

#[test]
fn ddb_export_and_import_move_the_data_to_another_store() {
    let state = sluice_testkit::fresh_dir("items-export");
    let mut server = Server::start_in(sluice(), &example_template("items"), &state, &[]);
    for name in ["one", "two", "three"] {
        let (status, _) = curl(&[
            "-X",
            "POST",
            &server.url("/items"),
            "-d",
            &format!(r#"{{"name": "{name}", "n": 1.5}}"#),
        ]);
        assert_eq!(status, 201);
    }
    assert!(server.stop());

    let dump = sluice_testkit::fresh_dir("dump").join("items.jsonl");
    let template = example_template("items");
    let export = Command::new(sluice())
        .args(["ddb", "export", "-t"])
        .arg(&template)
        .arg("--state-dir")
        .arg(&state)
        .arg("-o")
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let lines = std::fs::read_to_string(&dump).unwrap();
    assert_eq!(
        lines.lines().count(),
        4,
        "one table line and three items: {lines}"
    );
    assert!(lines
        .lines()
        .next()
        .unwrap()
        .starts_with(r#"{"CreateTable":"#));

    let other = sluice_testkit::fresh_dir("items-import");
    let import = Command::new(sluice())
        .args(["ddb", "import", "-t"])
        .arg(&template)
        .arg("--state-dir")
        .arg(&other)
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(String::from_utf8_lossy(&import.stderr).contains("Imported 1 tables, 3 items."));

    let server = Server::start_in(sluice(), &template, &other, &[]);
    let (status, body) = curl(&[&server.url("/items")]);
    assert_eq!(status, 200);
    let mut names: Vec<String> = serde_json::from_str::<Vec<Value>>(&body)
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["one", "three", "two"]);
}

#[test]
fn table_arns_follow_the_region_flag() {
    let server = Server::start(
        sluice(),
        &example_template("items"),
        &["--region", "eu-west-1"],
    );
    assert_eq!(
        table_arn(&server),
        "arn:aws:dynamodb:eu-west-1:123456789012:table/Items"
    );
}

#[test]
fn without_aws_region_the_region_is_aws_default_regions() {
    // SAM CLI's boto session reads AWS_DEFAULT_REGION; an empty AWS_REGION counts as unset.
    let server = Server::start_with_env(
        sluice(),
        &example_template("items"),
        &[],
        &[
            ("AWS_REGION", std::ffi::OsStr::new("")),
            ("AWS_DEFAULT_REGION", std::ffi::OsStr::new("ap-south-1")),
        ],
    );
    assert_eq!(
        table_arn(&server),
        "arn:aws:dynamodb:ap-south-1:123456789012:table/Items"
    );
}

/// The Items table's ARN, as DescribeTable answers it.
fn table_arn(server: &Server) -> Value {
    let response = crate::client()
        .post(format!("{}/", server.services_url))
        .header("X-Amz-Target", "DynamoDB_20120810.DescribeTable")
        .header("Content-Type", "application/x-amz-json-1.0")
        .body(r#"{"TableName": "Items"}"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    body["Table"]["TableArn"].clone()
}
