//! Sandboxes started in the background, ahead of demand: provisioned concurrency (kept up,
//! retried with backoff), a spare when every warm sandbox is busy, and `prewarm`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::cold_start::invalid_entrypoint;
use super::{FunctionPool, Held};
use crate::error::LambdaError;
use crate::invocation_log::{init_report_line, InitPhase};
use crate::lock::lock;
use crate::sandbox::{Announce, InitType, Sandbox, StartError};

impl FunctionPool {
    /// A provisioned sandbox crashed, timed out or was reset: start its replacement, as Lambda
    /// keeps the configured number of provisioned environments.
    pub(super) fn lost_provisioned(self: &Arc<Self>) {
        self.provisioned_live.fetch_sub(1, Ordering::AcqRel);
        self.provision();
    }

    /// Start provisioned sandboxes in the background until the configured number are alive or
    /// starting ([`FunctionPool::start_provisioned`]). Idempotent: a reload that keeps this pool
    /// calls it again to no effect.
    pub fn provision(self: &Arc<Self>) {
        loop {
            let live = self.provisioned_live.load(Ordering::Acquire);
            if live >= self.provisioned || self.is_closed() {
                return;
            }
            if self
                .provisioned_live
                .compare_exchange(live, live + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                tokio::spawn(FunctionPool::start_provisioned(
                    Arc::downgrade(self),
                    self.closed.subscribe(),
                ));
            }
        }
    }

    /// Start one provisioned sandbox (its slot in `provisioned_live` already counted), trying
    /// again after each failed start, with [`Backoff`], until one is ready or the pool is shut
    /// down (`closed`) or dropped (a reload replaced it), when the slot is given back.
    ///
    /// AWS keeps the configured number of provisioned environments: it allocates them again
    /// when allocation fails, and a function whose Init fails keeps its configuration
    /// `IN_PROGRESS` while Lambda tries, until it gives up with `FAILED` and `StatusReason`
    /// `FUNCTION_ERROR_INIT_FAILURE` (observed: sst#4713, serverless#11878, aws-cdk#6016).
    /// Sluice has no such status to report, and a function whose code changes gets a new pool:
    /// so both a host failure (a cgroup, a listener) and the function's own failed Init are
    /// tried again, never in a hot loop ([`Backoff`]), and invocations meanwhile start on
    /// demand. A start runs at a time per slot, so never more sandboxes start than are
    /// provisioned, which is at most the concurrency limit.
    async fn start_provisioned(
        pool: Weak<FunctionPool>,
        mut closed: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut backoff = Backoff::default();
        loop {
            let Some(this) = pool.upgrade() else {
                return;
            };
            if this.is_closed() {
                this.provisioned_live.fetch_sub(1, Ordering::AcqRel);
                return;
            }
            let failed = match this.start_ready(InitType::Provisioned).await {
                Ok(sandbox) => {
                    if this.provisioning_failing.swap(false, Ordering::AcqRel) {
                        tracing::info!(function = %this.template.function, "a provisioned sandbox started after failed attempts");
                    }
                    this.keep_started(sandbox).await;
                    return;
                }
                Err(e) => e,
            };
            let most = failed.most_between_retries();
            // One warning per streak of failures, however many attempts and slots fail.
            if !this.provisioning_failing.swap(true, Ordering::AcqRel) {
                let whose = if failed.is_host() {
                    "Sluice could not start a provisioned sandbox"
                } else {
                    "a provisioned sandbox's Init failed"
                };
                tracing::warn!(function = %this.template.function, "{whose} ({failed}); trying again, less and less often (up to every {} s)", most.as_secs());
            } else {
                tracing::debug!(function = %this.template.function, "a provisioned sandbox failed to start again: {failed}");
            }
            // Not kept alive while it waits: a reload drops it, which ends the wait at once.
            drop(this);
            tokio::select! {
                () = tokio::time::sleep(backoff.next_delay(most)) => {}
                _ = closed.wait_for(|closed| *closed) => {}
            }
        }
    }

    /// Add a sandbox started ahead of demand to the idle ones, or stop it if the pool closed.
    async fn keep_started(self: &Arc<Self>, sandbox: Held) {
        if self.is_closed() {
            self.stop(sandbox).await;
            return;
        }
        // Fresh sandboxes go to the bottom: a recently used one is taken first, so a spare
        // stays spare until the load needs it.
        self.watch_while_idle(&sandbox);
        lock(&self.idle).insert(0, sandbox);
    }

    /// When every warm sandbox is busy and more than one invocation is in flight, start one more
    /// in the background (up to the concurrency limit), so a growing load finds it warm instead
    /// of waiting for a cold start. It reports `Init Duration` on its first invocation, as a
    /// sandbox Lambda starts ahead does.
    ///
    /// A lone caller gets no spare: its sandbox is back in the pool before its next request.
    /// A burst arriving while the spare starts may briefly leave one idle sandbox beyond the
    /// limit (the concurrency limit itself is never exceeded: it counts invocations).
    pub(super) fn start_ahead_if_all_busy(self: &Arc<Self>) {
        let taken = self.limit - self.permits.available_permits();
        // A sandbox still finishing an invocation (its extensions at work, or its reset) keeps
        // its permit but runs no invocation: it is not load. Counted as load, a lone caller's
        // next request after an extension crash started a spare it never needed.
        let in_flight = taken.saturating_sub(self.finishing.borrow().len());
        if in_flight < 2 || self.is_closed() {
            return;
        }
        let idle = lock(&self.idle).len();
        if idle > 0 || taken + idle >= self.limit {
            return;
        }
        if self
            .starting_ahead
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.spawn_spare();
        }
    }

    /// Start a spare sandbox in the background and, once it is ready, add it to the idle ones.
    /// A failed one is not tried again: the next invocation that finds every sandbox busy
    /// starts another (it reserved no permit; its `starting_ahead` mark is cleared either way).
    fn spawn_spare(self: &Arc<Self>) {
        let pool = self.clone();
        tokio::spawn(async move {
            let started = pool.start_ready(InitType::OnDemand).await;
            pool.starting_ahead.fetch_sub(1, Ordering::AcqRel);
            match started {
                Ok(sandbox) => pool.keep_started(sandbox).await,
                Err(e) => {
                    tracing::warn!(function = %pool.template.function, "a sandbox started ahead of demand failed: {e}");
                }
            }
        });
    }

    /// Start one sandbox and wait until it is ready for its first invocation.
    async fn start_ready(&self, init_type: InitType) -> Result<Held, AheadError> {
        let log = self.fresh_log();
        let began = Instant::now();
        let started = Sandbox::start_logging_to(
            self.template.clone(),
            init_type,
            log.clone(),
            Announce::InitStart,
        )
        .await;
        if let Err(StartError::Function(_)) = &started {
            // AWS: an Init ahead of invocations that fails is reported as any failed Init.
            let failed = init_report_line(began.elapsed(), InitPhase::Init, &invalid_entrypoint());
            log.init_line(&failed, init_type.env_value(), false);
        }
        let mut sandbox = Box::new(started?);
        sandbox.init_ahead().await.map_err(|failure| {
            AheadError::Init(String::from_utf8_lossy(&failure.payload).into_owned())
        })?;
        Ok(sandbox)
    }

    /// Start one sandbox and wait until it is ready, unless one is already warm.
    pub async fn prewarm(self: &Arc<Self>) -> Result<(), LambdaError> {
        if self.permits.available_permits() == 0 || !lock(&self.idle).is_empty() {
            return Ok(());
        }
        let sandbox =
            self.start_ready(InitType::OnDemand)
                .await
                .map_err(|e| LambdaError::Start {
                    function: self.template.function.clone(),
                    message: e.to_string(),
                })?;
        if !self.is_closed() {
            self.watch_while_idle(&sandbox);
            lock(&self.idle).push(sandbox);
        }
        Ok(())
    }
}

/// Why a sandbox started ahead of an invocation is not ready for one.
#[derive(Debug, thiserror::Error)]
enum AheadError {
    /// It did not start: Sluice's fault (a cgroup, a listener) or the function's (no
    /// `bootstrap`), as [`StartError`] tells.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The function's Init failed (its runtime exited, reported an init error, or timed out).
    #[error("initialisation failed: {0}")]
    Init(String),
}

impl AheadError {
    /// Whether Sluice, not the function, failed.
    fn is_host(&self) -> bool {
        matches!(self, AheadError::Start(StartError::Host { .. }))
    }

    /// The longest wait before a provisioned start that failed so is tried again.
    fn most_between_retries(&self) -> Duration {
        if self.is_host() {
            // Transient (a host short of processes, descriptors or memory): soon back.
            Backoff::HOST_MAX
        } else {
            // Usually lasts until the code changes (which makes a new pool): tried now and
            // then, so the same failure does not fill the log.
            Backoff::FUNCTION_MAX
        }
    }
}

/// The waits between attempts to start a provisioned sandbox: 100 ms, doubling up to a cap,
/// so even a runtime that crashes at once never spins the CPU.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    /// The cap after Sluice's own failures.
    const HOST_MAX: Duration = Duration::from_secs(10);
    /// The cap after the function's own failed Init.
    const FUNCTION_MAX: Duration = Duration::from_secs(60);

    /// How long to wait before the next attempt, at most `most`.
    fn next_delay(&mut self, most: Duration) -> Duration {
        let delay = self.next.min(most);
        self.next = (delay * 2).min(most);
        delay
    }
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            next: Backoff::FIRST,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_100_ms_up_to_its_cap() {
        let mut backoff = Backoff::default();
        let delays: Vec<u128> = (0..10)
            .map(|_| backoff.next_delay(Backoff::HOST_MAX).as_millis())
            .collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
        let mut backoff = Backoff::default();
        let delays: Vec<u128> = (0..12)
            .map(|_| backoff.next_delay(Backoff::FUNCTION_MAX).as_millis())
            .collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000]
        );
        // A streak whose failures change kind keeps the lower cap.
        assert_eq!(backoff.next_delay(Backoff::HOST_MAX).as_millis(), 10_000);
    }

    #[test]
    fn only_sluices_own_start_failures_count_as_the_hosts() {
        let host = AheadError::Start(StartError::host("cannot bind the Runtime API listener")(
            std::io::Error::from_raw_os_error(nix::libc::EADDRINUSE),
        ));
        assert!(host.is_host());
        assert_eq!(host.most_between_retries(), Backoff::HOST_MAX);
        for function in [
            AheadError::Start(StartError::Function("no bootstrap".to_owned())),
            AheadError::Init("Runtime.ExitError".to_owned()),
        ] {
            assert!(!function.is_host(), "{function}");
            assert_eq!(function.most_between_retries(), Backoff::FUNCTION_MAX);
        }
    }
}
