//! Connects the gateway's narrow `Invoke` interface to the Lambda service.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use sluice_apigw::{
    ChunkSource, EventFuture, FunctionAnswer, Invoke, InvokeError, InvokeFuture, ResponseStream,
    StreamFailed, StreamingInvokeFuture,
};
use sluice_lambda::{Invocation, InvokeOptions, InvokeResponse, Lambda};
use sluice_template::Model;
use tokio::sync::mpsc::Receiver;

use crate::traffic::request_slot::{self, InvocationRecord};

/// The Lambda service as the gateway's integration target.
pub struct LambdaIntegration {
    /// The functions.
    pub lambda: Arc<Lambda>,
    /// Routes name functions by logical id; Lambda knows them by function name: the model maps
    /// one to the other ([`Model::function`], the one place that does).
    pub model: Arc<Model>,
}

impl LambdaIntegration {
    /// The function name Lambda knows the route's target (`LogicalId` or `LogicalId:qualifier`)
    /// by.
    fn name<'a>(&'a self, target: &'a str) -> &'a str {
        let function = target.split_once(':').map_or(target, |(id, _)| id);
        self.model
            .function(function)
            .map_or(function, |f| f.name.as_str())
    }

    /// How the gateway invokes `target`: with its choice of request id, through the qualifier the
    /// target names (the route's: SAM's events name the `AutoPublishAlias` alias, an integration
    /// the user wrote what its URI names), unqualified (`$LATEST`) when it names none, as Lambda
    /// runs an unqualified ARN. A qualifier the function does not have fails as Lambda's
    /// ResourceNotFoundException does, which API Gateway answers 500.
    fn options(
        &self,
        target: &str,
        request_id: Option<&str>,
    ) -> Result<InvokeOptions, InvokeError> {
        let qualifier = match target.split_once(':') {
            None | Some((_, "$LATEST")) => None,
            Some((_, qualifier)) => {
                let name = self.name(target);
                if !self.lambda.accepts_qualifier(name, qualifier) {
                    return Err(rejected(&sluice_lambda::InvokeError::ResourceNotFound {
                        arn: self.lambda.arn(&format!("{name}:{qualifier}")),
                    }));
                }
                Some(qualifier.to_owned())
            }
        };
        Ok(InvokeOptions {
            client_context: None,
            request_id: request_id.map(str::to_owned),
            qualifier,
            tenant_id: None,
        })
    }

    /// Invoke `function` with `options`, recording the invocation for the request's access record.
    async fn invoke_recorded(
        &self,
        function: &str,
        payload: Bytes,
        options: impl FnOnce(&str) -> Result<InvokeOptions, InvokeError>,
    ) -> Result<Bytes, InvokeError> {
        let name = self.name(function);
        let options = options(function)?;
        let event = payload.clone();
        let result = self.lambda.invoke_with(name, payload, options).await;
        if let Ok(invocation) = &result {
            record(name, &event, invocation);
        }
        match result {
            Ok(invocation) => buffered(invocation),
            Err(error) => Err(rejected(&error)),
        }
    }
}

impl Invoke for LambdaIntegration {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        request_id: Option<&'a str>,
    ) -> InvokeFuture<'a> {
        Box::pin(self.invoke_recorded(function, payload, move |target| {
            self.options(target, request_id)
        }))
    }

    fn invoke_for_tenant<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        tenant: &'a str,
        request_id: Option<&'a str>,
    ) -> InvokeFuture<'a> {
        Box::pin(self.invoke_recorded(function, payload, move |target| {
            Ok(InvokeOptions {
                tenant_id: Some(tenant.to_owned()),
                ..self.options(target, request_id)?
            })
        }))
    }

    fn invoke_event<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        request_id: Option<&'a str>,
    ) -> EventFuture<'a> {
        Box::pin(async move {
            let name = self.name(function);
            let event = payload.clone();
            let request_id = self
                .lambda
                .invoke_event(name, payload, self.options(function, request_id)?)
                .map_err(|error| rejected(&error))?;
            record_unanswered(name, &event, request_id, request_slot::QUEUED);
            Ok(())
        })
    }

    fn invoke_streaming<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
        request_id: Option<&'a str>,
    ) -> StreamingInvokeFuture<'a> {
        Box::pin(async move {
            let name = self.name(function);
            let event = payload.clone();
            match self
                .lambda
                .invoke_streaming(name, payload, self.options(function, request_id)?)
                .await
            {
                Ok(InvokeResponse::Buffered(invocation)) => {
                    record(name, &event, &invocation);
                    buffered(invocation).map(FunctionAnswer::Buffered)
                }
                Ok(InvokeResponse::Streaming(stream)) => {
                    record_unanswered(
                        name,
                        &event,
                        stream.request_id.clone(),
                        request_slot::INVOKED,
                    );
                    Ok(FunctionAnswer::Streamed(relay(stream)))
                }
                Err(error) => Err(rejected(&error)),
            }
        })
    }
}

/// Tells the request's access record which invocation answered it.
fn record(name: &str, event: &Bytes, invocation: &Invocation) {
    request_slot::put(InvocationRecord {
        function: name.to_owned(),
        request_id: invocation.request_id.clone(),
        event: request_slot::kept(event),
        event_size: event.len(),
        response: request_slot::kept(&invocation.payload),
        response_size: invocation.payload.len(),
        function_error: invocation.function_error.is_some(),
        gb_seconds: invocation.report.map_or(0.0, |r| r.gb_seconds()),
        trace_id: invocation.trace_id.clone(),
        integration_status: request_slot::INVOKED,
    });
}

/// Like [`record`] for an invocation whose answer is not known when the request's record is
/// made: its body, outcome and cost stay empty.
///
/// - An asynchronous one (`status` [`request_slot::QUEUED`]) is recorded when Lambda queues it:
///   what API Gateway knows then is the Invoke call's 202 and its request id (`$context.
///   integration.requestId`), which the run's START/END/REPORT lines carry later. AWS bills the
///   run on its own, after the answer: its GB-seconds and DynamoDB units count toward the
///   function (console, `sluice report`), as the Invoke API's `Event` runs do, not the route.
/// - A streamed one ([`request_slot::INVOKED`]) is recorded when its head goes out, before the
///   handler is done, so its DynamoDB units stay outside any route too.
fn record_unanswered(name: &str, event: &Bytes, request_id: String, status: u16) {
    request_slot::put(InvocationRecord {
        function: name.to_owned(),
        request_id,
        event: request_slot::kept(event),
        event_size: event.len(),
        response: Bytes::new(),
        response_size: 0,
        function_error: false,
        gb_seconds: 0.0,
        trace_id: String::new(),
        integration_status: status,
    });
}

/// A whole answer: the payload, or the function's error.
fn buffered(invocation: Invocation) -> Result<Bytes, InvokeError> {
    match invocation.function_error {
        None => Ok(invocation.payload),
        Some(_) => Err(InvokeError::Function {
            payload: invocation.payload,
        }),
    }
}

fn rejected(error: &sluice_lambda::InvokeError) -> InvokeError {
    InvokeError::Rejected {
        error_type: error.error_type().to_owned(),
        message: error.to_string(),
    }
}

/// Lambda's stream as the gateway takes it: the same channel, failures reduced to their document.
fn relay(stream: sluice_lambda::StreamingInvocation) -> ResponseStream {
    ResponseStream {
        content_type: stream.content_type,
        chunks: Box::new(LambdaChunks(stream.body)),
    }
}

/// A Lambda stream's receiving end, read by the gateway's response body directly.
struct LambdaChunks(Receiver<Result<Bytes, sluice_lambda::StreamFailure>>);

impl ChunkSource for LambdaChunks {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, StreamFailed>>> {
        self.0.poll_recv(cx).map(|chunk| {
            chunk.map(|chunk| {
                chunk.map_err(|failure| StreamFailed {
                    payload: failure.payload,
                })
            })
        })
    }
}
