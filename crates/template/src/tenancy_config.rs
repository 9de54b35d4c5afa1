//! `TenancyConfig` of a function: Lambda's tenant isolation mode (AWS::Lambda::Function and SAM's
//! `AWS::Serverless::Function`, which passes it through).

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::yaml_tree::Node;

/// Whether `TenancyConfig` (the property node at `path`, if written) turns tenant isolation on.
///
/// AWS (Lambda API reference, `TenancyConfig`): `TenantIsolationMode` is required and its only
/// valid value is `PER_TENANT`; CloudFormation refuses anything else, so Sluice does too.
pub(crate) fn tenant_isolation(
    config: Option<&Node>,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<bool, TemplateError> {
    let Some(config) = config.filter(|c| !c.is_null()) else {
        return Ok(false);
    };
    let mode_path = join_path(path, "TenantIsolationMode");
    let mode = match config.get("TenantIsolationMode") {
        Some(node) => resolver.eval_string(node, &mode_path)?,
        None => None,
    };
    match mode.as_deref() {
        Some("PER_TENANT") => Ok(true),
        Some(other) => Err(resolver.error(
            config.get("TenantIsolationMode").unwrap_or(config),
            &mode_path,
            format!("{other:?} is not a tenant isolation mode (the only one is PER_TENANT)"),
        )),
        None => Err(resolver.error(
            config,
            &mode_path,
            "TenantIsolationMode is required (PER_TENANT)",
        )),
    }
}

/// The source a REST Lambda proxy integration's `requestParameters` (the node at `path`) maps
/// to `integration.request.header.X-Amz-Tenant-Id`, if any.
///
/// AWS (Lambda docs, "Invoking Lambda functions with tenant isolation"): a REST API reaches a
/// tenant-isolated function by mapping a request value to that header of Lambda's Invoke.
pub(crate) fn tenant_id_parameter(
    request_parameters: Option<&Node>,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Option<String>, TemplateError> {
    let Some(node) = request_parameters.filter(|n| !n.is_null()) else {
        return Ok(None);
    };
    let parameters = resolver.eval_string_map(node, path)?;
    Ok(parameters.into_iter().find_map(|(target, source)| {
        target
            .strip_prefix("integration.request.header.")
            .is_some_and(|name| name.eq_ignore_ascii_case("x-amz-tenant-id"))
            .then_some(source)
    }))
}
