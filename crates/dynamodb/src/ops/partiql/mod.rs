//! PartiQL for DynamoDB: `ExecuteStatement`, `BatchExecuteStatement` and `ExecuteTransaction`.
//!
//! Written by hand: no Rust crate parses DynamoDB's PartiQL dialect. Each statement is parsed
//! ([`parser`]), then carried out as the operation DynamoDB documents it as ([`translate`]), so
//! validation, conditions, capacity and streams are those operations' own.

mod ast;
mod expr;
mod lexer;
mod parser;
mod translate;

use base64::Engine;
use serde_json::{json, Map, Value};

use self::parser::Statement;
use self::translate::Plan;
use super::request_rules::Wording;
use crate::protocol::{DynamoError, DynamoResult, Reply, Req};
use crate::state::State;

/// Most statements in one `BatchExecuteStatement`.
const MAX_BATCH: usize = 25;
/// Most statements in one `ExecuteTransaction`.
const MAX_TRANSACTION: usize = 100;

/// `ExecuteStatement`.
pub fn execute_statement(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let statement = statement_of(r.0)?;
    let capacity = r.opt_str("ReturnConsumedCapacity")?;
    let table = state.table(translate::table_of(&statement))?.clone();
    let mut out = Map::new();
    match &statement {
        Statement::Select {
            projection,
            index,
            filter,
            descending,
            ..
        } => {
            let mut plan = translate::select(
                &table,
                index.as_deref(),
                projection.as_deref(),
                filter.as_ref(),
                *descending,
            )?;
            let gsi = index
                .as_deref()
                .and_then(|i| table.index(i))
                .is_some_and(|i| !i.local);
            if gsi && r.0.get("ConsistentRead") == Some(&Value::Bool(true)) {
                return Err(DynamoError::Validation(
                    "Strongly consistent read is not supported on Global Secondary Indexes".into(),
                ));
            }
            for member in ["ConsistentRead", "Limit"] {
                if let Some(v) = r.0.get(member) {
                    plan.request.insert(member.into(), v.clone());
                }
            }
            if let Some(token) = r.opt_str("NextToken")? {
                plan.request.insert(
                    "ExclusiveStartKey".into(),
                    start_key(token, &table.name, index.as_deref())?,
                );
            }
            let reply = run(state, plan, capacity)?;
            let mut items = reply.get("Items").cloned().unwrap_or_else(|| json!([]));
            if let (Some(paths), Value::Array(list)) = (projection, &mut items) {
                for item in list.iter_mut() {
                    *item = leaves(item, paths);
                }
            }
            out.insert("Items".into(), items);
            if let Some(last) = reply.get("LastEvaluatedKey") {
                let token = json!({ "table": table.name, "index": index, "key": last });
                let text = base64::engine::general_purpose::STANDARD.encode(token.to_string());
                out.insert("NextToken".into(), json!(text));
                out.insert("LastEvaluatedKey".into(), last.clone());
            }
            copy_capacity(&reply, &mut out);
        }
        _ => {
            let reply = write(state, &table, &statement, capacity)?;
            let items = match reply.get("Attributes") {
                Some(Value::Object(a)) if !a.is_empty() => json!([a]),
                _ => json!([]),
            };
            out.insert("Items".into(), items);
            copy_capacity(&reply, &mut out);
        }
    }
    Ok(Value::Object(out))
}

/// A projected item as PartiQL gives it: each selected path's value under its last name
/// (`SELECT a.b` answers `{"b": …}`), where a projection by expression would nest it.
fn leaves(item: &Value, paths: &[parser::Path]) -> Value {
    if paths.iter().all(|p| p.top().is_some()) {
        return item.clone();
    }
    let mut out = Map::new();
    for path in paths {
        let mut at = Some(item);
        for (i, step) in path.0.iter().enumerate() {
            at = match (step, at) {
                (parser::Step::Name(n), Some(v)) if i == 0 => v.get(n),
                (parser::Step::Name(n), Some(v)) => v.get("M").and_then(|m| m.get(n)),
                (parser::Step::Index(k), Some(v)) => v.get("L").and_then(|l| l.get(*k as usize)),
                (_, None) => None,
            };
        }
        let name = path.0.iter().rev().find_map(|s| match s {
            parser::Step::Name(n) => Some(n.clone()),
            parser::Step::Index(_) => None,
        });
        if let (Some(v), Some(name)) = (at, name) {
            out.insert(name, v.clone());
        }
    }
    Value::Object(out)
}

/// `BatchExecuteStatement`: each statement alone, its failure its own entry.
pub fn batch_execute_statement(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let statements = statement_list(r, "Statements", "statements", MAX_BATCH)?;
    let capacity = r.opt_str("ReturnConsumedCapacity")?;
    let mut responses = Vec::new();
    let mut used: Vec<(String, f64)> = Vec::new();
    for member in statements {
        let member = member_object(member)?;
        responses.push(batch_member(state, member, capacity, &mut used));
    }
    let mut out = json!({ "Responses": responses });
    if capacity.is_some_and(|c| c != "NONE") {
        // One entry per table, summing its members (as BatchGetItem reports).
        let entries: Vec<Value> = used
            .into_iter()
            .map(|(table, units)| json!({ "TableName": table, "CapacityUnits": units }))
            .collect();
        out["ConsumedCapacity"] = Value::Array(entries);
    }
    Ok(out)
}

/// Adds a member's consumed capacity to its table's total.
fn note_capacity(reply: &Value, used: &mut Vec<(String, f64)>) {
    let Some(c) = reply.get("ConsumedCapacity") else {
        return;
    };
    let (Some(table), Some(units)) = (
        c.get("TableName").and_then(Value::as_str),
        c.get("CapacityUnits").and_then(Value::as_f64),
    ) else {
        return;
    };
    super::capacity::add_to_table(used, table, units);
}

/// One member of a batch: its response, or its error with the table when it got that far.
fn batch_member(
    state: &mut State,
    member: &Map<String, Value>,
    capacity: Option<&str>,
    used: &mut Vec<(String, f64)>,
) -> Value {
    let statement = match statement_of(member) {
        Ok(s) => s,
        Err(e) => return batch_error(&e, None),
    };
    let name = translate::table_of(&statement).to_owned();
    let table = match state.table(&name) {
        Ok(t) => t.clone(),
        Err(e) => return batch_error(&e, None),
    };
    let result = match &statement {
        Statement::Select { .. } => translate::single_item(&table, &statement)
            .map(|mut plan| {
                if let Some(v) = member.get("ConsistentRead") {
                    plan.request.insert("ConsistentRead".into(), v.clone());
                }
                plan
            })
            .map_err(|e| (e, false))
            .and_then(|plan| run(state, plan, capacity).map_err(|e| (e, true)))
            .map(|reply| {
                note_capacity(&reply, used);
                reply.get("Item").cloned()
            }),
        _ => match check_write(&table, &statement) {
            Err(e) => Err((e, false)),
            Ok(()) => write(state, &table, &statement, capacity)
                .map_err(|e| (e, true))
                .map(|reply| {
                    note_capacity(&reply, used);
                    match reply.get("Attributes") {
                        Some(Value::Object(a)) if !a.is_empty() => Some(Value::Object(a.clone())),
                        _ => None,
                    }
                }),
        },
    };
    match result {
        Ok(item) => {
            let mut out = Map::new();
            out.insert("TableName".into(), json!(name));
            if let Some(item) = item {
                out.insert("Item".into(), item);
            }
            Value::Object(out)
        }
        // AWS: a member that ran and failed names its table; one refused before running does not.
        Err((e, ran)) => batch_error(&e, ran.then_some(name.as_str())),
    }
}

/// Refusals a write meets before it runs (so its error carries no table).
fn check_write(table: &crate::table::TableDef, statement: &Statement) -> DynamoResult<()> {
    match statement {
        Statement::Update { filter, .. } | Statement::Delete { filter, .. } => {
            translate::whole_key(table, filter).map(|_| ())
        }
        _ => Ok(()),
    }
}

fn batch_error(e: &DynamoError, table: Option<&str>) -> Value {
    let code = match e {
        DynamoError::ConditionalCheckFailed(_) => "ConditionalCheckFailed",
        DynamoError::DuplicateItem(_) => "DuplicateItem",
        DynamoError::ResourceNotFound(_) => "ResourceNotFound",
        DynamoError::TransactionCanceled(_) => "TransactionConflict",
        DynamoError::Internal(_) => "InternalServerError",
        _ => "ValidationError",
    };
    let mut error = json!({ "Code": code, "Message": e.to_string() });
    if let DynamoError::ConditionalCheckFailed(Some(item)) = e {
        error["Item"] = crate::attribute_value::item_to_json(item);
    }
    let mut out = json!({ "Error": error });
    if let Some(table) = table {
        out["TableName"] = json!(table);
    }
    out
}

/// `ExecuteTransaction`: SELECTs as a `TransactGetItems`, writes as a `TransactWriteItems`.
pub fn execute_transaction(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let statements = statement_list(
        r,
        "TransactStatements",
        "transactStatements",
        MAX_TRANSACTION,
    )?;
    let mut parsed = Vec::new();
    for member in statements {
        let member = member_object(member)?;
        parsed.push(statement_of(member)?);
    }
    let reads = parsed
        .iter()
        .filter(|s| matches!(s, Statement::Select { .. }))
        .count();
    if reads != 0 && reads != parsed.len() {
        return Err(DynamoError::Validation(
            "Transaction must contain either all read or all write statements".into(),
        ));
    }
    let mut items = Vec::new();
    for (at, statement) in parsed.iter().enumerate() {
        let refused = |why: &str| {
            DynamoError::Validation(format!(
                "Validation failed in TransactStatements[{at}]: {why}"
            ))
        };
        match statement {
            Statement::Select { index: Some(_), .. } => {
                return Err(refused(
                    "Reads on indices are not supported within transactions.",
                ))
            }
            Statement::Update {
                returning: Some(_), ..
            }
            | Statement::Delete {
                returning: Some(_), ..
            } => {
                return Err(refused(
                    "RETURNING clause is not supported in ExecuteTransaction.",
                ))
            }
            _ => {}
        }
        let table = state.table(translate::table_of(statement))?.clone();
        // RETURNING was refused above, so a write's plan asks for no return values.
        let plan = translate::single_item(&table, statement)?;
        let kind = match plan.operation {
            "GetItem" => "Get",
            "PutItem" => "Put",
            "UpdateItem" => "Update",
            _ => "Delete",
        };
        items.push(json!({ kind: plan.request }));
    }
    let mut req = Map::new();
    req.insert("TransactItems".into(), Value::Array(items));
    for member in ["ClientRequestToken", "ReturnConsumedCapacity"] {
        if let Some(v) = r.0.get(member) {
            req.insert(member.into(), v.clone());
        }
    }
    let operation = if reads > 0 {
        "TransactGetItems"
    } else {
        "TransactWriteItems"
    };
    req.remove(if reads > 0 { "ClientRequestToken" } else { "" });
    let reply = as_value(super::run(state, operation, &req)?)?;
    let mut out = Map::new();
    // AWS (recorded, LocalStack's test_dynamodb_execute_transaction): a write transaction
    // answers `"Responses": []` too, so `result["Responses"]` works either way.
    out.insert(
        "Responses".into(),
        reply.get("Responses").cloned().unwrap_or_else(|| json!([])),
    );
    copy_capacity(&reply, &mut out);
    Ok(Value::Object(out))
}

/// The list of statements in `member` (`at`: its name in DynamoDB's messages), 1 to `max` long.
fn statement_list<'a>(
    r: &Req<'a>,
    member: &str,
    at: &str,
    max: usize,
) -> DynamoResult<&'a Vec<Value>> {
    let Some(Value::Array(statements)) = r.0.get(member) else {
        return Err(DynamoError::Validation(format!(
            "1 validation error detected: Value null at '{at}' failed to satisfy constraint: Member must not be null"
        )));
    };
    if statements.is_empty() || statements.len() > max {
        return Err(DynamoError::Validation(format!(
            "1 validation error detected: Value at '{at}' failed to satisfy constraint: Member must have length {}",
            if statements.is_empty() {
                "greater than or equal to 1".to_owned()
            } else {
                format!("less than or equal to {max}")
            }
        )));
    }
    Ok(statements)
}

/// One entry of a statement list, which must be an object.
fn member_object(member: &Value) -> DynamoResult<&Map<String, Value>> {
    match member {
        Value::Object(m) => Ok(m),
        _ => Err(DynamoError::Serialization(
            "Start of structure or map found where not expected".into(),
        )),
    }
}

/// A member's statement with its parameters substituted.
fn statement_of(member: &Map<String, Value>) -> DynamoResult<Statement> {
    let text = match member.get("Statement") {
        Some(Value::String(s)) => s,
        _ => {
            return Err(DynamoError::Validation(
                "1 validation error detected: Value null at 'statement' failed to satisfy constraint: Member must not be null".into(),
            ))
        }
    };
    let params = match member.get("Parameters") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(p)) => p.as_slice(),
        Some(_) => {
            return Err(DynamoError::Serialization(
                "Start of list found where not expected".into(),
            ))
        }
    };
    parser::parse(text, params)
}

/// Runs an INSERT, UPDATE or DELETE.
fn write(
    state: &mut State,
    table: &crate::table::TableDef,
    statement: &Statement,
    capacity: Option<&str>,
) -> DynamoResult<Value> {
    if let Statement::Update { index: Some(_), .. } | Statement::Delete { index: Some(_), .. } =
        statement
    {
        return Err(DynamoError::Validation(
            "This operation is not supported on an index".into(),
        ));
    }
    let plan = translate::single_item(table, statement)?;
    let insert = plan.operation == "PutItem";
    run(state, plan, capacity).map_err(|e| match e {
        // AWS: INSERT does not overwrite; an existing key is its own error.
        DynamoError::ConditionalCheckFailed(_) if insert => {
            DynamoError::DuplicateItem("Duplicate primary key exists in table".into())
        }
        other => other,
    })
}

fn run(state: &mut State, mut plan: Plan, capacity: Option<&str>) -> DynamoResult<Value> {
    if let Some(c) = capacity {
        plan.request
            .insert("ReturnConsumedCapacity".into(), json!(c));
    }
    if plan.operation == "UpdateItem" {
        // AWS: a PartiQL UPDATE is held to 400 KB by its finished item alone, without UpdateItem's
        // own rule on what the update writes.
        let mut update =
            super::update_item::parse(&Req(&plan.request), Wording::Embedded).map_err(plain)?;
        update.record_limit = false;
        return super::update_item::apply(state, update).map_err(plain);
    }
    // A statement's writes answer as a transaction's actions do, without UpdateItem's envelope.
    let req = Req(&plan.request);
    match plan.operation {
        "PutItem" => super::put_item::parse(&req, Wording::Embedded)
            .and_then(|p| super::put_item::apply(state, p))
            .map_err(plain),
        "DeleteItem" => super::delete_item::parse(&req, Wording::Embedded)
            .and_then(|d| super::delete_item::apply(state, d))
            .map_err(plain),
        op => as_value(super::run(state, op, &plan.request).map_err(plain)?),
    }
}

/// An error of the operation a statement ran as, in PartiQL's words: the expressions were
/// Sluice's, so their kind (`Invalid FilterExpression: …`) is not the user's to see.
fn plain(e: DynamoError) -> DynamoError {
    match e {
        DynamoError::Validation(m) => {
            let stripped = m
                .strip_prefix("Invalid ")
                .and_then(|rest| rest.split_once("Expression: "))
                .map(|(_, why)| why.to_owned());
            DynamoError::Validation(stripped.unwrap_or(m))
        }
        other => other,
    }
}

fn as_value(reply: Reply) -> DynamoResult<Value> {
    match reply {
        Reply::Json(v) => Ok(v),
        Reply::Text(t) => serde_json::from_str(&t)
            .map_err(|e| DynamoError::Internal(crate::protocol::InternalCause::new(e))),
        Reply::Empty => Ok(Value::Object(Map::new())),
    }
}

fn copy_capacity(reply: &Value, out: &mut Map<String, Value>) {
    if let Some(c) = reply.get("ConsumedCapacity") {
        out.insert("ConsumedCapacity".into(), c.clone());
    }
}

/// A `NextToken` back as the `ExclusiveStartKey` it stands for; a token minted by a read of
/// another table or index is refused, as DynamoDB refuses it.
fn start_key(token: &str, table: &str, index: Option<&str>) -> DynamoResult<Value> {
    let token: Option<Value> = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    token
        .filter(|t| t["table"] == table && t["index"].as_str() == index)
        .and_then(|t| t.get("key").cloned())
        .ok_or_else(|| DynamoError::Validation("Invalid NextToken".into()))
}
