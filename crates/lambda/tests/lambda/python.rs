//! Python handlers through the embedded bootstrap.

use serde_json::json;

use crate::harness::{invoke, json, python, service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_returns_the_handler_result() {
    let (lambda, _) = service(vec![python("Hello", "app.hello")]);
    let inv = invoke(&lambda, "Hello", json!({"name": "sluice"})).await;
    assert_eq!(inv.function_error, None);
    assert_eq!(json(&inv), json!({"hello": "sluice"}));
    // Warm reuse gives the same answer.
    let again = invoke(&lambda, "Hello", json!({})).await;
    assert_eq!(json(&again), json!({"hello": "world"}));
    assert_ne!(inv.request_id, again.request_id);
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_fields_are_visible_to_the_handler() {
    let (lambda, _) = service(vec![python("Ctx", "app.context_fields")]);
    let inv = invoke(&lambda, "Ctx", json!({})).await;
    let ctx = json(&inv);
    assert_eq!(ctx["aws_request_id"], json!(inv.request_id));
    assert_eq!(ctx["function_name"], "Ctx");
    assert_eq!(ctx["function_version"], "$LATEST");
    assert_eq!(
        ctx["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:Ctx"
    );
    assert_eq!(ctx["memory_limit_in_mb"], "128");
    assert_eq!(ctx["log_group_name"], "/aws/lambda/Ctx");
    let stream = ctx["log_stream_name"].as_str().unwrap();
    assert!(stream.contains("/[$LATEST]"), "{stream}");
    let remaining = ctx["remaining_ms"].as_i64().unwrap();
    assert!(remaining > 0 && remaining <= 3000, "{remaining}");
    assert_eq!(ctx["has_identity"], true);
    assert_eq!(ctx["client_context"], serde_json::Value::Null);
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_is_lambdas_and_the_function_wins() {
    let mut spec = python("Env", "app.environment");
    spec.environment.insert("TABLE".into(), "items".into());
    spec.environment
        .insert("AWS_REGION".into(), "eu-west-1".into());
    std::env::set_var("SLUICE_TEST_HOST_SECRET", "leak");
    let (lambda, _) = service(vec![spec]);
    let env = json(&invoke(&lambda, "Env", json!({})).await);
    assert_eq!(env["TABLE"], "items");
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(env["_HANDLER"], "app.environment");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "Env");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/Env");
    assert_eq!(env["AWS_EXECUTION_ENV"], "AWS_Lambda_python3.12");
    assert_eq!(env["TZ"], ":UTC");
    assert!(env["AWS_LAMBDA_RUNTIME_API"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert!(env["LAMBDA_TASK_ROOT"]
        .as_str()
        .unwrap()
        .ends_with("fixtures/python"));
    assert!(env["AWS_ACCESS_KEY_ID"].is_string());
    assert!(
        env.get("SLUICE_TEST_HOST_SECRET").is_none(),
        "host environment leaked"
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_handler_is_an_unhandled_function_error() {
    let (lambda, lines) = service(vec![python("Boom", "app.boom")]);
    let inv = invoke(&lambda, "Boom", json!({"why": "because"})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "ValueError");
    assert_eq!(err["errorMessage"], "boom: because");
    assert_eq!(err["requestId"], json!(inv.request_id));
    assert!(
        err["stackTrace"][0].as_str().unwrap().contains("app.py"),
        "{err}"
    );
    assert!(lines
        .of("Boom")
        .iter()
        .any(|l| l == "[ERROR] ValueError: boom: because"));
    // The sandbox survives a handled exception.
    let again = invoke(&lambda, "Boom", json!({})).await;
    assert!(
        !again.log_tail.contains("Init Duration"),
        "{}",
        again.log_tail
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_serializable_result_is_a_marshal_error() {
    let (lambda, _) = service(vec![python("Set", "app.not_json")]);
    let inv = invoke(&lambda, "Set", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(json(&inv)["errorType"], "Runtime.MarshalError");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_error_is_reported_as_init_error() {
    let spec = crate::harness::spec("Broken", "python3.12", "app.handler", "python_import_error");
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Broken", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Runtime.ImportModuleError");
    assert!(
        err["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Unable to import module 'app'"),
        "{err}"
    );
    assert!(
        inv.log_tail
            .contains("Status: error\tError Type: Runtime.ImportModuleError"),
        "{}",
        inv.log_tail
    );
    // Still broken next time, from a fresh sandbox.
    let again = invoke(&lambda, "Broken", json!({})).await;
    assert_eq!(json(&again)["errorType"], "Runtime.ImportModuleError");
    assert!(lambda.prewarm().await.is_err());
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_code_runs_from_the_cache_dir() {
    let mut spec = python("Inline", "index.handler");
    spec.code =
        sluice_lambda::CodeSource::Inline("def handler(e, c):\n    return {'inline': e}\n".into());
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Inline", json!(7)).await;
    assert_eq!(json(&inv), json!({"inline": 7}));
    lambda.shutdown().await;
}

/// Sandboxes run under `SCHED_BATCH`, forked from the template process or started afresh, so a
/// runtime woken by the Runtime API's answer does not preempt the Sluice thread that wrote it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandboxes_do_not_preempt_sluice_on_wake_up() {
    const SCHED_BATCH: i64 = 3;
    for fork in [true, false] {
        let (lambda, _) =
            crate::harness::service_with(vec![python("Sched", "app.scheduling")], |c| {
                c.fork_sandboxes = fork;
            });
        let answer = json(&invoke(&lambda, "Sched", json!({})).await);
        assert_eq!(
            answer["policy"], SCHED_BATCH,
            "fork server {fork}: {answer}"
        );
        // The path under test is the one taken: a fresh sandbox is Sluice's child, a forked
        // one the template's.
        let sluices_child = answer["parent"] == std::process::id();
        assert_eq!(sluices_child, !fork, "fork server {fork}: {answer}");
        lambda.shutdown().await;
    }
}
