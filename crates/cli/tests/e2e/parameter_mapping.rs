//! HTTP API parameter mapping served by the real binary to a python handler that echoes its event:
//! an OpenAPI integration's `requestParameters` rewrite what the function gets, its
//! `responseParameters` rewrite what the client gets for the status the function answered, and
//! `overwrite:path` the path the function is given.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_testkit::Server;

use crate::{client, sluice};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parameter-mapping/template.yaml")
}

#[test]
fn request_parameters_rewrite_the_event_and_response_parameters_the_answer() {
    let server = Server::start(sluice(), &template(), &[]);
    let response = client()
        .post(server.url("/pets/7?env=prod&debug=1&keep=yes"))
        .header("x-secret", "hunter2")
        .header("content-type", "application/json")
        .body(r#"{"owner": {"name": "ada"}}"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    // A status without responseParameters is answered as the function gave it.
    assert_eq!(response.headers()["x-internal"], "secret");
    let request_id = response.headers()["apigw-requestid"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().unwrap();
    let event = &body["event"];
    assert_eq!(event["headers"]["x-pet"], "pet-7");
    assert_eq!(event["headers"]["x-owner"], "ada");
    assert!(event["headers"].get("x-secret").is_none(), "{event:#}");
    assert_eq!(
        event["queryStringParameters"],
        serde_json::json!({"keep": "yes", "env": "dev", "request": request_id})
    );

    let response = client()
        .post(server.url("/pets/7?status=500"))
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["x-error"], "E42");
    assert_eq!(response.headers()["x-route"], "POST /pets/{petId}");
    assert!(!response.headers().contains_key("x-internal"));
    assert!(response.headers().contains_key("apigw-requestid"));
}

#[test]
fn overwrite_path_gives_the_function_the_rewritten_path() {
    let server = Server::start(sluice(), &template(), &[]);
    let response = client().get(server.url("/owners/ada?x=1")).send().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    let event = &body["event"];
    assert_eq!(event["rawPath"], "/v2/people/ada");
    assert_eq!(event["rawQueryString"], "x=1");
    // Routing used the client's path, which the request context still describes.
    assert_eq!(event["routeKey"], "GET /owners/{ownerId}");
    assert_eq!(event["pathParameters"]["ownerId"], "ada");
    assert_eq!(event["requestContext"]["http"]["path"], "/owners/ada");
}
