//! Applying an `UpdateExpression` (parsed by `crate::expression::parse_update`) to an item: SET
//! (with `if_not_exists`, `list_append`, `+`/`-`), REMOVE, ADD, DELETE.

use crate::attribute_value::{AttributeValue, Item};
use crate::expression::{resolve, Path, PathElem, SetOperand, SetValue, UpdateExpression};
use crate::protocol::{DynamoError, DynamoResult};

/// The message of an update that meets a value of the wrong type.
const INVALID_TYPE: &str = "An operand in the update expression has an incorrect data type";

fn invalid_type() -> DynamoError {
    DynamoError::validation(INVALID_TYPE)
}

fn eval_operand(op: &SetOperand, old: &Item) -> DynamoResult<AttributeValue> {
    match op {
        SetOperand::Value(v) => Ok(v.clone()),
        SetOperand::Path(p) => resolve(old, p).cloned().ok_or_else(|| {
            DynamoError::validation(
                "The provided expression refers to an attribute that does not exist in the item",
            )
        }),
        SetOperand::IfNotExists(p, fallback) => match resolve(old, p) {
            Some(v) => Ok(v.clone()),
            None => eval_operand(fallback, old),
        },
        SetOperand::ListAppend(a, b) => match (eval_operand(a, old)?, eval_operand(b, old)?) {
            (AttributeValue::L(mut x), AttributeValue::L(y)) => {
                x.extend(y);
                Ok(AttributeValue::L(x))
            }
            _ => Err(invalid_type()),
        },
    }
}

fn arithmetic(a: AttributeValue, b: AttributeValue, negate: bool) -> DynamoResult<AttributeValue> {
    match (a, b) {
        (AttributeValue::N(x), AttributeValue::N(y)) => {
            let y = if negate { y.negate() } else { y };
            x.add(&y)
                .map(AttributeValue::N)
                .map_err(|e| DynamoError::validation(e.to_string()))
        }
        _ => Err(invalid_type()),
    }
}

/// Applies the expression to `item` (the old item, or just the key for a new one); operands read the old item.
pub fn apply_update(u: &UpdateExpression, item: &Item) -> DynamoResult<Item> {
    match apply(u, item) {
        // DynamoDB's wording for AttributeUpdates' ADD or DELETE on a value of another type
        // (Alternator's test_update_item_add / _delete look for "mismatch").
        Err(DynamoError::Validation(m)) if u.legacy && m == INVALID_TYPE => Err(
            DynamoError::validation("Type mismatch for attribute to update"),
        ),
        other => other,
    }
}

fn apply(u: &UpdateExpression, item: &Item) -> DynamoResult<Item> {
    let old = item.clone();
    let mut new = item.clone();
    // AWS: several indexes past the end of one list append in index order, not in the order the
    // expression lists them (Alternator's test_nested_attribute_update_array_out_of_bounds). The
    // operands read the old item and the paths cannot overlap, so only that order changes.
    let mut sets: Vec<&(Path, SetValue)> = u.set.iter().collect();
    sets.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, value) in sets {
        let v = match value {
            SetValue::Operand(o) => eval_operand(o, &old)?,
            SetValue::Plus(a, b) => {
                arithmetic(eval_operand(a, &old)?, eval_operand(b, &old)?, false)?
            }
            SetValue::Minus(a, b) => {
                arithmetic(eval_operand(a, &old)?, eval_operand(b, &old)?, true)?
            }
        };
        assign(&mut new, path, v)?;
    }
    // Remove list elements from the highest index down so earlier removals do not shift later ones.
    let mut removes: Vec<&Path> = u.remove.iter().collect();
    removes.sort_by(|a, b| b.cmp(a));
    for path in removes {
        remove(&mut new, path)?;
    }
    for (path, v) in &u.add {
        let merged = match (resolve(&new, path).cloned(), v) {
            (None, v) => v.clone(),
            (Some(AttributeValue::N(x)), AttributeValue::N(y)) => AttributeValue::N(
                x.add(y)
                    .map_err(|e| DynamoError::validation(e.to_string()))?,
            ),
            (Some(AttributeValue::Ss(mut x)), AttributeValue::Ss(y)) => {
                for s in y {
                    if !x.contains(s) {
                        x.push(s.clone());
                    }
                }
                AttributeValue::Ss(x)
            }
            (Some(AttributeValue::Ns(mut x)), AttributeValue::Ns(y)) => {
                for s in y {
                    if !x.contains(s) {
                        x.push(s.clone());
                    }
                }
                AttributeValue::Ns(x)
            }
            (Some(AttributeValue::Bs(mut x)), AttributeValue::Bs(y)) => {
                for s in y {
                    if !x.contains(s) {
                        x.push(s.clone());
                    }
                }
                AttributeValue::Bs(x)
            }
            _ => return Err(invalid_type()),
        };
        assign(&mut new, path, merged)?;
    }
    for (path, v) in &u.delete {
        let remaining = match (resolve(&new, path).cloned(), v) {
            (None, _) => continue,
            (Some(AttributeValue::Ss(x)), AttributeValue::Ss(y)) => {
                let r: Vec<_> = x.into_iter().filter(|e| !y.contains(e)).collect();
                (!r.is_empty()).then_some(AttributeValue::Ss(r))
            }
            (Some(AttributeValue::Ns(x)), AttributeValue::Ns(y)) => {
                let r: Vec<_> = x.into_iter().filter(|e| !y.contains(e)).collect();
                (!r.is_empty()).then_some(AttributeValue::Ns(r))
            }
            (Some(AttributeValue::Bs(x)), AttributeValue::Bs(y)) => {
                let r: Vec<_> = x.into_iter().filter(|e| !y.contains(e)).collect();
                (!r.is_empty()).then_some(AttributeValue::Bs(r))
            }
            _ => return Err(invalid_type()),
        };
        match remaining {
            Some(r) => assign(&mut new, path, r)?,
            None => remove(&mut new, path)?,
        }
    }
    Ok(new)
}

fn invalid_path() -> DynamoError {
    DynamoError::validation(
        "The document path provided in the update expression is invalid for update",
    )
}

fn assign(item: &mut Item, path: &Path, v: AttributeValue) -> DynamoResult<()> {
    let (first, rest) = match path.0.split_first() {
        Some((PathElem::Attr(a), rest)) => (a, rest),
        _ => return Err(invalid_path()),
    };
    if rest.is_empty() {
        item.insert(first.clone(), v);
        return Ok(());
    }
    let mut cur = item.get_mut(first).ok_or_else(invalid_path)?;
    for (k, e) in rest.iter().enumerate() {
        let last = k == rest.len() - 1;
        cur = match (e, cur) {
            (PathElem::Attr(a), AttributeValue::M(m)) => {
                if last {
                    m.insert(a.clone(), v);
                    return Ok(());
                }
                m.get_mut(a).ok_or_else(invalid_path)?
            }
            (PathElem::Index(i), AttributeValue::L(l)) => {
                if last {
                    // AWS: an index past the end appends.
                    if *i < l.len() {
                        l[*i] = v;
                    } else {
                        l.push(v);
                    }
                    return Ok(());
                }
                l.get_mut(*i).ok_or_else(invalid_path)?
            }
            _ => return Err(invalid_path()),
        };
    }
    Ok(())
}

/// Removes `path`. A missing last step (a map key, a list index past the end, a top-level
/// attribute) removes nothing; any step before it must exist with the type the path expects, as in
/// SET (Alternator's test_nested_attribute_update_bad_path_dot / _array and
/// test_nested_attribute_remove_missing_leaf, written against DynamoDB).
fn remove(item: &mut Item, path: &Path) -> DynamoResult<()> {
    let (first, rest) = match path.0.split_first() {
        Some((PathElem::Attr(a), rest)) => (a, rest),
        _ => return Err(invalid_path()),
    };
    if rest.is_empty() {
        item.remove(first);
        return Ok(());
    }
    let mut cur = item.get_mut(first).ok_or_else(invalid_path)?;
    for (k, e) in rest.iter().enumerate() {
        let last = k == rest.len() - 1;
        cur = match (e, cur) {
            (PathElem::Attr(a), AttributeValue::M(m)) => {
                if last {
                    m.remove(a);
                    return Ok(());
                }
                m.get_mut(a).ok_or_else(invalid_path)?
            }
            (PathElem::Index(i), AttributeValue::L(l)) => {
                if last {
                    if *i < l.len() {
                        l.remove(*i);
                    }
                    return Ok(());
                }
                l.get_mut(*i).ok_or_else(invalid_path)?
            }
            _ => return Err(invalid_path()),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute_value::{item_from_value, item_to_json};
    use crate::expression::{parse_update, ExprAttrs};
    use serde_json::{json, Value};

    fn run(expr: &str, item: Value, values: Value) -> Result<Value, String> {
        let mut attrs = ExprAttrs::new(&Default::default(), values.as_object().unwrap())
            .map_err(|e| e.to_string())?;
        let u = parse_update(expr, &mut attrs).map_err(|e| e.to_string())?;
        let item = item_from_value(&item).unwrap();
        apply_update(&u, &item)
            .map(|i| item_to_json(&i))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn set_arithmetic_and_functions() {
        let out = run(
            "SET a = a + :one, b = if_not_exists(b, :zero), c = list_append(c, :l), d = :s",
            json!({"a": {"N": "1"}, "c": {"L": [{"N": "1"}]}}),
            json!({":one": {"N": "1"}, ":zero": {"N": "0"}, ":l": {"L": [{"N": "2"}]}, ":s": {"S": "x"}}),
        )
        .unwrap();
        assert_eq!(out["a"], json!({"N": "2"}));
        assert_eq!(out["b"], json!({"N": "0"}));
        assert_eq!(out["c"], json!({"L": [{"N": "1"}, {"N": "2"}]}));
        assert_eq!(out["d"], json!({"S": "x"}));
        let out = run(
            "SET a = a - :one",
            json!({"a": {"N": "1"}}),
            json!({":one": {"N": "3"}}),
        )
        .unwrap();
        assert_eq!(out["a"], json!({"N": "-2"}));
    }

    #[test]
    fn set_nested_and_list_index() {
        let out = run(
            "SET m.x = :v, l[5] = :v, l[0] = :v",
            json!({"m": {"M": {}}, "l": {"L": [{"N": "1"}, {"N": "2"}]}}),
            json!({":v": {"S": "v"}}),
        )
        .unwrap();
        assert_eq!(out["m"], json!({"M": {"x": {"S": "v"}}}));
        assert_eq!(out["l"], json!({"L": [{"S": "v"}, {"N": "2"}, {"S": "v"}]}));
        let e = run("SET nope.x = :v", json!({}), json!({":v": {"S": "v"}})).unwrap_err();
        assert!(
            e.contains("document path provided in the update expression is invalid"),
            "{e}"
        );
    }

    #[test]
    fn appends_past_the_end_go_in_index_order() {
        let out = run(
            "SET l[84] = :a1, l[37] = :a2, l[17] = :a3, l[50] = :a4",
            json!({"l": {"L": [{"S": "one"}]}}),
            json!({":a1": {"S": "a1"}, ":a2": {"S": "a2"}, ":a3": {"S": "a3"}, ":a4": {"S": "a4"}}),
        )
        .unwrap();
        assert_eq!(
            out["l"],
            json!({"L": [{"S": "one"}, {"S": "a3"}, {"S": "a2"}, {"S": "a4"}, {"S": "a1"}]})
        );
    }

    #[test]
    fn remove_needs_every_step_but_the_last() {
        let item =
            json!({"s": {"S": "hello"}, "l": {"L": [{"S": "hi"}]}, "m": {"M": {"x": {"N": "3"}}}});
        for bad in [
            "REMOVE s.c",
            "REMOVE s[0]",
            "REMOVE l.c",
            "REMOVE m[0]",
            "REMOVE c.c",
            "REMOVE c[0]",
            "REMOVE m.y.z",
        ] {
            let e = run(bad, item.clone(), json!({})).unwrap_err();
            assert!(
                e.contains(
                    "The document path provided in the update expression is invalid for update"
                ),
                "{bad}: {e}"
            );
        }
        // A missing last step removes nothing.
        let out = run("REMOVE m.y, l[7], c", item.clone(), json!({})).unwrap();
        assert_eq!(out, item);
    }

    #[test]
    fn remove_add_delete() {
        let out = run(
            "REMOVE a, l[0], l[2] ADD n :two, s :ss, newn :two DELETE t :ts",
            json!({"a": {"S": "x"}, "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]}, "n": {"N": "1"},
                   "s": {"SS": ["a"]}, "t": {"SS": ["a", "b"]}}),
            json!({":two": {"N": "2"}, ":ss": {"SS": ["b"]}, ":ts": {"SS": ["a", "b"]}}),
        )
        .unwrap();
        assert!(out.get("a").is_none());
        assert_eq!(out["l"], json!({"L": [{"N": "1"}]}));
        assert_eq!(out["n"], json!({"N": "3"}));
        assert_eq!(out["newn"], json!({"N": "2"}));
        assert_eq!(out["s"], json!({"SS": ["a", "b"]}));
        assert!(
            out.get("t").is_none(),
            "deleting every element removes the set"
        );
    }

    #[test]
    fn errors() {
        let e = run("SET a = b + :one", json!({}), json!({":one": {"N": "1"}})).unwrap_err();
        assert!(
            e.contains("refers to an attribute that does not exist"),
            "{e}"
        );
        let e = run(
            "SET a = :s + :one",
            json!({}),
            json!({":one": {"N": "1"}, ":s": {"S": "x"}}),
        )
        .unwrap_err();
        // AWS types constant operands of `+` while parsing, before the item is read.
        assert!(
            e.contains("Incorrect operand type for operator or function; operator or function: +, operand type: S"),
            "{e}"
        );
        let e = run(
            "SET a = :one, a.b = :one",
            json!({}),
            json!({":one": {"N": "1"}}),
        )
        .unwrap_err();
        assert!(e.contains("Two document paths overlap"), "{e}");
        let e = run(
            "SET a = :one SET b = :one",
            json!({}),
            json!({":one": {"N": "1"}}),
        )
        .unwrap_err();
        assert!(e.contains("\"SET\" section can only be used once"), "{e}");
        let e = run("ADD a :s", json!({}), json!({":s": {"S": "x"}})).unwrap_err();
        assert!(
            e.contains("Incorrect operand type for operator or function; operator: ADD"),
            "{e}"
        );
    }
}
