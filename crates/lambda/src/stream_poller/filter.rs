//! Lambda's event filtering (`FilterCriteria.Filters[].Pattern`): a record is delivered when it
//! matches any of the mapping's patterns; the rest are dropped (and count as handled).
//!
//! The syntax is EventBridge's: a pattern mirrors the record's shape; each leaf is a list of
//! matchers, any of which may match (a list in the record matches when any element does).
//! Matchers: exact values (`"INSERT"`, `5`, `true`, `null`), `prefix`, `suffix`,
//! `equals-ignore-case`, `anything-but` (a value, a list, or a `prefix`/`suffix`), `numeric`
//! (one or two comparisons), `exists`, and `wildcard`.

use serde_json::{Map, Value};

/// Why a pattern cannot be used (Lambda refuses such a mapping with `InvalidParameterValueException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter pattern: {0}")]
pub struct FilterError(String);

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPattern(Vec<(String, Node)>);

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Object(FilterPattern),
    Leaf(Vec<Matcher>),
}

#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    Exact(Value),
    Prefix(String, bool),
    Suffix(String, bool),
    EqualsIgnoreCase(String),
    AnythingBut(Vec<Value>),
    AnythingButPrefix(String),
    AnythingButSuffix(String),
    Numeric(Vec<(Comparison, f64)>),
    Exists(bool),
    Wildcard(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

impl FilterPattern {
    /// Compiles a pattern (a JSON object, as `Pattern` holds it).
    pub fn parse(text: &str) -> Result<FilterPattern, FilterError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| FilterError(format!("{text}: not JSON ({e})")))?;
        match value {
            Value::Object(map) => object(&map),
            _ => Err(FilterError(format!("{text}: a pattern is a JSON object"))),
        }
    }

    /// Whether `record` matches.
    pub fn matches(&self, record: &Value) -> bool {
        let Some(fields) = record.as_object() else {
            return false;
        };
        self.0
            .iter()
            .all(|(key, node)| match (node, fields.get(key)) {
                (Node::Object(inner), Some(v)) => inner.matches(v),
                (Node::Object(_), None) => false,
                (Node::Leaf(matchers), value) => leaf_matches(matchers, value),
            })
    }
}

fn object(map: &Map<String, Value>) -> Result<FilterPattern, FilterError> {
    let mut fields = Vec::new();
    for (key, value) in map {
        let node = match value {
            Value::Object(inner) => Node::Object(object(inner)?),
            Value::Array(items) => Node::Leaf(
                items
                    .iter()
                    .map(|i| matcher(key, i))
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(FilterError(format!(
                    "{key}: a match value must be in a list, as in [{other}]"
                )))
            }
        };
        fields.push((key.clone(), node));
    }
    Ok(FilterPattern(fields))
}

fn matcher(key: &str, value: &Value) -> Result<Matcher, FilterError> {
    let bad = |what: &str| FilterError(format!("{key}: {what}"));
    let Value::Object(op) = value else {
        return match value {
            Value::Array(_) => Err(bad("a list inside a match list is not allowed")),
            v => Ok(Matcher::Exact(v.clone())),
        };
    };
    let mut entries = op.iter();
    let (Some((name, arg)), None) = (entries.next(), entries.next()) else {
        return Err(bad("a matcher object has exactly one operator"));
    };
    let text_or_ignore_case = |arg: &Value| -> Result<(String, bool), FilterError> {
        match arg {
            Value::String(s) => Ok((s.clone(), false)),
            Value::Object(o) if o.len() == 1 => match o.get("equals-ignore-case") {
                Some(Value::String(s)) => Ok((s.clone(), true)),
                _ => Err(bad(&format!("{name} takes a string"))),
            },
            _ => Err(bad(&format!("{name} takes a string"))),
        }
    };
    Ok(match name.as_str() {
        "prefix" => {
            let (s, ic) = text_or_ignore_case(arg)?;
            Matcher::Prefix(s, ic)
        }
        "suffix" => {
            let (s, ic) = text_or_ignore_case(arg)?;
            Matcher::Suffix(s, ic)
        }
        "equals-ignore-case" => match arg {
            Value::String(s) => Matcher::EqualsIgnoreCase(s.clone()),
            _ => return Err(bad("equals-ignore-case takes a string")),
        },
        "wildcard" => match arg {
            Value::String(s) => Matcher::Wildcard(s.clone()),
            _ => return Err(bad("wildcard takes a string")),
        },
        "exists" => match arg {
            Value::Bool(b) => Matcher::Exists(*b),
            _ => return Err(bad("exists takes true or false")),
        },
        "anything-but" => match arg {
            Value::Array(items) if items.iter().all(|i| i.is_string() || i.is_number()) => {
                Matcher::AnythingBut(items.clone())
            }
            Value::String(_) | Value::Number(_) => Matcher::AnythingBut(vec![arg.clone()]),
            Value::Object(o) if o.len() == 1 => match (o.get("prefix"), o.get("suffix")) {
                (Some(Value::String(p)), None) => Matcher::AnythingButPrefix(p.clone()),
                (None, Some(Value::String(s))) => Matcher::AnythingButSuffix(s.clone()),
                _ => {
                    return Err(bad(
                        "anything-but takes a value, a list, a prefix or a suffix",
                    ))
                }
            },
            _ => {
                return Err(bad(
                    "anything-but takes a value, a list, a prefix or a suffix",
                ))
            }
        },
        "numeric" => Matcher::Numeric(numeric(arg).map_err(|m| bad(&m))?),
        other => return Err(bad(&format!("unknown operator {other:?}"))),
    })
}

fn numeric(arg: &Value) -> Result<Vec<(Comparison, f64)>, String> {
    let Value::Array(items) = arg else {
        return Err("numeric takes a list such as [\">\", 0, \"<=\", 5]".into());
    };
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        return Err("numeric takes one or two comparisons, such as [\">\", 0, \"<=\", 5]".into());
    }
    items
        .chunks(2)
        .map(|pair| {
            let op = match pair[0].as_str() {
                Some("<") => Comparison::Lt,
                Some("<=") => Comparison::Le,
                Some("=") => Comparison::Eq,
                Some(">=") => Comparison::Ge,
                Some(">") => Comparison::Gt,
                _ => return Err(format!("{} is not a numeric comparison", pair[0])),
            };
            let n = pair[1]
                .as_f64()
                .ok_or_else(|| format!("{} is not a number", pair[1]))?;
            Ok((op, n))
        })
        .collect()
}

/// A leaf: any matcher matches the value (or, for a list, any of its elements).
fn leaf_matches(matchers: &[Matcher], value: Option<&Value>) -> bool {
    // EventBridge's rule: matching sees only leaves, so an object where the pattern has a leaf
    // is no value there (`{"presentKey": [{"exists": false}]}` lets through a record whose
    // `presentKey` is `{"S": "…"}`: recorded from AWS, LocalStack's test_dynamodb_event_filter).
    let Some(value) = value.filter(|v| !v.is_object()) else {
        return matchers.iter().any(|m| *m == Matcher::Exists(false));
    };
    let candidates: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    };
    matchers
        .iter()
        .any(|m| candidates.iter().any(|v| matcher_matches(m, v)))
}

fn matcher_matches(m: &Matcher, v: &Value) -> bool {
    let text = v.as_str();
    match m {
        Matcher::Exact(Value::Number(n)) => v.as_f64().is_some() && v.as_f64() == n.as_f64(),
        Matcher::Exact(e) => e == v,
        Matcher::Prefix(p, false) => text.is_some_and(|t| t.starts_with(p.as_str())),
        Matcher::Prefix(p, true) => {
            text.is_some_and(|t| t.to_lowercase().starts_with(p.to_lowercase().as_str()))
        }
        Matcher::Suffix(s, false) => text.is_some_and(|t| t.ends_with(s.as_str())),
        Matcher::Suffix(s, true) => {
            text.is_some_and(|t| t.to_lowercase().ends_with(s.to_lowercase().as_str()))
        }
        Matcher::EqualsIgnoreCase(s) => text.is_some_and(|t| t.to_lowercase() == s.to_lowercase()),
        Matcher::AnythingBut(values) => {
            (v.is_string() || v.is_number())
                && !values.iter().any(|x| match (x.as_f64(), v.as_f64()) {
                    (Some(a), Some(b)) => a == b,
                    _ => x == v,
                })
        }
        Matcher::AnythingButPrefix(p) => text.is_some_and(|t| !t.starts_with(p.as_str())),
        Matcher::AnythingButSuffix(s) => text.is_some_and(|t| !t.ends_with(s.as_str())),
        // AWS: numeric matching applies to JSON numbers; DynamoDB's `N` values are strings in the
        // record, so a `numeric` filter on them never matches there either.
        Matcher::Numeric(checks) => v.as_f64().is_some_and(|n| {
            checks.iter().all(|(op, x)| match op {
                Comparison::Lt => n < *x,
                Comparison::Le => n <= *x,
                Comparison::Eq => n == *x,
                Comparison::Ge => n >= *x,
                Comparison::Gt => n > *x,
            })
        }),
        Matcher::Exists(wanted) => *wanted,
        Matcher::Wildcard(w) => text.is_some_and(|t| wildcard(w.as_bytes(), t.as_bytes())),
    }
}

/// `*` matches any run of characters.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| wildcard(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && wildcard(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record() -> Value {
        json!({
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {"pk": {"S": "order#1"}},
                "NewImage": {"pk": {"S": "order#1"}, "status": {"S": "NEW"}, "tags": {"SS": ["a", "b"]}},
                "SizeBytes": 42,
            }
        })
    }

    fn matches(pattern: &str) -> bool {
        FilterPattern::parse(pattern)
            .unwrap_or_else(|e| panic!("{e}"))
            .matches(&record())
    }

    #[test]
    fn exact_values_and_nesting() {
        assert!(matches(r#"{"eventName": ["INSERT", "MODIFY"]}"#));
        assert!(!matches(r#"{"eventName": ["REMOVE"]}"#));
        assert!(matches(
            r#"{"dynamodb": {"NewImage": {"status": {"S": ["NEW"]}}}}"#
        ));
        assert!(!matches(
            r#"{"dynamodb": {"NewImage": {"status": {"S": ["OLD"]}}}}"#
        ));
        // Every field of the pattern must match.
        assert!(!matches(
            r#"{"eventName": ["INSERT"], "dynamodb": {"OldImage": {"status": {"S": ["NEW"]}}}}"#
        ));
        // A list in the record matches when any element does.
        assert!(matches(
            r#"{"dynamodb": {"NewImage": {"tags": {"SS": ["b"]}}}}"#
        ));
    }

    #[test]
    fn operators() {
        assert!(matches(
            r#"{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "order#"}]}}}}"#
        ));
        assert!(!matches(
            r#"{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "user#"}]}}}}"#
        ));
        assert!(matches(r#"{"eventName": [{"suffix": "SERT"}]}"#));
        assert!(matches(
            r#"{"eventName": [{"equals-ignore-case": "insert"}]}"#
        ));
        assert!(matches(r#"{"eventName": [{"anything-but": ["REMOVE"]}]}"#));
        assert!(!matches(r#"{"eventName": [{"anything-but": "INSERT"}]}"#));
        assert!(matches(
            r#"{"eventName": [{"anything-but": {"prefix": "MOD"}}]}"#
        ));
        assert!(matches(
            r#"{"dynamodb": {"SizeBytes": [{"numeric": [">", 10, "<=", 42]}]}}"#
        ));
        assert!(!matches(
            r#"{"dynamodb": {"SizeBytes": [{"numeric": ["<", 10]}]}}"#
        ));
        assert!(matches(r#"{"dynamodb": {"SizeBytes": [42]}}"#));
        assert!(matches(
            r#"{"dynamodb": {"NewImage": {"status": {"S": [{"exists": true}]}}}}"#
        ));
        assert!(matches(
            r#"{"dynamodb": {"NewImage": {"gone": [{"exists": false}]}}}"#
        ));
        // `status` is an object (`{"S": "NEW"}`), not a leaf: as far as matching goes, absent.
        assert!(matches(
            r#"{"dynamodb": {"NewImage": {"status": [{"exists": false}]}}}"#
        ));
        assert!(!matches(
            r#"{"dynamodb": {"NewImage": {"status": [{"exists": true}]}}}"#
        ));
        assert!(!matches(
            r#"{"dynamodb": {"NewImage": {"status": [{"anything-but": "x"}]}}}"#
        ));
        assert!(!matches(
            r#"{"dynamodb": {"NewImage": {"gone": [{"exists": true}]}}}"#
        ));
        assert!(!matches(
            r#"{"dynamodb": {"NewImage": {"gone": {"S": [{"anything-but": "x"}]}}}}"#
        ));
        assert!(matches(r#"{"eventSource": [{"wildcard": "aws:*db"}]}"#));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "[]",
            "nope",
            r#"{"eventName": "INSERT"}"#,
            r#"{"eventName": [{"bogus": 1}]}"#,
            r#"{"eventName": [{"numeric": [">"]}]}"#,
            r#"{"eventName": [{"exists": "yes"}]}"#,
            r#"{"eventName": [{"prefix": "a", "suffix": "b"}]}"#,
        ] {
            assert!(FilterPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
