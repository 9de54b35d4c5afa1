//! The Lambda service: functions run as real processes ("sandboxes") that speak the documented
//! Lambda Runtime API to a loopback listener of their own.
//!
//! The way in is [`Lambda::invoke`]: bytes in, bytes (or a typed function error) out; callers
//! that relay streamed responses use [`Lambda::invoke_streaming`] and get the chunks as the
//! runtime sends them. This crate knows nothing about HTTP routes or templates; the caller
//! converts its functions into [`FunctionSpec`]s. The root only names the modules: each type
//! lives in the module of its job.

mod bootstrap;
mod config;
mod detach;
mod error;
mod event_queue;
mod extensions;
mod interpreters;
mod invocation;
mod invocation_log;
pub mod invoke_api;
mod limits;
mod lock;
mod memory;
mod pool;
mod runtime_api;
mod sandbox;
mod sandbox_env;
mod service;
mod spec;
pub mod stream_poller;
mod versions;

pub use config::{InitLine, LambdaConfig, LogSink, SandboxCgroups, AWS_EVENT_RETRY_DELAYS};
pub use error::LambdaError;
pub use interpreters::{
    find_on_path, is_executable, matching_interpreter, resolve_interpreters_in_background,
};
pub use invocation::{
    Invocation, InvokeError, InvokeOptions, InvokeResponse, ReportFigures, StreamFailure,
    StreamingInvocation,
};
pub use limits::{
    MAX_EVENT_PAYLOAD, MAX_REQUEST_PAYLOAD, MAX_RESPONSE_PAYLOAD, MAX_STREAMED_RESPONSE,
};
pub use pool::SandboxCount;
pub use service::{BackgroundWork, Lambda};
pub use spec::{CodeSource, DebugOptions, Destination, EventInvokeConfig, FunctionSpec};
