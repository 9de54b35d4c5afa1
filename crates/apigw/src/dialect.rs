//! The kind of API a request is for, and everything that differs between kinds: the event the
//! function gets, how its answer becomes a response, the error bodies, the headers the gateway
//! stamps and the integration timeout.
//!
//! Chosen once, at routing (the matched route's kind; before routing, the gateway's default), so REST
//! APIs, HTTP APIs and Function URLs walk the same phases instead of each having a pipeline.
//!
//! The enum is a leaf every stage can name; what each kind does lives in `proxy.rs`.

use sluice_template::PayloadFormat;

/// One kind of API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// API Gateway REST API with Lambda proxy integration (payload format 1.0).
    #[default]
    Rest,
    /// API Gateway HTTP API with a Lambda integration of this payload format.
    HttpApi(PayloadFormat),
    /// A Lambda Function URL (payload 2.0, Lambda's own error answers).
    FunctionUrl,
}
