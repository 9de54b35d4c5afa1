//! The Invoke API's asynchronous path: an `Event` that keeps failing is tried three times.

use std::time::Duration;

use bytes::Bytes;
use sluice_lambda::{invoke_api, Lambda, LambdaConfig};

use crate::harness::{python, Lines};

#[tokio::test]
async fn failing_event_invocations_are_retried_twice() {
    let lines = std::sync::Arc::new(Lines::default());
    let cache = std::env::temp_dir().join(format!(
        "sluice-lambda-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut config = LambdaConfig::new(cache, lines.clone());
    // AWS waits a minute, then two; the retry count is what this test pins.
    config.event_retry_delays = vec![Duration::from_millis(10), Duration::from_millis(10)];
    let lambda = Lambda::new(vec![python("Boom", "app.boom")], config).unwrap();
    let background = lambda.start_background();

    let (parts, ()) = http::Request::post("/2015-03-31/functions/Boom/invocations")
        .header("x-amz-invocation-type", "Event")
        .body(())
        .unwrap()
        .into_parts();
    let response = invoke_api::handle(&lambda, &parts, Bytes::from_static(b"{}")).await;
    assert_eq!(response.status(), 202);

    let starts = || {
        lines
            .of("Boom")
            .iter()
            .filter(|l| l.starts_with("START"))
            .count()
    };
    sluice_testkit::assert_eventually_async!(
        within Duration::from_secs(20);
        starts() >= 3,
        "one attempt and two retries: saw {}", starts()
    );
    assert_eq!(starts(), 3, "one attempt and two retries");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(starts(), 3, "no fourth attempt");
    background.stop().await;
}

#[tokio::test]
async fn stopping_the_background_work_cancels_pending_retries() {
    let lines = std::sync::Arc::new(Lines::default());
    let cache = std::env::temp_dir().join(format!(
        "sluice-lambda-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut config = LambdaConfig::new(cache, lines.clone());
    config.event_retry_delays = vec![Duration::from_secs(2), Duration::from_secs(2)];
    let lambda = Lambda::new(vec![python("Boom", "app.boom")], config).unwrap();
    let background = lambda.start_background();
    let (parts, ()) = http::Request::post("/2015-03-31/functions/Boom/invocations")
        .header("x-amz-invocation-type", "Event")
        .body(())
        .unwrap()
        .into_parts();
    let response = invoke_api::handle(&lambda, &parts, Bytes::from_static(b"{}")).await;
    assert_eq!(response.status(), 202);
    let starts = || {
        lines
            .of("Boom")
            .iter()
            .filter(|l| l.starts_with("REPORT"))
            .count()
    };
    sluice_testkit::assert_eventually_async!(
        within Duration::from_secs(20);
        starts() >= 1,
        "the first attempt never ran"
    );
    assert_eq!(starts(), 1, "the first attempt ran");
    // The retry waits 2 s; stopping the owner now must cancel it.
    background.stop().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(starts(), 1, "no retry after the background work stopped");
    lambda.shutdown().await;
}
