//! AWS's own runtime clients talk to Sluice's Runtime API: awslambdaric (Python) and, through the
//! hello-rust example, the Rust `lambda_runtime`/`lambda_http` crates (see `hello.rs`).

use serde_json::Value;
use sluice_testkit::ensure_python_module;

use crate::{client, fixture_server};

#[test]
fn awslambdaric_as_a_custom_runtime_bootstrap() {
    assert!(
        ensure_python_module("awslambdaric", "awslambdaric"),
        "python3 cannot import awslambdaric and pip could not install it"
    );
    let server = fixture_server();
    let response = client().get(server.url("/ric")).send().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(body["client"], "awslambdaric");
    assert_eq!(body["path"], "/ric");
    assert_eq!(body["requestId"].as_str().map(str::len), Some(36));
}
