//! HTTP APIs (`AWS::Serverless::HttpApi`, the implicit `ServerlessHttpApi`, `HttpApi` events) and
//! Function URLs (`FunctionUrlConfig`): the payload-2.0 front doors of a template.
//!
//! Read in a pass of its own after `resources` has built the functions, so the REST side stays
//! untouched: `resources` only leaves these resource and event types to this module.

use std::collections::BTreeMap;

use crate::error::TemplateError;
use crate::event_api::EventApi;
use crate::globals;
use crate::intrinsics::{intrinsic, join_path, Resolver};
use crate::model::{
    Function, FunctionUrl, HttpApi, HttpIntegration, HttpRoute, PayloadFormat, DEFAULT_ROUTE,
    DEFAULT_STAGE,
};
use crate::openapi;
use crate::route_path::{PathError, ResourcePath};
use crate::yaml_tree::{Kind, Node};

/// The implicit HTTP API's logical id, as SAM names it.
pub(crate) const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";
/// HTTP API's integration timeout when `TimeoutInMillis` is not set (also its maximum).
use crate::integration_timeout::HTTP_MAX_MS as MAX_TIMEOUT_MS;

/// How an `HttpApi` event names its API.
const EVENT_API: EventApi = EventApi {
    key: "ApiId",
    api_type: "AWS::Serverless::HttpApi",
    implicit: IMPLICIT_HTTP_API,
};

/// Methods an `HttpApi` event may name: those of an HTTP API route key.
use crate::route_key::HTTP_METHODS;

/// `AWS::Serverless::HttpApi` properties that change nothing locally, so they get no warning.
const QUIET_HTTP_API_PROPERTIES: &[&str] = &[
    "Name",
    "Description",
    "Tags",
    "StageName",
    "StageVariables",
    "CorsConfiguration",
    "FailOnWarnings",
    "AccessLogSettings",
    "DisableExecuteApiEndpoint",
    "PropagateTags",
    // Read by `auth::http`.
    "Auth",
    // Their throttling is read by `auth::route_settings`; their logging and metrics fields
    // change nothing locally.
    "DefaultRouteSettings",
    "RouteSettings",
    // Read by `openapi`.
    "DefinitionBody",
    "DefinitionUri",
];

/// What this pass adds to the model.
pub(crate) struct Built {
    pub http_apis: Vec<HttpApi>,
    pub function_urls: Vec<FunctionUrl>,
}

/// An `HttpApi` event waiting for its API.
struct HttpEvent {
    route: HttpRoute,
    /// The parsed path; `None` for `$default`.
    resource: Option<ResourcePath>,
    /// `ApiId` as a logical id and where it was written; `None` → the implicit API.
    api: Option<(String, Node)>,
    at: Node,
    property: String,
    /// Read from the API's own OpenAPI document (not an `HttpApi` event).
    from_document: bool,
}

/// Reads the HTTP APIs, `HttpApi` events and `FunctionUrlConfig`s of the template.
pub(crate) fn build(
    root: &Node,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    functions: &[Function],
    template_dir: &std::path::Path,
    warnings: &mut Vec<String>,
) -> Result<Built, TemplateError> {
    let global = |section: &str| root.get("Globals").and_then(|g| g.get(section));
    let mut http_apis = Vec::new();
    let mut function_urls = Vec::new();
    let mut events = Vec::new();
    // Operations of HTTP API documents without an integration: `HttpApi` events may supply one.
    let mut unintegrated = Vec::new();
    for (id, resource) in resources {
        let Some(ty) = resource.get("Type").and_then(Node::as_str) else {
            continue;
        };
        if !resolver.resource_enabled(id, resource)? {
            continue;
        }
        let path = format!("Resources.{id}.Properties");
        match ty {
            "AWS::Serverless::HttpApi" => {
                let properties =
                    globals::apply(global("HttpApi"), resource.get("Properties"), resource);
                http_apis.push(http_api(id, &properties, &path, resolver, warnings)?);
                if let Some((document, where_)) =
                    openapi::document(&properties, &path, resolver, template_dir, warnings)?
                {
                    if let (Some(api), Some(node)) = (
                        http_apis.last_mut(),
                        document.get("x-amazon-apigateway-cors"),
                    ) {
                        // CorsConfiguration wins over the document's, as SAM merges them.
                        if api.cors.is_none() {
                            api.cors = crate::cors::openapi(
                                node,
                                &format!("{where_}.x-amazon-apigateway-cors"),
                                resolver,
                            )?;
                        }
                    }
                    let routes =
                        openapi::routes(&document, &where_, resolver, functions, warnings, false)?;
                    unintegrated.extend(
                        openapi::unintegrated(&document, &where_)
                            .into_iter()
                            .map(|op| (id.clone(), op)),
                    );
                    events.extend(routes.into_iter().map(|r| HttpEvent {
                        resource: ResourcePath::parse(&r.path).ok(),
                        route: HttpRoute {
                            integration: r.http_integration(),
                            method: r.method,
                            path: r.path,
                            function: r.function,
                            event_name: r.property.clone(),
                            payload_format: r.payload_format.unwrap_or_default(),
                            timeout_ms: r.timeout_ms.unwrap_or(MAX_TIMEOUT_MS),
                            parameter_mapping: r.parameter_mapping,
                            qualifier: r.qualifier,
                        },
                        api: Some((id.clone(), resource.clone())),
                        at: r.at,
                        property: r.property,
                        from_document: true,
                    }));
                }
            }
            "AWS::Serverless::Function" => {
                // Functions `resources` dropped (container images) serve nothing.
                let Some(function) = functions.iter().find(|f| f.logical_id == *id) else {
                    continue;
                };
                let properties =
                    globals::apply(global("Function"), resource.get("Properties"), resource);
                if let Some(config) = properties.get("FunctionUrlConfig") {
                    function_urls.push(crate::function_url::read(
                        function,
                        config,
                        &join_path(&path, "FunctionUrlConfig"),
                        resolver,
                    )?);
                }
                let first = events.len();
                read_events(id, &properties, &path, resolver, warnings, &mut events)?;
                // SAM points an event's integration at the `AutoPublishAlias` alias when there is
                // one (samtranslator `sam_resources.py`: "connect all event sources to the alias").
                for event in &mut events[first..] {
                    event.route.qualifier.clone_from(&function.alias);
                }
            }
            _ => {}
        }
    }
    let enabled = |id: &str, resource: &Node| resolver.resource_enabled(id, resource);
    let (cfn_apis, cfn_urls) =
        crate::cfn_http_api::build(resources, resolver, functions, &enabled, warnings)?;
    http_apis.extend(cfn_apis);
    function_urls.extend(cfn_urls);
    if events.iter().any(|e| e.api.is_none()) {
        let properties = globals::apply(global("HttpApi"), None, root);
        http_apis.push(http_api(
            IMPLICIT_HTTP_API,
            &properties,
            "Globals.HttpApi",
            resolver,
            warnings,
        )?);
    }
    attach(events, &mut http_apis, resolver, warnings)?;
    for (api_id, op) in unintegrated {
        let served = http_apis.iter().any(|api| {
            api.logical_id == api_id
                && api.routes.iter().any(|route| {
                    route.method == op.method && openapi::same_shape(&route.path, &op.path)
                })
        });
        if !served {
            warnings.push(format!(
                "{}: no x-amazon-apigateway-integration, and no HttpApi event supplies one; the route is not served",
                op.property
            ));
        }
    }
    Ok(Built {
        http_apis,
        function_urls,
    })
}

/// One `AWS::Serverless::HttpApi` (or the implicit one), without routes.
fn http_api(
    id: &str,
    properties: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<HttpApi, TemplateError> {
    crate::sam_properties::check_http_api(properties, path, resolver)?;
    let stage_name = match properties.get("StageName") {
        Some(node) => resolver
            .eval_string(node, &join_path(path, "StageName"))?
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_STAGE.to_owned()),
        None => DEFAULT_STAGE.to_owned(),
    };
    let stage_variables = match properties.get("StageVariables") {
        Some(node) => resolver.eval_string_map(node, &join_path(path, "StageVariables"))?,
        None => BTreeMap::new(),
    };
    let cors = match properties.get("CorsConfiguration") {
        Some(node) => crate::cors::http(node, &join_path(path, "CorsConfiguration"), resolver)?,
        None => None,
    };
    for (key, _) in properties.entries().unwrap_or_default() {
        if !QUIET_HTTP_API_PROPERTIES.contains(&key.as_str()) {
            warnings.push(format!(
                "{}: not emulated yet (ignored)",
                join_path(path, key)
            ));
        }
    }
    Ok(HttpApi {
        logical_id: id.to_owned(),
        stage_name,
        stage_variables,
        cors,
        routes: Vec::new(),
    })
}

/// Reads a function's `HttpApi` events (other types are `resources`' business).
fn read_events(
    id: &str,
    properties: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
    out: &mut Vec<HttpEvent>,
) -> Result<(), TemplateError> {
    let Some(entries) = properties.get("Events").and_then(Node::entries) else {
        return Ok(());
    };
    for (event_name, event) in entries {
        let event_path = format!("{path}.Events.{event_name}");
        let ty = match event.get("Type") {
            Some(node) => resolver.eval_string(node, &format!("{event_path}.Type"))?,
            None => None,
        };
        if ty.as_deref() != Some("HttpApi") {
            continue;
        }
        let empty = Node {
            kind: Kind::Map(Vec::new()),
            ..event.clone()
        };
        let props = event
            .get("Properties")
            .filter(|p| !p.is_null())
            .unwrap_or(&empty);
        let props_path = format!("{event_path}.Properties");
        let text = |key: &str| -> Result<Option<String>, TemplateError> {
            match props.get(key) {
                Some(node) => resolver.eval_string(node, &join_path(&props_path, key)),
                None => Ok(None),
            }
        };
        let path_text = text("Path")?.filter(|p| !p.is_empty());
        let method_text = text("Method")?.filter(|m| !m.is_empty());
        // SAM (`ImplicitHttpApiPlugin._process_api_events`): no Path and no Method is the
        // `$default` route; one without the other is refused ("Event is missing key 'Method'.").
        let (method, route_path) = match (path_text, method_text) {
            (None, None) => ("ANY".to_owned(), DEFAULT_ROUTE.to_owned()),
            (None, Some(_)) => {
                return Err(resolver.error_hint(
                    props,
                    &join_path(&props_path, "Path"),
                    "Method is set but Path is not; SAM refuses the event",
                    Some("add e.g. Path: /items, or drop Method for the $default route".into()),
                ))
            }
            (Some(_), None) => {
                return Err(resolver.error_hint(
                    props,
                    &join_path(&props_path, "Method"),
                    "Path is set but Method is not; SAM refuses the event",
                    Some("add e.g. Method: GET (ANY for every method), or drop Path for the $default route".into()),
                ))
            }
            (Some(p), Some(method_text)) => {
                let method = method_text.to_ascii_uppercase();
                if p != DEFAULT_ROUTE {
                    if let Err(error) = ResourcePath::parse(&p) {
                        let at = props.get("Path").unwrap_or(props);
                        let (message, hint) = match error {
                            PathError::NoLeadingSlash => {
                                (format!("{p:?} does not start with /"), format!("use /{p}"))
                            }
                            other => (
                                format!("invalid Path {p:?}: {other}"),
                                "write it as API Gateway does, e.g. /items/{id} or /{proxy+}"
                                    .to_owned(),
                            ),
                        };
                        return Err(resolver.error_hint(
                            at,
                            &join_path(&props_path, "Path"),
                            message,
                            Some(hint),
                        ));
                    }
                }
                // AWS spells the any-method as `x-amazon-apigateway-any-method` in OpenAPI.
                let method = if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" || method == "*" {
                    "ANY".to_owned()
                } else {
                    method
                };
                if !HTTP_METHODS.contains(&method.as_str()) {
                    let at = props.get("Method").unwrap_or(props);
                    return Err(resolver.error(
                        at,
                        &join_path(&props_path, "Method"),
                        format!(
                            "{method_text:?} is not an HTTP method (expected one of {})",
                            HTTP_METHODS.join(", ")
                        ),
                    ));
                }
                (method, p)
            }
        };
        let payload_format = match text("PayloadFormatVersion")?.as_deref() {
            None | Some("2.0") => PayloadFormat::V2,
            Some("1.0") => PayloadFormat::V1,
            Some(other) => {
                let at = props.get("PayloadFormatVersion").unwrap_or(props);
                return Err(resolver.error(
                    at,
                    &join_path(&props_path, "PayloadFormatVersion"),
                    format!("{other:?} is not a payload format version (1.0 or 2.0)"),
                ));
            }
        };
        let timeout_ms = match text("TimeoutInMillis")? {
            None => MAX_TIMEOUT_MS,
            Some(t) => {
                let at = props.get("TimeoutInMillis").unwrap_or(props);
                match t.trim().parse::<u32>() {
                    Ok(n) if (50..=MAX_TIMEOUT_MS).contains(&n) => n,
                    _ => {
                        return Err(resolver.error(
                            at,
                            &join_path(&props_path, "TimeoutInMillis"),
                            format!("{t:?} is not a timeout between 50 and 30000 ms"),
                        ))
                    }
                }
            }
        };
        let api = match props.get("ApiId") {
            None => None,
            Some(node) => {
                // `!Ref MyApi` names the API directly; evaluating it would give the same logical id.
                let id = match intrinsic(node) {
                    Some(("Ref", target)) if target.as_str().is_some() => {
                        target.as_str().unwrap_or_default().to_owned()
                    }
                    _ => resolver
                        .eval_string(node, &join_path(&props_path, "ApiId"))?
                        .unwrap_or_default(),
                };
                Some((id, node.clone()))
            }
        };
        for (key, _) in props.entries().unwrap_or_default() {
            if !matches!(
                key.as_str(),
                "Path"
                    | "Method"
                    | "ApiId"
                    | "PayloadFormatVersion"
                    | "TimeoutInMillis"
                    | "RouteSettings"
                    | "Auth"
            ) {
                warnings.push(format!(
                    "{}: not emulated yet (ignored)",
                    join_path(&props_path, key)
                ));
            }
        }
        let resource = ResourcePath::parse(&route_path).ok();
        out.push(HttpEvent {
            resource,
            route: HttpRoute {
                method,
                path: route_path,
                function: id.to_owned(),
                integration: HttpIntegration::Lambda,
                event_name: event_name.clone(),
                payload_format,
                timeout_ms,
                // SAM's HttpApi event has no parameter mapping property.
                parameter_mapping: Default::default(),
                // Set by the caller, which knows the function.
                qualifier: None,
            },
            api,
            at: event.clone(),
            property: event_path,
            from_document: false,
        });
    }
    Ok(())
}

/// Puts each event on its API; a route key defined twice on one API is an error, as on AWS.
fn attach(
    events: Vec<HttpEvent>,
    apis: &mut [HttpApi],
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let mut attached: Vec<(String, HttpRoute, Option<ResourcePath>, String, bool)> = Vec::new();
    // Documents first: SAM adds an event's integration to an API's document only where the
    // document has none, so on a route both define the document's stays, whatever the order.
    let mut events = events;
    events.sort_by_key(|event| !event.from_document);
    'events: for event in events {
        let read = |id: &str| apis.iter().any(|a| a.logical_id == id);
        let named = event.api.as_ref();
        let Some(api_id) = EVENT_API.resolve(named, read, &event.property, resolver, warnings)?
        else {
            continue;
        };
        // AWS: a route key once per API (variable names aside), one variable name per position.
        for (api, earlier, earlier_resource, property, documented) in &attached {
            if *api != api_id {
                continue;
            }
            let same_shape = match (&event.resource, earlier_resource) {
                (Some(mine), Some(theirs)) => mine.shape() == theirs.shape(),
                (None, None) => true,
                _ => false,
            };
            if same_shape && earlier.method == event.route.method {
                if *documented && !event.from_document {
                    continue 'events;
                }
                return Err(resolver.error(
                    &event.at,
                    &event.property,
                    format!(
                        "route {} on {api_id} is already defined by {property} (AWS rejects routes that differ only in variable names)",
                        event.route.route_key()
                    ),
                ));
            }
            if let (Some(mine), Some(theirs)) = (&event.resource, earlier_resource) {
                if let Some((name, earlier_name)) = mine.variable_name_clash(theirs) {
                    return Err(resolver.error_hint(
                        &event.at,
                        &format!("{}.Properties.Path", event.property),
                        format!(
                            "{} names a path variable {{{name}}} where {property} ({theirs}) names it {{{earlier_name}}}; API Gateway allows one variable name per position",
                            event.route.path
                        ),
                        Some(format!("use {{{earlier_name}}} in both paths")),
                    ));
                }
            }
        }
        attached.push((
            api_id.clone(),
            event.route.clone(),
            event.resource.clone(),
            event.property.clone(),
            event.from_document,
        ));
        if let Some(api) = apis.iter_mut().find(|a| a.logical_id == api_id) {
            api.routes.push(event.route);
        }
    }
    Ok(())
}
