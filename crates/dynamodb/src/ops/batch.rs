//! BatchWriteItem (25 requests) and BatchGetItem (100 keys). Everything is processed, so
//! `UnprocessedItems`/`UnprocessedKeys` are always empty.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::capacity::{read_units, write_units, Capacity, WriteUnits};
use super::legacy;
use super::request_rules::check_item;
use crate::attribute_value::{item_from_value, item_size, item_to_json};
use crate::expression::{project, ExprAttrs};
use crate::protocol::{null_error, DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::store::Write;

fn duplicates() -> DynamoError {
    DynamoError::validation("Provided list of item keys contains duplicates")
}

/// BatchWriteItem: validates every request first, then applies all of them in one storage transaction.
pub fn write(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let request_items = r.obj("RequestItems")?;
    let capacity = Capacity::parse(r)?;
    let total: usize = request_items
        .values()
        .map(|v| v.as_array().map_or(0, Vec::len))
        .sum();
    if total > 25
        || total == 0
        || request_items
            .values()
            .any(|v| v.as_array().is_none_or(Vec::is_empty))
    {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]; total requests: {total}"
        )));
    }
    let mut writes = Vec::new();
    let mut seen = HashSet::new();
    let mut consumed: Vec<(String, WriteUnits)> = Vec::new();
    for (table, reqs) in request_items {
        let def = state.table(table)?;
        let mut units = WriteUnits::default();
        for req in reqs.as_array().into_iter().flatten() {
            if let Some(put) = req.get("PutRequest") {
                let item = item_from_value(put.get("Item").ok_or_else(|| null_error("Item"))?)?;
                let (hk, rk) = check_item(def, &item)?;
                if !seen.insert((table.clone(), hk.clone(), rk.clone())) {
                    return Err(duplicates());
                }
                // The item replaced matters only to the index arms.
                let old = if def.indexes.is_empty() {
                    None
                } else {
                    state.store.get(table, &hk, &rk)?
                };
                units.add(
                    def,
                    write_units(item_size(&item)),
                    old.as_ref(),
                    Some(&item),
                );
                writes.push(Write::Put {
                    table: table.clone(),
                    hk,
                    rk,
                    item,
                });
            } else if let Some(del) = req.get("DeleteRequest") {
                let key = item_from_value(del.get("Key").ok_or_else(|| null_error("Key"))?)?;
                let (hk, rk) = def.encode_key_param(&key)?;
                if !seen.insert((table.clone(), hk.clone(), rk.clone())) {
                    return Err(duplicates());
                }
                let old = if def.indexes.is_empty() {
                    None
                } else {
                    state.store.get(table, &hk, &rk)?
                };
                units.add(def, 1.0, old.as_ref(), None);
                writes.push(Write::Delete {
                    table: table.clone(),
                    hk,
                    rk,
                });
            } else {
                return Err(DynamoError::validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"));
            }
        }
        consumed.push((table.clone(), units));
    }
    state.store.apply(&writes)?;
    let mut caps = Vec::new();
    for (table, units) in &consumed {
        state.consumed.add(table, 0.0, units.total());
        caps.extend(capacity.render_writes(table, units));
    }
    let mut out = Map::new();
    out.insert("UnprocessedItems".into(), json!({}));
    if !caps.is_empty() {
        out.insert("ConsumedCapacity".into(), Value::Array(caps));
    }
    Ok(Value::Object(out))
}

/// BatchGetItem.
pub fn get(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let request_items = r.obj("RequestItems")?;
    let capacity = Capacity::parse(r)?;
    let total: usize = request_items
        .values()
        .map(|v| v.get("Keys").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    if total > 100 {
        return Err(DynamoError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    if request_items.is_empty() {
        return Err(DynamoError::validation(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    // Every table and key is validated before the first read, as DynamoDB does.
    struct TableRead {
        table: String,
        projection: Option<Vec<crate::expression::Path>>,
        consistent: bool,
        keys: Vec<(Vec<u8>, Vec<u8>)>,
    }
    let mut reads = Vec::new();
    for (table, spec) in request_items {
        let spec = spec
            .as_object()
            .ok_or_else(|| DynamoError::Serialization("Unexpected value type in payload".into()))?;
        let sr = Req(spec);
        let mut attrs = ExprAttrs::from_request(&sr, &["ProjectionExpression"])?;
        let projection = legacy::projection(&sr, &mut attrs)?;
        attrs.check_all_used()?;
        let consistent = sr.opt_bool("ConsistentRead")?.unwrap_or(false);
        let keys = sr.opt_arr("Keys")?.ok_or_else(|| null_error("Keys"))?;
        if keys.is_empty() {
            return Err(DynamoError::validation(
                "1 validation error detected: Value at 'requestItems.1.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        let def = state.table(table)?;
        let mut seen = HashSet::new();
        let mut encoded = Vec::with_capacity(keys.len());
        for k in keys {
            let key = item_from_value(k)?;
            let (hk, rk) = def.encode_key_param(&key)?;
            if !seen.insert((hk.clone(), rk.clone())) {
                return Err(duplicates());
            }
            encoded.push((hk, rk));
        }
        reads.push(TableRead {
            table: table.clone(),
            projection,
            consistent,
            keys: encoded,
        });
    }
    let mut responses = Map::new();
    let mut caps = Vec::new();
    for read in reads {
        let mut found = Vec::new();
        let mut units = 0.0;
        for (hk, rk) in &read.keys {
            let item = state.store.get(&read.table, hk, rk)?;
            // AWS: each item is rounded up to 4 KB on its own; a missing item still costs one unit
            // (halved for eventually consistent reads).
            units += read_units(item.as_ref().map_or(0, item_size), read.consistent);
            if let Some(item) = item {
                let item = match &read.projection {
                    Some(p) => project(&item, p),
                    None => item,
                };
                found.push(item_to_json(&item));
            }
        }
        state.consumed.add(&read.table, units, 0.0);
        if let Some(c) = capacity.render(&read.table, units) {
            caps.push(c);
        }
        responses.insert(read.table, Value::Array(found));
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Object(responses));
    out.insert("UnprocessedKeys".into(), json!({}));
    if !caps.is_empty() {
        out.insert("ConsumedCapacity".into(), Value::Array(caps));
    }
    Ok(Value::Object(out))
}
