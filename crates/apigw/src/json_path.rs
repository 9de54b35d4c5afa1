//! The JSONPath API Gateway's `$input.json()` / `$input.path()` and parameter mappings accept —
//! Goessner's, which AWS's docs link as "JSONPath expression": `$`, `.name`, `['name']`, `[n]`
//! (negative from the end), the wildcards `.*` / `[*]`, recursive descent `..`, unions `[a,b]`
//! and slices `[start:end:step]`. A path with any of the last four selects a list.
//! Filters (`[?(…)]`) and script expressions are not supported: such a path is an error.
//!
//! Our own because the crates that implement RFC 9535 (`serde_json_path`, `jsonpath-rust`) return
//! node lists and bring a parser-combinator dependency.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    /// An array index; negative counts from the end.
    Index(i64),
    Wildcard,
    /// `..`: the current values and everything below them, each before its children.
    Descendants,
    /// `[a,b]`: the keys or indexes listed, in that order.
    Union(Vec<Step>),
    /// `[start:end:step]` of an array (Python's slice rules).
    Slice(Option<i64>, Option<i64>, i64),
}

impl Step {
    /// Whether the step can select more than one value (the path then selects a list).
    fn is_indefinite(&self) -> bool {
        matches!(
            self,
            Step::Wildcard | Step::Descendants | Step::Union(_) | Step::Slice(..)
        )
    }
}

/// Why a path is not one API Gateway accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath {path:?}: {reason}")]
pub(crate) struct PathError {
    path: String,
    reason: &'static str,
}

/// The value `path` selects in `document`: `None` when nothing matches; a list when the path can
/// select several values (wildcards, `..`, unions, slices).
pub(crate) fn select(document: &Value, path: &str) -> Result<Option<Value>, PathError> {
    let steps = parse(path)?;
    let indefinite = steps.iter().any(Step::is_indefinite);
    let mut current: Vec<&Value> = vec![document];
    for step in &steps {
        let mut next = Vec::new();
        for value in current {
            apply(step, value, &mut next);
        }
        current = next;
    }
    Ok(if indefinite {
        Some(Value::Array(current.into_iter().cloned().collect()))
    } else {
        current.first().map(|v| (*v).clone())
    })
}

/// What `step` selects from `value`, appended to `out` in document order.
fn apply<'v>(step: &Step, value: &'v Value, out: &mut Vec<&'v Value>) {
    match (step, value) {
        (Step::Key(key), Value::Object(map)) => out.extend(map.get(key)),
        (Step::Index(i), Value::Array(items)) => {
            out.extend(position(*i, items.len()).map(|i| &items[i]))
        }
        (Step::Wildcard, Value::Array(items)) => out.extend(items.iter()),
        (Step::Wildcard, Value::Object(map)) => out.extend(map.values()),
        (Step::Descendants, _) => descendants(value, out),
        (Step::Union(parts), _) => {
            for part in parts {
                apply(part, value, out);
            }
        }
        (Step::Slice(start, end, step), Value::Array(items)) => {
            let len = items.len() as i64;
            let clamp = |bound: i64| {
                if bound < 0 {
                    (bound + len).max(0)
                } else {
                    bound.min(len)
                }
            };
            let (from, to) = (start.map_or(0, clamp), end.map_or(len, clamp));
            let mut i = from;
            while i < to {
                out.push(&items[i as usize]);
                i += step;
            }
        }
        _ => {}
    }
}

/// An index into a list of `len`, negative from the end; `None` outside it.
fn position(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let index = if index < 0 { index + len } else { index };
    (0..len).contains(&index).then_some(index as usize)
}

/// `value` and everything below it, each value before its children.
fn descendants<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    out.push(value);
    match value {
        Value::Array(items) => items.iter().for_each(|item| descendants(item, out)),
        Value::Object(map) => map.values().for_each(|item| descendants(item, out)),
        _ => {}
    }
}

fn parse(path: &str) -> Result<Vec<Step>, PathError> {
    let error = |reason| PathError {
        path: path.to_owned(),
        reason,
    };
    let chars: Vec<char> = path.trim().chars().collect();
    if chars.first() != Some(&'$') {
        return Err(error("a path starts with $"));
    }
    let mut steps = Vec::new();
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                if chars.get(i) == Some(&'.') {
                    steps.push(Step::Descendants);
                    i += 1;
                    // `$..[0]` and `$..['a']`: the bracket is the next step.
                    if chars.get(i) == Some(&'[') {
                        continue;
                    }
                }
                if chars.get(i) == Some(&'*') {
                    steps.push(Step::Wildcard);
                    i += 1;
                    continue;
                }
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                if start == i {
                    return Err(error("a name must follow ."));
                }
                steps.push(Step::Key(chars[start..i].iter().collect()));
            }
            '[' => {
                i += 1;
                let close = chars[i..]
                    .iter()
                    .scan(None, |quote: &mut Option<char>, c| {
                        match (*quote, *c) {
                            (None, '\'' | '"') => *quote = Some(*c),
                            (Some(q), c) if c == q => *quote = None,
                            _ => {}
                        }
                        Some((*quote, *c))
                    })
                    .position(|(quote, c)| quote.is_none() && c == ']')
                    .map(|offset| i + offset)
                    .ok_or_else(|| error("expected ]"))?;
                let inside: String = chars[i..close].iter().collect();
                steps.push(bracket(inside.trim()).ok_or_else(|| {
                    error("expected an index, a quoted name, *, a union or a slice")
                })?);
                i = close + 1;
            }
            _ => return Err(error("expected . or [")),
        }
    }
    Ok(steps)
}

/// What a `[…]` holds: `*`, a slice, a union, a quoted name or an index.
fn bracket(inside: &str) -> Option<Step> {
    if inside == "*" {
        return Some(Step::Wildcard);
    }
    if inside.starts_with('?') || inside.starts_with('(') {
        return None;
    }
    // One quoted name: `'a'`, not the union `'a','b'`.
    let is_quoted = |s: &str| {
        ['\'', '"'].into_iter().any(|q| {
            s.len() >= 2 && s.starts_with(q) && s.ends_with(q) && !s[1..s.len() - 1].contains(q)
        })
    };
    if !is_quoted(inside) && inside.contains(':') {
        let parts: Vec<&str> = inside.split(':').map(str::trim).collect();
        if parts.len() > 3 {
            return None;
        }
        let bound = |s: &str| -> Option<Option<i64>> {
            if s.is_empty() {
                Some(None)
            } else {
                s.parse().ok().map(Some)
            }
        };
        let step = match parts.get(2) {
            Some(s) if !s.is_empty() => s.parse().ok().filter(|step: &i64| *step > 0)?,
            _ => 1,
        };
        return Some(Step::Slice(bound(parts[0])?, bound(parts[1])?, step));
    }
    let single = |part: &str| -> Option<Step> {
        if is_quoted(part) {
            Some(Step::Key(part[1..part.len() - 1].to_owned()))
        } else {
            part.parse().ok().map(Step::Index)
        }
    };
    if !is_quoted(inside) && inside.contains(',') {
        return split_outside_quotes(inside)
            .into_iter()
            .map(|part| single(part.trim()))
            .collect::<Option<Vec<_>>>()
            .map(Step::Union);
    }
    single(inside)
}

/// `text` split at the commas outside quotes.
fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quote, mut start) = (None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ',') => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_as_api_gateway_does() {
        let doc = json!({"a": {"b": [10, {"c": "x"}]}, "odd key": 1, "list": [{"n": 1}, {"n": 2}]});
        for (path, expected) in [
            ("$", Some(doc.clone())),
            ("$.a.b[0]", Some(json!(10))),
            ("$.a.b[1].c", Some(json!("x"))),
            ("$['odd key']", Some(json!(1))),
            ("$[\"a\"]['b'][1]['c']", Some(json!("x"))),
            ("$.list[*].n", Some(json!([1, 2]))),
            ("$.list.*.n", Some(json!([1, 2]))),
            ("$.missing", None),
            ("$.a.b[7]", None),
            ("$.a.b[-1].c", Some(json!("x"))),
            ("$.a.b[-3]", None),
            // Recursive descent: each match before the ones below it, in document order.
            ("$..n", Some(json!([1, 2]))),
            ("$..c", Some(json!(["x"]))),
            ("$.a..[0]", Some(json!([10]))),
            ("$..nothing", Some(json!([]))),
            ("$.list[0,1].n", Some(json!([1, 2]))),
            ("$['odd key','a'].b[0]", Some(json!([10]))),
            ("$['a,b', 'odd key']", Some(json!([1]))),
            ("$.list[-1:].n", Some(json!([2]))),
            ("$.a.b[:1]", Some(json!([10]))),
            ("$.list[0:2:2].n", Some(json!([1]))),
        ] {
            assert_eq!(select(&doc, path).expect(path), expected, "{path}");
        }
        let nested = json!({"a": {"name": "deep"}, "name": "top"});
        assert_eq!(
            select(&nested, "$..name").expect("valid"),
            Some(json!(["top", "deep"]))
        );
        for bad in [
            "a.b",
            "$.",
            "$[x]",
            "$['open",
            "$.list[?(@.n > 1)]",
            "$[1:2:0]",
        ] {
            assert!(select(&doc, bad).is_err(), "{bad}");
        }
    }
}
