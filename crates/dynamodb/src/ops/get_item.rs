//! GetItem.

use super::capacity::{read_units, Capacity};
use super::legacy;
use super::request_rules::table_name;
use crate::attribute_value::{item_from_json, item_to_json, Item};
use crate::expression::{project, ExprAttrs, Path};
use crate::protocol::{DynamoResult, ObjectWriter, Reply, Req};
use crate::state::State;

/// A parsed GetItem request.
pub struct GetItem {
    /// Table.
    pub table: String,
    /// Primary key.
    pub key: Item,
    /// Projection.
    pub projection: Option<Vec<Path>>,
    /// ConsistentRead.
    pub consistent: bool,
    /// ReturnConsumedCapacity.
    pub capacity: Capacity,
}

/// Parses GetItem.
pub fn parse(r: &Req) -> DynamoResult<GetItem> {
    let table = table_name(r)?.to_string();
    let key = item_from_json(r.obj("Key")?)?;
    let mut attrs = ExprAttrs::from_request(r, &["ProjectionExpression"])?;
    legacy::no_mixed_parameters(r)?;
    let projection = legacy::projection(r, &mut attrs)?;
    attrs.check_all_used()?;
    Ok(GetItem {
        table,
        key,
        projection,
        consistent: r.opt_bool("ConsistentRead")?.unwrap_or(false),
        capacity: Capacity::parse(r)?,
    })
}

/// Applies GetItem. Without a projection the stored item goes out as it was stored, undecoded.
pub fn apply(state: &mut State, g: GetItem) -> DynamoResult<Reply> {
    let def = state.table(&g.table)?;
    let (hk, rk) = def.encode_key_param(&g.key)?;
    let stored = state.store.get_stored(&g.table, &hk, &rk)?;
    let units = read_units(stored.as_ref().map_or(0, |s| s.size), g.consistent);
    let mut out = ObjectWriter::with_capacity(stored.as_ref().map_or(0, |s| s.text.len()) + 64);
    if let Some(stored) = stored {
        match &g.projection {
            Some(p) => out.value("Item", &item_to_json(&project(&stored.decode()?, p))),
            None => out.raw("Item", &stored.text),
        }
    }
    state.consumed.add(&g.table, units, 0.0);
    if let Some(c) = g.capacity.render(&g.table, units) {
        out.value("ConsumedCapacity", &c);
    }
    Ok(out.finish())
}
