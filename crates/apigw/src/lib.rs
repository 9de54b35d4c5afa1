//! The API Gateway data plane: route → (guards) → integrate → map response → access log.
//!
//! One module per phase of a request (see `gateway.rs` for the walk); the gateway reaches Lambda only
//! through [`Invoke`].

mod access_log;
mod api;
pub mod auth;
mod binary_media;
mod body;
mod dialect;
mod exchange;
mod gateway;
mod gateway_error;
pub mod integration;
mod request_event;
mod response_mapping;
mod route_table;

pub use access_log::{AccessLog, AccessRecord};
pub use auth::{GuardInputs, GuardState, Guards};
pub use dialect::Dialect;
pub use exchange::RawHeaderNames;
pub use gateway::{Gateway, GatewayOptions};
pub use integration::{Invoke, InvokeError, InvokeFuture};
pub use route_table::RouteError;

/// Checks that `apis` form one route table (no route twice, every path one API Gateway accepts),
/// as [`Gateway::new`] does, without building a gateway (for `sluice validate`).
pub fn check_routes(apis: &[sluice_template::RestApi]) -> Result<(), RouteError> {
    route_table::RouteTable::new(apis).map(|_| ())
}
