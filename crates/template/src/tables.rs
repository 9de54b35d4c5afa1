//! `AWS::Serverless::SimpleTable` and `AWS::DynamoDB::Table` → a DynamoDB `CreateTable` request.
//!
//! CloudFormation's table properties are, nearly key for key, the `CreateTable` API's request, so
//! the properties are resolved and copied; only the differences are spelled out here.

use serde_json::{json, Map, Value};

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::Table;
use crate::yaml_tree::{Kind, Node};

/// `CreateTable` request keys a CloudFormation table may carry.
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
];

/// Table properties that change nothing locally, so they get no warning.
const QUIET_TABLE_KEYS: &[&str] = &[
    "TableName",
    "TimeToLiveSpecification",
    "StreamSpecification",
    "SSESpecification",
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
];

/// Keys whose scalar values are booleans on the wire.
const BOOL_KEYS: &[&str] = &["Enabled", "DeletionProtectionEnabled", "StreamEnabled"];

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
        _ => id.to_string(),
    };
    let mut request = Map::new();
    request.insert("TableName".into(), Value::String(name.clone()));
    if ty == "AWS::Serverless::SimpleTable" {
        simple_table(&props, &mut request, properties, resolver, path)?;
    } else {
        for key in CREATE_TABLE_KEYS {
            if let Some(value) = props.get(*key) {
                request.insert((*key).to_string(), value.clone());
            }
        }
        if let Some(Value::Object(stream)) = props.get("StreamSpecification") {
            let mut spec = stream.clone();
            spec.insert("StreamEnabled".into(), Value::Bool(true));
            request.insert("StreamSpecification".into(), Value::Object(spec));
        }
        for key in ["KeySchema", "AttributeDefinitions"] {
            if !request.contains_key(key) {
                let at = properties.get(key).unwrap_or(properties);
                return Err(resolver.error_hint(
                    at,
                    &join_path(path, key),
                    format!("{key} is required for {ty}"),
                    Some("see the AWS::DynamoDB::Table reference for its shape".into()),
                ));
            }
        }
        if !request.contains_key("BillingMode") && !request.contains_key("ProvisionedThroughput") {
            // CloudFormation's default billing mode is PROVISIONED, which needs a throughput.
            request.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
        }
    }
    for key in props.keys() {
        if !CREATE_TABLE_KEYS.contains(&key.as_str()) && !QUIET_TABLE_KEYS.contains(&key.as_str()) {
            warnings.push(format!(
                "{}: not emulated yet (ignored)",
                join_path(path, key)
            ));
        }
    }
    let ttl_attribute = match props.get("TimeToLiveSpecification") {
        Some(Value::Object(ttl)) if ttl.get("Enabled") == Some(&Value::Bool(true)) => ttl
            .get("AttributeName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    Ok(Table {
        logical_id: id.to_string(),
        name,
        create_table: Value::Object(request),
        ttl_attribute,
    })
}

/// SimpleTable: `PrimaryKey {Name, Type: String|Number|Binary}` (default `id`/String), on-demand
/// unless `ProvisionedThroughput` is given, as SAM expands it.
fn simple_table(
    props: &Map<String, Value>,
    request: &mut Map<String, Value>,
    node: &Node,
    resolver: &Resolver<'_>,
    path: &str,
) -> Result<(), TemplateError> {
    let key = props.get("PrimaryKey");
    let name = key
        .and_then(|k| k.get("Name"))
        .and_then(Value::as_str)
        .unwrap_or("id");
    let ty = key
        .and_then(|k| k.get("Type"))
        .and_then(Value::as_str)
        .unwrap_or("String");
    let attribute_type = match ty {
        "String" => "S",
        "Number" => "N",
        "Binary" => "B",
        other => {
            let at = node
                .get("PrimaryKey")
                .and_then(|k| k.get("Type"))
                .unwrap_or(node);
            return Err(resolver.error_hint(
                at,
                &join_path(path, "PrimaryKey.Type"),
                format!("{other:?} is not a SimpleTable key type"),
                Some("use String, Number or Binary".into()),
            ));
        }
    };
    request.insert(
        "AttributeDefinitions".into(),
        json!([{"AttributeName": name, "AttributeType": attribute_type}]),
    );
    request.insert(
        "KeySchema".into(),
        json!([{"AttributeName": name, "KeyType": "HASH"}]),
    );
    match props.get("ProvisionedThroughput") {
        Some(throughput) => {
            request.insert("BillingMode".into(), json!("PROVISIONED"));
            request.insert("ProvisionedThroughput".into(), throughput.clone());
        }
        None => {
            request.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
        }
    }
    if let Some(tags) = props.get("Tags").and_then(Value::as_object) {
        let list: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        request.insert("Tags".into(), Value::Array(list));
    }
    Ok(())
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
