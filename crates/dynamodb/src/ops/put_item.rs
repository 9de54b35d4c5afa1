//! PutItem.

use serde_json::Value;

use super::capacity::{index_write_total, write_units, Capacity};
use super::legacy;
use super::request_rules::{
    check_condition, check_item, return_old_on_fail, table_name, write_response,
};
use crate::attribute_value::{item_from_json, item_size, Item};
use crate::expression::{Condition, ExprAttrs};
use crate::protocol::{DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::store::Write;

/// A parsed PutItem request.
pub struct PutItem {
    /// Table.
    pub table: String,
    /// The new item.
    pub item: Item,
    /// Condition on the old item.
    pub condition: Option<Condition>,
    /// ReturnValues ALL_OLD?
    pub return_old: bool,
    /// ReturnValuesOnConditionCheckFailure ALL_OLD?
    pub return_old_on_fail: bool,
    /// ReturnConsumedCapacity.
    pub capacity: Capacity,
}

/// Parses PutItem.
pub fn parse(r: &Req) -> DynamoResult<PutItem> {
    let table = table_name(r)?.to_string();
    let item = item_from_json(r.obj("Item")?)?;
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
    Ok(PutItem {
        table,
        item,
        condition,
        return_old,
        return_old_on_fail: return_old_on_fail(r)?,
        capacity: Capacity::parse(r)?,
    })
}

/// Applies PutItem.
pub fn apply(state: &mut State, p: PutItem) -> DynamoResult<Value> {
    let def = state.table(&p.table)?;
    let (hk, rk) = check_item(def, &p.item)?;
    let stored = state.store.get_stored(&p.table, &hk, &rk)?;
    let old_size = stored.as_ref().map_or(0, |s| s.size);
    // The replaced item's attributes matter only to a condition, ReturnValues or index units; a
    // plain overwrite needs just its stored size.
    let needs_old = p.condition.is_some() || p.return_old || !def.indexes.is_empty();
    let old = match stored.filter(|_| needs_old) {
        Some(s) => Some(s.decode()?),
        None => None,
    };
    if let Err(failed) = check_condition(p.condition.as_ref(), old.as_ref(), p.return_old_on_fail) {
        // AWS: a failed condition still consumes write units, for the existing item's size.
        let units = write_units(old_size);
        state.consumed.add(&p.table, 0.0, units);
        return Err(failed);
    }
    let units = write_units(item_size(&p.item).max(old_size));
    let consumed = p
        .capacity
        .render_write(def, units, old.as_ref(), Some(&p.item));
    let billed = units + index_write_total(def, old.as_ref(), Some(&p.item));
    state.store.apply(&[Write::Put {
        table: p.table.clone(),
        hk,
        rk,
        item: p.item,
    }])?;
    state.consumed.add(&p.table, 0.0, billed);
    let attrs = if p.return_old { old.as_ref() } else { None };
    Ok(write_response(attrs, consumed))
}
