//! `Parameters`: defaults, `--parameter-overrides`, type and constraint checks.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::TemplateError;
use crate::yaml_tree::{Kind, Node};

/// A parameter's resolved value: a string, or a list for `CommaDelimitedList` / `List<…>` types.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParamValue {
    /// `String`, `Number` and everything else that is not a list.
    Scalar(String),
    /// `CommaDelimitedList`, `List<Number>`, `List<AWS::…>`.
    List(Vec<String>),
}

/// Resolves every parameter of the template: override, else `Default`, else its own name.
pub(crate) fn resolve(
    parameters: Option<&Node>,
    overrides: &BTreeMap<String, String>,
    file: &Path,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, ParamValue>, TemplateError> {
    let error =
        |at: &Node, path: String, message: String, hint: Option<String>| TemplateError::Invalid {
            file: file.to_path_buf(),
            line: at.line,
            col: at.col,
            property: path,
            message,
            hint,
        };
    let mut out = BTreeMap::new();
    let entries = match parameters {
        None => &[][..],
        Some(p) if p.is_null() => &[][..],
        Some(p) => match p.entries() {
            Some(entries) => entries,
            None => {
                return Err(error(
                    p,
                    "Parameters".into(),
                    format!("expected a mapping, found {}", p.shape()),
                    None,
                ))
            }
        },
    };
    for (name, definition) in entries {
        let path = format!("Parameters.{name}");
        if definition.entries().is_none() {
            return Err(error(
                definition,
                path,
                format!("expected a mapping, found {}", definition.shape()),
                None,
            ));
        }
        let ty = definition
            .get("Type")
            .and_then(Node::as_str)
            .unwrap_or("String");
        let is_list = ty == "CommaDelimitedList" || ty.starts_with("List<");
        let is_number = ty == "Number" || ty == "List<Number>";
        // Where a bad value came from, for the message: the override or the Default node.
        let (text, at, source) = match (overrides.get(name), definition.get("Default")) {
            (Some(value), _) => (value.clone(), definition, "from --parameter-overrides"),
            (None, Some(default)) => match &default.kind {
                Kind::Scalar(s, _) => (s.clone(), default, "Default"),
                // A YAML list default for a list type: join it as CloudFormation would read it.
                Kind::Seq(items) if is_list => {
                    let parts: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
                    (parts.join(","), default, "Default")
                }
                _ => {
                    return Err(error(
                        default,
                        format!("{path}.Default"),
                        "a parameter default must be a string".into(),
                        None,
                    ))
                }
            },
            (None, None) => {
                // SAM CLI: a parameter nobody gave a value resolves to its own name, so templates
                // written for `sam deploy --guided` still run; where the value matters (a CodeUri,
                // a table name) the name shows up in that property's error or behaviour.
                warnings.push(format!(
                    "{path}: no Default and no override; its value is its name {name:?}, as in SAM CLI (pass --parameter-overrides {name}=<value>)"
                ));
                let value = if is_list {
                    ParamValue::List(vec![name.clone()])
                } else {
                    ParamValue::Scalar(name.clone())
                };
                out.insert(name.clone(), value);
                continue;
            }
        };
        let value = if is_list {
            ParamValue::List(if text.is_empty() {
                Vec::new()
            } else {
                text.split(',').map(|s| s.trim().to_string()).collect()
            })
        } else {
            ParamValue::Scalar(text)
        };
        let items: Vec<&str> = match &value {
            ParamValue::Scalar(s) => vec![s.as_str()],
            ParamValue::List(items) => items.iter().map(String::as_str).collect(),
        };
        for item in items {
            if let Some(message) = check(name, item, definition, is_number) {
                let hint = allowed_values(definition)
                    .map(|allowed| format!("use one of: {}", allowed.join(", ")));
                let property = if source == "Default" {
                    format!("{path}.Default")
                } else {
                    path.clone()
                };
                return Err(error(at, property, format!("{message} ({source})"), hint));
            }
        }
        out.insert(name.clone(), value);
    }
    for name in overrides.keys() {
        if !out.contains_key(name) {
            warnings.push(format!(
                "--parameter-overrides: {name} is not a parameter of this template (ignored)"
            ));
        }
    }
    Ok(out)
}

fn allowed_values(definition: &Node) -> Option<Vec<&str>> {
    match &definition.get("AllowedValues")?.kind {
        Kind::Seq(items) => Some(items.iter().filter_map(Node::as_str).collect()),
        _ => None,
    }
}

/// The first constraint `value` breaks, as a message naming the parameter.
fn check(name: &str, value: &str, definition: &Node, is_number: bool) -> Option<String> {
    if let Some(allowed) = allowed_values(definition) {
        if !allowed.contains(&value) {
            return Some(format!(
                "{value:?} is not an allowed value of parameter {name}"
            ));
        }
    }
    let number = |key: &str| {
        definition
            .get(key)
            .and_then(Node::as_str)
            .and_then(|s| s.trim().parse::<f64>().ok())
    };
    if is_number {
        let Ok(n) = value.trim().parse::<f64>() else {
            return Some(format!(
                "{value:?} is not a number, and parameter {name} is a Number"
            ));
        };
        if let Some(min) = number("MinValue").filter(|min| n < *min) {
            return Some(format!(
                "{value} is below MinValue {min} of parameter {name}"
            ));
        }
        if let Some(max) = number("MaxValue").filter(|max| n > *max) {
            return Some(format!(
                "{value} is above MaxValue {max} of parameter {name}"
            ));
        }
    }
    let length = value.chars().count() as f64;
    if let Some(min) = number("MinLength").filter(|min| length < *min) {
        return Some(format!(
            "{value:?} is shorter than MinLength {min} of parameter {name}"
        ));
    }
    if let Some(max) = number("MaxLength").filter(|max| length > *max) {
        return Some(format!(
            "{value:?} is longer than MaxLength {max} of parameter {name}"
        ));
    }
    None
}

/// Parses `--parameter-overrides` in SAM's `ParameterKey=K,ParameterValue=V …` form or the short
/// `K=V K2=V2` form. Values may be quoted with `"…"` or `'…'` to hold spaces.
pub fn parse_parameter_overrides(s: &str) -> Result<BTreeMap<String, String>, TemplateError> {
    let error = |message: String| TemplateError::ParameterOverrides { message };
    let mut out = BTreeMap::new();
    for token in split_words(s).map_err(error)? {
        let (key, value) = if let Some(rest) = token.strip_prefix("ParameterKey=") {
            match rest.split_once(",ParameterValue=") {
                Some((key, value)) => (key.to_string(), value.to_string()),
                None => {
                    return Err(error(format!(
                        "{token:?} has ParameterKey but no ,ParameterValue="
                    )))
                }
            }
        } else {
            match token.split_once('=') {
                Some((key, value)) => (key.to_string(), value.to_string()),
                None => return Err(error(format!("{token:?} is not KEY=VALUE"))),
            }
        };
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(error(format!(
                "{key:?} is not a parameter name (letters and digits only)"
            )));
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// Splits on whitespace outside quotes and removes the quotes, as a shell would.
fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("unterminated {q} quote"));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}
