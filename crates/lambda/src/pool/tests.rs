//! The pool's unit tests: host failures and provisioned sandboxes started again.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::*;

struct Quiet;
impl crate::LogSink for Quiet {
    fn line(&self, _: &str, _: &str) {}
}

/// The pool of an inline node function on `host` keeping `provisioned` sandboxes, and the
/// cache folder to remove after.
fn node_pool(host: SandboxHost, provisioned: u32) -> (Arc<FunctionPool>, std::path::PathBuf) {
    let cache = std::env::temp_dir().join(format!(
        "sluice-pool-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let spec = FunctionSpec {
        name: "Fn".to_owned(),
        runtime: "nodejs20.x".to_owned(),
        handler: "index.handler".to_owned(),
        code: crate::CodeSource::Inline("exports.handler = async () => 1;".to_owned()),
        memory_mb: 128,
        timeout: Duration::from_secs(3),
        environment: BTreeMap::new(),
        reserved_concurrency: None,
        provisioned_concurrency: provisioned,
        aliases: Vec::new(),
        local_names: Vec::new(),
        extensions: Vec::new(),
        event_invoke: Default::default(),
        tenant_isolation: false,
    };
    let config = LambdaConfig::new(cache.clone(), Arc::new(Quiet));
    let launchers = crate::bootstrap::Launchers::new(&cache, std::slice::from_ref(&spec)).unwrap();
    let launcher = launchers.launcher_for(&spec, &cache).unwrap();
    let concurrency = Concurrency::of(&spec, &config);
    let pool = Arc::new(FunctionPool::new(
        spec,
        "$LATEST",
        launcher,
        &config,
        Arc::new(host),
        concurrency,
        provisioned as usize,
    ));
    (pool, cache)
}

/// Wait (generously: the machine may be loaded) until `condition` holds.
async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sluice's own failure to set a sandbox up is its fault (ServiceException), never the
/// function's `Runtime.InvalidEntrypoint`.
#[tokio::test]
async fn a_host_failure_is_a_service_error_not_the_functions() {
    let (pool, cache) = node_pool(SandboxHost::broken_for_tests(), 0);
    let err = pool
        .invoke(Bytes::from_static(b"{}"), InvokeOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, InvokeError::Service { .. }), "{err:?}");
    assert!(err.to_string().contains("cgroup"), "{err}");
    let _ = std::fs::remove_dir_all(&cache);
}

/// AWS keeps the configured number of provisioned environments: a provisioned sandbox
/// Sluice itself failed to set up (a transient host failure) is started again until it is
/// up, instead of leaving the pool short until a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_sandbox_the_host_failed_to_start_is_started_again() {
    let (pool, cache) = node_pool(SandboxHost::failing_for_tests(3), 1);
    pool.provision();
    wait_until("the provisioned sandbox is up", || {
        pool.sandbox_count().idle == 1
    })
    .await;
    assert_eq!(pool.template.host.containment.failures_left(), 0);
    let inv = pool
        .invoke(Bytes::from_static(b"{}"), InvokeOptions::default())
        .await
        .unwrap();
    assert_eq!(inv.function_error, None, "{}", inv.log_tail);
    assert_eq!(&inv.payload[..], b"1");
    // It ran on the provisioned sandbox: no cold start.
    assert!(!inv.log_tail.contains("Init Duration"), "{}", inv.log_tail);
    pool.shutdown().await;
    let _ = std::fs::remove_dir_all(&cache);
}

/// A pool that shuts down stops trying to start its provisioned sandboxes: each waiting
/// retry ends and gives its slot back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pool_stops_starting_provisioned_sandboxes_again() {
    let (pool, cache) = node_pool(SandboxHost::failing_for_tests(usize::MAX), 2);
    pool.provision();
    let host = pool.template.host.clone();
    // Both slots failed, and at least one of them tried again.
    wait_until("both provisioned slots failed, and one again", || {
        host.containment.failures_left() <= usize::MAX - 3
    })
    .await;
    pool.shutdown().await;
    wait_until("every retry gave its slot back", || {
        pool.provisioned_live.load(Ordering::Acquire) == 0
    })
    .await;
    // Nothing is left to try again, and provisioning a closed pool starts nothing.
    let left = host.containment.failures_left();
    pool.provision();
    assert_eq!(pool.provisioned_live.load(Ordering::Acquire), 0);
    assert_eq!(host.containment.failures_left(), left);
    assert_eq!(pool.sandbox_count(), SandboxCount::default());
    let _ = std::fs::remove_dir_all(&cache);
}
