//! HTTP API auth written in an OpenAPI document: `components.securitySchemes` (an
//! `x-amazon-apigateway-authorizer` of type `jwt` or `request`, or the `awsSigv4` auth type) and the
//! `security` requirements of operations (or of the whole document).

use std::collections::BTreeMap;

use super::http::{function_id, identity_list, lambda, lambda_format, HttpAuthInput, DEFAULT_TTL};
use crate::auth_model::*;
use crate::auth_props::Props;
use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::yaml_tree::{Kind, Node};

/// An OpenAPI document's operations by the property path routes carry as `event_name`.
pub(super) fn openapi_operations(document: &Node, where_: &str) -> BTreeMap<String, Node> {
    crate::openapi::operations(document, where_)
        .map(|op| (op.property, op.node.clone()))
        .collect()
}

/// `components.securitySchemes` with an `x-amazon-apigateway-authorizer` (or `awsSigv4` auth
/// type) as authorizers of the API.
pub(super) fn openapi_schemes(
    document: &Node,
    where_: &str,
    input: &HttpAuthInput<'_, '_>,
    api: &mut ApiAuth,
    sigv4: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let schemes_path = format!("{where_}.components.securitySchemes");
    let schemes = document
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Node::entries)
        .unwrap_or_default();
    for (name, scheme) in schemes {
        let props = Props {
            resolver: input.resolver,
            node: scheme.clone(),
            path: join_path(&schemes_path, name),
        };
        if props.string("x-amazon-apigateway-authtype")?.as_deref() == Some("awsSigv4") {
            sigv4.push(name.clone());
            continue;
        }
        if scheme.get("x-amazon-apigateway-authorizer").is_none() {
            let why = format!(
                "{}: a security scheme without x-amazon-apigateway-authorizer is not enforced by API Gateway's HTTP APIs",
                props.path
            );
            warnings.push(why.clone());
            api.authorizers
                .insert(name.clone(), Authorizer::Unenforceable(why));
            continue;
        }
        let authorizer = props.child("x-amazon-apigateway-authorizer");
        let sources = identity_list(&authorizer, "identitySource")?;
        let kind = authorizer.string("type")?.unwrap_or_default();
        let read = match kind.to_ascii_lowercase().as_str() {
            "jwt" => {
                let jwt = authorizer.child("jwtConfiguration");
                match (jwt.string("issuer")?, sources.first()) {
                    (Some(issuer), Some(identity)) if sources.len() == 1 => {
                        Authorizer::Jwt(JwtAuthorizer {
                            issuer,
                            audiences: jwt.string_list("audience")?,
                            identity: identity.clone(),
                            scopes: Vec::new(),
                        })
                    }
                    _ => Authorizer::Unenforceable(format!(
                        "{}: a JWT authorizer needs jwtConfiguration.issuer and one identitySource",
                        authorizer.path
                    )),
                }
            }
            "request" => {
                let uri = authorizer.string("authorizerUri")?.unwrap_or_default();
                let ttl = authorizer
                    .number("authorizerResultTtlInSeconds")?
                    .unwrap_or(DEFAULT_TTL);
                let format = lambda_format(
                    &authorizer,
                    "authorizerPayloadFormatVersion",
                    "enableSimpleResponses",
                )?;
                lambda(
                    &authorizer,
                    function_id(&uri, input.functions),
                    crate::openapi::qualifier_of(&uri),
                    sources,
                    ttl,
                    format,
                    "authorizerResultTtlInSeconds",
                )?
            }
            other => Authorizer::Unenforceable(format!(
                "{}: authorizer type {other:?} is not jwt or request",
                authorizer.path
            )),
        };
        api.authorizers.insert(name.clone(), read);
    }
    Ok(())
}

/// An operation's (or the document's) `security`: `[]` is open, else its first requirement names
/// the authorizer (API Gateway uses one per route) and its scopes.
pub(super) fn security_requirement(
    node: &Node,
    at: &str,
    resolver: &Resolver<'_>,
    sigv4: &[String],
) -> Result<(RouteAuthorizer, Vec<String>), TemplateError> {
    let Kind::Seq(requirements) = &node.kind else {
        return Ok((
            RouteAuthorizer::Named(format!("{at} (not a list)")),
            Vec::new(),
        ));
    };
    let Some(first) = requirements.first() else {
        return Ok((RouteAuthorizer::None, Vec::new()));
    };
    let Some((name, scopes)) = first.entries().and_then(|e| e.first()) else {
        return Ok((RouteAuthorizer::None, Vec::new()));
    };
    if sigv4.contains(name) {
        return Ok((RouteAuthorizer::Iam, Vec::new()));
    }
    let scopes = resolver.eval_string_list(scopes, &join_path(at, name))?;
    // A name no scheme defines stays Named: the gateway finds no authorizer and fails closed.
    Ok((RouteAuthorizer::Named(name.clone()), scopes))
}
