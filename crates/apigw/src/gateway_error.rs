//! The one encoder of API Gateway's own error responses: `{"message": …}` with `x-amzn-ErrorType`
//! and `x-amzn-RequestId`. Every phase fails with a [`GatewayError`] named for what happened; the
//! request's [`Dialect`] decides the status and body, and only this module turns one into bytes.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::dialect::Dialect;
use sigv4_refusals::{function_url_refusal, iam_message, iam_wire};

/// A request the gateway answers itself, instead of with the function's response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GatewayError {
    /// No route for this method and path (client's fault). REST answers 403, not 404.
    #[error("no route for this method and path")]
    NoRoute,
    /// The host names a Function URL that does not exist.
    #[error("no Function URL has this host's id")]
    NoFunctionUrl,
    /// The request body could not be read (client went away, malformed chunking).
    #[error("request body could not be read: {0}")]
    BodyUnreadable(String),
    /// The client stopped sending its body before it was complete.
    #[error("request body stalled (nothing received within the body read timeout)")]
    BodyTimedOut,
    /// The request body is larger than the API accepts (10 MB on AWS).
    #[error("request body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The request line and header values together exceed API Gateway's 10240 bytes.
    #[error("request line and headers larger than {limit} bytes")]
    HeadersTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The function ran and failed (unhandled error, crash, timeout inside Lambda).
    #[error("Lambda execution failed with status 200 due to customer function error: {0}")]
    FunctionFailed(String),
    /// The function answered with something that is not a valid response for the dialect.
    #[error("Execution failed due to configuration error: Malformed Lambda proxy response ({0})")]
    MalformedResponse(String),
    /// Lambda refused the invocation (throttled, missing function): AWS's INTEGRATION_FAILURE.
    #[error("Lambda invocation failed: {0}")]
    InvokeRejected(String),
    /// The function did not answer within the integration timeout: AWS's INTEGRATION_TIMEOUT.
    #[error("integration timed out")]
    IntegrationTimedOut,
    /// The authorizer found no valid identity (missing, malformed, expired or forged token).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// An HTTP API JWT authorizer refused the token; the text is the `error_description` of the
    /// `www-authenticate` header.
    #[error("unauthorized: {0}")]
    JwtRejected(&'static str),
    /// The token is valid but grants none of the route's `AuthorizationScopes` (HTTP API: 403).
    #[error("the token grants none of the route's scopes")]
    InsufficientScope,
    /// The authorizer's policy explicitly denies this method.
    #[error("the authorizer's policy denies this method")]
    AuthorizerDenied,
    /// The authorizer's policy has no statement allowing this method.
    #[error("the authorizer's policy does not allow this method")]
    AuthorizerImplicitDeny,
    /// The authorizer function failed, timed out or answered garbage: AWS's
    /// AUTHORIZER_CONFIGURATION_ERROR / AUTHORIZER_FAILURE.
    #[error("authorizer failure: {0}")]
    AuthorizerFailed(String),
    /// The REST API's resource policy refuses the caller: explicitly (a `Deny` applies) or
    /// implicitly (no `Allow` applies and the route's authentication cannot decide instead).
    #[error("the resource policy refuses {user} on {resource} ({})", if *explicit { "explicit deny" } else { "no statement allows it" })]
    ResourcePolicyDenied {
        /// `anonymous`, or the signed caller's ARN.
        user: String,
        /// The method ARN, its account masked as AWS prints it.
        resource: String,
        /// Whether a `Deny` statement applied.
        explicit: bool,
    },
    /// The API key is missing, unknown, disabled or in no usage plan of this API.
    #[error("API key missing or not accepted")]
    ApiKeyRejected,
    /// A token bucket (usage plan, method, stage or account) is empty.
    #[error("throttled")]
    Throttled,
    /// The usage plan's quota for this key is used up.
    #[error("quota exceeded")]
    QuotaExceeded,
    /// An `AWS_IAM` route's signature is missing or does not verify.
    #[error("IAM authorization failed: {0}")]
    Iam(crate::auth::sigv4::SigV4Error),
    /// The route's auth setting is one Sluice cannot enforce: it fails closed instead of opening.
    #[error("auth setting not enforceable locally, refusing the request: {0}")]
    Unenforceable(String),
    /// The API requires IAM (SigV4) authorization and the gateway has no keys to verify it with:
    /// refused, so nothing that is private on AWS is public locally (fail closed).
    #[error(
        "AWS_IAM authorization is required and no keys are known to verify it; request refused"
    )]
    IamNotVerified,
    /// The method's request validator found required parameters missing or blank (by name).
    #[error("missing required request parameters: {0:?}")]
    MissingParameters(Vec<String>),
    /// The method's request validator found the body does not match its model: the violations,
    /// as `$context.error.validationErrorString` lists them (`[message, message]`).
    #[error("invalid request body: {0}")]
    InvalidBody(String),
    /// No request template for the request's content type and the passthrough behavior refuses.
    #[error("no mapping template for the request's content type and passthrough is not allowed")]
    UnsupportedMediaType,
    /// An integration type Sluice does not emulate (HTTP_PROXY, AWS services but DynamoDB).
    #[error("not emulated: {0}")]
    NotEmulated(String),
    /// A mapping template failed or no integration response applies: AWS's "Execution failed due
    /// to configuration error".
    #[error("Execution failed due to configuration error: {0}")]
    MappingFailed(String),
    /// Sluice's own fault (a bug): answered like AWS's DEFAULT_5XX, logged as an error.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The body of the 431 answer (see [`GatewayError::wire`]).
const HEADERS_TOO_LARGE: &str = r#"{"message":"HTTP header is larger than 10240 bytes."}"#;

/// Whose fault a failed request is: decides how loudly it is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Culprit {
    /// The client sent something the API refuses.
    Client,
    /// The function (or Lambda on its behalf) failed.
    Function,
    /// Sluice itself.
    Sluice,
}

impl GatewayError {
    /// The refusals API Gateway does not bill (see [`Rejection`]). An authorizer that fails
    /// (500) or a request validator's 400 are billed: neither is an authorization failure.
    pub fn rejection(&self) -> Option<crate::Rejection> {
        use crate::Rejection;
        match self {
            GatewayError::Unauthorized(_)
            | GatewayError::JwtRejected(_)
            | GatewayError::InsufficientScope
            | GatewayError::AuthorizerDenied
            | GatewayError::AuthorizerImplicitDeny
            | GatewayError::ResourcePolicyDenied { .. }
            | GatewayError::Iam(_) => Some(Rejection::Authorization),
            GatewayError::ApiKeyRejected => Some(Rejection::ApiKey),
            GatewayError::Throttled | GatewayError::QuotaExceeded => Some(Rejection::Throttled),
            _ => None,
        }
    }

    /// Who is to blame.
    pub fn culprit(&self) -> Culprit {
        match self {
            GatewayError::NoRoute
            | GatewayError::NoFunctionUrl
            | GatewayError::BodyUnreadable(_)
            | GatewayError::BodyTimedOut
            | GatewayError::BodyTooLarge { .. }
            | GatewayError::HeadersTooLarge { .. }
            | GatewayError::IamNotVerified
            | GatewayError::Unauthorized(_)
            | GatewayError::JwtRejected(_)
            | GatewayError::InsufficientScope
            | GatewayError::AuthorizerDenied
            | GatewayError::AuthorizerImplicitDeny
            | GatewayError::ResourcePolicyDenied { .. }
            | GatewayError::ApiKeyRejected
            | GatewayError::Throttled
            | GatewayError::QuotaExceeded
            | GatewayError::MissingParameters(_)
            | GatewayError::InvalidBody(_)
            | GatewayError::UnsupportedMediaType
            | GatewayError::Iam(_) => Culprit::Client,
            // The template's mapping (its author's), or a type Sluice does not run.
            GatewayError::MappingFailed(_) => Culprit::Function,
            GatewayError::NotEmulated(_) => Culprit::Sluice,
            GatewayError::AuthorizerFailed(_) => Culprit::Function,
            GatewayError::Unenforceable(_) => Culprit::Sluice,
            GatewayError::FunctionFailed(_)
            | GatewayError::MalformedResponse(_)
            | GatewayError::InvokeRejected(_)
            | GatewayError::IntegrationTimedOut => Culprit::Function,
            GatewayError::Internal(_) => Culprit::Sluice,
        }
    }

    /// Status, `x-amzn-ErrorType` (when the dialect sends one) and body, byte for byte as the
    /// dialect's API sends them.
    fn wire(
        &self,
        dialect: Dialect,
    ) -> (
        StatusCode,
        Option<&'static str>,
        std::borrow::Cow<'static, str>,
    ) {
        // AWS: BAD_REQUEST_PARAMETERS names the parameters; its default gateway response template
        // (`{"message":$context.error.messageString}`) has no space after the colon.
        if let GatewayError::MissingParameters(names) = self {
            let body = serde_json::json!({
                "message": format!("Missing required request parameters: [{}]", names.join(", "))
            });
            return (
                StatusCode::BAD_REQUEST,
                matches!(dialect, Dialect::Rest).then_some("BadRequestException"),
                body.to_string().into(),
            );
        }
        // AWS (recorded, e.g. `{"Message":"User: anonymous is not authorized to perform:
        // execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9489:609x52qn26/dev/GET/weather
        // because no resource-based policy allows the execute-api:Invoke action"}`): the key is
        // `Message`, the account masked; an explicit deny ends `with an explicit deny in a
        // resource-based policy`, IAM's wording for the same refusal.
        if let (
            GatewayError::ResourcePolicyDenied {
                user,
                resource,
                explicit,
            },
            Dialect::Rest,
        ) = (self, dialect)
        {
            let reason = if *explicit {
                "with an explicit deny in a resource-based policy"
            } else {
                "because no resource-based policy allows the execute-api:Invoke action"
            };
            let body = serde_json::json!({
                "Message": format!(
                    "User: {user} is not authorized to perform: execute-api:Invoke on resource: {resource} {reason}"
                )
            });
            return (
                StatusCode::FORBIDDEN,
                Some("AccessDeniedException"),
                body.to_string().into(),
            );
        }
        if let (GatewayError::Iam(error), Dialect::Rest) = (self, dialect) {
            if let Some(body) = iam_message(error) {
                let (status, error_type, _) = iam_wire(error);
                let body = serde_json::json!({ "message": body }).to_string();
                return (status, Some(error_type), body.into());
            }
        }
        if let (GatewayError::Iam(error), Dialect::FunctionUrl) = (self, dialect) {
            if let Some((status, error_type, body)) = function_url_refusal(error) {
                return (status, Some(error_type), body);
            }
        }
        let (status, error_type, body) = self.static_wire(dialect);
        (status, error_type, body.into())
    }

    /// [`GatewayError::wire`] for the errors whose body never changes.
    fn static_wire(&self, dialect: Dialect) -> (StatusCode, Option<&'static str>, &'static str) {
        // AWS's quota: "total combined size of request line and header values: 10240 bytes", for
        // REST and HTTP APIs alike, enforced by the front end before any API is chosen. Users
        // report the status 431 (backbencher.dev, "431 status code with request header fields too
        // large", AWS API Gateway) and the text "HTTP header is larger than 10240 bytes."
        // (ntsblog.homedev.com.au, 2021-03-09); the JSON wrapping is Sluice's (not verified live).
        if let GatewayError::HeadersTooLarge { .. } = self {
            return (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                None,
                HEADERS_TOO_LARGE,
            );
        }
        match dialect {
            Dialect::Rest => {
                let (status, error_type, body) = self.rest_wire();
                (status, Some(error_type), body)
            }
            Dialect::HttpApi(_) => {
                let (status, body) = self.http_api_wire();
                (status, None, body)
            }
            // Lambda (recorded): a URL id that names no function is refused like a forbidden
            // call, 403 `{"Message":null}` with `x-amzn-ErrorType: AccessDeniedException`.
            Dialect::FunctionUrl if *self == GatewayError::NoFunctionUrl => (
                StatusCode::FORBIDDEN,
                Some("AccessDeniedException"),
                r#"{"Message":null}"#,
            ),
            Dialect::FunctionUrl => {
                let (status, body) = self.function_url_wire();
                (status, None, body)
            }
        }
    }

    /// HTTP API gateway responses: no `x-amzn-ErrorType`, title-case messages without spaces.
    fn http_api_wire(&self) -> (StatusCode, &'static str) {
        match self {
            GatewayError::NoRoute | GatewayError::NoFunctionUrl => {
                (StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#)
            }
            // Validation and mapping are REST features; answered generically should one reach here.
            GatewayError::BodyUnreadable(_)
            | GatewayError::MissingParameters(_)
            | GatewayError::InvalidBody(_) => {
                (StatusCode::BAD_REQUEST, r#"{"message":"Bad Request"}"#)
            }
            GatewayError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                r#"{"message":"Unsupported Media Type"}"#,
            ),
            GatewayError::HeadersTooLarge { .. } => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                HEADERS_TOO_LARGE,
            ),
            // Not verified against a live API: HTTP 413's reason phrase in API Gateway's shape.
            GatewayError::BodyTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"message":"Request Entity Too Large"}"#,
            ),
            GatewayError::IamNotVerified => (StatusCode::FORBIDDEN, r#"{"message":"Forbidden"}"#),
            // AWS: the HTTP API's default answers for authorizers (DESIGN.md's table); a JWT
            // refusal also carries `www-authenticate` (added in `into_response`).
            GatewayError::Unauthorized(_) | GatewayError::JwtRejected(_) => {
                (StatusCode::UNAUTHORIZED, r#"{"message":"Unauthorized"}"#)
            }
            GatewayError::AuthorizerDenied
            | GatewayError::InsufficientScope
            | GatewayError::AuthorizerImplicitDeny
            | GatewayError::ResourcePolicyDenied { .. }
            | GatewayError::ApiKeyRejected
            | GatewayError::Iam(_) => (StatusCode::FORBIDDEN, r#"{"message":"Forbidden"}"#),
            GatewayError::Throttled | GatewayError::QuotaExceeded => (
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"message":"Too Many Requests"}"#,
            ),
            GatewayError::AuthorizerFailed(_) | GatewayError::Unenforceable(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"message":"Internal Server Error"}"#,
            ),
            // As on the REST side: no documented answer for a stalled upload.
            GatewayError::BodyTimedOut => (
                StatusCode::REQUEST_TIMEOUT,
                r#"{"message":"Request Timeout"}"#,
            ),
            GatewayError::FunctionFailed(_)
            | GatewayError::MalformedResponse(_)
            | GatewayError::InvokeRejected(_)
            | GatewayError::NotEmulated(_)
            | GatewayError::MappingFailed(_)
            | GatewayError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"message":"Internal Server Error"}"#,
            ),
            // AWS: an HTTP API integration timeout is 503, not REST's 504, for an HTTP proxy too:
            // cortexlabs/cortex#1225 records an HTTP API (`apigw-requestid`) whose VPC link
            // HTTP_PROXY backend ran past the timeout answering 503 `{"message":"Service
            // Unavailable"}`.
            GatewayError::IntegrationTimedOut => (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"message":"Service Unavailable"}"#,
            ),
        }
    }

    /// Function URL answers: Lambda's front end, not API Gateway. A failed function is a 502 with
    /// the bare text `Internal Server Error`; an unsigned request to an `AWS_IAM` URL is a 403
    /// with Lambda's capitalised `Message` (a signature read and refused is answered in `wire`).
    fn function_url_wire(&self) -> (StatusCode, &'static str) {
        match self {
            GatewayError::NoRoute | GatewayError::NoFunctionUrl => {
                (StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#)
            }
            GatewayError::BodyUnreadable(_)
            | GatewayError::MissingParameters(_)
            | GatewayError::InvalidBody(_) => {
                (StatusCode::BAD_REQUEST, r#"{"Message":"Bad Request"}"#)
            }
            GatewayError::HeadersTooLarge { .. } => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                HEADERS_TOO_LARGE,
            ),
            GatewayError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                r#"{"Message":"Unsupported Media Type"}"#,
            ),
            GatewayError::BodyTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"Message":"Request Entity Too Large"}"#,
            ),
            GatewayError::IamNotVerified => (StatusCode::FORBIDDEN, r#"{"Message":"Forbidden"}"#),
            // Lambda's front end has no authorizers, keys or plans; its throttle answer is 429.
            GatewayError::Unauthorized(_)
            | GatewayError::JwtRejected(_)
            | GatewayError::InsufficientScope
            | GatewayError::AuthorizerDenied
            | GatewayError::AuthorizerImplicitDeny
            | GatewayError::ResourcePolicyDenied { .. }
            | GatewayError::ApiKeyRejected
            | GatewayError::Iam(_) => (StatusCode::FORBIDDEN, r#"{"Message":"Forbidden"}"#),
            GatewayError::Throttled | GatewayError::QuotaExceeded => (
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"Message":"Too Many Requests"}"#,
            ),
            GatewayError::AuthorizerFailed(_) | GatewayError::Unenforceable(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            GatewayError::BodyTimedOut => (
                StatusCode::REQUEST_TIMEOUT,
                r#"{"Message":"Request Timeout"}"#,
            ),
            GatewayError::FunctionFailed(_)
            | GatewayError::MalformedResponse(_)
            | GatewayError::InvokeRejected(_)
            | GatewayError::IntegrationTimedOut => {
                (StatusCode::BAD_GATEWAY, "Internal Server Error")
            }
            GatewayError::Internal(_)
            | GatewayError::NotEmulated(_)
            | GatewayError::MappingFailed(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }

    /// REST API (payload 1.0) gateway responses.
    ///
    /// AWS's default gateway responses differ in spacing: the 403 body has no space after the
    /// colon, the 5xx bodies have one. Both are copied exactly because clients compare strings.
    fn rest_wire(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            GatewayError::NoRoute | GatewayError::NoFunctionUrl => (
                StatusCode::FORBIDDEN,
                "MissingAuthenticationTokenException",
                r#"{"message":"Missing Authentication Token"}"#,
            ),
            GatewayError::BodyUnreadable(_) => (
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                r#"{"message":"Bad Request"}"#,
            ),
            // AWS: no documented gateway response for a stalled upload (its front end closes such
            // connections); Sluice answers 408 so a client that is still listening learns why.
            GatewayError::BodyTimedOut => (
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeoutException",
                r#"{"message":"Request Timeout"}"#,
            ),
            // AWS: REQUEST_TOO_LARGE gateway response; the message text is not verified against a
            // live API (sluice uses the wording API Gateway's HTTP 413 is commonly reported with).
            GatewayError::HeadersTooLarge { .. } => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "RequestHeaderFieldsTooLarge",
                HEADERS_TOO_LARGE,
            ),
            GatewayError::BodyTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                r#"{"message":"Request Too Long"}"#,
            ),
            GatewayError::FunctionFailed(_) | GatewayError::MalformedResponse(_) => (
                StatusCode::BAD_GATEWAY,
                "InternalServerErrorException",
                r#"{"message": "Internal server error"}"#,
            ),
            // The last two are HTTP API refusals; a REST route never produces them.
            GatewayError::Unauthorized(_)
            | GatewayError::JwtRejected(_)
            | GatewayError::InsufficientScope => (
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                r#"{"message":"Unauthorized"}"#,
            ),
            GatewayError::AuthorizerDenied => (
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                r#"{"message":"User is not authorized to access this resource with an explicit deny"}"#,
            ),
            // AWS: the implicit-deny body spells its key `Message` (capital M), unlike the others.
            GatewayError::AuthorizerImplicitDeny => (
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                r#"{"Message":"User is not authorized to access this resource"}"#,
            ),
            // AWS: AUTHORIZER_CONFIGURATION_ERROR and AUTHORIZER_FAILURE answer `{"message":null}`.
            GatewayError::AuthorizerFailed(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "AuthorizerConfigurationException",
                r#"{"message":null}"#,
            ),
            GatewayError::Iam(error) => iam_wire(error),
            GatewayError::ApiKeyRejected => (
                StatusCode::FORBIDDEN,
                "ForbiddenException",
                r#"{"message":"Forbidden"}"#,
            ),
            GatewayError::Throttled => (
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                r#"{"message":"Too Many Requests"}"#,
            ),
            GatewayError::QuotaExceeded => (
                StatusCode::TOO_MANY_REQUESTS,
                "LimitExceededException",
                r#"{"message":"Limit Exceeded"}"#,
            ),
            GatewayError::InvokeRejected(_)
            | GatewayError::Internal(_)
            | GatewayError::Unenforceable(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerErrorException",
                r#"{"message": "Internal server error"}"#,
            ),
            GatewayError::IntegrationTimedOut => (
                StatusCode::GATEWAY_TIMEOUT,
                "InternalServerErrorException",
                r#"{"message": "Endpoint request timed out"}"#,
            ),
            // AWS's BAD_REQUEST_BODY and UNSUPPORTED_MEDIA_TYPE gateway responses (default template
            // `{"message":$context.error.messageString}`, no space, like the 403 above).
            GatewayError::InvalidBody(_) => (
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                r#"{"message":"Invalid request body"}"#,
            ),
            // Built in `wire` (the body names the parameters); kept for exhaustiveness.
            GatewayError::MissingParameters(_) => (
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                r#"{"message":"Missing required request parameters"}"#,
            ),
            GatewayError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaTypeException",
                r#"{"message":"Unsupported Media Type"}"#,
            ),
            // AWS: a failed mapping is an integration failure, 500 like INTEGRATION_FAILURE.
            GatewayError::NotEmulated(_) | GatewayError::MappingFailed(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerErrorException",
                r#"{"message": "Internal server error"}"#,
            ),
            // Built in `wire` (the body names the caller and the resource); kept for exhaustiveness.
            GatewayError::ResourcePolicyDenied { .. } => (
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                r#"{"Message":null}"#,
            ),
            // Not reachable today (REST IAM authorization is not emulated); AWS's
            // ACCESS_DENIED default gateway response.
            GatewayError::IamNotVerified => (
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                r#"{"message":"Forbidden"}"#,
            ),
        }
    }

    /// The body this error is answered with in `dialect`.
    pub fn body(&self, dialect: Dialect) -> std::borrow::Cow<'static, str> {
        self.wire(dialect).2
    }

    /// The HTTP status this error is answered with in `dialect`.
    pub fn status(&self, dialect: Dialect) -> StatusCode {
        self.wire(dialect).0
    }

    /// The response for this error in `dialect`; `request_id` goes into `x-amzn-RequestId`.
    pub fn into_response(self, dialect: Dialect, request_id: &str) -> Response<Full<Bytes>> {
        let (status, error_type, body) = self.wire(dialect);
        let body = match body {
            std::borrow::Cow::Borrowed(text) => Bytes::from_static(text.as_bytes()),
            std::borrow::Cow::Owned(text) => Bytes::from(text),
        };
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        // AWS (HTTP API JWT troubleshooting guide): `www-authenticate: Bearer scope=""
        // error="invalid_token" error_description="the token does not have a valid audience"`.
        if let (GatewayError::JwtRejected(description), Dialect::HttpApi(_)) = (&self, dialect) {
            let challenge = format!(
                r#"Bearer scope="" error="invalid_token" error_description="{description}""#
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(http::header::WWW_AUTHENTICATE, value);
            }
        }
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(error_type) = error_type {
            headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
        }
        // HTTP APIs identify responses by `apigw-requestid` instead (stamped by the dialect).
        if !matches!(dialect, Dialect::HttpApi(_)) {
            if let Ok(value) = HeaderValue::from_str(request_id) {
                headers.insert("x-amzn-requestid", value);
            }
        }
        response
    }
}

mod sigv4_refusals;
#[cfg(test)]
mod tests;
