//! UpdateItem (UpdateExpression or legacy AttributeUpdates; every ReturnValues).

use serde_json::Value;

use super::capacity::{index_write_total, write_units, Capacity};
use super::item_collection;
use super::legacy;
use super::request_rules::{
    check_condition, classify_item, return_old_on_fail, table_name, write_response, ItemFault,
    ItemOrigin, Wording, MAX_ITEM_BYTES, UPDATE_TOO_LARGE,
};
use crate::attribute_value::{item_from_json, item_size, Item};
use crate::expression::{parse_update, UpdateExpression};
use crate::expression::{project, Condition, ExprAttrs, Path, PathElem};
use crate::member_constraints::{check_enums, ITEM_WRITE_ENUMS, RETURN_VALUES};
use crate::protocol::{DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::store::Write;
use crate::table::TableDef;
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
    /// ReturnItemCollectionMetrics SIZE?
    pub collection_metrics: bool,
    /// Whether the update's own record (what it writes plus a cost per action) is held to 400 KB
    /// besides the finished item: true for the UpdateItem API, false for a PartiQL UPDATE, which
    /// AWS measures by its finished item alone.
    pub record_limit: bool,
}

/// Parses UpdateItem.
pub fn parse(r: &Req, wording: Wording) -> DynamoResult<UpdateItem> {
    let table = table_name(r)?.to_string();
    // AWS (recorded 2026-06): UpdateItem stops at the first invalid enum, ReturnValues first, where
    // PutItem and DeleteItem report them all together.
    for member in [RETURN_VALUES].iter().chain(&ITEM_WRITE_ENUMS) {
        check_enums(r, &[*member])?;
    }
    let key = item_from_json(r.obj("Key")?)?;
    ExprAttrs::check_names_have_expression(r, &EXPRESSIONS)?;
    let (update, condition) = expressions(r).map_err(|e| wording.wrap(e))?;
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
        collection_metrics: item_collection::wanted(r)?,
        record_limit: true,
    })
}

/// UpdateItem's expression members, in DynamoDB's order for its messages.
const EXPRESSIONS: [&str; 2] = ["UpdateExpression", "ConditionExpression"];

/// The update and the condition, checking that their expression attribute names and values are
/// all used.
fn expressions(r: &Req) -> DynamoResult<(UpdateExpression, Option<Condition>)> {
    let mut attrs = ExprAttrs::from_request(r, &EXPRESSIONS)?;
    legacy::no_mixed_parameters(r)?;
    let update = match (
        r.opt_str("UpdateExpression")?,
        r.opt_obj("AttributeUpdates")?,
    ) {
        (Some(_), Some(_)) => return Err(legacy::mixed("AttributeUpdates", "UpdateExpression")),
        (Some(e), None) => parse_update(e, &mut attrs)?,
        (None, Some(m)) => legacy::attribute_updates(m)?,
        (None, None) => UpdateExpression::default(),
    };
    let condition = legacy::write_condition(r, &mut attrs)?;
    attrs.check_all_used()?;
    Ok((update, condition))
}

/// An update may not write the primary key's attributes (checked before any item is read).
pub fn check_keys_untouched(def: &TableDef, update: &UpdateExpression) -> DynamoResult<()> {
    for p in update.target_paths() {
        if def.keys.names().contains(&p.root()) {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                p.root()
            )));
        }
    }
    Ok(())
}

/// The item an update leaves, from the item before it (`None` if there was none). `None` when the
/// update creates nothing: AWS creates no item when every action on a missing item is a REMOVE or
/// DELETE (an update with no actions still creates the item with just its key). The fault says
/// whether a transaction cancels for it or fails as a whole.
pub fn new_item(
    def: &TableDef,
    key: &Item,
    update: &UpdateExpression,
    old: Option<&Item>,
) -> Result<Option<Item>, ItemFault> {
    check_keys_untouched(def, update).map_err(ItemFault::Request)?;
    let only_removes = update.set.is_empty()
        && update.add.is_empty()
        && !(update.remove.is_empty() && update.delete.is_empty());
    if old.is_none() && only_removes {
        return Ok(None);
    }
    // An update that cannot apply to the item it meets (a type clash, a bad path) is found only
    // when it runs, like a wrongly typed index key.
    let new = apply_update(update, old.unwrap_or(key)).map_err(|e| match e {
        DynamoError::Validation(_) => ItemFault::Action(e),
        e => ItemFault::Request(e),
    })?;
    classify_item(def, &new, ItemOrigin::Update)?;
    Ok(Some(new))
}

/// What standalone UpdateItem holds to 400 KB besides the finished item: the top-level attributes
/// the statement touches (name and value, as they end up) plus a fixed cost per action. So the key
/// and untouched attributes are left out, and at a short key the ceiling falls below 400 KB.
/// AWS: recorded, not documented (3 bytes per update, 19 per SET or ADD action, one more through a
/// list index, 2 per REMOVE or DELETE); transactions and PartiQL measure only the finished item.
fn update_record_size(update: &UpdateExpression, new: &Item) -> usize {
    let indexes = |p: &Path| {
        p.0.iter()
            .filter(|e| matches!(e, PathElem::Index(_)))
            .count()
    };
    let actions: usize = update
        .set
        .iter()
        .map(|(p, _)| p)
        .chain(update.add.iter().map(|(p, _)| p))
        .map(|p| 19 + indexes(p))
        .sum::<usize>()
        + 2 * (update.remove.len() + update.delete.len());
    let mut roots: Vec<&str> = update.target_paths().iter().map(|p| p.root()).collect();
    roots.sort_unstable();
    roots.dedup();
    let written: usize = roots
        .iter()
        .filter_map(|r| new.get_key_value(*r))
        .map(|(k, v)| k.len() + v.size())
        .sum();
    3 + actions + written
}

/// Applies UpdateItem.
pub fn apply(state: &mut State, u: UpdateItem) -> DynamoResult<Value> {
    let def = state.table(&u.table)?;
    let (hk, rk) = def.encode_key_param(&u.key)?;
    // One read: the condition sees the item before the update, and is checked before the update
    // can fail on types.
    let old = state.store.get(&u.table, &hk, &rk)?;
    if let Err(failed) = check_condition(u.condition.as_ref(), old.as_ref(), u.return_old_on_fail) {
        // AWS: a failed condition still consumes write units, for the existing item's size.
        let units = write_units(old.as_ref().map(item_size).unwrap_or(0));
        state.consumed.add(&u.table, 0.0, units);
        return Err(failed);
    }
    let new = new_item(def, &u.key, &u.update, old.as_ref()).map_err(ItemFault::into_error)?;
    if u.record_limit
        && new
            .as_ref()
            .is_some_and(|n| update_record_size(&u.update, n) > MAX_ITEM_BYTES)
    {
        return Err(DynamoError::validation(UPDATE_TOO_LARGE));
    }
    let units = write_units(
        new.as_ref()
            .map(item_size)
            .unwrap_or(0)
            .max(old.as_ref().map(item_size).unwrap_or(0)),
    );
    let consumed = u
        .capacity
        .render_write(def, units, old.as_ref(), new.as_ref());
    let billed = units + index_write_total(def, old.as_ref(), new.as_ref());
    if let Some(new) = &new {
        state.store.apply(&[Write::Put {
            table: u.table.clone(),
            hk: hk.clone(),
            rk,
            item: new.clone(),
        }])?;
    }
    let metrics = if u.collection_metrics {
        item_collection::metrics(state.store.as_ref(), state.table(&u.table)?, &hk, &u.key)?
    } else {
        None
    };
    state.consumed.add(&u.table, 0.0, billed);
    // UPDATED_*: only the paths the update wrote, nested ones inside their parents.
    let paths: Vec<Path> = u.update.target_paths().into_iter().cloned().collect();
    let attrs = match u.return_values {
        ReturnValues::None => None,
        ReturnValues::AllOld => old,
        ReturnValues::UpdatedOld => old.as_ref().map(|i| project(i, &paths)),
        ReturnValues::AllNew => new,
        ReturnValues::UpdatedNew => new.as_ref().map(|i| project(i, &paths)),
    };
    let mut out = write_response(attrs.as_ref(), consumed);
    item_collection::insert(&mut out, metrics);
    Ok(out)
}
