//! Auth of REST APIs defined by raw `AWS::ApiGateway::Method`s and `AWS::ApiGateway::Authorizer`s.

use super::rest_openapi::{self, Spelling};
use crate::auth_model::*;
use crate::auth_props::{ref_target, Props};
use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::model::Function;
use crate::served_stage::{self, Declared};
use crate::yaml_tree::Node;

/// The stage settings of raw REST APIs: `CacheClusterEnabled` and `MethodSettings` of the stage
/// `served_stage` picks (whose name `cfn_rest_api` serves), and for a `Deployment`'s
/// `StageDescription` also its stage-wide `CachingEnabled`, `CacheTtlInSeconds`, `Throttling*`,
/// `LoggingLevel` and `DataTraceEnabled` (its `/*/*` setting).
pub(super) fn raw_stages(
    active: &[(&String, &Node, &str)],
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    model: &mut AuthModel,
) -> Result<(), TemplateError> {
    for &(api_id, _, ty) in active {
        if ty != "AWS::ApiGateway::RestApi" {
            continue;
        }
        let Some(api) = model.apis.get_mut(api_id.as_str()) else {
            continue;
        };
        let Some(served) = served_stage::rest(resources, resolver, api_id)? else {
            continue;
        };
        let stage = Props {
            resolver,
            node: served.settings,
            path: served.path,
        };
        api.cache_cluster_enabled = stage.boolean("CacheClusterEnabled")?.unwrap_or(false);
        api.method_settings = super::method_settings(&stage)?;
        if served.declared == Declared::Deployment {
            let stage_wide = MethodSetting {
                resource_path: "/*".into(),
                http_method: "*".into(),
                rate_limit: stage.float("ThrottlingRateLimit")?,
                burst_limit: stage.number("ThrottlingBurstLimit")?,
                caching_enabled: stage.boolean("CachingEnabled")?,
                cache_ttl_secs: stage.number("CacheTtlInSeconds")?,
                logging_level: super::logging_level(&stage)?,
                data_trace_enabled: stage.boolean("DataTraceEnabled")?,
            };
            let says_something = stage_wide.rate_limit.is_some()
                || stage_wide.burst_limit.is_some()
                || stage_wide.caching_enabled.is_some()
                || stage_wide.cache_ttl_secs.is_some()
                || stage_wide.logging_level.is_some()
                || stage_wide.data_trace_enabled.is_some();
            // Explicit MethodSettings come first, so a `/*/*` entry there wins.
            if says_something {
                api.method_settings.push(stage_wide);
            }
        }
    }
    Ok(())
}

/// `AuthorizationType` / `AuthorizerId` / `ApiKeyRequired` of raw `AWS::ApiGateway::Method`s, so
/// their routes are guarded (AWS_IAM, API keys, the `AWS::ApiGateway::Authorizer` they name) or
/// fail closed, never open.
pub(super) fn raw_methods(
    active: &[(&String, &Node, &str)],
    resolver: &Resolver<'_>,
    functions: &[Function],
    model: &mut AuthModel,
) -> Result<(), TemplateError> {
    // Authorizers first: a method may come before the authorizer it names.
    let mut raw_authorizers: Vec<(String, &str)> = Vec::new();
    for &(id, resource, ty) in active {
        if ty != "AWS::ApiGateway::Authorizer" {
            continue;
        }
        let props = Props::of(resolver, resource, id);
        let Some(api_id) = props.node.get("RestApiId").and_then(ref_target) else {
            continue;
        };
        if !model.apis.contains_key(api_id) {
            continue;
        }
        let authorizer = authorizer_resource(&props, functions, &model.user_pools)?;
        if let Some(api) = model.apis.get_mut(api_id) {
            api.authorizers.insert(id.clone(), authorizer);
            raw_authorizers.push((api_id.to_owned(), id.as_str()));
        }
    }
    for &(id, resource, ty) in active {
        if ty != "AWS::ApiGateway::Method" {
            continue;
        }
        let props = Props::of(resolver, resource, id);
        let Some(api_id) = props.node.get("RestApiId").and_then(ref_target) else {
            continue;
        };
        let Some(api) = model.apis.get_mut(api_id) else {
            continue;
        };
        let kind = props.string("AuthorizationType")?.unwrap_or_default();
        let mut authorizer = None;
        let unenforceable = match kind.as_str() {
            "" | "NONE" | "AWS_IAM" => None,
            "CUSTOM" | "COGNITO_USER_POOLS" => {
                let named = props.node.get("AuthorizerId").and_then(ref_target);
                let known = |name: &&str| raw_authorizers.iter().any(|(a, n)| a == api_id && n == name);
                match named.filter(known) {
                    Some(name) => {
                        authorizer = Some(name.to_owned());
                        None
                    }
                    None => Some(format!(
                        "Resources.{id}: AuthorizationType {kind} needs an AuthorizerId that is a !Ref to an AWS::ApiGateway::Authorizer of the same RestApiId"
                    )),
                }
            }
            other => Some(format!(
                "Resources.{id}: AuthorizationType {other} is not NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS"
            )),
        };
        api.methods.insert(
            format!("Resources.{id}"),
            MethodAuth {
                iam: kind == "AWS_IAM",
                authorizer,
                scopes: props.string_list("AuthorizationScopes")?,
                unenforceable,
                api_key_required: props.boolean("ApiKeyRequired")?.unwrap_or(false),
            },
        );
    }
    Ok(())
}

/// One `AWS::ApiGateway::Authorizer`: its `IdentitySource` names the token's header (TOKEN,
/// COGNITO_USER_POOLS) or lists the request's identity sources (REQUEST).
fn authorizer_resource(
    props: &Props<'_, '_>,
    functions: &[Function],
    pools: &[UserPool],
) -> Result<Authorizer, TemplateError> {
    let kind = props.string("Type")?.unwrap_or_default();
    let header = if kind.eq_ignore_ascii_case("REQUEST") {
        None
    } else {
        let source = props.string("IdentitySource")?.unwrap_or_default();
        match rest_openapi::identity_source(&source) {
            Some(IdentitySource::Header(name)) => Some(name),
            _ => {
                return Ok(Authorizer::Unenforceable(format!(
                    "{}: a {kind} authorizer's IdentitySource must be method.request.header.NAME, not {source:?}",
                    props.path
                )))
            }
        }
    };
    rest_openapi::authorizer(props, Spelling::CloudFormation, header, functions, pools)
}
