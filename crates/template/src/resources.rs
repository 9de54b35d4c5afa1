//! `Resources` → functions, REST APIs and routes: the serverless resources Sluice emulates, and one
//! warning for everything else.
//!
//! Long (past 600 lines) because the Function and REST API readers share `Reader` and the
//! event → route step; the REST API reader (`read_events`, `attach`, `rest_api`) is the next
//! thing to move into a module of its own.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::Path;

use sluice_aws_env::RuntimeFamily;

use crate::error::TemplateError;
use crate::globals;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{Code, Function, RestApi, Route, Table};
use crate::route_path::{PathError, ResourcePath};
use crate::tables;
use crate::yaml_tree::{Kind, Node};

/// The implicit API's logical id and stage, as SAM names them.
const IMPLICIT_API: &str = "ServerlessRestApi";
const IMPLICIT_STAGE: &str = "Prod";

/// Methods an `Api` event may name (API Gateway's list).
const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// `AWS::Serverless::Api` properties that change nothing locally, so they get no warning.
const QUIET_API_PROPERTIES: &[&str] = &[
    "Name",
    "Description",
    "Tags",
    "OpenApiVersion",
    "StageName",
    "Variables",
    "BinaryMediaTypes",
    "Cors",
    // Read by `request_validation`, for the events that name them.
    "Models",
    // Read by `openapi`, in its own pass.
    "DefinitionBody",
    "DefinitionUri",
    // Read by `auth.rs`.
    "Auth",
    "MethodSettings",
    "ApiKeySourceType",
    "CacheClusterEnabled",
    "CacheClusterSize",
];

/// Resource types `auth.rs` reads (so they get no "not emulated" warning here).
const AUTH_RESOURCE_TYPES: &[&str] = &[
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
];

/// An `Api` event read from a function, waiting to be attached to its API.
struct ApiEvent {
    function: String,
    event_name: String,
    method: String,
    path: String,
    /// `path` parsed (checked when the event was read).
    resource: ResourcePath,
    /// `RestApiId` as a logical id, with the node it came from; `None` → the implicit API.
    rest_api: Option<(String, Node)>,
    /// The event's node and property path, for duplicate-route errors.
    at: Node,
    property: String,
}

/// The serverless part of the model, in template order.
pub(crate) struct Built {
    pub functions: Vec<Function>,
    pub rest_apis: Vec<RestApi>,
    pub tables: Vec<Table>,
}

/// Reads every resource of the template.
pub(crate) fn build(
    root: &Node,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<Built, TemplateError> {
    let global = |section: &str| root.get("Globals").and_then(|g| g.get(section));
    let mut functions = Vec::new();
    let mut rest_apis = Vec::new();
    let mut tables = Vec::new();
    let mut events = Vec::new();
    for (id, resource) in resources {
        let path = format!("Resources.{id}");
        if resource.entries().is_none() {
            return Err(resolver.error(
                resource,
                &path,
                format!("a resource must be a mapping, found {}", resource.shape()),
            ));
        }
        let Some(ty) = resource.get("Type").and_then(Node::as_str) else {
            return Err(resolver.error_hint(
                resource,
                &format!("{path}.Type"),
                "the resource has no Type",
                Some("add e.g. Type: AWS::Serverless::Function".into()),
            ));
        };
        if let Err(unknown) = crate::resource_types::check(ty) {
            // CloudFormation rejects an unknown type whatever the resource's Condition says.
            let type_node = resource.get("Type").unwrap_or(resource);
            return Err(resolver.error_hint(
                type_node,
                &format!("{path}.Type"),
                unknown.message,
                unknown.suggestion.map(|s| format!("did you mean {s}?")),
            ));
        }
        if let Some(condition) = resource.get("Condition") {
            let condition_path = format!("{path}.Condition");
            let Some(name) = condition.as_str() else {
                return Err(resolver.error(
                    condition,
                    &condition_path,
                    "Condition takes the name of a condition",
                ));
            };
            if !resolver.condition(name, condition, &condition_path)? {
                continue;
            }
        }
        let properties_path = format!("{path}.Properties");
        match ty {
            "AWS::Serverless::Function" => {
                let properties =
                    globals::apply(global("Function"), resource.get("Properties"), resource);
                let reader = Reader {
                    resolver,
                    properties: &properties,
                    path: &properties_path,
                };
                if let Some(function) =
                    function(id, resource, &reader, template_dir, warnings, &mut events)?
                {
                    functions.push(function);
                }
            }
            "AWS::Serverless::Api" => {
                let properties =
                    globals::apply(global("Api"), resource.get("Properties"), resource);
                let reader = Reader {
                    resolver,
                    properties: &properties,
                    path: &properties_path,
                };
                rest_apis.push(rest_api(id, &reader, warnings)?);
            }
            // Read where a function lists them (`Layers`), into the function's model.
            "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion" => {}
            // Loaded before the parent's resources (crate::nested), merged after.
            "AWS::Serverless::Application" | "AWS::CloudFormation::Stack" => {}
            "AWS::Serverless::SimpleTable" | "AWS::DynamoDB::Table" => {
                let absent = Node {
                    kind: Kind::Map(Vec::new()),
                    ..resource.clone()
                };
                let properties = resource.get("Properties").unwrap_or(&absent);
                tables.push(tables::table(
                    id,
                    ty,
                    properties,
                    resolver,
                    &properties_path,
                    warnings,
                )?);
            }
            "AWS::Lambda::Function" => {
                if let Some(function) =
                    crate::lambda_function::read(id, resource, resolver, template_dir, warnings)?
                {
                    functions.push(function);
                }
            }
            // Read by `http_api`, `cfn_http_api` and `cfn_rest_api`, in their own pass.
            "AWS::Serverless::HttpApi"
            | "AWS::ApiGatewayV2::Api"
            | "AWS::ApiGatewayV2::Route"
            | "AWS::ApiGatewayV2::Integration"
            | "AWS::ApiGatewayV2::Stage"
            | "AWS::Lambda::Url"
            | "AWS::ApiGateway::RestApi"
            | "AWS::ApiGateway::Resource"
            | "AWS::ApiGateway::Method"
            | "AWS::ApiGateway::Stage"
            | "AWS::ApiGateway::Deployment"
            | "AWS::ApiGateway::RequestValidator"
            | "AWS::ApiGateway::Model" => {}
            _ if AUTH_RESOURCE_TYPES.contains(&ty) => {}
            // Permissions and capacity change nothing locally: no warning to read past.
            _ if crate::resource_types::QUIET_TYPES.contains(&ty) => {}
            _ => warnings.push(format!(
                "{path}: resource type {ty} is not emulated yet (ignored)"
            )),
        }
    }
    served_names(&mut functions, warnings);
    if events.iter().any(|e| e.rest_api.is_none()) {
        rest_apis.push(implicit_api(root, global("Api"), resolver, warnings)?);
    }
    attach(events, &mut rest_apis, resolver, warnings)?;
    Ok(Built {
        functions,
        rest_apis,
        tables,
    })
}

/// Gives each function a name no other function has, so every function runs.
///
/// AWS: two functions with one `FunctionName` cannot be deployed; SAM CLI still runs both (by
/// logical id) and resolves the name to the first. Sluice does the same: later functions sharing a
/// name run under their logical id, and the warning says which one the shared name reaches.
pub(crate) fn served_names(functions: &mut [Function], warnings: &mut Vec<String>) {
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for function in functions.iter() {
        owners
            .entry(function.name.clone())
            .or_insert_with(|| function.logical_id.clone());
    }
    for function in functions.iter_mut() {
        let Some(first) = owners.get(&function.name) else {
            continue;
        };
        if *first == function.logical_id {
            continue;
        }
        warnings.push(format!(
            "Resources.{id}.Properties.FunctionName: {name} is also the name of {first} (AWS would refuse to deploy both); {id} runs under its logical id, and the Invoke API resolves {name} to {first}",
            id = function.logical_id,
            name = function.name,
        ));
        function.name = function.logical_id.clone();
    }
}

/// The implicit `ServerlessRestApi`: stage `Prod`, other settings from `Globals.Api`.
fn implicit_api(
    root: &Node,
    global: Option<&Node>,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<RestApi, TemplateError> {
    let mut properties = globals::apply(global, None, root);
    // AWS: SAM always names the implicit API's stage Prod, whatever Globals.Api says.
    if let Kind::Map(entries) = &mut properties.kind {
        entries.retain(|(k, _)| k != "StageName");
        entries.push((
            "StageName".into(),
            Node::scalar(IMPLICIT_STAGE, root.line, root.col),
        ));
    }
    let reader = Reader {
        resolver,
        properties: &properties,
        path: "Globals.Api",
    };
    rest_api(IMPLICIT_API, &reader, warnings)
}

/// Puts each `Api` event on its API as a route, in event order.
fn attach(
    events: Vec<ApiEvent>,
    apis: &mut [RestApi],
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    /// A route already attached, for the conflict rules.
    struct Attached {
        api: String,
        method: String,
        resource: ResourcePath,
        property: String,
    }
    let mut attached: Vec<Attached> = Vec::new();
    for event in events {
        let api_id = match &event.rest_api {
            None => IMPLICIT_API.to_string(),
            Some((id, at)) => {
                let rest_api_path = format!("{}.Properties.RestApiId", event.property);
                if !apis.iter().any(|a| a.logical_id == *id) {
                    match resolver.resource_type(id) {
                        Some("AWS::Serverless::Api") => {
                            return Err(resolver.error(
                                at,
                                &rest_api_path,
                                format!("RestApiId names {id}, whose Condition is false"),
                            ));
                        }
                        Some(other) => {
                            warnings.push(format!(
                                "{}: RestApiId names {id}, an {other}; only AWS::Serverless::Api is emulated (route ignored)",
                                event.property
                            ));
                            continue;
                        }
                        None => {
                            return Err(resolver.error_hint(
                                at,
                                &rest_api_path,
                                format!("RestApiId names {id}, but there is no resource {id} in this template"),
                                Some("define an AWS::Serverless::Api with that logical id, or drop RestApiId to use the implicit API".into()),
                            ));
                        }
                    }
                }
                id.clone()
            }
        };
        // AWS: one method per resource, and one variable name per position of a resource path.
        for earlier in attached.iter().filter(|e| e.api == api_id) {
            let (mine, theirs) = (&event.resource, &earlier.resource);
            if earlier.method == event.method && mine.shape() == theirs.shape() {
                return Err(resolver.error(
                    &event.at,
                    &event.property,
                    format!(
                        "route {} {} on {api_id} is already defined by {}",
                        event.method, event.path, earlier.property
                    ),
                ));
            }
            if let Some((name, earlier_name)) = mine.variable_name_clash(theirs) {
                return Err(resolver.error_hint(
                    &event.at,
                    &format!("{}.Properties.Path", event.property),
                    format!(
                        "{} names a path variable {{{name}}} where {} ({}) names it {{{earlier_name}}}; API Gateway allows one variable name per position",
                        event.path, earlier.property, theirs
                    ),
                    Some(format!("use {{{earlier_name}}} in both paths")),
                ));
            }
        }
        attached.push(Attached {
            api: api_id.clone(),
            method: event.method.clone(),
            resource: event.resource.clone(),
            property: event.property.clone(),
        });
        let Some(api) = apis.iter_mut().find(|a| a.logical_id == api_id) else {
            // Unreachable: the implicit API exists whenever an event has no RestApiId, and explicit
            // ids were checked above; skipping is still better than a panic.
            continue;
        };
        api.routes.push(Route {
            method: event.method,
            path: event.path,
            function: event.function,
            event_name: event.event_name,
            ..Route::default()
        });
    }
    Ok(())
}

/// Reads properties of one resource (after `Globals`), evaluating only what is asked for.
struct Reader<'a, 't> {
    resolver: &'a Resolver<'t>,
    properties: &'a Node,
    path: &'a str,
}

impl Reader<'_, '_> {
    fn path(&self, key: &str) -> String {
        join_path(self.path, key)
    }

    fn string(&self, key: &str) -> Result<Option<String>, TemplateError> {
        match self.properties.get(key) {
            Some(node) => self.resolver.eval_string(node, &self.path(key)),
            None => Ok(None),
        }
    }

    /// A required, non-empty string property.
    fn required(&self, key: &str, hint: &str) -> Result<String, TemplateError> {
        match self.string(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => {
                let at = self.properties.get(key).unwrap_or(self.properties);
                let message = format!("{key} is required");
                Err(self
                    .resolver
                    .error_hint(at, &self.path(key), message, Some(hint.to_string())))
            }
        }
    }

    fn number(&self, key: &str, range: RangeInclusive<u32>) -> Result<Option<u32>, TemplateError> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        let at = self.properties.get(key).unwrap_or(self.properties);
        match text.trim().parse::<u32>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            Ok(n) => Err(self.resolver.error(
                at,
                &self.path(key),
                format!("{n} is out of range ({}..={})", range.start(), range.end()),
            )),
            Err(_) => Err(self.resolver.error(
                at,
                &self.path(key),
                format!("{text:?} is not a whole number"),
            )),
        }
    }
}

/// One `AWS::Serverless::Function`; `None` when it cannot be run locally (image functions).
fn function(
    id: &str,
    resource: &Node,
    props: &Reader<'_, '_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
    events: &mut Vec<ApiEvent>,
) -> Result<Option<Function>, TemplateError> {
    let resolver = props.resolver;
    if props.string("PackageType")?.as_deref() == Some("Image") {
        warnings.push(format!(
            "Resources.{id}: PackageType Image is not emulated yet (function ignored)"
        ));
        return Ok(None);
    }
    let runtime = props.required(
        "Runtime",
        "add e.g. Runtime: python3.12 (or nodejs20.x, provided.al2023)",
    )?;
    let handler = if RuntimeFamily::of(&runtime) == Some(RuntimeFamily::Provided) {
        props.string("Handler")?.unwrap_or_default()
    } else {
        props.required(
            "Handler",
            "add e.g. Handler: app.lambda_handler (module.function)",
        )?
    };
    let code = code(props, template_dir, warnings)?;
    let environment = match props.properties.get("Environment") {
        None => BTreeMap::new(),
        Some(node) => match resolver.eval(node, &props.path("Environment"))? {
            Some(env) => match env.get("Variables") {
                Some(vars) => {
                    resolver.eval_string_map(vars, &props.path("Environment.Variables"))?
                }
                None => BTreeMap::new(),
            },
            None => BTreeMap::new(),
        },
    };
    let logging = match props.properties.get("LoggingConfig") {
        Some(node) => resolver.eval(node, &props.path("LoggingConfig"))?,
        None => None,
    };
    let environment = crate::logging_config::apply(logging.as_ref(), environment);
    let architectures = match props.properties.get("Architectures") {
        Some(node) => {
            let list = resolver.eval_string_list(node, &props.path("Architectures"))?;
            if let Some(bad) = list.iter().find(|a| *a != "x86_64" && *a != "arm64") {
                return Err(resolver.error(
                    node,
                    &props.path("Architectures"),
                    format!("{bad:?} is not an architecture (expected x86_64 or arm64)"),
                ));
            }
            list
        }
        None => Vec::new(),
    };
    let build_method = match resource.get("Metadata").and_then(|m| m.get("BuildMethod")) {
        Some(node) => {
            resolver.eval_string(node, &format!("Resources.{id}.Metadata.BuildMethod"))?
        }
        None => None,
    };
    let layers = match props.properties.get("Layers").filter(|l| !l.is_null()) {
        Some(node) => crate::layers::local_layers(
            node,
            &props.path("Layers"),
            resolver,
            template_dir,
            warnings,
        )?,
        None => Vec::new(),
    };
    read_events(id, props, warnings, events)?;
    let alias = props.string("AutoPublishAlias")?.filter(|a| !a.is_empty());
    let source_of = |key: &str| {
        let at = props.properties.get(key).unwrap_or(resource);
        resolver.source(at, &props.path(key))
    };
    Ok(Some(Function {
        logical_id: id.to_string(),
        name: resolver.physical_name(id, resource, &format!("Resources.{id}"))?,
        runtime,
        handler,
        code,
        memory_mb: props.number("MemorySize", 128..=10240)?.unwrap_or(128),
        timeout_secs: props.number("Timeout", 1..=900)?.unwrap_or(3),
        environment,
        reserved_concurrency: props.number("ReservedConcurrentExecutions", 0..=u32::MAX)?,
        architectures: if architectures.is_empty() {
            vec!["x86_64".to_string()]
        } else {
            architectures
        },
        build_method,
        alias,
        layers,
        code_uri_source: source_of("CodeUri"),
        handler_source: source_of("Handler"),
    }))
}

/// `InlineCode`, else `CodeUri` as a folder; S3 locations cannot be run, so they fall back to the
/// template's folder (as a missing `CodeUri` does in SAM CLI) with a warning.
fn code(
    props: &Reader<'_, '_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<Code, TemplateError> {
    let uri_node = props.properties.get("CodeUri");
    if let Some(inline) = props.string("InlineCode")? {
        if let Some(uri) = uri_node {
            return Err(props.resolver.error(
                uri,
                &props.path("CodeUri"),
                "a function takes CodeUri or InlineCode, not both",
            ));
        }
        return Ok(Code::Inline(inline));
    }
    let s3_warning = || {
        format!(
            "{}: S3 code locations are not supported locally; using the template's folder",
            props.path("CodeUri")
        )
    };
    let uri = match uri_node {
        None => None,
        Some(node) if node.entries().is_some() && crate::intrinsics::intrinsic(node).is_none() => {
            warnings.push(s3_warning());
            None
        }
        Some(_) => props.string("CodeUri")?.filter(|u| !u.is_empty()),
    };
    let uri = match uri {
        Some(u) if u.starts_with("s3://") => {
            warnings.push(s3_warning());
            None
        }
        other => other,
    };
    Ok(Code::Dir(crate::paths::normalize(
        &template_dir.join(uri.unwrap_or_default()),
    )))
}

/// Reads `Events`: `Api` events become routes later; every other type gets one warning.
fn read_events(
    id: &str,
    props: &Reader<'_, '_>,
    warnings: &mut Vec<String>,
    out: &mut Vec<ApiEvent>,
) -> Result<(), TemplateError> {
    let resolver = props.resolver;
    let Some(events) = props.properties.get("Events").filter(|e| !e.is_null()) else {
        return Ok(());
    };
    let Some(entries) = events.entries() else {
        return Err(resolver.error(
            events,
            &props.path("Events"),
            format!("Events must be a mapping, found {}", events.shape()),
        ));
    };
    for (event_name, event) in entries {
        let event_path = format!("{}.{event_name}", props.path("Events"));
        let Some(type_node) = event.get("Type") else {
            return Err(resolver.error_hint(
                event,
                &format!("{event_path}.Type"),
                "the event has no Type",
                Some("add e.g. Type: Api".into()),
            ));
        };
        let ty = resolver
            .eval_string(type_node, &format!("{event_path}.Type"))?
            .unwrap_or_default();
        if ty == "HttpApi" {
            // Read by `http_api`, in its own pass.
            continue;
        }
        if ty != "Api" {
            warnings.push(format!(
                "{event_path}: event type {ty} is not emulated yet (ignored)"
            ));
            continue;
        }
        let empty = Node {
            kind: Kind::Map(Vec::new()),
            ..event.clone()
        };
        let event_props = event.get("Properties").unwrap_or(&empty);
        let reader = Reader {
            resolver,
            properties: event_props,
            path: &format!("{event_path}.Properties"),
        };
        let path = reader.required("Path", "add e.g. Path: /items")?;
        let resource = match ResourcePath::parse(&path) {
            Ok(resource) => resource,
            Err(error) => {
                let at = event_props.get("Path").unwrap_or(event_props);
                let hint = match error {
                    PathError::NoLeadingSlash => format!("use /{path}"),
                    _ => "write it as API Gateway does, e.g. /items/{id} or /{proxy+}".to_owned(),
                };
                let message = match error {
                    PathError::NoLeadingSlash => format!("{path:?} does not start with /"),
                    other => format!("invalid Path {path:?}: {other}"),
                };
                return Err(resolver.error_hint(at, &reader.path("Path"), message, Some(hint)));
            }
        };
        let method_text = reader.required("Method", "add e.g. Method: get")?;
        let method = method_text.to_ascii_uppercase();
        if !HTTP_METHODS.contains(&method.as_str()) {
            let at = event_props.get("Method").unwrap_or(event_props);
            return Err(resolver.error(
                at,
                &reader.path("Method"),
                format!(
                    "{method_text:?} is not an HTTP method (expected one of {})",
                    HTTP_METHODS.join(", ")
                ),
            ));
        }
        let rest_api = match event_props.get("RestApiId") {
            None => None,
            Some(node) => {
                // `!Ref MyApi` names the API directly; evaluating it would give the same logical id.
                let id = match crate::intrinsics::intrinsic(node) {
                    Some(("Ref", target)) if target.as_str().is_some() => {
                        target.as_str().unwrap_or_default().to_string()
                    }
                    _ => resolver
                        .eval_string(node, &reader.path("RestApiId"))?
                        .unwrap_or_default(),
                };
                Some((id, node.clone()))
            }
        };
        for (key, _) in event_props.entries().unwrap_or_default() {
            // `Auth` is read by `auth.rs`; `RequestModel`/`RequestParameters` by `request_validation`.
            if !matches!(
                key.as_str(),
                "Path" | "Method" | "RestApiId" | "Auth" | "RequestModel" | "RequestParameters"
            ) {
                warnings.push(format!("{}: not emulated yet (ignored)", reader.path(key)));
            }
        }
        out.push(ApiEvent {
            function: id.to_string(),
            event_name: event_name.clone(),
            method,
            path,
            resource,
            rest_api,
            at: event.clone(),
            property: event_path,
        });
    }
    Ok(())
}

/// One `AWS::Serverless::Api` (or the implicit API).
fn rest_api(
    id: &str,
    props: &Reader<'_, '_>,
    warnings: &mut Vec<String>,
) -> Result<RestApi, TemplateError> {
    let resolver = props.resolver;
    let stage_name = props.required("StageName", "add StageName: Prod (SAM requires it)")?;
    let stage_variables = match props.properties.get("Variables") {
        Some(node) => resolver.eval_string_map(node, &props.path("Variables"))?,
        None => BTreeMap::new(),
    };
    let binary_media_types = match props.properties.get("BinaryMediaTypes") {
        // SAM writes `/` as `~1` (JSON pointer escaping) in BinaryMediaTypes.
        Some(node) => resolver
            .eval_string_list(node, &props.path("BinaryMediaTypes"))?
            .into_iter()
            .map(|t| t.replace("~1", "/"))
            .collect(),
        None => Vec::new(),
    };
    let cors = match props.properties.get("Cors") {
        Some(node) => crate::cors::rest(node, &props.path("Cors"), resolver)?,
        None => None,
    };
    for (key, _) in props.properties.entries().unwrap_or_default() {
        if !QUIET_API_PROPERTIES.contains(&key.as_str()) {
            warnings.push(format!("{}: not emulated yet (ignored)", props.path(key)));
        }
    }
    Ok(RestApi {
        logical_id: id.to_string(),
        stage_name,
        stage_variables,
        binary_media_types,
        routes: Vec::new(),
        cors,
    })
}
