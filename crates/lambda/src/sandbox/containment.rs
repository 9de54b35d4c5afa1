//! Where a sandbox's processes live, so that every one of them can be found, limited and killed:
//! a cgroup of its own where the host allows it (v1 `memory` + `pids`, as Lambda's micro-VM bounds
//! its guest), else its process group.
//!
//! Cgroups are made under Sluice's own: `<own>/sluice/<pid>.<start time>/<n>`. The owner folder
//! names the Sluice process that made it, so a later Sluice can tell leftovers of one that was
//! killed (`kill -9` gives no chance to clean up) from those of one still running, and reap them.
//!
//! AWS: the micro-VM is destroyed with everything in it. Sluice: a cgroup is emptied with
//! SIGKILL, process by process, because v1 has no `cgroup.kill`.

use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use super::orphans;
use crate::memory;

/// Lambda's limit on processes and threads in one execution environment.
const PIDS_MAX: u32 = 1024;
/// Rounds of "list the cgroup, kill what is there": a process forking while we kill it needs
/// a few; a fork bomb is bounded by `pids.max`.
const KILL_ROUNDS: usize = 16;
/// How Sluice names its part of the hierarchy.
const SLUICE_DIR: &str = "sluice";

/// What the host lets Sluice do with sandboxes, decided once at startup.
#[derive(Debug)]
pub(crate) struct HostContainment {
    cgroups: Option<CgroupRoots>,
    /// Without cgroups: Sluice adopts orphaned descendants so it can kill them at shutdown.
    adopts_orphans: bool,
    /// `MemorySize` and Lambda's process limit are enforced (unless turned off).
    limits: bool,
    notes: Vec<String>,
}

/// This Sluice's owner folders in each v1 controller it uses.
#[derive(Debug)]
struct CgroupRoots {
    memory: PathBuf,
    pids: Option<PathBuf>,
}

impl HostContainment {
    /// Find what the host allows (cgroups unless `use_cgroups` is false), reap sandboxes a
    /// killed Sluice left behind, and say what holds.
    pub fn probe(limits: bool, use_cgroups: bool) -> HostContainment {
        let mut notes = Vec::new();
        let roots = if use_cgroups {
            v1_roots()
        } else {
            Err("cgroups turned off".to_owned())
        };
        let cgroups = match roots {
            Ok(roots) => {
                let reaped = reap_leftovers(&roots);
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
        if cgroups.is_some() && !limits {
            notes.push(
                "Note: sandbox limits are off (--no-sandbox-limits): MemorySize is reported, not enforced".to_owned(),
            );
        }
        HostContainment {
            cgroups,
            adopts_orphans,
            limits,
            notes,
        }
    }

    /// A host whose cgroups cannot be made (their root is not a folder): every sandbox start
    /// fails on Sluice's side, not the function's.
    #[cfg(test)]
    pub fn broken_for_tests() -> HostContainment {
        HostContainment {
            cgroups: Some(CgroupRoots {
                memory: PathBuf::from("/proc/self/status/sluice"),
                pids: None,
            }),
            adopts_orphans: false,
            limits: false,
            notes: Vec::new(),
        }
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
            for dir in std::iter::once(&roots.memory).chain(roots.pids.as_ref()) {
                let _ = fs::remove_dir(dir);
            }
        }
    }

    /// What a person should know about sandboxes on this host, one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Make the containment of one new sandbox with `memory_mb` as its memory limit.
    pub fn prepare(&self, memory_mb: u32) -> io::Result<Containment> {
        let Some(roots) = &self.cgroups else {
            return Ok(Containment {
                cgroup: None,
                leader: OnceLock::new(),
                roots: std::sync::Mutex::new(Vec::new()),
            });
        };
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = NEXT.fetch_add(1, Ordering::Relaxed).to_string();
        // Another service in this process may have released the owner folders.
        fs::create_dir_all(&roots.memory)?;
        if let Some(pids) = &roots.pids {
            fs::create_dir_all(pids)?;
        }
        let memory = make_dir(&roots.memory.join(&name))?;
        let pids = match &roots.pids {
            Some(root) => match make_dir(&root.join(&name)) {
                Ok(dir) => Some(dir),
                Err(e) => {
                    let _ = fs::remove_dir(&memory);
                    return Err(e);
                }
            },
            None => None,
        };
        let cgroup = SandboxCgroup { memory, pids };
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

#[derive(Debug)]
struct SandboxCgroup {
    memory: PathBuf,
    pids: Option<PathBuf>,
}

impl SandboxCgroup {
    fn set_limits(&self, memory_mb: u32) -> io::Result<()> {
        let bytes = u64::from(memory_mb) * 1024 * 1024;
        fs::write(self.memory.join("memory.limit_in_bytes"), bytes.to_string())?;
        // Without swap accounting (or swap) the file is absent; the memory limit alone holds.
        let _ = fs::write(
            self.memory.join("memory.memsw.limit_in_bytes"),
            bytes.to_string(),
        );
        if let Some(pids) = &self.pids {
            fs::write(pids.join("pids.max"), PIDS_MAX.to_string())?;
        }
        Ok(())
    }

    fn dirs(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.memory).chain(self.pids.as_ref())
    }
}

impl Containment {
    /// Open, close-on-exec, the files a new process writes `0` into to join this containment.
    pub fn join_files(&self) -> io::Result<Vec<OwnedFd>> {
        let Some(cgroup) = &self.cgroup else {
            return Ok(Vec::new());
        };
        cgroup
            .dirs()
            .map(|dir| {
                fs::OpenOptions::new()
                    .write(true)
                    .open(dir.join("cgroup.procs"))
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
            return read_procs(cgroup.dirs().last().unwrap_or(&cgroup.memory));
        }
        let roots = self.roots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut members: Vec<u32> = roots.into_iter().flat_map(memory::descendants).collect();
        members.sort_unstable();
        members.dedup();
        members
    }

    /// The sandbox's peak memory in kB: the cgroup's high-water mark, else the process tree's.
    pub fn peak_memory_kb(&self) -> Option<u64> {
        if let Some(cgroup) = &self.cgroup {
            let bytes = fs::read_to_string(cgroup.memory.join("memory.max_usage_in_bytes")).ok();
            if let Some(bytes) = bytes.and_then(|b| b.trim().parse::<u64>().ok()) {
                return Some(bytes / 1024);
            }
        }
        // Every process Sluice started (runtime and extensions) and what each started.
        let roots = self.roots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        roots
            .into_iter()
            .filter_map(memory::peak_rss_kb)
            .reduce(|a, b| a + b)
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
            for dir in cgroup.dirs() {
                kill_cgroup(dir);
            }
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
                for dir in cgroup.dirs() {
                    kill_cgroup(dir);
                }
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

impl SandboxCgroup {
    /// Remove the (emptied) cgroup folders; false while a killed process is still exiting.
    fn remove(&self) -> bool {
        let mut done = true;
        for dir in self.dirs() {
            if dir.exists() && fs::remove_dir(dir).is_err() {
                done = false;
            }
        }
        done
    }
}

fn make_dir(dir: &Path) -> io::Result<PathBuf> {
    fs::create_dir(dir)?;
    Ok(dir.to_owned())
}

fn read_procs(dir: &Path) -> Vec<u32> {
    fs::read_to_string(dir.join("cgroup.procs"))
        .map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn kill_cgroup(dir: &Path) -> usize {
    let mut killed = 0;
    for _ in 0..KILL_ROUNDS {
        let procs = read_procs(dir);
        if procs.is_empty() {
            break;
        }
        for pid in procs {
            if let Ok(pid) = i32::try_from(pid) {
                if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                    killed += 1;
                }
            }
        }
    }
    killed
}

/// This process's owner folders under its own v1 `memory` (required) and `pids` cgroups.
fn v1_roots() -> Result<CgroupRoots, String> {
    let own = fs::read_to_string("/proc/self/cgroup")
        .map_err(|_| "cannot read /proc/self/cgroup".to_owned())?;
    let path_of = |controller: &str| {
        own.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            controllers.split(',').any(|c| c == controller).then(|| {
                Path::new("/sys/fs/cgroup")
                    .join(controller)
                    .join(path.trim_start_matches('/'))
            })
        })
    };
    let owner = owner_name(std::process::id()).ok_or("cannot read /proc/self/stat")?;
    let memory = path_of("memory").ok_or("no cgroup v1 memory controller")?;
    let memory = make_owner(&memory, &owner).map_err(|e| {
        format!(
            "cannot create a memory cgroup under {}: {e}",
            memory.display()
        )
    })?;
    // `pids` only adds Lambda's process limit; the memory cgroup already holds every process.
    let pids = path_of("pids").and_then(|p| make_owner(&p, &owner).ok());
    Ok(CgroupRoots { memory, pids })
}

fn make_owner(own: &Path, owner: &str) -> io::Result<PathBuf> {
    let dir = own.join(SLUICE_DIR).join(owner);
    fs::create_dir_all(&dir)?;
    // Probe that this folder is a cgroup we may write, not just a folder.
    fs::metadata(dir.join("cgroup.procs"))?;
    Ok(dir)
}

/// `<pid>.<start time>`: a pid alone could be reused by another process.
fn owner_name(pid: u32) -> Option<String> {
    Some(format!("{pid}.{}", start_time(pid)?))
}

fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces); start time is field 22.
    let rest = stat.rsplit_once(") ")?.1;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Kill and remove the sandboxes of Sluice processes that are gone; returns processes killed.
fn reap_leftovers(roots: &CgroupRoots) -> usize {
    let mut killed = 0;
    for owner_dir in std::iter::once(&roots.memory).chain(roots.pids.as_ref()) {
        let Some(parent) = owner_dir.parent() else {
            continue;
        };
        let Ok(owners) = fs::read_dir(parent) else {
            continue;
        };
        for owner in owners.flatten() {
            let name = owner.file_name().to_string_lossy().into_owned();
            let alive = name
                .split_once('.')
                .and_then(|(pid, _)| pid.parse::<u32>().ok())
                .and_then(owner_name)
                .is_some_and(|now| now == name);
            if alive {
                continue;
            }
            killed += reap_owner(&owner.path());
        }
    }
    killed
}

fn reap_owner(owner: &Path) -> usize {
    let mut killed = 0;
    if let Ok(sandboxes) = fs::read_dir(owner) {
        for sandbox in sandboxes.flatten().filter(|e| e.path().is_dir()) {
            let dir = sandbox.path();
            killed += kill_cgroup(&dir);
            // SIGKILLed processes leave the cgroup once they have exited; wait briefly.
            for _ in 0..50 {
                if fs::remove_dir(&dir).is_ok() {
                    break;
                }
                kill_cgroup(&dir);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    let _ = fs::remove_dir(owner);
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What containment adds to a cold start (make the cgroups, set limits, remove them).
    /// Prints, never asserts.
    #[test]
    #[ignore = "measurement; run by hand"]
    fn cost_of_a_sandbox_cgroup() {
        let host = HostContainment::probe(true, true);
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

    #[test]
    fn own_start_time_is_stable() {
        let me = std::process::id();
        assert!(start_time(me).is_some());
        assert_eq!(owner_name(me), owner_name(me));
    }
}
