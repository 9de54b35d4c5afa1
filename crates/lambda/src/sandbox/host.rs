//! What the host allows sandboxes, probed once per service: cgroups and limits, Runtime API
//! isolation, and the user sandboxes run as.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use super::containment::{CgroupChoice, HostContainment};
use super::fork_server::ForkServers;
use super::peer;
use super::user::SandboxUser;
use crate::bootstrap::Launcher;
use crate::config::SandboxCgroups;

/// Host-wide sandbox facilities, decided once per service.
pub(crate) struct SandboxHost {
    /// Cgroups and limits.
    pub containment: HostContainment,
    /// Whether each Runtime API admits only its sandbox's processes.
    pub isolate_runtime_api: bool,
    /// Who sandboxes run as when Sluice is root (`None`: Sluice's own user).
    user: Option<SandboxUser>,
    /// Why sandboxes keep root although Sluice is root, if they do.
    user_problem: Option<String>,
    /// Templates python sandboxes are forked from (`None`: every sandbox is a fresh interpreter).
    pub forks: Option<ForkServers>,
}

impl SandboxHost {
    /// Probe the host; `limits` turns `MemorySize` and the process limit on, `cgroups` says
    /// which cgroups sandboxes may get, `user` names who sandboxes run as when Sluice is root
    /// (`nobody` when `None`); `fork` lets python sandboxes be forked from a template process.
    pub fn probe(
        limits: bool,
        cgroups: SandboxCgroups,
        user: Option<&str>,
        fork: bool,
    ) -> SandboxHost {
        let (user, user_problem) = match SandboxUser::choose(user) {
            Ok(user) => (user, None),
            Err(why) => (None, Some(why)),
        };
        SandboxHost {
            containment: HostContainment::probe(
                limits,
                match cgroups {
                    SandboxCgroups::Auto => Some(CgroupChoice::Any),
                    SandboxCgroups::V2 => Some(CgroupChoice::V2),
                    SandboxCgroups::Off => None,
                },
            ),
            isolate_runtime_api: cfg!(target_os = "linux") && peer::tracing_works(),
            user,
            user_problem,
            forks: fork.then(ForkServers::default),
        }
    }

    /// A host on which Sluice cannot contain sandboxes (tests of the blame for that).
    #[cfg(test)]
    pub fn broken_for_tests() -> SandboxHost {
        SandboxHost {
            containment: HostContainment::broken_for_tests(),
            isolate_runtime_api: false,
            user: None,
            user_problem: None,
            forks: None,
        }
    }

    /// A host on which the first `failures` sandboxes cannot be contained (EAGAIN), the next
    /// ones can (process groups): a transient host failure, for the tests of its retries.
    #[cfg(test)]
    pub fn failing_for_tests(failures: usize) -> SandboxHost {
        SandboxHost {
            containment: HostContainment::failing_for_tests(failures),
            isolate_runtime_api: false,
            user: None,
            user_problem: None,
            forks: None,
        }
    }

    /// The user a sandbox of `function` (started by `launcher`) runs as (`None`: Sluice's own),
    /// saying once per function (`said` remembers) why one keeps Sluice's user.
    pub(super) fn user_for(
        &self,
        function: &str,
        launcher: &Launcher,
        said: &AtomicBool,
        env: &BTreeMap<String, String>,
    ) -> Option<&SandboxUser> {
        let user = self.user.as_ref()?;
        match user.cannot_run(launcher, env) {
            None => Some(user),
            Some(why) => {
                if !said.swap(true, Ordering::Relaxed) {
                    tracing::warn!("function {function} runs as root, not {}: {why}", user.name);
                }
                None
            }
        }
    }

    /// At shutdown: stop what outlived the sandboxes and give back their cgroup folders.
    pub fn release(&self) {
        if let Some(forks) = &self.forks {
            forks.release();
        }
        self.containment.release();
    }

    /// Periodic housekeeping: reap adopted orphans that exited.
    pub fn reap_orphans(&self) {
        self.containment.reap_orphans();
    }

    /// What a person should know at startup, one line each.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.containment.notes().to_vec();
        if let Some(user) = &self.user {
            notes.push(format!(
                "Sandboxes run as user {} (uid {}), not root",
                user.name, user.uid
            ));
        }
        if let Some(why) = &self.user_problem {
            notes.push(format!("Warning: sandboxes run as root ({why})"));
        }
        if !self.isolate_runtime_api {
            notes.push(
                "Warning: Runtime API isolation is off on this host (it cannot trace a loopback connection to its process): any local process can take a function's invocations".to_owned(),
            );
        }
        notes
    }
}
