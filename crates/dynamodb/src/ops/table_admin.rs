//! DescribeTable, ListTables, DeleteTable, UpdateTable, tags and time-to-live settings.

use serde_json::{json, Map, Value};

use super::request_rules::table_name;
use crate::member_constraints::Violations;
use crate::protocol::{null_error, DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::table::{IndexDef, TableDef};

/// The time now, epoch seconds to the millisecond, as DynamoDB stamps its changes.
pub(super) fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}

fn not_found(name: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!(
        "Requested resource not found: Table: {name} not found"
    ))
}

fn describe(state: &State, name: &str) -> DynamoResult<Value> {
    describe_as(state, name, "ACTIVE")
}

fn describe_as(state: &State, name: &str, status: &str) -> DynamoResult<Value> {
    let def = state.tables.get(name).ok_or_else(|| not_found(name))?;
    let (count, size) = state.store.stats(name)?;
    let mut per_index = std::collections::HashMap::new();
    for i in &def.indexes {
        per_index.insert(i.name.clone(), state.store.index_stats(name, &i.name)?);
    }
    Ok(def.describe(&state.aws, count, size, status, &|n| {
        per_index.get(n).copied().unwrap_or((0, 0))
    }))
}

/// DescribeTable.
pub fn describe_table(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let name = table_name(r)?;
    Ok(json!({ "Table": describe(state, name)? }))
}

/// ListTables with `Limit` / `ExclusiveStartTableName` paging.
pub fn list_tables(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let limit = r.opt_i64("Limit")?.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {} 100",
            if limit < 1 { "greater than or equal to 1" } else { "less than or equal to" }
        )));
    }
    let start = r.opt_str("ExclusiveStartTableName")?;
    let names: Vec<&String> = state
        .tables
        .keys()
        .filter(|n| start.is_none_or(|s| n.as_str() > s))
        .collect();
    let page: Vec<&String> = names.iter().take(limit as usize).copied().collect();
    let mut out = Map::new();
    out.insert("TableNames".into(), json!(page));
    if names.len() > page.len() {
        if let Some(last) = page.last() {
            out.insert("LastEvaluatedTableName".into(), json!(last));
        }
    }
    Ok(Value::Object(out))
}

/// DeleteTable: returns the description as it was, status DELETING.
pub fn delete_table(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let name = table_name(r)?;
    state
        .tables
        .get(name)
        .ok_or_else(|| not_found(name))?
        .settings
        .check_deletable()?;
    let mut desc = describe_as(state, name, "DELETING")?;
    // DynamoDB's DeleteTable answer leaves out the schema and the creation time that DescribeTable
    // shows (Alternator's test_delete_table_description and _with_si, written against DynamoDB).
    if let Some(d) = desc.as_object_mut() {
        for member in [
            "CreationDateTime",
            "KeySchema",
            "AttributeDefinitions",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
        ] {
            d.remove(member);
        }
    }
    state.store.delete_table(name)?;
    state.tables.remove(name);
    Ok(json!({ "TableDescription": desc }))
}

/// UpdateTable: billing mode, throughput, GSI create/delete.
pub fn update_table(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let name = table_name(r)?;
    let changes = [
        "ProvisionedThroughput",
        "BillingMode",
        "StreamSpecification",
        "GlobalSecondaryIndexUpdates",
        "SSESpecification",
        "ReplicaUpdates",
        "DeletionProtectionEnabled",
        "TableClass",
        "OnDemandThroughput",
    ];
    if !changes
        .iter()
        .any(|c| r.0.get(*c).is_some_and(|v| !v.is_null()))
    {
        return Err(DynamoError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    let throughput = update_throughput(r)?;
    let mut def = state
        .tables
        .get(name)
        .cloned()
        .ok_or_else(|| not_found(name))?;
    if let Some(defs) = r.opt_arr("AttributeDefinitions")? {
        for (i, d) in defs.iter().enumerate() {
            if let (Some(n), Some(t)) = (
                d.get("AttributeName").and_then(Value::as_str),
                d.get("AttributeType").and_then(Value::as_str),
            ) {
                crate::table_request::check_length(
                    n,
                    &format!("attributeDefinitions.{}.member.attributeName", i + 1),
                    1,
                    crate::table_request::MAX_KEY_ATTRIBUTE_NAME_BYTES,
                )?;
                if !def.attribute_definitions.iter().any(|(x, _)| x == n) {
                    def.attribute_definitions
                        .push((n.to_string(), t.to_string()));
                }
            }
        }
    }
    apply_capacity(&mut def, r.opt_str("BillingMode")?, throughput)?;
    def.settings.update(r, &state.aws, now())?;
    if let Some(s) = r.opt_obj("StreamSpecification")? {
        let spec = crate::table_request::parse_stream_specification(s)?;
        let enable = spec.get("StreamEnabled").and_then(Value::as_bool) == Some(true);
        match (enable, def.stream_view_type().is_some()) {
            (true, true) => {
                return Err(DynamoError::validation(format!(
                    "Table already has an enabled stream: TableName: {name}"
                )))
            }
            (false, false) => {
                return Err(DynamoError::validation(format!(
                    "Table has no stream to disable: TableName: {name}"
                )))
            }
            // Each enabling starts a new stream with its own label; the old one stays readable.
            (true, false) => def.stream_label = Some(crate::table::stream_label(now())),
            (false, true) => {}
        }
        def.stream = Some(spec);
    }
    for upd in r
        .opt_arr("GlobalSecondaryIndexUpdates")?
        .into_iter()
        .flatten()
    {
        if let Some(c) = upd.get("Create") {
            let at = "globalSecondaryIndexUpdates.1.member.create";
            let iname = c
                .get("IndexName")
                .and_then(Value::as_str)
                .ok_or_else(|| null_error("IndexName"))?;
            crate::table_request::validate_index_name(iname, &format!("{at}.indexName"))?;
            if def.index(iname).is_some() {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Index {iname} already exists"
                )));
            }
            let keys = crate::table_request::parse_key_schema(
                c.get("KeySchema").and_then(Value::as_array),
                &def.attribute_definitions,
                &format!("{at}.keySchema"),
                true,
            )?;
            let projection = c
                .get("Projection")
                .filter(|p| !p.is_null())
                .ok_or_else(|| null_error(&format!("{at}.projection")))?;
            crate::table_request::validate_projection(projection, at)?;
            def.indexes.push(IndexDef {
                name: iname.to_string(),
                keys,
                projection: projection.clone(),
                local: false,
                throughput: c.get("ProvisionedThroughput").cloned(),
            });
        } else if let Some(d) = upd.get("Delete") {
            let iname = d
                .get("IndexName")
                .and_then(Value::as_str)
                .ok_or_else(|| null_error("IndexName"))?;
            let before = def.indexes.len();
            def.indexes.retain(|i| i.local || i.name != iname);
            if def.indexes.len() == before {
                return Err(DynamoError::ResourceNotFound(format!(
                    "Requested resource not found: Index: {iname} not found"
                )));
            }
        }
    }
    state.store.put_table(&def)?;
    state.tables.insert(name.to_string(), def);
    // AWS (recorded, LocalStack's update_table_response): UpdateTable answers UPDATING; the
    // change is done at once here, so DescribeTable says ACTIVE.
    Ok(json!({ "TableDescription": describe_as(state, name, "UPDATING")? }))
}

/// UpdateTable's `BillingMode` and `ProvisionedThroughput` members, checked as DynamoDB's request
/// model does (both units present and at least 1, a known billing mode) before the table is read.
fn update_throughput(r: &Req) -> DynamoResult<Option<(i64, i64)>> {
    let mut v = Violations::new();
    v.check_enum(r, ("BillingMode", &["PROVISIONED", "PAY_PER_REQUEST"]))?;
    let Some(pt) = r.opt_obj("ProvisionedThroughput")? else {
        return v.finish().map(|()| None);
    };
    let pt = Req(pt);
    let read = pt.opt_i64("ReadCapacityUnits")?;
    let write = pt.opt_i64("WriteCapacityUnits")?;
    v.require(read, "provisionedThroughput.readCapacityUnits");
    v.check_range(read, "provisionedThroughput.readCapacityUnits", 1, None);
    v.require(write, "provisionedThroughput.writeCapacityUnits");
    v.check_range(write, "provisionedThroughput.writeCapacityUnits", 1, None);
    v.finish()?;
    Ok(read.zip(write))
}

/// Applies a billing mode and throughput change with DynamoDB's rules: no throughput on an on-demand
/// table, and a provisioned table's throughput must actually change.
fn apply_capacity(
    def: &mut TableDef,
    mode: Option<&str>,
    throughput: Option<(i64, i64)>,
) -> DynamoResult<()> {
    let target = mode.unwrap_or(&def.billing_mode).to_string();
    match (target.as_str(), throughput) {
        ("PAY_PER_REQUEST", Some(_)) => {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        ("PAY_PER_REQUEST", None) => {
            def.read_capacity = 0;
            def.write_capacity = 0;
        }
        (_, Some((read, write))) => {
            if def.billing_mode == "PROVISIONED"
                && (read, write) == (def.read_capacity, def.write_capacity)
            {
                return Err(DynamoError::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    def.read_capacity, def.write_capacity
                )));
            }
            def.read_capacity = read;
            def.write_capacity = write;
        }
        (_, None) => {}
    }
    def.billing_mode = target;
    Ok(())
}

fn table_from_arn<'a>(state: &State, arn: &'a str, action: &str) -> DynamoResult<&'a str> {
    // AWS: a table ARN of another account is refused by IAM before DynamoDB looks for the table.
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    if let [_, _, "dynamodb", _, account, resource] = fields[..] {
        if resource.starts_with("table/") && account != state.aws.account_id {
            return Err(super::table_arn::not_authorized(&state.aws, action, arn));
        }
    }
    // Only ARNs of this service's region and account name its tables; an index's ARN
    // (`table/T/index/I`) is not a table's (Alternator's test_tag_lsi_gsi, written against DynamoDB,
    // quotes these words).
    let prefix = state.aws.table_arn("");
    let name = arn
        .strip_prefix(&prefix)
        .filter(|name| !name.contains('/'))
        .ok_or_else(|| {
            DynamoError::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            ))
        })?;
    if !state.tables.contains_key(name) {
        return Err(DynamoError::ResourceNotFound(format!(
            "Requested resource not found: ResourcArn: {arn} not found"
        )));
    }
    Ok(name)
}

/// TagResource and UntagResource refuse a ResourceArn that is not an ARN at all. Alternator's
/// test_tag_resource_incorrect (written against DynamoDB) says newer DynamoDB answers these with
/// "ARNs must start with 'arn:'" (older ones with AccessDeniedException); ListTagsOfResource keeps
/// the "Invalid TableArn" words recorded from AWS.
fn check_arn_prefix(arn: &str) -> DynamoResult<()> {
    if arn.starts_with("arn:") {
        return Ok(());
    }
    Err(DynamoError::validation(format!(
        "One or more parameter values were invalid: ARNs must start with 'arn:': {arn}"
    )))
}

/// TagResource. Answers an empty body, as DynamoDB does (Alternator's test_tags_return_empty_body).
pub fn tag_resource(state: &mut State, r: &Req) -> DynamoResult<()> {
    let arn = r.str("ResourceArn")?;
    check_arn_prefix(arn)?;
    let name = table_from_arn(state, arn, "TagResource")?.to_string();
    let tags = r.opt_arr("Tags")?.ok_or_else(|| null_error("Tags"))?;
    // Words recorded from AWS; CreateTable, unlike TagResource, accepts an empty list.
    if tags.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    let tags = crate::table_request::parse_tags(tags)?;
    let mut def = state.table(&name)?.clone();
    for (k, v) in tags {
        def.tags.retain(|(x, _)| *x != k);
        def.tags.push((k, v));
    }
    if def.tags.len() > crate::table_request::MAX_TAGS {
        return Err(crate::table_request::too_many_tags());
    }
    state.store.put_table(&def)?;
    state.tables.insert(name, def);
    Ok(())
}

/// UntagResource. Answers an empty body, as DynamoDB does.
pub fn untag_resource(state: &mut State, r: &Req) -> DynamoResult<()> {
    let arn = r.str("ResourceArn")?;
    check_arn_prefix(arn)?;
    let name = table_from_arn(state, arn, "UntagResource")?.to_string();
    let keys: Vec<&str> = r
        .opt_arr("TagKeys")?
        .ok_or_else(|| null_error("TagKeys"))?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // Words recorded from AWS, which counts the keys against the tag limit even when removing.
    if keys.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    if keys.len() > crate::table_request::MAX_TAGS {
        return Err(crate::table_request::too_many_tags());
    }
    let mut def = state.table(&name)?.clone();
    def.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
    state.store.put_table(&def)?;
    state.tables.insert(name, def);
    Ok(())
}

/// ListTagsOfResource.
pub fn list_tags(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let name = table_from_arn(state, r.str("ResourceArn")?, "ListTagsOfResource")?;
    let def = state.table(name)?;
    let tags: Vec<Value> = def
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "Tags": tags }))
}

/// DescribeTimeToLive.
pub fn describe_ttl(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let name = table_name(r)?;
    let def = state.tables.get(name).ok_or_else(|| not_found(name))?;
    Ok(match &def.ttl_attribute {
        Some(a) => {
            json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": a}})
        }
        None => json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}),
    })
}

/// UpdateTimeToLive. AWS: expired items are deleted in the background; Sluice: setting stored, not yet swept.
pub fn update_ttl(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let name = table_name(r)?;
    let spec = r.obj("TimeToLiveSpecification")?;
    let enabled = spec
        .get("Enabled")
        .and_then(Value::as_bool)
        .ok_or_else(|| null_error("timeToLiveSpecification.enabled"))?;
    let attr = spec
        .get("AttributeName")
        .and_then(Value::as_str)
        .ok_or_else(|| null_error("timeToLiveSpecification.attributeName"))?;
    crate::table_request::check_length(attr, "timeToLiveSpecification.attributeName", 1, 255)?;
    let mut def = state
        .tables
        .get(name)
        .cloned()
        .ok_or_else(|| not_found(name))?;
    // Disabling must name the attribute TTL is on, and enabling another attribute while TTL is on
    // is refused with the same words (Alternator's test_ttl_disable_errors, written against DynamoDB:
    // "ValidationException.*different").
    match (&def.ttl_attribute, enabled) {
        (Some(current), _) if current != attr => {
            return Err(DynamoError::validation(format!(
            "TimeToLive is active on a different AttributeName: current AttributeName is {current}"
        )))
        }
        (Some(_), true) => return Err(DynamoError::validation("TimeToLive is already enabled")),
        (None, false) => return Err(DynamoError::validation("TimeToLive is already disabled")),
        _ => {}
    }
    def.ttl_attribute = enabled.then(|| attr.to_string());
    state.store.put_table(&def)?;
    state.tables.insert(name.to_string(), def);
    Ok(json!({"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attr}}))
}
