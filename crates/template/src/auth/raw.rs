//! Auth of REST APIs defined by raw `AWS::ApiGateway::Method`s.

use crate::auth_model::*;
use crate::auth_props::{ref_target, Props};
use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::yaml_tree::Node;

/// `AuthorizationType` / `ApiKeyRequired` of raw `AWS::ApiGateway::Method`s, so their routes are
/// guarded (AWS_IAM, API keys) or fail closed (Cognito and custom authorizers), never open.
pub(super) fn raw_methods(
    active: &[(&String, &Node, &str)],
    resolver: &Resolver<'_>,
    model: &mut AuthModel,
) -> Result<(), TemplateError> {
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
        let unenforceable = match kind.as_str() {
            "" | "NONE" | "AWS_IAM" => None,
            other => Some(format!(
                "Resources.{id}: AuthorizationType {other} (its AWS::ApiGateway::Authorizer is not read yet)"
            )),
        };
        api.methods.insert(
            format!("Resources.{id}"),
            MethodAuth {
                iam: kind == "AWS_IAM",
                unenforceable,
                api_key_required: props.boolean("ApiKeyRequired")?.unwrap_or(false),
            },
        );
    }
    Ok(())
}
