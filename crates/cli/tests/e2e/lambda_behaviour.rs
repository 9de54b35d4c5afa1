//! Sandboxes scale out, throttle, and run every runtime the fixture uses.

use serde_json::Value;

use crate::{client, fixture_server, sluice};

#[test]
fn ten_concurrent_slow_requests_run_in_parallel() {
    let server = fixture_server();
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let url = server.url("/slow?sleep=1");
            std::thread::spawn(move || client().get(url).send().unwrap().status())
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), 200);
    }
    // Ten one-second requests at once: ten sandboxes ran side by side (ten cold starts), none
    // waited for another. A count, not a timing: the machine may be busy.
    let cold_starts = || {
        server
            .logs()
            .iter()
            .filter(|l| l.starts_with("[SlowFunction] REPORT") && l.contains("Init Duration"))
            .count()
    };
    sluice_testkit::assert_eventually!(
        cold_starts() == 10,
        "expected 10 cold starts, saw {}",
        cold_starts()
    );
}

#[test]
fn reserved_concurrency_exceeded_is_500_integration_failure() {
    let server = fixture_server();
    let slow = {
        let url = server.url("/throttled?sleep=3");
        std::thread::spawn(move || client().get(url).send().unwrap().status())
    };
    // Wait until the first invocation holds the function's only slot.
    assert!(server
        .wait_for_log("[ThrottledFunction] START RequestId")
        .is_some());
    let throttled = client()
        .get(server.url("/throttled?sleep=0"))
        .send()
        .unwrap();
    assert_eq!(throttled.status(), 500);
    assert_eq!(
        throttled.text().unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    assert_eq!(slow.join().unwrap(), 200);
}

#[test]
fn node_callback_handler_gets_event_and_context() {
    let server = fixture_server();
    let body: Value = client()
        .put(server.url("/node?q=1"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["method"], "PUT");
    assert_eq!(body["query"]["q"], "1");
    assert_eq!(body["functionName"], "NodeFunction");
    assert!(body["remaining"].as_i64().unwrap() > 0);
    assert!(server.wait_for_log("node handler got PUT /node").is_some());
}

#[test]
fn sigterm_stops_every_sandbox_process() {
    let mut server = fixture_server();
    let pid: i32 = client()
        .get(server.url("/shape/pid"))
        .send()
        .unwrap()
        .text()
        .unwrap()
        .parse()
        .unwrap();
    let alive = |pid: i32| std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive(pid), "the warm sandbox is running");
    assert!(server.stop(), "sluice exits on SIGTERM");
    sluice_testkit::assert_eventually!(!alive(pid), "sandbox {pid} outlived the server");
}

#[test]
fn python_logging_lines_carry_the_request_id() {
    let server = fixture_server();
    let body: Value = client()
        .get(server.url("/echo"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let request_id = body["context"]["aws_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let line = server
        .wait_for_log("echo GET /echo")
        .expect("the handler's log line");
    assert!(line.contains("[INFO]"), "{line}");
    assert!(line.contains(&request_id), "{line} lacks {request_id}");
}

#[test]
fn eager_warm_containers_start_sandboxes_before_the_first_request() {
    let server = sluice_testkit::Server::start(
        sluice(),
        &crate::fixture_template(),
        &["--warm-containers", "EAGER"],
    );
    assert!(
        server
            .wait_for_log("[EchoFunction] echo module loaded")
            .is_some(),
        "EAGER runs each function's init at startup"
    );
}

#[test]
fn a_client_that_hangs_up_leaves_the_invocation_running_and_its_sandbox_warm() {
    let server = fixture_server();
    let reports = || {
        server
            .logs()
            .into_iter()
            .filter(|l| l.starts_with("[SlowFunction] REPORT"))
            .collect::<Vec<_>>()
    };
    let answer_at_once = || {
        client()
            .get(server.url("/slow?sleep=0"))
            .send()
            .unwrap()
            .status()
    };
    // Warm one sandbox.
    assert_eq!(answer_at_once(), 200);
    // A client that gives up after 0.2 s on a 1 s invocation.
    let impatient = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    assert!(impatient.get(server.url("/slow?sleep=1")).send().is_err());
    // AWS: the invocation runs to its end (END and REPORT are logged, it is billed) and its
    // sandbox stays warm, although nobody waits for the answer.
    sluice_testkit::assert_eventually!(
        reports().len() == 2,
        "expected the abandoned invocation's REPORT, saw {:?}",
        reports()
    );
    assert!(
        reports()[1].contains("Duration: 1"),
        "the abandoned invocation ran its whole second: {:?}",
        reports()
    );
    // The next request reuses that sandbox: no second cold start.
    assert_eq!(answer_at_once(), 200);
    // Lines reach the terminal through a batching writer: a moment after the answer.
    sluice_testkit::assert_eventually!(reports().len() == 3, "{:?}", reports());
    let all = reports();
    assert_eq!(
        all.iter().filter(|l| l.contains("Init Duration")).count(),
        1,
        "one cold start only: {all:?}"
    );
}

/// Lambda's node runtime serves a layer's `require('@aws-sdk/…')` as it serves the function's
/// (a shared data-access layer seldom ships the SDK). Sluice looked only at the function's own
/// code for the SDK packages to provide, so such a layer failed with `Cannot find module`.
#[test]
fn a_layers_sdk_import_is_served_as_the_runtime_serves_it() {
    let dir = sluice_testkit::fresh_dir("layer-sdk");
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "template.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Encoder:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: fn/
      Handler: index.handler
      Layers: [!Ref Shared]
      Events:
        Get:
          Type: Api
          Properties: {Path: /bytes, Method: GET}
"#,
    );
    write(
        "layer/nodejs/node_modules/textlib/index.js",
        "const { fromUtf8 } = require(\"@aws-sdk/util-utf8-browser\");\nexports.bytes = (text) => fromUtf8(text).length;\n",
    );
    write(
        "fn/index.js",
        "const { bytes } = require(\"textlib\");\nexports.handler = async () => ({ statusCode: 200, body: String(bytes(\"héllo\")) });\n",
    );
    let server = sluice_testkit::Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let response = client().get(server.url("/bytes")).send().unwrap();
    assert_eq!(
        (response.status().as_u16(), response.text().unwrap()),
        (200, "6".to_owned()),
        "{:?}",
        server.logs()
    );
}
