//! Event source mappings on DynamoDB streams: one poller per mapping reads its table's stream
//! through the DynamoDB Streams API and invokes the function with DynamoDB's batch event, with
//! Lambda's batching, filtering, retries and checkpoints.
//!
//! The pollers reach the stream through [`StreamSource`] (the embedded store, or a remote
//! DynamoDB endpoint), so this crate still knows nothing of how DynamoDB is served.

mod batch;
mod failure_record;
mod filter;
mod poll;
mod progress;
mod shards;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use filter::{FilterError, FilterPattern};

use crate::service::Lambda;

/// Where a mapping starts reading when it has no checkpoint for the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record the stream holds.
    TrimHorizon,
    /// Only records written after the poller first reads the stream.
    Latest,
}

/// One event source mapping from a table's stream to a function.
#[derive(Debug, Clone)]
pub struct StreamMappingSpec {
    /// Stable name, the key of its checkpoint.
    pub id: String,
    /// The Lambda function (by name) it invokes.
    pub function: String,
    /// The table whose latest stream it reads.
    pub table: String,
    /// Where to start without a checkpoint.
    pub starting_position: StartingPosition,
    /// Most records per invocation.
    pub batch_size: usize,
    /// How long to gather records before invoking with fewer than `batch_size`.
    pub batching_window: Duration,
    /// Records must match one of these to be delivered (all are, when empty).
    pub filters: Vec<FilterPattern>,
    /// Retries of a failing batch; `None` retries until its records are too old.
    pub maximum_retry_attempts: Option<u32>,
    /// Records older than this are given up on; `None` means the stream's 24 hours.
    pub maximum_record_age: Option<Duration>,
    /// Split a failing batch in two and retry the halves.
    pub bisect_on_error: bool,
    /// The function reports failed records (`batchItemFailures`).
    pub report_batch_item_failures: bool,
    /// `DestinationConfig.OnFailure`: named when records are given up on (not emulated).
    pub on_failure_destination: Option<String>,
}

/// Which of DynamoDB's two JSON APIs a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamApi {
    /// `DynamoDB_20120810` (DescribeTable).
    DynamoDb,
    /// `DynamoDBStreams_20120810` (DescribeStream, GetShardIterator, GetRecords).
    Streams,
}

/// Why a call to the stream's service failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StreamSourceError {
    /// The service answered with an error (`__type` without its namespace, and the message).
    #[error("{operation}: {error_type}: {message}")]
    Api {
        /// The operation called.
        operation: String,
        /// `ResourceNotFoundException`, `ExpiredIteratorException`, …
        error_type: String,
        /// The service's message.
        message: String,
    },
    /// The service could not be reached or answered something that is not DynamoDB's protocol.
    #[error("{operation}: {message}")]
    Transport {
        /// The operation called.
        operation: String,
        /// What went wrong.
        message: String,
    },
    /// The checkpoint store failed.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

/// A boxed future of a [`StreamSource`] call.
pub type SourceFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, StreamSourceError>> + Send + 'a>>;

/// A mapping's single checkpoint: every record up to `sequence_number` of `stream_arn` was
/// handled. Older Sluices kept only this; pollers now keep a [`ShardCheckpoint`] per shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The stream read.
    pub stream_arn: String,
    /// The last handled record's sequence number.
    pub sequence_number: String,
}

/// How far a mapping has read one shard of a stream. AWS: Lambda keeps a position per shard and
/// reads a stream's shards side by side, each in order, a child only after its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardCheckpoint {
    /// The shard's `ShardId`.
    pub shard_id: String,
    /// The last handled record of the shard, if any was.
    pub sequence_number: Option<String>,
    /// The shard is closed and was read to its end: its children may be read.
    pub finished: bool,
}

/// What pollers need from DynamoDB: its JSON APIs and a durable place for checkpoints.
pub trait StreamSource: Send + Sync + 'static {
    /// Calls `operation` of `api` with a JSON request; the JSON response on success.
    fn call(&self, api: StreamApi, operation: &'static str, body: Value)
        -> SourceFuture<'_, Value>;
    /// The mapping's checkpoint, if it has one.
    fn checkpoint<'a>(&'a self, mapping: &'a str) -> SourceFuture<'a, Option<Checkpoint>>;
    /// Stores the mapping's checkpoint.
    fn save_checkpoint<'a>(
        &'a self,
        mapping: &'a str,
        checkpoint: Checkpoint,
    ) -> SourceFuture<'a, ()>;
    /// The mapping's checkpoint of each shard of `stream_arn`; `None` when this source keeps
    /// only one checkpoint per mapping ([`StreamSource::checkpoint`]), which is exact only for
    /// a stream read one shard at a time (a chain of shards, never two open side by side).
    fn shard_checkpoints<'a>(
        &'a self,
        _mapping: &'a str,
        _stream_arn: &'a str,
    ) -> SourceFuture<'a, Option<Vec<ShardCheckpoint>>> {
        Box::pin(async { Ok(None) })
    }
    /// Stores checkpoints of shards of `stream_arn`, all or none, durably before it returns. A
    /// source with one checkpoint per mapping keeps the last sequence number given.
    fn save_shard_checkpoints<'a>(
        &'a self,
        mapping: &'a str,
        stream_arn: &'a str,
        checkpoints: Vec<ShardCheckpoint>,
    ) -> SourceFuture<'a, ()> {
        Box::pin(async move {
            let last = checkpoints
                .iter()
                .rev()
                .find_map(|c| c.sequence_number.clone());
            if let Some(sequence_number) = last {
                let checkpoint = Checkpoint {
                    stream_arn: stream_arn.to_owned(),
                    sequence_number,
                };
                self.save_checkpoint(mapping, checkpoint).await?;
            }
            Ok(())
        })
    }
}

/// Running pollers. Whoever starts them owns them: [`StreamPollers::stop`] ends them between
/// batches; dropping ends them at once (a batch in flight is then delivered again by the next
/// poller, which starts from the checkpoint: at-least-once, as on AWS).
#[derive(Debug)]
pub struct StreamPollers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl StreamPollers {
    /// Asks every poller to stop once the batch it is delivering is checkpointed, waits up to
    /// `grace` for them, then ends the ones still busy (a batch retried without end, a slow
    /// function).
    pub async fn stop(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        let aborts: Vec<_> = tasks.iter().map(|t| t.abort_handle()).collect();
        let all = futures_join(tasks);
        if tokio::time::timeout(grace, all).await.is_err() {
            for abort in aborts {
                abort.abort();
            }
        }
    }
}

/// Waits for every task.
async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for task in tasks {
        let _ = task.await;
    }
}

impl Drop for StreamPollers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Lambda {
    /// Starts one poller per mapping, reading through `source`; the caller owns them. Must run
    /// inside a tokio runtime.
    pub fn start_stream_pollers(
        self: &Arc<Self>,
        mappings: Vec<StreamMappingSpec>,
        source: Arc<dyn StreamSource>,
    ) -> StreamPollers {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let tasks = mappings
            .into_iter()
            .map(|mapping| {
                tokio::spawn(poll::run(
                    Arc::downgrade(self),
                    source.clone(),
                    Arc::new(mapping),
                    stopped.clone(),
                ))
            })
            .collect();
        StreamPollers { stop, tasks }
    }
}
