//! One mapping's poller: finds the table's stream and every shard of it, and reads each shard
//! whose parent is done ([`super::progress`]) in a task of its own, side by side, from after the
//! shard's checkpoint (or at the starting position); each task gathers batches, hands them to
//! [`super::batch::deliver`] and checkpoints the shard.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::progress::{self, Stored, StreamProgress};
use super::shards::{self, Shard, Start};
use super::StreamSourceError;
use super::{batch, ShardCheckpoint, StreamApi, StreamMappingSpec, StreamSource};
use crate::service::Lambda;

/// How often an idle shard is read again (Lambda polls a stream's shards four times a second).
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How often the shards are listed again while some are being read: children can appear after
/// their parent is seen to close, and must not wait for another shard to close.
const RELIST_INTERVAL: Duration = Duration::from_secs(10);
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
    /// A shard's reader panicked (a bug): the stream is read again from its checkpoints.
    #[error("reading shard failed: {0}")]
    Crashed(String),
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
    let mut progress: Option<StreamProgress> = None;
    loop {
        let problem = match read_stream(&lambda, &source, &mapping, &mut stop, &mut progress).await
        {
            // Every shard is closed (stream disabled) and read to its end, or new shards are yet
            // to be listed: look again.
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

/// Waits until the poller is asked to stop (or its owner is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Reads the table's latest stream: every shard whose parent is done at once, each in a task,
/// listing the shards again whenever one is read to its end (its children may now be read) and
/// every [`RELIST_INTERVAL`].
async fn read_stream(
    lambda: &Weak<Lambda>,
    source: &Arc<dyn StreamSource>,
    mapping: &Arc<StreamMappingSpec>,
    stop: &mut watch::Receiver<bool>,
    progress: &mut Option<StreamProgress>,
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
    // A new stream (the old one was disabled or its table replaced) is read from scratch.
    if progress.as_ref().is_some_and(|p| p.arn != arn) {
        *progress = None;
    }
    let progress = progress.get_or_insert_with(|| StreamProgress::new(arn.clone()));
    // The shard readers stop on this one; it follows `stop`, and an error stops them too.
    let (halt, halted) = watch::channel(false);
    let mut readers: JoinSet<(String, Result<(), PollError>)> = JoinSet::new();
    let mut running: HashSet<String> = HashSet::new();
    let outcome = loop {
        let step = schedule(
            lambda,
            source,
            mapping,
            &arn,
            progress,
            &halted,
            &mut readers,
            &mut running,
        )
        .await;
        match step {
            Ok(true) => {}
            Ok(false) => break Ok(()),
            Err(e) => break Err(e),
        }
        tokio::select! {
            joined = readers.join_next() => match joined {
                Some(Ok((shard, Ok(())))) => {
                    running.remove(&shard);
                    progress.finish(&shard);
                }
                Some(Ok((_, Err(e)))) => break Err(e),
                Some(Err(e)) => break Err(PollError::Crashed(e.to_string())),
                None => {}
            },
            () = stopped(stop) => break Err(PollError::Stopped),
            () = tokio::time::sleep(RELIST_INTERVAL) => {}
        }
    };
    // Readers finish the batch they deliver and checkpoint it before they stop.
    let _ = halt.send(true);
    while readers.join_next().await.is_some() {}
    outcome
}

/// Lists the shards and starts a reader for each shard that may be read and is not being read;
/// false when none is being read (every listed shard is done, or waits on nothing listed).
#[allow(clippy::too_many_arguments)]
async fn schedule(
    lambda: &Weak<Lambda>,
    source: &Arc<dyn StreamSource>,
    mapping: &Arc<StreamMappingSpec>,
    arn: &str,
    progress: &mut StreamProgress,
    halted: &watch::Receiver<bool>,
    readers: &mut JoinSet<(String, Result<(), PollError>)>,
    running: &mut HashSet<String>,
) -> Result<bool, PollError> {
    let listed = shards::list(source.as_ref(), arn).await?;
    if listed.is_empty() && running.is_empty() {
        return Err(PollError::NoShard(arn.to_owned()));
    }
    let stored = load(source.as_ref(), &mapping.id, arn, &listed).await?;
    let planned = progress.plan(listed, &stored, mapping.starting_position);
    for (shard, start) in progress::ready(&planned, running) {
        running.insert(shard.id.clone());
        let reader = ShardReader {
            lambda: lambda.clone(),
            source: source.clone(),
            mapping: mapping.clone(),
            arn: arn.to_owned(),
            shard: shard.id.clone(),
        };
        let (start, halted) = (start.clone(), halted.clone());
        readers.spawn(async move {
            let done = reader.read(start, halted).await;
            (reader.shard, done)
        });
    }
    Ok(!running.is_empty())
}

/// The mapping's checkpoints in `arn`. A store without per-shard checkpoints for it but with an
/// older Sluice's single checkpoint gets that turned into per-shard ones first (saved, so what it
/// meant outlives the first per-shard checkpoint).
async fn load(
    source: &dyn StreamSource,
    mapping: &str,
    arn: &str,
    listed: &[Shard],
) -> Result<Stored, PollError> {
    let single = || async {
        Ok::<_, StreamSourceError>(
            source
                .checkpoint(mapping)
                .await?
                .filter(|c| c.stream_arn == arn)
                .map(|c| c.sequence_number),
        )
    };
    let rows = match source.shard_checkpoints(mapping, arn).await? {
        None => {
            return Ok(Stored {
                shards: Default::default(),
                single: single().await?,
            })
        }
        Some(rows) if rows.is_empty() => match single().await? {
            None => rows,
            Some(cp) => {
                let migrated = progress::migrate(listed, &cp);
                if migrated.is_empty() {
                    // Every listed shard began after it: each is read whole.
                    return Ok(Stored {
                        shards: Default::default(),
                        single: Some(cp),
                    });
                }
                source
                    .save_shard_checkpoints(mapping, arn, migrated.clone())
                    .await?;
                migrated
            }
        },
        Some(rows) => rows,
    };
    Ok(Stored {
        shards: rows.into_iter().map(|r| (r.shard_id.clone(), r)).collect(),
        single: None,
    })
}

/// What reading one shard needs.
struct ShardReader {
    lambda: Weak<Lambda>,
    source: Arc<dyn StreamSource>,
    mapping: Arc<StreamMappingSpec>,
    arn: String,
    shard: String,
}

impl ShardReader {
    /// Saves the shard's checkpoint: handled up to `sequence_number`, and whether it is finished.
    async fn checkpoint(
        &self,
        sequence_number: Option<String>,
        finished: bool,
    ) -> Result<(), PollError> {
        let checkpoint = ShardCheckpoint {
            shard_id: self.shard.clone(),
            sequence_number,
            finished,
        };
        self.source
            .save_shard_checkpoints(&self.mapping.id, &self.arn, vec![checkpoint])
            .await?;
        Ok(())
    }

    /// Reads the shard from `start` until it is closed and read to its end (then marks it
    /// finished; an open shard is read until the poller stops), delivering batches in order and
    /// checkpointing each.
    async fn read(&self, start: Start, mut stop: watch::Receiver<bool>) -> Result<(), PollError> {
        let (source, mapping, arn) = (self.source.as_ref(), self.mapping.as_ref(), &self.arn);
        let mut request = json!({"StreamArn": arn, "ShardId": self.shard});
        let mut handled = None;
        match start {
            Start::After(sequence_number) => {
                request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
                request["SequenceNumber"] = json!(sequence_number);
                handled = Some(sequence_number);
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
                let service = self.lambda.upgrade().ok_or(PollError::Stopped)?;
                let origin = batch::Origin {
                    stream_arn: arn,
                    shard_id: &self.shard,
                };
                let delivered = batch::deliver(&service, mapping, origin, records).await;
                drop(service);
                if let Some(sequence_number) = delivered {
                    self.checkpoint(Some(sequence_number.clone()), false)
                        .await?;
                    handled = Some(sequence_number);
                }
                continue;
            }
            if closed {
                // Read to its end: its children may be read now, here or after a restart.
                self.checkpoint(handled, true).await?;
                return Ok(());
            }
            // Records gathered but not delivered are read again from the checkpoint next time.
            if pause(&mut stop, POLL_INTERVAL).await {
                return Err(PollError::Stopped);
            }
        }
    }
}
