//! Durable storage behind a small `Store` trait; the SQLite implementation uses WAL with
//! `synchronous=NORMAL`: a commit is in the WAL file before the client hears of it, so an
//! acknowledged write survives `kill -9` of Sluice (SQLite guarantees this at any sync level).
//! AWS: durable against machine failure too. Sluice: an OS crash or power loss may undo the last
//! commits (never corrupt the file), because an fsync per write made durable PutItem 3x slower.

mod backups;
mod index;
mod schema;
pub(crate) mod sqlite;

use std::path::PathBuf;

use crate::attribute_value::{item_from_value, AttributeValueError, Item};
use crate::table::{KeySchema, TableDef};
use crate::table_backup::BackupRecord;

/// Storage failures; these are Sluice's fault or the data file's, never the client's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory could not be created.
    #[error("cannot create the DynamoDB data directory {path}")]
    CreateDir {
        /// Directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a SQLite database or is damaged.
    #[error("the DynamoDB data file {path} is corrupted or not a database (move it away to start empty)")]
    Corrupt {
        /// File.
        path: PathBuf,
        /// Cause.
        source: rusqlite::Error,
    },
    /// The file is a SQLite database that Sluice did not create.
    #[error("the DynamoDB data file {path} belongs to another program (application_id {found:#x}); move it away to start empty")]
    Foreign {
        /// File.
        path: PathBuf,
        /// The id found.
        found: i32,
    },
    /// SQLite's integrity check found damage.
    #[error("the DynamoDB data file {path} failed its integrity check ({report}); move it away to start empty")]
    Damaged {
        /// File.
        path: PathBuf,
        /// What `PRAGMA quick_check` reported.
        report: String,
    },
    /// A stored table definition, stream or record could not be read or written as JSON.
    #[error("stored DynamoDB data is unreadable")]
    Json(#[from] serde_json::Error),
    /// A stored item is not valid attribute-value JSON.
    #[error("a stored DynamoDB item is unreadable")]
    Item(#[from] AttributeValueError),
    /// Any other SQLite failure.
    #[error("the DynamoDB store (SQLite) failed")]
    Sqlite(#[from] rusqlite::Error),
}

/// One stored row: encoded keys and the item as stored.
#[derive(Debug, Clone)]
pub struct Row {
    /// Encoded hash key.
    pub hk: Vec<u8>,
    /// Encoded range key (empty when the table has none).
    pub rk: Vec<u8>,
    /// The item, undecoded.
    pub stored: StoredItem,
}

/// An item as the store holds it: its wire JSON text (what `item_to_json` wrote) and its size by
/// DynamoDB's accounting. Reads that filter and project nothing pass the text through undecoded,
/// which is most of what a GetItem, Scan or Query would otherwise spend.
#[derive(Debug, Clone)]
pub struct StoredItem {
    /// Attribute-value JSON, exactly as a response carries it.
    pub text: String,
    /// `item_size` of the item, stored with it.
    pub size: usize,
}

impl StoredItem {
    /// The typed item.
    pub fn decode(&self) -> Result<Item, StoreError> {
        decode_item(&self.text)
    }
}

/// One write of an atomic batch.
#[derive(Debug, Clone)]
pub enum Write {
    /// Insert or replace.
    Put {
        /// Table.
        table: String,
        /// Hash key.
        hk: Vec<u8>,
        /// Range key.
        rk: Vec<u8>,
        /// Item.
        item: Item,
    },
    /// Delete if present.
    Delete {
        /// Table.
        table: String,
        /// Hash key.
        hk: Vec<u8>,
        /// Range key.
        rk: Vec<u8>,
    },
    /// Delete if present, by time to live (stream records name the service as the deleter).
    Expire {
        /// Table.
        table: String,
        /// Hash key.
        hk: Vec<u8>,
        /// Range key.
        rk: Vec<u8>,
    },
}

/// Where a restored table's items come from.
#[derive(Debug, Clone, Copy)]
pub enum RestoreSource<'a> {
    /// The backup with this id.
    Backup(&'a str),
    /// The table with this name, as it is now.
    Table(&'a str),
}

/// What the DynamoDB operations need from storage. Callers serialize access (one lock), so a
/// read-check-write sequence followed by [`Store::apply`] is atomic.
pub trait Store: Send {
    /// All table definitions.
    fn load_tables(&self) -> Result<Vec<TableDef>, StoreError>;
    /// Creates or replaces a table definition.
    fn put_table(&mut self, def: &TableDef) -> Result<(), StoreError>;
    /// Drops a table and its items.
    fn delete_table(&mut self, name: &str) -> Result<(), StoreError>;
    /// Records a backup of `backup.source` and copies that table's items into it, in one
    /// transaction.
    fn put_backup(&mut self, backup: &BackupRecord) -> Result<(), StoreError>;
    /// Every backup, oldest first.
    fn backups(&self) -> Result<Vec<BackupRecord>, StoreError>;
    /// Drops a backup and its items.
    fn delete_backup(&mut self, id: &str) -> Result<(), StoreError>;
    /// Creates the table `def` (which must not exist) holding a copy of the items of `from`, with
    /// its indexes built, in one transaction.
    fn restore(&mut self, from: RestoreSource<'_>, def: &TableDef) -> Result<(), StoreError>;
    /// One item by key, undecoded.
    fn get_stored(
        &self,
        table: &str,
        hk: &[u8],
        rk: &[u8],
    ) -> Result<Option<StoredItem>, StoreError>;
    /// One item by key.
    fn get(&self, table: &str, hk: &[u8], rk: &[u8]) -> Result<Option<Item>, StoreError> {
        self.get_stored(table, hk, rk)?
            .map(|s| s.decode())
            .transpose()
    }
    /// Up to `limit` rows in key order: within one hash key if `hk` is given, after `after` (exclusive),
    /// backwards if `!forward`.
    fn range(
        &self,
        table: &str,
        hk: Option<&[u8]>,
        after: Option<(&[u8], &[u8])>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError>;
    /// Up to `limit` entries of a secondary index in index order (index hash, index range, table hash,
    /// table range): within one index hash key if `ihk` is given, strictly after the position `after`
    /// (those four keys), backwards if `!forward`. Each comes with the full table item.
    fn index_range(
        &self,
        table: &str,
        index: &str,
        ihk: Option<&[u8]>,
        after: Option<&[Vec<u8>]>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<IndexRow>, StoreError>;
    /// Applies writes all-or-nothing, keeping every secondary index of the written tables in step.
    fn apply(&mut self, writes: &[Write]) -> Result<(), StoreError>;
    /// (item count, total bytes) of a table.
    fn stats(&self, table: &str) -> Result<(i64, i64), StoreError>;
    /// (item count, total bytes of the indexed items) of a secondary index.
    fn index_stats(&self, table: &str, index: &str) -> Result<(i64, i64), StoreError>;
    /// Streams (of one table, or all), ordered by ARN.
    fn streams(&self, table: Option<&str>) -> Result<Vec<StreamInfo>, StoreError>;
    /// One stream by ARN.
    fn stream(&self, arn: &str) -> Result<Option<StreamInfo>, StoreError>;
    /// Up to `limit` records of a stream with sequence numbers above `after`, in order.
    fn stream_records(
        &self,
        arn: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, serde_json::Value)>, StoreError>;
    /// (first, last) sequence numbers a stream holds.
    fn stream_bounds(&self, arn: &str) -> Result<Option<(i64, i64)>, StoreError>;
    /// The highest sequence number ever given to a record (0 before the first).
    fn last_sequence(&self) -> Result<i64, StoreError>;
    /// Drops stream records created before `before` (epoch seconds); returns how many.
    fn trim_streams(&mut self, before: f64) -> Result<usize, StoreError>;
    /// Where an event source mapping has read to, if it has read anything.
    fn checkpoint(&self, mapping: &str) -> Result<Option<StreamCheckpoint>, StoreError>;
    /// Records where an event source mapping has read to.
    fn save_checkpoint(
        &mut self,
        mapping: &str,
        checkpoint: &StreamCheckpoint,
    ) -> Result<(), StoreError>;
    /// Where an event source mapping has read each shard of the stream `arn` to.
    fn shard_checkpoints(
        &self,
        mapping: &str,
        arn: &str,
    ) -> Result<Vec<ShardCheckpoint>, StoreError>;
    /// Records where an event source mapping has read shards of the stream `arn` to, all or
    /// none (one transaction).
    fn save_shard_checkpoints(
        &mut self,
        mapping: &str,
        arn: &str,
        checkpoints: &[ShardCheckpoint],
    ) -> Result<(), StoreError>;
}

/// How far an event source mapping has read a stream: every record up to and including
/// `sequence_number` was handled (delivered, filtered out or given up on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamCheckpoint {
    /// The stream read.
    pub stream_arn: String,
    /// The last handled record's `SequenceNumber`, as the Streams API shows it.
    pub sequence_number: String,
}

/// How far an event source mapping has read one shard of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardCheckpoint {
    /// The shard's `ShardId`.
    pub shard_id: String,
    /// The last handled record of the shard, if any was.
    pub sequence_number: Option<String>,
    /// The shard is closed and was read to its end: its children may be read.
    pub finished: bool,
}

/// A stream as stored: which table, its view type and whether it still receives records.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    /// Stream ARN.
    pub arn: String,
    /// Table name.
    pub table: String,
    /// Stream label (creation time).
    pub label: String,
    /// KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.
    pub view_type: String,
    /// The table's key schema.
    pub keys: KeySchema,
    /// Creation time, epoch seconds.
    pub created: f64,
    /// False once disabled or its table deleted.
    pub enabled: bool,
}

/// One entry of a secondary index with the item it points at.
#[derive(Debug, Clone)]
pub struct IndexRow {
    /// Position in index order: index hash, index range, table hash, table range (encoded).
    pub pos: Vec<Vec<u8>>,
    /// The full table item.
    pub item: Item,
}

/// A stored item: its attribute-value JSON text, as written by the SQLite store.
fn decode_item(text: &str) -> Result<Item, StoreError> {
    let v: serde_json::Value = serde_json::from_str(text)?;
    Ok(item_from_value(&v)?)
}
