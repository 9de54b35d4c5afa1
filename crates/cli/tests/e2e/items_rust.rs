//! The Items application in Rust (`examples/items-rust`) answers exactly as the Python one
//! (`examples/items`): the same requests against both, the same statuses, headers and body text.
//!
//! The Rust example is its own Cargo workspace with the heavy AWS SDK, which CI does not build; the
//! test runs when its binary has been built and says it skipped otherwise.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_testkit::Server;

use crate::sluice;

/// What one request got back, with the generated ids replaced by placeholders.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    allow_origin: Option<String>,
    body: String,
}

/// One app under test: its server and the ids it generated, in creation order.
struct App {
    server: Server,
    ids: Vec<String>,
}

impl App {
    fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> Answer {
        // Paths name created items as `{id-N}`; each app has its own ids for them.
        let mut path = path.to_owned();
        for (n, id) in self.ids.iter().enumerate() {
            path = path.replace(&format!("{{id-{n}}}"), id);
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let mut request = crate::client().request(method, self.server.url(&path));
        if let Some(body) = body {
            request = request.body(body.to_owned());
        }
        let response = request.send().expect("the request is answered");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (status, content_type, allow_origin) = (
            response.status().as_u16(),
            header("content-type"),
            header("access-control-allow-origin"),
        );
        let mut body = response.text().expect("a text body");
        if status == 201 {
            let created: Value = serde_json::from_str(&body).expect("a created item is JSON");
            if let Some(id) = created["id"].as_str() {
                if !self.ids.iter().any(|known| known == id) {
                    self.ids.push(id.to_owned());
                }
            }
        }
        for (n, id) in self.ids.iter().enumerate() {
            body = body.replace(id.as_str(), &format!("{{id-{n}}}"));
        }
        Answer {
            status,
            content_type,
            allow_origin,
            body,
        }
    }
}

/// The checkout these tests were compiled from. Not `sluice_testkit::workspace_root()`: with a
/// target folder shared between checkouts, cargo may reuse a testkit compiled in another one, and its
/// root is fixed at compile time; this crate was compiled from the checkout under test.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An example application's template in this checkout.
fn example_template(name: &str) -> PathBuf {
    checkout().join("examples").join(name).join("template.yaml")
}

/// The built Rust function, if any.
fn rust_binary() -> Option<PathBuf> {
    let target = checkout().join("examples/items-rust/target");
    ["release", "debug"]
        .iter()
        .map(|profile| target.join(profile).join("items-rust"))
        .find(|path| path.is_file())
}

#[test]
fn the_rust_items_app_answers_exactly_as_the_python_one() {
    if rust_binary().is_none() {
        println!(
            "SKIPPED: build examples/items-rust first (cd examples/items-rust && cargo build --release)"
        );
        return;
    }
    let mut rust = App {
        server: Server::start(sluice(), &example_template("items-rust"), &[]),
        ids: Vec::new(),
    };
    let mut python = App {
        server: Server::start(sluice(), &example_template("items"), &[]),
        ids: Vec::new(),
    };

    // (method, path, body, expected status): the items_app sequence, then every other answer the
    // handler gives: both bad-body errors, a client-chosen id, exact number and non-ASCII text, a
    // write DynamoDB refuses, and a body on a GET (parsed, as in Python, before routing).
    let steps: &[(&str, &str, Option<&str>, u16)] = &[
        ("GET", "/items", None, 200),
        ("POST", "/items", Some(r#"{"name": "Test"}"#), 201),
        (
            "POST",
            "/items",
            Some(r#"{"name": "Priced", "price": 12.5, "qty": 3}"#),
            201,
        ),
        ("GET", "/items/{id-1}", None, 200),
        ("DELETE", "/items/{id-1}", None, 204),
        ("GET", "/items/{id-1}", None, 404),
        ("PUT", "/items", None, 403),
        ("GET", "/items", None, 200),
        ("POST", "/items", Some("not json"), 400),
        ("POST", "/items", Some("[1, 2]"), 400),
        ("GET", "/items", Some("{oops"), 400),
        ("GET", "/items/missing", None, 404),
        (
            "POST",
            "/items",
            Some(
                r#"{"name": "caf\u00e9 ☕ 😀", "tab": "a\tb", "price": 12.50, "hundred": 1E+2,
                    "tiny": 0.00001, "whole": 3.0, "big": 123456789012345678901234567890,
                    "nested": {"z": [true, false, null, "x", -0.5], "a": {}}, "empty": []}"#,
            ),
            201,
        ),
        ("GET", "/items/{id-2}", None, 200),
        (
            "POST",
            "/items",
            Some(r#"{"name": "Mine", "id": "chosen-id"}"#),
            201,
        ),
        ("GET", "/items/chosen-id", None, 200),
        ("POST", "/items", None, 201),
        ("POST", "/items", Some(r#"{"id": 5}"#), 502),
        ("DELETE", "/items/never-existed", None, 204),
    ];
    for (method, path, body, status) in steps {
        let from_rust = rust.send(method, path, *body);
        let from_python = python.send(method, path, *body);
        let step = format!("{method} {path} {body:?}");
        assert_eq!(from_python.status, *status, "{step}: {from_python:?}");
        assert_eq!(from_rust, from_python, "{step}");
        if *status != 403 && *status != 502 {
            // The handler's own headers, not API Gateway's.
            assert_eq!(
                from_rust.content_type.as_deref(),
                Some("application/json"),
                "{step}"
            );
            assert_eq!(from_rust.allow_origin.as_deref(), Some("*"), "{step}");
        }
    }

    // The final list: the same items, in whatever order each store's ids put them.
    let sorted = |answer: Answer| {
        let items: Vec<Value> = serde_json::from_str(&answer.body).expect("a JSON list");
        let mut texts: Vec<String> = items.iter().map(Value::to_string).collect();
        texts.sort();
        (answer.status, texts)
    };
    let from_rust = sorted(rust.send("GET", "/items", None));
    let from_python = sorted(python.send("GET", "/items", None));
    assert_eq!(from_python.1.len(), 4, "{from_python:?}");
    assert_eq!(from_rust, from_python);
}
