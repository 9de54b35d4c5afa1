//! The service's mutable state behind its one lock: storage, the table catalogue, and the AWS
//! environment every ARN is built in.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use sluice_aws_env::AwsEnv;

use crate::protocol::{DynamoError, DynamoResult};
use crate::store::Store;
use crate::table::TableDef;

/// Mutable state behind the one lock: storage plus the table catalogue cached in memory.
pub struct State {
    /// Region, account and partition of every ARN the service names.
    pub aws: AwsEnv,
    /// Durable storage of tables, items and stream records.
    pub store: Box<dyn Store>,
    /// Every table's definition, by name, mirrored from the store so requests skip a read.
    pub tables: BTreeMap<String, TableDef>,
    /// `ClientRequestToken`s of recent TransactWriteItems calls.
    pub transaction_tokens: TransactionTokens,
    /// Request units consumed per table since the store opened (what on-demand billing counts).
    pub consumed: ConsumedUnits,
}

/// Read and write request units per table, as DynamoDB's on-demand billing counts them.
#[derive(Debug, Default, Clone)]
pub struct ConsumedUnits {
    by_table: BTreeMap<String, TableUnits>,
    /// Units of the request being handled (requests run one at a time, behind the state's lock).
    request: TableUnits,
}

/// One table's consumed request units.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct TableUnits {
    /// Read request units (4 KB each; eventually consistent halves, transactional doubles).
    pub read: f64,
    /// Write request units (1 KB each, plus index writes; transactional doubles).
    pub write: f64,
}

impl ConsumedUnits {
    /// Adds `read` and `write` units to `table`.
    pub fn add(&mut self, table: &str, read: f64, write: f64) {
        self.request.read += read;
        self.request.write += write;
        // A lookup first: the table's entry exists after its first request, so no key is cloned.
        match self.by_table.get_mut(table) {
            Some(units) => {
                units.read += read;
                units.write += write;
            }
            None => {
                self.by_table
                    .insert(table.to_owned(), TableUnits { read, write });
            }
        }
    }

    /// The units added since the last call (across tables): one request's, when called before
    /// and after it.
    pub fn take_request(&mut self) -> TableUnits {
        std::mem::take(&mut self.request)
    }

    /// Every table's units so far.
    pub fn snapshot(&self) -> BTreeMap<String, TableUnits> {
        self.by_table.clone()
    }
}

/// How long a `ClientRequestToken` makes TransactWriteItems idempotent.
pub const TOKEN_WINDOW: Duration = Duration::from_secs(10 * 60);

/// TransactWriteItems tokens used in the last [`TOKEN_WINDOW`], with the request each one carried.
/// AWS: tokens outlive a restart of the service; Sluice: kept in memory only, because a replay after
/// a restart within ten minutes is rare and would at worst apply a transaction twice.
#[derive(Debug, Default)]
pub struct TransactionTokens {
    seen: HashMap<String, (String, Instant)>,
}

impl TransactionTokens {
    /// True if `token` was used within the window with this same request (the caller answers
    /// without writing again); an error if it was used with a different one.
    pub fn replayed(&mut self, token: &str, fingerprint: &str) -> DynamoResult<bool> {
        self.seen.retain(|_, (_, at)| at.elapsed() < TOKEN_WINDOW);
        match self.seen.get(token) {
            None => Ok(false),
            Some((f, _)) if f == fingerprint => Ok(true),
            Some(_) => Err(DynamoError::IdempotentParameterMismatch(
                "DynamoDB rejected the request because you retried a request with a different payload but with an idempotent token that was already used.".into(),
            )),
        }
    }

    /// Records a token whose transaction succeeded.
    pub fn remember(&mut self, token: &str, fingerprint: String) {
        self.seen
            .insert(token.to_string(), (fingerprint, Instant::now()));
    }
}

impl State {
    /// The named table or DynamoDB's not-found error.
    pub fn table(&self, name: &str) -> DynamoResult<&TableDef> {
        self.tables
            .get(name)
            .ok_or_else(|| DynamoError::ResourceNotFound("Requested resource not found".into()))
    }
}
