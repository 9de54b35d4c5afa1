//! The emulated API Gateway's limits and identity.

use std::time::Duration;

use sluice_aws_env::AwsEnv;

/// Limits and identity of the emulated API Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayOptions {
    /// How long the gateway waits for a REST integration whose route sets no `TimeoutInMillis`
    /// (AWS: 29 s) before answering 504.
    pub integration_timeout: Duration,
    /// Largest request body accepted (AWS: 10 MB) before answering 413.
    pub max_body_bytes: usize,
    /// Largest request line plus header values accepted (AWS: 10240 bytes) before answering 431.
    pub max_header_bytes: usize,
    /// How long a client may send nothing while its body is incomplete before the gateway gives
    /// up (408), so stalled uploads do not hold connections.
    pub body_idle_timeout: Duration,
    /// Region and account the gateway pretends to run in (`requestContext.accountId`).
    pub aws: AwsEnv,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            integration_timeout: Duration::from_secs(29),
            max_body_bytes: 10 * 1024 * 1024,
            max_header_bytes: 10 * 1024,
            body_idle_timeout: Duration::from_secs(10),
            aws: AwsEnv::default(),
        }
    }
}
