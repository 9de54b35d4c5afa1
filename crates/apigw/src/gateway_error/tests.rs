//! Every gateway error's status, type and body, byte for byte.

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
            GatewayError::NoRoute,
            403,
            "MissingAuthenticationTokenException",
            r#"{"message":"Missing Authentication Token"}"#,
        ),
        (
            GatewayError::FunctionFailed("x".into()),
            502,
            "InternalServerErrorException",
            r#"{"message": "Internal server error"}"#,
        ),
        (
            GatewayError::MalformedResponse("x".into()),
            502,
            "InternalServerErrorException",
            r#"{"message": "Internal server error"}"#,
        ),
        (
            GatewayError::InvokeRejected("x".into()),
            500,
            "InternalServerErrorException",
            r#"{"message": "Internal server error"}"#,
        ),
        (
            GatewayError::IntegrationTimedOut,
            504,
            "InternalServerErrorException",
            r#"{"message": "Endpoint request timed out"}"#,
        ),
        (
            GatewayError::Unauthorized("x".into()),
            401,
            "UnauthorizedException",
            r#"{"message":"Unauthorized"}"#,
        ),
        (
            GatewayError::AuthorizerDenied,
            403,
            "AccessDeniedException",
            r#"{"message":"User is not authorized to access this resource with an explicit deny"}"#,
        ),
        (
            GatewayError::AuthorizerFailed("x".into()),
            500,
            "AuthorizerConfigurationException",
            r#"{"message":null}"#,
        ),
        (
            GatewayError::ApiKeyRejected,
            403,
            "ForbiddenException",
            r#"{"message":"Forbidden"}"#,
        ),
        (
            GatewayError::Throttled,
            429,
            "TooManyRequestsException",
            r#"{"message":"Too Many Requests"}"#,
        ),
        (
            GatewayError::QuotaExceeded,
            429,
            "LimitExceededException",
            r#"{"message":"Limit Exceeded"}"#,
        ),
        (
            GatewayError::Unenforceable("x".into()),
            500,
            "InternalServerErrorException",
            r#"{"message": "Internal server error"}"#,
        ),
        (
            GatewayError::BodyTooLarge { limit: 1 },
            413,
            "RequestTooLargeException",
            r#"{"message":"Request Too Long"}"#,
        ),
        (
            GatewayError::BodyTimedOut,
            408,
            "RequestTimeoutException",
            r#"{"message":"Request Timeout"}"#,
        ),
    ];
    for (error, status, error_type, body) in rows {
        let response = error.into_response(Dialect::Rest, "req-1");
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.headers()["x-amzn-ErrorType"], error_type);
        assert_eq!(response.headers()["x-amzn-RequestId"], "req-1");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(body_of(response).await, body);
    }
}

#[tokio::test]
async fn http_api_and_function_url_errors_have_their_own_bodies() {
    use sluice_template::PayloadFormat;
    let http = Dialect::HttpApi(PayloadFormat::V2);
    let rows = [
        (
            http,
            GatewayError::NoRoute,
            404,
            r#"{"message":"Not Found"}"#,
        ),
        (
            http,
            GatewayError::FunctionFailed("x".into()),
            500,
            r#"{"message":"Internal Server Error"}"#,
        ),
        (
            Dialect::HttpApi(PayloadFormat::V1),
            GatewayError::MalformedResponse("x".into()),
            500,
            r#"{"message":"Internal Server Error"}"#,
        ),
        (
            http,
            GatewayError::IntegrationTimedOut,
            503,
            r#"{"message":"Service Unavailable"}"#,
        ),
        (
            Dialect::FunctionUrl,
            GatewayError::FunctionFailed("x".into()),
            502,
            "Internal Server Error",
        ),
        (
            Dialect::FunctionUrl,
            GatewayError::IamNotVerified,
            403,
            r#"{"Message":"Forbidden"}"#,
        ),
        (
            http,
            GatewayError::JwtRejected("the token has expired"),
            401,
            r#"{"message":"Unauthorized"}"#,
        ),
        (
            http,
            GatewayError::InsufficientScope,
            403,
            r#"{"message":"Forbidden"}"#,
        ),
        (
            http,
            GatewayError::AuthorizerFailed("x".into()),
            500,
            r#"{"message":"Internal Server Error"}"#,
        ),
        (
            http,
            GatewayError::HeadersTooLarge { limit: 1 },
            431,
            r#"{"message":"HTTP header is larger than 10240 bytes."}"#,
        ),
    ];
    for (dialect, error, status, body) in rows {
        let challenge = matches!(error, GatewayError::JwtRejected(_));
        let response = error.into_response(dialect, "req-1");
        assert_eq!(response.status().as_u16(), status, "{dialect:?}");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap_or_default()),
            challenge.then_some(
                r#"Bearer scope="" error="invalid_token" error_description="the token has expired""#
            )
        );
        assert!(!response.headers().contains_key("x-amzn-errortype"));
        assert_eq!(
            response.headers().contains_key("x-amzn-requestid"),
            dialect == Dialect::FunctionUrl,
            "HTTP APIs stamp apigw-requestid instead"
        );
        assert_eq!(body_of(response).await, body);
    }
}

/// Lambda (recorded): a Function URL host whose id names no function.
#[tokio::test]
async fn an_unknown_function_url_is_an_access_denied_403() {
    let response = GatewayError::NoFunctionUrl.into_response(Dialect::FunctionUrl, "req-1");
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "AccessDeniedException"
    );
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(body_of(response).await, r#"{"Message":null}"#);
}

#[test]
fn only_authorization_api_key_and_throttle_refusals_are_unbilled_rejections() {
    use crate::Rejection;
    let rows = [
        (
            GatewayError::Unauthorized("no token".into()),
            Some(Rejection::Authorization),
        ),
        (
            GatewayError::JwtRejected("expired"),
            Some(Rejection::Authorization),
        ),
        (
            GatewayError::InsufficientScope,
            Some(Rejection::Authorization),
        ),
        (
            GatewayError::AuthorizerDenied,
            Some(Rejection::Authorization),
        ),
        (
            GatewayError::AuthorizerImplicitDeny,
            Some(Rejection::Authorization),
        ),
        (
            GatewayError::Iam(crate::auth::sigv4::SigV4Error::Unsigned),
            Some(Rejection::Authorization),
        ),
        (GatewayError::ApiKeyRejected, Some(Rejection::ApiKey)),
        (GatewayError::Throttled, Some(Rejection::Throttled)),
        (GatewayError::QuotaExceeded, Some(Rejection::Throttled)),
        // Billed: the authorizer itself failed, the validator refused, the function failed.
        (GatewayError::AuthorizerFailed("boom".into()), None),
        (GatewayError::MissingParameters(vec!["q".into()]), None),
        (GatewayError::FunctionFailed("x".into()), None),
        (GatewayError::NoRoute, None),
    ];
    for (error, expected) in rows {
        assert_eq!(error.rejection(), expected, "{error:?}");
    }
}

/// REST `AWS_IAM` refusals whose text depends on the request, in the words API Gateway's users
/// recorded: the missing SigV4 parts then the header echoed, or what should have been signed.
#[tokio::test]
async fn rest_iam_refusals_name_what_the_request_lacks_or_should_have_signed() {
    use crate::auth::sigv4::{SigV4Error, SignaturePart};
    let bearer = GatewayError::Iam(SigV4Error::Incomplete {
        missing: vec![
            SignaturePart::Credential,
            SignaturePart::Signature,
            SignaturePart::SignedHeaders,
            SignaturePart::Date,
        ],
        authorization: "Bearer eyJ0eXAi".into(),
    });
    let response = bearer.into_response(Dialect::Rest, "rid");
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "IncompleteSignatureException"
    );
    assert_eq!(
        body_of(response).await,
        r#"{"message":"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer eyJ0eXAi"}"#
    );
    let undated = GatewayError::Iam(SigV4Error::Incomplete {
        missing: vec![SignaturePart::Date],
        authorization: "AWS4-HMAC-SHA256 Credential=A/x, SignedHeaders=host, Signature=0".into(),
    });
    assert_eq!(
        undated.body(Dialect::Rest),
        r#"{"message":"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=A/x, SignedHeaders=host, Signature=0"}"#
    );
    let mismatch = GatewayError::Iam(SigV4Error::Mismatch {
        canonical_request: "GET\n/dev/items\n\nhost:h\n\nhost\ne3b0".into(),
        string_to_sign:
            "AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/execute-api/aws4_request\nab12"
                .into(),
    });
    let response = mismatch.clone().into_response(Dialect::Rest, "rid");
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "InvalidSignatureException"
    );
    assert_eq!(
        body_of(response).await,
        r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'GET\n/dev/items\n\nhost:h\n\nhost\ne3b0'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/execute-api/aws4_request\nab12'\n"}"#
    );
    // An HTTP API answers its plain 403 whatever the reason.
    assert_eq!(
        mismatch.body(Dialect::HttpApi(sluice_template::PayloadFormat::V2)),
        r#"{"message":"Forbidden"}"#
    );
}

/// A stale or early signature names the dates, as recorded from API Gateway (aws-sdk-android#253,
/// NickWaterton/Roomba980-Python#118: the same dates give the same text).
#[test]
fn rest_iam_refusals_of_stale_or_early_signatures_name_the_dates() {
    use crate::auth::sigv4::SigV4Error;
    let expired = GatewayError::Iam(SigV4Error::Expired {
        signed_at: time::macros::datetime!(2017-02-12 17:59:38 UTC),
        now: time::macros::datetime!(2017-02-15 15:00:34 UTC),
    });
    assert_eq!(expired.status(Dialect::Rest), 403);
    assert_eq!(
        expired.body(Dialect::Rest),
        r#"{"message":"Signature expired: 20170212T175938Z is now earlier than 20170215T145534Z (20170215T150034Z - 5 min.)"}"#
    );
    let early = GatewayError::Iam(SigV4Error::NotYetCurrent {
        signed_at: time::macros::datetime!(2023-08-04 00:00:00 UTC),
        now: time::macros::datetime!(2023-08-03 17:17:33 UTC),
    });
    assert_eq!(
        early.body(Dialect::Rest),
        r#"{"message":"Signature not yet current: 20230804T000000Z is still later than 20230803T172233Z (20230803T171733Z + 5 min.)"}"#
    );
    let response = early.into_response(Dialect::Rest, "rid");
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "InvalidSignatureException"
    );
}

/// Lambda, not API Gateway, answers an `AWS_IAM` Function URL: a signature it read and refused
/// gets the Lambda API's error (type and lower-case `message`, no canonical string), only an
/// unsigned request the bare `{"Message":"Forbidden"}` (erlcloud/erlcloud#690,
/// cloudyr/aws.lambda#10, jamesmbourne/aws4-axios#1553, aws/aws-sdk-go#859).
#[tokio::test]
async fn function_url_iam_refusals_are_the_lambda_apis_errors() {
    use crate::auth::sigv4::SigV4Error;
    let rows = [
        (
            SigV4Error::UnknownKey,
            Some("UnrecognizedClientException"),
            r#"{"message":"The security token included in the request is invalid."}"#,
        ),
        (
            SigV4Error::Mismatch {
                canonical_request: "GET\n/\n\nhost:h\n\nhost\ne3b0".into(),
                string_to_sign: "AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/lambda/aws4_request\nab12".into(),
            },
            Some("InvalidSignatureException"),
            r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#,
        ),
        (
            SigV4Error::Expired {
                signed_at: time::macros::datetime!(2016-09-28 17:44:19 UTC),
                now: time::macros::datetime!(2016-09-28 17:52:24 UTC),
            },
            Some("InvalidSignatureException"),
            r#"{"message":"Signature expired: 20160928T174419Z is now earlier than 20160928T174724Z (20160928T175224Z - 5 min.)"}"#,
        ),
        (SigV4Error::Unsigned, None, r#"{"Message":"Forbidden"}"#),
    ];
    for (error, error_type, body) in rows {
        let response = GatewayError::Iam(error).into_response(Dialect::FunctionUrl, "rid");
        assert_eq!(response.status(), 403);
        assert_eq!(
            response
                .headers()
                .get("x-amzn-errortype")
                .map(|v| v.to_str().unwrap_or_default()),
            error_type
        );
        assert_eq!(response.headers()["x-amzn-requestid"], "rid");
        assert_eq!(body_of(response).await, body);
    }
}
