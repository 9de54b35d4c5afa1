//! An embedded, durable, DynamoDB-compatible store speaking DynamoDB's JSON 1.0 protocol, so boto3 and the
//! AWS SDKs run unchanged against Sluice. The HTTP layer lives in the server crate; this crate turns an
//! operation name and a JSON body into DynamoDB's JSON response.

mod attribute_value;
pub mod backup;
mod expression;
// Entry points for `fuzz/`, kept out of the documented API.
#[doc(hidden)]
pub mod fuzzing;
mod key_codec;
mod member_constraints;
mod number;
mod ops;
mod protocol;
mod resource_policy;
mod state;
mod store;
mod stream_record;
mod sweeper;
mod table;
mod table_backup;
mod table_request;
mod table_settings;
mod ttl;
mod update_expression;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sluice_aws_env::AwsEnv;

pub use ops::create_table::{EnsureOutcome, EnsureTableError};
pub use protocol::DynamoResponse;
/// Typed table definitions (what templates declare), shared with the template crate.
pub use sluice_table_spec as table_spec;
pub use sluice_table_spec::TableSpec;
use state::State;
pub use state::TableUnits;
use store::sqlite::SqliteStore;
use store::Store;
pub use store::{ShardCheckpoint, StoreError, StreamCheckpoint};
pub use sweeper::{Sweeper, SweeperError, DEFAULT_SWEEP_INTERVAL};

/// Runs one request under the store's lock, with the units it consumed (across tables).
fn dispatch_metered(
    state: &Mutex<State>,
    target: &str,
    body: &[u8],
    dispatch: fn(&mut State, &str, &[u8]) -> DynamoResponse,
) -> (DynamoResponse, TableUnits) {
    // A poisoned lock only means another request panicked mid-way; SQLite rolled its
    // transaction back, so the state is still consistent.
    let mut guard = state.lock().unwrap_or_else(|p| p.into_inner());
    // Whatever an earlier, panicked request left is not this one's.
    guard.consumed.take_request();
    let response = dispatch(&mut guard, target, body);
    (response, guard.consumed.take_request())
}

/// Operations bounded by DynamoDB's own limits (one item, a 1 MB page, a 25-item batch, a
/// 100-action transaction; PartiQL statements run as those) and the Streams reads, which run on
/// the calling task.
fn runs_inline(target: &str) -> bool {
    matches!(
        target,
        "GetItem"
            | "PutItem"
            | "DeleteItem"
            | "UpdateItem"
            | "Query"
            | "Scan"
            | "BatchGetItem"
            | "BatchWriteItem"
            | "TransactGetItems"
            | "TransactWriteItems"
            | "ExecuteStatement"
            | "BatchExecuteStatement"
            | "ExecuteTransaction"
            | "DescribeTable"
            | "GetRecords"
            | "GetShardIterator"
            | "DescribeStream"
            | "ListStreams"
    )
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    /// A directory holding the SQLite file(s); created if missing.
    Dir(PathBuf),
    /// Nothing on disk (throwaway runs, tests).
    InMemory,
}

/// The DynamoDB service. Cheap to share (`Arc`); all requests serialize on one lock, which is what makes
/// conditional writes and transactions atomic.
pub struct DynamoDb {
    state: Arc<Mutex<State>>,
    /// Set while a [`Sweeper`] runs over this store, so a second one is refused.
    sweeper_running: Arc<AtomicBool>,
}

impl DynamoDb {
    /// Opens (or creates) the store; a corrupted or foreign data file is a clear error. `aws` gives
    /// the region and account of table, index and stream ARNs and of stream records.
    pub fn open(location: StoreLocation, aws: AwsEnv) -> Result<Arc<DynamoDb>, StoreError> {
        let store: Box<dyn Store> = match &location {
            StoreLocation::Dir(dir) => Box::new(SqliteStore::open_dir(dir, aws.clone())?),
            StoreLocation::InMemory => Box::new(SqliteStore::open_in_memory(aws.clone())?),
        };
        let tables = store
            .load_tables()?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        let state = Arc::new(Mutex::new(State {
            aws,
            store,
            tables,
            transaction_tokens: Default::default(),
            consumed: Default::default(),
        }));
        Ok(Arc::new(DynamoDb {
            state,
            sweeper_running: Arc::new(AtomicBool::new(false)),
        }))
    }

    /// Starts the background thread that sweeps expired items and trims old stream records every
    /// `interval`. The caller owns the returned handle and stops it on shutdown; a store has at most one
    /// sweeper at a time ([`SweeperError::AlreadyRunning`]).
    pub fn start_sweeper(&self, interval: std::time::Duration) -> Result<Sweeper, SweeperError> {
        sweeper::start(Arc::downgrade(&self.state), &self.sweeper_running, interval)
    }

    /// Deletes items whose time-to-live attribute (epoch seconds) is at or before `now_epoch_seconds`,
    /// in every table with TTL enabled; returns how many were deleted. A [`Sweeper`] calls this on an interval.
    pub fn sweep_expired(&self, now_epoch_seconds: f64) -> Result<usize, StoreError> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        ttl::sweep(&mut guard, now_epoch_seconds)
    }

    /// The read and write request units each table consumed since the store opened (counted
    /// whether or not requests asked for `ReturnConsumedCapacity`), for the cost report.
    pub fn consumed_units(&self) -> std::collections::BTreeMap<String, TableUnits> {
        let guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.consumed.snapshot()
    }

    /// Handles one request: `target` is the operation name after `DynamoDB_20120810.`, `body` the JSON.
    pub async fn handle(&self, target: &str, body: Bytes) -> DynamoResponse {
        self.run(target, body, ops::dispatch).await.0
    }

    /// Like [`DynamoDb::handle`], with the read and write request units this one request
    /// consumed (across tables), so a caller can attribute them (the cost report, per route).
    pub async fn handle_metered(&self, target: &str, body: Bytes) -> (DynamoResponse, TableUnits) {
        self.run(target, body, ops::dispatch).await
    }

    /// DescribeEndpoints for a client that reached this store at `host` (its `Host` header,
    /// `host[:port]`). AWS answers with the regional endpoint the client called; an SDK with
    /// endpoint discovery then sends every request there, so Sluice must name itself, not AWS.
    pub fn describe_endpoints(host: &str) -> DynamoResponse {
        protocol::encode_ok(protocol::Reply::Json(ops::describe_endpoints(host)))
    }

    /// Handles one DynamoDB Streams request: `target` is the operation name after
    /// `DynamoDBStreams_20120810.` (ListStreams, DescribeStream, GetShardIterator, GetRecords).
    pub async fn handle_streams(&self, target: &str, body: Bytes) -> DynamoResponse {
        self.run(target, body, ops::streams::dispatch).await.0
    }

    async fn run(
        &self,
        target: &str,
        body: Bytes,
        dispatch: fn(&mut State, &str, &[u8]) -> DynamoResponse,
    ) -> (DynamoResponse, TableUnits) {
        if runs_inline(target) {
            // Item reads and writes hold the lock for microseconds (a WAL append; no fsync but
            // at an occasional checkpoint): run them here rather than hop to the blocking pool
            // and back, two thread wake-ups that cost more than the operation.
            return dispatch_metered(&self.state, target, &body, dispatch);
        }
        let state = Arc::clone(&self.state);
        let target = target.to_string();
        // Table administration may rebuild indexes or drop many items: off the async workers.
        let run = move || dispatch_metered(&state, &target, &body, dispatch);
        match tokio::task::spawn_blocking(run).await {
            Ok(answered) => answered,
            Err(e) => (
                protocol::encode_error(&protocol::DynamoError::Internal(
                    protocol::InternalCause::new(e),
                )),
                TableUnits::default(),
            ),
        }
    }

    /// Creates a declared table (a template's) if it does not exist, validated as `CreateTable` is,
    /// with its TTL and point-in-time recovery enabled; reports how an existing table's schema differs (never changing its data).
    pub fn ensure_table(&self, spec: &TableSpec) -> Result<EnsureOutcome, EnsureTableError> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        ops::create_table::ensure(
            &mut guard,
            &spec.to_create_table_request(),
            ops::create_table::Beside {
                ttl_attribute: spec.ttl_attribute.as_deref(),
                point_in_time_recovery: spec.point_in_time_recovery,
            },
        )
    }

    /// Where the event source mapping `mapping` has read its stream to (kept in the store's file,
    /// so a restart resumes there). Blocks on SQLite: call it off the async workers.
    pub fn stream_checkpoint(&self, mapping: &str) -> Result<Option<StreamCheckpoint>, StoreError> {
        let guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.store.checkpoint(mapping)
    }

    /// Records where the event source mapping `mapping` has read to. Blocks on SQLite.
    pub fn save_stream_checkpoint(
        &self,
        mapping: &str,
        checkpoint: &StreamCheckpoint,
    ) -> Result<(), StoreError> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.store.save_checkpoint(mapping, checkpoint)
    }

    /// Where the event source mapping `mapping` has read each shard of the stream `arn` to.
    /// Blocks on SQLite.
    pub fn shard_checkpoints(
        &self,
        mapping: &str,
        arn: &str,
    ) -> Result<Vec<ShardCheckpoint>, StoreError> {
        let guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.store.shard_checkpoints(mapping, arn)
    }

    /// Records where the event source mapping `mapping` has read shards of the stream `arn`
    /// to, all in one transaction (durable once this returns, as every write). Blocks on SQLite.
    pub fn save_shard_checkpoints(
        &self,
        mapping: &str,
        arn: &str,
        checkpoints: &[ShardCheckpoint],
    ) -> Result<(), StoreError> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .store
            .save_shard_checkpoints(mapping, arn, checkpoints)
    }

    /// [`DynamoDb::ensure_table`] from a `CreateTable` request as JSON (import files carry that).
    pub(crate) fn ensure_table_request(
        &self,
        create_table_request: &serde_json::Value,
        ttl_attribute: Option<&str>,
    ) -> Result<EnsureOutcome, EnsureTableError> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let beside = ops::create_table::Beside {
            ttl_attribute,
            point_in_time_recovery: None,
        };
        ops::create_table::ensure(&mut guard, create_table_request, beside)
    }
}
