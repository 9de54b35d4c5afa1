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
    check_definition_source(properties, path, resolver)?;
    check_auth(properties, path, API_AUTH, resolver)?;
    check_auth_document(properties, path, Document::Swagger, resolver)
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
    check_definition_source(properties, path, resolver)?;
    check_auth(properties, path, HTTP_API_AUTH, resolver)?;
    check_auth_document(properties, path, Document::OpenApi3, resolver)
}

/// SAM takes an API's document from one place (`api_generator._construct_rest_api` /
/// `_validate_properties`, `http_api_generator._construct_http_api`): a truthy `DefinitionUri`
/// beside a truthy `DefinitionBody` is refused ("Specify either 'DefinitionUri' or
/// 'DefinitionBody' property and not both"), and so is `MergeDefinitions` beside a `DefinitionUri`
/// ("Cannot set 'MergeDefinitions' to True when using `DefinitionUri`"; REST only, the HTTP API
/// has no such property). Sluice would otherwise serve the body and ignore the rest.
fn check_definition_source(
    properties: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    if !properties.get("DefinitionUri").is_some_and(truthy) {
        return Ok(());
    }
    if let Some(body) = properties.get("DefinitionBody").filter(|body| truthy(body)) {
        return Err(resolver.error_hint(
            body,
            &join_path(path, "DefinitionBody"),
            "SAM takes either DefinitionUri or DefinitionBody, not both; SAM refuses the template",
            Some("remove one of them (Globals may set DefinitionUri)".into()),
        ));
    }
    match properties
        .get("MergeDefinitions")
        .filter(|merge| truthy(merge))
    {
        Some(merge) => Err(resolver.error_hint(
            merge,
            &join_path(path, "MergeDefinitions"),
            "SAM cannot merge events into a DefinitionUri document; SAM refuses the template",
            Some("inline the document as DefinitionBody, or remove MergeDefinitions".into()),
        )),
        None => Ok(()),
    }
}

/// The documents SAM's editors accept (samtranslator `SwaggerEditor.is_valid` for REST APIs,
/// `OpenApiEditor.is_valid` for HTTP APIs).
#[derive(Clone, Copy)]
enum Document {
    /// `swagger: 2.0` or `openapi: 3.x`.
    Swagger,
    /// `openapi: 3.x` only.
    OpenApi3,
}

/// SAM writes `Auth` into the API's inline document (`api_generator._add_auth`): it refuses `Auth`
/// beside a `DefinitionUri` ("Auth works only with inline Swagger specified in 'DefinitionBody'
/// property") and beside a `DefinitionBody` its editor does not take for a document ("does not
/// contain a valid Swagger definition"). Without either, SAM generates the document itself.
fn check_auth_document(
    properties: &Node,
    path: &str,
    document: Document,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    // SAM returns early on an empty `Auth`; an intrinsic is left to the readers.
    let Some(auth) = properties
        .get("Auth")
        .filter(|auth| auth.entries().is_some_and(|e| !e.is_empty()))
    else {
        return Ok(());
    };
    let auth_path = join_path(path, "Auth");
    match (properties.get("DefinitionBody"), properties.get("DefinitionUri")) {
        (None, Some(_)) => Err(resolver.error_hint(
            auth,
            &auth_path,
            "SAM adds Auth only to an inline DefinitionBody, not to a DefinitionUri document; SAM refuses the template",
            Some("declare the authorizers in the document itself (securityDefinitions / securitySchemes with x-amazon-apigateway-authorizer), or inline it as DefinitionBody".into()),
        )),
        (Some(body), _) if crate::intrinsics::intrinsic(body).is_none() && !is_document(body, document) => {
            let wanted = match document {
                Document::Swagger => "swagger: '2.0' or openapi: 3.x",
                Document::OpenApi3 => "openapi: 3.x",
            };
            Err(resolver.error_hint(
                body,
                &join_path(path, "DefinitionBody"),
                "SAM cannot add Auth to it: it is not a valid OpenAPI document; SAM refuses the template",
                Some(format!("a DefinitionBody needs {wanted} and a paths mapping")),
            ))
        }
        _ => Ok(()),
    }
}

/// Whether SAM's editor takes `body` for a document: a non-empty mapping with a `paths` mapping
/// and a truthy `swagger` (REST only) or an `openapi` of the form `3.x` / `3.x.y`.
fn is_document(body: &Node, document: Document) -> bool {
    if body.entries().is_none_or(|e| e.is_empty())
        || body.get("paths").and_then(Node::entries).is_none()
    {
        return false;
    }
    if matches!(document, Document::Swagger) && body.get("swagger").is_some_and(truthy) {
        return true;
    }
    body.get("openapi").filter(|v| truthy(v)).is_some_and(|v| {
        v.as_str()
            .is_some_and(|text| openapi_3(&python_str(v, text)))
    })
}

/// Python's truthiness of a YAML value, as SAM tests `data.get("swagger")`.
fn truthy(node: &Node) -> bool {
    use crate::yaml_tree::{Kind, Style};
    match &node.kind {
        Kind::Map(entries) => !entries.is_empty(),
        Kind::Seq(items) => !items.is_empty(),
        Kind::Scalar(text, Style::Quoted) => !text.is_empty(),
        Kind::Scalar(text, Style::Plain) => {
            !(node.is_null()
                || matches!(text.as_str(), "false" | "False" | "FALSE")
                || text.parse::<f64>().is_ok_and(|n| n == 0.0))
        }
    }
}

/// The text Python's `str()` gives a plain scalar: PyYAML reads `3.0` as a float, printed `3.0`.
fn python_str(node: &Node, text: &str) -> String {
    use crate::yaml_tree::{Kind, Style};
    match &node.kind {
        Kind::Scalar(_, Style::Plain) if text.contains('.') => text
            .parse::<f64>()
            .map_or_else(|_| text.to_owned(), |n| format!("{n:?}")),
        _ => text.to_owned(),
    }
}

/// samtranslator's `_OPENAPI_VERSION_3_REGEX`, `\A3(\.\d)(\.\d)?$`.
fn openapi_3(version: &str) -> bool {
    let version = version.strip_suffix('\n').unwrap_or(version);
    let Some(rest) = version.strip_prefix('3') else {
        return false;
    };
    let digit_pair = |s: &str| {
        let b = s.as_bytes();
        b.len() == 2 && b[0] == b'.' && b[1].is_ascii_digit()
    };
    match rest.len() {
        2 => digit_pair(rest),
        4 => digit_pair(&rest[..2]) && digit_pair(&rest[2..]),
        _ => false,
    }
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
