//! The Invoke API's asynchronous path: an `Event` that keeps failing is tried three times, and
//! the retries belong to the background work that whoever started it can stop.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sluice_lambda::{invoke_api, Destination, EventInvokeConfig, Lambda, LambdaConfig};

use crate::harness::{python, Lines};

/// A function that always fails, retried after `delays`, with its log lines.
fn failing_function(delays: Vec<Duration>) -> (Arc<Lambda>, Arc<Lines>) {
    failing_function_with(delays, EventInvokeConfig::default())
}

/// Like [`failing_function`], with `settings` and a `Recorder` function that prints each event
/// it gets (`RECORD {json}`), for destinations.
fn failing_function_with(
    delays: Vec<Duration>,
    settings: EventInvokeConfig,
) -> (Arc<Lambda>, Arc<Lines>) {
    failing_function_throttled(delays, settings, None)
}

/// Like [`failing_function_with`], with `reserved` as the function's reserved concurrency.
fn failing_function_throttled(
    delays: Vec<Duration>,
    settings: EventInvokeConfig,
    reserved: Option<u32>,
) -> (Arc<Lambda>, Arc<Lines>) {
    let lines = Arc::new(Lines::default());
    let cache = std::env::temp_dir().join(format!(
        "sluice-lambda-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut config = LambdaConfig::new(cache, lines.clone());
    config.event_retry_delays = delays;
    let mut boom = python("Boom", "app.boom");
    boom.event_invoke = settings;
    boom.reserved_concurrency = reserved;
    let recorder = python("Recorder", "app.record");
    let lambda = Lambda::new(vec![boom, recorder], config).unwrap();
    (lambda, lines)
}

/// Sends one `Event` invocation through the Invoke API; Lambda accepts it with 202 and the
/// request id the invocation will run as.
async fn send_event(lambda: &Arc<Lambda>) -> String {
    let (parts, ()) = http::Request::post("/2015-03-31/functions/Boom/invocations")
        .header("x-amz-invocation-type", "Event")
        .body(())
        .unwrap()
        .into_parts();
    let response = invoke_api::handle(lambda, &parts, Bytes::from_static(b"{}")).await;
    assert_eq!(response.status(), 202);
    response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// How many times the function has run (START lines).
fn runs(lines: &Lines) -> usize {
    lines
        .of("Boom")
        .iter()
        .filter(|l| l.starts_with("START"))
        .count()
}

#[tokio::test]
async fn failing_event_invocations_are_retried_twice() {
    // AWS waits a minute, then two; the retry count is what this test pins.
    let (lambda, lines) = failing_function(vec![Duration::from_millis(10); 2]);
    let background = lambda.start_background();
    let request_id = send_event(&lambda).await;
    sluice_testkit::assert_eventually_async!(
        within Duration::from_secs(20);
        runs(&lines) >= 3,
        "one attempt and two retries: saw {}", runs(&lines)
    );
    assert_eq!(runs(&lines), 3, "one attempt and two retries");
    // AWS (recorded): every attempt runs as the request id the 202 gave.
    let starts = lines.of("Boom");
    let starts: Vec<&String> = starts.iter().filter(|l| l.starts_with("START")).collect();
    assert!(
        starts
            .iter()
            .all(|l| l.starts_with(&format!("START RequestId: {request_id} "))),
        "{request_id}: {starts:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(runs(&lines), 3, "no fourth attempt");
    background.stop().await;
}

#[tokio::test]
async fn stopping_the_background_work_cancels_pending_retries() {
    let (lambda, lines) = failing_function(vec![Duration::from_secs(2); 2]);
    let background = lambda.start_background();
    send_event(&lambda).await;
    let reports = || {
        lines
            .of("Boom")
            .iter()
            .filter(|l| l.starts_with("REPORT"))
            .count()
    };
    sluice_testkit::assert_eventually_async!(
        within Duration::from_secs(20);
        reports() >= 1,
        "the first attempt never ran"
    );
    assert_eq!(runs(&lines), 1, "the first attempt ran");
    // The retry waits 2 s; stopping the owner now must cancel it.
    background.stop().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        runs(&lines),
        1,
        "no retry after the background work stopped"
    );
    lambda.shutdown().await;
}

/// The invocation record the `Recorder` destination printed, once it has.
async fn recorded(lines: &Lines) -> serde_json::Value {
    let record = || {
        lines
            .of("Recorder")
            .iter()
            .find_map(|l| l.strip_prefix("RECORD ").map(str::to_owned))
    };
    sluice_testkit::assert_eventually_async!(
        within Duration::from_secs(20);
        record().is_some(),
        "the destination never got a record: {:?}", lines.of("Recorder")
    );
    serde_json::from_str(&record().unwrap()).unwrap()
}

#[tokio::test]
async fn maximum_retry_attempts_bounds_the_tries_and_the_failure_record_counts_them() {
    // AWS (invocation-async-retain-records): after the last retry the OnFailure destination
    // gets the record, condition RetriesExhausted, with the last error as its response.
    let settings = EventInvokeConfig {
        maximum_retry_attempts: 1,
        on_failure: Some(Destination::Function("Recorder".to_owned())),
        ..EventInvokeConfig::default()
    };
    let (lambda, lines) = failing_function_with(vec![Duration::from_millis(10); 2], settings);
    let background = lambda.start_background();
    let request_id = send_event(&lambda).await;
    let record = recorded(&lines).await;
    assert_eq!(runs(&lines), 2, "one attempt and the one retry allowed");
    assert_eq!(record["version"], "1.0");
    assert_eq!(
        record["requestContext"],
        serde_json::json!({
            "requestId": request_id,
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Boom:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 2,
        })
    );
    assert_eq!(record["requestPayload"], serde_json::json!({}));
    assert_eq!(
        record["responseContext"],
        serde_json::json!({"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"})
    );
    assert_eq!(record["responsePayload"]["errorType"], "ValueError");
    let timestamp = record["timestamp"].as_str().unwrap();
    assert!(
        timestamp.len() == 24 && timestamp.ends_with('Z'),
        "ISO 8601 with milliseconds: {timestamp}"
    );
    background.stop().await;
    lambda.shutdown().await;
}

#[tokio::test]
async fn an_event_older_than_its_maximum_age_is_discarded_as_event_age_exceeded() {
    // AWS: an event that stays queued longer than MaximumEventAgeInSeconds is discarded, and
    // the OnFailure destination is told why.
    // The retry waits as long as the maximum age after an attempt that took some time, so it is
    // always too old; the first attempt only has to be picked up within that age (a loaded
    // machine took over 100 ms, the age this test first used).
    let age = Duration::from_secs(2);
    let settings = EventInvokeConfig {
        maximum_event_age: age,
        on_failure: Some(Destination::Function("Recorder".to_owned())),
        ..EventInvokeConfig::default()
    };
    let (lambda, lines) = failing_function_with(vec![age; 2], settings);
    let background = lambda.start_background();
    send_event(&lambda).await;
    let record = recorded(&lines).await;
    assert_eq!(record["requestContext"]["condition"], "EventAgeExceeded");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 1);
    assert_eq!(runs(&lines), 1, "the retry came too late to run");
    background.stop().await;
    lambda.shutdown().await;
}

#[tokio::test]
async fn an_event_for_a_function_with_zero_reserved_concurrency_is_discarded_untried() {
    // AWS (recorded 2025, LocalStack `test_lambda.py::test_reserved_concurrency`): the 202 comes
    // back, the function never runs, and OnFailure gets the record at once, condition
    // ZeroReservedConcurrency, no attempt counted and no response to report.
    let settings = EventInvokeConfig {
        on_failure: Some(Destination::Function("Recorder".to_owned())),
        ..EventInvokeConfig::default()
    };
    let (lambda, lines) =
        failing_function_throttled(vec![Duration::from_millis(10); 2], settings, Some(0));
    let background = lambda.start_background();
    let request_id = send_event(&lambda).await;
    let record = recorded(&lines).await;
    assert_eq!(
        record["requestContext"],
        serde_json::json!({
            "requestId": request_id,
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Boom:$LATEST",
            "condition": "ZeroReservedConcurrency",
            "approximateInvokeCount": 0,
        })
    );
    assert_eq!(record["requestPayload"], serde_json::json!({}));
    assert!(record.get("responseContext").is_none(), "{record}");
    assert_eq!(runs(&lines), 0, "the function never ran");
    background.stop().await;
    lambda.shutdown().await;
}
