//! BatchWriteItem (25 requests) and BatchGetItem (100 keys). Writes are all processed, so
//! `UnprocessedItems` is always empty; reads stop at DynamoDB's 16 MB and leave the rest in
//! `UnprocessedKeys`.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::capacity::{read_units, write_units, Capacity, WriteUnits};
use super::legacy;
use super::request_rules::{classify_item, ItemFault, ItemOrigin};
use crate::attribute_value::{item_from_value, item_size, item_to_json};
use crate::expression::{project, ExprAttrs};
use crate::protocol::{null_error, DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::store::Write;

/// A primary key as stored: encoded partition and sort values.
type EncodedKey = (Vec<u8>, Vec<u8>);

fn duplicates() -> DynamoError {
    DynamoError::validation("Provided list of item keys contains duplicates")
}

/// Most item data one BatchGetItem returns; the keys past it come back in `UnprocessedKeys`.
const MAX_READ_BYTES: usize = 16 * 1024 * 1024;

/// Most write requests in one BatchWriteItem, per table and in all.
const MAX_WRITES: usize = 25;

/// The request map as DynamoDB echoes it in a constraint message (`{table=[request, …]}`).
/// AWS: Java's toString of its request objects; Sluice: the requests' JSON, since the shape
/// around them is what clients match on.
fn request_items_echo(items: &Map<String, Value>) -> String {
    let tables: Vec<String> = items
        .iter()
        .map(|(table, reqs)| match reqs.as_array() {
            Some(list) => {
                let list: Vec<String> = list.iter().map(Value::to_string).collect();
                format!("{table}=[{}]", list.join(", "))
            }
            None => format!("{table}={reqs}"),
        })
        .collect();
    format!("{{{}}}", tables.join(", "))
}

/// BatchWriteItem: validates every request first, then applies all of them in one storage transaction.
pub fn write(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let request_items = r.obj("RequestItems")?;
    let capacity = Capacity::parse(r)?;
    if request_items.is_empty() {
        return Err(DynamoError::validation(
            "The requestItems parameter is required for BatchWriteItem",
        ));
    }
    // AWS: each table's list is constrained on its own (echoing the whole map), then the total.
    if request_items.values().any(|v| {
        v.as_array()
            .is_none_or(|l| l.is_empty() || l.len() > MAX_WRITES)
    }) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {MAX_WRITES}, Member must have length greater than or equal to 1]",
            request_items_echo(request_items)
        )));
    }
    let total: usize = request_items
        .values()
        .map(|v| v.as_array().map_or(0, Vec::len))
        .sum();
    if total > MAX_WRITES {
        return Err(DynamoError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
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
                // AWS: a put whose key is missing (recorded, LocalStack's
                // test_batch_write_not_matching_schema) or has the wrong type is answered as a key
                // parameter would be.
                if def.keys.names().iter().any(|k| !item.contains_key(*k)) {
                    return Err(DynamoError::validation(
                        "The provided key element does not match the schema",
                    ));
                }
                let (hk, rk) =
                    classify_item(def, &item, ItemOrigin::Request).map_err(|f| match f {
                        ItemFault::KeyType(_) => DynamoError::validation(
                            "The provided key element does not match the schema",
                        ),
                        f => f.into_error(),
                    })?;
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
    // Recorded: one table's `Keys` over 100 breaks the request model's per-member constraint,
    // checked before the batch-wide count below.
    for (table, entry) in request_items {
        if entry
            .get("Keys")
            .and_then(Value::as_array)
            .is_some_and(|k| k.len() > 100)
        {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value at 'RequestItems.{table}.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100"
            )));
        }
    }
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
        // us-east-1 and most regions answer this wording (captured 2026-08); a few answer
        // "Value at 'RequestItems' ... greater than or equal to 1" instead.
        return Err(DynamoError::validation(
            "The requestItems parameter is required for BatchGetItem",
        ));
    }
    // AWS: expression and legacy projections may not be mixed, even across tables.
    let uses = |member: &str| {
        request_items
            .values()
            .any(|spec| spec.get(member).is_some_and(|v| !v.is_null()))
    };
    if uses("ProjectionExpression") && uses("AttributesToGet") {
        return Err(legacy::mixed("AttributesToGet", "ProjectionExpression"));
    }
    // Every table and key is validated before the first read, as DynamoDB does.
    struct TableRead<'a> {
        table: String,
        /// The table's entry as sent, echoed in `UnprocessedKeys` with the keys left.
        spec: &'a Map<String, Value>,
        projection: Option<Vec<crate::expression::Path>>,
        consistent: bool,
        /// Each key encoded, beside the key as sent.
        keys: Vec<(EncodedKey, &'a Value)>,
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
            encoded.push(((hk, rk), k));
        }
        reads.push(TableRead {
            table: table.clone(),
            spec,
            projection,
            consistent,
            keys: encoded,
        });
    }
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut caps = Vec::new();
    let mut response_bytes = 0;
    let mut full = false;
    for read in reads {
        let mut found = Vec::new();
        let mut units = 0.0;
        let mut left = Vec::new();
        for ((hk, rk), raw) in &read.keys {
            if full {
                left.push((*raw).clone());
                continue;
            }
            let item = state.store.get(&read.table, hk, rk)?;
            let size = item.as_ref().map_or(0, item_size);
            // AWS: one call returns at most 16 MB; the item that would pass it and every key after
            // it come back unprocessed, in request order.
            if response_bytes + size > MAX_READ_BYTES {
                full = true;
                left.push((*raw).clone());
                continue;
            }
            response_bytes += size;
            // AWS: each item is rounded up to 4 KB on its own; a missing item still costs one unit
            // (halved for eventually consistent reads).
            units += read_units(size, read.consistent);
            if let Some(item) = item {
                let item = match &read.projection {
                    Some(p) => project(&item, p),
                    None => item,
                };
                found.push(item_to_json(&item));
            }
        }
        let none_read = left.len() == read.keys.len();
        if !left.is_empty() {
            let mut spec = read.spec.clone();
            spec.insert("Keys".into(), Value::Array(left));
            unprocessed.insert(read.table.clone(), Value::Object(spec));
        }
        if none_read {
            continue;
        }
        state.consumed.add(&read.table, units, 0.0);
        if let Some(c) = capacity.render(&read.table, units) {
            caps.push(c);
        }
        responses.insert(read.table, Value::Array(found));
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Object(responses));
    out.insert("UnprocessedKeys".into(), Value::Object(unprocessed));
    if !caps.is_empty() {
        out.insert("ConsumedCapacity".into(), Value::Array(caps));
    }
    Ok(Value::Object(out))
}
