//! A REST API's customized gateway responses, laid over the answer [`GatewayError`] gives: the
//! error's response type (or `DEFAULT_4XX` / `DEFAULT_5XX` by its status class) may set the
//! status, add headers, and render the body from a template that reads `$context.error.*`.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use sluice_template::GatewayResponse;

use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;
use crate::mapping_template::{MappingInput, Params};

impl GatewayError {
    /// API Gateway's response type for this error (its gateway response falls back to
    /// `DEFAULT_4XX` / `DEFAULT_5XX` when the type is not customized).
    pub(crate) fn response_type(&self) -> &'static str {
        use crate::auth::sigv4::SigV4Error;
        match self {
            GatewayError::NoRoute
            | GatewayError::NoFunctionUrl
            | GatewayError::Iam(SigV4Error::Unsigned) => "MISSING_AUTHENTICATION_TOKEN",
            GatewayError::BodyTooLarge { .. } | GatewayError::HeadersTooLarge { .. } => {
                "REQUEST_TOO_LARGE"
            }
            GatewayError::Unauthorized(_)
            | GatewayError::JwtRejected(_)
            | GatewayError::InsufficientScope => "UNAUTHORIZED",
            GatewayError::AuthorizerDenied
            | GatewayError::AuthorizerImplicitDeny
            | GatewayError::ResourcePolicyDenied { .. }
            | GatewayError::IamNotVerified => "ACCESS_DENIED",
            GatewayError::AuthorizerFailed(_) => "AUTHORIZER_FAILURE",
            GatewayError::Iam(
                SigV4Error::Mismatch { .. }
                | SigV4Error::Incomplete { .. }
                | SigV4Error::Malformed(_),
            ) => "INVALID_SIGNATURE",
            GatewayError::Iam(SigV4Error::Expired { .. } | SigV4Error::NotYetCurrent { .. }) => {
                "EXPIRED_TOKEN"
            }
            GatewayError::ApiKeyRejected => "INVALID_API_KEY",
            GatewayError::Throttled => "THROTTLED",
            GatewayError::QuotaExceeded => "QUOTA_EXCEEDED",
            GatewayError::MissingParameters(_) => "BAD_REQUEST_PARAMETERS",
            GatewayError::InvalidBody(_) => "BAD_REQUEST_BODY",
            GatewayError::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            GatewayError::InvokeRejected(_) => "INTEGRATION_FAILURE",
            GatewayError::IntegrationTimedOut => "INTEGRATION_TIMEOUT",
            GatewayError::BodyUnreadable(_)
            | GatewayError::BodyTimedOut
            | GatewayError::Iam(SigV4Error::UnknownKey) => "DEFAULT_4XX",
            GatewayError::FunctionFailed(_)
            | GatewayError::MalformedResponse(_)
            | GatewayError::Unenforceable(_)
            | GatewayError::NotEmulated(_)
            | GatewayError::MappingFailed(_)
            | GatewayError::Internal(_) => "DEFAULT_5XX",
        }
    }
}

/// `response` (the error's default answer, of `response_type`, whose body is `default_body`) with
/// the API's customization for that type, else for its status class, applied.
pub(crate) fn customize(
    response: Response<Full<Bytes>>,
    response_type: &str,
    default_body: &str,
    responses: &[GatewayResponse],
    ex: &Exchange,
    stage: &crate::api::ApiStage,
) -> Response<Full<Bytes>> {
    let class = if response.status().is_server_error() {
        "DEFAULT_5XX"
    } else {
        "DEFAULT_4XX"
    };
    let Some(custom) = responses
        .iter()
        .find(|r| r.response_type == response_type)
        .or_else(|| responses.iter().find(|r| r.response_type == class))
    else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    if let Some(status) = custom
        .status_code
        .and_then(|s| StatusCode::from_u16(s).ok())
    {
        parts.status = status;
    }
    let mapped = custom
        .mapped_headers
        .iter()
        .filter_map(|(name, source)| Some((name, request_value(source, ex, stage)?)));
    let literal = custom.headers.iter().map(|(n, v)| (n, v.clone()));
    for (name, value) in literal.chain(mapped) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            parts.headers.insert(name, value);
        }
    }
    let Some(template) = custom.templates.get("application/json") else {
        return Response::from_parts(parts, body);
    };
    let body = {
        {
            // The default body's message, as `$context.error.message(String)` give it.
            let message = serde_json::from_str::<serde_json::Value>(default_body)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .or_else(|| v.get("Message"))
                        .and_then(|m| m.as_str().map(str::to_owned))
                });
            let context = serde_json::json!({
                "requestId": ex.request_id,
                "extendedRequestId": ex.request_id,
                "stage": stage.stage,
                "apiId": stage.api_id,
                "httpMethod": ex.method,
                "error": {
                    "message": message,
                    "messageString": serde_json::to_string(&message).unwrap_or_default(),
                    "responseType": response_type,
                    "validationErrorString": "",
                },
            });
            let params = Params::default();
            let input = MappingInput::new("", &params, &context, &stage.stage_variables);
            match input.render(template) {
                Ok(rendered) => Full::new(Bytes::from(rendered)),
                Err(error) => {
                    tracing::warn!(%error, response_type, "gateway response template failed; default body kept");
                    body
                }
            }
        }
    };
    Response::from_parts(parts, body)
}

/// A request value a header is mapped from; `None` when the request has none (the header is
/// left out).
fn request_value(source: &str, ex: &Exchange, stage: &crate::api::ApiStage) -> Option<String> {
    if let Some(name) = source.strip_prefix("method.request.header.") {
        return ex.header(name);
    }
    if let Some(name) = source.strip_prefix("method.request.querystring.") {
        let query = crate::request_event::parse_query(ex.query.as_deref()?);
        return query
            .into_iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, values)| values.into_iter().last());
    }
    if let Some(name) = source.strip_prefix("method.request.path.") {
        return ex
            .route
            .as_ref()?
            .path_parameters
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone());
    }
    let name = source.strip_prefix("stageVariables.")?;
    stage.stage_variables.get(name).cloned()
}
