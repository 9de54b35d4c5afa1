//! The answers to a SigV4 signature that is missing or does not verify: API Gateway's for a REST
//! API's `AWS_IAM` methods, Lambda's for an `AWS_IAM` Function URL.

use std::borrow::Cow;

use http::StatusCode;

/// API Gateway's 403s for `AWS_IAM` routes.
pub(super) fn iam_wire(
    error: &crate::auth::sigv4::SigV4Error,
) -> (StatusCode, &'static str, &'static str) {
    use crate::auth::sigv4::SigV4Error;
    match error {
        SigV4Error::Unsigned => (
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            r#"{"message":"Missing Authentication Token"}"#,
        ),
        SigV4Error::UnknownKey => (
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            r#"{"message":"The security token included in the request is invalid."}"#,
        ),
        // Built in `iam_message` (the body shows what Sluice signed); kept for exhaustiveness.
        SigV4Error::Mismatch { .. } => (
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#,
        ),
        // Built in `iam_message` (the body names the dates); kept for exhaustiveness.
        SigV4Error::Expired { .. } | SigV4Error::NotYetCurrent { .. } => (
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            r#"{"message":"Signature expired"}"#,
        ),
        // `Incomplete` is built in `iam_message` (the body lists the missing parts). A header
        // Sluice cannot otherwise read gets the same words (AWS's text for it is not recorded).
        SigV4Error::Incomplete { .. } | SigV4Error::Malformed(_) => (
            StatusCode::FORBIDDEN,
            "IncompleteSignatureException",
            r#"{"message":"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters and an 'X-Amz-Date' header."}"#,
        ),
    }
}

/// The REST message of an `AWS_IAM` refusal whose text depends on the request, as API Gateway
/// words it (recorded by its users: aws/chalice#828 and nordcloud/cognitocurl#15 for a bearer
/// token sent to an `AWS_IAM` method; postmanlabs/postman-app-support#1663 and #5815,
/// mhart/aws4#110 and aws/aws-sdk-js#2372 for a bad signature on `execute-api`; the dates of
/// a stale or early signature below).
pub(super) fn iam_message(error: &crate::auth::sigv4::SigV4Error) -> Option<String> {
    use crate::auth::sigv4::{format_amz_date, max_skew_minutes, SigV4Error, SignaturePart};
    match error {
        SigV4Error::Incomplete {
            missing,
            authorization,
        } => {
            let mut message = String::new();
            for part in missing {
                message.push_str(match part {
                    SignaturePart::Credential => {
                        "Authorization header requires 'Credential' parameter. "
                    }
                    SignaturePart::Signature => "Authorization header requires 'Signature' parameter. ",
                    SignaturePart::SignedHeaders => {
                        "Authorization header requires 'SignedHeaders' parameter. "
                    }
                    SignaturePart::Date => {
                        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                    }
                });
            }
            message.push_str("Authorization=");
            message.push_str(authorization);
            Some(message)
        }
        SigV4Error::Mismatch {
            canonical_request,
            string_to_sign,
        } => Some(format!(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
        )),
        // AWS (recorded: aws/aws-sdk-android#253 and cognitect-labs/aws-api#255 on execute-api,
        // 403 `{"message":"Signature expired: 20170212T175938Z is now earlier than
        // 20170215T145534Z (20170215T150034Z - 5 min.)"}`; NickWaterton/Roomba980-Python#118,
        // `"Signature not yet current: 20230804T000000Z is still later than 20230803T172233Z
        // (20230803T171733Z + 5 min.)"`).
        SigV4Error::Expired { signed_at, now } => {
            let skew = time::Duration::minutes(max_skew_minutes());
            Some(format!(
                "Signature expired: {} is now earlier than {} ({} - {} min.)",
                format_amz_date(*signed_at),
                format_amz_date(*now - skew),
                format_amz_date(*now),
                max_skew_minutes()
            ))
        }
        SigV4Error::NotYetCurrent { signed_at, now } => {
            let skew = time::Duration::minutes(max_skew_minutes());
            Some(format!(
                "Signature not yet current: {} is still later than {} ({} + {} min.)",
                format_amz_date(*signed_at),
                format_amz_date(*now + skew),
                format_amz_date(*now),
                max_skew_minutes()
            ))
        }
        _ => None,
    }
}

/// Lambda's 403 for an `AWS_IAM` Function URL whose signature was read and refused, as the Lambda
/// API answers it: an unknown key is `UnrecognizedClientException` (68 bytes on the Lambda API,
/// cloudyr/aws.lambda#10; on a Function URL, jamesmbourne/aws4-axios#1553), a signature that
/// does not verify the bare `InvalidSignatureException` text without API Gateway's canonical
/// string (192 bytes, erlcloud/erlcloud#690; on a Function URL, re:Post "POST request to
/// presigned AWS Lambda Function URL with unsigned payload" and RJPearson94/terraform-aws-open-next#48),
/// a stale one names the dates as API Gateway does (aws/aws-sdk-go#859). `None` for an unsigned
/// request (Lambda's recorded `{"Message":"Forbidden"}`) and for a header Sluice cannot read
/// (Lambda's words for it are not recorded).
pub(super) fn function_url_refusal(
    error: &crate::auth::sigv4::SigV4Error,
) -> Option<(StatusCode, &'static str, Cow<'static, str>)> {
    use crate::auth::sigv4::SigV4Error;
    match error {
        SigV4Error::UnknownKey | SigV4Error::Mismatch { .. } => {
            let (status, error_type, body) = iam_wire(error);
            Some((status, error_type, Cow::Borrowed(body)))
        }
        SigV4Error::Expired { .. } | SigV4Error::NotYetCurrent { .. } => {
            let (status, error_type, _) = iam_wire(error);
            let message = iam_message(error)?;
            let body = serde_json::json!({ "message": message }).to_string();
            Some((status, error_type, Cow::Owned(body)))
        }
        SigV4Error::Unsigned | SigV4Error::Incomplete { .. } | SigV4Error::Malformed(_) => None,
    }
}
