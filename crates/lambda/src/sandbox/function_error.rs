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

/// `exit status 1` / `signal: killed`, worded as Lambda words it (Go's os.ProcessState).
pub(crate) fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
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
