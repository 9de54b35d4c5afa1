//! The idle sandboxes: which one an invocation runs on next, and clearing away those whose
//! runtime or extension died while they idled.

use std::sync::Arc;

use super::{FunctionPool, Held};
use crate::lock::lock;
use crate::sandbox::{InitType, Sandbox};

impl FunctionPool {
    /// The idle sandbox to run on next ([`take_idle`]), once every idle one whose runtime or
    /// extension died while it idled is cleared away ([`FunctionPool::clear_dead`]).
    pub(super) fn take_warm(self: &Arc<Self>, tenant: Option<&str>) -> Option<Held> {
        let (dead, warm) = {
            let mut idle = lock(&self.idle);
            (take_dead(&mut idle), take_idle(&mut idle, tenant))
        };
        self.clear_dead(dead);
        warm
    }

    /// Reset idle sandboxes whose runtime or extension died, aside: through the Shutdown phase
    /// (reason `failure`) when extensions are registered, and a provisioned one replaced.
    ///
    /// AWS: an environment whose runtime dies is reset, and Lambda keeps provisioned
    /// environments initialised ahead of invocations; a dead one is never waited on nor
    /// counted warm.
    fn clear_dead(self: &Arc<Self>, dead: Vec<Held>) {
        for sandbox in dead {
            let pool = self.clone();
            tokio::spawn(async move { pool.put_back(sandbox).await });
        }
    }

    /// Clear away the idle sandbox of the runtime that just exited, without waiting for the next
    /// invocation to find it: one watcher per warm sandbox, ending with its runtime.
    pub(super) fn watch_while_idle(self: &Arc<Self>, sandbox: &Sandbox) {
        let Some(mut gone) = sandbox.runtime_gone() else {
            return;
        };
        if *gone.borrow() || !lock(&self.watched).insert(sandbox.pid()) {
            return;
        }
        let pid = sandbox.pid();
        let pool = Arc::downgrade(self);
        tokio::spawn(async move {
            // A dropped sender is a process no one watches any more: gone too.
            let _ = gone.wait_for(|gone| *gone).await;
            let Some(pool) = pool.upgrade() else {
                return;
            };
            lock(&pool.watched).remove(&pid);
            let dead = take_dead(&mut lock(&pool.idle));
            pool.clear_dead(dead);
        });
    }

    /// An idle sandbox whose runtime is waiting for work, if there is one.
    pub(super) fn take_waiting(&self, tenant: Option<&str>) -> Option<Held> {
        let mut idle = lock(&self.idle);
        let at = idle
            .iter()
            .rposition(|s| s.runtime_waiting() && s.serves(tenant))?;
        Some(idle.remove(at))
    }
}

/// Take out of `idle` every sandbox whose runtime or extension died.
fn take_dead(idle: &mut Vec<Held>) -> Vec<Held> {
    let mut dead = Vec::new();
    let mut at = 0;
    while at < idle.len() {
        let sandbox = &mut idle[at];
        if sandbox.extension_failed() || !sandbox.is_reusable() {
            dead.push(idle.remove(at));
        } else {
            at += 1;
        }
    }
    dead
}

/// The idle sandbox to run on next: one whose runtime is waiting for work, provisioned first
/// (Lambda serves from provisioned concurrency first), else the most recently used; failing
/// that, one that answered a moment ago and is about to ask. One whose runtime has not asked
/// for work since is busy (in the background, or hung) and stays where it is. Only a sandbox
/// that may serve `tenant` ([`Sandbox::serves`]) is taken, the tenant's own before one that has
/// served nobody yet.
fn take_idle(idle: &mut Vec<Held>, tenant: Option<&str>) -> Option<Held> {
    let pick = |idle: &[Held], serves: &dyn Fn(&Sandbox) -> bool| {
        idle.iter()
            .rposition(|s| {
                serves(s) && s.runtime_waiting() && s.init_type() == InitType::Provisioned
            })
            .or_else(|| idle.iter().rposition(|s| serves(s) && s.runtime_waiting()))
            .or_else(|| {
                idle.iter()
                    .rposition(|s| serves(s) && s.answered_a_moment_ago())
            })
    };
    let at = match tenant {
        Some(_) => {
            pick(idle, &|s| s.runs_for(tenant)).or_else(|| pick(idle, &|s| s.serves(tenant)))
        }
        None => pick(idle, &|s| s.serves(tenant)),
    }?;
    Some(idle.remove(at))
}
