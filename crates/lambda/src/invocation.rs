//! What an invocation gives back: the function's answer, or why Lambda refused to run it.

use bytes::Bytes;

/// What a caller can choose about an invocation besides its payload.
#[derive(Debug, Clone, Default)]
pub struct InvokeOptions {
    /// The client context (JSON text): `context.client_context` in python, `context.clientContext`
    /// in node.
    pub client_context: Option<String>,
    /// The request id the function sees; a fresh one when `None`. Callers that have already
    /// answered with an id (the Invoke API's 202, a Function URL's `x-amzn-RequestId`) pass it,
    /// so the function, its log lines and the caller's answer name the same invocation.
    pub request_id: Option<String>,
    /// The version or alias the caller named (`$LATEST`, an `AutoPublishAlias` alias, or `1`,
    /// the version that alias points at after a first `sam deploy`); `None` for the bare name.
    pub qualifier: Option<String>,
    /// The tenant the invocation runs for (Invoke's `X-Amz-Tenant-Id`): required by a
    /// tenant-isolated function, refused by any other.
    pub tenant_id: Option<String>,
}

impl InvokeOptions {
    /// The version that runs (`X-Amz-Executed-Version`, the START line's `Version`): `$LATEST`
    /// unqualified, else the published version an alias or version qualifier names.
    pub fn executed_version(&self) -> &'static str {
        match self.qualifier.as_deref() {
            None | Some("$LATEST") => "$LATEST",
            Some(_) => PUBLISHED_VERSION,
        }
    }
}

pub use sluice_aws_env::PUBLISHED_VERSION;

/// The outcome of a synchronous invocation that reached the function.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The request id the function saw.
    pub request_id: String,
    /// The response payload, or the error document on a function error.
    pub payload: Bytes,
    /// `Some("Unhandled")` when the function failed (Lambda's `X-Amz-Function-Error`).
    pub function_error: Option<String>,
    /// This invocation's log lines, START to REPORT, newline-separated.
    pub log_tail: String,
    /// The X-Ray trace header the runtime was given (`_X_AMZN_TRACE_ID`); AWS's SDKs send it
    /// as `X-Amzn-Trace-Id` on every call the handler makes, which ties those calls to this
    /// invocation. Empty when no runtime ran.
    pub trace_id: String,
    /// The figures of the REPORT line in `log_tail`; `None` when there is none yet (extensions
    /// still at work on the invocation) or none at all (the sandbox could not start).
    pub report: Option<ReportFigures>,
}

/// The figures of an invocation's REPORT line that statistics and costs need, as numbers (so
/// nobody parses the line back).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportFigures {
    /// `Duration`, in milliseconds.
    pub duration_ms: f64,
    /// `Billed Duration`, in milliseconds.
    pub billed_ms: u64,
    /// `Memory Size`, in MB.
    pub memory_mb: u64,
    /// The line has an `Init Duration`: the sandbox started for this invocation.
    pub cold: bool,
}

impl ReportFigures {
    /// Billed GB-seconds.
    pub fn gb_seconds(&self) -> f64 {
        self.billed_ms as f64 / 1000.0 * self.memory_mb as f64 / 1024.0
    }
}

/// What a synchronous invocation that may stream gives back: a streamed answer as soon as the
/// runtime starts streaming, else the whole answer.
#[derive(Debug)]
pub enum InvokeResponse {
    /// The runtime answered at once (a handler that does not stream, or a function error before
    /// any byte was streamed).
    Buffered(Invocation),
    /// The runtime streams its answer; the body arrives chunk by chunk.
    Streaming(StreamingInvocation),
}

/// A response the runtime is streaming (`Lambda-Runtime-Function-Response-Mode: streaming`).
#[derive(Debug)]
pub struct StreamingInvocation {
    /// The request id the function saw.
    pub request_id: String,
    /// The runtime's `Content-Type` (`application/vnd.awslambda.http-integration-response` when
    /// node's `HttpResponseStream` prefixes the body with its HTTP prelude).
    pub content_type: String,
    /// The body's chunks as the runtime sends them. An `Err` ends the stream (the function failed
    /// or timed out mid-stream); the channel closing after `Ok`s only is a complete response.
    pub body: tokio::sync::mpsc::Receiver<Result<Bytes, StreamFailure>>,
}

/// Why a streamed response ended early.
#[derive(Debug, Clone)]
pub struct StreamFailure {
    /// Lambda's error type (`Sandbox.Timedout`, the handler's error name, ...).
    pub error_type: String,
    /// The error document (`{"errorType","errorMessage"}`).
    pub payload: Bytes,
}

/// Errors that stop an invocation before it reaches a function (Lambda Invoke API errors).
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// No function by that name.
    #[error("Function not found: {arn}")]
    ResourceNotFound {
        /// ARN of the missing function.
        arn: String,
    },
    /// The function's reserved concurrency is exhausted.
    #[error("Rate Exceeded.")]
    TooManyRequests {
        /// The throttled function.
        function: String,
    },
    /// The request payload is over 6 MB.
    #[error("Request must be smaller than {limit} bytes for the InvokeFunction operation")]
    RequestTooLarge {
        /// Size of the rejected payload.
        size: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// An asynchronous (`Event`) invocation's payload is over its limit.
    #[error(
        "{size} byte payload is too large for the Event invocation type (limit {limit} bytes)"
    )]
    EventTooLarge {
        /// Size of the rejected payload.
        size: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// The tenant id does not suit the function: none for a tenant-isolated function, or one
    /// for a function without tenant isolation.
    #[error("{message}")]
    InvalidTenant {
        /// What is wrong.
        message: String,
    },
    /// Sluice could not run the invocation (its fault, not the function's).
    #[error("{message}")]
    Service {
        /// What went wrong.
        message: String,
    },
}

impl InvokeError {
    /// Lambda's error type name for this error (the `x-amzn-ErrorType` / `__type`).
    pub fn error_type(&self) -> &'static str {
        match self {
            InvokeError::ResourceNotFound { .. } => "ResourceNotFoundException",
            InvokeError::TooManyRequests { .. } => "TooManyRequestsException",
            // AWS: Invoke answers an oversized payload with this code, though Lambda's model
            // lists only RequestTooLargeException (recorded: "Status Code: 413; Error Code:
            // RequestEntityTooLargeException").
            InvokeError::RequestTooLarge { .. } | InvokeError::EventTooLarge { .. } => {
                "RequestEntityTooLargeException"
            }
            InvokeError::InvalidTenant { .. } => "InvalidParameterValueException",
            InvokeError::Service { .. } => "ServiceException",
        }
    }

    /// The HTTP status Lambda's Invoke API answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            InvokeError::ResourceNotFound { .. } => 404,
            InvokeError::TooManyRequests { .. } => 429,
            InvokeError::RequestTooLarge { .. } | InvokeError::EventTooLarge { .. } => 413,
            InvokeError::InvalidTenant { .. } => 400,
            InvokeError::Service { .. } => 500,
        }
    }
}
