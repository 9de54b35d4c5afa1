//! Stopping sandboxes: one at a time, the idle reaper, `shutdown`, and a replaced pool's
//! spin-down.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{FunctionPool, Held};
use crate::extensions::{ShutdownReason, SHUTDOWN_LIMIT_EXTERNAL};
use crate::lock::lock;
use crate::sandbox::InitType;

impl FunctionPool {
    /// Stop one sandbox: Lambda's Shutdown phase, unless this service kills at once.
    pub(super) async fn stop(&self, sandbox: Held) {
        if self.shutdown_events {
            sandbox.shutdown(ShutdownReason::Spindown).await;
        }
    }

    /// Stop sandboxes idle for longer than `idle_timeout` (provisioned ones are kept).
    pub async fn reap_idle(&self, idle_timeout: Duration) {
        let stale: Vec<Held> = {
            let mut idle = lock(&self.idle);
            let (keep, stale) = std::mem::take(&mut *idle).into_iter().partition(|s| {
                s.init_type() == InitType::Provisioned || s.last_used.elapsed() < idle_timeout
            });
            *idle = keep;
            stale
        };
        // Stopped outside the lock, side by side.
        self.stop_all(stale).await;
    }

    /// Stop sandboxes side by side (each bounded by Lambda's 2 s Shutdown limit).
    async fn stop_all(&self, sandboxes: Vec<Held>) {
        if !self.shutdown_events {
            // Dropped: killed at once.
            return;
        }
        let mut stops = tokio::task::JoinSet::new();
        for sandbox in sandboxes {
            stops.spawn(sandbox.shutdown(ShutdownReason::Spindown));
        }
        while stops.join_next().await.is_some() {}
    }

    /// Wait until no answered invocation has extensions still at work on it (each ends by
    /// its function's timeout at the latest).
    pub async fn settled(&self) {
        let mut finishing = self.finishing.subscribe();
        let _ = finishing.wait_for(BTreeMap::is_empty).await;
    }

    /// Stop every sandbox: running invocations are killed, those whose extensions are still at
    /// work get as long as a Shutdown phase to finish (then are killed), idle ones go through
    /// Lambda's Shutdown phase. Later invocations start fresh ones.
    pub async fn shutdown(&self) {
        self.closed.send_replace(true);
        for containment in lock(&self.busy).values() {
            containment.kill_all();
        }
        let _ = tokio::time::timeout(SHUTDOWN_LIMIT_EXTERNAL, self.settled()).await;
        for containment in self.finishing.borrow().values() {
            containment.kill_all();
        }
        let idle = std::mem::take(&mut *lock(&self.idle));
        self.stop_all(idle).await;
    }
}

impl Drop for FunctionPool {
    fn drop(&mut self) {
        // A reload replaced this pool: its warm sandboxes go through Lambda's Shutdown phase
        // (bounded by 2 s each) on the runtime, if there is one; otherwise they are killed here.
        let idle = std::mem::take(&mut *lock(&self.idle));
        if idle.is_empty() || !self.shutdown_events {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            for sandbox in idle {
                runtime.spawn(sandbox.shutdown(ShutdownReason::Spindown));
            }
        }
    }
}
