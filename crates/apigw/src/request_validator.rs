//! Phase validate (REST APIs): a method's request validator checks the required parameters, then
//! the body against the method's model (JSON Schema draft 4), before anything is invoked.
//!
//! AWS: a parameter is missing when absent or blank; the 400 names the missing ones
//! (`Missing required request parameters: [a, b]`); a body is checked only when its content type is
//! the model's (or the model is `$default`); an empty body is validated as `{}`.

use sluice_template::RequestValidation;

use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;
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
        let missing: Vec<String> = self
            .required
            .iter()
            .filter_map(|key| {
                let rest = key.strip_prefix("method.request.")?;
                let (location, name) = rest.split_once('.')?;
                let present = match location {
                    "querystring" => query_value(ex, name).is_some_and(|v| !v.trim().is_empty()),
                    "header" => ex.header(name).is_some_and(|v| !v.trim().is_empty()),
                    "path" => route
                        .path_parameters
                        .iter()
                        .any(|(k, v)| k == name && !v.is_empty()),
                    _ => true,
                };
                (!present).then(|| name.to_owned())
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
                .map_err(|e| GatewayError::InvalidBody(format!("not JSON: {e}")))?
        };
        schema
            .validate(&instance)
            .map_err(|e| GatewayError::InvalidBody(e.to_string()))
    }
}

/// The last value of a query parameter, decoded.
fn query_value(ex: &Exchange, name: &str) -> Option<String> {
    let query = ex.query.as_deref()?;
    crate::request_event::parse_query(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, values)| values.last().cloned())
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
