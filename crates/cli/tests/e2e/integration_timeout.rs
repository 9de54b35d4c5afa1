//! A REST route's own integration timeout (`TimeoutInMillis`), served by the real binary: API
//! Gateway answers 504 when it passes, and the invocation runs on to its end, as Lambda's does.

use std::path::{Path, PathBuf};

use sluice_testkit::Server;

use crate::{client, sluice};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/timeouts/template.yaml")
}

#[test]
fn a_route_answers_504_once_its_timeout_in_millis_passed_and_the_function_runs_on() {
    let server = Server::start(sluice(), &template(), &[]);
    let response = client().get(server.url("/slow?sleep=3")).send().unwrap();
    assert_eq!(response.status(), 504);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    assert!(response.headers().contains_key("x-amzn-requestid"));
    assert_eq!(
        response.text().unwrap(),
        r#"{"message": "Endpoint request timed out"}"#
    );
    // AWS: the gateway giving up does not stop the function.
    assert!(server.wait_for_log("finished after 3.0 s").is_some());
    assert!(server.wait_for_log("REPORT RequestId").is_some());

    // Within its timeout the route answers; a route without one waits the default 29 s.
    let quick = client().get(server.url("/slow?sleep=0")).send().unwrap();
    assert_eq!(quick.status(), 200);
    let patient = client().get(server.url("/patient?sleep=3")).send().unwrap();
    assert_eq!(patient.status(), 200);
    assert_eq!(patient.text().unwrap(), "slept 3.0");
}
