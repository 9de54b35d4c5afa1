//! The Runtime API's state machine and error handling, as AWS's runtime interface emulator
//! implements them, driven by a hand-written runtime (`provided_rapi`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{invoke, json, service, spec};

fn rapi(name: &str) -> sluice_lambda::FunctionSpec {
    spec(name, "provided.al2023", "unused", "provided_rapi")
}

/// AWS's 403 for a transition its state machine refuses.
fn refused(from: &str, to: &str) -> Value {
    json!({
        "status": 403,
        "body": {
            "errorType": "InvalidStateTransition",
            "errorMessage": format!(
                "State transition from {from} to {to} failed for runtime. Error: State transition is not allowed"
            ),
        },
    })
}

/// What the runtime saw after answering its previous invocation.
async fn previous(lambda: &sluice_lambda::Lambda, function: &str) -> Value {
    let inv = invoke(lambda, function, json!({})).await;
    json(&inv)["previous"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_error_counts_only_during_init() {
    let (lambda, _) = service(vec![rapi("Late")]);
    let inv = invoke(&lambda, "Late", json!({"case": "init_error_while_running"})).await;
    // Refused, and the invocation carries on to its response.
    assert_eq!(inv.function_error, None, "{inv:?}");
    assert_eq!(json(&inv)["init_error"], refused("Running", "InitError"));
    // After the response it is refused too, and the next invocation is not failed by it.
    assert_eq!(
        previous(&lambda, "Late").await["init_error_after_response"],
        refused("RuntimeResponseSentState", "InitError")
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_next_renders_the_open_invocation_again() {
    let (lambda, _) = service(vec![rapi("Twice")]);
    let inv = tokio::time::timeout(
        Duration::from_secs(10),
        invoke(&lambda, "Twice", json!({"case": "next_twice"})),
    )
    .await
    .expect("a second next must not block");
    assert_eq!(inv.function_error, None, "{inv:?}");
    let out = json(&inv);
    assert_eq!(out["again"]["status"], 200);
    assert_eq!(out["again"]["body"], out["first"]["body"]);
    let first = &out["first"]["headers"];
    let again = &out["again"]["headers"];
    assert_eq!(
        first["lambda-runtime-aws-request-id"],
        json!(inv.request_id)
    );
    for header in [
        "lambda-runtime-aws-request-id",
        "lambda-runtime-deadline-ms",
        "lambda-runtime-invoked-function-arn",
        "lambda-runtime-trace-id",
        "content-type",
    ] {
        assert_eq!(again[header], first[header], "{header}");
    }
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_result_for_the_current_id_is_an_invalid_state_transition() {
    let (lambda, _) = service(vec![rapi("Results")]);
    let inv = invoke(&lambda, "Results", json!({"case": "results_twice"})).await;
    assert_eq!(inv.payload.as_ref(), b"\"one\"");
    let seen = previous(&lambda, "Results").await;
    assert_eq!(
        seen["response_again"],
        refused("RuntimeResponseSentState", "InvocationResponse")
    );
    assert_eq!(
        seen["error_after_response"],
        refused("RuntimeResponseSentState", "InvocationErrorResponse")
    );
    // AWS (RIE invocationresponse.go): the state is checked before the id, so an id never
    // handed out is refused for the state too once the invocation is answered.
    assert_eq!(
        seen["unknown_id"],
        refused("RuntimeResponseSentState", "InvocationResponse")
    );

    let inv = invoke(&lambda, "Results", json!({"case": "response_after_error"})).await;
    assert!(inv.function_error.is_some(), "{inv:?}");
    assert_eq!(
        previous(&lambda, "Results").await["response_after_error"],
        refused("RuntimeResponseSentState", "InvocationResponse")
    );

    let inv = invoke(&lambda, "Results", json!({"case": "too_large"})).await;
    assert_eq!(json(&inv)["errorType"], "Function.ResponseSizeTooLarge");
    let seen = previous(&lambda, "Results").await;
    assert_eq!(seen["too_large"]["status"], 413);
    assert_eq!(
        seen["response_after_too_large"],
        refused("RuntimeResponseSentState", "InvocationResponse")
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_exactly_streaming_is_a_response_mode() {
    let (lambda, _) = service(vec![rapi("Mode")]);
    let inv = invoke(
        &lambda,
        "Mode",
        json!({"case": "mode", "mode": "Streaming"}),
    )
    .await;
    // AWS: an empty error payload; the failure is the runtime's, as REPORT says.
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    assert!(inv.payload.is_empty(), "{inv:?}");
    assert!(
        inv.log_tail
            .contains("Status: error\tError Type: Runtime.InvalidResponseModeHeader"),
        "{}",
        inv.log_tail
    );
    // The runtime, left mid-response, may not ask for more work (the Runtime API's unit tests
    // check its 400 and that refusal): a fresh sandbox takes the next invocation.
    let inv = invoke(&lambda, "Mode", json!({})).await;
    assert_eq!(inv.function_error, None, "{inv:?}");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_reach_the_caller_as_lambda_passes_them() {
    let (lambda, _) = service(vec![rapi("Errors")]);
    let error =
        |body: &str, headers: Value| json!({"case": "error", "body": body, "headers": headers});
    // Not JSON: passed through, not wrapped.
    let inv = invoke(&lambda, "Errors", error("plain words", json!({}))).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(inv.payload.as_ref(), b"plain words");
    // The error-cause content type keeps errorMessage, errorType and stackTrace only.
    let cause = json!({"Content-Type": "application/vnd.aws.lambda.error.cause+json"});
    let document = r#"{"errorType":"E","errorMessage":"m","stackTrace":["a"],"errorCause":{"paths":[]},"requestId":"x"}"#;
    let inv = invoke(&lambda, "Errors", error(document, cause.clone())).await;
    assert_eq!(
        inv.payload.as_ref(),
        br#"{"errorMessage":"m","errorType":"E","stackTrace":["a"]}"#
    );
    let inv = invoke(&lambda, "Errors", error("{oops", cause)).await;
    assert_eq!(inv.payload.as_ref(), br#""Invalid error body""#);
    lambda.shutdown().await;
}

fn init_failing(name: &str, error_type: Option<&str>, body: &str) -> sluice_lambda::FunctionSpec {
    let mut spec = rapi(name);
    let mut environment = BTreeMap::new();
    environment.insert("INIT_ERROR_BODY".to_owned(), body.to_owned());
    if let Some(error_type) = error_type {
        environment.insert("INIT_ERROR_TYPE".to_owned(), error_type.to_owned());
    }
    spec.environment = environment;
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_error_types_are_validated_and_bodies_passed_through() {
    let (lambda, _) = service(vec![
        init_failing("Bad", Some("NotAnErrorType"), "raw init failure"),
        init_failing("Fn", Some("Function.lowercase"), "{}"),
        init_failing("Missing", None, r#"{"errorType":"Runtime.FromBody"}"#),
        init_failing("Good", Some("Runtime.ImportModuleError"), "{}"),
    ]);
    for (function, reported) in [
        ("Bad", "Runtime.Unknown"),
        ("Fn", "Function.Unknown"),
        // Lambda reads the header only: the body's errorType does not count.
        ("Missing", "Runtime.Unknown"),
        ("Good", "Runtime.ImportModuleError"),
    ] {
        let inv = invoke(&lambda, function, json!({})).await;
        assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
        assert!(
            inv.log_tail
                .contains(&format!("Status: error\tError Type: {reported}\t")),
            "{function}: {}",
            inv.log_tail
        );
    }
    let inv = invoke(&lambda, "Bad", json!({})).await;
    assert_eq!(inv.payload.as_ref(), b"raw init failure");
    lambda.shutdown().await;
}

/// AWS (RIE rapi/handler/invocationresponse.go and invocationerror.go): a result posted before
/// the runtime's first `next` fails the state machine's check, which comes before the request
/// id's: 403 from `Started`. Sluice answered 400 `InvalidRequestID`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_before_the_first_next_is_an_invalid_state_transition() {
    let mut spec = rapi("Early");
    spec.environment
        .insert("RESULTS_BEFORE_NEXT".to_owned(), "1".to_owned());
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Early", json!({})).await;
    let seen = &json(&inv)["previous"];
    assert_eq!(seen["response"], refused("Started", "InvocationResponse"));
    assert_eq!(seen["error"], refused("Started", "InvocationErrorResponse"));
    lambda.shutdown().await;
}
