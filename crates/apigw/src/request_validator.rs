//! Phase validate (REST APIs): a method's request validator checks the required parameters, then
//! the body against the method's model (JSON Schema draft 4), before anything is invoked.
//!
//! AWS: a parameter is missing when absent or blank; the 400 names the missing ones
//! (`Missing required request parameters: [a, b]`); a body is checked only when its content type is
//! the model's (or the model is `$default`); an empty body is validated as `{}`. A failed body carries
//! the list `$context.error.validationErrorString` shows, in the wording of the validator AWS runs
//! (java-json-tools' json-schema-validator): recorded answers read
//! `[object has missing required properties (["schedule","team"])]` and
//! `[ECMA 262 regex "[A-Za-z0-9]{4,10}" does not match input string "n@me!!"]`.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;
use sluice_template::RequestValidation;

use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;
use crate::request_values::{Location, MethodRequest, Parameter};
use crate::route_table::RouteMatch;

/// A compiled request validator.
pub(crate) struct RequestValidator {
    /// The body's schema and the content type it applies to.
    body: Option<(jsonschema::Validator, String)>,
    /// `method.request.<where>.<name>` of each required parameter, sorted.
    required: Vec<String>,
}

impl std::fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestValidator")
            .field("body", &self.body.as_ref().map(|(_, ct)| ct))
            .field("required", &self.required)
            .finish()
    }
}

impl RequestValidator {
    /// Compiles a method's validation; `Err` says why its schema is not a draft-4 schema.
    pub fn compile(validation: &RequestValidation) -> Result<RequestValidator, String> {
        let body = match &validation.body_schema {
            Some(schema) => {
                let compiled = jsonschema::draft4::new(schema).map_err(|e| e.to_string())?;
                Some((compiled, validation.body_content_type.clone()))
            }
            None => None,
        };
        let mut required = validation.required_parameters.clone();
        required.sort();
        required.dedup();
        Ok(RequestValidator { body, required })
    }

    /// Checks the request; the error is the 400 API Gateway answers.
    pub fn check(&self, ex: &Exchange, route: &RouteMatch) -> Result<(), GatewayError> {
        let request = MethodRequest::new(&ex.headers, ex.query.as_deref(), &route.path_parameters);
        let missing: Vec<String> = self
            .required
            .iter()
            .filter_map(|key| {
                let parameter = Parameter::parse(key)?;
                let present = match parameter.location {
                    // Presence only: the header as the client sent it.
                    Location::Header => ex
                        .header(parameter.name)
                        .is_some_and(|v| !v.trim().is_empty()),
                    Location::QueryString => request
                        .value(parameter)
                        .is_some_and(|v| !v.trim().is_empty()),
                    Location::Path => request.value(parameter).is_some_and(|v| !v.is_empty()),
                    Location::MultiValueHeader | Location::MultiValueQueryString => true,
                };
                (!present).then(|| parameter.name.to_owned())
            })
            .collect();
        if !missing.is_empty() {
            return Err(GatewayError::MissingParameters(missing));
        }
        let Some((schema, content_type)) = &self.body else {
            return Ok(());
        };
        let request_type = ex
            .header("content-type")
            .map(|ct| media_type(&ct))
            .unwrap_or_else(|| "application/json".to_owned());
        if content_type != "$default" && *content_type != request_type {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&ex.body);
        let instance = if text.trim().is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&text)
                .map_err(|_| GatewayError::InvalidBody(format!("[{UNPARSABLE_BODY}]")))?
        };
        let messages = validation_messages(schema, &instance);
        if messages.is_empty() {
            return Ok(());
        }
        Err(GatewayError::InvalidBody(format!(
            "[{}]",
            messages.join(", ")
        )))
    }
}

/// AWS's message for a body that is not JSON (as a client of an API Gateway API recorded it).
const UNPARSABLE_BODY: &str = "Unknown error parsing request body";

/// The body's schema violations, one message each, worded as AWS's validator words them; the
/// missing required properties of one object make one message, as there.
fn validation_messages(schema: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    let mut messages = Vec::new();
    // (the object's location, its missing properties) while consecutive `required` errors last
    let mut missing: Option<(String, Vec<Value>)> = None;
    for error in schema.iter_errors(instance) {
        if let ValidationErrorKind::Required { property } = error.kind() {
            let at = error.instance_path().as_str().to_owned();
            match &mut missing {
                Some((object, names)) if *object == at => names.push(property.clone()),
                _ => {
                    messages.extend(missing.take().map(missing_message));
                    missing = Some((at, vec![property.clone()]));
                }
            }
            continue;
        }
        messages.extend(missing.take().map(missing_message));
        messages.push(message(&error));
    }
    messages.extend(missing.map(missing_message));
    messages
}

fn missing_message((_, names): (String, Vec<Value>)) -> String {
    format!(
        "object has missing required properties ({})",
        Value::Array(names)
    )
}

/// One violation in java-json-tools' wording for the keywords models use most; any other keeps
/// the Rust validator's own message.
fn message(error: &jsonschema::ValidationError<'_>) -> String {
    let instance: &Value = error.instance();
    let text = || instance.as_str().unwrap_or_default();
    match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let allowed: Vec<&str> = match kind {
                TypeKind::Single(t) => vec![t.as_str()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.as_str()).collect(),
            };
            let mut allowed: Vec<Value> = allowed.into_iter().map(Value::from).collect();
            allowed.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            format!(
                "instance type ({}) does not match any allowed primitive type (allowed: {})",
                type_name(instance),
                Value::Array(allowed)
            )
        }
        ValidationErrorKind::Enum { options } => format!(
            "instance value ({instance}) not found in enum (possible values: {options})"
        ),
        ValidationErrorKind::MinLength { limit } => format!(
            "string {instance} is too short (length: {}, required minimum: {limit})",
            text().chars().count()
        ),
        ValidationErrorKind::MaxLength { limit } => format!(
            "string {instance} is too long (length: {}, maximum allowed: {limit})",
            text().chars().count()
        ),
        ValidationErrorKind::Pattern { pattern } => {
            format!("ECMA 262 regex \"{pattern}\" does not match input string {instance}")
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let mut names = unexpected.clone();
            names.sort();
            format!(
                "object instance has properties which are not allowed by the schema: {}",
                Value::from(names)
            )
        }
        ValidationErrorKind::Minimum { limit } => format!(
            "numeric instance is lower than the required minimum (minimum: {limit}, found: {instance})"
        ),
        ValidationErrorKind::Maximum { limit } => format!(
            "numeric instance is greater than the required maximum (maximum: {limit}, found: {instance})"
        ),
        ValidationErrorKind::MinItems { limit } => format!(
            "array is too short: must have at least {limit} elements but instance has {} elements",
            instance.as_array().map_or(0, Vec::len)
        ),
        ValidationErrorKind::MaxItems { limit } => format!(
            "array is too long: must have at most {limit} elements but instance has {} elements",
            instance.as_array().map_or(0, Vec::len)
        ),
        _ => error.to_string(),
    }
}

/// The instance's type as that validator names it (`integer` for a whole number).
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `application/json; charset=utf-8` → `application/json`.
pub(crate) fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(schema: Value, instance: Value) -> Vec<String> {
        let schema = jsonschema::draft4::new(&schema).expect("a draft-4 schema");
        validation_messages(&schema, &instance)
    }

    #[test]
    fn an_objects_missing_properties_make_one_message_in_the_schemas_order() {
        // Recorded from AWS (aws-samples/serverless-samples apigw-eventbridge-schema-validation).
        let schema = json!({
            "type": "object",
            "properties": {"detail": {"type": "object", "required": ["schedule", "team"]}},
        });
        assert_eq!(
            messages(schema, json!({"detail": {"surgery": {}}})),
            [r#"object has missing required properties (["schedule","team"])"#]
        );
    }

    #[test]
    fn a_pattern_mismatch_names_the_regex_and_the_string() {
        // Recorded from AWS (stevenalexander/aws-lambda-request-validation README).
        let schema =
            json!({"properties": {"username": {"type": "string", "pattern": "[A-Za-z0-9]{4,10}"}}});
        assert_eq!(
            messages(schema, json!({"username": "n@me!!"})),
            [r#"ECMA 262 regex "[A-Za-z0-9]{4,10}" does not match input string "n@me!!""#]
        );
    }

    #[test]
    fn each_violation_is_one_message() {
        let schema = json!({
            "type": "object",
            "required": ["name"],
            "additionalProperties": false,
            "properties": {
                "age": {"type": "integer", "minimum": 18},
                "tags": {"type": "array", "maxItems": 1},
                "size": {"enum": ["S", "M"]},
                "code": {"type": ["string", "null"], "minLength": 3},
            },
        });
        let mut found = messages(
            schema,
            json!({"age": 5, "tags": [1, 2], "size": "XL", "code": "ab", "x": 1}),
        );
        found.sort();
        assert_eq!(
            found,
            [
                r#"array is too long: must have at most 1 elements but instance has 2 elements"#,
                r#"instance value ("XL") not found in enum (possible values: ["S","M"])"#,
                r#"numeric instance is lower than the required minimum (minimum: 18, found: 5)"#,
                r#"object has missing required properties (["name"])"#,
                r#"object instance has properties which are not allowed by the schema: ["x"]"#,
                r#"string "ab" is too short (length: 2, required minimum: 3)"#,
            ]
        );
        assert_eq!(
            messages(json!({"type": ["string", "null"]}), json!(7)),
            [
                r#"instance type (integer) does not match any allowed primitive type (allowed: ["null","string"])"#
            ]
        );
    }

    #[test]
    fn a_valid_body_has_no_messages() {
        let schema = json!({"type": "object", "required": ["a"]});
        assert!(messages(schema, json!({"a": 1})).is_empty());
    }
}
