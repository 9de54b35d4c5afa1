//! GetItem.

use serde_json::{Map, Value};

use super::capacity::{read_units, Capacity};
use super::legacy;
use super::request_rules::table_name;
use crate::attribute_value::{item_from_json, item_size, item_to_json, Item};
use crate::expression::{project, ExprAttrs, Path};
use crate::protocol::DynamoResult;
use crate::protocol::Req;
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

/// Applies GetItem.
pub fn apply(state: &mut State, g: GetItem) -> DynamoResult<Value> {
    let def = state.table(&g.table)?;
    let (hk, rk) = def.encode_key_param(&g.key)?;
    let item = state.store.get(&g.table, &hk, &rk)?;
    let mut out = Map::new();
    let units = read_units(item.as_ref().map(item_size).unwrap_or(0), g.consistent);
    if let Some(item) = item {
        let item = match &g.projection {
            Some(p) => project(&item, p),
            None => item,
        };
        out.insert("Item".into(), item_to_json(&item));
    }
    state.consumed.add(&g.table, units, 0.0);
    if let Some(c) = g.capacity.render(&g.table, units, true) {
        out.insert("ConsumedCapacity".into(), c);
    }
    Ok(Value::Object(out))
}
