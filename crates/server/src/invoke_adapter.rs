//! Connects the gateway's narrow `Invoke` interface to the Lambda service.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use sluice_apigw::{Invoke, InvokeError, InvokeFuture};
use sluice_lambda::Lambda;

/// The Lambda service as the gateway's integration target.
pub struct LambdaIntegration {
    /// The functions.
    pub lambda: Arc<Lambda>,
    /// Routes name functions by logical id; Lambda knows them by function name.
    pub names: HashMap<String, String>,
}

impl Invoke for LambdaIntegration {
    fn invoke<'a>(&'a self, function: &'a str, payload: Bytes) -> InvokeFuture<'a> {
        Box::pin(async move {
            let name = self.names.get(function).map_or(function, String::as_str);
            match self.lambda.invoke(name, payload).await {
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
