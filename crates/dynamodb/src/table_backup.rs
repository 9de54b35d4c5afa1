//! On-demand backups of a table as DynamoDB describes them: the stored record (the table's
//! definition when it was copied; the items are copied beside it by the store) and the
//! `BackupDetails`, `BackupDescription` and `BackupSummary` shapes of botocore's model. What a
//! backup records is what ack-api-quirks recorded against DynamoDB (DDB-BACKUP-004/009).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sluice_aws_env::AwsEnv;

use crate::table::TableDef;

/// One backup as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// `table/<name>/backup/<id>`, the ARN's resource part: the ARN is built in the service's
    /// region and account, as a table's is.
    pub id: String,
    /// `BackupName` (not unique, as on AWS).
    pub name: String,
    /// `BackupCreationDateTime`, epoch seconds to the millisecond.
    pub created: f64,
    /// The table's item count when copied.
    pub item_count: i64,
    /// The table's size in bytes when copied (`BackupSizeBytes`).
    pub size_bytes: i64,
    /// The table's definition when copied.
    pub source: TableDef,
}

impl BackupRecord {
    /// The resource part of a new backup's ARN: DynamoDB's `<epoch ms, 14 digits>-<8 hex>` id.
    pub fn new_id(table: &str, created: f64) -> String {
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
        format!(
            "table/{table}/backup/{:014}-{suffix}",
            (created * 1000.0) as u64
        )
    }

    /// `BackupArn`.
    pub fn arn(&self, aws: &AwsEnv) -> String {
        aws.arn("dynamodb", &self.id)
    }

    /// `BackupDetails` with `status` (CREATING in CreateBackup's answer, AVAILABLE after, DELETED
    /// in DeleteBackup's). USER backups have no `BackupExpiryDateTime`.
    pub fn details(&self, aws: &AwsEnv, status: &str) -> Value {
        json!({
            "BackupArn": self.arn(aws),
            "BackupName": self.name,
            "BackupSizeBytes": self.size_bytes,
            "BackupStatus": status,
            "BackupType": "USER",
            "BackupCreationDateTime": self.created,
        })
    }

    /// `BackupDescription`: the details, the source table and the features it had.
    pub fn description(&self, aws: &AwsEnv, status: &str) -> Value {
        let t = &self.source;
        let mut table = Map::new();
        table.insert("TableName".into(), json!(t.name));
        table.insert("TableId".into(), json!(t.table_id));
        table.insert("TableArn".into(), json!(t.arn(aws)));
        table.insert("TableSizeBytes".into(), json!(self.size_bytes));
        table.insert("KeySchema".into(), t.keys.to_json());
        table.insert("TableCreationDateTime".into(), json!(t.created));
        table.insert(
            "ProvisionedThroughput".into(),
            json!({"ReadCapacityUnits": t.read_capacity, "WriteCapacityUnits": t.write_capacity}),
        );
        if let Some((read, write)) = t.settings.on_demand {
            table.insert(
                "OnDemandThroughput".into(),
                json!({"MaxReadRequestUnits": read, "MaxWriteRequestUnits": write}),
            );
        }
        table.insert("ItemCount".into(), json!(self.item_count));
        table.insert("BillingMode".into(), json!(t.billing_mode));
        json!({
            "BackupDetails": self.details(aws, status),
            "SourceTableDetails": table,
            "SourceTableFeatureDetails": self.features(),
        })
    }

    /// `SourceTableFeatureDetails`: indexes (as their `*Info` shapes), stream, TTL and SSE, each
    /// only when the table had it (`{}` for a plain table, as recorded).
    fn features(&self) -> Value {
        let t = &self.source;
        let mut f = Map::new();
        let info = |local: bool| -> Vec<Value> {
            t.indexes
                .iter()
                .filter(|i| i.local == local)
                .map(|i| {
                    let mut o = Map::new();
                    o.insert("IndexName".into(), json!(i.name));
                    o.insert("KeySchema".into(), i.keys.to_json());
                    o.insert("Projection".into(), i.projection.clone());
                    if !local {
                        let units = |k: &str| {
                            i.throughput
                                .as_ref()
                                .and_then(|p| p.get(k).cloned())
                                .unwrap_or(json!(0))
                        };
                        o.insert(
                            "ProvisionedThroughput".into(),
                            json!({"ReadCapacityUnits": units("ReadCapacityUnits"),
                                   "WriteCapacityUnits": units("WriteCapacityUnits")}),
                        );
                    }
                    Value::Object(o)
                })
                .collect()
        };
        let (lsis, gsis) = (info(true), info(false));
        if !lsis.is_empty() {
            f.insert("LocalSecondaryIndexes".into(), Value::Array(lsis));
        }
        if !gsis.is_empty() {
            f.insert("GlobalSecondaryIndexes".into(), Value::Array(gsis));
        }
        if let Some(view) = t.stream_view_type() {
            f.insert(
                "StreamDescription".into(),
                json!({"StreamEnabled": true, "StreamViewType": view}),
            );
        }
        if let Some(attr) = &t.ttl_attribute {
            f.insert(
                "TimeToLiveDescription".into(),
                json!({"TimeToLiveStatus": "ENABLED", "AttributeName": attr}),
            );
        }
        let mut described = Map::new();
        t.settings.describe_into(&mut described);
        if let Some(sse) = described.remove("SSEDescription") {
            f.insert("SSEDescription".into(), sse);
        }
        Value::Object(f)
    }

    /// ListBackups' `BackupSummary`.
    pub fn summary(&self, aws: &AwsEnv) -> Value {
        json!({
            "TableName": self.source.name,
            "TableId": self.source.table_id,
            "TableArn": self.source.arn(aws),
            "BackupArn": self.arn(aws),
            "BackupName": self.name,
            "BackupCreationDateTime": self.created,
            "BackupStatus": "AVAILABLE",
            "BackupType": "USER",
            "BackupSizeBytes": self.size_bytes,
        })
    }
}
