//! What one invocation inside a sandbox produced: the answer for the caller, the outcome for the
//! REPORT line, and the trace id it carried.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::extension_phases::PendingReport;
use super::function_error::error_document;
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
}

/// An X-Ray style trace header value, fresh per invocation.
pub(super) fn trace_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{secs:08x}-{};Parent={};Sampled=0",
        &rand[..24],
        &rand[16..32]
    )
}
