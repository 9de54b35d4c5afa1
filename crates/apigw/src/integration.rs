//! The one narrow interface between the gateway and Lambda: invoke a function with bytes, get bytes
//! or a typed failure back. The gateway never knows how functions run. Beside it, as narrow, the
//! AWS service APIs that `AWS` integrations call directly ([`CallService`]) and the HTTP
//! endpoints `HTTP` integrations call ([`CallHttp`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

/// A boxed invocation future (object-safe so the gateway can hold `Arc<dyn Invoke>`).
pub type InvokeFuture<'a> = Pin<Box<dyn Future<Output = Result<Bytes, InvokeError>> + Send + 'a>>;

/// A boxed invocation future for a caller that relays streamed answers.
pub type StreamingInvokeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<FunctionAnswer, InvokeError>> + Send + 'a>>;

/// A boxed asynchronous (`Event`) invocation future: accepted, or refused by Lambda.
pub type EventFuture<'a> = Pin<Box<dyn Future<Output = Result<(), InvokeError>> + Send + 'a>>;

/// Lambda invocation: synchronous (RequestResponse), as the proxy integration uses it, and
/// asynchronous (`Event`) for Lambda custom integrations that ask for it.
pub trait Invoke: Send + Sync + 'static {
    /// Invoke the function with this logical id; resolves to the function's response payload.
    /// `function` is `LogicalId:qualifier` when the route invokes a version or alias of its own
    /// (a Function URL: `MyFn:live`, or `MyFn:$LATEST` for the unqualified function's URL);
    /// a bare logical id leaves the choice to the invoker. `request_id` is the Lambda request id
    /// to run under: a Function URL's own (Lambda is its front end), or one API Gateway chose so
    /// that its access log can name the invocation (`$context.integration.requestId`); `None`
    /// lets the invoker pick a fresh one.
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        request_id: Option<&'a str>,
    ) -> InvokeFuture<'a>;

    /// Invoke as [`Invoke::invoke`] does, for `tenant` (Lambda Invoke's `X-Amz-Tenant-Id`), as a
    /// REST proxy integration that maps that header does. By default Lambda refuses, as it
    /// refuses a tenant for a function without tenant isolation.
    fn invoke_for_tenant<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        tenant: &'a str,
        request_id: Option<&'a str>,
    ) -> InvokeFuture<'a> {
        let _ = (function, payload, tenant, request_id);
        Box::pin(async {
            Err(InvokeError::Rejected {
                error_type: "InvalidParameterValueException".into(),
                message: "this invoker does not isolate tenants".into(),
            })
        })
    }

    /// Queue an asynchronous (`Event`) invocation, as a Lambda custom integration whose
    /// `X-Amz-Invocation-Type` is `Event` does; resolves once Lambda accepted it (its 202), before
    /// the function runs, under `request_id` as [`Invoke::invoke`] takes it (Lambda's 202 names
    /// it). By default Lambda refuses: an invoker without a queue cannot accept.
    fn invoke_event<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        request_id: Option<&'a str>,
    ) -> EventFuture<'a> {
        let _ = (function, payload, request_id);
        Box::pin(async {
            Err(InvokeError::Rejected {
                error_type: "ServiceException".into(),
                message: "this invoker has no asynchronous invocation queue".into(),
            })
        })
    }

    /// Invoke for a caller that relays a streamed answer (a Function URL in `RESPONSE_STREAM`
    /// mode); resolves as soon as the function starts streaming. By default the whole answer, as
    /// [`Invoke::invoke`] gives it.
    fn invoke_streaming<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        request_id: Option<&'a str>,
    ) -> StreamingInvokeFuture<'a> {
        Box::pin(async move {
            self.invoke(function, payload, request_id)
                .await
                .map(FunctionAnswer::Buffered)
        })
    }
}

/// What a function answered a caller that takes streams.
#[derive(Debug)]
pub enum FunctionAnswer {
    /// The whole response payload at once (a handler that does not stream).
    Buffered(Bytes),
    /// A response the function is still writing.
    Streamed(ResponseStream),
}

/// A response payload arriving in chunks.
#[derive(Debug)]
pub struct ResponseStream {
    /// The function's content type: `application/vnd.awslambda.http-integration-response` when
    /// the body starts with an HTTP prelude (JSON status, headers and cookies, then 8 NUL bytes).
    pub content_type: String,
    /// The chunks, read as the function writes them.
    pub chunks: Box<dyn ChunkSource>,
}

/// Where a streamed answer's chunks come from (the invoker's channel, read without a relay).
pub trait ChunkSource: Send + 'static {
    /// The next chunk. `None` once the stream ended complete; an `Err` ends it early (the function
    /// failed or timed out) and is the last item.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, StreamFailed>>>;
}

impl ChunkSource for tokio::sync::mpsc::Receiver<Result<Bytes, StreamFailed>> {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, StreamFailed>>> {
        self.poll_recv(cx)
    }
}

impl std::fmt::Debug for dyn ChunkSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChunkSource")
    }
}

/// A streamed response ended by a function error; carries the error document, for the log.
#[derive(Debug, Clone)]
pub struct StreamFailed {
    /// `{"errorType":…,"errorMessage":…}`.
    pub payload: Bytes,
}

/// Why an invocation produced no usable response payload.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    /// The function ran and failed: unhandled error, timeout, crash, oversized response.
    /// API Gateway answers 502 for a REST API.
    #[error("function error: {}", String::from_utf8_lossy(.payload))]
    Function {
        /// The error payload (`{"errorMessage":…,"errorType":…}`), for the log.
        payload: Bytes,
    },
    /// Lambda refused the invocation (throttled, missing function, request too large): API Gateway's
    /// INTEGRATION_FAILURE, 500 for a REST API.
    #[error("{error_type}: {message}")]
    Rejected {
        /// Lambda's error type, e.g. `TooManyRequestsException`.
        error_type: String,
        /// Lambda's message.
        message: String,
    },
}

/// A boxed call to an AWS service API.
pub type ServiceFuture<'a> = Pin<Box<dyn Future<Output = ServiceAnswer> + Send + 'a>>;

/// The AWS service APIs that REST `AWS` integrations call directly: DynamoDB's, which Sluice
/// serves itself. The gateway never knows where the service runs.
pub trait CallService: Send + Sync + 'static {
    /// Runs DynamoDB's `action` (`GetItem`…) with `input`, the mapped request (its JSON input).
    fn dynamodb<'a>(&'a self, action: &'a str, input: Bytes) -> ServiceFuture<'a>;
}

/// What an AWS service answered. Errors are answers too (DynamoDB's 400 with its `__type`): the
/// method's integration responses map them, as on AWS, not the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAnswer {
    /// The service's HTTP status (integration responses' selection patterns match it).
    pub status: u16,
    /// The service's JSON body (`$input` of response templates).
    pub body: Bytes,
}

/// A boxed call to an HTTP endpoint.
pub type HttpFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpAnswer, HttpCallError>> + Send + 'a>>;

/// The HTTP endpoints REST `HTTP` integrations call. The gateway builds the integration request
/// (an absolute `http://` or `https://` URI, its headers and body); how it travels (pooled
/// connections, TLS, the environment's proxy) is the implementor's business. The gateway bounds
/// the call with the integration timeout.
pub trait CallHttp: Send + Sync + 'static {
    /// Sends `request` and reads the endpoint's whole answer.
    fn send(&self, request: http::Request<Bytes>) -> HttpFuture<'_>;
}

/// What an HTTP endpoint answered: any status is an answer (the integration responses select on
/// it), as on AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The endpoint's status code.
    pub status: u16,
    /// Its headers, names as received (`integration.response.header.*` reads them).
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Bytes,
}

/// Why an HTTP endpoint gave no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpCallError {
    /// The endpoint could not be reached or spoke no HTTP (refused connection, unknown host, TLS
    /// failure, a broken answer): what AWS logs as "Execution failed due to configuration error:
    /// Invalid endpoint address" and answers 500.
    #[error("{0}")]
    Unreachable(String),
}
