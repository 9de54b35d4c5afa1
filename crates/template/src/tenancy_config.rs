//! `TenancyConfig` of a function: Lambda's tenant isolation mode (AWS::Lambda::Function and SAM's
//! `AWS::Serverless::Function`, which passes it through).

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{Function, StreamMapping};
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

/// The error for `feature` (written at `at`, `path`) on a tenant-isolated function.
///
/// AWS (Lambda docs, "Tenant isolation", Supported features and limitations): "Tenant isolation
/// mode is not supported with functions that use function URLs, provisioned concurrency, or
/// SnapStart"; such a template does not deploy, so Sluice refuses it too.
pub(crate) fn unsupported(
    feature: &str,
    at: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> TemplateError {
    resolver.error_hint(
        at,
        path,
        format!("Lambda does not support {feature} on a function with tenant isolation (TenancyConfig)"),
        Some("remove one of them: a tenant-isolated function is invoked directly (Invoke with a tenant id) or through API Gateway".into()),
    )
}

/// Refuses `SnapStart` (the node at `path`, if written) that applies, on a tenant-isolated
/// function ([`unsupported`]); `ApplyOn: None` turns SnapStart off and passes.
pub(crate) fn refuse_snap_start(
    snap_start: Option<&Node>,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    let Some(node) = snap_start.filter(|n| !n.is_null()) else {
        return Ok(());
    };
    let apply_on = match node.get("ApplyOn") {
        Some(value) => resolver.eval_string(value, &join_path(path, "ApplyOn"))?,
        None => None,
    };
    match apply_on.as_deref() {
        Some("PublishedVersions") => Err(unsupported("SnapStart", node, path, resolver)),
        _ => Ok(()),
    }
}

/// Warns of each stream mapping that feeds a tenant-isolated function.
///
/// AWS (Lambda docs, "Tenant isolation"): such a function is invoked synchronously,
/// asynchronously or by API Gateway, always with a tenant id ("Omitting this parameter will cause
/// function invocations to fail"); an event source mapping names none. The docs do not say the
/// mapping is refused at deploy time, so Sluice loads it and says its batches will fail.
pub(crate) fn warn_of_stream_mappings(
    functions: &[Function],
    mappings: &[StreamMapping],
    warnings: &mut Vec<String>,
) {
    for mapping in mappings {
        if functions
            .iter()
            .any(|f| f.logical_id == mapping.function && f.tenant_isolation)
        {
            warnings.push(format!(
                "Resources.{}: the stream mapping {} invokes it without a tenant id, which Lambda refuses for a function with tenant isolation (TenancyConfig): its batches will fail",
                mapping.function, mapping.id
            ));
        }
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
