//! Template values: what Java objects look like to a Velocity template (strings, numbers, lists,
//! maps with reference semantics) plus the host's own objects (`$input`, `$util`).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use indexmap::IndexMap;

/// A list shared by reference, as a Java `List` is (`$list.add(x)` changes every holder).
pub type List = Rc<RefCell<Vec<Value>>>;
/// A map shared by reference, in insertion order (a `LinkedHashMap`, as JSON objects become).
pub type Map = Rc<RefCell<IndexMap<String, Value>>>;

/// One value a template handles.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// Java `null`: a reference to it renders as its source text.
    #[default]
    Null,
    /// `Boolean`.
    Bool(bool),
    /// `Integer`/`Long`.
    Int(i64),
    /// `Double`.
    Float(f64),
    /// `String`.
    Str(String),
    /// `List`.
    List(List),
    /// A list that prints as JSON: what API Gateway's `$input.path` gives for an array (its
    /// printed form is the JSON text, where a `List` prints as Java's `[a, b]`).
    JsonList(List),
    /// `Map`.
    Map(Map),
    /// An object of the host (`$input`, `$util`): its properties and methods are the host's.
    Host(String),
}

impl Value {
    /// A string value.
    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    /// A map value from pairs, in order.
    pub fn map<I, K>(entries: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Map(Rc::new(RefCell::new(
            entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )))
    }

    /// Like [`Value::from_json`], with every array a [`Value::JsonList`], which prints as JSON.
    pub fn from_json_printing_lists_as_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Array(items) => Value::JsonList(Rc::new(RefCell::new(
                items
                    .iter()
                    .map(Value::from_json_printing_lists_as_json)
                    .collect(),
            ))),
            serde_json::Value::Object(entries) => Value::map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json_printing_lists_as_json(v))),
            ),
            scalar => Value::from_json(scalar),
        }
    }

    /// A JSON value as the template sees it: objects become maps, arrays lists, whole numbers
    /// `Int`, other numbers `Float`.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(entries) => Value::map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v))),
            ),
        }
    }

    /// The value as JSON (host objects become their name as a string).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => s.clone().into(),
            Value::List(items) | Value::JsonList(items) => {
                items.borrow().iter().map(Value::to_json).collect()
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Host(name) => name.clone().into(),
        }
    }

    /// Velocity 1.7's truth: null and `false` are false, everything else true.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as a string slice, when it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a whole number, when it is one (or a float with no fraction).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            _ => None,
        }
    }
}

/// Java's `toString()`: `[a, b]` for lists, `{k=v}` for maps, `1.0` for whole doubles.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&java_double(*x)),
            Value::Str(s) => f.write_str(s),
            Value::JsonList(_) => f.write_str(&self.to_json().to_string()),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.borrow().iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.borrow().iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                f.write_str("}")
            }
            Value::Host(name) => write!(f, "{name}"),
        }
    }
}

/// `Double.toString`: a decimal point always, scientific notation outside 1e-3..1e7.
fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = x.abs();
    if magnitude != 0.0 && !(1e-3..1e7).contains(&magnitude) {
        let text = format!("{x:E}");
        // Rust writes `1.5E10` / `1E10`; Java always has a fraction digit.
        return match text.split_once('E') {
            Some((mantissa, exp)) if !mantissa.contains('.') => format!("{mantissa}.0E{exp}"),
            _ => text,
        };
    }
    let text = format!("{x}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

impl PartialEq for Value {
    /// Velocity's `==`: numbers by value, same kinds by content, other pairs by `toString()`.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.as_f64() == other.as_f64()
            }
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a) | Value::JsonList(a), Value::List(b) | Value::JsonList(b)) => {
                *a.borrow() == *b.borrow()
            }
            (Value::Map(a), Value::Map(b)) => *a.borrow() == *b.borrow(),
            _ => self.to_string() == other.to_string(),
        }
    }
}

impl Value {
    /// The value as a double, when it is a number.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_to_string() {
        let json = serde_json::json!({"a": [1, 2.5, "x"], "b": {"c": true}, "d": null});
        assert_eq!(
            Value::from_json(&json).to_string(),
            "{a=[1, 2.5, x], b={c=true}, d=null}"
        );
        assert_eq!(Value::Float(1.0).to_string(), "1.0");
        assert_eq!(Value::Float(1.5e10).to_string(), "1.5E10");
        assert_eq!(Value::Float(1e10).to_string(), "1.0E10");
    }

    #[test]
    fn equality_across_kinds() {
        assert_eq!(Value::Int(1), Value::Float(1.0));
        assert_eq!(Value::Int(1), Value::str("1"));
        assert_ne!(Value::Null, Value::str("null"));
    }
}
