//! JSON read without copying its strings: what the proxy response mapper parses a function's
//! answer into (issue 13: "the function's response parsed once, borrowed, not copied").
//!
//! Strings without escapes borrow from the payload. Objects keep their keys in document order; a
//! repeated key keeps its first place and takes its last value; numbers are `serde_json::Number`.
//! That is exactly what `serde_json::Value` (with `preserve_order`) gave the mapper before, so
//! status codes, header order and printed numbers (`1.0` stays `1.0`) are unchanged. Written here
//! rather than taken from `serde_json_borrow`, which keeps every repeated key and prints floats
//! with Rust's formatting (`1.0` as `1`).

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// An object's entries: keys in first-appearance order, each once.
pub(crate) type Object<'a> = Vec<(Cow<'a, str>, Json<'a>)>;

/// The value of `key` in `object`.
pub(crate) fn get<'j, 'a>(object: &'j Object<'a>, key: &str) -> Option<&'j Json<'a>> {
    object
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

/// The value of `key`, taken out of `object` so its contents move rather than being copied
/// (the order of the other entries is not kept).
pub(crate) fn take<'a>(object: &mut Object<'a>, key: &str) -> Option<Json<'a>> {
    let at = object.iter().position(|(k, _)| k == key)?;
    Some(object.swap_remove(at).1)
}

/// A JSON value whose strings borrow from the text it was parsed from where they can.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Keys in first-appearance order, each once.
    Object(Object<'a>),
}

impl<'a> Json<'a> {
    /// Parse `payload` (the whole of it: trailing text is an error, as for `serde_json::Value`).
    pub fn parse(payload: &'a [u8]) -> Result<Json<'a>, serde_json::Error> {
        serde_json::from_slice(payload)
    }

    /// A header value as the proxy response mappers read one: strings as they are, numbers and
    /// booleans (`"true"`) printed, `null` skipped (`Ok(None)`); lists and objects are refused.
    pub fn into_header_text(self) -> Result<Option<Cow<'a, str>>, ()> {
        match self {
            Json::String(text) => Ok(Some(text)),
            Json::Number(number) => Ok(Some(Cow::Owned(number.to_string()))),
            Json::Bool(flag) => Ok(Some(Cow::Borrowed(if flag { "true" } else { "false" }))),
            Json::Null => Ok(None),
            Json::Array(_) | Json::Object(_) => Err(()),
        }
    }

    /// The same value as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(flag) => Value::Bool(*flag),
            Json::Number(number) => Value::Number(number.clone()),
            Json::String(text) => Value::String(text.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| (key.to_string(), value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// Printed as serde_json prints the same value (error messages quote it).
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_value().fmt(f)
    }
}

/// A body's text as bytes: moved when it was decoded (owned), copied out of the payload when
/// borrowed.
pub(crate) fn into_bytes(text: Cow<'_, str>) -> Bytes {
    match text {
        Cow::Borrowed(text) => Bytes::copy_from_slice(text.as_bytes()),
        Cow::Owned(text) => Bytes::from(text),
    }
}

/// A proxy answer's body as bytes: base64-decoded when the answer says it is encoded (`None` when
/// it is not valid base64), else its text.
pub(crate) fn body_bytes(text: Cow<'_, str>, base64: bool) -> Option<Bytes> {
    if !base64 {
        return Some(into_bytes(text));
    }
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .map(Bytes::from)
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(flag))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        // As serde_json's own `Value` does (JSON text has no NaN or infinity to give).
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E>(self, text: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(text)))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        Json::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut entries: Object<'de> = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            let value: Json<'de> = map.next_value()?;
            // Objects here are a handful of keys: a scan beats a map.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some((_, earlier)) => *earlier = value,
                None => entries.push((key, value)),
            }
        }
        Ok(Json::Object(entries))
    }
}

/// An object key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E>(self, text: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the text, the parse agrees with serde_json's `Value` (or both refuse it).
    #[test]
    fn parses_as_serde_json_value_does() {
        for text in [
            r#"{"b":1,"a":[true,null,"x"],"b":{"c":2.0}}"#,
            r#"{"k":"a\"b","k2":"\u00e9","\u006b3":1e20,"n":-5,"f":1.5,"big":18446744073709551615}"#,
            r#"  [1, "two", {"three": [3]}]  "#,
            r#""just a string""#,
            "0.1",
            "{}",
            "not json",
            r#"{"a":1} trailing"#,
            "",
        ] {
            let ours = Json::parse(text.as_bytes()).map(|json| json.to_value());
            let theirs = serde_json::from_str::<Value>(text);
            match (ours, theirs) {
                (Ok(ours), Ok(theirs)) => {
                    assert_eq!(ours, theirs, "{text}");
                    // The same order and printed numbers, not only equal maps.
                    assert_eq!(ours.to_string(), theirs.to_string(), "{text}");
                }
                (Err(_), Err(_)) => {}
                (ours, theirs) => panic!("{text}: {ours:?} against {theirs:?}"),
            }
        }
    }

    #[test]
    fn strings_borrow_unless_escaped_and_repeated_keys_keep_their_first_place() {
        let text = br#"{"plain":"abc","escaped":"a\nb","plain":"last"}"#;
        let Ok(Json::Object(entries)) = Json::parse(text) else {
            panic!("an object");
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, ["plain", "escaped"]);
        assert!(matches!(&entries[0].0, Cow::Borrowed("plain")));
        assert!(matches!(&entries[0].1, Json::String(Cow::Borrowed("last"))));
        assert!(matches!(&entries[1].1, Json::String(Cow::Owned(s)) if s == "a\nb"));
    }
}
