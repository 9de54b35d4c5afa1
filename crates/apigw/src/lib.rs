//! The API Gateway data plane (REST APIs, HTTP APIs, Function URLs): route → (guards) → integrate
//! → map response → access log.
//!
//! One module per phase of a request (see `gateway.rs` for the walk); the gateway reaches Lambda only
//! through [`Invoke`].

mod access_log;
mod api;
pub mod auth;
mod binary_media;
mod body;
mod borrowed_json;
mod cache_key;
mod cors;
mod dialect;
mod exchange;
mod execution_log;
mod function_url;
// Entry points for `fuzz/`, kept out of the documented API.
#[doc(hidden)]
pub mod fuzzing;
mod gateway;
mod gateway_error;
mod gateway_responses;
mod header_rules;
mod http_api_event;
mod http_api_response;
mod http_integration;
mod http_proxy;
pub mod integration;
mod json_path;
mod mapped_integration;
mod mapping_template;
mod options;
pub mod outbound_proxy;
mod parameter_mapping;
mod proxy;
mod request_event;
mod request_validator;
mod request_values;
mod response_body;
mod response_mapping;
mod response_parts;
mod route_table;
mod stage_access_log;
mod streamed_response;
pub mod tls;

pub use access_log::{
    AccessLog, AccessRecord, ExecutionLogLines, Rejection, RouteRecord, StageLogLine,
};
pub use api::function_url_id;
pub use auth::{GuardInputs, GuardState, Guards};
pub use dialect::Dialect;
pub use exchange::{PinnedFunctionUrl, RawHeaderNames};
pub use function_url::function_url_addresses;
pub use gateway::{Apis, Gateway};
pub use integration::{
    CallHttp, CallService, ChunkSource, EventFuture, FunctionAnswer, HttpAnswer, HttpCallError,
    HttpFuture, Invoke, InvokeError, InvokeFuture, ResponseStream, ServiceAnswer, ServiceFuture,
    StreamFailed, StreamingInvokeFuture,
};
pub use options::GatewayOptions;
pub use response_body::{ResponseBody, StreamAborted};
pub use route_table::RouteError;

/// Checks that `apis` form one route table (no route twice, every path one API Gateway accepts),
/// as [`Gateway::serving`] does, without building a gateway (for `sluice validate`).
pub fn check_routes(apis: Apis<'_>) -> Result<(), RouteError> {
    gateway::compile(apis).map(|_| ())
}
