//! Event source mappings on DynamoDB streams: the template's mappings compiled for the Lambda
//! service's pollers, and the embedded store as the source they read and checkpoint in.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use sluice_dynamodb::{DynamoDb, StreamCheckpoint};
use sluice_lambda::stream_poller::ShardCheckpoint;
use sluice_lambda::stream_poller::{
    Checkpoint, FilterPattern, SourceFuture, StartingPosition, StreamApi, StreamMappingSpec,
    StreamSource, StreamSourceError,
};
use sluice_template::Model;

use crate::ServerError;

/// The template's enabled mappings as the pollers take them; what a person should know about
/// them goes to `notes`. A filter pattern Lambda would refuse is an error, as it fails a deploy.
pub(crate) fn specs(
    model: &Model,
    notes: &mut Vec<String>,
) -> Result<Vec<StreamMappingSpec>, ServerError> {
    let mut specs = Vec::new();
    for m in &model.stream_mappings {
        let Some(function) = model.function(&m.function) else {
            continue;
        };
        if !m.enabled {
            notes.push(format!(
                "Stream mapping {}: disabled (Enabled: false); table {} is not read",
                m.id, m.table
            ));
            continue;
        }
        let filters = m
            .filter_patterns
            .iter()
            .map(|p| FilterPattern::parse(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ServerError::StreamMapping {
                mapping: m.id.clone(),
                message: e.to_string(),
            })?;
        let declared = model.tables.iter().find(|t| t.name == m.table);
        if declared.is_some_and(|t| t.spec.stream.is_none()) {
            notes.push(format!(
                "Warning: stream mapping {}: table {} has no StreamSpecification, so it has no stream to read",
                m.id, m.table
            ));
        }
        if let Some(destination) = &m.on_failure_destination {
            notes.push(format!(
                "Stream mapping {}: DestinationConfig.OnFailure ({destination}) is not emulated; records given up on are logged",
                m.id
            ));
        }
        specs.push(StreamMappingSpec {
            id: m.id.clone(),
            function: function.name.clone(),
            table: m.table.clone(),
            starting_position: match m.starting_position {
                sluice_template::StartingPosition::TrimHorizon => StartingPosition::TrimHorizon,
                sluice_template::StartingPosition::Latest => StartingPosition::Latest,
            },
            batch_size: m.batch_size as usize,
            batching_window: Duration::from_secs(m.batching_window_secs.into()),
            filters,
            maximum_retry_attempts: u32::try_from(m.maximum_retry_attempts).ok(),
            maximum_record_age: u64::try_from(m.maximum_record_age_secs)
                .ok()
                .map(Duration::from_secs),
            bisect_on_error: m.bisect_on_error,
            report_batch_item_failures: m.report_batch_item_failures,
            on_failure_destination: m.on_failure_destination.clone(),
        });
    }
    Ok(specs)
}

/// The embedded store: its JSON APIs called in-process, checkpoints in its SQLite file.
pub(crate) struct EmbeddedStreams {
    /// The store.
    pub dynamodb: Arc<DynamoDb>,
}

impl StreamSource for EmbeddedStreams {
    fn call(
        &self,
        api: StreamApi,
        operation: &'static str,
        body: Value,
    ) -> SourceFuture<'_, Value> {
        Box::pin(async move {
            let body = Bytes::from(body.to_string());
            let reply = match api {
                StreamApi::DynamoDb => self.dynamodb.handle(operation, body).await,
                StreamApi::Streams => self.dynamodb.handle_streams(operation, body).await,
            };
            decode_reply(operation, reply.status, &reply.body)
        })
    }

    fn checkpoint<'a>(&'a self, mapping: &'a str) -> SourceFuture<'a, Option<Checkpoint>> {
        let dynamodb = self.dynamodb.clone();
        let mapping = mapping.to_owned();
        Box::pin(async move {
            let found = on_store(move || dynamodb.stream_checkpoint(&mapping)).await?;
            Ok(found.map(|c| Checkpoint {
                stream_arn: c.stream_arn,
                sequence_number: c.sequence_number,
            }))
        })
    }

    fn save_checkpoint<'a>(
        &'a self,
        mapping: &'a str,
        checkpoint: Checkpoint,
    ) -> SourceFuture<'a, ()> {
        let dynamodb = self.dynamodb.clone();
        let mapping = mapping.to_owned();
        let stored = StreamCheckpoint {
            stream_arn: checkpoint.stream_arn,
            sequence_number: checkpoint.sequence_number,
        };
        Box::pin(on_store(move || {
            dynamodb.save_stream_checkpoint(&mapping, &stored)
        }))
    }

    fn shard_checkpoints<'a>(
        &'a self,
        mapping: &'a str,
        stream_arn: &'a str,
    ) -> SourceFuture<'a, Option<Vec<ShardCheckpoint>>> {
        let dynamodb = self.dynamodb.clone();
        let (mapping, arn) = (mapping.to_owned(), stream_arn.to_owned());
        Box::pin(async move {
            let rows = on_store(move || dynamodb.shard_checkpoints(&mapping, &arn)).await?;
            Ok(Some(
                rows.into_iter()
                    .map(|r| ShardCheckpoint {
                        shard_id: r.shard_id,
                        sequence_number: r.sequence_number,
                        finished: r.finished,
                    })
                    .collect(),
            ))
        })
    }

    fn save_shard_checkpoints<'a>(
        &'a self,
        mapping: &'a str,
        stream_arn: &'a str,
        checkpoints: Vec<ShardCheckpoint>,
    ) -> SourceFuture<'a, ()> {
        let dynamodb = self.dynamodb.clone();
        let (mapping, arn) = (mapping.to_owned(), stream_arn.to_owned());
        let stored: Vec<sluice_dynamodb::ShardCheckpoint> = checkpoints
            .into_iter()
            .map(|c| sluice_dynamodb::ShardCheckpoint {
                shard_id: c.shard_id,
                sequence_number: c.sequence_number,
                finished: c.finished,
            })
            .collect();
        Box::pin(on_store(move || {
            dynamodb.save_shard_checkpoints(&mapping, &arn, &stored)
        }))
    }
}

/// Runs a checkpoint store call on the blocking pool (SQLite blocks), its failures as the
/// poller's checkpoint errors.
async fn on_store<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, StreamSourceError>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StreamSourceError::Checkpoint(e.to_string()))?
        .map_err(|e| StreamSourceError::Checkpoint(format!("{e:#}")))
}

/// A DynamoDB JSON reply: the body on 200, else its `__type` (namespace dropped) and message.
pub(crate) fn decode_reply(
    operation: &str,
    status: u16,
    body: &[u8],
) -> Result<Value, StreamSourceError> {
    let parsed: Result<Value, _> = serde_json::from_slice(body);
    match (status, parsed) {
        (200, Ok(v)) => Ok(v),
        (_, Ok(v)) if v.get("__type").is_some() => {
            let kind = v["__type"].as_str().unwrap_or_default();
            Err(StreamSourceError::Api {
                operation: operation.to_owned(),
                error_type: kind.rsplit('#').next().unwrap_or(kind).to_owned(),
                message: v
                    .get("message")
                    .or_else(|| v.get("Message"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            })
        }
        (status, _) => Err(StreamSourceError::Transport {
            operation: operation.to_owned(),
            message: format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ),
        }),
    }
}
