//! The properties SAM's transform knows on its API resources. SAM refuses a template that writes any
//! other (`property ApiKeyRequired not defined for resource of type AWS::Serverless::Api`, `Invalid
//! value for 'Auth' property`), so Sluice refuses it too: serving it would hide a misplaced guard
//! (an `ApiKeyRequired` beside `Auth` instead of in it, an `Authorizer` for `Authorizers`) behind
//! routes that answer without one.

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::yaml_tree::Node;

/// `AWS::Serverless::Api` (samtranslator `SamApi.property_types`).
const API: &[&str] = &[
    "AccessLogSetting",
    "AlwaysDeploy",
    "ApiKeySourceType",
    "Auth",
    "BinaryMediaTypes",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "CanarySetting",
    "Cors",
    "DefinitionBody",
    "DefinitionUri",
    "Description",
    "DisableExecuteApiEndpoint",
    "Domain",
    "EndpointAccessMode",
    "EndpointConfiguration",
    "FailOnWarnings",
    "GatewayResponses",
    "MergeDefinitions",
    "MethodSettings",
    "MinimumCompressionSize",
    "Mode",
    "Models",
    "Name",
    "OpenApiVersion",
    "Policy",
    "PropagateTags",
    "SecurityPolicy",
    "StageName",
    "Tags",
    "TracingEnabled",
    "Variables",
];

/// `Auth` of an `AWS::Serverless::Api` (samtranslator `api_generator.AuthProperties`).
const API_AUTH: &[&str] = &[
    "Authorizers",
    "DefaultAuthorizer",
    "InvokeRole",
    "AddDefaultAuthorizerToCorsPreflight",
    "AddApiKeyRequiredToCorsPreflight",
    "ApiKeyRequired",
    "ResourcePolicy",
    "UsagePlan",
];

/// `AWS::Serverless::HttpApi` (samtranslator `SamHttpApi.property_types`).
const HTTP_API: &[&str] = &[
    "AccessLogSettings",
    "Auth",
    "CorsConfiguration",
    "DefaultRouteSettings",
    "DefinitionBody",
    "DefinitionUri",
    "Description",
    "DisableExecuteApiEndpoint",
    "Domain",
    "FailOnWarnings",
    "Name",
    "PropagateTags",
    "RouteSettings",
    "StageName",
    "StageVariables",
    "Tags",
];

/// `Auth` of an `AWS::Serverless::HttpApi` (samtranslator `http_api_generator.AuthProperties`).
const HTTP_API_AUTH: &[&str] = &["Authorizers", "DefaultAuthorizer", "EnableIamAuthorizer"];

/// Checks the properties of an `AWS::Serverless::Api` (or `Globals.Api`) and its `Auth`.
pub(crate) fn check_api(
    properties: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    check(properties, path, API, "AWS::Serverless::Api", resolver)?;
    match properties.get("Auth") {
        Some(auth) => check(auth, &join_path(path, "Auth"), API_AUTH, "Auth", resolver),
        None => Ok(()),
    }
}

/// Checks the properties of an `AWS::Serverless::HttpApi` (or `Globals.HttpApi`) and its `Auth`.
pub(crate) fn check_http_api(
    properties: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    check(
        properties,
        path,
        HTTP_API,
        "AWS::Serverless::HttpApi",
        resolver,
    )?;
    match properties.get("Auth") {
        Some(auth) => check(
            auth,
            &join_path(path, "Auth"),
            HTTP_API_AUTH,
            "Auth",
            resolver,
        ),
        None => Ok(()),
    }
}

/// The first key of `node` that `known` lacks, as SAM reports it. A node that is not a mapping
/// (an intrinsic, say) is left to the readers.
fn check(
    node: &Node,
    path: &str,
    known: &[&str],
    what: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    if crate::intrinsics::intrinsic(node).is_some() {
        return Ok(());
    }
    for (key, value) in node.entries().unwrap_or_default() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let belongs_in_auth = what != "Auth"
            && (API_AUTH.contains(&key.as_str()) || HTTP_API_AUTH.contains(&key.as_str()));
        let hint = if belongs_in_auth {
            format!("{key} goes under Auth")
        } else {
            format!("{what} accepts {}", known.join(", "))
        };
        return Err(resolver.error_hint(
            value,
            &join_path(path, key),
            format!("{key} is not a property of {what}; SAM refuses the template"),
            Some(hint),
        ));
    }
    Ok(())
}
