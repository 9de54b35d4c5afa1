//! Connects the gateway's narrow `Invoke` interface to the Lambda service.

use std::sync::Arc;

use bytes::Bytes;
use sluice_apigw::{Invoke, InvokeError, InvokeFuture};
use sluice_lambda::Lambda;
use sluice_template::Model;

use crate::traffic::function_stats::report_figures;
use crate::traffic::request_slot::{self, InvocationRecord};

/// The Lambda service as the gateway's integration target.
pub struct LambdaIntegration {
    /// The functions.
    pub lambda: Arc<Lambda>,
    /// Routes name functions by logical id; Lambda knows them by function name: the model maps
    /// one to the other ([`Model::function`], the one place that does).
    pub model: Arc<Model>,
}

impl Invoke for LambdaIntegration {
    fn invoke<'a>(&'a self, function: &'a str, payload: Bytes) -> InvokeFuture<'a> {
        Box::pin(async move {
            let name = self
                .model
                .function(function)
                .map_or(function, |f| f.name.as_str());
            let event = payload.clone();
            let result = self.lambda.invoke(name, payload).await;
            if let Ok(invocation) = &result {
                request_slot::put(InvocationRecord {
                    function: name.to_owned(),
                    request_id: invocation.request_id.clone(),
                    event: request_slot::kept(&event),
                    event_size: event.len(),
                    response: request_slot::kept(&invocation.payload),
                    response_size: invocation.payload.len(),
                    function_error: invocation.function_error.is_some(),
                    gb_seconds: report_figures(&invocation.log_tail)
                        .map_or(0.0, |r| r.gb_seconds()),
                });
            }
            match result {
                Ok(invocation) if invocation.function_error.is_none() => Ok(invocation.payload),
                Ok(invocation) => Err(InvokeError::Function {
                    payload: invocation.payload,
                }),
                Err(error) => Err(InvokeError::Rejected {
                    error_type: error.error_type().to_owned(),
                    message: error.to_string(),
                }),
            }
        })
    }
}
