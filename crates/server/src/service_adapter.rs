//! Connects the gateway's narrow `CallService` interface to DynamoDB: Sluice's own store, or the
//! `--dynamodb-endpoint` the services endpoint forwards to, so a service integration and a
//! handler's SDK see the same tables.

use std::sync::Arc;

use bytes::Bytes;
use sluice_apigw::{CallService, ServiceAnswer, ServiceFuture};
use sluice_dynamodb::DynamoDb;

use crate::remote_dynamodb::RemoteDynamoDb;

/// DynamoDB as the target of REST `AWS` integrations with a `dynamodb:action/…` URI.
pub struct DynamoDbService {
    /// The embedded store.
    pub dynamodb: Arc<DynamoDb>,
    /// `--dynamodb-endpoint`: where calls go instead, when set.
    pub remote: Option<Arc<RemoteDynamoDb>>,
}

impl CallService for DynamoDbService {
    fn dynamodb<'a>(&'a self, action: &'a str, input: Bytes) -> ServiceFuture<'a> {
        Box::pin(async move {
            let Some(remote) = &self.remote else {
                let reply = self.dynamodb.handle(action, input).await;
                return ServiceAnswer {
                    status: reply.status,
                    body: reply.body,
                };
            };
            remote.ready().await;
            let target = format!("{}{action}", crate::services_endpoint::DYNAMODB_TARGET);
            match remote.forward(&target, input).await {
                Ok((status, body)) => ServiceAnswer { status, body },
                // An endpoint that cannot be reached answers as DynamoDB's own internal error
                // would: a 500 the method's integration responses map.
                Err(message) => {
                    tracing::warn!("the DynamoDB endpoint {} failed: {message}", remote.url());
                    ServiceAnswer {
                        status: 500,
                        body: Bytes::from(
                            serde_json::json!({
                                "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                "message": message,
                            })
                            .to_string(),
                        ),
                    }
                }
            }
        })
    }
}
