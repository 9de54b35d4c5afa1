//! `sluice ddb export` / `import`: tables and items as JSON lines, to seed and back up data.
//!
//! Each line is one wire request: `{"CreateTable": {…}}` for a table (its schema, from
//! DescribeTable), then `{"PutItem": {"TableName": …, "Item": {…}}}` per item, in DynamoDB's own
//! attribute-value JSON. Going through the public operations means an import is validated exactly
//! as a client's writes are.

use std::io::{BufRead, Write};

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::{DynamoDb, EnsureOutcome, EnsureTableError};

/// Why an export or import stopped.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing the lines failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A line is not one of the two shapes.
    #[error("line {line}: {message}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A `CreateTable` line could not be applied (invalid definition, storage failure).
    #[error("line {line}: CreateTable failed")]
    Table {
        /// 1-based line number.
        line: usize,
        /// Why.
        #[source]
        source: EnsureTableError,
    },
    /// DynamoDB refused a request (the table is missing, an item is invalid, …).
    #[error("line {line}: {operation} failed: {message}")]
    Refused {
        /// 1-based line number (0 for export).
        line: usize,
        /// The operation.
        operation: &'static str,
        /// DynamoDB's error body.
        message: String,
    },
}

/// Counts of what was exported or imported.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    /// Tables written or created.
    pub tables: usize,
    /// Items written or put.
    pub items: usize,
}

/// Writes every table (or only `only`, when not empty) and its items as JSON lines.
pub async fn export(
    db: &DynamoDb,
    only: &[String],
    out: &mut impl Write,
) -> Result<BackupSummary, BackupError> {
    let mut summary = BackupSummary::default();
    for table in table_names(db).await? {
        if !only.is_empty() && !only.contains(&table) {
            continue;
        }
        let description = call(db, "DescribeTable", json!({ "TableName": table }), 0).await?;
        writeln!(
            out,
            "{}",
            json!({ "CreateTable": create_request(&description["Table"]) })
        )?;
        summary.tables += 1;
        let mut start: Option<Value> = None;
        loop {
            let mut request = json!({ "TableName": table });
            if let Some(key) = start.take() {
                request["ExclusiveStartKey"] = key;
            }
            let page = call(db, "Scan", request, 0).await?;
            for item in page["Items"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "{}",
                    json!({ "PutItem": { "TableName": table, "Item": item } })
                )?;
                summary.items += 1;
            }
            match page.get("LastEvaluatedKey") {
                Some(key) if !key.is_null() => start = Some(key.clone()),
                _ => break,
            }
        }
    }
    out.flush()?;
    Ok(summary)
}

/// Reads JSON lines written by [`export`] (or by hand): creates missing tables, puts every item.
pub async fn import(db: &DynamoDb, input: impl BufRead) -> Result<BackupSummary, BackupError> {
    let mut summary = BackupSummary::default();
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(&line).map_err(|e| BackupError::BadLine {
            line: number,
            message: format!("not JSON: {e}"),
        })?;
        if let Some(create) = value.get("CreateTable") {
            // Hand-written lines may enable TTL the way templates do, beside CreateTable's members.
            let ttl = create
                .get("TimeToLiveSpecification")
                .filter(|t| t.get("Enabled").and_then(Value::as_bool) == Some(true))
                .and_then(|t| t.get("AttributeName").and_then(Value::as_str));
            let outcome =
                db.ensure_table_request(create, ttl)
                    .map_err(|source| BackupError::Table {
                        line: number,
                        source,
                    })?;
            if let EnsureOutcome::SchemaDiffers { differences } = outcome {
                return Err(BackupError::Refused {
                    line: number,
                    operation: "CreateTable",
                    message: format!(
                        "the table exists with another schema: {}",
                        differences.join("; ")
                    ),
                });
            }
            summary.tables += 1;
        } else if let Some(put) = value.get("PutItem") {
            call(db, "PutItem", put.clone(), number).await?;
            summary.items += 1;
        } else {
            return Err(BackupError::BadLine {
                line: number,
                message: "expected {\"CreateTable\": …} or {\"PutItem\": …}".into(),
            });
        }
    }
    Ok(summary)
}

async fn table_names(db: &DynamoDb) -> Result<Vec<String>, BackupError> {
    let mut names = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let mut request = json!({});
        if let Some(name) = start.take() {
            request["ExclusiveStartTableName"] = json!(name);
        }
        let page = call(db, "ListTables", request, 0).await?;
        names.extend(
            page["TableNames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str().map(str::to_owned)),
        );
        match page.get("LastEvaluatedTableName").and_then(Value::as_str) {
            Some(name) => start = Some(name.to_owned()),
            None => return Ok(names),
        }
    }
}

/// One operation through the public protocol; a non-200 answer becomes `Refused`.
async fn call(
    db: &DynamoDb,
    operation: &'static str,
    request: Value,
    line: usize,
) -> Result<Value, BackupError> {
    let response = db.handle(operation, Bytes::from(request.to_string())).await;
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    if response.status != 200 {
        return Err(BackupError::Refused {
            line,
            operation,
            message: body.to_string(),
        });
    }
    Ok(body)
}

/// DescribeTable's `Table` → the CreateTable request that makes the same table.
pub(crate) fn create_request(table: &Value) -> Value {
    let mut request = Map::new();
    for key in ["TableName", "KeySchema", "AttributeDefinitions"] {
        if let Some(v) = table.get(key) {
            request.insert(key.into(), v.clone());
        }
    }
    let billing = table
        .pointer("/BillingModeSummary/BillingMode")
        .and_then(Value::as_str)
        .unwrap_or("PAY_PER_REQUEST");
    request.insert("BillingMode".into(), json!(billing));
    if billing == "PROVISIONED" {
        if let Some(t) = table.get("ProvisionedThroughput") {
            request.insert("ProvisionedThroughput".into(), throughput(t));
        }
    }
    for key in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
        let Some(indexes) = table.get(key).and_then(Value::as_array) else {
            continue;
        };
        let indexes: Vec<Value> = indexes
            .iter()
            .map(|index| {
                let mut out = Map::new();
                for field in ["IndexName", "KeySchema", "Projection"] {
                    if let Some(v) = index.get(field) {
                        out.insert(field.into(), v.clone());
                    }
                }
                if billing == "PROVISIONED" && key == "GlobalSecondaryIndexes" {
                    if let Some(t) = index.get("ProvisionedThroughput") {
                        out.insert("ProvisionedThroughput".into(), throughput(t));
                    }
                }
                Value::Object(out)
            })
            .collect();
        if !indexes.is_empty() {
            request.insert(key.into(), Value::Array(indexes));
        }
    }
    let stream = table.get("StreamSpecification");
    if stream.and_then(|s| s.get("StreamEnabled")) == Some(&json!(true)) {
        if let Some(s) = stream {
            request.insert("StreamSpecification".into(), s.clone());
        }
    }
    Value::Object(request)
}

/// Only the two settable throughput fields (DescribeTable adds counters CreateTable rejects).
fn throughput(t: &Value) -> Value {
    json!({
        "ReadCapacityUnits": t.get("ReadCapacityUnits").cloned().unwrap_or(json!(1)),
        "WriteCapacityUnits": t.get("WriteCapacityUnits").cloned().unwrap_or(json!(1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreLocation;

    #[tokio::test]
    async fn export_then_import_reproduces_tables_and_items() {
        let source =
            DynamoDb::open(StoreLocation::InMemory, sluice_aws_env::AwsEnv::default()).unwrap();
        let create = json!({
            "TableName": "Things",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"}
            ],
            "GlobalSecondaryIndexes": [{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST"
        });
        source.ensure_table_request(&create, None).unwrap();
        for n in 0..5 {
            let item = json!({"TableName": "Things", "Item": {"pk": {"S": "a"}, "sk": {"N": n.to_string()}, "g": {"S": "x"}, "tags": {"SS": ["p", "q"]}}});
            let reply = source
                .handle("PutItem", Bytes::from(item.to_string()))
                .await;
            assert_eq!(reply.status, 200);
        }
        let mut lines = Vec::new();
        let exported = export(&source, &[], &mut lines).await.unwrap();
        assert_eq!(
            exported,
            BackupSummary {
                tables: 1,
                items: 5
            }
        );

        let target =
            DynamoDb::open(StoreLocation::InMemory, sluice_aws_env::AwsEnv::default()).unwrap();
        let imported = import(&target, lines.as_slice()).await.unwrap();
        assert_eq!(imported, exported);
        let mut again = Vec::new();
        export(&target, &[], &mut again).await.unwrap();
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(lines).unwrap()
        );
    }

    #[tokio::test]
    async fn import_names_the_bad_line() {
        let db =
            DynamoDb::open(StoreLocation::InMemory, sluice_aws_env::AwsEnv::default()).unwrap();
        let input =
            "{\"PutItem\": {\"TableName\": \"Missing\", \"Item\": {\"id\": {\"S\": \"1\"}}}}\n";
        let error = import(&db, input.as_bytes()).await.unwrap_err().to_string();
        assert!(error.starts_with("line 1: PutItem failed"), "{error}");
        let error = import(&db, "\n[1]\n".as_bytes())
            .await
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("line 2:"), "{error}");
    }
}
