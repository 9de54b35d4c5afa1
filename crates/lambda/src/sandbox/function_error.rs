//! How a sandbox's failures are worded for the caller: Lambda's error document, the runtime's
//! own reports, and a process's exit status as Lambda describes it.

use bytes::Bytes;

/// Why a sandbox could not become ready.
#[derive(Debug)]
pub(crate) struct InitFailure {
    /// Lambda error type (`Runtime.ImportModuleError`, `Runtime.ExitError`, ...).
    pub error_type: String,
    /// The error document returned to the caller.
    pub payload: Bytes,
    /// Whether it failed by running out of time.
    pub timed_out: bool,
}

/// [`describe_exit`]'s words for a runtime that exited with status 0.
const CLEAN_EXIT: &str = "exit status 0";

/// `exit status 1` / `signal: killed`, worded as Lambda words it (Go's os.ProcessState).
pub(crate) fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        if code == 0 {
            return CLEAN_EXIT.to_owned();
        }
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(9) => "signal: killed".to_owned(),
        Some(6) => "signal: aborted".to_owned(),
        Some(11) => "signal: segmentation fault".to_owned(),
        Some(15) => "signal: terminated".to_owned(),
        Some(n) => format!("signal: {n}"),
        None => "exit status unknown".to_owned(),
    }
}

/// The `Runtime.ExitError` message for a runtime that exited (`status` as [`describe_exit`]
/// words it), naming the invocation it ended if any. AWS: a status of 0 is no error to quote,
/// so the runtime "exited without providing a reason".
pub(crate) fn runtime_exit_message(request_id: Option<&str>, status: &str) -> String {
    let reason = if status == CLEAN_EXIT {
        "Runtime exited without providing a reason".to_owned()
    } else {
        format!("Runtime exited with error: {status}")
    };
    match request_id {
        Some(id) => format!("RequestId: {id} Error: {reason}"),
        None => reason,
    }
}

/// A runtime that exited before it was ready.
pub(crate) fn runtime_exited_in_init(request_id: Option<&str>, status: &str) -> InitFailure {
    InitFailure {
        error_type: "Runtime.ExitError".to_owned(),
        payload: error_document(
            "Runtime.ExitError",
            &runtime_exit_message(request_id, status),
        ),
        timed_out: false,
    }
}

/// A runtime's `POST /init/error`, as the caller sees it.
pub(crate) fn init_error(error_type: Option<String>, body: Bytes) -> InitFailure {
    let error_type = error_type
        .or_else(|| {
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("errorType")
                        .and_then(|t| t.as_str())
                        .map(str::to_owned)
                })
        })
        .unwrap_or_else(|| "Runtime.Unknown".to_owned());
    InitFailure {
        payload: error_payload(Some(&error_type), body),
        error_type,
        timed_out: false,
    }
}

/// The payload returned for a reported error: the runtime's document when it sent JSON, else
/// one built from the error type header.
pub(crate) fn error_payload(error_type: Option<&str>, body: Bytes) -> Bytes {
    if serde_json::from_slice::<serde_json::Value>(&body).is_ok() {
        return body;
    }
    let message = String::from_utf8_lossy(&body).into_owned();
    error_document(error_type.unwrap_or("Unhandled"), &message)
}

/// Lambda's error document `{"errorType","errorMessage"}`.
pub(crate) fn error_document(error_type: &str, message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_clean_exit_gives_no_reason_and_others_quote_the_status() {
        let clean = describe_exit(std::process::ExitStatus::from_raw(0));
        assert_eq!(
            runtime_exit_message(Some("id-1"), &clean),
            "RequestId: id-1 Error: Runtime exited without providing a reason"
        );
        assert_eq!(
            runtime_exit_message(None, &clean),
            "Runtime exited without providing a reason"
        );
        // Wait statuses: exit code in the high byte, a signal in the low bits.
        let failed = describe_exit(std::process::ExitStatus::from_raw(1 << 8));
        assert_eq!(
            runtime_exit_message(Some("id-1"), &failed),
            "RequestId: id-1 Error: Runtime exited with error: exit status 1"
        );
        let killed = describe_exit(std::process::ExitStatus::from_raw(9));
        assert_eq!(
            runtime_exit_message(None, &killed),
            "Runtime exited with error: signal: killed"
        );
    }
}
