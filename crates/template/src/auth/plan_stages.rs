//! A usage plan's `ApiStages`: the APIs it covers and each stage's `Throttle`, the per-key limits
//! of single methods (`/pets/GET: {RateLimit: 10, BurstLimit: 2}`).
//!
//! AWS (`AWS::ApiGateway::UsagePlan` ApiStage): "Throttle: Map containing method level
//! throttling information for API stage in a usage plan". A key is the method's resource path
//! followed by its HTTP method (`/pets/GET`, `/GET` for the root), as the CDK writes it
//! (`${method.resource.path}/${method.httpMethod}`, aws-cdk `usage-plan.ts`). Such a limit adds
//! to the plan's own `Throttle`, which stays global to the key (AWS support on re:Post,
//! QUFD1EPj5dRYaYaqpNepE34A: "if you set method level throttling inside the plan, that doesn't
//! change the fact that the overall usage plan limit is still global to that key").

use super::throttle;
use crate::auth_model::{PlanMethodThrottle, UsagePlan};
use crate::auth_props::{ref_target, seq, Props};
use crate::error::TemplateError;
use crate::model::RestApi;
use crate::yaml_tree::Kind;

/// The APIs a plan's `ApiStages` name and their stages' per-method throttles.
pub(super) struct PlanStages {
    /// Logical ids of the APIs (`ApiId: !Ref Api`).
    pub apis: Vec<String>,
    /// Every stage's `Throttle` entries that set a limit.
    pub method_throttles: Vec<PlanMethodThrottle>,
}

/// Reads `props.ApiStages` of a usage plan. A key that is not a method path is ignored with a
/// warning: it can name no method, so it limits nothing.
pub(super) fn read(
    props: &Props<'_, '_>,
    warnings: &mut Vec<String>,
) -> Result<PlanStages, TemplateError> {
    let mut out = PlanStages {
        apis: Vec::new(),
        method_throttles: Vec::new(),
    };
    let stages = props
        .node
        .get("ApiStages")
        .and_then(seq)
        .unwrap_or_default();
    for (i, stage) in stages.iter().enumerate() {
        let Some(api) = stage.get("ApiId").and_then(ref_target) else {
            continue;
        };
        out.apis.push(api.to_owned());
        let stage = Props {
            resolver: props.resolver,
            node: stage.clone(),
            path: format!("{}[{i}]", props.path("ApiStages")),
        };
        let limits = match stage.node.get("Throttle") {
            None => continue,
            Some(node) if node.is_null() => continue,
            Some(node) if !matches!(node.kind, Kind::Map(_)) => {
                return Err(stage.error(
                    "Throttle",
                    format!(
                        "expected a mapping of method paths (/pets/GET) to limits, found {}",
                        node.shape()
                    ),
                ))
            }
            Some(_) => stage.child("Throttle"),
        };
        for (key, _) in limits.node.entries().unwrap_or_default() {
            let Some((resource_path, http_method)) = method_path(key) else {
                warnings.push(format!(
                    "{}: {key:?} is not a method path such as /pets/GET or /GET (ignored)",
                    limits.path(key)
                ));
                continue;
            };
            if let Some(limit) = throttle(&limits.child(key), "RateLimit", "BurstLimit")? {
                out.method_throttles.push(PlanMethodThrottle {
                    api: api.to_owned(),
                    resource_path,
                    http_method,
                    throttle: limit,
                });
            }
        }
    }
    Ok(out)
}

/// `/pets/GET` → (`/pets`, `GET`); `/GET` → (`/`, `GET`); `None` when it is not of that form.
fn method_path(key: &str) -> Option<(String, String)> {
    let (path, method) = key.rsplit_once('/')?;
    if !key.starts_with('/') || method.is_empty() || method.contains(char::is_whitespace) {
        return None;
    }
    let path = path.trim_end_matches('/');
    Some((
        if path.is_empty() { "/" } else { path }.to_owned(),
        method.to_owned(),
    ))
}

/// A warning for each per-method throttle whose REST API has no such method: it limits nothing.
pub(super) fn warn_unknown_methods(
    plans: &[UsagePlan],
    rest_apis: &[RestApi],
    warnings: &mut Vec<String>,
) {
    for plan in plans {
        for limit in &plan.method_throttles {
            let Some(api) = rest_apis.iter().find(|a| a.logical_id == limit.api) else {
                continue;
            };
            let known = api.routes.iter().any(|route| {
                route.method.eq_ignore_ascii_case(&limit.http_method)
                    && trimmed(&route.path) == limit.resource_path
            });
            if !known {
                warnings.push(format!(
                    "Resources.{}.Properties.ApiStages: Throttle {}/{} names no method of {} (it limits nothing)",
                    plan.logical_id,
                    limit.resource_path.trim_end_matches('/'),
                    limit.http_method,
                    limit.api
                ));
            }
        }
    }
}

/// A resource path without its trailing slash (`/` stays `/`).
fn trimmed(path: &str) -> &str {
    match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::method_path;

    #[test]
    fn a_method_path_is_a_resource_path_and_a_method() {
        let split = |key| method_path(key).map(|(p, m)| format!("{p} {m}"));
        assert_eq!(split("/pets/GET").as_deref(), Some("/pets GET"));
        assert_eq!(
            split("/pets/{id}/DELETE").as_deref(),
            Some("/pets/{id} DELETE")
        );
        assert_eq!(split("/GET").as_deref(), Some("/ GET"));
        assert_eq!(split("pets/GET"), None);
        assert_eq!(split("/pets/"), None);
        assert_eq!(split("GET /pets"), None);
    }
}
