//! Lambda's payload limits.

/// Largest synchronous request payload Lambda accepts (6 MB).
pub const MAX_REQUEST_PAYLOAD: usize = 6 * 1024 * 1024;
/// Largest synchronous response payload Lambda accepts (AWS allows 100 bytes over 6 MB).
pub const MAX_RESPONSE_PAYLOAD: usize = 6 * 1024 * 1024 + 100;
/// Largest payload of an asynchronous (`Event`) invocation: 1 MB since AWS raised it from 256 KB.
pub const MAX_EVENT_PAYLOAD: usize = 1024 * 1024;
/// Largest streamed response (`InvokeWithResponseStream`, Function URLs in `RESPONSE_STREAM` mode):
/// AWS's documented soft limit of 20 MB.
pub const MAX_STREAMED_RESPONSE: usize = 20 * 1024 * 1024;
