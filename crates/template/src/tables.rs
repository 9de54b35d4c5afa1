//! `AWS::Serverless::SimpleTable` and `AWS::DynamoDB::Table` → a typed [`TableSpec`].
//!
//! CloudFormation's table properties are, nearly key for key, the `CreateTable` API's request: the
//! properties are resolved to JSON, then read into typed values here, so a wrong key type or billing
//! mode is reported at the template's line instead of by the store at startup.

use serde_json::{json, Map, Value};
use sluice_table_spec::{
    AttributeDefinition, Billing, IndexSpec, KeyElement, KeyType, Projection, ScalarType,
    StreamViewType, TableSpec, Throughput,
};

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::Table;
use crate::yaml_tree::{Kind, Node};

/// `CreateTable` members a CloudFormation table may carry (`TableClass` and `DeletionProtectionEnabled`
/// change nothing locally, so they are accepted without a warning).
const CREATE_TABLE_KEYS: &[&str] = &[
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
    "Tags",
    "TableClass",
    "DeletionProtectionEnabled",
    "SSESpecification",
    "ResourcePolicy",
];

/// Table properties that change nothing locally, so they get no warning.
const QUIET_TABLE_KEYS: &[&str] = &[
    "TableName",
    "TimeToLiveSpecification",
    "StreamSpecification",
    "PointInTimeRecoverySpecification",
    "ContributorInsightsSpecification",
    "PrimaryKey",
];

/// Keys whose scalar values are numbers on the wire.
const NUMBER_KEYS: &[&str] = &[
    "ReadCapacityUnits",
    "WriteCapacityUnits",
    "MaxReadRequestUnits",
    "MaxWriteRequestUnits",
    "RecoveryPeriodInDays",
];

/// Keys whose scalar values are booleans on the wire.
const BOOL_KEYS: &[&str] = &[
    "Enabled",
    "DeletionProtectionEnabled",
    "StreamEnabled",
    "SSEEnabled",
    "PointInTimeRecoveryEnabled",
];

/// One table resource of type `ty` (already known to be a table type).
pub(crate) fn table(
    id: &str,
    ty: &str,
    properties: &Node,
    resolver: &Resolver<'_>,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<Table, TemplateError> {
    let resolved = match resolver.eval(properties, path)? {
        Some(node) if !node.is_null() => to_json(&node, "", resolver, path)?,
        _ => Value::Object(Map::new()),
    };
    let Value::Object(props) = resolved else {
        return Err(resolver.error(properties, path, "Properties must be a mapping"));
    };
    let name = match props.get("TableName") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => resolver.default_table_name(id),
    };
    let reader = Reader {
        properties,
        resolver,
        path,
    };
    let mut spec = if ty == "AWS::Serverless::SimpleTable" {
        simple_table(&name, &props, &reader)?
    } else {
        dynamodb_table(&name, ty, &props, &reader)?
    };
    for key in props.keys() {
        if !CREATE_TABLE_KEYS.contains(&key.as_str()) && !QUIET_TABLE_KEYS.contains(&key.as_str()) {
            warnings.push(format!(
                "{}: not emulated yet (ignored)",
                join_path(path, key)
            ));
        }
    }
    spec.ttl_attribute = match props.get("TimeToLiveSpecification") {
        Some(Value::Object(ttl)) if ttl.get("Enabled") == Some(&Value::Bool(true)) => ttl
            .get("AttributeName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    // CloudFormation: PITR's period defaults to 35 days; the policy is `{PolicyDocument: …}`.
    spec.point_in_time_recovery = match props.get("PointInTimeRecoverySpecification") {
        Some(Value::Object(p))
            if p.get("PointInTimeRecoveryEnabled") == Some(&Value::Bool(true)) =>
        {
            Some(
                p.get("RecoveryPeriodInDays")
                    .and_then(Value::as_i64)
                    .unwrap_or(35),
            )
        }
        _ => None,
    };
    spec.resource_policy = match props
        .get("ResourcePolicy")
        .and_then(|p| p.get("PolicyDocument"))
    {
        Some(Value::String(text)) => Some(text.clone()),
        Some(doc) => Some(doc.to_string()),
        None => None,
    };
    Ok(Table {
        logical_id: id.to_string(),
        name,
        spec,
    })
}

/// Reads resolved properties into typed values; errors point at the property's line.
struct Reader<'a, 'r> {
    properties: &'a Node,
    resolver: &'a Resolver<'r>,
    path: &'a str,
}

impl Reader<'_, '_> {
    /// An error at the top-level property `key`, naming the full `at` path below the properties.
    fn error(&self, key: &str, at: &str, message: String, hint: &str) -> TemplateError {
        let node = self.properties.get(key).unwrap_or(self.properties);
        self.resolver.error_hint(
            node,
            &join_path(self.path, at),
            message,
            Some(hint.to_owned()),
        )
    }

    /// The string at `value`, or an error naming `at`.
    fn string<'v>(
        &self,
        key: &str,
        at: &str,
        value: Option<&'v Value>,
    ) -> Result<&'v str, TemplateError> {
        match value {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(self.error(
                key,
                at,
                format!("{at} must be a string"),
                "write a plain string",
            )),
            None => Err(self.error(
                key,
                at,
                format!("{at} is required"),
                "see the AWS::DynamoDB::Table reference for its shape",
            )),
        }
    }

    /// The list at `value` (a missing one is empty).
    fn list<'v>(
        &self,
        key: &str,
        at: &str,
        value: Option<&'v Value>,
    ) -> Result<&'v [Value], TemplateError> {
        match value {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => {
                Err(self.error(key, at, format!("{at} must be a list"), "write a YAML list"))
            }
        }
    }

    fn attribute_definitions(
        &self,
        value: Option<&Value>,
    ) -> Result<Vec<AttributeDefinition>, TemplateError> {
        let key = "AttributeDefinitions";
        let mut out = Vec::new();
        for (i, d) in self.list(key, key, value)?.iter().enumerate() {
            let at = format!("{key}[{i}]");
            let name = self.string(key, &format!("{at}.AttributeName"), d.get("AttributeName"))?;
            let ty = self.string(key, &format!("{at}.AttributeType"), d.get("AttributeType"))?;
            let attribute_type = ScalarType::from_wire(ty).ok_or_else(|| {
                self.error(
                    key,
                    &format!("{at}.AttributeType"),
                    format!("{ty:?} is not a key attribute type"),
                    "use S, N or B",
                )
            })?;
            out.push(AttributeDefinition {
                name: name.to_owned(),
                attribute_type,
            });
        }
        Ok(out)
    }

    fn key_schema(
        &self,
        key: &str,
        at: &str,
        value: Option<&Value>,
    ) -> Result<Vec<KeyElement>, TemplateError> {
        let mut out = Vec::new();
        for (i, e) in self.list(key, at, value)?.iter().enumerate() {
            let here = format!("{at}[{i}]");
            let name = self.string(
                key,
                &format!("{here}.AttributeName"),
                e.get("AttributeName"),
            )?;
            let ty = self.string(key, &format!("{here}.KeyType"), e.get("KeyType"))?;
            let key_type = KeyType::from_wire(ty).ok_or_else(|| {
                self.error(
                    key,
                    &format!("{here}.KeyType"),
                    format!("{ty:?} is not a key type"),
                    "use HASH or RANGE",
                )
            })?;
            out.push(KeyElement {
                attribute_name: name.to_owned(),
                key_type,
            });
        }
        Ok(out)
    }

    fn throughput(&self, key: &str, at: &str, value: &Value) -> Result<Throughput, TemplateError> {
        let units = |member: &str| match value.get(member) {
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                self.error(
                    key,
                    &format!("{at}.{member}"),
                    format!("{member} must be a whole number"),
                    "write a positive integer",
                )
            }),
            _ => Err(self.error(
                key,
                &format!("{at}.{member}"),
                format!("{member} is required"),
                "give both ReadCapacityUnits and WriteCapacityUnits",
            )),
        };
        Ok(Throughput {
            read_capacity_units: units("ReadCapacityUnits")?,
            write_capacity_units: units("WriteCapacityUnits")?,
        })
    }

    fn projection(
        &self,
        key: &str,
        at: &str,
        value: Option<&Value>,
    ) -> Result<Projection, TemplateError> {
        let Some(value) = value else {
            return Ok(Projection::All);
        };
        let at = format!("{at}.Projection");
        match value
            .get("ProjectionType")
            .and_then(Value::as_str)
            .unwrap_or("ALL")
        {
            "ALL" => Ok(Projection::All),
            "KEYS_ONLY" => Ok(Projection::KeysOnly),
            "INCLUDE" => {
                let names = self.list(
                    key,
                    &format!("{at}.NonKeyAttributes"),
                    value.get("NonKeyAttributes"),
                )?;
                let names = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        self.string(key, &format!("{at}.NonKeyAttributes[{i}]"), Some(n))
                            .map(str::to_owned)
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Projection::Include(names))
            }
            other => Err(self.error(
                key,
                &format!("{at}.ProjectionType"),
                format!("{other:?} is not a projection type"),
                "use ALL, KEYS_ONLY or INCLUDE",
            )),
        }
    }

    fn indexes(&self, key: &str, value: Option<&Value>) -> Result<Vec<IndexSpec>, TemplateError> {
        let mut out = Vec::new();
        for (i, index) in self.list(key, key, value)?.iter().enumerate() {
            let at = format!("{key}[{i}]");
            out.push(IndexSpec {
                name: self
                    .string(key, &format!("{at}.IndexName"), index.get("IndexName"))?
                    .to_owned(),
                key_schema: self.key_schema(
                    key,
                    &format!("{at}.KeySchema"),
                    index.get("KeySchema"),
                )?,
                projection: self.projection(key, &at, index.get("Projection"))?,
                throughput: index
                    .get("ProvisionedThroughput")
                    .map(|t| self.throughput(key, &format!("{at}.ProvisionedThroughput"), t))
                    .transpose()?,
            });
        }
        Ok(out)
    }

    fn billing(&self, props: &Map<String, Value>) -> Result<Billing, TemplateError> {
        let throughput = props
            .get("ProvisionedThroughput")
            .map(|t| self.throughput("ProvisionedThroughput", "ProvisionedThroughput", t))
            .transpose()?;
        let mode = props.get("BillingMode").and_then(Value::as_str);
        match (mode, throughput) {
            // CloudFormation's default billing mode is PROVISIONED, which needs a throughput.
            (None, None) | (Some("PAY_PER_REQUEST"), None) => Ok(Billing::PayPerRequest),
            (None | Some("PROVISIONED"), Some(t)) => Ok(Billing::Provisioned(t)),
            (Some("PROVISIONED"), None) => Err(self.error(
                "BillingMode",
                "ProvisionedThroughput",
                "BillingMode PROVISIONED needs ProvisionedThroughput".into(),
                "give ReadCapacityUnits and WriteCapacityUnits, or use BillingMode: PAY_PER_REQUEST",
            )),
            (Some("PAY_PER_REQUEST"), Some(_)) => Err(self.error(
                "ProvisionedThroughput",
                "ProvisionedThroughput",
                "ProvisionedThroughput cannot be given with BillingMode PAY_PER_REQUEST".into(),
                "remove ProvisionedThroughput, or use BillingMode: PROVISIONED",
            )),
            (Some(other), _) => Err(self.error(
                "BillingMode",
                "BillingMode",
                format!("{other:?} is not a billing mode"),
                "use PAY_PER_REQUEST or PROVISIONED",
            )),
        }
    }

    fn stream(&self, props: &Map<String, Value>) -> Result<Option<StreamViewType>, TemplateError> {
        let key = "StreamSpecification";
        let Some(spec) = props.get(key) else {
            return Ok(None);
        };
        let at = format!("{key}.StreamViewType");
        let view = self.string(key, &at, spec.get("StreamViewType"))?;
        StreamViewType::from_wire(view).map(Some).ok_or_else(|| {
            self.error(
                key,
                &at,
                format!("{view:?} is not a stream view type"),
                "use NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES or KEYS_ONLY",
            )
        })
    }
}

/// `AWS::DynamoDB::Table`: the properties are `CreateTable`'s members.
fn dynamodb_table(
    name: &str,
    ty: &str,
    props: &Map<String, Value>,
    reader: &Reader<'_, '_>,
) -> Result<TableSpec, TemplateError> {
    for key in ["KeySchema", "AttributeDefinitions"] {
        if !props.contains_key(key) {
            let at = reader.properties.get(key).unwrap_or(reader.properties);
            return Err(reader.resolver.error_hint(
                at,
                &join_path(reader.path, key),
                format!("{key} is required for {ty}"),
                Some("see the AWS::DynamoDB::Table reference for its shape".into()),
            ));
        }
    }
    let tags = reader
        .list("Tags", "Tags", props.get("Tags"))?
        .iter()
        .filter_map(|t| {
            Some((
                t.get("Key")?.as_str()?.to_owned(),
                t.get("Value")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    let table_class = match props.get("TableClass") {
        None => None,
        Some(v) => Some(
            reader
                .string("TableClass", "TableClass", Some(v))?
                .to_owned(),
        ),
    };
    Ok(TableSpec {
        deletion_protection: props.get("DeletionProtectionEnabled") == Some(&Value::Bool(true)),
        table_class,
        sse_kms: sse_kms(props),
        point_in_time_recovery: None,
        resource_policy: None,
        name: name.to_owned(),
        attribute_definitions: reader.attribute_definitions(props.get("AttributeDefinitions"))?,
        key_schema: reader.key_schema("KeySchema", "KeySchema", props.get("KeySchema"))?,
        global_secondary_indexes: reader.indexes(
            "GlobalSecondaryIndexes",
            props.get("GlobalSecondaryIndexes"),
        )?,
        local_secondary_indexes: reader
            .indexes("LocalSecondaryIndexes", props.get("LocalSecondaryIndexes"))?,
        billing: reader.billing(props)?,
        stream: reader.stream(props)?,
        ttl_attribute: None,
        tags,
    })
}

/// SimpleTable: `PrimaryKey {Name, Type: String|Number|Binary}` (default `id`/String), on-demand
/// unless `ProvisionedThroughput` is given, as SAM expands it.
fn simple_table(
    name: &str,
    props: &Map<String, Value>,
    reader: &Reader<'_, '_>,
) -> Result<TableSpec, TemplateError> {
    let key = props.get("PrimaryKey");
    let key_name = key
        .and_then(|k| k.get("Name"))
        .and_then(Value::as_str)
        .unwrap_or("id");
    let ty = key
        .and_then(|k| k.get("Type"))
        .and_then(Value::as_str)
        .unwrap_or("String");
    let attribute_type = match ty {
        "String" => ScalarType::String,
        "Number" => ScalarType::Number,
        "Binary" => ScalarType::Binary,
        other => {
            let node = reader.properties;
            let at = node
                .get("PrimaryKey")
                .and_then(|k| k.get("Type"))
                .unwrap_or(node);
            return Err(reader.resolver.error_hint(
                at,
                &join_path(reader.path, "PrimaryKey.Type"),
                format!("{other:?} is not a SimpleTable key type"),
                Some("use String, Number or Binary".into()),
            ));
        }
    };
    let mut spec = TableSpec::on_demand(name, key_name, attribute_type);
    if let Some(throughput) = props.get("ProvisionedThroughput") {
        spec.billing = Billing::Provisioned(reader.throughput(
            "ProvisionedThroughput",
            "ProvisionedThroughput",
            throughput,
        )?);
    }
    spec.sse_kms = sse_kms(props);
    if let Some(tags) = props.get("Tags").and_then(Value::as_object) {
        spec.tags = tags
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
    }
    Ok(spec)
}

/// `SSESpecification` (both table types): `SSEEnabled: true` encrypts with a KMS key, the one
/// `KMSMasterKeyId` names (`AWS::DynamoDB::Table` only) or the account's AWS-managed key.
fn sse_kms(props: &Map<String, Value>) -> Option<Option<String>> {
    let spec = props.get("SSESpecification")?;
    let enabled = match spec.get("SSEEnabled") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    enabled.then(|| {
        spec.get("KMSMasterKeyId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// A resolved node as JSON; `key` is the mapping key it sits under, which decides scalar types.
fn to_json(
    node: &Node,
    key: &str,
    resolver: &Resolver<'_>,
    path: &str,
) -> Result<Value, TemplateError> {
    Ok(match &node.kind {
        Kind::Scalar(text, _) if NUMBER_KEYS.contains(&key) => match text.trim().parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => {
                return Err(resolver.error(node, path, format!("{text:?} is not a whole number")))
            }
        },
        Kind::Scalar(text, _) if BOOL_KEYS.contains(&key) => {
            Value::Bool(text.eq_ignore_ascii_case("true"))
        }
        Kind::Scalar(text, _) => Value::String(text.clone()),
        Kind::Seq(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_json(item, key, resolver, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v, k, resolver, &join_path(path, k))?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
    })
}
