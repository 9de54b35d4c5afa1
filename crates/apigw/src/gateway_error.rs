//! The one encoder of API Gateway's own error responses: `{"message": …}` with `x-amzn-ErrorType`
//! and `x-amzn-RequestId`. Every phase fails with a [`GatewayError`]; only this module turns one into
//! bytes on the wire.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// A request the gateway answers itself, instead of with the function's response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GatewayError {
    /// No route for this method and path (client's fault). AWS answers 403, not 404, for REST APIs.
    #[error("no route for this method and path")]
    MissingAuthenticationToken,
    /// The request body could not be read (client went away, malformed chunking).
    #[error("request body could not be read: {0}")]
    BadRequestBody(String),
    /// The request body is larger than the API accepts (10 MB on AWS).
    #[error("request body larger than {limit} bytes")]
    RequestTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The function failed, or answered with something that is not a valid proxy response.
    #[error("{0}")]
    BadGateway(String),
    /// Lambda refused the invocation (throttled, missing function): AWS's INTEGRATION_FAILURE.
    #[error("integration failure: {0}")]
    IntegrationFailure(String),
    /// The function did not answer within the integration timeout: AWS's INTEGRATION_TIMEOUT.
    #[error("integration timed out")]
    IntegrationTimeout,
    /// Sluice's own fault (a bug): answered like AWS's DEFAULT_5XX, logged as an error.
    #[error("internal error: {0}")]
    Internal(String),
}

impl GatewayError {
    /// Status, `x-amzn-ErrorType` and body, byte for byte as API Gateway (REST) sends them.
    ///
    /// AWS's default gateway responses differ in spacing: the 403 body has no space after the
    /// colon, the 5xx bodies have one. Both are copied exactly because clients compare strings.
    fn wire(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            GatewayError::MissingAuthenticationToken => (
                StatusCode::FORBIDDEN,
                "MissingAuthenticationTokenException",
                r#"{"message":"Missing Authentication Token"}"#,
            ),
            GatewayError::BadRequestBody(_) => (
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                r#"{"message":"Bad Request"}"#,
            ),
            // AWS: REQUEST_TOO_LARGE gateway response; the message text is not verified against a
            // live API (sluice uses the wording API Gateway's HTTP 413 is commonly reported with).
            GatewayError::RequestTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                r#"{"message":"Request Too Long"}"#,
            ),
            GatewayError::BadGateway(_) => (
                StatusCode::BAD_GATEWAY,
                "InternalServerErrorException",
                r#"{"message": "Internal server error"}"#,
            ),
            GatewayError::IntegrationFailure(_) | GatewayError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerErrorException",
                r#"{"message": "Internal server error"}"#,
            ),
            GatewayError::IntegrationTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "InternalServerErrorException",
                r#"{"message": "Endpoint request timed out"}"#,
            ),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.wire().0
    }

    /// The response for this error; `request_id` goes into `x-amzn-RequestId`.
    pub fn into_response(self, request_id: &str) -> Response<Full<Bytes>> {
        let (status, error_type, body) = self.wire();
        let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
        if let Ok(value) = HeaderValue::from_str(request_id) {
            headers.insert("x-amzn-requestid", value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_of(response: Response<Full<Bytes>>) -> String {
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn every_error_has_aws_status_type_and_body() {
        let rows = [
            (
                GatewayError::MissingAuthenticationToken,
                403,
                "MissingAuthenticationTokenException",
                r#"{"message":"Missing Authentication Token"}"#,
            ),
            (
                GatewayError::BadGateway("x".into()),
                502,
                "InternalServerErrorException",
                r#"{"message": "Internal server error"}"#,
            ),
            (
                GatewayError::IntegrationFailure("x".into()),
                500,
                "InternalServerErrorException",
                r#"{"message": "Internal server error"}"#,
            ),
            (
                GatewayError::IntegrationTimeout,
                504,
                "InternalServerErrorException",
                r#"{"message": "Endpoint request timed out"}"#,
            ),
            (
                GatewayError::RequestTooLarge { limit: 1 },
                413,
                "RequestTooLargeException",
                r#"{"message":"Request Too Long"}"#,
            ),
        ];
        for (error, status, error_type, body) in rows {
            let response = error.into_response("req-1");
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.headers()["x-amzn-ErrorType"], error_type);
            assert_eq!(response.headers()["x-amzn-RequestId"], "req-1");
            assert_eq!(response.headers()["content-type"], "application/json");
            assert_eq!(body_of(response).await, body);
        }
    }
}
