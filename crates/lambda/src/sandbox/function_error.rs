//! How a sandbox's failures are worded for the caller: Lambda's error document, the runtime's
//! own reports, and a process's exit status as Lambda describes it.

use bytes::Bytes;

use crate::invocation_log::ReportStatus;

/// Why a sandbox could not become ready.
#[derive(Debug)]
pub(crate) struct InitFailure {
    /// Lambda error type (`Runtime.ImportModuleError`, `Runtime.ExitError`, ...).
    pub error_type: String,
    /// The error document returned to the caller.
    pub payload: Bytes,
    /// Whether it failed by running out of time.
    pub timed_out: bool,
    /// The message Lambda logs for the failure itself (a runtime that exited), if any.
    pub fault: Option<String>,
}

impl InitFailure {
    /// How the failed Init is reported (`Status: timeout`, or `error` with its type).
    pub fn status(&self) -> ReportStatus {
        if self.timed_out {
            ReportStatus::Timeout
        } else {
            ReportStatus::Error(self.error_type.clone())
        }
    }
}

/// The error type of a runtime that exited when it should not have.
pub(crate) const RUNTIME_EXIT_ERROR: &str = "Runtime.ExitError";

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
    let message = runtime_exit_message(request_id, status);
    InitFailure {
        error_type: RUNTIME_EXIT_ERROR.to_owned(),
        payload: error_document(RUNTIME_EXIT_ERROR, &message),
        timed_out: false,
        fault: Some(message),
    }
}

/// A runtime's `POST /init/error`, as the caller sees it: `error_type` as Lambda recorded it
/// (REPORT's `Error Type`), the body passed on as it came. AWS (RIE initerror.go): the body is
/// the payload byte for byte, JSON or not.
pub(crate) fn init_error(error_type: String, body: Bytes) -> InitFailure {
    InitFailure {
        payload: body,
        error_type,
        timed_out: false,
        fault: None,
    }
}

/// The `Content-Type` with which a runtime asks Lambda to keep only the error document's
/// `errorMessage`, `errorType` and `stackTrace` (its `errorCause` goes to X-Ray).
const ERROR_WITH_CAUSE: &str = "application/vnd.aws.lambda.error.cause+json";

/// The caller's payload for a runtime's `POST /invocation/{id}/error`. AWS (RIE
/// invocationerror.go): the body byte for byte, JSON or not; with `Content-Type`
/// `application/vnd.aws.lambda.error.cause+json` (compared exactly), the document reduced to
/// `errorMessage`, `errorType` and `stackTrace`, or the JSON string `"Invalid error body"` when
/// it is no such document (mime_type_error_cause_json.go).
pub(crate) fn invocation_error_payload(content_type: Option<&str>, body: Bytes) -> Bytes {
    if content_type != Some(ERROR_WITH_CAUSE) {
        return body;
    }
    match ErrorWithCause::parse(&body) {
        Some(document) => document.encode(),
        None => Bytes::from_static(br#""Invalid error body""#),
    }
}

/// What Lambda keeps of an `application/vnd.aws.lambda.error.cause+json` document.
struct ErrorWithCause {
    message: String,
    error_type: String,
    stack_trace: Vec<String>,
}

impl ErrorWithCause {
    /// Read as Go's encoding/json fills RIE's struct: an object (or `null`), other keys ignored,
    /// a key matched case-insensitively when no exact one is there, a missing or `null` field
    /// left empty, a field of another type an error.
    fn parse(body: &[u8]) -> Option<ErrorWithCause> {
        use serde_json::Value;
        // Go replaces invalid UTF-8 inside strings with U+FFFD instead of refusing it.
        let text = String::from_utf8_lossy(body);
        let object = match serde_json::from_str::<Value>(&text).ok()? {
            Value::Object(object) => object,
            Value::Null => serde_json::Map::new(),
            _ => return None,
        };
        let field = |name: &str| {
            object.get(name).or_else(|| {
                object
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value)
            })
        };
        let string = |value: Option<&Value>| match value {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        };
        let stack_trace = match field("stackTrace") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| string(Some(item)))
                .collect::<Option<_>>()?,
            Some(_) => return None,
        };
        Some(ErrorWithCause {
            message: string(field("errorMessage"))?,
            error_type: string(field("errorType"))?,
            stack_trace,
        })
    }

    /// RIE's model.ErrorResponse as Go encodes it: `errorMessage`, `errorType`, then
    /// `stackTrace` unless empty, with `<`, `>`, `&`, U+2028 and U+2029 escaped.
    fn encode(&self) -> Bytes {
        let quoted = |s: &str| serde_json::Value::from(s).to_string();
        let mut text = format!(
            r#"{{"errorMessage":{},"errorType":{}"#,
            quoted(&self.message),
            quoted(&self.error_type)
        );
        if !self.stack_trace.is_empty() {
            let frames: Vec<String> = self.stack_trace.iter().map(|f| quoted(f)).collect();
            text.push_str(&format!(r#","stackTrace":[{}]}}"#, frames.join(",")));
        } else {
            text.push('}');
        }
        // Only the strings can hold these characters.
        let text = text
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029");
        Bytes::from(text)
    }
}

/// The payload for a failure a streamed response reported in its trailers: the runtime's
/// document when it sent JSON, else one built from the error type.
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

/// The error type of a response over the payload limit.
pub(crate) const RESPONSE_TOO_LARGE: &str = "Function.ResponseSizeTooLarge";

/// The error document of a response over `limit` bytes. AWS (recorded 2025, LocalStack
/// `test_lambda_too_large_response`): unlike the timeout's and the exit's documents, this one
/// puts `errorMessage` first.
pub(crate) fn response_too_large(limit: usize) -> Bytes {
    let message =
        format!("Response payload size exceeded maximum allowed payload size ({limit} bytes).");
    Bytes::from(
        serde_json::json!({ "errorMessage": message, "errorType": RESPONSE_TOO_LARGE }).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_response_over_the_limit_is_reported_message_first() {
        assert_eq!(
            response_too_large(crate::MAX_RESPONSE_PAYLOAD),
            Bytes::from_static(
                br#"{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}"#
            )
        );
    }

    #[test]
    fn error_bodies_pass_through_unless_they_ask_for_the_cause_filter() {
        let raw = Bytes::from_static(b"not json at all");
        assert_eq!(invocation_error_payload(None, raw.clone()), raw);
        assert_eq!(
            invocation_error_payload(Some("application/json"), raw.clone()),
            raw
        );
        let with_cause = Some(ERROR_WITH_CAUSE);
        assert_eq!(
            invocation_error_payload(with_cause, raw),
            Bytes::from_static(br#""Invalid error body""#)
        );
        let document = Bytes::from_static(
            br#"{"errorType":"E","errorMessage":"a<b & c","stackTrace":["f1"],"errorCause":{"x":1},"extra":2}"#,
        );
        assert_eq!(
            invocation_error_payload(with_cause, document),
            Bytes::from_static(
                br#"{"errorMessage":"a\u003cb \u0026 c","errorType":"E","stackTrace":["f1"]}"#
            )
        );
        // Missing fields are empty, an empty trace is left out, a wrong type is no document.
        assert_eq!(
            invocation_error_payload(with_cause, Bytes::from_static(br#"{"stackTrace":[]}"#)),
            Bytes::from_static(br#"{"errorMessage":"","errorType":""}"#)
        );
        assert_eq!(
            invocation_error_payload(with_cause, Bytes::from_static(br#"{"errorType":5}"#)),
            Bytes::from_static(br#""Invalid error body""#)
        );
        // Same content type with parameters is not the same content type to AWS.
        let json = Bytes::from_static(br#"{"errorCause":1}"#);
        assert_eq!(
            invocation_error_payload(
                Some("application/vnd.aws.lambda.error.cause+json; charset=utf-8"),
                json.clone()
            ),
            json
        );
    }

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
