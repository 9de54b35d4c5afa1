//! Plain YAML (no CloudFormation tags) → JSON values, for YAML files that are not templates
//! (SAM's `samconfig.yaml`), with the same parser and positioned errors as templates.

use std::path::Path;

use serde_json::Value;

use crate::error::TemplateError;
use crate::yaml_tree::{self, Kind, Node, Style};

/// Reads a YAML document as JSON: plain `true`/`false`, numbers and nulls are typed as YAML's core
/// schema types them; quoted scalars stay strings. An empty document is `null`.
pub fn yaml_to_json(source: &str, file: &Path) -> Result<Value, TemplateError> {
    // A repeated key takes its last value, as for templates; there is nowhere to say so here.
    let mut repeated = Vec::new();
    Ok(yaml_tree::parse(source, file, &mut repeated)?.map_or(Value::Null, |root| to_json(&root)))
}

/// One node as JSON, scalars typed as [`yaml_to_json`] types them.
pub(crate) fn to_json(node: &Node) -> Value {
    match &node.kind {
        Kind::Scalar(text, Style::Quoted) => Value::String(text.clone()),
        Kind::Scalar(_, Style::Plain) if node.is_null() => Value::Null,
        Kind::Scalar(text, Style::Plain) => match text.as_str() {
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => text
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| {
                    text.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                })
                .unwrap_or_else(|| Value::String(text.clone())),
        },
        Kind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        Kind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_typed_like_yaml_core_schema() {
        let value = yaml_to_json(
            "a: true\nb: 3000\nc: \"3000\"\nd: [x, 1.5]\ne: ~\nf: EAGER\n",
            Path::new("samconfig.yaml"),
        )
        .unwrap();
        assert_eq!(
            value,
            serde_json::json!({"a": true, "b": 3000, "c": "3000", "d": ["x", 1.5], "e": null, "f": "EAGER"})
        );
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let err = yaml_to_json("a: [1,\n", Path::new("samconfig.yaml")).unwrap_err();
        assert!(err.to_string().starts_with("samconfig.yaml:"), "{err}");
    }
}
