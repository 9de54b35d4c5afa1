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
use crate::request_values::{MethodRequest, Parameter};

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

impl GatewayError {
    /// `$context.error.validationErrorString`: a failed body's violations, else empty.
    pub(crate) fn validation_errors(&self) -> &str {
        match self {
            GatewayError::InvalidBody(errors) => errors,
            _ => "",
        }
    }
}

/// `response` (the error's default answer, of `response_type`, whose body is `default_body`) with
/// the API's customization for that type, else for its status class, applied.
pub(crate) fn customize(
    response: Response<Full<Bytes>>,
    response_type: &str,
    default_body: &str,
    validation_errors: &str,
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
                    // AWS escapes the list's quotes (`([\"a\"])`), so that a template may
                    // quote it as a JSON string.
                    "validationErrorString": json_escaped(validation_errors),
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

/// `text` as the inside of a JSON string literal.
fn json_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

/// A request value a header is mapped from (`method.request.*`, `stageVariables.name`); `None`
/// when the request has none (the header is left out).
fn request_value(source: &str, ex: &Exchange, stage: &crate::api::ApiStage) -> Option<String> {
    if let Some(parameter) = Parameter::parse(source) {
        return MethodRequest::of(ex).value(parameter);
    }
    let name = source.strip_prefix("stageVariables.")?;
    stage.stage_variables.get(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_header_takes_the_last_value_of_a_repeated_request_header() {
        let (parts, ()) = http::Request::builder()
            .uri("/nope?tag=a&tag=b")
            .header("x-team", "red")
            .header("x-team", "blue")
            .body(())
            .expect("static request")
            .into_parts();
        let ex = Exchange::new(
            parts,
            "127.0.0.1:9".parse().expect("static addr"),
            crate::dialect::Dialect::Rest,
        );
        let stage = crate::api::ApiStage {
            api_id: "abc".into(),
            deployment_id: "d".into(),
            stage: "Prod".into(),
            stage_variables: [("env".to_owned(), "test".to_owned())].into(),
            binary_media_types: crate::binary_media::BinaryMediaTypes::default(),
        };
        let custom = GatewayResponse {
            response_type: "DEFAULT_4XX".into(),
            status_code: None,
            headers: Vec::new(),
            mapped_headers: vec![
                ("X-Team".into(), "method.request.header.X-Team".into()),
                ("X-Tag".into(), "method.request.querystring.tag".into()),
                ("X-Env".into(), "stageVariables.env".into()),
                ("X-Gone".into(), "method.request.header.X-Gone".into()),
            ],
            templates: Default::default(),
        };
        let body = r#"{"message":"Missing Authentication Token"}"#;
        let response = Response::builder()
            .status(403)
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("static response");
        let response = customize(
            response,
            "MISSING_AUTHENTICATION_TOKEN",
            body,
            "",
            &[custom],
            &ex,
            &stage,
        );
        // AWS: `method.request.header.NAME` is the last value of a repeated header, as the
        // proxy event's `headers` and LocalStack's parameter mapper give it.
        assert_eq!(response.headers()["x-team"], "blue");
        assert_eq!(response.headers()["x-tag"], "b");
        assert_eq!(response.headers()["x-env"], "test");
        assert!(response.headers().get("x-gone").is_none());
    }

    #[tokio::test]
    async fn a_template_reads_the_validation_errors_escaped_for_a_json_string() {
        let (parts, ()) = http::Request::builder()
            .method("POST")
            .uri("/")
            .body(())
            .expect("static request")
            .into_parts();
        let ex = Exchange::new(
            parts,
            "127.0.0.1:9".parse().expect("static addr"),
            crate::dialect::Dialect::Rest,
        );
        let stage = crate::api::ApiStage {
            api_id: "abc".into(),
            deployment_id: "d".into(),
            stage: "dev".into(),
            stage_variables: Default::default(),
            binary_media_types: crate::binary_media::BinaryMediaTypes::default(),
        };
        let custom = GatewayResponse {
            response_type: "BAD_REQUEST_BODY".into(),
            status_code: None,
            headers: Vec::new(),
            mapped_headers: Vec::new(),
            templates: [(
                "application/json".to_owned(),
                r#"{ "message": "$context.error.validationErrorString"}"#.to_owned(),
            )]
            .into(),
        };
        let body = r#"{"message":"Invalid request body"}"#;
        let response = Response::builder()
            .status(400)
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("static response");
        let response = customize(
            response,
            "BAD_REQUEST_BODY",
            body,
            r#"[object has missing required properties (["schedule","team"])]"#,
            &[custom],
            &ex,
            &stage,
        );
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("a full body")
            .to_bytes();
        // The answer AWS gave this template (aws-samples/serverless-samples
        // apigw-eventbridge-schema-validation README).
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            r#"{ "message": "[object has missing required properties ([\"schedule\",\"team\"])]"}"#
        );
    }
}
