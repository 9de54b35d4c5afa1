//! DynamoDB attribute values (S N B SS NS BS M L NULL BOOL): wire JSON ⇄ typed values, validation, sizes.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::number::{Number, NumberError};

/// Why a wire value is not a valid attribute value. A leaf error, so this module needs nothing from the
/// protocol; the protocol maps each kind to DynamoDB's exception type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AttributeValueError {
    /// Well-formed JSON that DynamoDB rejects (ValidationException).
    #[error("{0}")]
    Validation(String),
    /// JSON of the wrong shape for an attribute value (SerializationException).
    #[error("{0}")]
    Serialization(String),
}

impl AttributeValueError {
    fn validation(message: impl Into<String>) -> AttributeValueError {
        AttributeValueError::Validation(message.into())
    }
}

/// Result of parsing attribute values.
type ParseResult<T> = Result<T, AttributeValueError>;

/// An item: attribute name → value.
pub type Item = BTreeMap<String, AttributeValue>;

/// Deepest nesting of maps/lists DynamoDB accepts.
const MAX_NESTING: usize = 32;

/// One typed DynamoDB value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// String.
    S(String),
    /// Number (normalized).
    N(Number),
    /// Binary.
    B(Vec<u8>),
    /// String set (no duplicates, non-empty).
    Ss(Vec<String>),
    /// Number set.
    Ns(Vec<Number>),
    /// Binary set.
    Bs(Vec<Vec<u8>>),
    /// Map.
    M(BTreeMap<String, AttributeValue>),
    /// List.
    L(Vec<AttributeValue>),
    /// Null (always true on the wire).
    Null,
    /// Boolean.
    Bool(bool),
}

impl AttributeValue {
    /// The wire type descriptor: "S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL".
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Null => "NULL",
            AttributeValue::Bool(_) => "BOOL",
        }
    }

    /// Whether this is a set (SS, NS or BS).
    pub fn is_set(&self) -> bool {
        matches!(
            self,
            AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
        )
    }

    /// Parses one wire value (`{"S": "x"}` …), validating it as DynamoDB does.
    pub fn from_json(v: &Value) -> ParseResult<AttributeValue> {
        parse_value(v, 0)
    }

    /// The wire JSON of this value.
    pub fn to_json(&self) -> Value {
        let b64 = |b: &[u8]| Value::String(base64::engine::general_purpose::STANDARD.encode(b));
        match self {
            AttributeValue::S(s) => json!({ "S": s }),
            AttributeValue::N(n) => json!({ "N": n.to_string() }),
            AttributeValue::B(b) => json!({ "B": b64(b) }),
            AttributeValue::Ss(v) => json!({ "SS": v }),
            AttributeValue::Ns(v) => {
                json!({ "NS": v.iter().map(|n| n.to_string()).collect::<Vec<_>>() })
            }
            AttributeValue::Bs(v) => json!({ "BS": v.iter().map(|b| b64(b)).collect::<Vec<_>>() }),
            AttributeValue::M(m) => json!({ "M": item_to_json(m) }),
            AttributeValue::L(l) => {
                json!({ "L": l.iter().map(AttributeValue::to_json).collect::<Vec<_>>() })
            }
            AttributeValue::Null => json!({ "NULL": true }),
            AttributeValue::Bool(b) => json!({ "BOOL": b }),
        }
    }

    /// Size in bytes by DynamoDB's accounting (approximate for numbers, exact for strings/binary).
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.byte_size(),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
            AttributeValue::Ns(v) => v.iter().map(Number::byte_size).sum(),
            AttributeValue::Bs(v) => v.iter().map(Vec::len).sum(),
            AttributeValue::M(m) => {
                3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>()
            }
            AttributeValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttributeValue::Null | AttributeValue::Bool(_) => 1,
        }
    }
}

fn parse_value(v: &Value, depth: usize) -> ParseResult<AttributeValue> {
    if depth > MAX_NESTING {
        return Err(AttributeValueError::validation(
            "Nesting Levels have exceeded supported limits",
        ));
    }
    let obj = match v {
        Value::Object(o) => o,
        _ => {
            return Err(AttributeValueError::Serialization(
                "Unexpected value type in payload".into(),
            ))
        }
    };
    let set: Vec<(&String, &Value)> = obj.iter().filter(|(_, v)| !v.is_null()).collect();
    if set.is_empty() {
        return Err(AttributeValueError::validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ));
    }
    if set.len() > 1 {
        return Err(AttributeValueError::validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ));
    }
    let (ty, val) = set[0];
    // DynamoDB takes no JSON number (or boolean) where the format says string, `N` included:
    // `{"N": 123}` is "SerializationException: NUMBER_VALUE cannot be converted to String".
    let string = |v: &Value| -> ParseResult<String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(_) => Err(AttributeValueError::Serialization(
                "NUMBER_VALUE cannot be converted to String".into(),
            )),
            // Named as the request parser names every misplaced JSON type (protocol.rs).
            Value::Bool(_) => Err(AttributeValueError::Serialization(
                "BOOLEAN_VALUE cannot be converted to String".into(),
            )),
            _ => Err(AttributeValueError::Serialization(
                "Unexpected field type".into(),
            )),
        }
    };
    let number = |v: &Value| -> ParseResult<Number> {
        let text = string(v)?;
        Number::parse(&text).map_err(|e| match e {
            NumberError::NotANumber => AttributeValueError::validation(format!("{e}: {text}")),
            e => AttributeValueError::validation(e.to_string()),
        })
    };
    let binary = |v: &Value| -> ParseResult<Vec<u8>> {
        let s = string(v)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(|_| {
                AttributeValueError::Serialization(
                    "Base64 encoded length is expected a multiple of 4 bytes but found: 1".into(),
                )
            })
    };
    let list = |v: &Value| -> ParseResult<Vec<Value>> {
        match v {
            Value::Array(a) => Ok(a.clone()),
            _ => Err(AttributeValueError::Serialization(
                "Unexpected field type".into(),
            )),
        }
    };
    Ok(match ty.as_str() {
        "S" => AttributeValue::S(string(val)?),
        "N" => AttributeValue::N(number(val)?),
        "B" => AttributeValue::B(binary(val)?),
        "BOOL" => match val {
            Value::Bool(b) => AttributeValue::Bool(*b),
            _ => return Err(AttributeValueError::Serialization("Unexpected token received from parser".into())),
        },
        "NULL" => match val {
            Value::Bool(true) => AttributeValue::Null,
            _ => {
                return Err(AttributeValueError::validation(
                    "One or more parameter values were invalid: Null attribute value types must have the value of true",
                ))
            }
        },
        "SS" => {
            let items = list(val)?.iter().map(string).collect::<ParseResult<Vec<_>>>()?;
            if items.is_empty() {
                return Err(AttributeValueError::validation("One or more parameter values were invalid: An string set  may not be empty"));
            }
            check_duplicates(&items, |s| s.clone())?;
            AttributeValue::Ss(items)
        }
        "NS" => {
            let items = list(val)?.iter().map(number).collect::<ParseResult<Vec<_>>>()?;
            if items.is_empty() {
                return Err(AttributeValueError::validation("One or more parameter values were invalid: An number set  may not be empty"));
            }
            check_duplicates(&items, Number::to_string)?;
            AttributeValue::Ns(items)
        }
        "BS" => {
            let items = list(val)?.iter().map(binary).collect::<ParseResult<Vec<_>>>()?;
            if items.is_empty() {
                return Err(AttributeValueError::validation("One or more parameter values were invalid: Binary sets should not be empty"));
            }
            check_duplicates(&items, |b| base64::engine::general_purpose::STANDARD.encode(b))?;
            AttributeValue::Bs(items)
        }
        "L" => AttributeValue::L(list(val)?.iter().map(|v| parse_value(v, depth + 1)).collect::<ParseResult<_>>()?),
        "M" => match val {
            Value::Object(m) => AttributeValue::M(parse_map(m, depth + 1)?),
            _ => return Err(AttributeValueError::Serialization("Unexpected field type".into())),
        },
        _ => {
            return Err(AttributeValueError::validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ))
        }
    })
}

fn check_duplicates<T>(items: &[T], render: impl Fn(&T) -> String) -> ParseResult<()> {
    let mut seen = std::collections::HashSet::new();
    for i in items {
        if !seen.insert(render(i)) {
            let all: Vec<String> = items.iter().map(&render).collect();
            return Err(AttributeValueError::validation(format!(
                "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                all.join(", ")
            )));
        }
    }
    Ok(())
}

fn parse_map(
    m: &Map<String, Value>,
    depth: usize,
) -> ParseResult<BTreeMap<String, AttributeValue>> {
    m.iter()
        .map(|(k, v)| Ok((k.clone(), parse_value(v, depth)?)))
        .collect()
}

/// Longest attribute name DynamoDB accepts, in bytes: 65535 is, 64 KiB is not (Alternator's
/// test_limit_attribute_length_nonkey_good/_bad, written against DynamoDB).
pub const MAX_ATTRIBUTE_NAME_BYTES: usize = 65535;

/// Refuses an attribute name over [`MAX_ATTRIBUTE_NAME_BYTES`]; a length comparison, so cheap on
/// every item. AWS's exact words are not recorded; Sluice's name the limit and the length.
pub fn check_attribute_name(name: &str) -> Result<(), AttributeValueError> {
    if name.len() <= MAX_ATTRIBUTE_NAME_BYTES {
        return Ok(());
    }
    Err(AttributeValueError::validation(format!(
        "One or more parameter values were invalid: Attribute name is too long; maximum length: {MAX_ATTRIBUTE_NAME_BYTES} bytes, attribute name length: {}",
        name.len()
    )))
}

/// Parses an item (`{"name": {"S": …}, …}`).
pub fn item_from_json(v: &Map<String, Value>) -> ParseResult<Item> {
    for name in v.keys() {
        check_attribute_name(name)?;
    }
    parse_map(v, 0)
}

/// Parses a JSON value that must be an item object.
pub fn item_from_value(v: &Value) -> ParseResult<Item> {
    match v {
        Value::Object(m) => item_from_json(m),
        _ => Err(AttributeValueError::Serialization(
            "Unexpected value type in payload".into(),
        )),
    }
}

/// The wire JSON of an item.
pub fn item_to_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// Item size by DynamoDB's accounting: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        let wire = json!({
            "s": {"S": "x"}, "n": {"N": "1.50"}, "b": {"B": "AAE="}, "ss": {"SS": ["a", "b"]},
            "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AA=="]}, "m": {"M": {"k": {"BOOL": true}}},
            "l": {"L": [{"NULL": true}, {"S": ""}]}
        });
        let item = item_from_value(&wire).unwrap();
        assert_eq!(item["n"], AttributeValue::N(Number::parse("1.5").unwrap()));
        let back = item_to_json(&item);
        assert_eq!(back["n"], json!({"N": "1.5"}));
        assert_eq!(back["m"], wire["m"]);
        assert_eq!(back["bs"], wire["bs"]);
    }

    #[test]
    fn rejects_invalid_values() {
        let err = |v: Value| AttributeValue::from_json(&v).unwrap_err().to_string();
        assert!(err(json!({})).contains("Supplied AttributeValue is empty"));
        assert!(err(json!({"S": "a", "N": "1"})).contains("more than one datatypes"));
        assert!(err(json!({"SS": []})).contains("An string set  may not be empty"));
        assert!(err(json!({"SS": ["a", "a"]})).contains("contains duplicates"));
        assert!(err(json!({"NULL": false}))
            .contains("Null attribute value types must have the value of true"));
        assert!(err(json!({"N": "1e200"})).contains("Number overflow"));
    }

    #[test]
    fn limits_nesting() {
        let mut v = json!({"S": "leaf"});
        for _ in 0..40 {
            v = json!({"L": [v]});
        }
        assert!(AttributeValue::from_json(&v)
            .unwrap_err()
            .to_string()
            .contains("Nesting Levels"));
    }
}
