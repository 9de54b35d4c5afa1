//! `CreateTable`'s request → a [`TableDef`], with DynamoDB's validation and wording; also the table
//! name and `StreamSpecification` rules that `UpdateTable` and the other table operations share.

use serde_json::{json, Map, Value};
use sluice_aws_env::AwsEnv;

use crate::member_constraints::Violations;
use crate::protocol::{null_error, DynamoError, DynamoResult, Req};
use crate::resource_policy::{self, Policy, ResourcePolicies};
use crate::table::{stream_label, IndexDef, KeyAttr, KeySchema, TableDef};
use crate::table_settings::TableSettings;

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

/// Longest key attribute name DynamoDB accepts, in bytes.
pub const MAX_KEY_ATTRIBUTE_NAME_BYTES: usize = 255;

/// DynamoDB's request-validation message for a string member outside `min..=max` bytes; `at` is the
/// member's path as DynamoDB spells it (`keySchema.1.member.attributeName`).
pub fn check_length(value: &str, at: &str, min: usize, max: usize) -> DynamoResult<()> {
    let what = if value.len() < min {
        format!("Member must have length greater than or equal to {min}")
    } else if value.len() > max {
        format!("Member must have length less than or equal to {max}")
    } else {
        return Ok(());
    };
    Err(DynamoError::validation(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {what}"
    )))
}

/// Validates an index name as DynamoDB does (3–255 chars of `[a-zA-Z0-9_.-]`); `at` locates it.
pub fn validate_index_name(name: &str, at: &str) -> DynamoResult<()> {
    check_length(name, at, 3, 255)?;
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{name}' at '{at}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    Ok(())
}

/// Validates an index's `Projection`: a known type, and `NonKeyAttributes` exactly when `INCLUDE`.
pub fn validate_projection(projection: &Value, at: &str) -> DynamoResult<()> {
    let invalid = |m: String| {
        DynamoError::validation(format!("One or more parameter values were invalid: {m}"))
    };
    let ty = match projection.get("ProjectionType") {
        None | Some(Value::Null) => return Err(invalid("Unknown ProjectionType: null".into())),
        Some(t) => t
            .as_str()
            .ok_or_else(|| DynamoError::Serialization("Unexpected field type".into()))?,
    };
    if !["ALL", "KEYS_ONLY", "INCLUDE"].contains(&ty) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{ty}' at '{at}.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]"
        )));
    }
    let non_key = projection.get("NonKeyAttributes").filter(|v| !v.is_null());
    match (ty, non_key) {
        ("INCLUDE", None) => Err(invalid(
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified".into(),
        )),
        ("INCLUDE", Some(names)) => validate_non_key_attributes(names, at),
        (_, None) => Ok(()),
        (other, Some(_)) => Err(invalid(format!(
            "ProjectionType is {other}, but NonKeyAttributes is specified"
        ))),
    }
}

/// `NonKeyAttributes`: names (a non-string is a SerializationException), each 1 to 255
/// characters, none twice (Alternator's test_gsi_projection_error_* and
/// test_limit_attribute_length_gsi_lsi_projection_bad, written against DynamoDB; the words of the
/// duplicate message are Sluice's).
fn validate_non_key_attributes(names: &Value, at: &str) -> DynamoResult<()> {
    let Value::Array(items) = names else {
        return Err(DynamoError::Serialization("Unexpected field type".into()));
    };
    let mut seen: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        let name = match item {
            Value::String(name) => name.as_str(),
            Value::Number(_) => {
                return Err(DynamoError::Serialization(
                    "NUMBER_VALUE cannot be converted to String".into(),
                ))
            }
            _ => return Err(DynamoError::Serialization("Unexpected field type".into())),
        };
        if name.is_empty() || name.chars().count() > 255 {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{names}' at '{at}.projection.nonKeyAttributes' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]"
            )));
        }
        if seen.contains(&name) {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Duplicate attribute in NonKeyAttributes: {name}"
            )));
        }
        seen.push(name);
    }
    Ok(())
}

/// Most tags a table may carry (AWS's documented per-resource limit).
pub const MAX_TAGS: usize = 50;

/// The error for a table that would carry more than [`MAX_TAGS`] tags (words recorded from AWS for
/// TagResource, UntagResource with 51 keys and CreateTable).
pub fn too_many_tags() -> DynamoError {
    DynamoError::validation("Number of Tags exceed the current limit for the provided ResourceArn")
}

/// AWS's tag character set, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`: letters and digits of any script,
/// spaces, and `_ . : / = + - @` (Alternator's test_tag_forbidden_chars, written against DynamoDB).
fn tag_char_allowed(c: char) -> bool {
    c.is_alphanumeric()
        || (c.is_whitespace() && !c.is_control())
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// Validates `Tags` (CreateTable, TagResource): keys of 1–128 characters, values of at most 256,
/// in AWS's tag character set, no `aws:` keys, no key twice.
pub fn parse_tags(tags: &[Value]) -> DynamoResult<Vec<(String, String)>> {
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, t) in tags.iter().enumerate() {
        let at = format!("tags.{}.member", i + 1);
        let k = t
            .get("Key")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error(&format!("{at}.key")))?;
        let v = t
            .get("Value")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error(&format!("{at}.value")))?;
        // AWS counts tag lengths in characters, not bytes.
        let chars = |s: &str, max: usize, min: usize, member: &str| {
            let n = s.chars().count();
            let what = if n < min {
                format!("Member must have length greater than or equal to {min}")
            } else if n > max {
                format!("Member must have length less than or equal to {max}")
            } else {
                return Ok(());
            };
            Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{s}' at '{at}.{member}' failed to satisfy constraint: {what}"
            )))
        };
        chars(k, 128, 1, "key")?;
        chars(v, 256, 0, "value")?;
        // The service's own checks, after the request model's lengths; words recorded from AWS.
        if !k.chars().all(tag_char_allowed) {
            return Err(DynamoError::validation(format!(
                "The Tag Key provided is invalid, Key: {k}"
            )));
        }
        if !v.chars().all(tag_char_allowed) {
            return Err(DynamoError::validation(format!(
                "The Tag Value provided is invalid, Value: {v}"
            )));
        }
        if k.starts_with("aws:") {
            return Err(DynamoError::validation(format!(
                "Tag Key cannot be prefixed with aws:, Key: {k}"
            )));
        }
        if out.iter().any(|(x, _)| x == k) {
            return Err(DynamoError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {k}"
            )));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Most partition (and, separately, sort) attributes a multi-attribute GSI key may have.
pub const MAX_MULTI_KEY_ATTRIBUTES: usize = 4;

/// Parses a `KeySchema` against `defs` (the attribute definitions), with DynamoDB's errors; `multi`
/// allows a GSI's multi-attribute key (up to four HASH then up to four RANGE elements).
pub fn parse_key_schema(
    v: Option<&Vec<Value>>,
    defs: &[(String, String)],
    member: &str,
    multi: bool,
) -> DynamoResult<KeySchema> {
    let list = v.ok_or_else(|| null_error(member))?;
    let max = if multi {
        2 * MAX_MULTI_KEY_ATTRIBUTES
    } else {
        2
    };
    // DynamoDB's request model checks the list's length and every KeyType before the schema's rules.
    let mut v = Violations::new();
    if list.is_empty() || list.len() > max {
        let rendered: Vec<String> = list
            .iter()
            .map(|e| {
                let field = |k: &str| {
                    e.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or("null")
                        .to_string()
                };
                format!(
                    "KeySchemaElement(attributeName={}, keyType={})",
                    field("AttributeName"),
                    field("KeyType")
                )
            })
            .collect();
        let what = if list.is_empty() {
            "greater than or equal to 1".to_string()
        } else {
            format!("less than or equal to {max}")
        };
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '[{}]' at '{member}' failed to satisfy constraint: Member must have length {what}",
            rendered.join(", ")
        )));
    }
    for (i, e) in list.iter().enumerate() {
        let at = format!("{member}.{}.member.keyType", i + 1);
        match e.get("KeyType").and_then(Value::as_str) {
            None => v.require(None::<()>, &at),
            Some(t) => v.check_enum_value(t, &at, &["HASH", "RANGE"]),
        }
    }
    v.finish()?;
    let mut hashes: Vec<KeyAttr> = Vec::new();
    let mut ranges: Vec<KeyAttr> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let name = e
            .get("AttributeName")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error("AttributeName"))?;
        check_length(
            name,
            &format!("{member}.{}.member.attributeName", i + 1),
            1,
            MAX_KEY_ATTRIBUTE_NAME_BYTES,
        )?;
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
        if hashes.iter().chain(&ranges).any(|k| k.name == name) {
            // AWS's words for an attribute named twice in one key schema.
            return Err(DynamoError::validation(
                "Invalid KeySchema: Some index key attribute have no definition",
            ));
        }
        let attr = KeyAttr {
            name: name.to_string(),
            kind,
        };
        match (i, ty) {
            (0, "HASH") => hashes.push(attr),
            (0, _) => {
                return Err(DynamoError::validation(
                    "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
                ))
            }
            // AWS: multi-attribute keys list every HASH element before the RANGE ones. Sluice's
            // wording for the ordering and count errors below is its own (not yet recorded from AWS).
            (_, "HASH") if multi && ranges.is_empty() => hashes.push(attr),
            (_, "HASH") if multi => {
                return Err(DynamoError::validation(
                    "Invalid KeySchema: All HASH KeySchemaElements must come before the RANGE KeySchemaElements",
                ))
            }
            (_, "RANGE") if multi || i == 1 => ranges.push(attr),
            _ => {
                return Err(DynamoError::validation(
                    "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                ))
            }
        }
        if hashes.len() > MAX_MULTI_KEY_ATTRIBUTES || ranges.len() > MAX_MULTI_KEY_ATTRIBUTES {
            return Err(DynamoError::validation(format!(
                "Invalid KeySchema: A KeySchema may have at most {MAX_MULTI_KEY_ATTRIBUTES} HASH and {MAX_MULTI_KEY_ATTRIBUTES} RANGE KeySchemaElements"
            )));
        }
    }
    let mut hashes = hashes.into_iter();
    let hash = hashes.next().ok_or_else(|| {
        DynamoError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        )
    })?;
    let mut ranges = ranges.into_iter();
    let range = ranges.next();
    Ok(KeySchema {
        hash,
        range,
        more_hash: hashes.collect(),
        more_range: ranges.collect(),
    })
}

/// DynamoDB's error for attribute definitions no key uses: with an index in the request it lists
/// both sets (an AWS answer recorded by a CloudFormation CREATE_FAILED event, quoted in
/// cfn-lint#1037; moto's create_table checks, verified against DynamoDB in moto#4428), else only
/// counts. Sluice sorts both lists, as moto does; AWS's order is not pinned down by the recordings.
fn unused_definitions(defs: &[(String, String)], used: &[&str], has_index: bool) -> DynamoError {
    const HEAD: &str = "One or more parameter values were invalid: ";
    if !has_index {
        return DynamoError::validation(format!(
            "{HEAD}Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
        ));
    }
    let mut defined: Vec<&str> = defs.iter().map(|(n, _)| n.as_str()).collect();
    defined.sort_unstable();
    let mut keys: Vec<&str> = used.to_vec();
    keys.sort_unstable();
    keys.dedup();
    DynamoError::validation(format!(
        "{HEAD}Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
        defined.join(", "),
        keys.join(", ")
    ))
}

/// Parses and validates a CreateTable request into a table definition.
pub fn parse_create_table(req: &Req, now: f64, aws: &AwsEnv) -> DynamoResult<TableDef> {
    // AWS: CreateTable words a missing name this way (the item operations say "Value null at ...").
    let name = req.opt_str("TableName")?.ok_or_else(|| {
        DynamoError::validation(
            "The parameter 'TableName' is required but was not present in the request",
        )
    })?;
    validate_table_name(name)?;
    let defs_json = req
        .opt_arr("AttributeDefinitions")?
        .ok_or_else(|| null_error("AttributeDefinitions"))?;
    // Name lengths are request-model rules, checked before definitions meet keys: the key
    // schema's first, then the definitions' (below).
    for (i, e) in req.opt_arr("KeySchema")?.into_iter().flatten().enumerate() {
        if let Some(name) = e.get("AttributeName").and_then(Value::as_str) {
            check_length(
                name,
                &format!("keySchema.{}.member.attributeName", i + 1),
                1,
                MAX_KEY_ATTRIBUTE_NAME_BYTES,
            )?;
        }
    }
    let mut defs = Vec::new();
    for (i, d) in defs_json.iter().enumerate() {
        let n = d
            .get("AttributeName")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error("AttributeName"))?;
        let t = d
            .get("AttributeType")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error("AttributeType"))?;
        // The request model holds a definition's name to 1-255 characters before any definition
        // is matched with a key (Alternator's *_incoherent_names tests, written against DynamoDB).
        check_length(
            n,
            &format!("attributeDefinitions.{}.member.attributeName", i + 1),
            1,
            MAX_KEY_ATTRIBUTE_NAME_BYTES,
        )?;
        if !["S", "N", "B"].contains(&t) {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{t}' at 'attributeDefinitions.{}.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                i + 1
            )));
        }
        // DynamoDB's words, quoted by Alternator's maintainer from DynamoDB (scylladb#13870); DynamoDB
        // Local says "Cannot have two attributes with the same name" instead.
        if defs.iter().any(|(x, _): &(String, String)| x == n) {
            return Err(DynamoError::validation(format!(
                "Attribute Name is duplicated: {n}"
            )));
        }
        defs.push((n.to_string(), t.to_string()));
    }
    let keys = parse_key_schema(req.opt_arr("KeySchema")?, &defs, "keySchema", false)?;
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
    // The request model requires both units of a given ProvisionedThroughput, at least 1, before
    // the billing-mode rules (Alternator's test_create_table_missing_units, written against DynamoDB,
    // expects "provisionedThroughput.*CapacityUnits"), as UpdateTable's check words it.
    if let Some(p) = pt {
        let p = Req(p);
        let mut v = Violations::new();
        for (member, at) in [
            (
                "ReadCapacityUnits",
                "provisionedThroughput.readCapacityUnits",
            ),
            (
                "WriteCapacityUnits",
                "provisionedThroughput.writeCapacityUnits",
            ),
        ] {
            let units = p.opt_i64(member)?;
            v.require(units, at);
            v.check_range(units, at, 1, None);
        }
        v.finish()?;
    }
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
        let list = req.opt_arr(member)?;
        if list.is_some_and(|l| l.is_empty()) {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: List of {member} is empty"
            )));
        }
        if local && list.is_some() && keys.range.is_none() {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        let wire_member = if local {
            "localSecondaryIndexes"
        } else {
            "globalSecondaryIndexes"
        };
        for (n, idx) in list.into_iter().flatten().enumerate() {
            let at = format!("{wire_member}.{}.member", n + 1);
            let iname = idx
                .get("IndexName")
                .and_then(Value::as_str)
                .ok_or_else(|| null_error("IndexName"))?;
            validate_index_name(iname, &format!("{at}.indexName"))?;
            let ks = parse_key_schema(
                idx.get("KeySchema").and_then(Value::as_array),
                &defs,
                &format!("{at}.keySchema"),
                !local,
            )?;
            if local && ks.range.is_none() {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: Index KeySchema does not have a range key for index: ".to_string() + iname,
                ));
            }
            if local && ks.hash != keys.hash {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {iname}. index hash key: {}, table hash key: {}",
                    ks.hash.name, keys.hash.name
                )));
            }
            if let Some(p) = idx.get("Projection").filter(|p| !p.is_null()) {
                validate_projection(p, &at)?;
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
    // Every attribute definition must be used by a key (DynamoDB Local lets unused ones pass).
    let used: Vec<&str> = keys
        .names()
        .into_iter()
        .chain(indexes.iter().flat_map(|i| i.keys.names()))
        .collect();
    if defs.iter().any(|(n, _)| !used.contains(&n.as_str())) {
        return Err(unused_definitions(&defs, &used, !indexes.is_empty()));
    }
    let tags = parse_tags(req.opt_arr("Tags")?.map_or(&[][..], |t| t.as_slice()))?;
    let settings = TableSettings::from_create(req, aws)?;
    // A policy given at creation is the table's first revision, stamped with its creation time.
    let policies = ResourcePolicies {
        table: req
            .opt_str("ResourcePolicy")?
            .map(|text| {
                Ok::<_, DynamoError>(Policy {
                    document: resource_policy::parse_document(text)?,
                    revision_id: resource_policy::next_revision(now, None),
                })
            })
            .transpose()?,
        ..ResourcePolicies::default()
    };
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
        // AWS: TableId is a random UUID (a table re-created under the same name gets a new one).
        table_id: uuid::Uuid::new_v4().to_string(),
        settings,
        policies,
    })
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
