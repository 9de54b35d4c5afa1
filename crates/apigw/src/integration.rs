//! The one narrow interface between the gateway and Lambda: invoke a function with bytes, get bytes
//! or a typed failure back. The gateway never knows how functions run.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

/// A boxed invocation future (object-safe so the gateway can hold `Arc<dyn Invoke>`).
pub type InvokeFuture<'a> = Pin<Box<dyn Future<Output = Result<Bytes, InvokeError>> + Send + 'a>>;

/// Synchronous (RequestResponse) Lambda invocation, as the proxy integration uses it.
pub trait Invoke: Send + Sync + 'static {
    /// Invoke the function with this logical id; resolves to the function's response payload.
    fn invoke<'a>(&'a self, function: &'a str, payload: Bytes) -> InvokeFuture<'a>;
}

/// Why an invocation produced no usable response payload.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    /// The function ran and failed: unhandled error, timeout, crash, oversized response.
    /// API Gateway answers 502 for a REST API.
    #[error("function error: {}", String::from_utf8_lossy(.payload))]
    Function {
        /// The error payload (`{"errorMessage":…,"errorType":…}`), for the log.
        payload: Bytes,
    },
    /// Lambda refused the invocation (throttled, missing function, request too large): API Gateway's
    /// INTEGRATION_FAILURE, 500 for a REST API.
    #[error("{error_type}: {message}")]
    Rejected {
        /// Lambda's error type, e.g. `TooManyRequestsException`.
        error_type: String,
        /// Lambda's message.
        message: String,
    },
}
