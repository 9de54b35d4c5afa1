//! DeleteItem.

use serde_json::Value;

use super::capacity::{index_write_total, write_units};
use super::item_collection;
use super::request_rules::{
    check_condition, table_name, write_response, ItemWriteOptions, Wording,
};
use crate::attribute_value::{item_from_json, item_size, Item};
use crate::member_constraints::{check_enums, ITEM_WRITE_ENUMS};
use crate::protocol::{DynamoResult, Req};
use crate::state::State;
use crate::store::Write;

/// A parsed DeleteItem request.
pub struct DeleteItem {
    /// Table.
    pub table: String,
    /// Primary key.
    pub key: Item,
    /// Condition, return values and capacity report.
    pub options: ItemWriteOptions,
    /// ReturnItemCollectionMetrics SIZE?
    pub collection_metrics: bool,
}

/// Parses DeleteItem.
pub fn parse(r: &Req, wording: Wording) -> DynamoResult<DeleteItem> {
    let table = table_name(r)?.to_string();
    check_enums(r, &ITEM_WRITE_ENUMS)?;
    let key = item_from_json(r.obj("Key")?)?;
    Ok(DeleteItem {
        table,
        key,
        options: ItemWriteOptions::parse(r, wording)?,
        collection_metrics: item_collection::wanted(r)?,
    })
}

/// Applies DeleteItem.
pub fn apply(state: &mut State, d: DeleteItem) -> DynamoResult<Value> {
    let def = state.table(&d.table)?;
    let (hk, rk) = def.encode_key_param(&d.key)?;
    let old = state.store.get(&d.table, &hk, &rk)?;
    if let Err(failed) = check_condition(
        d.options.condition.as_ref(),
        old.as_ref(),
        d.options.return_old_on_fail,
    ) {
        // AWS: a failed condition still consumes write units, for the existing item's size.
        let units = write_units(old.as_ref().map(item_size).unwrap_or(0));
        state.consumed.add(&d.table, 0.0, units);
        return Err(failed);
    }
    let units = write_units(old.as_ref().map(item_size).unwrap_or(0));
    let consumed = d
        .options
        .capacity
        .render_write(def, units, old.as_ref(), None);
    let billed = units + index_write_total(def, old.as_ref(), None);
    if old.is_some() {
        state.store.apply(&[Write::Delete {
            table: d.table.clone(),
            hk: hk.clone(),
            rk,
        }])?;
    }
    let metrics = if d.collection_metrics {
        item_collection::metrics(state.store.as_ref(), state.table(&d.table)?, &hk, &d.key)?
    } else {
        None
    };
    state.consumed.add(&d.table, 0.0, billed);
    let attrs = if d.options.return_old {
        old.as_ref()
    } else {
        None
    };
    let mut out = write_response(attrs, consumed);
    item_collection::insert(&mut out, metrics);
    Ok(out)
}
