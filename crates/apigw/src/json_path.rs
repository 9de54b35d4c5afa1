//! The JSONPath subset API Gateway's `$input.json()` / `$input.path()` accept: `$`, `.name`,
//! `['name']`, `[n]`, and the wildcards `.*` / `[*]` (which collect matches into a list).
//!
//! Our own because the crates that implement RFC 9535 (`serde_json_path`, `jsonpath-rust`) return
//! node lists and bring a parser-combinator dependency for four forms.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    Wildcard,
}

/// Why a path is not one API Gateway accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath {path:?}: {reason}")]
pub(crate) struct PathError {
    path: String,
    reason: &'static str,
}

/// The value `path` selects in `document`: `None` when nothing matches; a list when the path has a
/// wildcard.
pub(crate) fn select(document: &Value, path: &str) -> Result<Option<Value>, PathError> {
    let steps = parse(path)?;
    let wildcard = steps.contains(&Step::Wildcard);
    let mut current: Vec<&Value> = vec![document];
    for step in &steps {
        let mut next = Vec::new();
        for value in current {
            match (step, value) {
                (Step::Key(key), Value::Object(map)) => next.extend(map.get(key)),
                (Step::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                (Step::Wildcard, Value::Array(items)) => next.extend(items.iter()),
                (Step::Wildcard, Value::Object(map)) => next.extend(map.values()),
                _ => {}
            }
        }
        current = next;
    }
    Ok(if wildcard {
        Some(Value::Array(current.into_iter().cloned().collect()))
    } else {
        current.first().map(|v| (*v).clone())
    })
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
                match chars.get(i) {
                    Some(quote @ ('\'' | '"')) => {
                        let quote = *quote;
                        i += 1;
                        let start = i;
                        while i < chars.len() && chars[i] != quote {
                            i += 1;
                        }
                        if i >= chars.len() {
                            return Err(error("unclosed quote"));
                        }
                        steps.push(Step::Key(chars[start..i].iter().collect()));
                        i += 1;
                    }
                    Some('*') => {
                        steps.push(Step::Wildcard);
                        i += 1;
                    }
                    _ => {
                        let start = i;
                        while i < chars.len() && chars[i].is_ascii_digit() {
                            i += 1;
                        }
                        let digits: String = chars[start..i].iter().collect();
                        let index = digits.parse().map_err(|_| error("expected an index"))?;
                        steps.push(Step::Index(index));
                    }
                }
                if chars.get(i) != Some(&']') {
                    return Err(error("expected ]"));
                }
                i += 1;
            }
            _ => return Err(error("expected . or [")),
        }
    }
    Ok(steps)
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
        ] {
            assert_eq!(select(&doc, path).expect(path), expected, "{path}");
        }
        for bad in ["a.b", "$.", "$[x]", "$['open"] {
            assert!(select(&doc, bad).is_err(), "{bad}");
        }
    }
}
