//! The Java methods templates call on strings, lists, maps and numbers, and Velocity's property
//! lookup (`$map.key` is `get("key")`, `$x.empty` is `isEmpty()`).

use crate::eval::RenderError;
use crate::value::Value;

/// `$value.name`: a map's entry, else the getter Velocity would try (`getName()`, `isName()`).
pub(crate) fn property(value: &Value, name: &str) -> Value {
    if let Value::Map(entries) = value {
        return entries.borrow().get(name).cloned().unwrap_or_default();
    }
    let capitalized = {
        let mut chars = name.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
            None => String::new(),
        }
    };
    for getter in [format!("get{capitalized}"), format!("is{capitalized}")] {
        if let Ok(found) = call(value, &getter, &[]) {
            return found;
        }
    }
    Value::Null
}

/// `$value[index]`: a list's item or a map's entry; null when absent.
pub(crate) fn index(value: &Value, index: &Value) -> Value {
    match value {
        Value::List(items) | Value::JsonList(items) => index
            .as_int()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| items.borrow().get(i).cloned())
            .unwrap_or_default(),
        Value::Map(entries) => entries
            .borrow()
            .get(&index.to_string())
            .cloned()
            .unwrap_or_default(),
        _ => Value::Null,
    }
}

/// `$value.method(args)`.
pub(crate) fn call(value: &Value, method: &str, args: &[Value]) -> Result<Value, RenderError> {
    let unknown = || {
        Err(RenderError(format!(
            "no method {method} with {} argument(s) on {}",
            args.len(),
            kind(value)
        )))
    };
    // Methods every object has.
    match (method, args) {
        ("toString", []) => return Ok(Value::Str(value.to_string())),
        ("equals", [other]) => return Ok(Value::Bool(value == other)),
        ("hashCode", []) => return Ok(Value::Int(java_hash(&value.to_string()))),
        _ => {}
    }
    match value {
        Value::Str(s) => string_method(s, method, args).map_or_else(unknown, Ok),
        Value::List(items) | Value::JsonList(items) => {
            let mut items = items.borrow_mut();
            Ok(match (method, args) {
                ("size", []) => Value::Int(items.len() as i64),
                ("isEmpty", []) => Value::Bool(items.is_empty()),
                ("get", [i]) => index_of(&items, i),
                ("contains", [x]) => Value::Bool(items.contains(x)),
                ("indexOf", [x]) => {
                    Value::Int(items.iter().position(|i| i == x).map_or(-1, |p| p as i64))
                }
                ("add", [x]) => {
                    items.push(x.clone());
                    Value::Bool(true)
                }
                ("addAll", [Value::List(more) | Value::JsonList(more)]) => {
                    let more = more.borrow().clone();
                    items.extend(more);
                    Value::Bool(true)
                }
                ("set", [i, x]) => match i.as_int().and_then(|i| usize::try_from(i).ok()) {
                    Some(i) if i < items.len() => std::mem::replace(&mut items[i], x.clone()),
                    _ => return Err(RenderError("list index out of range".into())),
                },
                ("remove", [i]) => match i.as_int().and_then(|i| usize::try_from(i).ok()) {
                    Some(i) if i < items.len() => items.remove(i),
                    _ => Value::Null,
                },
                ("clear", []) => {
                    items.clear();
                    Value::Null
                }
                _ => return unknown(),
            })
        }
        Value::Map(entries) => {
            let mut entries = entries.borrow_mut();
            Ok(match (method, args) {
                ("get", [k]) => entries.get(&k.to_string()).cloned().unwrap_or_default(),
                ("containsKey", [k]) => Value::Bool(entries.contains_key(&k.to_string())),
                ("containsValue", [v]) => Value::Bool(entries.values().any(|x| x == v)),
                ("size", []) => Value::Int(entries.len() as i64),
                ("isEmpty", []) => Value::Bool(entries.is_empty()),
                ("keySet", []) => {
                    Value::list(entries.keys().map(|k| Value::Str(k.clone())).collect())
                }
                ("values", []) => Value::list(entries.values().cloned().collect()),
                ("entrySet", []) => Value::list(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            Value::map([("key", Value::Str(k.clone())), ("value", v.clone())])
                        })
                        .collect(),
                ),
                ("put", [k, v]) => entries.insert(k.to_string(), v.clone()).unwrap_or_default(),
                ("putAll", [Value::Map(more)]) => {
                    let more = more.borrow().clone();
                    entries.extend(more);
                    Value::Null
                }
                ("remove", [k]) => entries.shift_remove(&k.to_string()).unwrap_or_default(),
                _ => return unknown(),
            })
        }
        Value::Int(i) => Ok(match (method, args) {
            ("intValue" | "longValue", []) => Value::Int(*i),
            ("doubleValue" | "floatValue", []) => Value::Float(*i as f64),
            _ => return unknown(),
        }),
        Value::Float(f) => Ok(match (method, args) {
            ("intValue" | "longValue", []) => Value::Int(*f as i64),
            ("doubleValue" | "floatValue", []) => Value::Float(*f),
            _ => return unknown(),
        }),
        Value::Bool(b) => Ok(match (method, args) {
            ("booleanValue", []) => Value::Bool(*b),
            _ => return unknown(),
        }),
        Value::Null | Value::Host(_) => unknown(),
    }
}

fn index_of(items: &[Value], i: &Value) -> Value {
    i.as_int()
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| items.get(i).cloned())
        .unwrap_or_default()
}

/// `java.lang.String` methods; `None` when there is no such method.
fn string_method(s: &str, method: &str, args: &[Value]) -> Option<Value> {
    let text = |i: usize| args.get(i).map(ToString::to_string).unwrap_or_default();
    let chars: Vec<char> = s.chars().collect();
    // Java indexes strings by UTF-16 unit; by char is the same for the BMP.
    let int = |i: usize| args.get(i).and_then(Value::as_int);
    let substring = |from: i64, to: i64| -> Option<Value> {
        let (from, to) = (usize::try_from(from).ok()?, usize::try_from(to).ok()?);
        (from <= to && to <= chars.len()).then(|| Value::Str(chars[from..to].iter().collect()))
    };
    let position = |found: Option<usize>| {
        Value::Int(found.map_or(-1, |byte| s[..byte].chars().count() as i64))
    };
    Some(match (method, args.len()) {
        ("length", 0) => Value::Int(chars.len() as i64),
        ("isEmpty", 0) => Value::Bool(s.is_empty()),
        ("toLowerCase", 0) => Value::Str(s.to_lowercase()),
        ("toUpperCase", 0) => Value::Str(s.to_uppercase()),
        ("trim", 0) => Value::Str(s.trim().to_owned()),
        ("contains", 1) => Value::Bool(s.contains(&text(0))),
        ("startsWith", 1) => Value::Bool(s.starts_with(&text(0))),
        ("endsWith", 1) => Value::Bool(s.ends_with(&text(0))),
        ("equalsIgnoreCase", 1) => Value::Bool(s.to_lowercase() == text(0).to_lowercase()),
        ("indexOf", 1) => position(s.find(&text(0))),
        ("lastIndexOf", 1) => position(s.rfind(&text(0))),
        ("charAt", 1) => Value::Str(chars.get(usize::try_from(int(0)?).ok()?)?.to_string()),
        ("substring", 1) => substring(int(0)?, chars.len() as i64)?,
        ("substring", 2) => substring(int(0)?, int(1)?)?,
        ("concat", 1) => Value::Str(format!("{s}{}", text(0))),
        ("replace", 2) => Value::Str(s.replace(&text(0), &text(1))),
        ("replaceAll", 2) => {
            let re = regex::Regex::new(&text(0)).ok()?;
            Value::Str(re.replace_all(s, java_replacement(&text(1))).into_owned())
        }
        ("replaceFirst", 2) => {
            let re = regex::Regex::new(&text(0)).ok()?;
            Value::Str(re.replace(s, java_replacement(&text(1))).into_owned())
        }
        ("matches", 1) => {
            let re = regex::Regex::new(&format!("^(?:{})$", text(0))).ok()?;
            Value::Bool(re.is_match(s))
        }
        ("split", 1) => {
            let re = regex::Regex::new(&text(0)).ok()?;
            let mut parts: Vec<&str> = re.split(s).collect();
            // Java drops trailing empty strings.
            while parts.len() > 1 && parts.last() == Some(&"") {
                parts.pop();
            }
            Value::list(parts.into_iter().map(Value::str).collect())
        }
        _ => return None,
    })
}

/// Java's `$1` group references in replacements become the regex crate's `${1}`.
fn java_replacement(replacement: &str) -> String {
    let mut out = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    if next == '$' {
                        out.push_str("$$");
                    } else {
                        out.push(next);
                    }
                }
            }
            '$' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            _ => out.push(c),
        }
    }
    out
}

/// `String.hashCode()`.
fn java_hash(s: &str) -> i64 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    i64::from(h)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::List(_) | Value::JsonList(_) => "a list",
        Value::Map(_) => "a map",
        Value::Host(_) => "an object",
    }
}
