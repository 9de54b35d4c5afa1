//! The phase walk for one request: route → (authorize → api key → throttle → cache, added by later
//! issues) → read body → integrate → map response; every failure is a [`GatewayError`] answered in
//! one place.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use sluice_aws_env::AwsEnv;
use sluice_template::RestApi;

use crate::binary_media::BinaryMediaTypes;
use crate::exchange::{stable_id, ApiStage, Exchange};
use crate::gateway_error::GatewayError;
use crate::integration::{Invoke, InvokeError};
use crate::request_event;
use crate::response_mapping::map_response;
use crate::route_table::{RouteError, RouteMatch, RouteTable};

/// Limits and identity of the emulated API Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayOptions {
    /// How long the gateway waits for the function (AWS REST: 29 s) before answering 504.
    pub integration_timeout: Duration,
    /// Largest request body accepted (AWS: 10 MB) before answering 413.
    pub max_body_bytes: usize,
    /// Region and account the gateway pretends to run in (`requestContext.accountId`).
    pub aws: AwsEnv,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            integration_timeout: Duration::from_secs(29),
            max_body_bytes: 10 * 1024 * 1024,
            aws: AwsEnv::default(),
        }
    }
}

/// API Gateway (REST, Lambda proxy integration) for all REST APIs of a template.
pub struct Gateway {
    /// Routes of every API, merged on one port as SAM local does.
    routes: RouteTable,
    /// Per-API stage data; `RouteEntry::api` indexes it.
    stages: Vec<ApiStage>,
    /// Logical ids of the APIs, same indexes (seeds `resourceId`).
    api_logical_ids: Vec<String>,
    /// Where proxy integrations go.
    invoker: Arc<dyn Invoke>,
    /// Limits and identity.
    options: GatewayOptions,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("routes", &self.routes)
            .field("stages", &self.stages)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Build the route table for all REST APIs of a template (SAM local merges them on one port).
    pub fn new(
        apis: &[RestApi],
        invoker: Arc<dyn Invoke>,
        options: GatewayOptions,
    ) -> Result<Gateway, RouteError> {
        let routes = RouteTable::new(apis)?;
        let stages = apis
            .iter()
            .map(|api| ApiStage {
                api_id: stable_id(&api.logical_id, 10),
                deployment_id: stable_id(&format!("deployment {}", api.logical_id), 6),
                stage: api.stage_name.clone(),
                stage_variables: api.stage_variables.clone(),
                binary_media_types: BinaryMediaTypes::new(&api.binary_media_types),
            })
            .collect();
        Ok(Gateway {
            routes,
            stages,
            api_logical_ids: apis.iter().map(|a| a.logical_id.clone()).collect(),
            invoker,
            options,
        })
    }

    /// Serve one HTTP request. Never panics; every failure becomes an AWS-shaped response.
    pub async fn handle<B>(&self, req: Request<B>, remote: SocketAddr) -> Response<Full<Bytes>>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::fmt::Display,
    {
        let (parts, body) = req.into_parts();
        let mut ex = Exchange::new(&parts, remote);
        let mut response = match self.walk(&mut ex, body).await {
            Ok(response) => response,
            Err(error) => {
                log_failure(&ex, &error);
                error.into_response(&ex.request_id)
            }
        };
        stamp(&mut response, &ex);
        response
    }

    /// The phases, in order. Each either hands the context on or ends the request with an error.
    async fn walk<B>(
        &self,
        ex: &mut Exchange,
        body: B,
    ) -> Result<Response<Full<Bytes>>, GatewayError>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::fmt::Display,
    {
        // A declared length over the limit is refused before any routing work. The body is still
        // read and dropped: a client that is mid-upload when the connection closes sees a broken pipe
        // instead of the 413.
        if declared_length(ex).is_some_and(|len| len > self.options.max_body_bytes) {
            discard(body).await;
            return Err(GatewayError::RequestTooLarge {
                limit: self.options.max_body_bytes,
            });
        }

        // Phase: route.
        let route = self
            .routes
            .find(&ex.method, &ex.raw_path)
            .ok_or(GatewayError::MissingAuthenticationToken)?;
        let stage = self
            .stages
            .get(route.entry.api)
            .ok_or_else(|| GatewayError::Internal("route names an unknown API".into()))?;

        // Phases to come (later issues), each `fn(&self, &mut Exchange, &RouteMatch) -> Result<(), GatewayError>`:
        // authorize → api key → throttle → cache lookup. They go here, before the body is read.

        // Phase: read body.
        ex.body = read_body(body, self.options.max_body_bytes).await?;

        // Phase: integrate.
        let payload = self.integrate(ex, &route, stage).await?;

        // Phase: map response.
        let decode_base64 = stage
            .binary_media_types
            .matches_accept(ex.header("accept").as_deref());
        map_response(&payload, decode_base64).map_err(|reason| {
            GatewayError::BadGateway(format!(
                "Execution failed due to configuration error: Malformed Lambda proxy response ({reason})"
            ))
        })
    }

    /// Build the event, invoke the function under the integration timeout, classify failures.
    async fn integrate(
        &self,
        ex: &Exchange,
        route: &RouteMatch<'_>,
        stage: &ApiStage,
    ) -> Result<Bytes, GatewayError> {
        let api_logical_id = self
            .api_logical_ids
            .get(route.entry.api)
            .map(String::as_str)
            .unwrap_or_default();
        let event = request_event::build(ex, route, stage, api_logical_id, &self.options.aws);
        let payload = serde_json::to_vec(&event)
            .map_err(|e| GatewayError::Internal(format!("event serialization failed: {e}")))?;
        let invocation = self
            .invoker
            .invoke(&route.entry.function, Bytes::from(payload));
        match tokio::time::timeout(self.options.integration_timeout, invocation).await {
            Err(_) => Err(GatewayError::IntegrationTimeout),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(InvokeError::Function { payload })) => Err(GatewayError::BadGateway(format!(
                "Lambda execution failed with status 200 due to customer function error: {}",
                String::from_utf8_lossy(&payload)
            ))),
            Ok(Err(InvokeError::Rejected {
                error_type,
                message,
            })) => Err(GatewayError::IntegrationFailure(format!(
                "Lambda invocation failed: {error_type}: {message}"
            ))),
        }
    }
}

/// The `Content-Length` the client declared, if any and numeric.
fn declared_length(ex: &Exchange) -> Option<usize> {
    ex.headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Read the whole body, refusing more than `limit` bytes (chunked bodies have no declared length).
async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, GatewayError>
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: std::fmt::Display,
{
    let mut body = std::pin::pin!(body);
    let mut buffer = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| GatewayError::BadRequestBody(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if buffer.len() + data.len() > limit {
                discard(body).await;
                return Err(GatewayError::RequestTooLarge { limit });
            }
            buffer.extend_from_slice(&data);
        }
    }
    Ok(buffer.freeze())
}

/// Reads and drops the rest of a refused body, up to a bound in bytes and time, so the client gets
/// to read the error response; past the bound the connection is closed as before.
async fn discard<B>(body: B)
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: std::fmt::Display,
{
    const MAX_DISCARD: usize = 64 * 1024 * 1024;
    let mut body = std::pin::pin!(body);
    let drain = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen += data.len();
                if seen > MAX_DISCARD {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), drain).await;
}

/// Headers API Gateway adds to every response, its own errors included.
fn stamp(response: &mut Response<Full<Bytes>>, ex: &Exchange) {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-amzn-requestid", &ex.request_id),
        ("x-amz-apigw-id", &ex.extended_request_id),
        ("x-amzn-trace-id", &ex.trace_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
}

/// One log line per failed request, at a level that says whose fault it is.
fn log_failure(ex: &Exchange, error: &GatewayError) {
    let status = error.status().as_u16();
    match error {
        GatewayError::MissingAuthenticationToken
        | GatewayError::RequestTooLarge { .. }
        | GatewayError::BadRequestBody(_) => tracing::debug!(
            request_id = %ex.request_id, method = %ex.method, path = %ex.raw_path, status, "{error}"
        ),
        GatewayError::BadGateway(_)
        | GatewayError::IntegrationFailure(_)
        | GatewayError::IntegrationTimeout => tracing::warn!(
            request_id = %ex.request_id, method = %ex.method, path = %ex.raw_path, status, "{error}"
        ),
        GatewayError::Internal(_) => tracing::error!(
            request_id = %ex.request_id, method = %ex.method, path = %ex.raw_path, status, "{error}"
        ),
    }
}
