//! PutItem.

use serde_json::Value;

use super::capacity::{index_write_total, write_units};
use super::item_collection;
use super::request_rules::{
    check_condition, check_item, table_name, write_response, ItemWriteOptions, Wording,
};
use crate::attribute_value::{item_from_json, item_size, Item};
use crate::member_constraints::{check_enums, ITEM_WRITE_ENUMS};
use crate::protocol::{DynamoResult, Req};
use crate::state::State;
use crate::store::Write;

/// A parsed PutItem request.
pub struct PutItem {
    /// Table.
    pub table: String,
    /// The new item.
    pub item: Item,
    /// Condition, return values and capacity report.
    pub options: ItemWriteOptions,
    /// ReturnItemCollectionMetrics SIZE?
    pub collection_metrics: bool,
}

/// Parses PutItem.
pub fn parse(r: &Req, wording: Wording) -> DynamoResult<PutItem> {
    let table = table_name(r)?.to_string();
    check_enums(r, &ITEM_WRITE_ENUMS)?;
    let item = item_from_json(r.obj("Item")?).map_err(|e| wording.wrap(e.into()))?;
    Ok(PutItem {
        table,
        item,
        options: ItemWriteOptions::parse(r, wording)?,
        collection_metrics: item_collection::wanted(r)?,
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
    let needs_old =
        p.options.condition.is_some() || p.options.return_old || !def.indexes.is_empty();
    let old = match stored.filter(|_| needs_old) {
        Some(s) => Some(s.decode()?),
        None => None,
    };
    if let Err(failed) = check_condition(
        p.options.condition.as_ref(),
        old.as_ref(),
        p.options.return_old_on_fail,
    ) {
        // AWS: a failed condition still consumes write units, for the existing item's size.
        let units = write_units(old_size);
        state.consumed.add(&p.table, 0.0, units);
        return Err(failed);
    }
    let units = write_units(item_size(&p.item).max(old_size));
    let consumed = p
        .options
        .capacity
        .render_write(def, units, old.as_ref(), Some(&p.item));
    let billed = units + index_write_total(def, old.as_ref(), Some(&p.item));
    state.store.apply(&[Write::Put {
        table: p.table.clone(),
        hk: hk.clone(),
        rk,
        item: p.item.clone(),
    }])?;
    let metrics = if p.collection_metrics {
        item_collection::metrics(state.store.as_ref(), state.table(&p.table)?, &hk, &p.item)?
    } else {
        None
    };
    state.consumed.add(&p.table, 0.0, billed);
    let attrs = if p.options.return_old {
        old.as_ref()
    } else {
        None
    };
    let mut out = write_response(attrs, consumed);
    item_collection::insert(&mut out, metrics);
    Ok(out)
}
