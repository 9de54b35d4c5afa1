//! UpdateItem (UpdateExpression or legacy AttributeUpdates; every ReturnValues).

use serde_json::Value;

use super::{
    check_condition, check_item, legacy, return_old_on_fail, table_name, write_response,
    write_units, Capacity,
};
use crate::attribute_value::{item_from_json, item_size, Item};
use crate::expression::{parse_update, UpdateExpression};
use crate::expression::{Condition, ExprAttrs};
use crate::protocol::{DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::store::Write;
use crate::update_expression::apply_update;

/// Which attributes UpdateItem returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReturnValues {
    /// Nothing.
    None,
    /// The whole old item.
    AllOld,
    /// Old values of updated attributes.
    UpdatedOld,
    /// The whole new item.
    AllNew,
    /// New values of updated attributes.
    UpdatedNew,
}

/// A parsed UpdateItem request.
pub struct UpdateItem {
    /// Table.
    pub table: String,
    /// Primary key.
    pub key: Item,
    /// The update (empty = create the item with just its key).
    pub update: UpdateExpression,
    /// Condition on the old item.
    pub condition: Option<Condition>,
    /// ReturnValues.
    pub return_values: ReturnValues,
    /// ReturnValuesOnConditionCheckFailure ALL_OLD?
    pub return_old_on_fail: bool,
    /// ReturnConsumedCapacity.
    pub capacity: Capacity,
}

/// Parses UpdateItem.
pub fn parse(r: &Req) -> DynamoResult<UpdateItem> {
    let table = table_name(r)?.to_string();
    let key = item_from_json(r.obj("Key")?)?;
    let mut attrs = ExprAttrs::from_request(r, &["UpdateExpression", "ConditionExpression"])?;
    let update = match (r.opt_str("UpdateExpression")?, r.opt_obj("AttributeUpdates")?) {
        (Some(_), Some(_)) => {
            return Err(DynamoError::validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
            ))
        }
        (Some(e), None) => parse_update(e, &mut attrs)?,
        (None, Some(m)) => legacy::attribute_updates(m)?,
        (None, None) => UpdateExpression::default(),
    };
    let condition = legacy::write_condition(r, &mut attrs)?;
    attrs.check_all_used()?;
    let return_values = match r.opt_str("ReturnValues")? {
        None | Some("NONE") => ReturnValues::None,
        Some("ALL_OLD") => ReturnValues::AllOld,
        Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
        Some("ALL_NEW") => ReturnValues::AllNew,
        Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
        Some(other) => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
            )))
        }
    };
    Ok(UpdateItem {
        table,
        key,
        update,
        condition,
        return_values,
        return_old_on_fail: return_old_on_fail(r)?,
        capacity: Capacity::parse(r)?,
    })
}

/// The result of computing an update: encoded key, old item (if any) and new item.
pub type Computed = (Vec<u8>, Vec<u8>, Option<Item>, Item);

/// Computes the new item for an update (shared with TransactWriteItems).
pub fn compute(
    state: &State,
    table: &str,
    key: &Item,
    update: &UpdateExpression,
) -> DynamoResult<Computed> {
    let def = state.table(table)?;
    let (hk, rk) = def.encode_key_param(key)?;
    for p in update.target_paths() {
        if def.keys.names().contains(&p.root()) {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                p.root()
            )));
        }
    }
    let old = state.store.get(table, &hk, &rk)?;
    let base = old.clone().unwrap_or_else(|| key.clone());
    let new = apply_update(update, &base)?;
    check_item(def, &new)?;
    Ok((hk, rk, old, new))
}

/// Applies UpdateItem.
pub fn apply(state: &mut State, u: UpdateItem) -> DynamoResult<Value> {
    let def = state.table(&u.table)?;
    let (hk0, rk0) = def.encode_key_param(&u.key)?;
    // The condition sees the item before the update, and is checked before the update can fail on types.
    let before = state.store.get(&u.table, &hk0, &rk0)?;
    check_condition(u.condition.as_ref(), before.as_ref(), u.return_old_on_fail)?;
    let (hk, rk, old, new) = compute(state, &u.table, &u.key, &u.update)?;
    let units = write_units(item_size(&new).max(old.as_ref().map(item_size).unwrap_or(0)));
    state.store.apply(&[Write::Put {
        table: u.table.clone(),
        hk,
        rk,
        item: new.clone(),
    }])?;
    let roots: Vec<&str> = u.update.target_paths().iter().map(|p| p.root()).collect();
    let only_updated = |i: &Item| -> Item {
        i.iter()
            .filter(|(k, _)| roots.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let attrs = match u.return_values {
        ReturnValues::None => None,
        ReturnValues::AllOld => old.clone(),
        ReturnValues::UpdatedOld => old.as_ref().map(only_updated),
        ReturnValues::AllNew => Some(new.clone()),
        ReturnValues::UpdatedNew => Some(only_updated(&new)),
    };
    Ok(write_response(
        attrs.as_ref(),
        u.capacity.render(&u.table, units, false),
    ))
}
