//! SAM's `--env-vars` file: `{"FunctionLogicalId": {"VAR": "value"}, "Parameters": {"VAR": "value"}}`.
//!
//! As in SAM CLI, `Parameters` applies to every function and a function's own section wins; only
//! variables the template declares for the function are overridden (SAM ignores the rest, and so do
//! we, with a warning so the user is not left guessing).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::ServerError;

/// Parsed overrides, by section name (a function's logical id or name, or `Parameters`).
#[derive(Debug, Default, Clone)]
pub struct EnvVarOverrides(BTreeMap<String, BTreeMap<String, String>>);

impl EnvVarOverrides {
    /// Reads and validates the file.
    pub fn load(path: &Path) -> Result<Self, ServerError> {
        let fail = |message: String| ServerError::EnvVars {
            path: path.to_owned(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        Self::parse(&text).map_err(fail)
    }

    /// Parses the file's JSON text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let Value::Object(sections) = value else {
            return Err(
                "expected a JSON object of sections ({\"FunctionName\": {\"VAR\": \"value\"}})"
                    .into(),
            );
        };
        let mut out = BTreeMap::new();
        for (section, vars) in sections {
            let Value::Object(vars) = vars else {
                return Err(format!(
                    "section {section:?} must be an object of variables"
                ));
            };
            let vars = vars
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect();
            out.insert(section, vars);
        }
        Ok(Self(out))
    }

    /// Applies the overrides to one function's variables; returns the names its own section gives
    /// that were ignored (`Parameters` is meant for whichever functions declare each name).
    /// A section may name the function by name, logical id or, in a nested stack, the bare
    /// logical id (as SAM CLI reads the file); the logical id's section wins.
    pub fn apply(
        &self,
        logical_id: &str,
        name: &str,
        variables: &mut BTreeMap<String, String>,
    ) -> Vec<String> {
        let mut ignored = Vec::new();
        let bare = logical_id.rsplit('/').next().unwrap_or(logical_id);
        let sections = ["Parameters", name, bare, logical_id];
        for (index, section) in sections.iter().enumerate() {
            let Some(section) = self.0.get(*section) else {
                continue;
            };
            for (key, value) in section {
                match variables.get_mut(key) {
                    Some(slot) => *slot = value.clone(),
                    None if index > 0 && !ignored.contains(key) => ignored.push(key.clone()),
                    None => {}
                }
            }
        }
        ignored.retain(|k| !variables.contains_key(k));
        ignored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_section_beats_parameters_and_undeclared_are_ignored() {
        let overrides = EnvVarOverrides::parse(
            r#"{"Parameters": {"A": "global", "B": "global"}, "Fn": {"A": "mine", "C": 3}}"#,
        )
        .unwrap();
        let mut vars = BTreeMap::from([
            ("A".to_owned(), "t".to_owned()),
            ("B".to_owned(), "t".to_owned()),
        ]);
        let ignored = overrides.apply("Fn", "fn-name", &mut vars);
        assert_eq!(vars["A"], "mine");
        assert_eq!(vars["B"], "global");
        assert_eq!(ignored, vec!["C"]);
    }

    #[test]
    fn a_nested_function_takes_the_section_of_its_bare_logical_id() {
        let overrides =
            EnvVarOverrides::parse(r#"{"Parameters": {"A": "global"}, "Fn": {"A": "mine"}}"#)
                .unwrap();
        let mut vars = BTreeMap::from([("A".to_owned(), "t".to_owned())]);
        let ignored = overrides.apply("Child/Fn", "custom-name", &mut vars);
        assert_eq!(vars["A"], "mine");
        assert!(ignored.is_empty());
        // `Parameters` is for the functions that declare its names: no complaint from the others.
        assert!(overrides
            .apply("Other", "other", &mut BTreeMap::new())
            .is_empty());
    }

    #[test]
    fn rejects_non_object_sections() {
        assert!(EnvVarOverrides::parse(r#"{"Fn": "x"}"#).is_err());
        assert!(EnvVarOverrides::parse("[]").is_err());
        assert!(EnvVarOverrides::parse("{").is_err());
    }
}
