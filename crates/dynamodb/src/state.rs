//! The service's mutable state behind its one lock: storage, the table catalogue, and the AWS
//! environment every ARN is built in.

use std::collections::BTreeMap;

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
}

impl State {
    /// The named table or DynamoDB's not-found error.
    pub fn table(&self, name: &str) -> DynamoResult<&TableDef> {
        self.tables
            .get(name)
            .ok_or_else(|| DynamoError::ResourceNotFound("Requested resource not found".into()))
    }
}
