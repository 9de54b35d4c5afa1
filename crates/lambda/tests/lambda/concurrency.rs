//! Warm pool, scale-out and the two concurrency limits.

use std::time::{Duration, Instant};

use serde_json::json;
use sluice_lambda::InvokeError;

use crate::harness::{invoke, json, python, service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_concurrency_throttles_the_excess_at_once() {
    let mut spec = python("One", "app.slow");
    spec.reserved_concurrency = Some(1);
    let (lambda, _) = service(vec![spec]);
    let payload = bytes::Bytes::from(json!({"seconds": 1.0}).to_string());
    let (a, b) = tokio::join!(lambda.invoke("One", payload.clone()), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        lambda.invoke("One", payload.clone()).await
    });
    let throttled = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(InvokeError::TooManyRequests { .. })))
        .count();
    assert_eq!(throttled, 1, "{a:?} {b:?}");
    let err = b.unwrap_err();
    assert_eq!(err.error_type(), "TooManyRequestsException");
    assert_eq!(err.to_string(), "Rate Exceeded.");
    assert_eq!(json(&a.unwrap()), json!({"slept": 1.0}));
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_concurrency_zero_always_throttles() {
    let mut spec = python("Zero", "app.hello");
    spec.reserved_concurrency = Some(0);
    let (lambda, _) = service(vec![spec]);
    let err = lambda
        .invoke("Zero", bytes::Bytes::from_static(b"{}"))
        .await
        .unwrap_err();
    assert!(matches!(err, InvokeError::TooManyRequests { .. }));
    lambda.prewarm().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_concurrency_runs_slow_invocations_in_parallel() {
    let (lambda, lines) = service(vec![python("Slow", "app.slow")]);
    let calls = (0..10).map(|_| invoke(&lambda, "Slow", json!({"seconds": 0.5})));
    let results = futures_join_all(calls).await;
    for inv in &results {
        assert_eq!(json(inv), json!({"slept": 0.5}));
    }
    // Ten callers at once under a default concurrency of 10: ten sandboxes ran side by side,
    // none waited for another (a count, not a timing: the machine may be busy).
    let cold = lines
        .of("Slow")
        .iter()
        .filter(|l| l.contains("Init Duration"))
        .count();
    assert_eq!(cold, 10, "one sandbox per concurrent caller");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_default_concurrency_callers_wait_instead_of_failing() {
    let mut config_specs = vec![python("Slow", "app.slow")];
    config_specs[0].timeout = Duration::from_secs(10);
    let lines = std::sync::Arc::new(crate::harness::Lines::default());
    let mut config = sluice_lambda::LambdaConfig::new(
        std::env::temp_dir().join(format!(
            "sluice-lambda-test-{}",
            uuid::Uuid::new_v4().simple()
        )),
        lines.clone(),
    );
    config.default_concurrency = 1;
    let lambda = sluice_lambda::Lambda::new(config_specs, config).unwrap();
    let calls = (0..3).map(|_| invoke(&lambda, "Slow", json!({"seconds": 0.2})));
    let results = futures_join_all(calls).await;
    assert!(results.iter().all(|inv| inv.function_error.is_none()));
    // One sandbox did all three: a single cold start.
    let cold = lines
        .of("Slow")
        .iter()
        .filter(|l| l.contains("Init Duration"))
        .count();
    assert_eq!(cold, 1);
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prewarm_starts_a_sandbox_before_the_first_invocation() {
    let (lambda, _) = service(vec![python("Warm", "app.hello")]);
    lambda.prewarm().await.unwrap();
    let inv = invoke(&lambda, "Warm", json!({})).await;
    // The first invocation still reports the sandbox's init, which already happened.
    assert!(inv.log_tail.contains("Init Duration"), "{}", inv.log_tail);
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sandboxes_are_reaped() {
    let lines = std::sync::Arc::new(crate::harness::Lines::default());
    let mut config = sluice_lambda::LambdaConfig::new(
        std::env::temp_dir().join(format!(
            "sluice-lambda-test-{}",
            uuid::Uuid::new_v4().simple()
        )),
        lines.clone(),
    );
    config.idle_timeout = Duration::from_millis(200);
    let lambda = sluice_lambda::Lambda::new(vec![python("Idle", "app.hello")], config).unwrap();
    let _background = lambda.start_background();
    invoke(&lambda, "Idle", json!({})).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let inv = invoke(&lambda, "Idle", json!({})).await;
    assert!(
        inv.log_tail.contains("Init Duration"),
        "idle sandbox was not reaped"
    );
    lambda.shutdown().await;
}

/// Run futures concurrently on this task and collect their outputs in order.
async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => outputs[i] = Some(out),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}

/// Throughput probe, not a test of correctness: `cargo test -p sluice-lambda --release -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run by hand"]
async fn warm_python_throughput() {
    let (lambda, _) = service(vec![python("Hello", "app.hello")]);
    lambda.prewarm().await.unwrap();
    let payload = bytes::Bytes::from_static(b"{}");
    let n = 3000;
    let started = Instant::now();
    for _ in 0..n {
        let inv = lambda.invoke("Hello", payload.clone()).await.unwrap();
        assert!(inv.function_error.is_none());
    }
    let elapsed = started.elapsed();
    println!(
        "{n} sequential warm invocations in {elapsed:?}: {:.0}/s, {:?} each",
        n as f64 / elapsed.as_secs_f64(),
        elapsed / n
    );
    lambda.shutdown().await;
}
