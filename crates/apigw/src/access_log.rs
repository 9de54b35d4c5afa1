//! Phase access log: one record per request, handed to whoever prints or stores it.

use std::sync::Arc;
use std::time::Duration;

/// What the gateway did with one request, for an access log line. `Default` lets records made
/// outside the gateway (static files) leave the phase findings empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    /// The authorizer that decided (its name in `Auth.Authorizers`, or `AWS_IAM`), if any ran.
    pub authorizer: Option<String>,
    /// Whether the authorizer's answer came from its cache: a Lambda authorizer's result cache, or a
    /// JWT whose signature was verified on an earlier request (`None`: no cacheable authorizer).
    pub authorizer_cache_hit: Option<bool>,
    /// Whether the response came from the stage cache (`None`: caching off for the route).
    pub response_cache_hit: Option<bool>,
    /// The route the request matched, if any (the console and the cost report count by it).
    pub route: Option<RouteRecord>,
    /// The limit that refused the request (`usage plan P key K`, `quota …`, `method …`, `stage`,
    /// `account`).
    pub throttled_by: Option<String>,
    /// Why the gateway refused the request before its integration, when that refusal is one API
    /// Gateway does not bill (the cost report leaves these requests out).
    pub rejected: Option<Rejection>,
    /// The line the matched API's stage access log (`AccessLogSetting(s)`) writes for this
    /// request; `None` when its stage logs nothing.
    pub stage_log: Option<StageLogLine>,
    /// The lines the matched REST API stage's execution log (`MethodSettings` `LoggingLevel`)
    /// writes for this request; `None` when its method logs nothing.
    pub execution_log: Option<ExecutionLogLines>,
}

/// One line of a stage's access log, for the CloudWatch Logs group its `DestinationArn` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageLogLine {
    /// The log group.
    pub group: Arc<str>,
    /// The stream within the group: one per API stage, stable across restarts.
    pub stream: Arc<str>,
    /// The stage's `Format`, its `$context` variables substituted.
    pub message: String,
}

/// One request's lines in a REST API stage's execution log, for the CloudWatch Logs group
/// `API-Gateway-Execution-Logs_{restApiId}/{stageName}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionLogLines {
    /// The log group.
    pub group: Arc<str>,
    /// The stream within the group: one per API stage, stable across restarts.
    pub stream: Arc<str>,
    /// Each line (its message starting `(<requestId>) `) with when it happened, in milliseconds
    /// since the epoch, in order.
    pub lines: Vec<(i64, String)>,
}

/// A refusal API Gateway does not charge for: "Calling methods with the authorization type of
/// AWS_IAM, CUSTOM, and COGNITO_USER_POOLS are not charged for authorization and authentication
/// failures", nor "when API keys are missing or invalid", nor when "API Gateway-throttled" or
/// "usage plan-throttled" (developer guide, "API Gateway pricing",
/// docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-pricing.html).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// An authorizer (Lambda, JWT, Cognito, IAM) refused the caller: 401 or 403.
    Authorization,
    /// The API key is missing, unknown, disabled or not in a usage plan of the API: 403.
    ApiKey,
    /// A throttle or usage plan quota refused the request: 429.
    Throttled,
}

/// The route a request matched, as the access record names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRecord {
    /// The API's logical id (or the function's, for a Function URL).
    pub api: Arc<str>,
    /// `GET /items/{id}`, `ANY /{proxy+}` or `$default`, as the template declares it.
    pub key: Arc<str>,
    /// The function's logical id.
    pub function: Arc<str>,
    /// The kind of API that answered (the front door the cost report prices).
    pub dialect: crate::Dialect,
}

/// Receives one [`AccessRecord`] per request (the terminal, a file, a test buffer).
pub trait AccessLog: Send + Sync + 'static {
    /// Records one request.
    fn record(&self, record: &AccessRecord);
}
