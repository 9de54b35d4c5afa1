//! Phase access log: one record per request, handed to whoever prints or stores it.

use std::time::Duration;

/// What the gateway did with one request, for an access log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    /// `requestContext.requestId`.
    pub request_id: String,
    /// The method as the client sent it.
    pub method: String,
    /// The raw path and query as the client sent them.
    pub path: String,
    /// The protocol the client spoke (`HTTP/1.1`, `HTTP/1.0`).
    pub protocol: &'static str,
    /// The status the gateway answered with.
    pub status: u16,
    /// From the request head to the response being ready.
    pub elapsed: Duration,
    // Later phases add what decided the outcome here: the authorizer, cache hits, the limit that
    // throttled.
}

/// Receives one [`AccessRecord`] per request (the terminal, a file, a test buffer).
pub trait AccessLog: Send + Sync + 'static {
    /// Records one request.
    fn record(&self, record: &AccessRecord);
}
