//! A DynamoDB table's definition as typed values: what a template declares and what the store creates.
//!
//! Why a crate of its own: `template` builds these values and `dynamodb` consumes them, and neither may
//! depend on the other (the template crate does no I/O and must not pull in SQLite; the store must not
//! know about templates). A leaf both depend on gives the definition one home, so the server passes it
//! along instead of mapping between two copies, and no stage emits wire JSON for a later stage to parse.
//! The wire form (`CreateTable`'s request) is rendered here, once, for the store to validate with the
//! same rules as a client's `CreateTable`.

use serde_json::{json, Map, Value};

/// One table: keys, indexes, billing, stream, time to live and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// `TableName`.
    pub name: String,
    /// `AttributeDefinitions`: the type of every key attribute of the table and its indexes.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// `KeySchema`: partition key, then the optional sort key.
    pub key_schema: Vec<KeyElement>,
    /// `GlobalSecondaryIndexes`.
    pub global_secondary_indexes: Vec<IndexSpec>,
    /// `LocalSecondaryIndexes`.
    pub local_secondary_indexes: Vec<IndexSpec>,
    /// `BillingMode` with its `ProvisionedThroughput`.
    pub billing: Billing,
    /// The stream's view type when a stream is enabled.
    pub stream: Option<StreamViewType>,
    /// The time-to-live attribute when TTL is enabled (not part of `CreateTable` on AWS; templates set
    /// it on the table resource, so it travels with the definition).
    pub ttl_attribute: Option<String>,
    /// `Tags` as (key, value), in declaration order.
    pub tags: Vec<(String, String)>,
    /// `DeletionProtectionEnabled`.
    pub deletion_protection: bool,
    /// `TableClass` (`STANDARD` or `STANDARD_INFREQUENT_ACCESS`), when the template names one.
    pub table_class: Option<String>,
    /// Encryption with a KMS key (`SSESpecification` enabled): the key, when one is named (else
    /// the account's AWS-managed key). `None`: the AWS-owned key, DynamoDB's default.
    pub sse_kms: Option<Option<String>>,
    /// Point-in-time recovery's period in days, when enabled (not part of `CreateTable` on AWS:
    /// CloudFormation turns it on with `UpdateContinuousBackups`, so it travels beside the request).
    pub point_in_time_recovery: Option<i64>,
    /// The table's resource-based policy document, as JSON text (`CreateTable`'s `ResourcePolicy`).
    pub resource_policy: Option<String>,
}

/// The type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    /// `S`.
    String,
    /// `N`.
    Number,
    /// `B`.
    Binary,
}

/// One attribute's declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDefinition {
    /// `AttributeName`.
    pub name: String,
    /// `AttributeType`.
    pub attribute_type: ScalarType,
}

/// Partition (`HASH`) or sort (`RANGE`) key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `HASH`.
    Hash,
    /// `RANGE`.
    Range,
}

/// One element of a key schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyElement {
    /// `AttributeName`.
    pub attribute_name: String,
    /// `KeyType`.
    pub key_type: KeyType,
}

/// A global or local secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// `IndexName`.
    pub name: String,
    /// `KeySchema`.
    pub key_schema: Vec<KeyElement>,
    /// `Projection` (`ALL` when the template gives none).
    pub projection: Projection,
    /// `ProvisionedThroughput` of a GSI on a provisioned table.
    pub throughput: Option<Throughput>,
}

/// Which attributes an index stores.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Projection {
    /// `ALL`.
    #[default]
    All,
    /// `KEYS_ONLY`.
    KeysOnly,
    /// `INCLUDE` with its `NonKeyAttributes`.
    Include(Vec<String>),
}

/// Read and write capacity units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throughput {
    /// `ReadCapacityUnits`.
    pub read_capacity_units: i64,
    /// `WriteCapacityUnits`.
    pub write_capacity_units: i64,
}

/// How the table is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    /// `PAY_PER_REQUEST` (on demand).
    PayPerRequest,
    /// `PROVISIONED` with its throughput.
    Provisioned(Throughput),
}

/// What each stream record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamViewType {
    /// `KEYS_ONLY`.
    KeysOnly,
    /// `NEW_IMAGE`.
    NewImage,
    /// `OLD_IMAGE`.
    OldImage,
    /// `NEW_AND_OLD_IMAGES`.
    NewAndOldImages,
}

impl ScalarType {
    /// The wire name (`S`, `N`, `B`).
    pub fn as_wire(self) -> &'static str {
        match self {
            ScalarType::String => "S",
            ScalarType::Number => "N",
            ScalarType::Binary => "B",
        }
    }

    /// Parses a wire name.
    pub fn from_wire(text: &str) -> Option<ScalarType> {
        match text {
            "S" => Some(ScalarType::String),
            "N" => Some(ScalarType::Number),
            "B" => Some(ScalarType::Binary),
            _ => None,
        }
    }
}

impl KeyType {
    /// The wire name (`HASH`, `RANGE`).
    pub fn as_wire(self) -> &'static str {
        match self {
            KeyType::Hash => "HASH",
            KeyType::Range => "RANGE",
        }
    }

    /// Parses a wire name.
    pub fn from_wire(text: &str) -> Option<KeyType> {
        match text {
            "HASH" => Some(KeyType::Hash),
            "RANGE" => Some(KeyType::Range),
            _ => None,
        }
    }
}

impl StreamViewType {
    /// The wire name (`NEW_IMAGE`, …).
    pub fn as_wire(self) -> &'static str {
        match self {
            StreamViewType::KeysOnly => "KEYS_ONLY",
            StreamViewType::NewImage => "NEW_IMAGE",
            StreamViewType::OldImage => "OLD_IMAGE",
            StreamViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    /// Parses a wire name.
    pub fn from_wire(text: &str) -> Option<StreamViewType> {
        match text {
            "KEYS_ONLY" => Some(StreamViewType::KeysOnly),
            "NEW_IMAGE" => Some(StreamViewType::NewImage),
            "OLD_IMAGE" => Some(StreamViewType::OldImage),
            "NEW_AND_OLD_IMAGES" => Some(StreamViewType::NewAndOldImages),
            _ => None,
        }
    }
}

impl TableSpec {
    /// A table keyed by one partition key, billed on demand, with nothing else (SimpleTable's shape).
    pub fn on_demand(name: impl Into<String>, key: impl Into<String>, ty: ScalarType) -> TableSpec {
        let key = key.into();
        TableSpec {
            name: name.into(),
            attribute_definitions: vec![AttributeDefinition {
                name: key.clone(),
                attribute_type: ty,
            }],
            key_schema: vec![KeyElement {
                attribute_name: key,
                key_type: KeyType::Hash,
            }],
            global_secondary_indexes: Vec::new(),
            local_secondary_indexes: Vec::new(),
            billing: Billing::PayPerRequest,
            stream: None,
            ttl_attribute: None,
            tags: Vec::new(),
            deletion_protection: false,
            table_class: None,
            sse_kms: None,
            point_in_time_recovery: None,
            resource_policy: None,
        }
    }

    /// The `CreateTable` request that makes this table (everything but the TTL and point-in-time
    /// recovery, which DynamoDB sets with `UpdateTimeToLive` and `UpdateContinuousBackups`). Members with nothing to say are left out, as a client would.
    pub fn to_create_table_request(&self) -> Value {
        let mut request = Map::new();
        request.insert("TableName".into(), json!(self.name));
        request.insert(
            "AttributeDefinitions".into(),
            Value::Array(
                self.attribute_definitions
                    .iter()
                    .map(|d| json!({"AttributeName": d.name, "AttributeType": d.attribute_type.as_wire()}))
                    .collect(),
            ),
        );
        request.insert("KeySchema".into(), key_schema(&self.key_schema));
        match self.billing {
            Billing::PayPerRequest => {
                request.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
            }
            Billing::Provisioned(t) => {
                request.insert("BillingMode".into(), json!("PROVISIONED"));
                request.insert("ProvisionedThroughput".into(), throughput(t));
            }
        }
        for (member, indexes) in [
            ("GlobalSecondaryIndexes", &self.global_secondary_indexes),
            ("LocalSecondaryIndexes", &self.local_secondary_indexes),
        ] {
            if !indexes.is_empty() {
                request.insert(
                    member.into(),
                    Value::Array(indexes.iter().map(IndexSpec::to_wire).collect()),
                );
            }
        }
        if let Some(view) = self.stream {
            request.insert(
                "StreamSpecification".into(),
                json!({"StreamEnabled": true, "StreamViewType": view.as_wire()}),
            );
        }
        if self.deletion_protection {
            request.insert("DeletionProtectionEnabled".into(), json!(true));
        }
        if let Some(class) = &self.table_class {
            request.insert("TableClass".into(), json!(class));
        }
        if let Some(key) = &self.sse_kms {
            let mut sse = json!({"Enabled": true, "SSEType": "KMS"});
            if let Some(key) = key {
                sse["KMSMasterKeyId"] = json!(key);
            }
            request.insert("SSESpecification".into(), sse);
        }
        if let Some(policy) = &self.resource_policy {
            request.insert("ResourcePolicy".into(), json!(policy));
        }
        if !self.tags.is_empty() {
            request.insert(
                "Tags".into(),
                Value::Array(
                    self.tags
                        .iter()
                        .map(|(k, v)| json!({"Key": k, "Value": v}))
                        .collect(),
                ),
            );
        }
        Value::Object(request)
    }
}

impl IndexSpec {
    fn to_wire(&self) -> Value {
        let mut index = Map::new();
        index.insert("IndexName".into(), json!(self.name));
        index.insert("KeySchema".into(), key_schema(&self.key_schema));
        let projection = match &self.projection {
            Projection::All => json!({"ProjectionType": "ALL"}),
            Projection::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
            Projection::Include(attributes) => {
                json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": attributes})
            }
        };
        index.insert("Projection".into(), projection);
        if let Some(t) = self.throughput {
            index.insert("ProvisionedThroughput".into(), throughput(t));
        }
        Value::Object(index)
    }
}

fn key_schema(elements: &[KeyElement]) -> Value {
    Value::Array(
        elements
            .iter()
            .map(|k| json!({"AttributeName": k.attribute_name, "KeyType": k.key_type.as_wire()}))
            .collect(),
    )
}

fn throughput(t: Throughput) -> Value {
    json!({"ReadCapacityUnits": t.read_capacity_units, "WriteCapacityUnits": t.write_capacity_units})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_create_table_request() {
        let mut spec = TableSpec::on_demand("Orders", "pk", ScalarType::String);
        assert_eq!(
            spec.to_create_table_request(),
            json!({
                "TableName": "Orders",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            })
        );
        spec.attribute_definitions.push(AttributeDefinition {
            name: "g".into(),
            attribute_type: ScalarType::Number,
        });
        let t = Throughput {
            read_capacity_units: 5,
            write_capacity_units: 2,
        };
        spec.billing = Billing::Provisioned(t);
        spec.global_secondary_indexes.push(IndexSpec {
            name: "byG".into(),
            key_schema: vec![KeyElement {
                attribute_name: "g".into(),
                key_type: KeyType::Hash,
            }],
            projection: Projection::Include(vec!["x".into()]),
            throughput: Some(t),
        });
        spec.stream = Some(StreamViewType::NewAndOldImages);
        spec.ttl_attribute = Some("exp".into());
        spec.tags.push(("team".into(), "a".into()));
        let request = spec.to_create_table_request();
        assert_eq!(request["BillingMode"], "PROVISIONED");
        assert_eq!(
            request["ProvisionedThroughput"],
            json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 2})
        );
        assert_eq!(
            request["GlobalSecondaryIndexes"][0]["Projection"],
            json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]})
        );
        assert_eq!(
            request["StreamSpecification"],
            json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        );
        assert_eq!(request["Tags"], json!([{"Key": "team", "Value": "a"}]));
        assert!(request.get("TimeToLiveSpecification").is_none());
        assert!(request.get("DeletionProtectionEnabled").is_none());
        assert!(request.get("SSESpecification").is_none());
        spec.deletion_protection = true;
        spec.table_class = Some("STANDARD_INFREQUENT_ACCESS".into());
        spec.sse_kms = Some(Some("alias/orders".into()));
        let request = spec.to_create_table_request();
        assert_eq!(request["DeletionProtectionEnabled"], true);
        assert_eq!(request["TableClass"], "STANDARD_INFREQUENT_ACCESS");
        assert_eq!(
            request["SSESpecification"],
            json!({"Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": "alias/orders"})
        );
        assert!(request.get("LocalSecondaryIndexes").is_none());
    }

    #[test]
    fn wire_names_round_trip() {
        for t in [ScalarType::String, ScalarType::Number, ScalarType::Binary] {
            assert_eq!(ScalarType::from_wire(t.as_wire()), Some(t));
        }
        for k in [KeyType::Hash, KeyType::Range] {
            assert_eq!(KeyType::from_wire(k.as_wire()), Some(k));
        }
        for v in [
            StreamViewType::KeysOnly,
            StreamViewType::NewImage,
            StreamViewType::OldImage,
            StreamViewType::NewAndOldImages,
        ] {
            assert_eq!(StreamViewType::from_wire(v.as_wire()), Some(v));
        }
        assert_eq!(ScalarType::from_wire("SS"), None);
    }
}
