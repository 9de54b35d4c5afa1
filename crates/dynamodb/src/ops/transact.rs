//! TransactWriteItems and TransactGetItems: up to 100 actions, all-or-nothing, with per-action
//! cancellation reasons.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::capacity::{write_units, Capacity};
use super::request_rules::{classify_item, classify_key_param, ItemFault, ItemOrigin, Wording};
use super::{delete_item, put_item, update_item};
use crate::attribute_value::{item_from_json, item_size, item_to_json, Item};
use crate::expression::UpdateExpression;
use crate::expression::{evaluate, project, Condition, ExprAttrs};
use crate::protocol::{null_error, CancellationReason, DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::store::Write;

/// Most actions in one transaction.
const MAX_ACTIONS: usize = 100;
/// Largest total size of the items in one transaction.
const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// One parsed action.
enum Action {
    Check {
        table: String,
        key: Item,
        condition: Condition,
        return_old: bool,
    },
    Put(put_item::PutItem),
    Delete(delete_item::DeleteItem),
    Update {
        table: String,
        key: Item,
        update: UpdateExpression,
        condition: Option<Condition>,
        return_old: bool,
    },
}

/// Fewer than one action.
fn too_few() -> DynamoError {
    DynamoError::validation(
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    )
}

/// Two actions on one item.
fn duplicate_item() -> DynamoError {
    DynamoError::validation("Transaction request cannot include multiple operations on one item")
}

/// The reason an action that failed validation when it ran gives for cancelling.
fn validation_reason(e: DynamoError) -> CancellationReason {
    CancellationReason {
        code: "ValidationError",
        message: Some(e.to_string()),
        item: None,
    }
}

/// An action's keys; a fault found when the action meets the item becomes its cancellation
/// reason (`None`), one found while reading the request fails the whole request.
fn keys_or_reason(
    located: Result<(Vec<u8>, Vec<u8>), ItemFault>,
    reasons: &mut Vec<CancellationReason>,
) -> DynamoResult<Option<(Vec<u8>, Vec<u8>)>> {
    match located {
        Ok(keys) => Ok(Some(keys)),
        Err(ItemFault::Request(e)) => Err(e),
        Err(ItemFault::KeyType(e) | ItemFault::Action(e)) => {
            reasons.push(validation_reason(e));
            Ok(None)
        }
    }
}

fn too_many(n: usize) -> DynamoError {
    DynamoError::validation(format!(
        "1 validation error detected: Value '[{n} items]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to {MAX_ACTIONS}"
    ))
}

/// The members of a `TransactWriteItem`, one of which an action must set.
const ACTION_KINDS: [&str; 4] = ["ConditionCheck", "Put", "Delete", "Update"];

fn parse_action(v: &Value) -> DynamoResult<Action> {
    let obj = v
        .as_object()
        .ok_or_else(|| DynamoError::Serialization("Unexpected value type in payload".into()))?;
    // A TransactWriteItem is a union: exactly one of its four members. An item with two (a Put
    // beside a Delete) is refused whole, not run as its first member; members the model does not
    // know are ignored, as the JSON protocol ignores them everywhere. Wording as moto and the
    // other emulators give it for both faults (moto's
    // test_transact_write_items_multiple_operations_fail); no AWS recording of it is public.
    let mut set = obj
        .iter()
        .filter(|(k, b)| ACTION_KINDS.contains(&k.as_str()) && !b.is_null());
    let (kind, body) = match (set.next(), set.next()) {
        (Some(only), None) => only,
        _ => {
            return Err(DynamoError::validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ))
        }
    };
    let body = body
        .as_object()
        .ok_or_else(|| DynamoError::Serialization("Unexpected value type in payload".into()))?;
    let r = Req(body);
    match kind.as_str() {
        "Put" => put_item::parse(&r, Wording::Embedded).map(Action::Put),
        "Delete" => delete_item::parse(&r, Wording::Embedded).map(Action::Delete),
        "Update" => {
            let u = update_item::parse(&r, Wording::Embedded)?;
            Ok(Action::Update {
                table: u.table,
                key: u.key,
                update: u.update,
                condition: u.condition,
                return_old: u.return_old_on_fail,
            })
        }
        "ConditionCheck" => {
            let table = super::request_rules::table_name(&r)?.to_string();
            let key = item_from_json(r.obj("Key")?)?;
            let mut attrs = ExprAttrs::from_request(&r, &["ConditionExpression"])?;
            let expr = r.str("ConditionExpression")?;
            let condition =
                crate::expression::parse_condition(expr, "ConditionExpression", &mut attrs)?;
            attrs.check_all_used()?;
            Ok(Action::Check {
                table,
                key,
                condition,
                return_old: super::request_rules::return_old_on_fail(&r)?,
            })
        }
        // Not reached: `kind` is one of ACTION_KINDS, each matched above.
        _ => Err(DynamoError::validation(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        )),
    }
}

/// TransactWriteItems.
pub fn write(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let list = r
        .opt_arr("TransactItems")?
        .ok_or_else(|| null_error("TransactItems"))?;
    if list.len() > MAX_ACTIONS {
        return Err(too_many(list.len()));
    }
    if list.is_empty() {
        return Err(too_few());
    }
    let capacity = Capacity::parse(r)?;
    let actions = list
        .iter()
        .map(parse_action)
        .collect::<DynamoResult<Vec<_>>>()?;
    // AWS: the items a transaction carries add up to at most 4 MB, checked before any is read.
    let bytes: usize = actions
        .iter()
        .map(|a| match a {
            Action::Put(p) => item_size(&p.item),
            Action::Delete(d) => item_size(&d.key),
            Action::Check { key, .. } | Action::Update { key, .. } => item_size(key),
        })
        .sum();
    if bytes > MAX_TRANSACTION_BYTES {
        return Err(DynamoError::validation(
            "Transaction request cannot be larger than 4 MB",
        ));
    }
    let token = r.opt_str("ClientRequestToken")?;
    if let Some(t) = token {
        crate::table_request::check_length(t, "clientRequestToken", 1, 36)?;
        // The request as the token remembers it: its actions, compared by meaning (AWS, recorded
        // in LocalStack's test_dynamodb_idempotent_writing: the same item with its attributes in
        // another order is the same request).
        let fingerprint = sorted_keys(&Value::Array(list.clone())).to_string();
        if state.transaction_tokens.replayed(t, &fingerprint)? {
            return replay(state, &actions, capacity);
        }
        let out = apply_write(state, &actions, capacity)?;
        state.transaction_tokens.remember(t, fingerprint);
        return Ok(out);
    }
    apply_write(state, &actions, capacity)
}

/// `value` with every object's keys in sorted order, so equal requests print alike.
fn sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// A replay under a token already applied: nothing is written again. AWS (recorded): the replay
/// is billed as a transactional read of each item as it now stands (2 read units per 4 KB), and
/// reported so.
fn replay(state: &mut State, actions: &[Action], capacity: Capacity) -> DynamoResult<Value> {
    let mut units: Vec<(String, f64)> = Vec::new();
    for a in actions {
        let (table, key): (&str, Item) = match a {
            Action::Check { table, key, .. } | Action::Update { table, key, .. } => {
                (table, key.clone())
            }
            Action::Put(p) => (&p.table, state.table(&p.table)?.key_of(&p.item)),
            Action::Delete(d) => (&d.table, d.key.clone()),
        };
        let (hk, rk) = state.table(table)?.encode_key_param(&key)?;
        let size = state
            .store
            .get(table, &hk, &rk)?
            .as_ref()
            .map_or(0, item_size);
        let u = 2.0 * super::capacity::read_units(size, true);
        super::capacity::add_to_table(&mut units, table, u);
    }
    for (table, u) in &units {
        state.consumed.add(table, *u, 0.0);
    }
    let mut out = Map::new();
    capacity.insert_per_table(&mut out, &units, true);
    Ok(Value::Object(out))
}

/// Runs a parsed transaction: every condition and update checked, then all writes or none.
fn apply_write(state: &mut State, actions: &[Action], capacity: Capacity) -> DynamoResult<Value> {
    let mut seen = HashSet::new();
    let mut writes = Vec::new();
    let mut reasons = Vec::new();
    let mut failed = false;
    let mut units: Vec<(String, f64)> = Vec::new();
    // DynamoDB stops at the first action that fails validation: the actions after it are neither
    // validated nor checked, and report None (Alternator's
    // test_transact_write_cancellation_reasons_validationerror, written against DynamoDB).
    // A request-level fault (an empty key value) in a later action still fails the whole request.
    let mut invalid = false;
    for a in actions {
        let (table, key_item): (&str, Item) = match a {
            Action::Check { table, key, .. } => (table, key.clone()),
            Action::Put(p) => (&p.table, p.item.clone()),
            Action::Delete(d) => (&d.table, d.key.clone()),
            Action::Update { table, key, .. } => (table, key.clone()),
        };
        let def = state.table(table)?;
        // AWS: a key that does not match the schema (or an item whose key or index key values have
        // the wrong type) cancels the transaction with a ValidationError reason; empty or oversized
        // values fail the whole request.
        let located = match a {
            Action::Put(p) => classify_item(def, &p.item, ItemOrigin::Request),
            Action::Update { update, .. } => {
                update_item::check_keys_untouched(def, update)?;
                classify_key_param(def, &key_item)
            }
            _ => classify_key_param(def, &key_item),
        };
        if invalid {
            if let Err(ItemFault::Request(e)) = located {
                return Err(e);
            }
            reasons.push(CancellationReason {
                code: "None",
                message: None,
                item: None,
            });
            continue;
        }
        let Some((hk, rk)) = keys_or_reason(located, &mut reasons)? else {
            failed = true;
            invalid = true;
            continue;
        };
        if !seen.insert((table.to_string(), hk.clone(), rk.clone())) {
            return Err(duplicate_item());
        }
        let old = state.store.get(table, &hk, &rk)?;
        let (cond, return_old) = match a {
            Action::Check {
                condition,
                return_old,
                ..
            } => (Some(condition), *return_old),
            Action::Put(p) => (p.options.condition.as_ref(), p.options.return_old_on_fail),
            Action::Delete(d) => (d.options.condition.as_ref(), d.options.return_old_on_fail),
            Action::Update {
                condition,
                return_old,
                ..
            } => (condition.as_ref(), *return_old),
        };
        let empty = Item::new();
        if cond.is_some_and(|c| !evaluate(c, old.as_ref().unwrap_or(&empty))) {
            failed = true;
            reasons.push(CancellationReason {
                code: "ConditionalCheckFailed",
                message: Some("The conditional request failed".into()),
                item: if return_old { old.clone() } else { None },
            });
            continue;
        }
        reasons.push(CancellationReason {
            code: "None",
            message: None,
            item: None,
        });
        let size = match a {
            Action::Check { .. } => 0,
            Action::Put(p) => {
                writes.push(Write::Put {
                    table: table.to_string(),
                    hk,
                    rk,
                    item: p.item.clone(),
                });
                item_size(&p.item)
            }
            Action::Delete(_) => {
                writes.push(Write::Delete {
                    table: table.to_string(),
                    hk,
                    rk,
                });
                old.as_ref().map(item_size).unwrap_or(0)
            }
            Action::Update { key, update, .. } => {
                // AWS: an update that fails on the item it meets cancels the transaction with a
                // ValidationError reason instead of failing the whole request.
                match update_item::new_item(def, key, update, old.as_ref()) {
                    Ok(Some(new)) => {
                        let s = item_size(&new);
                        writes.push(Write::Put {
                            table: table.to_string(),
                            hk,
                            rk,
                            item: new,
                        });
                        s
                    }
                    Ok(None) => 0,
                    Err(ItemFault::Request(e)) => return Err(e),
                    Err(ItemFault::KeyType(e) | ItemFault::Action(e)) => {
                        failed = true;
                        invalid = true;
                        if let Some(last) = reasons.last_mut() {
                            *last = validation_reason(e);
                        }
                        continue;
                    }
                }
            }
        };
        // Transactions cost twice the units of plain writes.
        let u = 2.0 * write_units(size);
        super::capacity::add_to_table(&mut units, table, u);
    }
    if failed {
        return Err(DynamoError::TransactionCanceled(reasons));
    }
    state.store.apply(&writes)?;
    for (table, u) in &units {
        state.consumed.add(table, 0.0, *u);
    }
    let mut out = Map::new();
    capacity.insert_per_table(&mut out, &units, false);
    Ok(Value::Object(out))
}

/// TransactGetItems: every key checked, then all items read; a key that does not match its
/// table's schema cancels the whole read with a ValidationError reason.
pub fn get(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let list = r
        .opt_arr("TransactItems")?
        .ok_or_else(|| null_error("TransactItems"))?;
    if list.len() > MAX_ACTIONS {
        return Err(too_many(list.len()));
    }
    if list.is_empty() {
        return Err(too_few());
    }
    let capacity = Capacity::parse(r)?;
    let mut responses = Vec::new();
    let mut units: Vec<(String, f64)> = Vec::new();
    let mut seen = HashSet::new();
    let mut reasons = Vec::new();
    let mut failed = false;
    for v in list {
        let get = v
            .get("Get")
            .and_then(Value::as_object)
            .ok_or_else(|| null_error("Get"))?;
        let gr = Req(get);
        let table = super::request_rules::table_name(&gr)?;
        let key = item_from_json(gr.obj("Key")?)?;
        let mut attrs = ExprAttrs::from_request(&gr, &["ProjectionExpression"])?;
        let projection = super::legacy::projection(&gr, &mut attrs)?;
        attrs.check_all_used()?;
        let def = state.table(table)?;
        let Some((hk, rk)) = keys_or_reason(classify_key_param(def, &key), &mut reasons)? else {
            failed = true;
            continue;
        };
        if !seen.insert((table.to_string(), hk.clone(), rk.clone())) {
            return Err(duplicate_item());
        }
        reasons.push(CancellationReason {
            code: "None",
            message: None,
            item: None,
        });
        let item = state.store.get(table, &hk, &rk)?;
        let u = 2.0 * super::capacity::read_units(item.as_ref().map(item_size).unwrap_or(0), true);
        super::capacity::add_to_table(&mut units, table, u);
        let item = match (item, &projection) {
            (Some(i), Some(p)) => Some(project(&i, p)),
            (item, _) => item,
        };
        // AWS: a projection that matches nothing of a present item leaves `Item` out, as for a
        // missing item.
        responses.push(match item.filter(|i| !i.is_empty()) {
            Some(i) => json!({ "Item": item_to_json(&i) }),
            None => json!({}),
        });
    }
    if failed {
        return Err(DynamoError::TransactionCanceled(reasons));
    }
    for (table, u) in &units {
        state.consumed.add(table, *u, 0.0);
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Array(responses));
    capacity.insert_per_table(&mut out, &units, true);
    Ok(Value::Object(out))
}
