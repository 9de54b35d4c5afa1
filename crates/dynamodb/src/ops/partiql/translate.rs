//! A PartiQL statement as the request of the single-item or query operation that does the same
//! (DynamoDB documents PartiQL for DynamoDB in those terms: a SELECT keyed on the partition key is
//! a Query, any other a Scan; INSERT is a PutItem that must not overwrite; UPDATE and DELETE act
//! on one item named by its whole key, the rest of the WHERE being their condition). Written as
//! expression text with `#n`/`:v` placeholders, so every rule of those operations (validation,
//! conditions, return values, capacity) applies as it does to them.

use serde_json::{json, Map, Value};

use super::ast::{Action, Cond, Operand, Path, Returning, SetValue, Statement, Step};
use super::expr::Expr;
use super::lexer::malformed;
use crate::protocol::{DynamoError, DynamoResult};
use crate::table::{KeySchema, TableDef};

/// The top-level conjuncts of a WHERE clause.
fn conjuncts(c: &Cond) -> Vec<&Cond> {
    match c {
        Cond::And(a, b) => {
            let mut out = conjuncts(a);
            out.extend(conjuncts(b));
            out
        }
        other => vec![other],
    }
}

/// The value `c` sets `name` equal to, if it is `name = value` (either way round).
fn equality<'c>(c: &'c Cond, name: &str) -> Option<&'c Value> {
    match c {
        Cond::Cmp(Operand::Path(p), "=", Operand::Value(v))
        | Cond::Cmp(Operand::Value(v), "=", Operand::Path(p))
            if p.top() == Some(name) =>
        {
            Some(v)
        }
        _ => None,
    }
}

/// The top-level attribute names a condition reads.
fn reads(c: &Cond, out: &mut Vec<String>) {
    fn operand(o: &Operand, out: &mut Vec<String>) {
        if let Operand::Path(p) | Operand::Size(p) = o {
            if let Some(Step::Name(n)) = p.0.first() {
                out.push(n.clone());
            }
        }
    }
    match c {
        Cond::Or(a, b) | Cond::And(a, b) => {
            reads(a, out);
            reads(b, out);
        }
        Cond::Not(a) => reads(a, out),
        Cond::Cmp(a, _, b) => {
            operand(a, out);
            operand(b, out);
        }
        Cond::Between(a, b, c) => [a, b, c].into_iter().for_each(|o| operand(o, out)),
        Cond::In(a, items) => {
            operand(a, out);
            items.iter().for_each(|o| operand(o, out));
        }
        Cond::Func(_, args) => args.iter().for_each(|o| operand(o, out)),
        Cond::Missing(p, _) | Cond::Null(p, _) => operand(&Operand::Path(p.clone()), out),
    }
}

fn key_names(keys: &KeySchema) -> Vec<String> {
    keys.hash_attrs()
        .chain(keys.range_attrs())
        .map(|k| k.name.clone())
        .collect()
}

/// `conds` joined by AND (`None` when empty).
fn and_of(conds: Vec<&Cond>) -> Option<Cond> {
    conds
        .into_iter()
        .cloned()
        .reduce(|a, b| Cond::And(Box::new(a), Box::new(b)))
}

/// A single-item statement's key (every key attribute set equal to a value in the WHERE) and
/// the rest of the WHERE.
pub(super) fn whole_key<'c>(
    table: &TableDef,
    filter: &'c Cond,
) -> DynamoResult<(Map<String, Value>, Vec<&'c Cond>)> {
    let mut rest = conjuncts(filter);
    let mut key = Map::new();
    for name in key_names(&table.keys) {
        let at = rest.iter().position(|c| equality(c, &name).is_some());
        let Some(at) = at else {
            return Err(DynamoError::Validation(
                "Where clause does not contain a mandatory equality on all key attributes".into(),
            ));
        };
        let c = rest.remove(at);
        key.insert(
            name.clone(),
            equality(c, &name).cloned().unwrap_or(Value::Null),
        );
    }
    Ok((key, rest))
}

/// The operation and request that carry out `statement`.
pub(super) struct Plan {
    /// `Query`, `Scan`, `GetItem`, `PutItem`, `UpdateItem` or `DeleteItem`.
    pub operation: &'static str,
    /// Its request.
    pub request: Map<String, Value>,
}

/// A SELECT as a Query (the WHERE fixes every partition key attribute and names no key
/// attribute otherwise than as a key condition) or a Scan with the WHERE as its filter.
pub(super) fn select(
    table: &TableDef,
    index: Option<&str>,
    projection: Option<&[Path]>,
    filter: Option<&Cond>,
    descending: bool,
) -> DynamoResult<Plan> {
    let keys = match index {
        Some(name) => {
            &table
                .index(name)
                .ok_or_else(|| {
                    DynamoError::Validation("The table does not have the specified index".into())
                })?
                .keys
        }
        None => &table.keys,
    };
    let mut e = Expr::default();
    let mut req = Map::new();
    req.insert("TableName".into(), json!(table.name));
    if let Some(index) = index {
        req.insert("IndexName".into(), json!(index));
    }
    if let Some(paths) = projection {
        req.insert("ProjectionExpression".into(), json!(e.projection(paths)));
    }
    if let Some(name) = index {
        unprojected(table, name, projection, filter)?;
    }
    let mut operation = "Scan";
    if let Some(filter) = filter {
        match key_condition(keys, filter, &mut e) {
            Some((key_text, rest)) => {
                operation = "Query";
                req.insert("KeyConditionExpression".into(), json!(key_text));
                if let Some(rest) = and_of(rest) {
                    let text = e.cond(&rest, 0);
                    req.insert("FilterExpression".into(), json!(text));
                }
                if descending {
                    req.insert("ScanIndexForward".into(), json!(false));
                }
            }
            None => {
                let text = e.cond(filter, 0);
                req.insert("FilterExpression".into(), json!(text));
            }
        }
    }
    if descending && operation == "Scan" {
        return Err(DynamoError::Validation(
            "Must have WHERE clause in the statement when using ORDER BY clause.".into(),
        ));
    }
    e.into_request(&mut req);
    Ok(Plan {
        operation,
        request: req,
    })
}

/// DynamoDB refuses an index read that names attributes the index does not hold: in the
/// projection of a GSI read (an LSI read fetches them from the table), and in a top-level filter
/// condition beside the index's partition key (a Scan of the index just finds nothing).
fn unprojected(
    table: &TableDef,
    name: &str,
    projection: Option<&[Path]>,
    filter: Option<&Cond>,
) -> DynamoResult<()> {
    let Some(index) = table.index(name) else {
        return Ok(());
    };
    let missing = |names: Vec<String>| {
        let mut out: Vec<String> = Vec::new();
        for n in names {
            if !index.projects(&n, &table.keys) && !out.contains(&n) {
                out.push(n);
            }
        }
        out
    };
    if let (Some(paths), false) = (projection, index.local) {
        let tops = paths
            .iter()
            .filter_map(|p| match p.0.first() {
                Some(Step::Name(n)) => Some(n.clone()),
                _ => None,
            })
            .collect();
        let absent = missing(tops);
        if !absent.is_empty() {
            return Err(DynamoError::Validation(format!(
                "One or more parameter values were invalid: Global secondary index {name} does not project [{}]",
                absent.join(", ")
            )));
        }
    }
    let Some(filter) = filter else {
        return Ok(());
    };
    let top = conjuncts(filter);
    let hash = &index.keys.hash.name;
    let keyed = top.iter().any(|c| {
        equality(c, hash).is_some()
            || matches!(c, Cond::In(Operand::Path(p), _) if p.top() == Some(hash.as_str()))
    });
    if !keyed {
        return Ok(());
    }
    let mut read = Vec::new();
    top.iter()
        .filter(|c| !matches!(c, Cond::Or(..)))
        .for_each(|c| reads(c, &mut read));
    let absent = missing(read);
    if absent.is_empty() {
        return Ok(());
    }
    Err(DynamoError::Validation(format!(
        "One or more parameter values were invalid: Secondary index {name} does not project one or more filter attributes: [{}]",
        absent.join(", ")
    )))
}

/// The key condition of a Query for `filter` under `keys`, and the conjuncts left for the
/// filter; `None` when the WHERE does not make a Query (a Scan serves it).
fn key_condition<'c>(
    keys: &KeySchema,
    filter: &'c Cond,
    e: &mut Expr,
) -> Option<(String, Vec<&'c Cond>)> {
    let mut rest = conjuncts(filter);
    let mut parts = Vec::new();
    for attr in keys.hash_attrs() {
        let at = rest
            .iter()
            .position(|c| equality(c, &attr.name).is_some())?;
        let c = rest.remove(at);
        let v = equality(c, &attr.name)?;
        parts.push(format!("{} = {}", e.name(&attr.name), e.value(v)));
    }
    let ranges: Vec<&str> = keys.range_attrs().map(|k| k.name.as_str()).collect();
    if let [range] = ranges.as_slice() {
        if let Some(at) = rest.iter().position(|c| is_range_condition(c, range)) {
            let c = rest.remove(at);
            parts.push(range_condition(c, e));
        }
    }
    // A Query may not filter on a key attribute: such a WHERE is served by a Scan instead.
    let key_attrs = key_names(keys);
    let mut read = Vec::new();
    rest.iter().for_each(|c| reads(c, &mut read));
    if read.iter().any(|n| key_attrs.contains(n)) {
        return None;
    }
    Some((parts.join(" AND "), rest))
}

fn is_range_condition(c: &Cond, range: &str) -> bool {
    let is_key = |o: &Operand| matches!(o, Operand::Path(p) if p.top() == Some(range));
    let is_value = |o: &Operand| matches!(o, Operand::Value(_));
    match c {
        Cond::Cmp(a, op, b) if *op != "<>" => {
            (is_key(a) && is_value(b)) || (is_value(a) && is_key(b))
        }
        Cond::Between(a, lo, hi) => is_key(a) && is_value(lo) && is_value(hi),
        Cond::Func("begins_with", args) => {
            args.len() == 2 && is_key(&args[0]) && is_value(&args[1])
        }
        _ => false,
    }
}

/// A sort key condition with the key first (`:v < sk` becomes `sk > :v`).
fn range_condition(c: &Cond, e: &mut Expr) -> String {
    if let Cond::Cmp(a @ Operand::Value(_), op, b @ Operand::Path(_)) = c {
        let flipped = match *op {
            "<" => ">",
            "<=" => ">=",
            ">" => "<",
            ">=" => "<=",
            other => other,
        };
        return e.cond(&Cond::Cmp(b.clone(), flipped, a.clone()), 0);
    }
    e.cond(c, 0)
}

/// INSERT: a PutItem that fails when the key exists.
fn insert(table: &TableDef, item: &Value) -> Plan {
    let mut e = Expr::default();
    let hash = e.name(&table.keys.hash.name);
    let mut req = Map::new();
    req.insert("TableName".into(), json!(table.name));
    req.insert(
        "Item".into(),
        item.get("M").cloned().unwrap_or_else(|| json!({})),
    );
    req.insert(
        "ConditionExpression".into(),
        json!(format!("attribute_not_exists({hash})")),
    );
    e.into_request(&mut req);
    Plan {
        operation: "PutItem",
        request: req,
    }
}

/// UPDATE: an UpdateItem of the item the WHERE names, which must exist and meet the rest of it.
fn update(
    table: &TableDef,
    actions: &[Action],
    filter: &Cond,
    returning: Option<Returning>,
) -> DynamoResult<Plan> {
    let (key, rest) = whole_key(table, filter)?;
    let mut e = Expr::default();
    let (mut set, mut remove, mut add, mut delete) = (vec![], vec![], vec![], vec![]);
    for action in actions {
        match action {
            Action::Remove(p) => remove.push(e.path(p)),
            Action::Set(p, value) => {
                let target = e.path(p);
                match value {
                    SetValue::Operand(o) => set.push(format!("{target} = {}", e.operand(o))),
                    SetValue::Arith(a, op, b) => {
                        set.push(format!("{target} = {} {op} {}", e.operand(a), e.operand(b)))
                    }
                    SetValue::Func(f @ ("list_append" | "if_not_exists"), args) => {
                        set.push(format!("{target} = {f}({})", e.operands(args)))
                    }
                    SetValue::Func(f, args) => {
                        // set_add(path, set) / set_delete(path, set): ADD / DELETE on the target.
                        let [_, Operand::Value(v)] = args.as_slice() else {
                            return Err(malformed(format!("{f} takes a path and a set")));
                        };
                        let clause = format!("{target} {}", e.value(v));
                        if *f == "set_add" {
                            add.push(clause)
                        } else {
                            delete.push(clause)
                        }
                    }
                }
            }
        }
    }
    let mut clauses = Vec::new();
    for (word, list) in [
        ("SET", set),
        ("REMOVE", remove),
        ("ADD", add),
        ("DELETE", delete),
    ] {
        if !list.is_empty() {
            clauses.push(format!("{word} {}", list.join(", ")));
        }
    }
    let exists = format!("attribute_exists({})", e.name(&table.keys.hash.name));
    let condition = match and_of(rest) {
        Some(rest) => format!("{exists} AND {}", e.cond(&rest, 2)),
        None => exists,
    };
    let mut req = Map::new();
    req.insert("TableName".into(), json!(table.name));
    req.insert("Key".into(), Value::Object(key));
    req.insert("UpdateExpression".into(), json!(clauses.join(" ")));
    req.insert("ConditionExpression".into(), json!(condition));
    if let Some(r) = returning {
        req.insert("ReturnValues".into(), json!(r.return_values()));
    }
    e.into_request(&mut req);
    Ok(Plan {
        operation: "UpdateItem",
        request: req,
    })
}

/// DELETE: a DeleteItem of the item the WHERE names, when the rest of the WHERE holds for it (a
/// missing item is nothing to delete, not a failure).
fn delete(table: &TableDef, filter: &Cond, returning: Option<Returning>) -> DynamoResult<Plan> {
    match returning {
        None | Some(Returning::AllOld) => {}
        Some(r) => {
            return Err(DynamoError::Validation(format!(
                "Invalid returning clause: {r}. Only RETURNING ALL OLD * is allowed in DELETE statements."
            )))
        }
    }
    let (key, rest) = whole_key(table, filter)?;
    let mut e = Expr::default();
    let mut req = Map::new();
    req.insert("TableName".into(), json!(table.name));
    req.insert("Key".into(), Value::Object(key));
    if let Some(rest) = and_of(rest) {
        let missing = format!("attribute_not_exists({})", e.name(&table.keys.hash.name));
        req.insert(
            "ConditionExpression".into(),
            json!(format!("{missing} OR {}", e.cond(&rest, 1))),
        );
    }
    if returning.is_some() {
        req.insert("ReturnValues".into(), json!("ALL_OLD"));
    }
    e.into_request(&mut req);
    Ok(Plan {
        operation: "DeleteItem",
        request: req,
    })
}

/// A single-item SELECT (batches and transactions): a GetItem of the item the WHERE names,
/// with nothing else in the WHERE.
fn get(
    table: &TableDef,
    index: Option<&str>,
    projection: Option<&[Path]>,
    filter: Option<&Cond>,
) -> DynamoResult<Plan> {
    let keyed = || {
        DynamoError::Validation(
            "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
                .into(),
        )
    };
    let filter = filter.filter(|_| index.is_none()).ok_or_else(keyed)?;
    let (key, rest) = whole_key(table, filter).map_err(|_| keyed())?;
    if !rest.is_empty() {
        return Err(keyed());
    }
    let mut e = Expr::default();
    let mut req = Map::new();
    req.insert("TableName".into(), json!(table.name));
    req.insert("Key".into(), Value::Object(key));
    if let Some(paths) = projection {
        req.insert("ProjectionExpression".into(), json!(e.projection(paths)));
    }
    e.into_request(&mut req);
    Ok(Plan {
        operation: "GetItem",
        request: req,
    })
}

/// The plan of any statement as a single-item operation: a SELECT as a GetItem ([`get`]), the
/// writes as [`insert`], [`update`] and [`delete`] make them.
pub(super) fn single_item(table: &TableDef, statement: &Statement) -> DynamoResult<Plan> {
    match statement {
        Statement::Select {
            projection,
            index,
            filter,
            ..
        } => get(
            table,
            index.as_deref(),
            projection.as_deref(),
            filter.as_ref(),
        ),
        Statement::Insert { item, .. } => Ok(insert(table, item)),
        Statement::Update {
            actions,
            filter,
            returning,
            ..
        } => update(table, actions, filter, *returning),
        Statement::Delete {
            filter, returning, ..
        } => delete(table, filter, *returning),
    }
}

/// The table a statement acts on.
pub(super) fn table_of(statement: &Statement) -> &str {
    match statement {
        Statement::Select { table, .. }
        | Statement::Insert { table, .. }
        | Statement::Update { table, .. }
        | Statement::Delete { table, .. } => table,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse;
    use super::*;

    fn table() -> TableDef {
        serde_json::from_value(json!({
            "name": "t",
            "keys": {"hash": {"name": "pk", "kind": "S"}, "range": {"name": "sk", "kind": "S"}},
            "attribute_definitions": [], "indexes": [], "billing_mode": "PAY_PER_REQUEST",
            "read_capacity": 0, "write_capacity": 0, "created": 0.0, "tags": [],
            "ttl_attribute": null, "stream": null, "table_id": "x"
        }))
        .unwrap()
    }

    fn select_plan(text: &str) -> Plan {
        let Statement::Select {
            projection,
            index,
            filter,
            descending,
            ..
        } = parse(text, &[]).unwrap()
        else {
            panic!()
        };
        select(
            &table(),
            index.as_deref(),
            projection.as_deref(),
            filter.as_ref(),
            descending,
        )
        .unwrap()
    }

    #[test]
    fn a_partition_key_equality_is_a_query_with_the_rest_as_filter() {
        let p = select_plan("SELECT * FROM t WHERE pk = 'a' AND 'm' < sk AND (x = 1 OR y = 2)");
        assert_eq!(p.operation, "Query");
        assert_eq!(
            p.request["KeyConditionExpression"],
            "#n0 = :v0 AND #n1 > :v1"
        );
        assert_eq!(p.request["FilterExpression"], "#n2 = :v2 OR #n3 = :v3");
    }

    #[test]
    fn without_the_partition_key_it_is_a_scan() {
        let p = select_plan("SELECT a FROM t WHERE NOT (x = 1 AND y = 2)");
        assert_eq!(p.operation, "Scan");
        assert_eq!(
            p.request["FilterExpression"],
            "NOT (#n1 = :v0 AND #n2 = :v1)"
        );
        assert_eq!(p.request["ProjectionExpression"], "#n0");
    }

    #[test]
    fn writes_need_the_whole_key() {
        let t = table();
        let Statement::Delete { filter, .. } = parse("DELETE FROM t WHERE pk = 'a'", &[]).unwrap()
        else {
            panic!()
        };
        assert!(delete(&t, &filter, None).is_err());
    }
}
