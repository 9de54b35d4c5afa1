//! What one invocation inside a sandbox produced: the answer for the caller, the outcome for the
//! REPORT line, and the trace id it carried.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::extension_phases::PendingReport;
use super::function_error::{error_document, runtime_exit_message, RUNTIME_EXIT_ERROR};
use crate::invocation_log::ReportStatus;
use crate::Invocation;

/// An invocation's answer, and what is left to do when extensions are still at work on it.
pub(crate) struct Answered {
    /// What the caller gets now.
    pub invocation: Invocation,
    /// END/REPORT still to come, once extensions are done ([`Sandbox::complete`]).
    pub pending: Option<PendingReport>,
}

/// The result of one invocation inside the sandbox.
pub(super) struct Outcome {
    pub(super) payload: Bytes,
    pub(super) function_error: bool,
    pub(super) status: ReportStatus,
}

impl Outcome {
    /// A runtime failure (`Runtime.ExitError`, ...): the sandbox is not reused.
    pub(super) fn failed(error_type: &str, message: String) -> Outcome {
        Outcome {
            payload: error_document(error_type, &message),
            function_error: true,
            status: ReportStatus::Error(error_type.to_owned()),
        }
    }

    /// The runtime exited during invocation `request_id` (`status` as Lambda words it).
    pub(super) fn runtime_exited(request_id: &str, status: &str) -> Outcome {
        Outcome::failed(
            RUNTIME_EXIT_ERROR,
            runtime_exit_message(Some(request_id), status),
        )
    }
}

/// An X-Ray style trace header value, fresh per invocation.
pub(super) fn trace_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // X-Ray: 24 random hex digits in the root, and a segment id of 16 more of its own.
    // Encoded on the stack: this runs on every invocation.
    let (mut root, mut parent) = ([0u8; 32], [0u8; 32]);
    let root = uuid::Uuid::new_v4().simple().encode_lower(&mut root);
    let parent = uuid::Uuid::new_v4().simple().encode_lower(&mut parent);
    // Joined by hand: `format!` was 1,500 instructions of every invocation (bench/instructions).
    let mut id = String::with_capacity(TRACE_ID_LEN);
    id.push_str("Root=1-");
    push_hex8(&mut id, secs);
    id.push('-');
    id.push_str(&root[..24]);
    id.push_str(";Parent=");
    id.push_str(&parent[..16]);
    id.push_str(";Sampled=0");
    id
}

/// `Root=1-` + 8 + `-` + 24 + `;Parent=` + 16 + `;Sampled=0`.
const TRACE_ID_LEN: usize = 7 + 8 + 1 + 24 + 8 + 16 + 10;

/// `n` as lower-case hex, at least eight digits (as `{:08x}` writes it).
fn push_hex8(out: &mut String, n: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (16 - n.leading_zeros() as usize / 4).max(8);
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((n >> (shift * 4)) & 0xf) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_are_written_as_format_writes_them() {
        for n in [
            0,
            1,
            0xabc,
            0x6a2b_3c4d,
            0xffff_ffff,
            0x1_0000_0000,
            u64::MAX,
        ] {
            let mut out = String::new();
            push_hex8(&mut out, n);
            assert_eq!(out, format!("{n:08x}"));
        }
    }

    #[test]
    fn trace_ids_have_x_rays_shape_and_independent_parts() {
        let id = trace_id();
        let (root, rest) = id.split_once(";Parent=").expect("a parent");
        let (parent, sampled) = rest.split_once(';').expect("sampled");
        let random = root
            .strip_prefix("Root=1-")
            .expect("root")
            .split_once('-')
            .expect("epoch")
            .1;
        let hex = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        assert!(random.len() == 24 && hex(random), "{id}");
        assert!(parent.len() == 16 && hex(parent), "{id}");
        assert_eq!(sampled, "Sampled=0");
        // Drawn apart: the parent is not a slice of the root's digits.
        assert!(!random.contains(&parent[..8]), "{id}");
    }
}
