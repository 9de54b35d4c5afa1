//! Connects the gateway's narrow `Invoke` interface to the Lambda service.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use sluice_apigw::{
    ChunkSource, FunctionAnswer, Invoke, InvokeError, InvokeFuture, ResponseStream, StreamFailed,
    StreamingInvokeFuture,
};
use sluice_lambda::{Invocation, InvokeResponse, Lambda};
use sluice_template::Model;
use tokio::sync::mpsc::Receiver;

/// The Lambda service as the gateway's integration target.
pub struct LambdaIntegration {
    /// The functions.
    pub lambda: Arc<Lambda>,
    /// Routes name functions by logical id; Lambda knows them by function name: the model maps
    /// one to the other ([`Model::function`], the one place that does).
    pub model: Arc<Model>,
}

impl LambdaIntegration {
    /// The function name Lambda knows the route's function by.
    fn name<'a>(&'a self, function: &'a str) -> &'a str {
        self.model
            .function(function)
            .map_or(function, |f| f.name.as_str())
    }
}

impl Invoke for LambdaIntegration {
    fn invoke<'a>(&'a self, function: &'a str, payload: Bytes) -> InvokeFuture<'a> {
        Box::pin(async move {
            match self.lambda.invoke(self.name(function), payload).await {
                Ok(invocation) => buffered(invocation),
                Err(error) => Err(rejected(&error)),
            }
        })
    }

    fn invoke_streaming<'a>(
        &'a self,
        function: &'a str,
        payload: Bytes,
    ) -> StreamingInvokeFuture<'a> {
        Box::pin(async move {
            match self
                .lambda
                .invoke_streaming(self.name(function), payload, None)
                .await
            {
                Ok(InvokeResponse::Buffered(invocation)) => {
                    buffered(invocation).map(FunctionAnswer::Buffered)
                }
                Ok(InvokeResponse::Streaming(stream)) => {
                    Ok(FunctionAnswer::Streamed(relay(stream)))
                }
                Err(error) => Err(rejected(&error)),
            }
        })
    }
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
