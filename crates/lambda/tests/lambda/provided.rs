//! `provided*` runtimes: the function's own `bootstrap`, including AWS's own runtime client.

use serde_json::json;

use crate::harness::{invoke, json, service, spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_api_headers_and_error_statuses() {
    let (lambda, lines) = service(vec![spec(
        "Probe",
        "provided.al2023",
        "unused",
        "provided_probe",
    )]);
    let inv = invoke(&lambda, "Probe", json!({"x": 1})).await;
    assert_eq!(inv.function_error, None, "{inv:?}");
    let out = json(&inv);
    assert_eq!(out["wrong_id_status"], 400);
    assert_eq!(out["wrong_id_body"]["errorType"], "InvalidRequestID");
    assert_eq!(out["unknown_path_status"], 404);
    let headers = &out["headers"];
    assert_eq!(
        headers["lambda-runtime-aws-request-id"],
        json!(inv.request_id)
    );
    assert!(headers["lambda-runtime-deadline-ms"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());
    assert_eq!(
        headers["lambda-runtime-invoked-function-arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:Probe"
    );
    assert!(headers["lambda-runtime-trace-id"]
        .as_str()
        .unwrap()
        .starts_with("Root=1-"));
    // A second response for a finished invocation is refused: AWS's state machine answers 403
    // (RIE RuntimeResponseSentState), the id being still the current one.
    let again = invoke(&lambda, "Probe", json!({})).await;
    assert_eq!(again.function_error, None);
    assert!(lines
        .of("Probe")
        .iter()
        .any(|l| l == "second response status 403"));
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_bootstrap_is_a_clear_function_error() {
    let (lambda, _) = service(vec![spec("NoBoot", "provided.al2", "unused", "python")]);
    let inv = invoke(&lambda, "NoBoot", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Runtime.InvalidEntrypoint");
    assert!(
        err["errorMessage"].as_str().unwrap().contains("bootstrap"),
        "{err}"
    );
    let prewarm = lambda.prewarm().await.unwrap_err().to_string();
    assert!(
        prewarm.contains("NoBoot") && prewarm.contains("bootstrap"),
        "{prewarm}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awslambdaric_runs_against_sluice() {
    let has_ric = std::process::Command::new("python3")
        .args(["-c", "import awslambdaric"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_ric {
        println!("SKIPPED awslambdaric_runs_against_sluice: `pip install awslambdaric` to run it");
        return;
    }
    let (lambda, _) = service(vec![spec(
        "Ric",
        "provided.al2023",
        "unused",
        "provided_ric",
    )]);
    let inv = invoke(&lambda, "Ric", json!({"hello": "ric"})).await;
    assert_eq!(inv.function_error, None, "{inv:?}");
    let out = json(&inv);
    assert_eq!(out["ric"], true);
    assert_eq!(out["request_id"], json!(inv.request_id));
    assert_eq!(out["echo"], json!({"hello": "ric"}));
    let again = invoke(&lambda, "Ric", json!(2)).await;
    assert_eq!(json(&again)["echo"], 2);
    lambda.shutdown().await;
}
