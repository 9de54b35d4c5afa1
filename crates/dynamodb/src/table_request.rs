//! `CreateTable`'s request → a [`TableDef`], with DynamoDB's validation and wording; also the table
//! name and `StreamSpecification` rules that `UpdateTable` and the other table operations share.

use serde_json::{json, Map, Value};

use crate::protocol::{null_error, DynamoError, DynamoResult, Req};
use crate::table::{stream_label, IndexDef, KeyAttr, KeySchema, TableDef};

fn table_name_error(name: &str, what: &str) -> DynamoError {
    DynamoError::validation(format!(
        "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: {what}"
    ))
}

/// Validates a table name as DynamoDB does (3–255 chars of `[a-zA-Z0-9_.-]`).
pub fn validate_table_name(name: &str) -> DynamoResult<()> {
    if name.len() < 3 {
        return Err(table_name_error(
            name,
            "Member must have length greater than or equal to 3",
        ));
    }
    if name.len() > 255 {
        return Err(table_name_error(
            name,
            "Member must have length less than or equal to 255",
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        return Err(table_name_error(
            name,
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        ));
    }
    Ok(())
}

fn parse_key_schema(
    v: Option<&Vec<Value>>,
    defs: &[(String, String)],
    member: &str,
) -> DynamoResult<KeySchema> {
    let list = v.ok_or_else(|| null_error(member))?;
    let mut hash = None;
    let mut range = None;
    if list.is_empty() || list.len() > 2 {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member must have length less than or equal to 2",
            list.len(),
            member
        )));
    }
    for (i, e) in list.iter().enumerate() {
        let name = e
            .get("AttributeName")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error("AttributeName"))?;
        let ty = e
            .get("KeyType")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error("KeyType"))?;
        let kind = defs.iter().find(|(n, _)| n == name).map(|(_, t)| t.clone()).ok_or_else(|| {
            DynamoError::validation(format!(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{name}], AttributeDefinitions: [{}]",
                defs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let attr = KeyAttr {
            name: name.to_string(),
            kind,
        };
        match (i, ty) {
            (0, "HASH") => hash = Some(attr),
            (1, "RANGE") => range = Some(attr),
            (0, _) => {
                return Err(DynamoError::validation(
                    "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
                ))
            }
            _ => {
                return Err(DynamoError::validation(
                    "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                ))
            }
        }
    }
    let hash = hash.ok_or_else(|| {
        DynamoError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        )
    })?;
    if range.as_ref().is_some_and(|r| r.name == hash.name) {
        return Err(DynamoError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    Ok(KeySchema { hash, range })
}

/// Parses and validates a CreateTable request into a table definition.
pub fn parse_create_table(req: &Req, now: f64) -> DynamoResult<TableDef> {
    let name = req.str("TableName")?;
    validate_table_name(name)?;
    let defs_json = req
        .opt_arr("AttributeDefinitions")?
        .ok_or_else(|| null_error("AttributeDefinitions"))?;
    let mut defs = Vec::new();
    for d in defs_json {
        let n = d
            .get("AttributeName")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error("AttributeName"))?;
        let t = d
            .get("AttributeType")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error("AttributeType"))?;
        if !["S", "N", "B"].contains(&t) {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{t}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
            )));
        }
        if defs.iter().any(|(x, _): &(String, String)| x == n) {
            return Err(DynamoError::validation(
                "Cannot have two attributes with the same name",
            ));
        }
        defs.push((n.to_string(), t.to_string()));
    }
    let keys = parse_key_schema(req.opt_arr("KeySchema")?, &defs, "keySchema")?;
    let billing_mode = req
        .opt_str("BillingMode")?
        .unwrap_or("PROVISIONED")
        .to_string();
    if billing_mode != "PROVISIONED" && billing_mode != "PAY_PER_REQUEST" {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{billing_mode}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
        )));
    }
    let pt = req.opt_obj("ProvisionedThroughput")?;
    let (read_capacity, write_capacity) = match (billing_mode.as_str(), pt) {
        ("PROVISIONED", None) => {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ))
        }
        ("PROVISIONED", Some(p)) => {
            let r = p.get("ReadCapacityUnits").and_then(Value::as_i64).unwrap_or(0);
            let w = p.get("WriteCapacityUnits").and_then(Value::as_i64).unwrap_or(0);
            if r < 1 || w < 1 {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
                ));
            }
            (r, w)
        }
        (_, Some(_)) => {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        _ => (0, 0),
    };
    let mut indexes = Vec::new();
    for (member, local) in [
        ("GlobalSecondaryIndexes", false),
        ("LocalSecondaryIndexes", true),
    ] {
        for idx in req.opt_arr(member)?.into_iter().flatten() {
            let iname = idx
                .get("IndexName")
                .and_then(Value::as_str)
                .ok_or_else(|| null_error("IndexName"))?;
            let ks = parse_key_schema(
                idx.get("KeySchema").and_then(Value::as_array),
                &defs,
                "keySchema",
            )?;
            if local && (ks.hash != keys.hash || ks.range.is_none()) {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: Index KeySchema does not have a range key for index: ".to_string() + iname,
                ));
            }
            if indexes.iter().any(|i: &IndexDef| i.name == iname) {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {iname}"
                )));
            }
            let projection = idx
                .get("Projection")
                .cloned()
                .unwrap_or(json!({"ProjectionType": "ALL"}));
            indexes.push(IndexDef {
                name: iname.to_string(),
                keys: ks,
                projection,
                local,
                throughput: idx.get("ProvisionedThroughput").cloned(),
            });
        }
    }
    // Every attribute definition must be used by a key.
    let used: Vec<&str> = keys
        .names()
        .into_iter()
        .chain(indexes.iter().flat_map(|i| i.keys.names()))
        .collect();
    if defs.iter().any(|(n, _)| !used.contains(&n.as_str())) {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let tags = req
        .opt_arr("Tags")?
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("Key")?.as_str()?.to_string(),
                t.get("Value")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let stream = req
        .opt_obj("StreamSpecification")?
        .map(parse_stream_specification)
        .transpose()?;
    Ok(TableDef {
        name: name.to_string(),
        keys,
        attribute_definitions: defs,
        indexes,
        billing_mode,
        read_capacity,
        write_capacity,
        created: now,
        tags,
        ttl_attribute: None,
        stream: stream.clone(),
        stream_label: stream
            .as_ref()
            .filter(|s| s.get("StreamEnabled").and_then(Value::as_bool) == Some(true))
            .map(|_| stream_label(now)),
        table_id: format!("{:032x}", fxhash(name, now)),
    })
}

fn fxhash(name: &str, now: f64) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut h);
    now.to_bits().hash(&mut h);
    let a = h.finish();
    a.hash(&mut h);
    (u128::from(a) << 64) | u128::from(h.finish())
}

/// Validates a `StreamSpecification` and returns it as stored (only the members DynamoDB keeps).
pub fn parse_stream_specification(spec: &Map<String, Value>) -> DynamoResult<Value> {
    let r = Req(spec);
    let enabled = r
        .opt_bool("StreamEnabled")?
        .ok_or_else(|| {
            DynamoError::validation(
                "1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null",
            )
        })?;
    let view = r.opt_str("StreamViewType")?;
    if let Some(v) = view {
        if !["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"].contains(&v) {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{v}' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]"
            )));
        }
    }
    match (enabled, view) {
        (true, Some(v)) => Ok(json!({"StreamEnabled": true, "StreamViewType": v})),
        (true, None) => Err(DynamoError::validation(
            "One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true",
        )),
        (false, None) => Ok(json!({"StreamEnabled": false})),
        (false, Some(_)) => Err(DynamoError::validation(
            "One or more parameter values were invalid: StreamViewType cannot be specified when StreamEnabled is false",
        )),
    }
}
