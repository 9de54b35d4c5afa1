//! The services endpoint: one listener that speaks the real AWS protocols, so SDKs and the CLI in
//! handlers and users' scripts reach Sluice with only `AWS_ENDPOINT_URL` set.
//!
//! Dispatch is by request shape, as AWS's own front ends see it: DynamoDB's JSON 1.0 protocol names
//! its operation in `X-Amz-Target`; Lambda's REST protocol lives under `/2015-03-31/functions`.

use std::future::Future;
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sluice_dynamodb::DynamoDb;
use tokio::net::TcpListener;

use crate::connections::ConnectionLimit;
use crate::generation::Generation;

/// DynamoDB's operation prefix in `X-Amz-Target`.
pub(crate) const DYNAMODB_TARGET: &str = "DynamoDB_20120810.";
/// DynamoDB Streams' operation prefix in `X-Amz-Target` (same JSON 1.0 protocol and framing).
const DYNAMODB_STREAMS_TARGET: &str = "DynamoDBStreams_20120810.";

/// How long a client may send nothing while its body is incomplete.
const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The largest request we read: Lambda's 6 MB payload limit plus room for the 413 to be Lambda's own.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// The services Sluice emulates behind the endpoint.
pub(crate) struct Services {
    /// The current generation, whose functions Lambda's Invoke API reaches.
    pub current: Arc<ArcSwap<Generation>>,
    /// The DynamoDB store (the same in every generation).
    pub dynamodb: Arc<DynamoDb>,
    /// `--dynamodb-endpoint`: DynamoDB and Streams calls are forwarded there instead.
    pub remote: Option<Arc<crate::remote_dynamodb::RemoteDynamoDb>>,
    /// Function logs, for the CloudWatch Logs API.
    pub logs: Arc<crate::logs::LogStore>,
    /// Region and account in the ARNs the CloudWatch Logs API returns.
    pub aws: sluice_aws_env::AwsEnv,
    /// Where a handler's DynamoDB units are counted toward its request's route.
    pub traffic: Arc<crate::traffic::Traffic>,
}

/// Serves the endpoint on `listener` until `shutdown` resolves.
pub(crate) async fn serve(
    listener: TcpListener,
    limit: Arc<ConnectionLimit>,
    services: Arc<Services>,
    shutdown: impl Future<Output = ()>,
) {
    crate::http_listener::serve_connections(listener, limit, shutdown, move |stream, _remote| {
        let services = services.clone();
        let service = service_fn(move |request: Request<Incoming>| {
            let services = services.clone();
            async move { Ok::<_, std::convert::Infallible>(route(&services, request).await) }
        });
        // DynamoDB's front end answers an oversized request line or header block with 400.
        let stream = crate::front_end_status::FrontEndStatus::new(stream);
        (TokioIo::new(stream), service)
    })
    .await;
}

/// `InvokeWithResponseStream` answers as the function streams; everything else answers whole.
async fn route(
    services: &Services,
    request: Request<Incoming>,
) -> Response<UnsyncBoxBody<Bytes, std::convert::Infallible>> {
    use sluice_lambda::invoke_api::response_stream;
    if !request.uri().path().starts_with(response_stream::PREFIX) {
        return handle(services, request).await.map(BodyExt::boxed_unsync);
    }
    let (parts, body) = request.into_parts();
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(refusal) => return refusal.map(BodyExt::boxed_unsync),
    };
    let lambda = services.current.load().lambda.clone();
    response_stream::handle(&lambda, &parts, body)
        .await
        .map(|body| body.boxed())
}

/// Routes one request to the service it belongs to.
pub(crate) async fn handle(
    services: &Services,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(remote) = &services.remote {
        if target.starts_with(DYNAMODB_TARGET) || target.starts_with(DYNAMODB_STREAMS_TARGET) {
            remote.ready().await;
            return match remote.forward(target, body).await {
                Ok((status, body)) => dynamodb_response(status, body),
                // What an SDK shows for a DynamoDB that cannot be reached: a 5xx it retries.
                Err(message) => unsupported(
                    StatusCode::BAD_GATEWAY,
                    "ServiceUnavailable",
                    &format!("the DynamoDB endpoint {} failed: {message}", remote.url()),
                ),
            };
        }
    }
    if let Some(operation) = target.strip_prefix(DYNAMODB_TARGET) {
        if operation == "DescribeEndpoints" {
            if let Some(host) = client_host(&parts) {
                let reply = DynamoDb::describe_endpoints(host);
                return dynamodb_response(reply.status, reply.body);
            }
        }
        // A call from a handler carries its invocation's trace (see `traffic::dynamodb_units`).
        let trace = parts
            .headers
            .get("x-amzn-trace-id")
            .and_then(|v| v.to_str().ok());
        let reply = match trace {
            Some(trace) => {
                let (reply, units) = services.dynamodb.handle_metered(operation, body).await;
                services.traffic.dynamodb_call(trace, units);
                reply
            }
            None => services.dynamodb.handle(operation, body).await,
        };
        return dynamodb_response(reply.status, reply.body);
    }
    if let Some(operation) = target.strip_prefix(DYNAMODB_STREAMS_TARGET) {
        let reply = services.dynamodb.handle_streams(operation, body).await;
        return dynamodb_response(reply.status, reply.body);
    }
    if let Some(operation) = target.strip_prefix(crate::logs::api::TARGET_PREFIX) {
        let reply = crate::logs::api::handle(&services.logs, &services.aws, operation, &body);
        let status =
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return respond(
            status,
            crate::logs::api::CONTENT_TYPE,
            Bytes::from(reply.body),
        );
    }
    // The current generation's user pools: `/<pool id>/.well-known/…`, as cognito-idp serves them.
    if let Some(response) =
        crate::auth_setup::serve_well_known(&services.current.load().cognito, &parts)
    {
        return response;
    }
    if parts.uri.path().starts_with("/2015-03-31/functions") {
        let lambda = services.current.load().lambda.clone();
        return sluice_lambda::invoke_api::handle(&lambda, &parts, body).await;
    }
    // DynamoDB's health check (Alternator's test_health_works, written against it): a bare
    // `GET /` answers 200 `healthy: <host>`.
    if parts.method == http::Method::GET && parts.uri.path() == "/" && target.is_empty() {
        let host = client_host(&parts).unwrap_or("localhost");
        return respond(
            StatusCode::OK,
            "text/plain",
            Bytes::from(format!("healthy: {host} ")),
        );
    }
    let service = service_name(&parts.headers, target);
    unsupported(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplementedException",
        &format!(
            "Sluice does not emulate the {service} service (this endpoint serves DynamoDB, Lambda and CloudWatch Logs)"
        ),
    )
}

/// The address the client used to reach this endpoint: `Host` (HTTP/1.1), else the URI's
/// authority (HTTP/2's `:authority`).
fn client_host(parts: &http::request::Parts) -> Option<&str> {
    parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .filter(|h| !h.is_empty())
}

/// Reads a whole request body: over the size limit is a 413; a client that stalls (nothing for
/// [`BODY_IDLE_TIMEOUT`]) or goes away mid-body is a 400, as the API port answers.
async fn read_body(body: Incoming) -> Result<Bytes, Response<Full<Bytes>>> {
    let mut body = std::pin::pin!(Limited::new(body, MAX_REQUEST_BYTES));
    let mut buffer = bytes::BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(BODY_IDLE_TIMEOUT, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(buffer.freeze()),
            Err(_) => {
                return Err(unsupported(
                    StatusCode::BAD_REQUEST,
                    "RequestTimeoutException",
                    "the request body stalled: nothing was received for 10 seconds",
                ))
            }
        };
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    buffer.extend_from_slice(&data);
                }
            }
            Err(error) if error.is::<http_body_util::LengthLimitError>() => {
                return Err(unsupported(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLargeException",
                    &format!("could not read the request body: {error}"),
                ))
            }
            Err(error) => {
                return Err(unsupported(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    &format!("could not read the request body: {error}"),
                ))
            }
        }
    }
}

/// DynamoDB's response framing: its content type, a CRC32 of the body (SDKs verify it) and a request id.
fn dynamodb_response(status: u16, body: Bytes) -> Response<Full<Bytes>> {
    let crc = crc32fast::hash(&body);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = respond(status, "application/x-amz-json-1.0", body);
    response
        .headers_mut()
        .insert("x-amz-crc32", HeaderValue::from(crc));
    response
}

/// The one encoder for requests no emulated service handles (AWS's JSON error shape).
fn unsupported(
    status: StatusCode,
    error_type: &'static str,
    message: &str,
) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "__type": error_type, "message": message }).to_string();
    let mut response = respond(status, "application/json", Bytes::from(body));
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    response
}

/// A response with the headers every AWS service sends: its content type and a fresh request id.
fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// Which AWS service a request was meant for: the SigV4 credential scope names it
/// (`Credential=AKID/20260101/us-east-1/s3/aws4_request`); else the `X-Amz-Target` prefix.
fn service_name(headers: &http::HeaderMap, target: &str) -> String {
    let from_scope = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|credential| credential.split(['/', ',']).nth(3))
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    from_scope
        .or_else(|| {
            target
                .split('.')
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "requested".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_is_named_from_the_signature_scope_or_target() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x",
            ),
        );
        assert_eq!(service_name(&headers, ""), "sqs");
        assert_eq!(
            service_name(&http::HeaderMap::new(), "AmazonSQS.SendMessage"),
            "AmazonSQS"
        );
        assert_eq!(service_name(&http::HeaderMap::new(), ""), "requested");
    }
}
