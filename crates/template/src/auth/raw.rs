//! Auth of REST APIs defined outside SAM events: raw `AWS::ApiGateway::Method`s, and OpenAPI
//! documents whose security Sluice does not read (their routes fail closed).

use crate::auth_model::*;
use crate::auth_props::{ref_target, Props};
use crate::error::TemplateError;
use crate::globals;
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

/// OpenAPI documents (`DefinitionBody`/`DefinitionUri`, a raw RestApi's `Body`) that declare
/// authorizers, security requirements or an API key source: Sluice does not read those yet, so the
/// document's routes fail closed.
pub(super) fn unread_security(
    active: &[(&String, &Node, &str)],
    root: &Node,
    resolver: &Resolver<'_>,
    template_dir: &std::path::Path,
    model: &mut AuthModel,
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let global = root.get("Globals").and_then(|g| g.get("Api"));
    for &(id, resource, ty) in active {
        let (document, where_) = match ty {
            "AWS::Serverless::Api" => {
                let properties = globals::apply(global, resource.get("Properties"), resource);
                let path = format!("Resources.{id}.Properties");
                // Warnings about the document are `openapi.rs`'s to give; this pass only looks.
                let mut quiet = Vec::new();
                match crate::openapi::document(
                    &properties,
                    &path,
                    resolver,
                    template_dir,
                    &mut quiet,
                )? {
                    Some(found) => found,
                    None => continue,
                }
            }
            "AWS::ApiGateway::RestApi" => {
                match resource.get("Properties").and_then(|p| p.get("Body")) {
                    Some(body) => (body.clone(), format!("Resources.{id}.Properties.Body")),
                    None => continue,
                }
            }
            _ => continue,
        };
        if declares_security(&document) {
            if let Some(api) = model.apis.get_mut(id.as_str()) {
                let why = format!(
                    "{where_}: the OpenAPI document declares security (authorizers, security requirements or an API key source), which Sluice does not read yet"
                );
                warnings.push(format!("{why}; its routes answer 500"));
                api.unread_security.push((where_, why));
            }
        }
    }
    Ok(())
}

/// Whether an OpenAPI node tree names any security construct API Gateway would enforce.
fn declares_security(node: &Node) -> bool {
    const KEYS: &[&str] = &[
        "security",
        "securityDefinitions",
        "securitySchemes",
        "x-amazon-apigateway-authorizer",
        "x-amazon-apigateway-api-key-source",
    ];
    match &node.kind {
        crate::yaml_tree::Kind::Map(entries) => entries
            .iter()
            .any(|(k, v)| (KEYS.contains(&k.as_str()) && !is_empty(v)) || declares_security(v)),
        crate::yaml_tree::Kind::Seq(items) => items.iter().any(declares_security),
        crate::yaml_tree::Kind::Scalar(..) => false,
    }
}

/// `security: []` (explicitly none) declares nothing.
fn is_empty(node: &Node) -> bool {
    match &node.kind {
        crate::yaml_tree::Kind::Seq(items) => items.is_empty(),
        crate::yaml_tree::Kind::Map(entries) => entries.is_empty(),
        crate::yaml_tree::Kind::Scalar(..) => node.is_null(),
    }
}
