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
    check_auth(properties, path, API_AUTH, resolver)
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
    check_auth(properties, path, HTTP_API_AUTH, resolver)
}

/// `Auth` is a mapping of known keys, `Auth.Authorizers` a mapping of mappings (SAM: "Property
/// 'Auth.Authorizers' should be a map"); written otherwise, the readers would see no authorizer.
fn check_auth(
    properties: &Node,
    path: &str,
    known: &[&str],
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    let Some(auth) = properties.get("Auth") else {
        return Ok(());
    };
    let auth_path = join_path(path, "Auth");
    map(auth, &auth_path, resolver)?;
    check(auth, &auth_path, known, "Auth", resolver)?;
    let Some(authorizers) = auth.get("Authorizers") else {
        return Ok(());
    };
    let authorizers_path = join_path(&auth_path, "Authorizers");
    map(authorizers, &authorizers_path, resolver)?;
    for (name, authorizer) in authorizers.entries().unwrap_or_default() {
        map(authorizer, &join_path(&authorizers_path, name), resolver)?;
    }
    Ok(())
}

/// The properties `Globals` may give each resource type, by section (samtranslator
/// `Globals.supported_properties`). SAM refuses any other section or property, which would
/// otherwise do nothing (a global `Events` adds no route).
const GLOBALS: &[(&str, &[&str])] = &[
    (
        "Function",
        &[
            "Handler",
            "Runtime",
            "CodeUri",
            "DeadLetterQueue",
            "Description",
            "MemorySize",
            "Timeout",
            "VpcConfig",
            "Environment",
            "Tags",
            "PropagateTags",
            "Tracing",
            "KmsKeyArn",
            "AutoPublishAlias",
            "AutoPublishAliasAllProperties",
            "Layers",
            "DeploymentPreference",
            "RolePath",
            "PermissionsBoundary",
            "ReservedConcurrentExecutions",
            "ProvisionedConcurrencyConfig",
            "AssumeRolePolicyDocument",
            "EventInvokeConfig",
            "FileSystemConfigs",
            "CodeSigningConfigArn",
            "Architectures",
            "SnapStart",
            "EphemeralStorage",
            "FunctionUrlConfig",
            "RuntimeManagementConfig",
            "LoggingConfig",
            "RecursiveLoop",
            "SourceKMSKeyArn",
            "TenancyConfig",
            "DurableConfig",
            "CapacityProviderConfig",
            "FunctionScalingConfig",
            "PublishToLatestPublished",
            "VersionDeletionPolicy",
        ],
    ),
    (
        "Api",
        &[
            "Auth",
            "Name",
            "DefinitionUri",
            "CacheClusterEnabled",
            "CacheClusterSize",
            "MergeDefinitions",
            "Variables",
            "EndpointConfiguration",
            "MethodSettings",
            "BinaryMediaTypes",
            "MinimumCompressionSize",
            "Cors",
            "GatewayResponses",
            "AccessLogSetting",
            "CanarySetting",
            "TracingEnabled",
            "OpenApiVersion",
            "Domain",
            "AlwaysDeploy",
            "PropagateTags",
            "SecurityPolicy",
            "EndpointAccessMode",
        ],
    ),
    (
        "HttpApi",
        &[
            "Auth",
            "AccessLogSettings",
            "StageVariables",
            "Tags",
            "CorsConfiguration",
            "DefaultRouteSettings",
            "Domain",
            "RouteSettings",
            "FailOnWarnings",
            "PropagateTags",
        ],
    ),
    ("SimpleTable", &["SSESpecification"]),
    ("StateMachine", &["PropagateTags"]),
    ("LayerVersion", &["PublishLambdaVersion"]),
    (
        "CapacityProvider",
        &[
            "VpcConfig",
            "OperatorRole",
            "Tags",
            "InstanceRequirements",
            "ScalingConfig",
            "KmsKeyArn",
            "PropagateTags",
            "LoggingConfig",
            "ManagedResourceTags",
        ],
    ),
    (
        "MicrovmImage",
        &[
            "BuildRoleArn",
            "BaseImageArn",
            "BaseImageVersion",
            "Logging",
            "EgressNetworkConnectors",
            "CpuConfigurations",
            "Resources",
            "AdditionalOsCapabilities",
            "Hooks",
            "EnvironmentVariables",
            "Tags",
            "PropagateTags",
        ],
    ),
    (
        "NetworkConnector",
        &["OperatorRole", "Tags", "PropagateTags"],
    ),
    (
        "WebSocketApi",
        &[
            "AccessLogSettings",
            "ApiKeySelectionExpression",
            "DefaultRouteSettings",
            "DisableExecuteApiEndpoint",
            "DisableSchemaValidation",
            "Domain",
            "FailOnWarnings",
            "IpAddressType",
            "PropagateTags",
            "RouteSelectionExpression",
            "RouteSettings",
            "StageVariables",
            "Tags",
        ],
    ),
];

/// Refuses a `Globals` section that SAM refuses: one that is not a mapping of known sections,
/// each a mapping of the properties SAM lets it give.
pub(crate) fn check_globals(globals: &Node, resolver: &Resolver<'_>) -> Result<(), TemplateError> {
    let Some(sections) = globals.entries() else {
        return Err(not_a_mapping(globals, "Globals", resolver));
    };
    for (name, properties) in sections {
        let path = join_path("Globals", name);
        let Some((_, known)) = GLOBALS.iter().find(|(section, _)| section == name) else {
            let names: Vec<&str> = GLOBALS.iter().map(|(section, _)| *section).collect();
            return Err(resolver.error_hint(
                properties,
                &path,
                format!("{name} is not a section of Globals; SAM refuses the template"),
                Some(format!("Globals has {}", names.join(", "))),
            ));
        };
        if properties.entries().is_none() {
            return Err(not_a_mapping(properties, &path, resolver));
        }
        check(properties, &path, known, &path, resolver)?;
    }
    Ok(())
}

/// Refuses a node that is neither a mapping nor an intrinsic (which the readers evaluate).
fn map(node: &Node, path: &str, resolver: &Resolver<'_>) -> Result<(), TemplateError> {
    if node.entries().is_some() || crate::intrinsics::intrinsic(node).is_some() {
        return Ok(());
    }
    Err(not_a_mapping(node, path, resolver))
}

/// SAM's refusal of `node`, written where a mapping belongs.
fn not_a_mapping(node: &Node, path: &str, resolver: &Resolver<'_>) -> TemplateError {
    resolver.error(
        node,
        path,
        format!(
            "expected a mapping, found {}; SAM refuses the template",
            node.shape()
        ),
    )
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
