//! One mapping's poller: finds the table's stream and every shard of it, reads them parents first
//! ([`super::shards`]), each from after the checkpoint (or at the starting position), gathers
//! batches and hands them to [`super::batch::deliver`].

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::watch;

use super::shards::{self, Start};
use super::StreamSourceError;
use super::{batch, Checkpoint, StreamApi, StreamMappingSpec, StreamSource};
use crate::service::Lambda;

/// How often an idle shard is read again (Lambda polls a stream's shards four times a second).
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long to wait before trying again after the stream could not be read.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Why reading the stream stopped.
#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error(transparent)]
    Source(#[from] StreamSourceError),
    #[error("table {0} has no stream (enable StreamSpecification on it)")]
    NoStream(String),
    #[error("DescribeStream of {0} lists no shard")]
    NoShard(String),
    /// The service that owns the poller is gone.
    #[error("stopped")]
    Stopped,
}

/// Waits `period` unless asked to stop first; true when the poller should stop.
async fn pause(stop: &mut watch::Receiver<bool>, period: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(period) => *stop.borrow(),
        // A dropped sender means the owner is gone: stop too.
        _ = stop.changed() => true,
    }
}

/// Reads the mapping's stream until the service is dropped or `stop` says so (checked between
/// batches: a batch being delivered is finished and checkpointed first); problems are logged
/// once each and retried.
pub(super) async fn run(
    lambda: Weak<Lambda>,
    source: Arc<dyn StreamSource>,
    mapping: Arc<StreamMappingSpec>,
    mut stop: watch::Receiver<bool>,
) {
    let mut said: Option<String> = None;
    loop {
        let problem = match read_stream(&lambda, source.as_ref(), &mapping, &mut stop).await {
            // The shard closed (stream disabled) and was read to its end: look for a new stream.
            Ok(()) => None,
            Err(PollError::Stopped) => return,
            Err(e) => Some(e.to_string()),
        };
        if problem != said {
            if let Some(p) = &problem {
                tracing::warn!(mapping = %mapping.id, function = %mapping.function, "cannot read the stream of table {}: {p}; retrying", mapping.table);
            }
            said = problem;
        }
        if pause(&mut stop, ERROR_PAUSE).await {
            return;
        }
    }
}

async fn read_stream(
    lambda: &Weak<Lambda>,
    source: &dyn StreamSource,
    mapping: &StreamMappingSpec,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), PollError> {
    let table = source
        .call(
            StreamApi::DynamoDb,
            "DescribeTable",
            json!({"TableName": mapping.table}),
        )
        .await?;
    let arn = table["Table"]["LatestStreamArn"]
        .as_str()
        .ok_or_else(|| PollError::NoStream(mapping.table.clone()))?
        .to_owned();
    let shards = shards::lineage_order(shards::list(source, &arn).await?);
    if shards.is_empty() {
        return Err(PollError::NoShard(arn));
    }
    // The last record handled, carried from shard to shard: each is read from where it stands.
    let mut handled: Option<String> = source
        .checkpoint(&mapping.id)
        .await?
        .filter(|c| c.stream_arn == arn)
        .map(|c| c.sequence_number);
    for shard in &shards {
        let Some(start) = shards::start_of(shard, handled.as_deref(), mapping.starting_position)
        else {
            continue;
        };
        read_shard(
            lambda,
            source,
            mapping,
            &arn,
            &shard.id,
            start,
            &mut handled,
            stop,
        )
        .await?;
    }
    // Every listed shard is closed and read (the stream was disabled, or its shards rolled
    // over): the caller looks again for new shards or a new stream.
    Ok(())
}

/// Reads one shard from `start` until it is closed and read to its end (an open shard is read
/// until the poller stops), delivering batches and checkpointing; `handled` follows the checkpoint.
#[allow(clippy::too_many_arguments)]
async fn read_shard(
    lambda: &Weak<Lambda>,
    source: &dyn StreamSource,
    mapping: &StreamMappingSpec,
    arn: &str,
    shard: &str,
    start: Start,
    handled: &mut Option<String>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), PollError> {
    let mut request = json!({"StreamArn": arn, "ShardId": shard});
    match start {
        Start::After(sequence_number) => {
            request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
            request["SequenceNumber"] = json!(sequence_number);
        }
        Start::TrimHorizon => request["ShardIteratorType"] = json!("TRIM_HORIZON"),
        Start::Latest => request["ShardIteratorType"] = json!("LATEST"),
    }
    let started = source
        .call(StreamApi::Streams, "GetShardIterator", request)
        .await?;
    let mut iterator = started["ShardIterator"].as_str().map(str::to_owned);
    let mut pending: Vec<Value> = Vec::new();
    let mut first_at: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            return Err(PollError::Stopped);
        }
        if pending.len() < mapping.batch_size {
            if let Some(current) = iterator.take() {
                let page = source
                    .call(
                        StreamApi::Streams,
                        "GetRecords",
                        json!({"ShardIterator": current, "Limit": mapping.batch_size - pending.len()}),
                    )
                    .await?;
                iterator = page["NextShardIterator"].as_str().map(str::to_owned);
                let records = page["Records"].as_array().cloned().unwrap_or_default();
                if !records.is_empty() && pending.is_empty() {
                    first_at = Some(Instant::now());
                }
                pending.extend(records);
            }
        }
        let full = pending.len() >= mapping.batch_size;
        let waited = first_at.is_some_and(|t| t.elapsed() >= mapping.batching_window);
        let closed = iterator.is_none();
        if !pending.is_empty() && (full || waited || closed) {
            let records = std::mem::take(&mut pending);
            first_at = None;
            let service = lambda.upgrade().ok_or(PollError::Stopped)?;
            let delivered = batch::deliver(&service, mapping, arn, records).await;
            drop(service);
            if let Some(sequence_number) = delivered {
                let checkpoint = Checkpoint {
                    stream_arn: arn.to_owned(),
                    sequence_number: sequence_number.clone(),
                };
                source.save_checkpoint(&mapping.id, checkpoint).await?;
                *handled = Some(sequence_number);
            }
            continue;
        }
        if closed {
            return Ok(());
        }
        // Records gathered but not delivered are read again from the checkpoint next time.
        if pause(stop, POLL_INTERVAL).await {
            return Err(PollError::Stopped);
        }
    }
}
