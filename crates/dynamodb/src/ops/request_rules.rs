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

/// AWS words an update's size refusal apart from a put's ("Item size has exceeded ...").
pub const UPDATE_TOO_LARGE: &str = "Item size to update has exceeded the maximum allowed size";

/// How a single-item write answers the checks of what its request says (an item's values, the
/// expressions and their attribute names and values): AWS (recorded 2025-26) puts them in Coral's
/// envelope for a standalone PutItem, UpdateItem or DeleteItem, but not for the same action in a
/// transaction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wording {
    /// The PutItem, UpdateItem or DeleteItem API.
    Standalone,
    /// An action of TransactWriteItems or a PartiQL statement.
    Embedded,
}

impl Wording {
    /// The error as this caller words it.
    pub fn wrap(self, e: DynamoError) -> DynamoError {
        match self {
            Wording::Standalone => e.in_envelope(),
            Wording::Embedded => e,
        }
    }
}

/// Where a written item came from: the messages for an empty index key value differ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ItemOrigin {
    /// An `Item` in the request (PutItem, a batch or transaction put).
    Request,
    /// The item an update expression leaves.
    Update,
}

/// Why a written item is rejected, split where DynamoDB splits it: a transaction cancels with a
/// `ValidationError` reason for what is found when the action runs (a value of the wrong type, an
/// updated item's size), but fails the whole request for what is found while reading it (a request
/// item's size, missing keys, empty values).
#[derive(Debug, Clone, PartialEq)]
pub enum ItemFault {
    /// Found while reading the request.
    Request(DynamoError),
    /// A primary key attribute holds a value of the wrong type.
    KeyType(DynamoError),
    /// Found only when the action meets the item: an index key value of the wrong type, an
    /// update that cannot apply.
    Action(DynamoError),
}

impl ItemFault {
    /// The error a single-item operation answers with.
    pub fn into_error(self) -> DynamoError {
        match self {
            ItemFault::Request(e) | ItemFault::KeyType(e) | ItemFault::Action(e) => e,
        }
    }
}

/// Validates a full item: size limit, key presence/types, index key types.
pub fn check_item(table: &TableDef, item: &Item) -> DynamoResult<(Vec<u8>, Vec<u8>)> {
    classify_item(table, item, ItemOrigin::Request).map_err(ItemFault::into_error)
}

/// True when the first primary key attribute [`TableDef::encode_key`] rejects is present with a
/// value of the wrong type (it checks each attribute's presence, then its type, hash first).
fn key_type_mismatch(table: &TableDef, item: &Item) -> bool {
    for k in table.keys.hash_attrs().chain(table.keys.range_attrs()) {
        match item.get(&k.name) {
            None => return false,
            Some(v) if v.type_name() != k.kind => return true,
            Some(_) => {}
        }
    }
    false
}

/// [`check_item`], telling which kind of fault rejected the item.
pub fn classify_item(
    table: &TableDef,
    item: &Item,
    origin: ItemOrigin,
) -> Result<(Vec<u8>, Vec<u8>), ItemFault> {
    // AWS: a size is known from a request's item before anything runs, but from an update only
    // once it meets the stored item.
    let size_fault = |e| match origin {
        ItemOrigin::Request => ItemFault::Request(e),
        ItemOrigin::Update => ItemFault::Action(e),
    };
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(size_fault(DynamoError::validation(match origin {
            ItemOrigin::Request => "Item size has exceeded the maximum allowed size",
            ItemOrigin::Update => UPDATE_TOO_LARGE,
        })));
    }
    let keys = table.encode_key(item).map_err(|e| {
        if key_type_mismatch(table, item) {
            ItemFault::KeyType(e)
        } else {
            ItemFault::Request(e)
        }
    })?;
    for idx in &table.indexes {
        for k in idx.keys.names() {
            // AWS: an index key value is held to the same rules as a table key, naming the index.
            if let Some(v) = item.get(k) {
                let empty = match v {
                    AttributeValue::S(s) if s.is_empty() => Some("string"),
                    AttributeValue::B(b) if b.is_empty() => Some("binary"),
                    _ => None,
                };
                if let Some(kind) = empty {
                    // AWS words this after what wrote the value: the request's item, or an update.
                    return Err(ItemFault::Request(DynamoError::validation(match origin {
                        ItemOrigin::Request => format!(
                            "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {}, IndexKey: {k}",
                            idx.name
                        ),
                        ItemOrigin::Update => format!(
                            "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value."
                        ),
                    })));
                }
                check_key_size(v, idx.keys.is_hash_attr(k)).map_err(size_fault)?;
            }
            let want = table
                .attribute_definitions
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, t)| t.as_str());
            if let (Some(v), Some(want)) = (item.get(k), want) {
                if v.type_name() != want {
                    return Err(ItemFault::Action(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key {k} Expected: {want} Actual: {} IndexName: {}",
                        v.type_name(),
                        idx.name
                    ))));
                }
            }
        }
    }
    Ok(keys)
}

/// Validates a `Key` parameter like [`TableDef::encode_key_param`], telling a key that does not
/// match the schema (names or types: [`ItemFault::KeyType`]) from a bad value (empty, too large).
pub fn classify_key_param(table: &TableDef, key: &Item) -> Result<(Vec<u8>, Vec<u8>), ItemFault> {
    let names = table.keys.names();
    let matches = key.len() == names.len()
        && table
            .keys
            .hash_attrs()
            .chain(table.keys.range_attrs())
            .all(|k| key.get(&k.name).is_some_and(|v| v.type_name() == k.kind));
    table.encode_key_param(key).map_err(|e| {
        if matches {
            ItemFault::Request(e)
        } else {
            ItemFault::KeyType(e)
        }
    })
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
    pub fn parse(r: &Req, wording: Wording) -> DynamoResult<Self> {
        ExprAttrs::check_names_have_expression(r, &["ConditionExpression"])?;
        let condition = write_condition(r).map_err(|e| wording.wrap(e))?;
        Self::with_condition(r, condition)
    }

    fn with_condition(r: &Req, condition: Option<Condition>) -> DynamoResult<Self> {
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

/// The condition of a PutItem or DeleteItem (expression or legacy `Expected`), checking that its
/// expression attribute names and values are all used.
fn write_condition(r: &Req) -> DynamoResult<Option<Condition>> {
    let mut attrs = ExprAttrs::from_request(r, &["ConditionExpression"])?;
    legacy::no_mixed_parameters(r)?;
    let condition = legacy::write_condition(r, &mut attrs)?;
    attrs.check_all_used()?;
    Ok(condition)
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
