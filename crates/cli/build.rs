//! Records the git commit the binary is built from, for `sluice --version`. Builds from a source
//! archive (no git, or not a checkout) say so instead of failing.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    let described = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => format!("commit {commit}"),
        None => "commit unknown: built outside a git checkout".to_owned(),
    };
    println!("cargo:rustc-env=SLUICE_BUILD_COMMIT={described}");
    // Rebuild the line when HEAD moves: a checkout changes HEAD, a commit changes the branch ref.
    // (Uncommitted edits are not tracked: watching the index would relink on every `git status`.)
    if let Some(path) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={path}");
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &reference]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
