//! Evaluation of conditions against an item, document-path lookup and projection.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::ast::{CmpOp, Condition, Operand, Path, PathElem};
use crate::attribute_value::{AttributeValue, Item};
use crate::number::Number;

/// The value at `path` in `item`, if present.
pub fn resolve<'a>(item: &'a Item, path: &Path) -> Option<&'a AttributeValue> {
    let mut elems = path.0.iter();
    let mut cur = match elems.next()? {
        PathElem::Attr(a) => item.get(a)?,
        PathElem::Index(_) => return None,
    };
    for e in elems {
        cur = match (e, cur) {
            (PathElem::Attr(a), AttributeValue::M(m)) => m.get(a)?,
            (PathElem::Index(i), AttributeValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn operand_value(item: &Item, op: &Operand) -> Option<AttributeValue> {
    match op {
        Operand::Path(p) => resolve(item, p).cloned(),
        Operand::Value(v) => Some(v.clone()),
        Operand::Size(p) => {
            let n = match resolve(item, p)? {
                // AWS counts a string's UTF-16 code units ("é𝄞" is 3), not its UTF-8 bytes.
                AttributeValue::S(s) => s.encode_utf16().count(),
                AttributeValue::B(b) => b.len(),
                AttributeValue::Ss(v) => v.len(),
                AttributeValue::Ns(v) => v.len(),
                AttributeValue::Bs(v) => v.len(),
                AttributeValue::M(m) => m.len(),
                AttributeValue::L(l) => l.len(),
                _ => return None,
            };
            Number::parse(&n.to_string()).ok().map(AttributeValue::N)
        }
    }
}

/// Equality as DynamoDB defines it (sets compare as sets, numbers numerically).
pub fn values_equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue::*;
    match (a, b) {
        (Ss(x), Ss(y)) => x.len() == y.len() && x.iter().all(|v| y.contains(v)),
        (Ns(x), Ns(y)) => x.len() == y.len() && x.iter().all(|v| y.contains(v)),
        (Bs(x), Bs(y)) => x.len() == y.len() && x.iter().all(|v| y.contains(v)),
        (M(x), M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        (L(x), L(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| values_equal(v, w)),
        _ => a == b,
    }
}

/// Ordering for `<`, `<=`, `>`, `>=`, BETWEEN: only between two N, two S or two B.
pub fn order(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn compare(a: Option<&AttributeValue>, op: CmpOp, b: Option<&AttributeValue>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => match op {
            CmpOp::Eq => values_equal(a, b),
            CmpOp::Ne => !values_equal(a, b),
            _ => match order(a, b) {
                Some(o) => match op {
                    CmpOp::Lt => o == Ordering::Less,
                    CmpOp::Le => o != Ordering::Greater,
                    CmpOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
                None => false,
            },
        },
        // A missing attribute is "not equal" to anything, another missing one included (DynamoDB:
        // `q <> z` with neither set holds, Alternator's test_update_condition_ne_two_unset), and
        // fails every other comparison.
        _ => op == CmpOp::Ne,
    }
}

/// Evaluates a condition against an item (an absent item is the empty item).
pub fn evaluate(cond: &Condition, item: &Item) -> bool {
    match cond {
        Condition::Compare(a, op, b) => compare(
            operand_value(item, a).as_ref(),
            *op,
            operand_value(item, b).as_ref(),
        ),
        Condition::Between(a, lo, hi) => {
            match (
                operand_value(item, a),
                operand_value(item, lo),
                operand_value(item, hi),
            ) {
                (Some(v), Some(l), Some(h)) => {
                    matches!(order(&v, &l), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(order(&v, &h), Some(Ordering::Less | Ordering::Equal))
                }
                _ => false,
            }
        }
        Condition::In(a, list) => match operand_value(item, a) {
            Some(v) => list
                .iter()
                .any(|o| operand_value(item, o).is_some_and(|w| values_equal(&v, &w))),
            None => false,
        },
        Condition::And(x, y) => evaluate(x, item) && evaluate(y, item),
        Condition::Or(x, y) => evaluate(x, item) || evaluate(y, item),
        Condition::Not(x) => !evaluate(x, item),
        Condition::Exists(p) => resolve(item, p).is_some(),
        Condition::NotExists(p) => resolve(item, p).is_none(),
        Condition::AttributeType(a, Operand::Value(AttributeValue::S(t))) => {
            // The type alone is read: a path's value is not cloned.
            let found = match a {
                Operand::Path(p) => resolve(item, p).map(AttributeValue::type_name),
                Operand::Value(v) => Some(v.type_name()),
                Operand::Size(_) => operand_value(item, a).map(|v| v.type_name()),
            };
            found == Some(t.as_str())
        }
        // The parser admits only a string constant as the type.
        Condition::AttributeType(..) => false,
        Condition::BeginsWith(a, b) => match (operand_value(item, a), operand_value(item, b)) {
            (Some(AttributeValue::S(x)), Some(AttributeValue::S(y))) => x.starts_with(&y),
            (Some(AttributeValue::B(x)), Some(AttributeValue::B(y))) => x.starts_with(&y),
            _ => false,
        },
        Condition::Contains(a, b) => match (operand_value(item, a), operand_value(item, b)) {
            (Some(AttributeValue::S(x)), Some(AttributeValue::S(y))) => x.contains(&y),
            (Some(AttributeValue::B(x)), Some(AttributeValue::B(y))) => {
                y.is_empty() || x.windows(y.len()).any(|w| w == y.as_slice())
            }
            (Some(AttributeValue::Ss(x)), Some(AttributeValue::S(y))) => x.contains(&y),
            (Some(AttributeValue::Ns(x)), Some(AttributeValue::N(y))) => x.contains(&y),
            (Some(AttributeValue::Bs(x)), Some(AttributeValue::B(y))) => x.contains(&y),
            (Some(AttributeValue::L(x)), Some(y)) => x.iter().any(|v| values_equal(v, &y)),
            _ => false,
        },
    }
}

/// Keeps only the projected paths of `item`. List elements picked by index come back compacted
/// in index order whatever order they were asked in (`l[2], l[0]` gives `[l0, l2]`), and paths into
/// the same element merge into it, as DynamoDB returns them.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut picked: BTreeMap<String, Picked> = BTreeMap::new();
    for p in paths {
        let Some((PathElem::Attr(root), rest)) = p.0.split_first() else {
            continue;
        };
        // Only paths that exist in the item are projected.
        let (Some(src), Some(_)) = (item.get(root), resolve(item, p)) else {
            continue;
        };
        picked
            .entry(root.clone())
            .or_insert(Picked::Nothing)
            .add(src, rest);
    }
    picked
        .into_iter()
        .map(|(k, v)| (k, v.into_value()))
        .collect()
}

/// The parts of one value a projection picked, keyed by map key or source list index.
enum Picked {
    Nothing,
    Whole(AttributeValue),
    Map(BTreeMap<String, Picked>),
    List(BTreeMap<usize, Picked>),
}

impl Picked {
    /// Picks the part of `src` at `rest` (all of it when `rest` is empty).
    fn add(&mut self, src: &AttributeValue, rest: &[PathElem]) {
        let Some((first, tail)) = rest.split_first() else {
            *self = Picked::Whole(src.clone());
            return;
        };
        if matches!(self, Picked::Whole(_)) {
            // Already picked whole (overlapping paths are rejected earlier; this keeps it safe).
            return;
        }
        match (first, src) {
            (PathElem::Attr(a), AttributeValue::M(m)) => {
                if !matches!(self, Picked::Map(_)) {
                    *self = Picked::Map(BTreeMap::new());
                }
                if let (Picked::Map(children), Some(child)) = (self, m.get(a)) {
                    let slot = children.entry(a.clone()).or_insert(Picked::Nothing);
                    slot.add(child, tail);
                }
            }
            (PathElem::Index(i), AttributeValue::L(l)) => {
                if !matches!(self, Picked::List(_)) {
                    *self = Picked::List(BTreeMap::new());
                }
                if let (Picked::List(children), Some(child)) = (self, l.get(*i)) {
                    let slot = children.entry(*i).or_insert(Picked::Nothing);
                    slot.add(child, tail);
                }
            }
            _ => {}
        }
    }

    fn into_value(self) -> AttributeValue {
        match self {
            // Never left in place: `add` is only called for paths that resolve.
            Picked::Nothing => AttributeValue::M(BTreeMap::new()),
            Picked::Whole(v) => v,
            Picked::Map(m) => {
                AttributeValue::M(m.into_iter().map(|(k, v)| (k, v.into_value())).collect())
            }
            Picked::List(l) => AttributeValue::L(l.into_values().map(Picked::into_value).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cursor::MAX_DEPTH;
    use super::super::{parse_condition, ExprAttrs};
    use super::*;
    use crate::attribute_value::item_from_value;
    use serde_json::{json, Value};

    fn item() -> Item {
        item_from_value(&json!({
            "id": {"S": "abc"}, "n": {"N": "5"}, "tags": {"SS": ["x", "y"]}, "bin": {"B": "AAEC"},
            "m": {"M": {"a": {"L": [{"N": "1"}, {"M": {"c": {"S": "deep"}}}]}}},
            "lst": {"L": [{"S": "p"}, {"N": "2"}]}, "flag": {"BOOL": true}, "nothing": {"NULL": true}
        }))
        .unwrap()
    }

    fn eval_with(expr: &str, values: Value, names: Value) -> Result<bool, String> {
        let mut attrs = ExprAttrs::new(names.as_object().unwrap(), values.as_object().unwrap())
            .map_err(|e| e.to_string())?;
        let c =
            parse_condition(expr, "ConditionExpression", &mut attrs).map_err(|e| e.to_string())?;
        attrs.check_all_used().map_err(|e| e.to_string())?;
        Ok(evaluate(&c, &item()))
    }

    fn eval(expr: &str) -> bool {
        let values = json!({":five": {"N": "5"}, ":four": {"N": "4.0"}, ":abc": {"S": "abc"}, ":a": {"S": "a"},
            ":x": {"S": "x"}, ":ss": {"S": "SS"}, ":deep": {"S": "deep"}, ":two": {"N": "2"}, ":b": {"B": "AAE="}});
        let mut attrs = ExprAttrs::new(&Default::default(), values.as_object().unwrap()).unwrap();
        let c = parse_condition(expr, "ConditionExpression", &mut attrs)
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        evaluate(&c, &item())
    }

    #[test]
    fn comparators() {
        assert!(eval("n = :five"));
        assert!(eval("n <> :four"));
        assert!(eval("n > :four") && eval("n >= :five") && eval("n <= :five"));
        assert!(!eval("n < :four"));
        assert!(!eval("id < :five"), "cross-type order comparison is false");
        assert!(eval("id = :abc") && !eval("id = :five"));
        assert!(eval("absent <> :five") && !eval("absent = :five"));
        assert!(
            eval("absent <> gone") && !eval("absent = gone"),
            "two missing attributes are not equal"
        );
        assert!(!eval("absent < gone") && !eval("absent >= gone"));
    }

    #[test]
    fn logic_and_precedence() {
        // NOT binds tighter than AND, AND tighter than OR.
        assert!(eval("n = :four OR n = :five AND id = :abc"));
        assert!(!eval("(n = :four OR n = :five) AND id = :x"));
        assert!(eval("NOT n = :four AND id = :abc"));
        assert!(!eval("NOT (n = :five AND id = :abc)"));
        assert!(
            eval("n = :four or not n = :four"),
            "keywords are case-insensitive"
        );
    }

    #[test]
    fn in_and_between() {
        assert!(eval("n IN (:four, :five)"));
        assert!(!eval("n IN (:four, :two)"));
        assert!(eval("n BETWEEN :four AND :five"));
        assert!(!eval("n BETWEEN :two AND :four"));
        let e = eval_with(
            "n BETWEEN :b AND :a",
            json!({":a": {"N": "1"}, ":b": {"N": "5"}}),
            json!({}),
        )
        .unwrap_err();
        assert!(e.contains("BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}"), "{e}");
    }

    #[test]
    fn functions() {
        assert!(eval("attribute_exists(id)") && !eval("attribute_exists(nope)"));
        assert!(eval("attribute_not_exists(nope)") && !eval("attribute_not_exists(n)"));
        assert!(eval("attribute_type(tags, :ss)"));
        assert!(eval("begins_with(id, :a)") && eval("begins_with(bin, :b)"));
        assert!(
            eval("contains(tags, :x)") && eval("contains(id, :a)") && !eval("contains(id, :x)")
        );
        assert!(eval("contains(lst, :two)"));
        assert!(!eval("size(id) = :five") && eval("size(tags) = :two"));
        assert!(eval("size(lst) < :five"));
    }

    #[test]
    fn document_paths() {
        assert!(eval("m.a[1].c = :deep"));
        assert!(eval("attribute_exists(m.a[0])") && !eval("attribute_exists(m.a[5])"));
        assert!(eval("lst[1] = :two"));
    }

    #[test]
    fn names_values_and_reserved_words() {
        assert_eq!(
            eval_with("#s = :v", json!({":v": {"S": "abc"}}), json!({"#s": "id"})),
            Ok(true)
        );
        let e = eval_with("status = :v", json!({":v": {"S": "x"}}), json!({})).unwrap_err();
        assert!(
            e.contains("Attribute name is a reserved keyword; reserved keyword: status"),
            "{e}"
        );
        let e = eval_with("#x = :v", json!({":v": {"S": "x"}}), json!({})).unwrap_err();
        assert!(e.contains("An expression attribute name used in the document path is not defined; attribute name: #x"), "{e}");
        let e = eval_with("id = :nope", json!({":v": {"S": "x"}}), json!({})).unwrap_err();
        assert!(e.contains("An expression attribute value used in expression is not defined; attribute value: :nope"), "{e}");
        let e = eval_with(
            "id = :v",
            json!({":v": {"S": "x"}, ":unused": {"S": "y"}}),
            json!({}),
        )
        .unwrap_err();
        assert!(e.contains("Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"), "{e}");
        let e = eval_with("id = :v", json!({":v": {"S": "x"}}), json!({"#u": "x"})).unwrap_err();
        assert!(
            e.contains(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"
            ),
            "{e}"
        );
    }

    #[test]
    fn syntax_errors_are_validation_errors() {
        let e = eval_with("id = = :v", json!({":v": {"S": "x"}}), json!({})).unwrap_err();
        assert!(
            e.starts_with("Invalid ConditionExpression: Syntax error; token: \"=\""),
            "{e}"
        );
        let e = eval_with("foo(id)", json!({}), json!({})).unwrap_err();
        assert!(e.contains("Invalid function name; function: foo"), "{e}");
    }

    #[test]
    fn deep_nesting_is_rejected_not_a_stack_overflow() {
        // 10,000 parentheses: rejected by the size limit.
        let deep = format!("{}id = :v{}", "(".repeat(10_000), ")".repeat(10_000));
        let e = eval_with(&deep, json!({":v": {"S": "x"}}), json!({})).unwrap_err();
        assert!(e.starts_with("Invalid ConditionExpression:"), "{e}");
        // Within the size limit but deeper than the parser allows.
        let deep = format!("{}id = :v{}", "(".repeat(1_500), ")".repeat(1_500));
        let e = eval_with(&deep, json!({":v": {"S": "x"}}), json!({})).unwrap_err();
        assert!(e.contains("maximum nesting depth"), "{e}");
        let nots = format!("{}id = :v", "NOT ".repeat(900));
        let e = eval_with(&nots, json!({":v": {"S": "x"}}), json!({})).unwrap_err();
        assert_eq!(
            e,
            "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
        );
    }

    /// Alternator's test_deeply_nested_expression_2, written against DynamoDB: 149 nested
    /// `a<b or (…)` (299 operators) is accepted, more refused at the 301st operator.
    fn nested_ors(depth: usize) -> String {
        format!(
            "n <> :four {}{}",
            "or (n <> :four ".repeat(depth),
            ")".repeat(depth)
        )
    }

    #[test]
    fn three_hundred_operators_are_the_limit_not_the_nesting() {
        let four = || json!({":four": {"N": "4"}});
        assert_eq!(eval_with(&nested_ors(149), four(), json!({})), Ok(true));
        let e = eval_with(&nested_ors(200), four(), json!({})).unwrap_err();
        assert_eq!(
            e,
            "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
        );
        let flat = format!("n <> :four{}", " or n <> :four".repeat(149));
        assert_eq!(eval_with(&flat, four(), json!({})), Ok(true));
        let flat = format!("n <> :four{}", " or n <> :four".repeat(150));
        assert!(eval_with(&flat, four(), json!({})).is_err());
    }

    #[test]
    fn the_deepest_accepted_nesting_fits_a_worker_stack() {
        // Tokio's workers (where item operations run) have 2 MB stacks; an unoptimized build's
        // frames are the largest. Parse, evaluate and drop the deepest nesting the limits allow:
        // 149 `NOT (` levels are 298 deep with 150 operators.
        let levels = MAX_DEPTH / 2 - 1;
        let deepest = format!("{}n <> :four{}", "NOT (".repeat(levels), ")".repeat(levels));
        let parens = format!(
            "{}n <> :four{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let run = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let four = || json!({":four": {"N": "4"}});
                let deep = eval_with(&deepest, four(), json!({}));
                let too_deep = eval_with(&parens, four(), json!({}));
                (deep, too_deep)
            })
            .expect("spawn")
            .join()
            .expect("no stack overflow");
        // An odd number of NOTs over a true comparison.
        assert_eq!(run.0, Ok(false));
        let e = run.1.unwrap_err();
        assert!(e.contains("maximum nesting depth"), "{e}");
    }

    #[test]
    fn projection_keeps_selected_paths() {
        let mut attrs = ExprAttrs::default();
        let paths =
            super::super::parser::parse_projection("id, m.a[1].c, lst[1]", &mut attrs).unwrap();
        let p = project(&item(), &paths);
        let j = crate::attribute_value::item_to_json(&p);
        assert_eq!(
            j,
            json!({"id": {"S": "abc"}, "lst": {"L": [{"N": "2"}]}, "m": {"M": {"a": {"L": [{"M": {"c": {"S": "deep"}}}]}}}})
        );
    }
}
