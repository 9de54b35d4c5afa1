//! A sandbox's memory: the runtime itself must not grow per invocation.

use bytes::Bytes;

use crate::harness::{json, node, python, service};

/// The Python bootstrap once leaked ~145 bytes per invocation (a fresh `_X_AMZN_TRACE_ID` set
/// through `setenv(3)`, whose old values glibc never frees): 2.9 MB over this test's run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_runtime_rss_stays_flat_over_20000_invocations() {
    rss_stays_flat(python("Rss", "app.rss"), 2_000, 1024).await;
}

/// The node bootstrap had the same leak through `process.env` (~400 bytes per invocation).
/// V8's heap moves by a few MB on its own, hence the wider bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_runtime_rss_stays_flat_over_20000_invocations() {
    rss_stays_flat(node("Rss", "index.rss"), 10_000, 1024).await;
}

/// Runs `warm_up` invocations, then 20,000 more, and fails if the sandbox's resident set grew by
/// more than `bound_kb`.
async fn rss_stays_flat(spec: sluice_lambda::FunctionSpec, warm_up: usize, bound_kb: u64) {
    let (lambda, _) = service(vec![spec]);
    let payload = Bytes::from_static(b"{}");
    let rss_kb = || {
        let lambda = lambda.clone();
        let payload = payload.clone();
        async move {
            let inv = lambda.invoke("Rss", payload).await.unwrap();
            let body = json(&inv);
            assert!(
                body["trace_id"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Root=1-")),
                "the handler sees this invocation's trace id: {body}"
            );
            body["rss_kb"].as_u64().unwrap()
        }
    };
    // Let the allocator's pools and the interpreter's caches settle first.
    for _ in 0..warm_up {
        rss_kb().await;
    }
    let before = rss_kb().await;
    for _ in 0..20_000 {
        lambda.invoke("Rss", payload.clone()).await.unwrap();
    }
    let after = rss_kb().await;
    println!("sandbox RSS {before} kB before, {after} kB after 20,000 invocations");
    assert!(
        after <= before + bound_kb,
        "the sandbox grew from {before} kB to {after} kB over 20,000 invocations"
    );
    lambda.shutdown().await;
}
