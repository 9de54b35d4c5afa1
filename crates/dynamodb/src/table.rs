//! The table model: key schema, indexes, billing, stream; persisted as JSON, described as DynamoDB's
//! `TableDescription`, and the key rules every item operation applies. Parsing `CreateTable` into it
//! is `table_request`'s job.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sluice_aws_env::AwsEnv;

use crate::attribute_value::{AttributeValue, Item};
use crate::key_codec;
use crate::protocol::{DynamoError, DynamoResult};
use crate::resource_policy::ResourcePolicies;
use crate::table_settings::TableSettings;

/// A key attribute: name and scalar type (S, N or B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttr {
    /// Attribute name.
    pub name: String,
    /// "S", "N" or "B".
    pub kind: String,
}

/// Hash key plus optional range key; a GSI may have up to four of each (multi-attribute keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    /// Partition key (the first one of a multi-attribute key).
    pub hash: KeyAttr,
    /// Sort key (the first one of a multi-attribute key).
    pub range: Option<KeyAttr>,
    /// Further partition key attributes of a multi-attribute GSI key, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_hash: Vec<KeyAttr>,
    /// Further sort key attributes of a multi-attribute GSI key, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_range: Vec<KeyAttr>,
}

impl KeySchema {
    /// A key of one partition attribute and at most one sort attribute.
    #[cfg(test)]
    pub fn simple(hash: KeyAttr, range: Option<KeyAttr>) -> KeySchema {
        KeySchema {
            hash,
            range,
            more_hash: Vec::new(),
            more_range: Vec::new(),
        }
    }

    /// The partition key attributes, in order.
    pub fn hash_attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        std::iter::once(&self.hash).chain(&self.more_hash)
    }

    /// The sort key attributes, in order.
    pub fn range_attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        self.range.iter().chain(&self.more_range)
    }

    /// True for a multi-attribute key (more than one partition or sort attribute).
    pub fn is_multi(&self) -> bool {
        !self.more_hash.is_empty() || !self.more_range.is_empty()
    }

    /// True if `name` is one of the partition key attributes.
    pub fn is_hash_attr(&self, name: &str) -> bool {
        self.hash_attrs().any(|k| k.name == name)
    }

    /// The key schema as wire JSON.
    pub fn to_json(&self) -> Value {
        let hash = self
            .hash_attrs()
            .map(|k| json!({"AttributeName": k.name, "KeyType": "HASH"}));
        let range = self
            .range_attrs()
            .map(|k| json!({"AttributeName": k.name, "KeyType": "RANGE"}));
        Value::Array(hash.chain(range).collect())
    }

    /// Names of the key attributes.
    pub fn names(&self) -> Vec<&str> {
        self.hash_attrs()
            .chain(self.range_attrs())
            .map(|k| k.name.as_str())
            .collect()
    }

    /// Encoded (hash, range) of an item under this schema, `None` if the item lacks a key attribute or has
    /// the wrong type (items are simply absent from such indexes).
    pub fn encode_sparse(&self, item: &Item) -> Option<(Vec<u8>, Vec<u8>)> {
        // A value no write could index (wrong type, empty, too large) leaves the item out; only an
        // index added by UpdateTable meets such items, and DynamoDB's backfill skips them too.
        let value = |k: &KeyAttr, is_hash: bool| {
            item.get(&k.name)
                .filter(|v| v.type_name() == k.kind)
                .filter(|v| !matches!(v, AttributeValue::S(s) if s.is_empty()))
                .filter(|v| !matches!(v, AttributeValue::B(b) if b.is_empty()))
                .filter(|v| check_key_size(v, is_hash).is_ok())
        };
        if self.is_multi() {
            // Every attribute of a multi-attribute key must be there for the item to be indexed.
            let hash: Vec<&AttributeValue> = self
                .hash_attrs()
                .map(|k| value(k, true))
                .collect::<Option<_>>()?;
            let range: Vec<&AttributeValue> = self
                .range_attrs()
                .map(|k| value(k, false))
                .collect::<Option<_>>()?;
            let rk = if range.is_empty() {
                Vec::new()
            } else {
                key_codec::encode_tuple(&range)?
            };
            return Some((key_codec::encode_tuple(&hash)?, rk));
        }
        let hk = value(&self.hash, true).and_then(key_codec::encode)?;
        let rk = match &self.range {
            Some(r) => value(r, false).and_then(key_codec::encode)?,
            None => Vec::new(),
        };
        Some((hk, rk))
    }
}

/// A global or local secondary index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDef {
    /// Index name.
    pub name: String,
    /// Index keys.
    pub keys: KeySchema,
    /// `Projection` as sent.
    pub projection: Value,
    /// True for LSIs.
    pub local: bool,
    /// `ProvisionedThroughput` as sent (GSIs).
    pub throughput: Option<Value>,
}

impl IndexDef {
    /// True if the index stores the top-level attribute `name` of its items.
    pub fn projects(&self, name: &str, table_keys: &KeySchema) -> bool {
        let ty = self
            .projection
            .get("ProjectionType")
            .and_then(Value::as_str)
            .unwrap_or("ALL");
        ty == "ALL"
            || table_keys.names().contains(&name)
            || self.keys.names().contains(&name)
            || (ty == "INCLUDE"
                && matches!(self.projection.get("NonKeyAttributes"), Some(Value::Array(a))
                    if a.iter().any(|v| v.as_str() == Some(name))))
    }

    /// Projects a table item into what the index stores.
    pub fn project(&self, item: &Item, table_keys: &KeySchema) -> Item {
        let ty = self
            .projection
            .get("ProjectionType")
            .and_then(Value::as_str)
            .unwrap_or("ALL");
        if ty == "ALL" {
            return item.clone();
        }
        let mut keep: Vec<String> = table_keys
            .names()
            .iter()
            .chain(self.keys.names().iter())
            .map(|s| s.to_string())
            .collect();
        if ty == "INCLUDE" {
            if let Some(Value::Array(a)) = self.projection.get("NonKeyAttributes") {
                keep.extend(a.iter().filter_map(Value::as_str).map(String::from));
            }
        }
        item.iter()
            .filter(|(k, _)| keep.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Everything we persist about a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    /// Table name.
    pub name: String,
    /// Primary key.
    pub keys: KeySchema,
    /// `AttributeDefinitions` as (name, type).
    pub attribute_definitions: Vec<(String, String)>,
    /// GSIs and LSIs.
    pub indexes: Vec<IndexDef>,
    /// PROVISIONED or PAY_PER_REQUEST.
    pub billing_mode: String,
    /// Read/write capacity units (0/0 on demand).
    pub read_capacity: i64,
    /// Write capacity units.
    pub write_capacity: i64,
    /// Creation time, epoch seconds.
    pub created: f64,
    /// Tags as (key, value).
    pub tags: Vec<(String, String)>,
    /// TTL attribute when enabled.
    pub ttl_attribute: Option<String>,
    /// `StreamSpecification` as sent (validated).
    pub stream: Option<Value>,
    /// Label of the latest stream (its creation time), set each time a stream is enabled.
    #[serde(default)]
    pub stream_label: Option<String>,
    /// Stable id (`TableId`).
    pub table_id: String,
    /// Deletion protection, table class, encryption and on-demand limits.
    #[serde(default)]
    pub settings: TableSettings,
    /// Resource-based policies of the table and its streams (absent from files of older Sluices).
    #[serde(default, skip_serializing_if = "ResourcePolicies::is_empty")]
    pub policies: ResourcePolicies,
}

impl TableDef {
    /// The table ARN in the service's region and account.
    pub fn arn(&self, aws: &AwsEnv) -> String {
        aws.table_arn(&self.name)
    }

    /// The view type of the table's stream while it is enabled.
    pub fn stream_view_type(&self) -> Option<&str> {
        let spec = self.stream.as_ref()?;
        if spec.get("StreamEnabled").and_then(Value::as_bool) != Some(true) {
            return None;
        }
        spec.get("StreamViewType").and_then(Value::as_str)
    }

    /// The ARN of the latest stream (enabled or not), as DescribeTable's `LatestStreamArn`.
    pub fn latest_stream_arn(&self, aws: &AwsEnv) -> Option<String> {
        let label = self.stream_label.as_ref()?;
        Some(format!("{}/stream/{label}", self.arn(aws)))
    }

    /// The index with this name.
    pub fn index(&self, name: &str) -> Option<&IndexDef> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// Validates and encodes an item's primary key (`what` is "item" or "key" for messages).
    pub fn encode_key(&self, item: &Item) -> DynamoResult<(Vec<u8>, Vec<u8>)> {
        let one = |k: &KeyAttr| -> DynamoResult<Vec<u8>> {
            let v = item.get(&k.name).ok_or_else(|| {
                DynamoError::validation(format!(
                    "One or more parameter values were invalid: Missing the key {} in the item",
                    k.name
                ))
            })?;
            if v.type_name() != k.kind {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                    k.name,
                    k.kind,
                    v.type_name()
                )));
            }
            if let Some(e) = empty_key_value(&k.name, v) {
                return Err(e);
            }
            check_key_size(v, std::ptr::eq(k, &self.keys.hash))?;
            Ok(key_codec::encode(v).unwrap_or_default())
        };
        let hk = one(&self.keys.hash)?;
        let rk = match &self.keys.range {
            Some(r) => one(r)?,
            None => Vec::new(),
        };
        Ok((hk, rk))
    }

    /// Validates a `Key` parameter: exactly the key attributes, right types.
    pub fn encode_key_param(&self, key: &Item) -> DynamoResult<(Vec<u8>, Vec<u8>)> {
        let names = self.keys.names();
        if key.len() != names.len() || !names.iter().all(|n| key.contains_key(*n)) {
            return Err(DynamoError::validation(
                "The provided key element does not match the schema",
            ));
        }
        for n in &names {
            let want = if *n == self.keys.hash.name {
                &self.keys.hash.kind
            } else {
                &self
                    .keys
                    .range
                    .as_ref()
                    .map(|r| r.kind.clone())
                    .unwrap_or_default()
            };
            if key.get(*n).map(|v| v.type_name()) != Some(want.as_str()) {
                return Err(DynamoError::validation(
                    "The provided key element does not match the schema",
                ));
            }
        }
        self.encode_key(key)
    }

    /// Only the primary key attributes of an item.
    pub fn key_of(&self, item: &Item) -> Item {
        self.keys
            .names()
            .iter()
            .filter_map(|n| item.get(*n).map(|v| (n.to_string(), v.clone())))
            .collect()
    }

    /// DynamoDB's `TableDescription`; `index_stats` gives (item count, bytes) per index name.
    pub fn describe(
        &self,
        aws: &AwsEnv,
        item_count: i64,
        size_bytes: i64,
        status: &str,
        index_stats: &dyn Fn(&str) -> (i64, i64),
    ) -> Value {
        let mut d = Map::new();
        d.insert(
            "AttributeDefinitions".into(),
            Value::Array(
                self.attribute_definitions
                    .iter()
                    .map(|(n, t)| json!({"AttributeName": n, "AttributeType": t}))
                    .collect(),
            ),
        );
        d.insert("TableName".into(), json!(self.name));
        d.insert("KeySchema".into(), self.keys.to_json());
        d.insert("TableStatus".into(), json!(status));
        d.insert("CreationDateTime".into(), json!(self.created));
        d.insert(
            "ProvisionedThroughput".into(),
            json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": self.read_capacity, "WriteCapacityUnits": self.write_capacity}),
        );
        d.insert("TableSizeBytes".into(), json!(size_bytes));
        d.insert("ItemCount".into(), json!(item_count));
        d.insert("TableArn".into(), json!(self.arn(aws)));
        d.insert("TableId".into(), json!(self.table_id));
        if self.billing_mode == "PAY_PER_REQUEST" {
            d.insert(
                "BillingModeSummary".into(),
                json!({"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": self.created}),
            );
        }
        let describe_index = |i: &IndexDef| {
            let mut o = Map::new();
            o.insert("IndexName".into(), json!(i.name));
            o.insert("KeySchema".into(), i.keys.to_json());
            o.insert("Projection".into(), i.projection.clone());
            if !i.local {
                o.insert("IndexStatus".into(), json!("ACTIVE"));
                let (r, w) = match &i.throughput {
                    Some(t) => (
                        t.get("ReadCapacityUnits").cloned().unwrap_or(json!(0)),
                        t.get("WriteCapacityUnits").cloned().unwrap_or(json!(0)),
                    ),
                    None => (json!(0), json!(0)),
                };
                o.insert(
                    "ProvisionedThroughput".into(),
                    json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": r, "WriteCapacityUnits": w}),
                );
            }
            let (count, bytes) = index_stats(&i.name);
            o.insert("IndexSizeBytes".into(), json!(bytes));
            o.insert("ItemCount".into(), json!(count));
            o.insert(
                "IndexArn".into(),
                json!(format!("{}/index/{}", self.arn(aws), i.name)),
            );
            Value::Object(o)
        };
        let gsis: Vec<Value> = self
            .indexes
            .iter()
            .filter(|i| !i.local)
            .map(describe_index)
            .collect();
        let lsis: Vec<Value> = self
            .indexes
            .iter()
            .filter(|i| i.local)
            .map(describe_index)
            .collect();
        if !gsis.is_empty() {
            d.insert("GlobalSecondaryIndexes".into(), Value::Array(gsis));
        }
        if !lsis.is_empty() {
            d.insert("LocalSecondaryIndexes".into(), Value::Array(lsis));
        }
        if let Some(s) = &self.stream {
            d.insert("StreamSpecification".into(), s.clone());
        }
        if let (Some(arn), Some(label)) = (self.latest_stream_arn(aws), &self.stream_label) {
            d.insert("LatestStreamLabel".into(), json!(label));
            d.insert("LatestStreamArn".into(), json!(arn));
        }
        self.settings.describe_into(&mut d);
        Value::Object(d)
    }
}

/// A stream label: the stream's creation time, `YYYY-MM-DDThh:mm:ss.mmm` in UTC, as DynamoDB's.
pub fn stream_label(now: f64) -> String {
    let nanos = (now * 1e9) as i128;
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000".into())
}

/// Largest partition key value, in bytes (UTF-8 for strings), for a table and for each index.
pub const MAX_HASH_KEY_BYTES: usize = 2048;
/// Largest sort key value, in bytes, for a table and for each index.
pub const MAX_RANGE_KEY_BYTES: usize = 1024;

/// Rejects a key value over DynamoDB's size limit; numbers are always small enough. The messages are
/// DynamoDB's, including the missing space in "limit of2048".
pub fn check_key_size(v: &AttributeValue, is_hash: bool) -> DynamoResult<()> {
    let bytes = match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        _ => 0,
    };
    if is_hash && bytes > MAX_HASH_KEY_BYTES {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY_BYTES} bytes"
        )));
    }
    if !is_hash && bytes > MAX_RANGE_KEY_BYTES {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}

/// DynamoDB's refusal of an empty string or binary as the value of key attribute `name`; `None`
/// for any other value.
pub(crate) fn empty_key_value(name: &str, v: &AttributeValue) -> Option<DynamoError> {
    let kind = match v {
        AttributeValue::S(s) if s.is_empty() => "string",
        AttributeValue::B(b) if b.is_empty() => "binary",
        _ => return None,
    };
    Some(DynamoError::validation(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
    )))
}
