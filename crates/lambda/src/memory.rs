//! `Max Memory Used` where a sandbox has no cgroup: the peak resident set of its process tree,
//! read from `/proc`.
//!
//! AWS measures the sandbox's memory; Sluice sums each live process's `VmHWM` (its own peak),
//! walking `/proc/<pid>/task/<pid>/children`. Limits such as `RLIMIT_AS` are not used: they
//! break runtimes (node reserves large virtual ranges).

use std::fs;

/// Sum of `VmHWM` over `root` and its descendants, in kB; `None` when `/proc` cannot tell.
pub(crate) fn peak_rss_kb(root: u32) -> Option<u64> {
    let mut total = 0u64;
    let mut seen_any = false;
    for pid in descendants(root) {
        if let Some(kb) = vm_hwm_kb(pid) {
            total += kb;
            seen_any = true;
        }
    }
    seen_any.then_some(total)
}

/// `root` and the live processes below it (at most 255: a fork bomb must not make a walk slow).
pub(crate) fn descendants(root: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    let mut budget = 256;
    while let Some(pid) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        found.push(pid);
        if let Ok(children) = fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
            stack.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    found
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// kB → whole MB, rounded up as Lambda reports it.
pub(crate) fn kb_to_mb(kb: u64) -> u64 {
    kb.div_ceil(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vm_hwm() {
        let status = "Name:\tpython3\nVmPeak:\t  20000 kB\nVmHWM:\t    9876 kB\nVmRSS:\t 9000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(9876));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
    }

    #[test]
    fn own_process_has_a_peak() {
        let kb = peak_rss_kb(std::process::id()).unwrap_or(0);
        assert!(kb > 0);
        assert_eq!(kb_to_mb(1), 1);
        assert_eq!(kb_to_mb(2048), 2);
    }
}
