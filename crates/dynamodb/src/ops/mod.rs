//! One module per DynamoDB operation (parse the request, then apply it) and the dispatcher.

pub mod batch;
pub mod capacity;
pub mod create_table;
pub mod delete_item;
pub mod get_item;
pub mod key_condition;
pub mod legacy;
pub mod put_item;
pub mod query_scan;
pub mod streams;
pub mod table_admin;
pub mod transact;
pub mod update_item;

use serde_json::{json, Map, Value};

use crate::attribute_value::{item_size, item_to_json, AttributeValue, Item};
use crate::expression::{evaluate, Condition};
use crate::protocol::DynamoResponse;
use crate::protocol::{
    encode_error, encode_ok, parse_body, DynamoError, DynamoResult, InternalCause, Req,
};
use crate::state::State;
use crate::store::StoreError;
use crate::table::{check_key_size, TableDef};
pub use capacity::{read_units, write_units, Capacity};

/// Largest item DynamoDB stores.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Storage failures are Sluice's fault: a 500 that keeps the failure as its source.
impl From<StoreError> for DynamoError {
    fn from(e: StoreError) -> Self {
        DynamoError::Internal(InternalCause::new(e))
    }
}

/// Runs one operation and encodes its result or error.
pub fn dispatch(state: &mut State, target: &str, body: &[u8]) -> DynamoResponse {
    let result = parse_body(body).and_then(|req| run(state, target, &req));
    match result {
        Ok(v) => encode_ok(v),
        Err(e) => encode_error(&e),
    }
}

fn run(state: &mut State, target: &str, req: &Map<String, Value>) -> DynamoResult<Value> {
    let r = Req(req);
    match target {
        "CreateTable" => create_table::apply(state, create_table::parse(&r)?),
        "DescribeTable" => table_admin::describe_table(state, &r),
        "ListTables" => table_admin::list_tables(state, &r),
        "DeleteTable" => table_admin::delete_table(state, &r),
        "UpdateTable" => table_admin::update_table(state, &r),
        "TagResource" => table_admin::tag_resource(state, &r),
        "UntagResource" => table_admin::untag_resource(state, &r),
        "ListTagsOfResource" => table_admin::list_tags(state, &r),
        "DescribeTimeToLive" => table_admin::describe_ttl(state, &r),
        "UpdateTimeToLive" => table_admin::update_ttl(state, &r),
        "DescribeEndpoints" => Ok(json!({"Endpoints": [{
            "Address": format!("dynamodb.{}.{}", state.aws.region, state.aws.url_suffix()),
            "CachePeriodInMinutes": 1440
        }]})),
        "DescribeLimits" => Ok(
            json!({"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}),
        ),
        "PutItem" => put_item::apply(state, put_item::parse(&r)?),
        "GetItem" => get_item::apply(state, get_item::parse(&r)?),
        "DeleteItem" => delete_item::apply(state, delete_item::parse(&r)?),
        "UpdateItem" => update_item::apply(state, update_item::parse(&r)?),
        "Query" => query_scan::apply(state, query_scan::parse(&r, true)?),
        "Scan" => query_scan::apply(state, query_scan::parse(&r, false)?),
        "BatchWriteItem" => batch::write(state, &r),
        "BatchGetItem" => batch::get(state, &r),
        "TransactWriteItems" => transact::write(state, &r),
        "TransactGetItems" => transact::get(state, &r),
        _ => Err(DynamoError::UnknownOperation),
    }
}

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
    crate::table_request::validate_table_name(name)?;
    Ok(name)
}
