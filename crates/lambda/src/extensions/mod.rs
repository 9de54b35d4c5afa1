//! Lambda extensions: external ones (executables in a layer's `extensions/` folder, Lambda's
//! `/opt/extensions`) that speak the Extensions API on the sandbox's Runtime API listener, internal
//! ones the runtime process registers, and wrapper scripts (`AWS_LAMBDA_EXEC_WRAPPER`).
//!
//! [`registry`] is the lifecycle state, [`api`] the HTTP endpoints over it, [`telemetry`] the
//! Telemetry and Logs API subscriptions and their deliveries, [`wrapper`] the runtime's start
//! through a wrapper script. The sandbox's supervisor drives the phases.

pub(crate) mod api;
pub(crate) mod registry;
pub(crate) mod telemetry;
pub(crate) mod wrapper;

pub(crate) use api::FunctionInfo;
pub(crate) use registry::{Event, EventKind, Failure, Registry, ShutdownReason};
pub(crate) use telemetry::Telemetry;

use std::time::Duration;

/// AWS: the Shutdown phase lasts at most 2,000 ms with external extensions registered.
pub(crate) const SHUTDOWN_LIMIT_EXTERNAL: Duration = Duration::from_millis(2000);
/// AWS: 500 ms when only internal extensions are registered.
pub(crate) const SHUTDOWN_LIMIT_INTERNAL: Duration = Duration::from_millis(500);
/// AWS: of that, the runtime gets up to 300 ms after SIGTERM (500 ms with an internal extension).
pub(crate) const RUNTIME_GRACE: Duration = Duration::from_millis(300);
