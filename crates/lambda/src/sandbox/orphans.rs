//! Without cgroups, processes a handler detached (`setsid`, double fork) leave the sandbox's
//! process group and, when their parent exits, its process tree. Sluice becomes their parent
//! instead of init (`PR_SET_CHILD_SUBREAPER`), so it can still find them: at shutdown it kills
//! them, and meanwhile it reaps those that exit so they do not linger as zombies.
//!
//! A child of Sluice is such an orphan when it is neither a sandbox's runtime process (those are
//! tokio's to wait for) nor in Sluice's own process group (Sluice's own helpers: pip, probes).

use std::collections::BTreeSet;
use std::fs;
use std::sync::Mutex;

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

/// Runtime processes of live sandboxes: never reaped here.
static LEADERS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

fn leaders() -> std::sync::MutexGuard<'static, BTreeSet<u32>> {
    // A plain set; a panic elsewhere cannot leave it half-updated.
    LEADERS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Spawn a sandbox's runtime process (waited for by tokio) and record it, under the lock that
/// `collect` holds: between the fork and the record a concurrent `collect(true)` (another
/// service's shutdown in the same process) would otherwise take it for an orphan and kill it.
pub(crate) fn spawn_leader<C>(
    spawn: impl FnOnce() -> std::io::Result<C>,
    pid_of: impl FnOnce(&C) -> Option<u32>,
) -> std::io::Result<C> {
    let mut leaders = leaders();
    let child = spawn()?;
    if let Some(pid) = pid_of(&child) {
        leaders.insert(pid);
    }
    Ok(child)
}

/// Forget a runtime process once tokio has waited for it.
pub(crate) fn unregister_leader(pid: u32) {
    leaders().remove(&pid);
}

/// Make this process the parent of orphaned descendants; false when the kernel refuses.
pub(crate) fn become_subreaper() -> bool {
    nix::sys::prctl::set_child_subreaper(true).is_ok()
}

/// Kill (when `kill_live`) and reap the orphans Sluice adopted; returns how many were killed.
pub(crate) fn collect(kill_live: bool) -> usize {
    let me = std::process::id();
    let Some(own_group) = stat_fields(me).map(|s| s.pgid) else {
        return 0;
    };
    // Held for the whole scan, so no runtime process can be spawned unrecorded meanwhile.
    let live = leaders();
    let mut killed = 0;
    for child in children(me) {
        if live.contains(&child) {
            continue;
        }
        let Some(stat) = stat_fields(child) else {
            continue;
        };
        if stat.pgid == own_group {
            continue;
        }
        let Ok(raw) = i32::try_from(child) else {
            continue;
        };
        let pid = Pid::from_raw(raw);
        if kill_live && !stat.zombie && kill(pid, Signal::SIGKILL).is_ok() {
            killed += 1;
        }
        // Only this pid: waiting for any child would steal tokio's and the helpers' statuses.
        let _ = waitpid(pid, Some(WaitPidFlag::WNOHANG));
    }
    killed
}

struct Stat {
    pgid: u32,
    zombie: bool,
}

fn stat_fields(pid: u32) -> Option<Stat> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (which may hold spaces): state, ppid, pgrp, ...
    let mut rest = stat.rsplit_once(") ")?.1.split_whitespace();
    let state = rest.next()?;
    let _ppid = rest.next()?;
    let pgid = rest.next()?.parse().ok()?;
    Some(Stat {
        pgid,
        zombie: state == "Z",
    })
}

/// Children of every thread of `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = fs::read_to_string(task.path().join("children")) {
            found.extend(
                list.split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    found
}
