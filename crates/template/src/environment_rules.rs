//! What Lambda refuses in a function's `Environment.Variables` (CloudFormation then fails the
//! function's creation with Lambda's message): names that are not identifiers of two characters
//! or more, the variables Lambda reserves for itself, and more than 4 KB in all.

use std::collections::BTreeMap;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::yaml_tree::Node;

/// Lambda's reserved keys, as its developer guide lists them ("Defined runtime environment
/// variables"). `TZ`, `LANG`, `PATH` and the other search paths are not among them: a function
/// may set those.
const RESERVED: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// The most `Environment.Variables` may hold, measured as Lambda measures it: the UTF-8 length
/// of the variables as compact JSON.
const MAX_BYTES: usize = 4 * 1024;

/// Refuses `variables` (the evaluated `Environment.Variables` of the `Environment` node at
/// `path`) as Lambda would, with Lambda's own message, at the first offending variable.
pub(crate) fn check(
    variables: &BTreeMap<String, String>,
    environment: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    let listed = environment.get("Variables");
    // The node of variable `key` (else the map, else `Environment`), for the position.
    let at = |key: &str| {
        listed
            .and_then(|vars| vars.get(key))
            .or(listed)
            .unwrap_or(environment)
    };
    let variable_path = |key: &str| join_path(path, &format!("Variables.{key}"));
    if let Some(bad) = variables.keys().find(|key| !is_variable_name(key)) {
        return Err(resolver.error_hint(
            at(bad),
            &variable_path(bad),
            "1 validation error detected: Value at 'environment.variables' failed to satisfy \
             constraint: Map keys must satisfy constraint: [Member must satisfy regular \
             expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
            Some(format!(
                "{bad:?} is not a name Lambda takes: a letter, then at least one letter, digit or _"
            )),
        ));
    }
    let used: Vec<&str> = variables
        .keys()
        .map(String::as_str)
        .filter(|key| RESERVED.contains(key))
        .collect();
    if let Some(first) = used.first() {
        return Err(resolver.error_hint(
            at(first),
            &variable_path(first),
            format!(
                "Lambda was unable to configure your environment variables because the environment \
                 variables you have provided contains reserved keys that are currently not supported \
                 for modification. Reserved keys used in this request: {}",
                used.join(", ")
            ),
            Some(format!(
                "Lambda sets {} itself; give the variable another name",
                used.join(", ")
            )),
        ));
    }
    // Serializing a map of strings cannot fail.
    let measured = serde_json::to_string(variables).unwrap_or_default();
    if measured.len() > MAX_BYTES {
        return Err(resolver.error_hint(
            listed.unwrap_or(environment),
            &join_path(path, "Variables"),
            format!(
                "Lambda was unable to configure your environment variables because the environment \
                 variables you have provided exceeded the 4KB limit. String measured: {measured}"
            ),
            Some(format!(
                "the variables measure {} bytes; keep large values elsewhere (SSM Parameter Store, \
                 Secrets Manager, S3) and pass their names",
                measured.len()
            )),
        ));
    }
    Ok(())
}

/// Lambda's pattern for a variable name, `[a-zA-Z]([a-zA-Z0-9_])+`.
fn is_variable_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && key.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
