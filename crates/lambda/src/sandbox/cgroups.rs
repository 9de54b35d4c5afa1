//! The cgroup hierarchies Sluice can put sandboxes in: cgroup v2 (unified) where the memory
//! controller is delegated to Sluice, else v1's `memory` + `pids` (hybrid hosts such as this
//! project's CI), else v2 without controllers (containment without limits).
//!
//! Cgroups are made under Sluice's own: `<own>/sluice/<pid>.<start time>/<n>`. The owner folder
//! names the Sluice process that made it, so a later Sluice can tell leftovers of one that was
//! killed (`kill -9` gives no chance to clean up) from those of one still running, and reap them.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Lambda's limit on processes and threads in one execution environment.
const PIDS_MAX: u32 = 1024;
/// Rounds of "list the cgroup, kill what is there": a process forking while we kill it needs
/// a few; a fork bomb is bounded by `pids.max`.
const KILL_ROUNDS: usize = 16;
/// How Sluice names its part of the hierarchy.
const SLUICE_DIR: &str = "sluice";
/// The leaf Sluice moves itself into when cgroup v2 requires its own cgroup to hold no process
/// before controllers can be given to the sandboxes ("no internal processes").
const SERVER_LEAF: &str = "server";

/// Which hierarchy a set of cgroups belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// One folder per controller (`memory`, optionally `pids`).
    V1,
    /// One folder, with whatever controllers were enabled for it.
    V2,
}

/// Which hierarchies a probe may pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// The best the host offers: v2 with limits, v1, then v2 without limits.
    Any,
    /// Only cgroup v2 (tests pin it on hosts where v1 would win).
    V2,
}

/// This Sluice's owner folders: one per v1 controller, or one v2 folder.
#[derive(Debug)]
pub(crate) struct CgroupRoots {
    pub version: Version,
    /// v1: `memory` first, then `pids` if usable. v2: the one folder.
    pub owners: Vec<PathBuf>,
    /// Whether `MemorySize` and the process limit can be set on sandboxes' cgroups.
    pub limitable: bool,
    /// Why they cannot, when they cannot.
    pub unlimited_because: Option<String>,
}

impl CgroupRoots {
    /// Find the hierarchy to use. `Err` says why there is none.
    pub fn probe(wanted: Wanted) -> Result<CgroupRoots, String> {
        let owner = owner_name(std::process::id()).ok_or("cannot read /proc/self/stat")?;
        let v2_has_memory = v2_own_dir()
            .is_some_and(|own| controllers(&own.join("cgroup.controllers")).contains("memory"));
        // Probed once: making the v2 folders may move Sluice itself (`give_controllers`).
        let v2 = (wanted == Wanted::V2 || v2_has_memory).then(|| v2_roots(&owner));
        match v2 {
            Some(v2) if wanted == Wanted::V2 || v2.as_ref().is_ok_and(|r| r.limitable) => v2,
            // Hybrid hosts: the memory controller is v1's; v2 (if mounted) has none.
            v2 => v1_roots(&owner).or_else(|v1_why| {
                v2.unwrap_or_else(|| v2_roots(&owner))
                    .map_err(|v2_why| format!("{v1_why}; {v2_why}"))
            }),
        }
    }

    /// Make the owner folders again if another service in this process removed them.
    fn ensure(&self) -> io::Result<()> {
        for owner in &self.owners {
            if !owner.exists() {
                fs::create_dir_all(owner)?;
                if self.version == Version::V2 && self.limitable {
                    if let Some(sluice) = owner.parent() {
                        enable_controllers(sluice)?;
                    }
                    enable_controllers(owner)?;
                }
            }
        }
        Ok(())
    }

    /// Make the cgroup of one sandbox, named `name`, making the owner folders first if needed.
    ///
    /// Another service in this process (the one a reload replaces, another test) may remove
    /// an owner folder that had emptied between `ensure` and the `mkdir` here: that start
    /// failed, and a provisioned sandbox was never replaced. So a missing owner is made again.
    pub fn make(&self, name: &str) -> io::Result<SandboxCgroup> {
        let mut attempts = 0;
        loop {
            match self.ensure().and_then(|()| self.make_in_owners(name)) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempts < 3 => attempts += 1,
                made => return made,
            }
        }
    }

    /// One attempt of [`CgroupRoots::make`]: nothing is left behind when it fails.
    fn make_in_owners(&self, name: &str) -> io::Result<SandboxCgroup> {
        let mut dirs = Vec::with_capacity(self.owners.len());
        for owner in &self.owners {
            let dir = owner.join(name);
            if let Err(e) = fs::create_dir(&dir) {
                for made in &dirs {
                    let _ = fs::remove_dir(made);
                }
                return Err(e);
            }
            dirs.push(dir);
        }
        Ok(SandboxCgroup {
            version: self.version,
            dirs,
        })
    }

    /// Remove the owner folders (best effort: one holding a sandbox, or Sluice itself, stays).
    pub fn release(&self) {
        for dir in &self.owners {
            let _ = fs::remove_dir(dir);
        }
    }

    /// Kill and remove the sandboxes of Sluice processes that are gone; returns processes killed.
    pub fn reap_leftovers(&self) -> usize {
        let mut killed = 0;
        for owner_dir in &self.owners {
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
                if !alive {
                    killed += reap_owner(&owner.path(), self.version);
                }
            }
        }
        killed
    }
}

/// One sandbox's cgroup folders.
#[derive(Debug)]
pub(crate) struct SandboxCgroup {
    version: Version,
    dirs: Vec<PathBuf>,
}

impl SandboxCgroup {
    /// Set `MemorySize` (no swap, as on Lambda) and Lambda's process limit.
    pub fn set_limits(&self, memory_mb: u32) -> io::Result<()> {
        let bytes = (u64::from(memory_mb) * 1024 * 1024).to_string();
        match self.version {
            Version::V1 => {
                fs::write(self.dirs[0].join("memory.limit_in_bytes"), &bytes)?;
                // Without swap accounting (or swap) the file is absent; the memory limit alone holds.
                let _ = fs::write(self.dirs[0].join("memory.memsw.limit_in_bytes"), &bytes);
                if let Some(pids) = self.dirs.get(1) {
                    fs::write(pids.join("pids.max"), PIDS_MAX.to_string())?;
                }
            }
            Version::V2 => {
                let dir = &self.dirs[0];
                fs::write(dir.join("memory.max"), &bytes)?;
                // Absent without swap accounting; then there is no swap to limit.
                let _ = fs::write(dir.join("memory.swap.max"), "0");
                // AWS: running out of memory ends the whole environment, not one process of it.
                let _ = fs::write(dir.join("memory.oom.group"), "1");
                // `pids` is optional (`PIDS_MAX` is a guard against fork bombs, not a figure
                // handlers rely on).
                let _ = fs::write(dir.join("pids.max"), PIDS_MAX.to_string());
            }
        }
        Ok(())
    }

    /// The files a new, still single-threaded process writes `0` into to join the cgroup.
    ///
    /// v1: `tasks`, which moves the writing thread alone. For the thread itself the kernel skips
    /// the global `cgroup_threadgroup_rwsem` that a `cgroup.procs` write takes, whose write side
    /// waits out an RCU grace period: ~20 ms of every python cold start on this project's VM. The
    /// child is forked with one thread, so moving it moves the process, and its children follow.
    /// v2 allows thread moves only inside a threaded subtree: `cgroup.procs` (`CLONE_INTO_CGROUP`
    /// would avoid the wait there).
    pub fn join_files(&self) -> Vec<PathBuf> {
        let name = match self.version {
            Version::V1 => "tasks",
            Version::V2 => "cgroup.procs",
        };
        self.dirs.iter().map(|d| d.join(name)).collect()
    }

    /// The processes in the cgroup.
    pub fn members(&self) -> Vec<u32> {
        self.dirs.last().map(|d| read_procs(d)).unwrap_or_default()
    }

    /// The cgroup's memory high-water mark in bytes, if the host keeps one.
    pub fn peak_bytes(&self) -> Option<u64> {
        let file = match self.version {
            Version::V1 => "memory.max_usage_in_bytes",
            // Linux 5.19 and later; without it the caller measures the process tree.
            Version::V2 => "memory.peak",
        };
        let text = fs::read_to_string(self.dirs[0].join(file)).ok()?;
        text.trim().parse().ok()
    }

    /// SIGKILL everything in the cgroup.
    pub fn kill_all(&self) {
        for dir in &self.dirs {
            kill_cgroup(dir, self.version);
        }
    }

    /// Remove the (emptied) cgroup folders; false while a killed process is still exiting.
    pub fn remove(&self) -> bool {
        let mut done = true;
        for dir in &self.dirs {
            if dir.exists() && fs::remove_dir(dir).is_err() {
                done = false;
            }
        }
        done
    }
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

/// SIGKILL every process in `dir`: v2's `cgroup.kill` does it at once (a process forking
/// meanwhile cannot escape); v1, and v2 before Linux 5.14, list and kill in rounds.
fn kill_cgroup(dir: &Path, version: Version) -> usize {
    if version == Version::V2 {
        let before = read_procs(dir).len();
        if fs::write(dir.join("cgroup.kill"), "1").is_ok() {
            return before;
        }
    }
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

fn reap_owner(owner: &Path, version: Version) -> usize {
    let mut killed = 0;
    if let Ok(sandboxes) = fs::read_dir(owner) {
        for sandbox in sandboxes.flatten().filter(|e| e.path().is_dir()) {
            let dir = sandbox.path();
            killed += kill_cgroup(&dir, version);
            // SIGKILLed processes leave the cgroup once they have exited; wait briefly.
            for _ in 0..50 {
                if fs::remove_dir(&dir).is_ok() {
                    break;
                }
                kill_cgroup(&dir, version);
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
    let _ = fs::remove_dir(owner);
    killed
}

/// This process's owner folders under its own v1 `memory` (required) and `pids` cgroups.
fn v1_roots(owner: &str) -> Result<CgroupRoots, String> {
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
    let memory = path_of("memory").ok_or("no cgroup v1 memory controller")?;
    let memory = make_owner(&memory, owner).map_err(|e| {
        format!(
            "cannot create a memory cgroup under {}: {e}",
            memory.display()
        )
    })?;
    // `pids` only adds Lambda's process limit; the memory cgroup already holds every process.
    let pids = path_of("pids").and_then(|p| make_owner(&p, owner).ok());
    Ok(CgroupRoots {
        version: Version::V1,
        owners: std::iter::once(memory).chain(pids).collect(),
        limitable: true,
        unlimited_because: None,
    })
}

/// This process's owner folder in the v2 hierarchy; `limitable` when the `memory` controller
/// could be enabled for the sandboxes below it.
fn v2_roots(owner: &str) -> Result<CgroupRoots, String> {
    let own = v2_own_dir().ok_or("no cgroup v2 hierarchy")?;
    let own = match own.strip_suffix_components(&[SLUICE_DIR, owner, SERVER_LEAF]) {
        // An earlier probe of this process moved it into its server leaf.
        Some(outer) => outer,
        None => own,
    };
    let unlimited_because = if !controllers(&own.join("cgroup.controllers")).contains("memory") {
        Some(format!(
            "cgroup v2 offers no memory controller at {}",
            own.display()
        ))
    } else {
        give_controllers(&own, owner)
            .err()
            .map(|why| format!("cgroup v2's memory controller cannot be given to sandboxes: {why}"))
    };
    let limitable = unlimited_because.is_none();
    let dir = make_owner(&own, owner).map_err(|e| {
        format!(
            "cannot create a cgroup v2 folder under {}: {e}",
            own.display()
        )
    })?;
    if limitable {
        let sluice = own.join(SLUICE_DIR);
        enable_controllers(&sluice).map_err(|e| format!("{}: {e}", sluice.display()))?;
        enable_controllers(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(CgroupRoots {
        version: Version::V2,
        owners: vec![dir],
        limitable,
        unlimited_because,
    })
}

/// Enable `memory` (and `pids`, if there) for the children of `own`, or say why not. v2 allows
/// that only on a cgroup holding no process (the root excepted): if Sluice is alone in `own`, it
/// first moves itself into a leaf of its owner folder, as container runtimes do for their init.
fn give_controllers(own: &Path, owner: &str) -> Result<(), String> {
    let shown = own.display();
    match enable_controllers(own) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(nix::libc::EBUSY) => {
            let me = std::process::id();
            if read_procs(own) != [me] {
                // Moving other processes is not Sluice's call.
                return Err(format!(
                    "Sluice shares its cgroup {shown} with other processes; run it in one of its own, e.g. under systemd-run --user --scope -p Delegate=yes"
                ));
            }
            let leaf = own.join(SLUICE_DIR).join(owner).join(SERVER_LEAF);
            fs::create_dir_all(&leaf)
                .and_then(|()| fs::write(leaf.join("cgroup.procs"), me.to_string()))
                .and_then(|()| enable_controllers(own))
                .map_err(|e| format!("moving Sluice into {}: {e}", leaf.display()))
        }
        Err(e) => Err(format!("{shown} is not delegated to Sluice's user ({e})")),
    }
}

/// Enable `memory` and, if available, `pids` in `dir`'s `cgroup.subtree_control`.
fn enable_controllers(dir: &Path) -> io::Result<()> {
    let control = dir.join("cgroup.subtree_control");
    fs::write(&control, "+memory")?;
    // Optional: without it only Lambda's process limit is missing.
    let _ = fs::write(&control, "+pids");
    Ok(())
}

/// The names in a `cgroup.controllers` file (empty if unreadable).
fn controllers(file: &Path) -> BTreeSet<String> {
    fs::read_to_string(file)
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// This process's cgroup folder in the v2 hierarchy: its `0::` line in `/proc/self/cgroup`
/// under the cgroup2 mount that shows it.
fn v2_own_dir() -> Option<PathBuf> {
    let cgroup = fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|line| {
        let (fields, fs_type) = line.split_once(" - ")?;
        if fs_type.split_whitespace().next()? != "cgroup2" {
            return None;
        }
        let mut fields = fields.split_whitespace();
        let root = fields.nth(3)?;
        let mount_point = fields.next()?;
        // A mount of a subtree (containers) shows paths below its root only.
        let below = Path::new(path).strip_prefix(root).ok()?;
        let mount_point = PathBuf::from(unescape_mount_path(mount_point));
        // (`join("")` would add a trailing slash to every path shown.)
        Some(if below.as_os_str().is_empty() {
            mount_point
        } else {
            mount_point.join(below)
        })
    })
}

/// Mount points in mountinfo escape space, tab, newline and backslash as octal.
fn unescape_mount_path(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 4);
        match code.and_then(|c| u8::from_str_radix(c, 8).ok()) {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

trait StripComponents {
    fn strip_suffix_components(&self, tail: &[&str]) -> Option<PathBuf>;
}

impl StripComponents for PathBuf {
    /// `self` without its last components if they are `tail`.
    fn strip_suffix_components(&self, tail: &[&str]) -> Option<PathBuf> {
        let mut path = self.as_path();
        for name in tail.iter().rev() {
            if path.file_name()? != *name {
                return None;
            }
            path = path.parent()?;
        }
        Some(path.to_owned())
    }
}

fn make_owner(own: &Path, owner: &str) -> io::Result<PathBuf> {
    let dir = own.join(SLUICE_DIR).join(owner);
    fs::create_dir_all(&dir)?;
    // Probe that this folder is a cgroup we may write, not just a folder.
    fs::metadata(dir.join("cgroup.procs"))?;
    Ok(dir)
}

/// `<pid>.<start time>`: a pid alone could be reused by another process.
pub(crate) fn owner_name(pid: u32) -> Option<String> {
    Some(format!("{pid}.{}", start_time(pid)?))
}

fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces); start time is field 22.
    let rest = stat.rsplit_once(") ")?.1;
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_start_time_is_stable() {
        let me = std::process::id();
        assert!(start_time(me).is_some());
        assert_eq!(owner_name(me), owner_name(me));
    }

    #[test]
    fn mount_points_are_unescaped() {
        assert_eq!(unescape_mount_path(r"/sys/fs/cgroup"), "/sys/fs/cgroup");
        assert_eq!(
            unescape_mount_path(r"/mnt/my\040cgroups"),
            "/mnt/my cgroups"
        );
        assert_eq!(unescape_mount_path(r"/a\134b"), r"/a\b");
        assert_eq!(unescape_mount_path(r"/odd\x"), r"/odd\x");
    }

    #[test]
    fn the_server_leaf_is_recognised() {
        let own = PathBuf::from("/sys/fs/cgroup/user.slice/sluice/12.34/server");
        assert_eq!(
            own.strip_suffix_components(&[SLUICE_DIR, "12.34", SERVER_LEAF]),
            Some(PathBuf::from("/sys/fs/cgroup/user.slice"))
        );
        assert_eq!(
            own.strip_suffix_components(&[SLUICE_DIR, "99.1", SERVER_LEAF]),
            None
        );
    }

    /// A sandbox cgroup left by a Sluice that is gone (here: a stand-in owner process, killed)
    /// is emptied and removed by the next probe, on the v2 hierarchy (real processes, the real
    /// kernel).
    #[test]
    fn leftovers_of_a_dead_sluice_are_reaped_on_v2() {
        let Some(own) = v2_own_dir() else {
            eprintln!("skipped: no cgroup v2 hierarchy on this host");
            return;
        };
        let Ok(roots) = CgroupRoots::probe(Wanted::V2) else {
            eprintln!("skipped: cgroup v2 is not writable here");
            return;
        };
        // The owner is alive while the leftover is set up, and dies before the probe, as a
        // killed Sluice does. A name dead from the start (the fixed `0.1`) was shared by every
        // test process on the host and reaped by any probe meanwhile (each `Lambda::new`): two
        // runs put their children in one cgroup, or a probe emptied it before the check below.
        let mut owner = std::process::Command::new("sleep")
            .arg("1000")
            .spawn()
            .unwrap();
        let owner_dir = owner_name(owner.id()).expect("the owner is alive");
        let dead = own.join(SLUICE_DIR).join(owner_dir).join("7");
        fs::create_dir_all(&dead).unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("1000")
            .spawn()
            .unwrap();
        fs::write(dead.join("cgroup.procs"), child.id().to_string()).unwrap();
        assert_eq!(read_procs(&dead), [child.id()]);
        owner.kill().unwrap();
        // Reaped, so its pid no longer names a live owner.
        owner.wait().unwrap();
        // (Another Sluice probing meanwhile may be the one that reaps it: the outcome is what
        // is asserted.)
        roots.reap_leftovers();
        let status = child.wait().unwrap();
        assert!(!status.success(), "{status:?}");
        assert!(!dead.exists(), "{} was not removed", dead.display());
        assert!(!dead.parent().unwrap().exists());
        roots.release();
    }
}
