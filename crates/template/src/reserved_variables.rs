//! The environment variables Lambda sets itself and refuses in a function's
//! `Environment.Variables`.

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

/// Refuses `variables` (the evaluated `Environment.Variables` at `path`) when it sets a reserved
/// key, with Lambda's own message, as CloudFormation fails the function's creation with it.
/// `environment` is the `Environment` node at `path`, for the position.
pub(crate) fn check(
    variables: &BTreeMap<String, String>,
    environment: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    let used: Vec<&str> = variables
        .keys()
        .map(String::as_str)
        .filter(|key| RESERVED.contains(key))
        .collect();
    let Some(first) = used.first() else {
        return Ok(());
    };
    let listed = environment.get("Variables");
    let at = listed
        .and_then(|vars| vars.get(first))
        .or(listed)
        .unwrap_or(environment);
    Err(resolver.error_hint(
        at,
        &join_path(path, &format!("Variables.{first}")),
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
    ))
}
