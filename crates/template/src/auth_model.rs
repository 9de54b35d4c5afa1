//! Authentication and traffic control as the template declares them: authorizers, user pools, API
//! keys, usage plans and method settings, resolved per API and per route.

use std::collections::BTreeMap;

/// Everything the gateway needs to authorize and limit requests; empty when the template sets none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthModel {
    /// Per API logical id (`ServerlessRestApi` for the implicit API).
    pub apis: BTreeMap<String, ApiAuth>,
    /// `AWS::Cognito::UserPool` resources, each served by Sluice's local issuer.
    pub user_pools: Vec<UserPool>,
    /// `AWS::ApiGateway::ApiKey` resources and the keys SAM creates for `Auth.UsagePlan`.
    pub api_keys: Vec<ApiKey>,
    /// `AWS::ApiGateway::UsagePlan` resources and the plans SAM creates for `Auth.UsagePlan`.
    pub usage_plans: Vec<UsagePlan>,
}

/// One API's authorizers, per-route decisions and stage settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiAuth {
    /// `Auth.Authorizers`, by name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// One entry per route (method, path as written) that needs anything.
    pub routes: Vec<RouteAuth>,
    /// `MethodSettings`, in template order.
    pub method_settings: Vec<MethodSetting>,
    /// `ApiKeySourceType: AUTHORIZER` (the key comes from the authorizer's `usageIdentifierKey`).
    pub api_key_from_authorizer: bool,
    /// `CacheClusterEnabled`.
    pub cache_cluster_enabled: bool,
    /// `Auth.DefaultAuthorizer` (SAM applies it to the paths of `DefinitionBody` too).
    pub default_authorizer: Option<RouteAuthorizer>,
    /// `Auth.ApiKeyRequired`, the API's default.
    pub default_api_key_required: bool,
    /// `Auth.AddDefaultAuthorizerToCorsPreflight` (SAM's default: true).
    pub default_authorizer_on_preflight: bool,
    /// `Auth.AddApiKeyRequiredToCorsPreflight` (SAM's default: true).
    pub api_key_on_preflight: bool,
    /// Guards of routes that raw `AWS::ApiGateway::Method`s define, by the route's `event_name`
    /// (`Resources.<MethodId>`).
    pub methods: BTreeMap<String, MethodAuth>,
    /// An HTTP API stage's `DefaultRouteSettings` / `RouteSettings` throttling (REST APIs use
    /// `method_settings`).
    pub route_throttling: RouteThrottling,
}

/// An HTTP API stage's route throttling, as `DefaultRouteSettings` and `RouteSettings` declare it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteThrottling {
    /// `DefaultRouteSettings`: the limits of every route without a `RouteSettings` entry of its own.
    pub default: Option<RouteLimits>,
    /// `RouteSettings` entries that set a limit (SAM's event-level ones merged in), by route key
    /// (`GET /items/{id}`, `$default`).
    pub routes: BTreeMap<String, RouteLimits>,
}

/// `ThrottlingRateLimit` and `ThrottlingBurstLimit` of a route setting; one left out is the
/// account's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteLimits {
    /// `ThrottlingRateLimit` (requests per second).
    pub rate_limit: Option<f64>,
    /// `ThrottlingBurstLimit`.
    pub burst_limit: Option<u32>,
}

impl RouteThrottling {
    /// The limits of the route `route_key`: its own `RouteSettings` entry when it sets a limit
    /// (the whole entry, not merged field by field with the default), else `DefaultRouteSettings`.
    pub fn for_route(&self, route_key: &str) -> Option<RouteLimits> {
        self.routes
            .get(route_key)
            .or(self.default.as_ref())
            .copied()
    }

    /// Whether no route is limited.
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.routes.is_empty()
    }
}

/// `AuthorizationType`, `AuthorizerId` and `ApiKeyRequired` of a raw `AWS::ApiGateway::Method`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodAuth {
    /// `AWS_IAM`.
    pub iam: bool,
    /// `CUSTOM` / `COGNITO_USER_POOLS`: the `AWS::ApiGateway::Authorizer` (a key of the API's
    /// `authorizers`) that `AuthorizerId` names.
    pub authorizer: Option<String>,
    /// `AuthorizationScopes` (for a Cognito authorizer).
    pub scopes: Vec<String>,
    /// A setting that cannot be enforced (an `AuthorizerId` that names no authorizer of the API).
    pub unenforceable: Option<String>,
    /// `ApiKeyRequired`.
    pub api_key_required: bool,
}

/// What guards one route, after `DefaultAuthorizer` and the event's `Auth` are combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteAuth {
    /// Upper-case method or `ANY`, as the route has it.
    pub method: String,
    /// The resource path as written.
    pub path: String,
    /// Who authorizes it.
    pub authorizer: RouteAuthorizer,
    /// `AuthorizationScopes` for a Cognito authorizer (the route's, else the authorizer's).
    pub scopes: Vec<String>,
    /// Whether an API key is required.
    pub api_key_required: bool,
}

/// Who authorizes a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAuthorizer {
    /// Open route (`Authorizer: NONE` or no default).
    None,
    /// A named entry of `Auth.Authorizers`.
    Named(String),
    /// `AWS_IAM`: SigV4-signed requests.
    Iam,
}

/// One entry of `Auth.Authorizers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorizer {
    /// A Cognito user pool authorizer (`UserPoolArn`).
    Cognito(CognitoAuthorizer),
    /// A Lambda authorizer (`FunctionArn`), TOKEN or REQUEST.
    Lambda(LambdaAuthorizer),
    /// An HTTP API JWT authorizer (`JwtConfiguration`).
    Jwt(JwtAuthorizer),
    /// A setting Sluice cannot enforce; routes using it answer 500 (fail closed).
    Unenforceable(String),
}

/// `UserPoolArn` and the token's place in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoAuthorizer {
    /// The pools whose tokens are accepted.
    pub pools: Vec<PoolRef>,
    /// `Identity.Header` (default `Authorization`).
    pub header: String,
    /// `Identity.ValidationExpression`, a regular expression the token must match.
    pub validation_expression: Option<String>,
    /// `Identity.ReauthorizeEvery` (seconds; AWS default 300).
    pub ttl_secs: u32,
    /// `AuthorizationScopes` of the authorizer: the default for its routes.
    pub scopes: Vec<String>,
}

/// A user pool an authorizer trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolRef {
    /// An `AWS::Cognito::UserPool` of this template (by logical id).
    Local(String),
    /// A pool elsewhere, by ARN (its JWKS must be supplied to Sluice).
    Arn(String),
}

/// A Lambda authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaAuthorizer {
    /// The function: a logical id of this template, else the name in `FunctionArn`.
    pub function: String,
    /// The version or alias `FunctionArn` / `authorizerUri` names (`live` of `!Ref Fn.Alias`), which
    /// API Gateway invokes; `None`: the unqualified function, which Lambda runs as `$LATEST`.
    pub qualifier: Option<String>,
    /// TOKEN or REQUEST, with its identity sources.
    pub payload: LambdaPayload,
    /// `ReauthorizeEvery` in seconds (default 300, 0 disables the cache, max 3600).
    pub ttl_secs: u32,
    /// How an HTTP API talks to it; `None` for a REST API's authorizer.
    pub http: Option<HttpLambdaFormat>,
}

/// An HTTP API Lambda authorizer's `AuthorizerPayloadFormatVersion` and `EnableSimpleResponses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLambdaFormat {
    /// Payload format 2.0 (else 1.0, the REST-like request).
    pub v2: bool,
    /// `{"isAuthorized": bool, "context": {...}}` answers (2.0 only) instead of IAM policies.
    pub simple_responses: bool,
}

/// An HTTP API JWT authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtAuthorizer {
    /// `JwtConfiguration.issuer`: the exact `iss`, and whose keys verify the token.
    pub issuer: String,
    /// `JwtConfiguration.audience`: `aud` (or `client_id` without `aud`) must be one of them.
    pub audiences: Vec<String>,
    /// `IdentitySource` (`$request.header.Authorization` by default).
    pub identity: IdentitySource,
    /// `AuthorizationScopes` of the authorizer (SAM): the default for its routes.
    pub scopes: Vec<String>,
}

/// `FunctionPayloadType` and its identity sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LambdaPayload {
    /// The token from one header.
    Token {
        /// `Identity.Header` (default `Authorization`).
        header: String,
        /// `Identity.ValidationExpression`.
        validation_expression: Option<String>,
    },
    /// The request's parameters; these identity sources key the cache and must all be present.
    Request {
        /// `Identity.Headers`, `QueryStrings`, `StageVariables`, `Context`, in that order.
        identity: Vec<IdentitySource>,
    },
}

/// One identity source of a REQUEST authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `method.request.header.NAME`.
    Header(String),
    /// `method.request.querystring.NAME`.
    Query(String),
    /// `stageVariables.NAME`.
    StageVariable(String),
    /// `context.NAME`.
    Context(String),
}

/// One entry of `MethodSettings`.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodSetting {
    /// `ResourcePath` with `~1` unescaped (`/*` for every resource).
    pub resource_path: String,
    /// `HttpMethod` (`*` for every method).
    pub http_method: String,
    /// `ThrottlingRateLimit` (requests per second).
    pub rate_limit: Option<f64>,
    /// `ThrottlingBurstLimit`.
    pub burst_limit: Option<u32>,
    /// `CachingEnabled`.
    pub caching_enabled: Option<bool>,
    /// `CacheTtlInSeconds`.
    pub cache_ttl_secs: Option<u32>,
    /// `LoggingLevel`: which execution log lines the method writes.
    pub logging_level: Option<LoggingLevel>,
    /// `DataTraceEnabled`: whether its execution log carries the request's and response's
    /// headers and bodies.
    pub data_trace_enabled: Option<bool>,
}

/// A method's `LoggingLevel`: the execution log lines API Gateway writes for it to
/// `API-Gateway-Execution-Logs_{restApiId}/{stageName}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LoggingLevel {
    /// `OFF`: none.
    Off,
    /// `ERROR`: only those of a request that failed.
    Error,
    /// `INFO`: every request's.
    Info,
}

/// An `AWS::Cognito::UserPool`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    /// The resource's logical id.
    pub logical_id: String,
    /// `<region>_<9 characters>`, stable per logical id (what `!Ref` gives).
    pub pool_id: String,
    /// Its `AWS::Cognito::UserPoolClient`s.
    pub clients: Vec<UserPoolClient>,
}

/// An `AWS::Cognito::UserPoolClient`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolClient {
    /// The resource's logical id.
    pub logical_id: String,
    /// 26 lower-case alphanumerics, stable per logical id (what `!Ref` gives).
    pub client_id: String,
}

/// An API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The resource's logical id (or the one SAM gives a generated key).
    pub logical_id: String,
    /// `Value`; `None` → Sluice generates one and keeps it in the state folder.
    pub value: Option<String>,
    /// `Enabled` (CloudFormation's default is false; SAM's generated keys are enabled).
    pub enabled: bool,
}

/// A usage plan: which API stages it covers, its limits and its keys.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlan {
    /// The resource's logical id (or the one SAM gives a generated plan).
    pub logical_id: String,
    /// Logical ids of the APIs it covers.
    pub apis: Vec<String>,
    /// Per-key token bucket.
    pub throttle: Option<Throttle>,
    /// `ApiStages[].Throttle`: per-key token buckets of single methods (besides `throttle`).
    pub method_throttles: Vec<PlanMethodThrottle>,
    /// Per-key quota.
    pub quota: Option<Quota>,
    /// Logical ids of its keys.
    pub keys: Vec<String>,
}

/// One entry of a usage plan's `ApiStages[].Throttle` (`/pets/GET: {RateLimit, BurstLimit}`).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanMethodThrottle {
    /// Logical id of the API of the stage.
    pub api: String,
    /// The method's resource path, without a trailing slash (`/pets`, `/` for the root).
    pub resource_path: String,
    /// The method, as written (`GET`).
    pub http_method: String,
    /// Its limits, for each key of the plan.
    pub throttle: Throttle,
}

/// A token bucket: steady rate and burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    /// Requests per second.
    pub rate_limit: f64,
    /// Bucket size.
    pub burst_limit: u32,
}

/// Requests per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per period.
    pub limit: u64,
    /// DAY, WEEK or MONTH.
    pub period: QuotaPeriod,
    /// Days (WEEK: 0–6, MONTH: 0–27) the period starts after its natural start.
    pub offset: u32,
}

/// A quota's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaPeriod {
    /// Midnight UTC to midnight UTC.
    Day,
    /// Monday 00:00 UTC (+ offset days).
    Week,
    /// The 1st 00:00 UTC (+ offset days).
    Month,
}

impl ApiAuth {
    /// The guard for a route (method as the route has it, path as written), if it has any.
    pub fn route(&self, method: &str, path: &str) -> Option<&RouteAuth> {
        self.routes
            .iter()
            .find(|r| r.method == method && r.path == path)
    }
}

impl AuthModel {
    /// The pool with this logical id or pool id.
    pub fn user_pool(&self, name: &str) -> Option<&UserPool> {
        self.user_pools
            .iter()
            .find(|p| p.logical_id == name || p.pool_id == name)
    }

    /// Whether the template declares anything this model carries.
    pub fn is_empty(&self) -> bool {
        self.apis.values().all(|a| {
            a.authorizers.is_empty()
                && a.routes.is_empty()
                && a.method_settings.is_empty()
                && a.route_throttling.is_empty()
        }) && self.user_pools.is_empty()
            && self.api_keys.is_empty()
            && self.usage_plans.is_empty()
    }
}

/// A stable id of `len` characters from `alphabet`, derived from `seed` (FNV-1a), so a template gives
/// the same pool and client ids on every start and tokens survive restarts.
pub fn stable_token(seed: &str, len: usize, alphabet: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let base = alphabet.len().max(1) as u64;
    let mut out = String::with_capacity(len);
    for i in 0..len {
        let index = (hash % base) as usize;
        out.push(char::from(alphabet.get(index).copied().unwrap_or(b'0')));
        hash /= base;
        if hash < base {
            hash = hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i as u64 + 1);
        }
    }
    out
}

/// The pool id AWS would show for a pool (`us-east-1_AbC123xYz`).
pub fn user_pool_id(region: &str, logical_id: &str) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    format!(
        "{region}_{}",
        stable_token(&format!("pool {logical_id}"), 9, ALNUM)
    )
}

/// The id AWS would show for an API key (10 lower-case alphanumerics), as `!Ref Key` and
/// `requestContext.identity.apiKeyId` give it.
pub fn api_key_id(logical_id: &str) -> String {
    const LOWER: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    stable_token(&format!("api key {logical_id}"), 10, LOWER)
}

/// The client id AWS would show for an app client (26 lower-case alphanumerics).
pub fn user_pool_client_id(logical_id: &str) -> String {
    const LOWER: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    stable_token(&format!("client {logical_id}"), 26, LOWER)
}
