//! The Invoke API's asynchronous path: an `Event` that keeps failing is tried three times, and
//! the retries belong to the background work that whoever started it can stop.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sluice_lambda::{invoke_api, Lambda, LambdaConfig};

use crate::harness::{python, Lines};

/// A function that always fails, retried after `delays`, with its log lines.
fn failing_function(delays: Vec<Duration>) -> (Arc<Lambda>, Arc<Lines>) {
    let lines = Arc::new(Lines::default());
    let cache = std::env::temp_dir().join(format!(
        "sluice-lambda-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut config = LambdaConfig::new(cache, lines.clone());
    config.event_retry_delays = delays;
    let lambda = Lambda::new(vec![python("Boom", "app.boom")], config).unwrap();
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
