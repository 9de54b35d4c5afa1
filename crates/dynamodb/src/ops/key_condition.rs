//! A Query's key condition (`KeyConditionExpression` or legacy `KeyConditions`) checked against the
//! key schema read and split into the partition value and the sort-key condition, with DynamoDB's
//! errors for every shape it refuses; no data is read here.

use crate::attribute_value::AttributeValue;
use crate::expression::{CmpOp, Condition, Operand};
use crate::key_codec;
use crate::protocol::{DynamoError, DynamoResult};
use crate::table::{empty_key_value, KeySchema};

/// A Query's key condition split into the hash value and an optional sort-key condition.
pub struct KeyCondition {
    /// The encoded partition key value (the only one a Query reads).
    pub hash: Vec<u8>,
    /// The sort-key condition, if any, with the key attribute first.
    pub range: Option<Condition>,
}

/// A sort-key condition tested on the encoded sort key: `key_codec`'s byte order is DynamoDB's
/// order, so a Query of the table decodes no item to apply its key condition.
pub enum EncodedRange {
    /// `sk op :v` (never `<>`, which key conditions refuse).
    Compare(CmpOp, Vec<u8>),
    /// `sk BETWEEN :lo AND :hi`.
    Between(Vec<u8>, Vec<u8>),
    /// `begins_with(sk, :p)` on a string or binary key, whose encoding is its bytes.
    Prefix(Vec<u8>),
}

impl EncodedRange {
    /// The encoded form of a single-attribute sort-key condition as [`key_condition`] returns it
    /// (attribute first, constants of the key's type); `None` for anything else.
    pub fn of(c: &Condition) -> Option<EncodedRange> {
        let value = |o: &Operand| match o {
            Operand::Value(v) => key_codec::encode(v),
            _ => None,
        };
        match c {
            Condition::Compare(Operand::Path(_), op, v) if *op != CmpOp::Ne => {
                Some(EncodedRange::Compare(*op, value(v)?))
            }
            Condition::Between(Operand::Path(_), lo, hi) => {
                Some(EncodedRange::Between(value(lo)?, value(hi)?))
            }
            Condition::BeginsWith(Operand::Path(_), Operand::Value(v)) => match v {
                AttributeValue::S(_) | AttributeValue::B(_) => {
                    Some(EncodedRange::Prefix(key_codec::encode(v)?))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the encoded sort key `rk` satisfies the condition.
    pub fn matches(&self, rk: &[u8]) -> bool {
        match self {
            EncodedRange::Compare(op, v) => {
                let o = rk.cmp(v.as_slice());
                match op {
                    CmpOp::Eq => o.is_eq(),
                    CmpOp::Ne => o.is_ne(),
                    CmpOp::Lt => o.is_lt(),
                    CmpOp::Le => o.is_le(),
                    CmpOp::Gt => o.is_gt(),
                    CmpOp::Ge => o.is_ge(),
                }
            }
            EncodedRange::Between(lo, hi) => lo.as_slice() <= rk && rk <= hi.as_slice(),
            EncodedRange::Prefix(p) => rk.starts_with(p),
        }
    }
}

fn split_and(c: &Condition, out: &mut Vec<Condition>) {
    match c {
        Condition::And(a, b) => {
            split_and(a, out);
            split_and(b, out);
        }
        other => out.push(other.clone()),
    }
}

/// The key attribute a key-condition term constrains, with the term turned so the attribute comes
/// first (`:v = pk` is accepted, as DynamoDB does); DynamoDB's errors for terms no key condition allows.
fn key_term(t: Condition) -> DynamoResult<(String, Condition)> {
    let bad_operator = |op: &str| {
        DynamoError::validation(format!(
            "Invalid operator used in KeyConditionExpression: {op}"
        ))
    };
    let name = |o: &Operand| -> DynamoResult<Option<String>> {
        match o {
            Operand::Path(p) if p.0.len() > 1 => Err(DynamoError::validation(
                "KeyConditionExpressions cannot have conditions on nested attributes",
            )),
            Operand::Path(p) => Ok(Some(p.root().to_string())),
            Operand::Size(_) => Err(bad_operator("size")),
            Operand::Value(_) => Ok(None),
        }
    };
    let unsupported = || DynamoError::validation("Query key condition not supported");
    match t {
        Condition::Compare(a, op, b) => match (name(&a)?, name(&b)?) {
            (Some(n), None) => Ok((n, Condition::Compare(a, op, b))),
            (None, Some(n)) => {
                let flipped = match op {
                    CmpOp::Lt => CmpOp::Gt,
                    CmpOp::Le => CmpOp::Ge,
                    CmpOp::Gt => CmpOp::Lt,
                    CmpOp::Ge => CmpOp::Le,
                    same => same,
                };
                Ok((n, Condition::Compare(b, flipped, a)))
            }
            (None, None) => Err(DynamoError::validation(
                "Invalid condition in KeyConditionExpression: No key attribute specified",
            )),
            (Some(_), Some(_)) => Err(unsupported()),
        },
        Condition::Between(a, lo, hi) => match (name(&a)?, name(&lo)?, name(&hi)?) {
            (Some(n), None, None) => Ok((n, Condition::Between(a, lo, hi))),
            _ => Err(unsupported()),
        },
        Condition::BeginsWith(a, b) => match (name(&a)?, name(&b)?) {
            (Some(n), None) => Ok((n, Condition::BeginsWith(a, b))),
            _ => Err(unsupported()),
        },
        Condition::Or(..) => Err(bad_operator("OR")),
        Condition::Not(_) => Err(bad_operator("NOT")),
        Condition::In(..) => Err(bad_operator("IN")),
        Condition::Exists(_) => Err(bad_operator("attribute_exists")),
        Condition::NotExists(_) => Err(bad_operator("attribute_not_exists")),
        Condition::AttributeType(..) => Err(bad_operator("attribute_type")),
        Condition::Contains(..) => Err(bad_operator("contains")),
        // split_and took every AND apart.
        Condition::And(..) => Err(unsupported()),
    }
}

/// Every constant of a key-condition term must have the key's type.
fn check_key_types(t: &Condition, kind: &str) -> DynamoResult<()> {
    let mut bad = false;
    let mut look = |o: &Operand| {
        if let Operand::Value(v) = o {
            bad |= v.type_name() != kind;
        }
    };
    match t {
        Condition::Compare(a, _, b) | Condition::BeginsWith(a, b) => {
            look(a);
            look(b);
        }
        Condition::Between(a, lo, hi) => {
            look(a);
            look(lo);
            look(hi);
        }
        _ => {}
    }
    if bad {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ));
    }
    Ok(())
}

pub fn key_condition(cond: &Condition, keys: &KeySchema) -> DynamoResult<KeyCondition> {
    let mut terms = Vec::new();
    split_and(cond, &mut terms);
    let mut named: Vec<(String, Condition)> = Vec::new();
    for t in terms {
        let (name, t) = key_term(t)?;
        if named.iter().any(|(n, _)| *n == name) {
            return Err(DynamoError::validation(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        named.push((name, t));
    }
    if keys.is_multi() {
        return multi_key_condition(named, keys);
    }
    if named.len() > 2 {
        return Err(DynamoError::validation(
            "Conditions can be of length 1 or 2 only",
        ));
    }
    let missed = || {
        DynamoError::validation(format!(
            "Query condition missed key schema element: {}",
            keys.hash.name
        ))
    };
    let mut hash = None;
    let mut range = None;
    for (name, t) in &named {
        if *name == keys.hash.name {
            let Condition::Compare(_, CmpOp::Eq, Operand::Value(v)) = t else {
                return Err(DynamoError::validation("Query key condition not supported"));
            };
            check_key_types(t, &keys.hash.kind)?;
            // AWS refuses an empty partition value as it refuses it in a Key, rather than
            // reading nothing (reported from DynamoDB in moto#7062: "… cannot contain an empty
            // string value. Key: PK").
            if let Some(e) = empty_key_value(&keys.hash.name, v) {
                return Err(e);
            }
            hash = Some(key_codec::encode(v).ok_or_else(missed)?);
        }
    }
    let hash = hash.ok_or_else(missed)?;
    for (name, t) in named {
        if name == keys.hash.name {
            continue;
        }
        let Some(r) = keys.range.as_ref().filter(|r| r.name == name) else {
            return Err(DynamoError::validation("Query key condition not supported"));
        };
        if matches!(t, Condition::Compare(_, CmpOp::Ne, _)) {
            return Err(DynamoError::validation(
                "Unsupported operator on KeyConditionExpression: operator: <>",
            ));
        }
        check_key_types(&t, &r.kind)?;
        range = Some(t);
    }
    Ok(KeyCondition { hash, range })
}

/// The key condition of a multi-attribute GSI key: equality on every partition attribute, then
/// conditions on the sort attributes from the left with no gap, all equalities but the last.
fn multi_key_condition(
    mut named: Vec<(String, Condition)>,
    keys: &KeySchema,
) -> DynamoResult<KeyCondition> {
    let unsupported = || DynamoError::validation("Query key condition not supported");
    let mut hash_values = Vec::new();
    for k in keys.hash_attrs() {
        let Some(at) = named.iter().position(|(n, _)| *n == k.name) else {
            return Err(DynamoError::validation(format!(
                "Query condition missed key schema element: {}",
                k.name
            )));
        };
        let (_, t) = named.remove(at);
        let Condition::Compare(_, CmpOp::Eq, Operand::Value(v)) = &t else {
            return Err(unsupported());
        };
        check_key_types(&t, &k.kind)?;
        if let Some(e) = empty_key_value(&k.name, v) {
            return Err(e);
        }
        hash_values.push(v.clone());
    }
    let mut range: Option<Condition> = None;
    // The first sort attribute without an equality (absent, or a range condition): a condition on
    // any later one cannot narrow the sorted index.
    let mut blocker: Option<&str> = None;
    for k in keys.range_attrs() {
        let Some(at) = named.iter().position(|(n, _)| *n == k.name) else {
            blocker = blocker.or(Some(&k.name));
            continue;
        };
        if let Some(prior) = blocker {
            // AWS names the attribute that needed an equality and the one that came after it.
            return Err(DynamoError::validation(format!(
                "RANGE key attributes {prior} must have equality conditions specified in the query because a condition is present on key attribute {}",
                k.name
            )));
        }
        let (_, t) = named.remove(at);
        if matches!(t, Condition::Compare(_, CmpOp::Ne, _)) {
            return Err(DynamoError::validation(
                "Unsupported operator on KeyConditionExpression: operator: <>",
            ));
        }
        check_key_types(&t, &k.kind)?;
        if !matches!(t, Condition::Compare(_, CmpOp::Eq, _)) {
            blocker = Some(&k.name);
        }
        range = Some(match range {
            Some(r) => Condition::And(Box::new(r), Box::new(t)),
            None => t,
        });
    }
    if !named.is_empty() {
        return Err(unsupported());
    }
    let refs: Vec<&AttributeValue> = hash_values.iter().collect();
    let hash = key_codec::encode_tuple(&refs).ok_or_else(unsupported)?;
    Ok(KeyCondition { hash, range })
}
