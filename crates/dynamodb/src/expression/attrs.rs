//! `ExpressionAttributeNames` / `ExpressionAttributeValues` of one request and DynamoDB's reserved
//! words: what placeholders and bare names in an expression may refer to.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

#[cfg(test)]
use serde_json::{Map, Value};

use crate::attribute_value::{AttributeValue, AttributeValueError};
use crate::protocol::{DynamoError, DynamoResult, Req};

/// `ExpressionAttributeNames` / `ExpressionAttributeValues` of one request, with use tracking so unused
/// entries are rejected as DynamoDB does.
#[derive(Debug, Default)]
pub struct ExprAttrs {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    used_names: HashSet<String>,
    used_values: HashSet<String>,
}

impl ExprAttrs {
    /// Refuses `ExpressionAttributeNames` in a request with none of the expression members
    /// `expressions`. The first check [`ExprAttrs::from_request`] makes, apart because AWS words
    /// it bare where it puts the rest of those checks in Coral's envelope (single-item writes).
    pub fn check_names_have_expression(req: &Req, expressions: &[&str]) -> DynamoResult<()> {
        let present = |k: &str| req.0.get(k).is_some_and(|v| !v.is_null());
        if present("ExpressionAttributeNames") && !expressions.iter().any(|e| present(e)) {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        Ok(())
    }

    /// Reads the two maps from a request whose operation takes the expression members `expressions`
    /// (in DynamoDB's order for its messages). Names need some expression, values one that is not
    /// `ProjectionExpression`; DynamoDB checks that before the maps' contents.
    pub fn from_request(req: &Req, expressions: &[&str]) -> DynamoResult<ExprAttrs> {
        Self::check_names_have_expression(req, expressions)?;
        let present = |k: &str| req.0.get(k).is_some_and(|v| !v.is_null());
        let value_exprs: Vec<&str> = expressions
            .iter()
            .copied()
            .filter(|e| *e != "ProjectionExpression")
            .collect();
        if present("ExpressionAttributeValues") && !value_exprs.iter().any(|e| present(e)) {
            let suffix = match value_exprs.as_slice() {
                [] => String::new(),
                [one] => format!(": {one} is null"),
                [init @ .., last] => format!(": {} and {last} are null", init.join(", ")),
            };
            return Err(DynamoError::validation(format!(
                "ExpressionAttributeValues can only be specified when using expressions{suffix}"
            )));
        }
        let mut attrs = ExprAttrs::default();
        if let Some(names) = req.opt_obj("ExpressionAttributeNames")? {
            if names.is_empty() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeNames must not be empty",
                ));
            }
            for (k, v) in names {
                check_placeholder("ExpressionAttributeNames", k, '#')?;
                let v = v
                    .as_str()
                    .ok_or_else(|| DynamoError::Serialization("Unexpected field type".into()))?;
                crate::attribute_value::check_attribute_name(v)?;
                attrs.names.insert(k.clone(), v.to_string());
            }
        }
        if let Some(values) = req.opt_obj("ExpressionAttributeValues")? {
            if values.is_empty() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeValues must not be empty",
                ));
            }
            for (k, v) in values {
                check_placeholder("ExpressionAttributeValues", k, ':')?;
                let av = AttributeValue::from_json(v).map_err(|e| match e {
                    AttributeValueError::Validation(m) => DynamoError::validation(format!(
                        "ExpressionAttributeValues contains invalid value: {m} for key {k}"
                    )),
                    other => other.into(),
                })?;
                attrs.values.insert(k.clone(), av);
            }
        }
        Ok(attrs)
    }

    /// Builds from explicit maps (unit tests).
    #[cfg(test)]
    pub fn new(names: &Map<String, Value>, values: &Map<String, Value>) -> DynamoResult<ExprAttrs> {
        let mut m = Map::new();
        if !names.is_empty() {
            m.insert(
                "ExpressionAttributeNames".into(),
                Value::Object(names.clone()),
            );
        }
        if !values.is_empty() {
            m.insert(
                "ExpressionAttributeValues".into(),
                Value::Object(values.clone()),
            );
        }
        // The unit tests parse the expression themselves; mark one as present for the placement check.
        m.insert("ConditionExpression".into(), Value::String(String::new()));
        ExprAttrs::from_request(&Req(&m), &["ConditionExpression"])
    }

    /// The name a `#placeholder` (given with its `#`) stands for, marking it used.
    pub(super) fn use_name(&mut self, key: &str) -> Option<String> {
        let name = self.names.get(key)?.clone();
        self.used_names.insert(key.to_string());
        Some(name)
    }

    /// The value a `:placeholder` stands for, marking it used.
    pub(super) fn use_value(&mut self, key: &str) -> Option<AttributeValue> {
        let value = self.values.get(key)?.clone();
        self.used_values.insert(key.to_string());
        Some(value)
    }

    /// After all expressions are parsed: every given name and value must have been used.
    pub fn check_all_used(&self) -> DynamoResult<()> {
        let mut unused: Vec<&String> = self
            .names
            .keys()
            .filter(|k| !self.used_names.contains(*k))
            .collect();
        if !unused.is_empty() {
            unused.sort();
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                unused
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let mut unused: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !self.used_values.contains(*k))
            .collect();
        if !unused.is_empty() {
            unused.sort();
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                unused
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(())
    }
}

/// A placeholder key is its sigil and one or more of `[A-Za-z0-9_]`, or DynamoDB refuses the map.
fn check_placeholder(member: &str, key: &str, sigil: char) -> DynamoResult<()> {
    let ok = key.strip_prefix(sigil).is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if ok {
        Ok(())
    } else {
        Err(DynamoError::validation(format!(
            "{member} contains invalid key: Syntax error; key: \"{key}\""
        )))
    }
}

fn reserved_words() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        include_str!("reserved_words.txt")
            .split_whitespace()
            .collect()
    })
}

/// True if `word` is one of DynamoDB's reserved words (case-insensitive).
pub(super) fn is_reserved(word: &str) -> bool {
    reserved_words().contains(word.to_ascii_uppercase().as_str())
}
