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
    format!(
        "Root=1-{secs:08x}-{};Parent={};Sampled=0",
        &root[..24],
        &parent[..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
