//! `Authorizer: NAME` (or `DefaultAuthorizer`) on REST and HTTP APIs alike: NONE, AWS_IAM or an
//! entry of the API's `Auth.Authorizers`. A leaf, so both readers share it without a module cycle.

use crate::auth_model::{ApiAuth, RouteAuthorizer};
use crate::auth_props::Props;
use crate::error::TemplateError;

/// The guard `name` selects at `key`; `api_kind` ("API", "HTTP API") words the error.
pub(super) fn authorizer(
    props: &Props<'_, '_>,
    key: &str,
    name: &str,
    api: &ApiAuth,
    api_kind: &str,
) -> Result<RouteAuthorizer, TemplateError> {
    match name {
        "NONE" => Ok(RouteAuthorizer::None),
        "AWS_IAM" => Ok(RouteAuthorizer::Iam),
        _ if api.authorizers.contains_key(name) => Ok(RouteAuthorizer::Named(name.to_owned())),
        _ => Err(props.error_hint(
            key,
            format!("no authorizer named {name:?} in the {api_kind}'s Auth.Authorizers"),
            format!(
                "use one of: NONE, AWS_IAM{}",
                api.authorizers
                    .keys()
                    .map(|k| format!(", {k}"))
                    .collect::<String>()
            ),
        )),
    }
}

/// SAM's refusal of an event's `Authorizer: NONE` on an API without a `DefaultAuthorizer`
/// (samtranslator `push.py`: "'NONE' is only a valid value when a DefaultAuthorizer on the API is
/// specified"): there is no default for it to undo.
pub(super) fn none_without_default(props: &Props<'_, '_>, api_kind: &str) -> TemplateError {
    props.error_hint(
        "Authorizer",
        format!("NONE is only valid when the {api_kind} has a DefaultAuthorizer; SAM refuses the template"),
        "remove Authorizer: NONE (the route is open without a DefaultAuthorizer)".to_owned(),
    )
}
