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
