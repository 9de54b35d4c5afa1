//! Lambda's control-plane REST API, the part SDKs and the CLI call: `Invoke` (all three invocation
//! types), `GetFunction`, `GetFunctionConfiguration` and `ListFunctions`; `InvokeWithResponseStream`
//! lives in [`response_stream`].
//!
//! Errors use Lambda's REST-JSON shape: the error type in `x-amzn-ErrorType`, and a body with
//! `Type` and the message under the member name its shape has in Lambda's model (`Message` or
//! `message`, see [`message_member`]), which botocore and the other SDKs parse.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};

use crate::{CodeSource, FunctionSpec, InvokeError, Lambda};

mod event_stream;
mod function_ref;
pub mod response_stream;

use function_ref::{not_found, percent_decode, resolve, Operation};

const PREFIX: &str = "/2015-03-31/functions";

/// Lambda returns at most the last 4 KB of an invocation's log in `X-Amz-Log-Result`.
const LOG_TAIL_BYTES: usize = 4096;

/// Handles one request under `/2015-03-31/functions`.
pub async fn handle(
    lambda: &Arc<Lambda>,
    parts: &http::request::Parts,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let path = parts.uri.path();
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let qualifier = query_param(parts.uri.query().unwrap_or(""), "Qualifier");
    match (&parts.method, segments.as_slice()) {
        (&Method::GET, []) => list_functions(lambda),
        (&Method::POST, [name, "invocations"]) => {
            let (name, qualifier) = match resolve(lambda, name, qualifier, Operation::Invoke) {
                Ok(found) => found,
                Err(e) => return e.response(Operation::Invoke),
            };
            invoke(lambda, &name, qualifier.as_deref(), &parts.headers, body).await
        }
        (&Method::GET, [name]) => match resolve(lambda, name, qualifier, Operation::Read) {
            Ok((name, _)) => get_function(lambda, &name, true),
            Err(e) => e.response(Operation::Read),
        },
        (&Method::GET, [name, "configuration"]) => {
            match resolve(lambda, name, qualifier, Operation::Read) {
                Ok((name, _)) => get_function(lambda, &name, false),
                Err(e) => e.response(Operation::Read),
            }
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!("Sluice does not emulate {} {path}", parts.method),
        ),
    }
}

async fn invoke(
    lambda: &Arc<Lambda>,
    name: &str,
    qualifier: Option<&str>,
    headers: &http::HeaderMap,
    payload: Bytes,
) -> Response<Full<Bytes>> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let payload = if payload.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    if !payload.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&payload).is_err() {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "Could not parse request body into json: Could not parse payload into json",
        );
    }
    match header("x-amz-invocation-type") {
        "" | "RequestResponse" => {}
        "DryRun" => {
            return respond(StatusCode::NO_CONTENT, Bytes::new(), &[]);
        }
        "Event" => {
            let options = crate::InvokeOptions {
                client_context: None,
                request_id: None,
                qualifier: qualifier.map(str::to_owned),
                tenant_id: tenant_id(header("x-amz-tenant-id")),
            };
            // The 202's request id is the one the function runs under (and logs), as on AWS.
            return match lambda.invoke_event(name, payload, options) {
                Ok(request_id) => respond(
                    StatusCode::ACCEPTED,
                    Bytes::new(),
                    &[("x-amzn-requestid", request_id)],
                ),
                Err(e) => invoke_error(&e),
            };
        }
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                &format!(
                    "Unsupported invocation type {other:?}: use RequestResponse, Event or DryRun"
                ),
            )
        }
    }
    let tail = header("x-amz-log-type") == "Tail";
    let client_context = match client_context(header("x-amz-client-context")) {
        Ok(context) => context,
        Err(invalid) => return invalid.into_response(),
    };
    let options = crate::InvokeOptions {
        client_context,
        request_id: None,
        qualifier: qualifier.map(str::to_owned),
        tenant_id: tenant_id(header("x-amz-tenant-id")),
    };
    // AWS: an alias reports the version it points at (`1`), not its own name.
    let executed = options.executed_version().to_owned();
    match lambda.invoke_with(name, payload, options).await {
        Ok(invocation) => {
            // AWS: the response's request id is the invocation's (`context.aws_request_id`).
            let mut extra: Vec<(&'static str, String)> = vec![
                ("x-amz-executed-version", executed),
                ("x-amzn-requestid", invocation.request_id.clone()),
            ];
            if let Some(kind) = &invocation.function_error {
                extra.push(("x-amz-function-error", kind.clone()));
            }
            if tail {
                let log = invocation.log_tail.as_bytes();
                let start = log.len().saturating_sub(LOG_TAIL_BYTES);
                extra.push((
                    "x-amz-log-result",
                    base64::engine::general_purpose::STANDARD.encode(&log[start..]),
                ));
            }
            respond(StatusCode::OK, invocation.payload, &extra)
        }
        Err(e) => invoke_error(&e),
    }
}

/// Invoke's `X-Amz-Tenant-Id` (botocore's `TenantId`), `None` when absent or empty.
fn tenant_id(header: &str) -> Option<String> {
    (!header.is_empty()).then(|| header.to_owned())
}

/// `X-Amz-Client-Context` is base64 JSON; the function receives the JSON text.
fn client_context(header: &str) -> Result<Option<String>, InvalidClientContext> {
    if header.is_empty() {
        return Ok(None);
    }
    base64::engine::general_purpose::STANDARD
        .decode(header)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .filter(|text| serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok())
        .map(Some)
        .ok_or(InvalidClientContext)
}

/// An `X-Amz-Client-Context` that is not base64 JSON.
struct InvalidClientContext;

impl InvalidClientContext {
    fn into_response(self) -> Response<Full<Bytes>> {
        error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
        )
    }
}

fn list_functions(lambda: &Lambda) -> Response<Full<Bytes>> {
    let functions: Vec<Value> = lambda
        .function_names()
        .filter_map(|name| lambda.spec(name).map(|spec| configuration(lambda, spec)))
        .collect();
    json_response(json!({ "Functions": functions }))
}

fn get_function(lambda: &Lambda, name: &str, with_code: bool) -> Response<Full<Bytes>> {
    let Some(spec) = lambda.spec(name) else {
        return not_found(&lambda.arn(name));
    };
    let config = configuration(lambda, spec);
    if !with_code {
        return json_response(config);
    }
    let location = match &spec.code {
        CodeSource::Dir(dir) => format!("file://{}", dir.display()),
        CodeSource::Inline(_) => "inline".to_owned(),
    };
    json_response(json!({
        "Configuration": config,
        "Code": { "RepositoryType": "S3", "Location": location },
    }))
}

/// Lambda's `FunctionConfiguration` for one function.
fn configuration(lambda: &Lambda, spec: &FunctionSpec) -> Value {
    json!({
        "FunctionName": spec.name,
        "FunctionArn": lambda.arn(&spec.name),
        "Runtime": spec.runtime,
        "Role": format!(
            "arn:{}:iam::{}:role/{}-role",
            lambda.config.aws.partition, lambda.config.aws.account_id, spec.name
        ),
        "Handler": spec.handler,
        "CodeSize": 0,
        "Description": "",
        "Timeout": spec.timeout.as_secs(),
        "MemorySize": spec.memory_mb,
        "LastModified": "1970-01-01T00:00:00.000+0000",
        "CodeSha256": "",
        "Version": "$LATEST",
        "Environment": { "Variables": spec.environment },
        "TracingConfig": { "Mode": "PassThrough" },
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": { "Size": 512 },
    })
}

/// The one encoder of `InvokeError`s on the wire.
fn invoke_error(e: &InvokeError) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = match e {
        InvokeError::TooManyRequests { .. } => {
            Some("ReservedFunctionConcurrentInvocationLimitExceeded")
        }
        _ => None,
    };
    error_response(status, e.error_type(), &e.to_string(), reason)
}

fn error(status: StatusCode, error_type: &'static str, message: &str) -> Response<Full<Bytes>> {
    error_response(status, error_type, message, None)
}

/// The member that holds an error's message in its shape of Lambda's model (botocore's
/// `lambda/2015-03-31/service-2.json`): SDKs fill `e.response["Message"]` or `["message"]` from
/// it. Codes the model does not list (`RequestEntityTooLargeException`,
/// `UnknownOperationException`) keep `message`, which SDKs read for the error's text either way.
fn message_member(error_type: &str) -> &'static str {
    match error_type {
        "ResourceNotFoundException" | "ServiceException" => "Message",
        _ => "message",
    }
}

/// Every error body this API sends: `Type` (whose fault), the message under its shape's member
/// name, and TooManyRequestsException's `Reason`.
fn error_response(
    status: StatusCode,
    error_type: &'static str,
    message: &str,
    reason: Option<&str>,
) -> Response<Full<Bytes>> {
    let mut body = serde_json::Map::new();
    let fault = if status.is_server_error() {
        "Service"
    } else {
        "User"
    };
    body.insert("Type".into(), json!(fault));
    body.insert(message_member(error_type).into(), json!(message));
    if let Some(reason) = reason {
        body.insert("Reason".into(), json!(reason));
    }
    let mut response = respond(status, Bytes::from(Value::Object(body).to_string()), &[]);
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    response
}

fn json_response(value: Value) -> Response<Full<Bytes>> {
    respond(StatusCode::OK, Bytes::from(value.to_string()), &[])
}

fn respond(
    status: StatusCode,
    body: Bytes,
    extra: &[(&'static str, String)],
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // A fresh request id unless the caller names the invocation's own.
    if !extra.iter().any(|(name, _)| *name == "x-amzn-requestid") {
        if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            headers.insert("x-amzn-requestid", id);
        }
    }
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(*name, v);
        }
    }
    response
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| percent_decode(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: Response<Full<Bytes>>) -> (StatusCode, String, Value) {
        let status = response.status();
        let kind = response.headers()["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .to_owned();
        // A `Full` body is one frame, ready at once.
        let frame = collect_body(response.into_body());
        (status, kind, serde_json::from_slice(&frame).unwrap())
    }

    fn collect_body(body: Full<Bytes>) -> Bytes {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(http_body_util::BodyExt::collect(body))
            .unwrap()
            .to_bytes()
    }

    #[test]
    fn an_unknown_function_is_named_with_the_version_invoke_looked_for() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:Nope";
        let missing = |qualifier: Option<&str>| function_ref::RefError::NotFound {
            arn: arn.to_owned(),
            qualifier: qualifier.map(str::to_owned),
        };
        let (status, kind, doc) = body(missing(None).response(Operation::Invoke));
        assert_eq!(
            (status.as_u16(), kind.as_str()),
            (404, "ResourceNotFoundException")
        );
        // The model's ResourceNotFoundException has `Message`, capitalised.
        assert_eq!(
            doc,
            json!({"Type": "User", "Message": format!("Function not found: {arn}:$LATEST")})
        );
        let (_, _, doc) = body(missing(Some("live")).response(Operation::Invoke));
        assert_eq!(doc["Message"], format!("Function not found: {arn}:live"));
        let (_, _, doc) = body(missing(None).response(Operation::Read));
        assert_eq!(doc["Message"], format!("Function not found: {arn}"));
    }

    #[test]
    fn a_reference_lambda_refuses_before_any_lookup_gets_its_code_and_status() {
        let cases = [
            (
                function_ref::RefError::Pattern {
                    value: "a b".into(),
                },
                400,
                "ValidationException",
                "message",
            ),
            (
                function_ref::RefError::OtherRegion {
                    arn_region: "eu-west-1".into(),
                    region: "us-east-1".into(),
                },
                404,
                "ResourceNotFoundException",
                "Message",
            ),
            (
                function_ref::RefError::QualifierMismatch,
                400,
                "InvalidParameterValueException",
                "message",
            ),
        ];
        for (refused, status, kind, member) in cases {
            let (got_status, got_kind, doc) = body(refused.response(Operation::Invoke));
            assert_eq!((got_status.as_u16(), got_kind.as_str()), (status, kind));
            assert_eq!(
                doc,
                json!({"Type": "User", member: refused.to_string()}),
                "{kind}"
            );
        }
    }

    #[test]
    fn each_error_body_uses_its_shapes_message_member() {
        let cases = [
            (
                InvokeError::RequestTooLarge {
                    size: 7_000_000,
                    limit: crate::MAX_REQUEST_PAYLOAD,
                },
                413,
                "RequestEntityTooLargeException",
                "message",
                "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
            ),
            (
                InvokeError::EventTooLarge {
                    size: 1_048_577,
                    limit: crate::MAX_EVENT_PAYLOAD,
                },
                413,
                "RequestEntityTooLargeException",
                "message",
                "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
            ),
            (
                InvokeError::TooManyRequests {
                    function: "F".into(),
                },
                429,
                "TooManyRequestsException",
                "message",
                "Rate Exceeded.",
            ),
            (
                InvokeError::Service {
                    message: "broken".into(),
                },
                500,
                "ServiceException",
                "Message",
                "broken",
            ),
        ];
        for (error, status, kind, member, message) in cases {
            let (got_status, got_kind, doc) = body(invoke_error(&error));
            assert_eq!((got_status.as_u16(), got_kind.as_str()), (status, kind));
            assert_eq!(doc[member], message, "{doc}");
            let other = if member == "Message" {
                "message"
            } else {
                "Message"
            };
            assert!(doc.get(other).is_none(), "{doc}");
        }
        let (_, _, doc) = body(error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "bad",
        ));
        assert_eq!(doc, json!({"Type": "User", "message": "bad"}));
    }
}
