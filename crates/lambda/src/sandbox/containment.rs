//! Where a sandbox's processes live, so that every one of them can be found, limited and killed:
//! a cgroup of its own where the host allows it (see [`super::cgroups`] for which hierarchy),
//! else its process group.
//!
//! AWS: the micro-VM is destroyed with everything in it. Sluice: the cgroup is emptied with
//! SIGKILL (`cgroup.kill` on v2; process by process on v1, which has none).

use std::io;
use std::os::fd::OwnedFd;
#[cfg(test)]
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

pub(crate) use super::cgroups::Wanted as CgroupChoice;
use super::cgroups::{CgroupRoots, SandboxCgroup};
use super::orphans;
use crate::memory;

/// What the host lets Sluice do with sandboxes, decided once at startup.
#[derive(Debug)]
pub(crate) struct HostContainment {
    cgroups: Option<CgroupRoots>,
    /// Without cgroups: Sluice adopts orphaned descendants so it can kill them at shutdown.
    adopts_orphans: bool,
    /// `MemorySize` and Lambda's process limit are enforced (asked for, and possible).
    limits: bool,
    notes: Vec<String>,
    /// Tests: how many more [`HostContainment::prepare`] calls fail as a host would (EAGAIN).
    #[cfg(test)]
    failures_left: AtomicUsize,
}

impl HostContainment {
    /// Find what the host allows (cgroups as `choice` says, or none), reap sandboxes a killed
    /// Sluice left behind, and say what holds.
    pub fn probe(limits: bool, choice: Option<CgroupChoice>) -> HostContainment {
        let mut notes = Vec::new();
        let roots = match choice {
            Some(choice) => CgroupRoots::probe(choice),
            None => Err("cgroups turned off".to_owned()),
        };
        let cgroups = match roots {
            Ok(roots) => {
                let reaped = roots.reap_leftovers();
                if reaped > 0 {
                    notes.push(format!(
                        "Stopped {reaped} process(es) left by a Sluice that did not shut down cleanly"
                    ));
                }
                Some(roots)
            }
            Err(why) => {
                notes.push(format!(
                    "Note: sandboxes run in process groups only ({why}): MemorySize is not enforced, and processes a handler detaches can outlive a Sluice killed with kill -9"
                ));
                None
            }
        };
        // AWS: nothing outlives the micro-VM. Sluice without cgroups: detached processes are
        // re-parented to Sluice rather than init, so shutdown can still find and kill them.
        let adopts_orphans = cgroups.is_none() && orphans::become_subreaper();
        if let Some(roots) = &cgroups {
            if !limits {
                notes.push(
                    "Note: sandbox limits are off (--no-sandbox-limits): MemorySize is reported, not enforced".to_owned(),
                );
            } else if let Some(why) = &roots.unlimited_because {
                notes.push(format!(
                    "Note: MemorySize is not enforced ({why}); each sandbox still has a cgroup, so nothing it starts outlives it"
                ));
            }
        }
        let limits = limits && cgroups.as_ref().is_some_and(|r| r.limitable);
        HostContainment {
            cgroups,
            adopts_orphans,
            limits,
            notes,
            #[cfg(test)]
            failures_left: AtomicUsize::new(0),
        }
    }

    /// A host whose cgroups cannot be made (their root is not a folder): every sandbox start
    /// fails on Sluice's side, not the function's.
    #[cfg(test)]
    pub fn broken_for_tests() -> HostContainment {
        HostContainment {
            cgroups: Some(CgroupRoots {
                version: super::cgroups::Version::V1,
                owners: vec![std::path::PathBuf::from("/proc/self/status/sluice")],
                limitable: false,
                unlimited_because: None,
            }),
            adopts_orphans: false,
            limits: false,
            notes: Vec::new(),
            failures_left: AtomicUsize::new(0),
        }
    }

    /// A host without cgroups that adopts no orphans: sandboxes are process groups (tests that
    /// must not change the test process).
    #[cfg(test)]
    pub fn plain_for_tests() -> HostContainment {
        HostContainment {
            cgroups: None,
            adopts_orphans: false,
            limits: false,
            notes: Vec::new(),
            failures_left: AtomicUsize::new(0),
        }
    }

    /// Like [`HostContainment::plain_for_tests`], but the first `failures` sandboxes cannot be
    /// contained (EAGAIN): Sluice's fault, transient, as a host short of resources is.
    #[cfg(test)]
    pub fn failing_for_tests(failures: usize) -> HostContainment {
        let host = HostContainment::plain_for_tests();
        host.failures_left.store(failures, Ordering::Relaxed);
        host
    }

    /// Tests: how many more sandboxes [`HostContainment::failing_for_tests`] fails.
    #[cfg(test)]
    pub fn failures_left(&self) -> usize {
        self.failures_left.load(Ordering::Relaxed)
    }

    /// Reap adopted orphans that have exited (a no-op with cgroups).
    pub fn reap_orphans(&self) {
        if self.adopts_orphans {
            orphans::collect(false);
        }
    }

    /// At shutdown, after the sandboxes were killed: kill the orphans Sluice adopted, and remove
    /// its cgroup owner folders (best effort: a folder still holding a sandbox stays, and the next
    /// start reaps it).
    pub fn release(&self) {
        if self.adopts_orphans {
            orphans::collect(true);
        }
        if let Some(roots) = &self.cgroups {
            roots.release();
        }
    }

    /// What a person should know about sandboxes on this host, one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Make the containment of one new sandbox with `memory_mb` as its memory limit.
    pub fn prepare(&self, memory_mb: u32) -> io::Result<Containment> {
        #[cfg(test)]
        if self
            .failures_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(io::Error::from_raw_os_error(nix::libc::EAGAIN));
        }
        let Some(roots) = &self.cgroups else {
            return Ok(Containment {
                cgroup: None,
                leader: OnceLock::new(),
                roots: std::sync::Mutex::new(Vec::new()),
            });
        };
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = NEXT.fetch_add(1, Ordering::Relaxed).to_string();
        let cgroup = roots.make(&name)?;
        if self.limits {
            cgroup.set_limits(memory_mb)?;
        }
        Ok(Containment {
            cgroup: Some(cgroup),
            leader: OnceLock::new(),
            roots: std::sync::Mutex::new(Vec::new()),
        })
    }
}

/// One sandbox's processes: its cgroup (if any) and its leader, whose process group it also is.
#[derive(Debug)]
pub(crate) struct Containment {
    cgroup: Option<SandboxCgroup>,
    /// Set once the first process (an extension, else the runtime) is spawned; its pid is the
    /// process group id every later process of the sandbox joins.
    leader: OnceLock<u32>,
    /// Every process Sluice spawned into the sandbox (the runtime and external extensions):
    /// without a cgroup, members are found as their descendants.
    roots: std::sync::Mutex<Vec<u32>>,
}

impl Containment {
    /// Open, close-on-exec, the files a new process writes `0` into to join this containment.
    pub fn join_files(&self) -> io::Result<Vec<OwnedFd>> {
        let Some(cgroup) = &self.cgroup else {
            return Ok(Vec::new());
        };
        cgroup
            .join_files()
            .iter()
            .map(|file| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(file)
                    .map(OwnedFd::from)
            })
            .collect()
    }

    /// Record a spawned process; the first one leads the process group.
    pub fn set_leader(&self, pid: u32) {
        let _ = self.leader.set(pid);
        self.roots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(pid);
    }

    /// The process group a newly spawned process joins (`None`: it starts its own).
    pub fn group(&self) -> Option<u32> {
        self.leader.get().copied()
    }

    /// Every live process of the sandbox.
    pub fn members(&self) -> Vec<u32> {
        if let Some(cgroup) = &self.cgroup {
            return cgroup.members();
        }
        let roots = self.roots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut members: Vec<u32> = roots.into_iter().flat_map(memory::descendants).collect();
        members.sort_unstable();
        members.dedup();
        members
    }

    /// The sandbox's peak memory in kB: the larger of the cgroup's high-water mark and the
    /// process tree's peak resident size.
    ///
    /// AWS counts the whole micro-VM's sandbox, which starts with a cold page cache: the
    /// runtime's binary and libraries are charged to it as they load (a function whose runtime
    /// never started still reports 3-10 MB). Sluice: a cgroup is charged only for pages no other
    /// cgroup touched first, so a runtime whose binary and libraries the host already cached
    /// (any second sandbox; a forked runtime sharing the template's interpreter) is undercounted
    /// there, while its resident size counts them, as a fresh environment's would.
    pub fn peak_memory_kb(&self) -> Option<u64> {
        let cgroup = self
            .cgroup
            .as_ref()
            .and_then(SandboxCgroup::peak_bytes)
            .map(|bytes| bytes / 1024);
        // Every process Sluice started (runtime and extensions) and what each started.
        let roots = self.roots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let tree = roots
            .into_iter()
            .filter_map(memory::peak_rss_kb)
            .reduce(|a, b| a + b);
        cgroup.max(tree)
    }

    /// SIGKILL every process of the sandbox: its process group, then whatever its cgroup holds
    /// (children that called `setsid` left the group but not the cgroup).
    pub fn kill_all(&self) {
        if let Some(&leader) = self.leader.get() {
            if let Ok(pgid) = i32::try_from(leader) {
                // ESRCH (already gone) is fine.
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
        }
        if let Some(cgroup) = &self.cgroup {
            cgroup.kill_all();
        }
    }
}

impl Drop for Containment {
    fn drop(&mut self) {
        self.kill_all();
        let Some(cgroup) = self.cgroup.take() else {
            return;
        };
        if cgroup.remove() {
            return;
        }
        // Killed processes take a moment to leave the cgroup; retry off the caller's path.
        let retry = move || {
            for _ in 0..100 {
                std::thread::sleep(Duration::from_millis(20));
                cgroup.kill_all();
                if cgroup.remove() {
                    break;
                }
            }
        };
        let _ = std::thread::Builder::new()
            .name("sluice-cgroup-cleanup".to_owned())
            .spawn(retry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What containment adds to a cold start (make the cgroups, set limits, remove them).
    /// Prints, never asserts.
    #[test]
    #[ignore = "measurement; run by hand"]
    fn cost_of_a_sandbox_cgroup() {
        let host = HostContainment::probe(true, Some(CgroupChoice::Any));
        let n = 200;
        let started = std::time::Instant::now();
        for _ in 0..n {
            drop(host.prepare(128).unwrap());
        }
        println!(
            "make + limit + remove one sandbox's cgroups: {:?} (cgroups: {})",
            started.elapsed() / n,
            host.cgroups.is_some()
        );
        host.release();
    }
}
