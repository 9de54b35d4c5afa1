//! Auth of REST APIs defined by raw `AWS::ApiGateway::Method`s and `AWS::ApiGateway::Authorizer`s.

use super::rest_openapi::{authorizer, CFN_KEYS};
use crate::auth_model::*;
use crate::auth_props::{ref_target, Props};
use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::model::Function;
use crate::yaml_tree::Node;

/// `AWS::ApiGateway::Authorizer`s, recorded in their API's authorizers under their logical id,
/// then `AuthorizationType` / `AuthorizerId` / `ApiKeyRequired` of raw `AWS::ApiGateway::Method`s,
/// so their routes are guarded (authorizers, AWS_IAM, API keys) or fail closed, never open.
pub(super) fn raw_methods(
    active: &[(&String, &Node, &str)],
    resolver: &Resolver<'_>,
    functions: &[Function],
    model: &mut AuthModel,
) -> Result<(), TemplateError> {
    for &(id, resource, ty) in active {
        if ty != "AWS::ApiGateway::Authorizer" {
            continue;
        }
        let props = Props::of(resolver, resource, id);
        let AuthModel {
            apis, user_pools, ..
        } = &mut *model;
        let Some(api) = props
            .node
            .get("RestApiId")
            .and_then(ref_target)
            .and_then(|api| apis.get_mut(api))
        else {
            continue;
        };
        // TOKEN and Cognito authorizers read the token from one header.
        let header = props.string("IdentitySource")?.and_then(|s| {
            s.trim()
                .strip_prefix("method.request.header.")
                .map(str::to_owned)
        });
        let read = authorizer(&props, &CFN_KEYS, header, functions, user_pools)?;
        api.authorizers.insert(id.clone(), read);
    }
    for &(id, resource, ty) in active {
        if ty != "AWS::ApiGateway::Method" {
            continue;
        }
        let props = Props::of(resolver, resource, id);
        let Some(api) = props
            .node
            .get("RestApiId")
            .and_then(ref_target)
            .and_then(|api| model.apis.get_mut(api))
        else {
            continue;
        };
        let kind = props.string("AuthorizationType")?.unwrap_or_default();
        let target = props.node.get("AuthorizerId").and_then(ref_target);
        let (authorizer, unenforceable) = match kind.as_str() {
            "" | "NONE" | "AWS_IAM" => (None, None),
            "CUSTOM" | "COGNITO_USER_POOLS" => match target {
                Some(target) if api.authorizers.contains_key(target) => {
                    (Some(target.to_owned()), None)
                }
                _ => (
                    None,
                    Some(format!(
                        "Resources.{id}.Properties.AuthorizerId: AuthorizationType {kind} needs a !Ref to an AWS::ApiGateway::Authorizer of the same API"
                    )),
                ),
            },
            other => (
                None,
                Some(format!(
                    "Resources.{id}.Properties.AuthorizationType: {other} is not NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS"
                )),
            ),
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
