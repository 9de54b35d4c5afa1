//! CloudWatch Logs filter patterns, the subset people type: terms that must all appear
//! (`ERROR timeout`), quoted phrases (`"Task timed out"`), alternatives (`?ERROR ?WARN`),
//! exclusions (`ERROR -healthcheck`), and JSON selectors joined by `&&` / `||`
//! (`{ $.level = "ERROR" }`, `{ $.latency > 100 && $.path = "/items*" }`).

use serde_json::Value;

/// A filter pattern that did not parse (CloudWatch answers `InvalidParameterException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid filter pattern {pattern:?}: {reason}")]
pub struct FilterPatternError {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A parsed pattern, ready to test messages.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterPattern {
    /// Empty: every event matches.
    All,
    /// Plain text terms.
    Terms {
        /// Every one must appear.
        all: Vec<String>,
        /// At least one must appear (when there are any).
        any: Vec<String>,
        /// None may appear.
        none: Vec<String>,
    },
    /// A JSON pattern: alternatives (`||`) of conjunctions (`&&`) of comparisons.
    Json(Vec<Vec<Comparison>>),
}

/// `$.a.b OP value` inside a JSON pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    path: Vec<String>,
    op: Op,
    value: Operand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Text(String),
    Number(f64),
}

impl FilterPattern {
    /// Parses `pattern`.
    pub fn parse(pattern: &str) -> Result<Self, FilterPatternError> {
        let error = |reason| FilterPatternError {
            pattern: pattern.to_owned(),
            reason,
        };
        let trimmed = pattern.trim();
        if trimmed.is_empty() {
            return Ok(Self::All);
        }
        if let Some(body) = trimmed.strip_prefix('{') {
            let body = body
                .strip_suffix('}')
                .ok_or_else(|| error("a JSON pattern ends with }"))?;
            let alternatives = body
                .split("||")
                .map(|alt| {
                    alt.split("&&")
                        .map(|c| {
                            parse_comparison(c).ok_or_else(|| error("expected $.field OP value"))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Self::Json(alternatives));
        }
        let (mut all, mut any, mut none) = (Vec::new(), Vec::new(), Vec::new());
        for token in tokens(trimmed).map_err(error)? {
            let (target, text) = match token.strip_prefix('?') {
                Some(rest) => (&mut any, rest),
                None => match token.strip_prefix('-') {
                    Some(rest) if !rest.is_empty() => (&mut none, rest),
                    _ => (&mut all, token.as_str()),
                },
            };
            let text = text.trim_matches('"');
            if !text.is_empty() {
                target.push(text.to_owned());
            }
        }
        Ok(Self::Terms { all, any, none })
    }

    /// Whether `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        match self {
            Self::All => true,
            Self::Terms { all, any, none } => {
                all.iter().all(|t| message.contains(t.as_str()))
                    && (any.is_empty() || any.iter().any(|t| message.contains(t.as_str())))
                    && !none.iter().any(|t| message.contains(t.as_str()))
            }
            Self::Json(alternatives) => {
                let Ok(value) = serde_json::from_str::<Value>(message.trim()) else {
                    return false;
                };
                alternatives
                    .iter()
                    .any(|conj| conj.iter().all(|c| c.holds(&value)))
            }
        }
    }
}

/// Splits on spaces, keeping `"quoted phrases"` (with a leading `?` or `-`) whole.
fn tokens(text: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err("a quoted term is not closed");
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

fn parse_comparison(text: &str) -> Option<Comparison> {
    let text = text.trim();
    let rest = text.strip_prefix("$.")?;
    let op_at = rest.find(['=', '!', '<', '>'])?;
    let path = rest[..op_at]
        .trim()
        .split('.')
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let after = &rest[op_at..];
    let (op, len) = [
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("=", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
    ]
    .into_iter()
    .find(|(s, _)| after.starts_with(s))
    .map(|(s, op)| (op, s.len()))?;
    let raw = after[len..].trim();
    let value = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(text) => Operand::Text(text.to_owned()),
        None => match raw.parse::<f64>() {
            Ok(n) => Operand::Number(n),
            Err(_) => Operand::Text(raw.to_owned()),
        },
    };
    if path.iter().any(String::is_empty) {
        return None;
    }
    Some(Comparison { path, op, value })
}

impl Comparison {
    fn holds(&self, root: &Value) -> bool {
        let Some(found) = self.path.iter().try_fold(root, |v, key| v.get(key)) else {
            return false;
        };
        match &self.value {
            Operand::Number(n) => {
                let Some(x) = found.as_f64() else {
                    return false;
                };
                match self.op {
                    Op::Eq => x == *n,
                    Op::Ne => x != *n,
                    Op::Lt => x < *n,
                    Op::Le => x <= *n,
                    Op::Gt => x > *n,
                    Op::Ge => x >= *n,
                }
            }
            Operand::Text(pattern) => {
                let text = match found {
                    Value::String(s) => s.clone(),
                    Value::Null => "null".to_owned(),
                    other => other.to_string(),
                };
                let equal = wildcard_match(pattern, &text);
                match self.op {
                    Op::Eq => equal,
                    Op::Ne => !equal,
                    // CloudWatch compares strings only for equality.
                    _ => false,
                }
            }
        }
    }
}

/// `*` matches any run of characters (CloudWatch's string wildcard).
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, message: &str) -> bool {
        FilterPattern::parse(pattern).unwrap().matches(message)
    }

    #[test]
    fn terms_phrases_alternatives_and_exclusions() {
        assert!(matches("", "anything"));
        assert!(matches("ERROR timeout", "ERROR: db timeout"));
        assert!(!matches("ERROR timeout", "ERROR: db refused"));
        assert!(!matches("ERROR", "error lowercase"), "case-sensitive");
        assert!(matches(
            "\"Task timed out\"",
            "x Task timed out after 3.00 seconds"
        ));
        assert!(!matches("\"Task timed out\"", "Task was timed out"));
        assert!(matches("?ERROR ?WARN", "WARN disk"));
        assert!(!matches("?ERROR ?WARN", "INFO fine"));
        assert!(matches("ERROR -healthcheck", "ERROR in handler"));
        assert!(!matches("ERROR -healthcheck", "ERROR in healthcheck"));
    }

    #[test]
    fn json_selectors() {
        let line = r#"{"level": "ERROR", "latency": 120, "ctx": {"path": "/items/7"}}"#;
        assert!(matches(r#"{ $.level = "ERROR" }"#, line));
        assert!(!matches(r#"{ $.level = "INFO" }"#, line));
        assert!(matches(
            r#"{ $.latency > 100 && $.ctx.path = "/items*" }"#,
            line
        ));
        assert!(!matches(
            r#"{ $.latency > 200 && $.ctx.path = "/items*" }"#,
            line
        ));
        assert!(matches(r#"{ $.latency > 200 || $.level != "INFO" }"#, line));
        assert!(!matches(r#"{ $.level = "ERROR" }"#, "not json ERROR"));
        assert!(!matches(r#"{ $.missing = "x" }"#, line));
    }

    #[test]
    fn malformed_patterns_are_errors() {
        assert!(FilterPattern::parse("{ $.level = \"x\"").is_err());
        assert!(FilterPattern::parse("{ level = 1 }").is_err());
        assert!(FilterPattern::parse("\"open").is_err());
    }
}
