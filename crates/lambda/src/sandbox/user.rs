//! Least privilege: when Sluice runs as root, sandboxes run as an unprivileged user, so a
//! handler cannot read Sluice's state files or signal other processes.
//!
//! AWS: functions run as an unprivileged user in their micro-VM. Sluice: as `nobody` (or the user
//! configured), provided that user can reach everything the sandbox needs: the interpreter, the
//! bootstrap, the code, and the folders of `PYTHONPATH`, `NODE_PATH` and `LD_LIBRARY_PATH`. A
//! function it cannot reach keeps Sluice's user, and that is said once (a python installed under
//! `/root` by pyenv, Sluice's SDK copies in root's cache). A `provided*` bootstrap that is a
//! script is never dropped: the commands it runs cannot be checked.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::bootstrap::Launcher;

/// The user sandboxes run as instead of root.
#[derive(Debug, Clone)]
pub(crate) struct SandboxUser {
    /// Login name (for messages).
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id (supplementary groups are dropped).
    pub gid: u32,
}

/// Access a sandbox needs on a path.
#[derive(Clone, Copy)]
enum Need {
    Read,
    Execute,
    ListDir,
}

impl SandboxUser {
    /// The user to run sandboxes as: `requested`, else `nobody`; `None` when Sluice is not root
    /// (sandboxes then run as Sluice's own user) or `requested` is root itself.
    pub fn choose(requested: Option<&str>) -> Result<Option<SandboxUser>, String> {
        if effective_uid() != Some(0) {
            return Ok(None);
        }
        let name = requested.unwrap_or("nobody");
        let passwd = fs::read_to_string("/etc/passwd")
            .map_err(|e| format!("cannot read /etc/passwd: {e}"))?;
        let user = lookup(&passwd, name).ok_or_else(|| format!("no user {name} in /etc/passwd"))?;
        Ok((user.uid != 0).then_some(user))
    }

    /// Why this user cannot run `launcher` with `env` (the first thing it cannot reach).
    pub fn cannot_run(
        &self,
        launcher: &Launcher,
        env: &BTreeMap<String, String>,
    ) -> Option<String> {
        let program = resolve(&launcher.program, env.get("PATH").map(String::as_str))?;
        if let Some(why) = self.blocked(&program, Need::Execute) {
            return Some(why);
        }
        if is_script(&program) {
            return Some(format!(
                "{} is a script, and the commands it runs cannot be checked",
                program.display()
            ));
        }
        for arg in &launcher.args {
            let path = Path::new(arg);
            if path.is_absolute() && path.exists() {
                if let Some(why) = self.blocked(path, Need::Read) {
                    return Some(why);
                }
            }
        }
        if let Some(why) = self.blocked(&launcher.task_root, Need::ListDir) {
            return Some(why);
        }
        // Where modules are looked up (Sluice's boto3 and AWS SDK copies, layers): a folder the
        // user cannot list would make imports fail that work as root.
        for var in ["PYTHONPATH", "NODE_PATH", "LD_LIBRARY_PATH"] {
            let list = env.get(var).map(String::as_str).unwrap_or("");
            for dir in std::env::split_paths(list).filter(|d| d.is_dir()) {
                if let Some(why) = self.blocked(&dir, Need::ListDir) {
                    return Some(format!("{var}: {why}"));
                }
            }
        }
        None
    }

    /// Why this user cannot use `path` as `need` says (folders on the way included).
    fn blocked(&self, path: &Path, need: Need) -> Option<String> {
        let real = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        for candidate in [path, real.as_path()] {
            for dir in candidate.ancestors().skip(1) {
                if !self.may(dir, Need::Execute) {
                    return Some(format!(
                        "{} is not reachable by {}",
                        path.display(),
                        self.name
                    ));
                }
            }
        }
        (!self.may(&real, need))
            .then(|| format!("{} is not readable by {}", path.display(), self.name))
    }

    /// Permission bits only: supplementary groups are dropped and ACLs are rare; a wrong "no"
    /// only keeps a function as root.
    fn may(&self, path: &Path, need: Need) -> bool {
        let Ok(meta) = fs::metadata(path) else {
            return false;
        };
        let mode = meta.permissions().mode();
        let shift = if meta.uid() == self.uid {
            6
        } else if meta.gid() == self.gid {
            3
        } else {
            0
        };
        let bits = (mode >> shift) & 0o7;
        match need {
            Need::Read => bits & 0o4 != 0,
            Need::Execute => bits & 0o1 != 0,
            Need::ListDir => bits & 0o5 == 0o5,
        }
    }
}

/// This process's effective uid (`Uid:` real, effective, saved, filesystem).
fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// `name:x:uid:gid:gecos:home:shell`.
fn lookup(passwd: &str, name: &str) -> Option<SandboxUser> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.first() != Some(&name) {
            return None;
        }
        Some(SandboxUser {
            name: name.to_owned(),
            uid: fields.get(2)?.parse().ok()?,
            gid: fields.get(3)?.parse().ok()?,
        })
    })
}

/// `program` as the sandbox's `PATH` finds it (what root would run).
fn resolve(program: &Path, path: Option<&str>) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return Some(program.to_owned());
    }
    crate::interpreters::find_on_path(program, path.unwrap_or("").as_ref())
}

/// A `#!` script (its interpreter and what it runs are not known here).
fn is_script(program: &Path) -> bool {
    let mut start = [0u8; 2];
    fs::File::open(program)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut start))
        .is_ok_and(|()| &start == b"#!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_user_in_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        let user = lookup(passwd, "nobody").unwrap();
        assert_eq!((user.uid, user.gid), (65534, 65534));
        assert!(lookup(passwd, "nope").is_none());
    }

    #[test]
    fn a_private_folder_blocks_what_is_inside() {
        let dir = std::env::temp_dir().join(format!("sluice-user-test-{}", std::process::id()));
        let inner = dir.join("inner");
        fs::create_dir_all(&inner).unwrap();
        fs::write(inner.join("file"), "x").unwrap();
        let nobody = SandboxUser {
            name: "nobody".to_owned(),
            uid: 65534,
            gid: 65534,
        };
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&inner, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(nobody.blocked(&inner.join("file"), Need::Read).is_none());
        fs::set_permissions(&inner, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(nobody.blocked(&inner.join("file"), Need::Read).is_some());
        let _ = fs::remove_dir_all(&dir);
    }
}
