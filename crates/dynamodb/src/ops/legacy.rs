//! The legacy (pre-expression) parameters — `Expected`, `AttributesToGet`, `ScanFilter`/`QueryFilter`,
//! `KeyConditions`, `AttributeUpdates` — translated into the expression ASTs so one evaluator serves both.

use serde_json::{Map, Value};

use crate::attribute_value::AttributeValue;
use crate::expression::{parse_condition, Condition, ExprAttrs, Path, PathElem};
use crate::expression::{CmpOp, Operand};
use crate::expression::{SetOperand, SetValue, UpdateExpression};
use crate::protocol::{DynamoError, DynamoResult, Req};

fn path(name: &str) -> Path {
    Path(vec![PathElem::Attr(name.to_string())])
}

/// DynamoDB's error for a request that mixes legacy and expression parameters.
pub(super) fn mixed(non_expr: &str, expr: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{non_expr}}} Expression parameters: {{{expr}}}"
    ))
}

/// DynamoDB refuses a request that mixes any legacy parameter with any expression, not only the
/// pairs that do the same job. Called once per request, as each single-item operation and
/// Query/Scan begin to read their expressions (before the pair checks below, which it covers) (Alternator's test_condition_expression_attribute_updates:
/// `AttributeUpdates` with a `ConditionExpression`); the message lists each side in braces.
pub fn no_mixed_parameters(r: &Req) -> DynamoResult<()> {
    const NON_EXPRESSION: [&str; 6] = [
        "AttributeUpdates",
        "AttributesToGet",
        "Expected",
        "KeyConditions",
        "QueryFilter",
        "ScanFilter",
    ];
    const EXPRESSION: [&str; 5] = [
        "ConditionExpression",
        "FilterExpression",
        "KeyConditionExpression",
        "ProjectionExpression",
        "UpdateExpression",
    ];
    let present = |names: &[&'static str]| -> Vec<&'static str> {
        names
            .iter()
            .copied()
            .filter(|n| r.0.get(*n).is_some_and(|v| !v.is_null()))
            .collect()
    };
    let (mut legacy, expressions) = (present(&NON_EXPRESSION), present(&EXPRESSION));
    // Legacy KeyConditions may go with the other expressions (a ProjectionExpression or a
    // FilterExpression), only not with a KeyConditionExpression: Alternator's
    // test_projection_expression_query (run against DynamoDB) and dynalite do so.
    if !expressions.contains(&"KeyConditionExpression") {
        legacy.retain(|name| *name != "KeyConditions");
    }
    if legacy.is_empty() || expressions.is_empty() {
        return Ok(());
    }
    Err(mixed(&legacy.join(", "), &expressions.join(", ")))
}

/// One legacy filter entry (`{"ComparisonOperator": …, "AttributeValueList": […]}`) as a condition.
fn filter_entry(name: &str, spec: &Value) -> DynamoResult<Condition> {
    let op = spec
        .get("ComparisonOperator")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            DynamoError::validation(
                "One or more parameter values were invalid: Invalid ComparisonOperator",
            )
        })?;
    let list: Vec<AttributeValue> = spec
        .get("AttributeValueList")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| AttributeValue::from_json(v).map_err(DynamoError::from))
                .collect::<DynamoResult<_>>()
        })
        .transpose()?
        .unwrap_or_default();
    let want = |n: usize| -> DynamoResult<()> {
        if list.len() == n {
            Ok(())
        } else {
            Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator"
            )))
        }
    };
    // AWS: each operator takes values of certain types only, all of one type, and a BETWEEN's
    // bounds in order; checked once the operand count is right.
    let allowed: &[&str] = match op {
        "LT" | "LE" | "GT" | "GE" | "IN" | "BETWEEN" => &["S", "N", "B"],
        "CONTAINS" | "NOT_CONTAINS" => &["S", "N", "B", "BOOL", "NULL"],
        "BEGINS_WITH" => &["S", "B"],
        _ => &[],
    };
    let type_check = || -> DynamoResult<()> {
        if let Some(first) = list.first() {
            if list.iter().any(|v| v.type_name() != first.type_name()) {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type",
                ));
            }
        }
        if let Some(bad) = list
            .iter()
            .find(|v| !allowed.is_empty() && !allowed.contains(&v.type_name()))
        {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: ComparisonOperator {op} is not valid for {} AttributeValue type",
                bad.type_name()
            )));
        }
        if let [lo, hi] = list.as_slice() {
            if op == "BETWEEN"
                && crate::expression::eval::order(lo, hi) == Some(std::cmp::Ordering::Greater)
            {
                return Err(DynamoError::validation(
                    "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
                ));
            }
        }
        Ok(())
    };
    let want = |n: usize| -> DynamoResult<()> {
        want(n)?;
        type_check()
    };
    let p = || Operand::Path(path(name));
    let v = |i: usize| Operand::Value(list[i].clone());
    let cmp = |o: CmpOp| -> DynamoResult<Condition> {
        want(1)?;
        Ok(Condition::Compare(p(), o, v(0)))
    };
    Ok(match op {
        "EQ" => cmp(CmpOp::Eq)?,
        "NE" => cmp(CmpOp::Ne)?,
        "LT" => cmp(CmpOp::Lt)?,
        "LE" => cmp(CmpOp::Le)?,
        "GT" => cmp(CmpOp::Gt)?,
        "GE" => cmp(CmpOp::Ge)?,
        "NOT_NULL" => {
            want(0)?;
            Condition::Exists(path(name))
        }
        "NULL" => {
            want(0)?;
            Condition::NotExists(path(name))
        }
        "CONTAINS" => {
            want(1)?;
            Condition::Contains(p(), v(0))
        }
        "NOT_CONTAINS" => {
            want(1)?;
            Condition::And(Box::new(Condition::Exists(path(name))), Box::new(Condition::Not(Box::new(Condition::Contains(p(), v(0))))))
        }
        "BEGINS_WITH" => {
            want(1)?;
            Condition::BeginsWith(p(), v(0))
        }
        "IN" => {
            if list.is_empty() {
                want(1)?;
            }
            type_check()?;
            Condition::In(p(), (0..list.len()).map(v).collect())
        }
        "BETWEEN" => {
            want(2)?;
            Condition::Between(p(), v(0), v(1))
        }
        other => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
            )))
        }
    })
}

fn join(conds: Vec<Condition>, or: bool) -> Option<Condition> {
    conds.into_iter().reduce(|a, b| {
        if or {
            Condition::Or(Box::new(a), Box::new(b))
        } else {
            Condition::And(Box::new(a), Box::new(b))
        }
    })
}

fn conditional_or(r: &Req) -> DynamoResult<bool> {
    match r.opt_str("ConditionalOperator")? {
        None | Some("AND") => Ok(false),
        Some("OR") => Ok(true),
        Some(o) => Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{o}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
        ))),
    }
}

/// A legacy filter map (`ScanFilter`, `QueryFilter`, `KeyConditions`) as one condition.
pub fn filter_map(map: &Map<String, Value>, or: bool) -> DynamoResult<Option<Condition>> {
    let conds = map
        .iter()
        .map(|(k, v)| filter_entry(k, v))
        .collect::<DynamoResult<Vec<_>>>()?;
    Ok(join(conds, or))
}

/// `Expected` as a condition.
fn expected(map: &Map<String, Value>, or: bool) -> DynamoResult<Option<Condition>> {
    let mut conds = Vec::new();
    let invalid = |what: &str, name: &str| {
        DynamoError::validation(format!(
            "One or more parameter values were invalid: {what} for Attribute: {name}"
        ))
    };
    for (name, spec) in map {
        // AWS: an entry is either a ComparisonOperator with its AttributeValueList or the older
        // Exists/Value pair, never a mix (Alternator's test_update_expected_operator_clash; the
        // words are dynalite's, which follows DynamoDB's).
        let has = |member: &str| spec.get(member).is_some_and(|v| !v.is_null());
        if has("ComparisonOperator") {
            if has("Exists") {
                return Err(invalid(
                    "Exists and ComparisonOperator cannot be used together",
                    name,
                ));
            }
            if has("Value") && has("AttributeValueList") {
                return Err(invalid(
                    "Value and AttributeValueList cannot be used together",
                    name,
                ));
            }
            conds.push(filter_entry(name, spec)?);
            continue;
        }
        if has("AttributeValueList") {
            return Err(invalid(
                "AttributeValueList can only be used with a ComparisonOperator",
                name,
            ));
        }
        let exists = spec.get("Exists").and_then(Value::as_bool).unwrap_or(true);
        let value = spec
            .get("Value")
            .map(AttributeValue::from_json)
            .transpose()?;
        conds.push(match (exists, value) {
            (true, Some(v)) => Condition::Compare(Operand::Path(path(name)), CmpOp::Eq, Operand::Value(v)),
            (true, None) => {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Exists is set to TRUE for attribute {name}, Value must also be set"
                )))
            }
            (false, None) => Condition::NotExists(path(name)),
            (false, Some(_)) => {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Value cannot be used when Exists is set to FALSE for attribute {name}"
                )))
            }
        });
    }
    Ok(join(conds, or))
}

/// The condition of a write: `ConditionExpression` or legacy `Expected`.
pub fn write_condition(r: &Req, attrs: &mut ExprAttrs) -> DynamoResult<Option<Condition>> {
    let expr = r.opt_str("ConditionExpression")?;
    let legacy = r.opt_obj("Expected")?;
    match (expr, legacy) {
        (Some(_), Some(_)) => Err(mixed("Expected", "ConditionExpression")),
        (Some(e), None) => Ok(Some(parse_condition(e, "ConditionExpression", attrs)?)),
        // An empty Expected counts as none: a ConditionalOperator beside it has nothing to join
        // (Alternator's test_update_expected_empty), though alone it is a plain unconditional write.
        (None, Some(m)) if !m.is_empty() => expected(m, conditional_or(r)?),
        (_, _) if r.opt_str("ConditionalOperator")?.is_some() => {
            Err(DynamoError::validation(
                "ConditionalOperator can only be used when Expected or QueryFilter or ScanFilter are present",
            ))
        }
        (None, _) => Ok(None),
    }
}

/// The projection of a read: `ProjectionExpression` or legacy `AttributesToGet`.
pub fn projection(r: &Req, attrs: &mut ExprAttrs) -> DynamoResult<Option<Vec<Path>>> {
    let expr = r.opt_str("ProjectionExpression")?;
    let legacy = r.opt_arr("AttributesToGet")?;
    match (expr, legacy) {
        (Some(_), Some(_)) => Err(mixed("AttributesToGet", "ProjectionExpression")),
        (Some(e), None) => Ok(Some(crate::expression::parse_projection(e, attrs)?)),
        (None, Some(a)) => {
            if a.is_empty() {
                return Err(DynamoError::validation(
                    "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
                ));
            }
            let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            for (i, n) in names.iter().enumerate() {
                crate::attribute_value::check_attribute_name(n)?;
                if names[..i].contains(n) {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Duplicate value in attribute name: {n}"
                    )));
                }
            }
            Ok(Some(names.into_iter().map(path).collect()))
        }
        (None, None) => Ok(None),
    }
}

/// The filter of a Query/Scan: `FilterExpression` or legacy `ScanFilter`/`QueryFilter`.
pub fn filter(
    r: &Req,
    attrs: &mut ExprAttrs,
    legacy_member: &str,
) -> DynamoResult<Option<Condition>> {
    let expr = r.opt_str("FilterExpression")?;
    let legacy = r.opt_obj(legacy_member)?;
    match (expr, legacy) {
        (Some(_), Some(_)) => Err(mixed(legacy_member, "FilterExpression")),
        (Some(e), None) => Ok(Some(parse_condition(e, "FilterExpression", attrs)?)),
        (None, Some(m)) => filter_map(m, conditional_or(r)?),
        (None, None) => Ok(None),
    }
}

/// Legacy `AttributeUpdates` (PUT / DELETE / ADD per attribute) as an update expression.
pub fn attribute_updates(map: &Map<String, Value>) -> DynamoResult<UpdateExpression> {
    let mut u = UpdateExpression {
        legacy: true,
        ..UpdateExpression::default()
    };
    for (name, spec) in map {
        crate::attribute_value::check_attribute_name(name)?;
        let action = spec.get("Action").and_then(Value::as_str).unwrap_or("PUT");
        let value = spec
            .get("Value")
            .map(AttributeValue::from_json)
            .transpose()?;
        // DynamoDB (Alternator's test_update_item_add / _delete, written against it): ADD takes a
        // number, a set or a list (appended, onto an empty list when the attribute is missing);
        // DELETE's value must be a set; any other type is refused before the item is read.
        let refused = |action: &str, v: &AttributeValue| {
            DynamoError::validation(format!(
                "One or more parameter values were invalid: {action} action is not supported for the type {}",
                v.type_name()
            ))
        };
        match (action, value) {
            ("PUT", Some(v)) => u.set.push((path(name), SetValue::Operand(SetOperand::Value(v)))),
            ("DELETE", None) => u.remove.push(path(name)),
            ("DELETE", Some(v)) if !v.is_set() => return Err(refused("DELETE", &v)),
            ("DELETE", Some(v)) => u.delete.push((path(name), v)),
            ("ADD", Some(v @ AttributeValue::L(_))) => {
                let existing = SetOperand::IfNotExists(
                    path(name),
                    Box::new(SetOperand::Value(AttributeValue::L(Vec::new()))),
                );
                let appended =
                    SetOperand::ListAppend(Box::new(existing), Box::new(SetOperand::Value(v)));
                u.set.push((path(name), SetValue::Operand(appended)));
            }
            ("ADD", Some(v)) if !(v.is_set() || matches!(v, AttributeValue::N(_))) => {
                return Err(refused("ADD", &v))
            }
            ("ADD", Some(v)) => u.add.push((path(name), v)),
            _ => {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified for attribute {name}"
                )))
            }
        }
    }
    Ok(u)
}
