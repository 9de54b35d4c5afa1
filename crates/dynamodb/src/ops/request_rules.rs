//! What the item operations' requests share: the table name, a full item's validation, the
//! condition check with `ReturnValuesOnConditionCheckFailure`, and the write response.

use serde_json::{Map, Value};

use super::capacity::Capacity;
use super::legacy;
use crate::attribute_value::{item_size, item_to_json, AttributeValue, Item};
use crate::expression::{evaluate, Condition, ExprAttrs};
use crate::protocol::{DynamoError, DynamoResult, Req};
use crate::table::{check_key_size, TableDef};

/// Largest item DynamoDB stores.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Validates a full item: size limit, key presence/types, index key types.
pub fn check_item(table: &TableDef, item: &Item) -> DynamoResult<(Vec<u8>, Vec<u8>)> {
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(DynamoError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    let keys = table.encode_key(item)?;
    for idx in &table.indexes {
        for k in idx.keys.names() {
            // AWS: an index key value is held to the same rules as a table key, naming the index.
            if let Some(v) = item.get(k) {
                let empty = matches!(v, AttributeValue::S(s) if s.is_empty())
                    || matches!(v, AttributeValue::B(b) if b.is_empty());
                if empty {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {k}",
                        if matches!(v, AttributeValue::S(_)) { "string" } else { "binary" },
                        idx.name
                    )));
                }
                check_key_size(v, idx.keys.is_hash_attr(k))?;
            }
            let want = table
                .attribute_definitions
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, t)| t.as_str());
            if let (Some(v), Some(want)) = (item.get(k), want) {
                if v.type_name() != want {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key {k} Expected: {want} Actual: {} IndexName: {}",
                        v.type_name(),
                        idx.name
                    )));
                }
            }
        }
    }
    Ok(keys)
}

/// Evaluates an optional condition against the old item; failure carries the old item when asked for.
pub fn check_condition(
    cond: Option<&Condition>,
    old: Option<&Item>,
    return_old_on_fail: bool,
) -> DynamoResult<()> {
    if let Some(c) = cond {
        let empty = Item::new();
        if !evaluate(c, old.unwrap_or(&empty)) {
            return Err(DynamoError::ConditionalCheckFailed(if return_old_on_fail {
                old.cloned()
            } else {
                None
            }));
        }
    }
    Ok(())
}

/// What PutItem and DeleteItem (alone or in a transaction) share: a condition on the old item,
/// what to return, and the capacity report asked for.
pub struct ItemWriteOptions {
    /// Condition on the old item.
    pub condition: Option<Condition>,
    /// ReturnValues ALL_OLD?
    pub return_old: bool,
    /// ReturnValuesOnConditionCheckFailure ALL_OLD?
    pub return_old_on_fail: bool,
    /// ReturnConsumedCapacity.
    pub capacity: Capacity,
}

impl ItemWriteOptions {
    /// Reads the condition (expression or legacy `Expected`), `ReturnValues` (only ALL_OLD or
    /// NONE for these operations), `ReturnValuesOnConditionCheckFailure` and
    /// `ReturnConsumedCapacity`.
    pub fn parse(r: &Req) -> DynamoResult<Self> {
        let mut attrs = ExprAttrs::from_request(r, &["ConditionExpression"])?;
        let condition = legacy::write_condition(r, &mut attrs)?;
        attrs.check_all_used()?;
        let return_old = match r.opt_str("ReturnValues")? {
            None | Some("NONE") => false,
            Some("ALL_OLD") => true,
            Some(_) => {
                return Err(DynamoError::validation(
                    "ReturnValues can only be ALL_OLD or NONE",
                ))
            }
        };
        Ok(Self {
            condition,
            return_old,
            return_old_on_fail: return_old_on_fail(r)?,
            capacity: Capacity::parse(r)?,
        })
    }
}

/// Reads `ReturnValuesOnConditionCheckFailure` (true for ALL_OLD).
pub fn return_old_on_fail(r: &Req) -> DynamoResult<bool> {
    match r.opt_str("ReturnValuesOnConditionCheckFailure")? {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{other}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
        ))),
    }
}

/// Adds `Attributes` (when non-empty) and `ConsumedCapacity` to a write response.
pub fn write_response(attributes: Option<&Item>, capacity: Option<Value>) -> Value {
    let mut out = Map::new();
    if let Some(a) = attributes.filter(|a| !a.is_empty()) {
        out.insert("Attributes".into(), item_to_json(a));
    }
    if let Some(c) = capacity {
        out.insert("ConsumedCapacity".into(), c);
    }
    Value::Object(out)
}

/// Reads the `TableName` member and checks it.
pub fn table_name<'a>(r: &Req<'a>) -> DynamoResult<&'a str> {
    let name = r.str("TableName")?;
    // AWS: operations that also take a table ARN declare `TableName` as 1 to 1024 characters, so
    // an empty name fails that bound before the name rules CreateTable shares.
    crate::table_request::check_length(name, "tableName", 1, 1024)?;
    crate::table_request::validate_table_name(name)?;
    Ok(name)
}
