//! `AWS::Serverless::Api` and the implicit API, and the `Api` events that become their routes.

use std::collections::BTreeMap;

use super::reader::Reader;
use crate::error::TemplateError;
use crate::event_api::EventApi;
use crate::globals;
use crate::intrinsics::Resolver;
use crate::model::{RestApi, Route};
use crate::route_path::{PathError, ResourcePath};
use crate::yaml_tree::{Kind, Node};

/// The implicit API's logical id and stage, as SAM names them.
pub(crate) const IMPLICIT_API: &str = "ServerlessRestApi";
const IMPLICIT_STAGE: &str = "Prod";

/// How an `Api` event names its API.
const EVENT_API: EventApi = EventApi {
    key: "RestApiId",
    api_type: "AWS::Serverless::Api",
    implicit: IMPLICIT_API,
};

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
    "GatewayResponses",
    // Read by `request_validation`, for the events that name them.
    "Models",
    // Read by `openapi`, in its own pass.
    "DefinitionBody",
    "DefinitionUri",
    "MergeDefinitions",
    // Read by `auth.rs`.
    "Auth",
    "MethodSettings",
    "ApiKeySourceType",
    "CacheClusterEnabled",
    "CacheClusterSize",
    // Read by `access_logs`.
    "AccessLogSetting",
];

/// An `Api` event read from a function, waiting to be attached to its API.
pub(super) struct ApiEvent {
    function: String,
    event_name: String,
    method: String,
    path: String,
    /// `path` parsed (checked when the event was read).
    resource: ResourcePath,
    /// `RestApiId` as a logical id, with the node it came from; `None` → the implicit API.
    pub(super) rest_api: Option<(String, Node)>,
    /// The event's node and property path, for duplicate-route errors.
    at: Node,
    property: String,
    /// `ResponseTransferMode: STREAM`.
    streams: bool,
    /// `TimeoutInMillis`.
    timeout_ms: Option<u32>,
    /// `RequestParameters` marked `Caching: true`.
    cache_key_parameters: Vec<String>,
}

/// The implicit `ServerlessRestApi`: stage `Prod`, other settings from `Globals.Api`.
pub(super) fn implicit_api(
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
pub(super) fn attach(
    events: Vec<ApiEvent>,
    apis: &mut [RestApi],
    functions: &[crate::model::Function],
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
        let read = |id: &str| apis.iter().any(|a| a.logical_id == id);
        let named = event.rest_api.as_ref();
        let Some(api_id) = EVENT_API.resolve(named, read, &event.property, resolver, warnings)?
        else {
            continue;
        };
        // AWS: one method per resource, and one variable child per resource.
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
            if let Some((my_part, their_part)) = mine.variable_sibling_clash(theirs) {
                return Err(crate::resource_tree::sibling_error(
                    resolver,
                    (&event.at, &format!("{}.Properties.Path", event.property)),
                    (&event.path, my_part),
                    (&earlier.property, &theirs.resource, their_part),
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
        // SAM points an event's integration at the `AutoPublishAlias` alias when there is one
        // (samtranslator `sam_resources.py`: "connect all event sources to the alias").
        let qualifier = functions
            .iter()
            .find(|f| f.logical_id == event.function)
            .and_then(|f| f.alias.clone());
        api.routes.push(Route {
            method: event.method,
            path: event.path,
            function: event.function,
            event_name: event.event_name,
            streams: event.streams,
            timeout_ms: event.timeout_ms,
            cache_key_parameters: event.cache_key_parameters,
            qualifier,
            ..Route::default()
        });
    }
    Ok(())
}

/// The event types SAM's transform accepts on a function (samtranslator's push, pull,
/// CloudWatch Logs and Scheduler event sources).
const FUNCTION_EVENT_TYPES: &[&str] = &[
    "Api",
    "HttpApi",
    "DynamoDB",
    "SQS",
    "SNS",
    "S3",
    "Kinesis",
    "Schedule",
    "ScheduleV2",
    "CloudWatchEvent",
    "EventBridgeRule",
    "CloudWatchLogs",
    "IoTRule",
    "AlexaSkill",
    "Cognito",
    "MSK",
    "MQ",
    "SelfManagedKafka",
    "DocumentDB",
];

/// The properties of an `Api` event (samtranslator `Api.property_types`).
const API_EVENT_PROPERTIES: &[&str] = &[
    "Path",
    "Method",
    "RestApiId",
    "Auth",
    "RequestModel",
    "RequestParameters",
    "Stage",
    "TimeoutInMillis",
    "ResponseTransferMode",
];

/// Reads `Events`: `Api` events become routes later; every other type gets one warning.
pub(super) fn read_events(
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
        if !FUNCTION_EVENT_TYPES.contains(&ty.as_str()) {
            // SAM refuses the template (`Resource dict has missing or invalid value for key
            // Type`): a misspelt `Api` would otherwise leave its route out unnoticed.
            let hint = match crate::resource_types::did_you_mean(&ty, FUNCTION_EVENT_TYPES) {
                Some(meant) => format!("did you mean {meant}?"),
                None => format!(
                    "a function's events are {}",
                    FUNCTION_EVENT_TYPES.join(", ")
                ),
            };
            return Err(resolver.error_hint(
                type_node,
                &format!("{event_path}.Type"),
                format!("{ty:?} is not an event type of AWS::Serverless::Function; SAM refuses the template"),
                Some(hint),
            ));
        }
        if ty == "HttpApi" || ty == "DynamoDB" {
            // Read by `http_api` and `stream_events`, in their own passes.
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
        let streams = match event_props.get("ResponseTransferMode") {
            None => false,
            Some(node) => {
                crate::transfer_mode::streams(node, &reader.path("ResponseTransferMode"), resolver)?
            }
        };
        let timeout_ms = crate::integration_timeout::read(
            event_props.get("TimeoutInMillis"),
            &reader.path("TimeoutInMillis"),
            crate::integration_timeout::Bounds::Rest { streams },
            resolver,
            warnings,
        )?;
        let cache_key_parameters = crate::cache_keys::sam(
            event_props.get("RequestParameters"),
            &reader.path("RequestParameters"),
            resolver,
        )?;
        for (key, value) in event_props.entries().unwrap_or_default() {
            // `Auth` is read by `auth.rs`.
            // `RequestModel`/`RequestParameters` are read by `request_validation` (and
            // `RequestParameters` by `cache_keys`).
            if matches!(
                key.as_str(),
                "Path"
                    | "Method"
                    | "RestApiId"
                    | "Auth"
                    | "RequestModel"
                    | "RequestParameters"
                    | "ResponseTransferMode"
                    | "TimeoutInMillis"
            ) {
                continue;
            }
            if !API_EVENT_PROPERTIES.contains(&key.as_str()) {
                // SAM refuses it (`property RestApi not defined for resource of type Api`); a
                // misspelt RestApiId would otherwise put the route on the implicit API.
                let hint = match crate::resource_types::did_you_mean(key, API_EVENT_PROPERTIES) {
                    Some(meant) => format!("did you mean {meant}?"),
                    None => format!("an Api event has {}", API_EVENT_PROPERTIES.join(", ")),
                };
                return Err(resolver.error_hint(
                    value,
                    &reader.path(key),
                    format!("{key} is not a property of an Api event; SAM refuses the template"),
                    Some(hint),
                ));
            }
            warnings.push(format!("{}: not emulated yet (ignored)", reader.path(key)));
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
            streams,
            timeout_ms,
            cache_key_parameters,
        });
    }
    Ok(())
}

/// One `AWS::Serverless::Api` (or the implicit API).
pub(super) fn rest_api(
    id: &str,
    props: &Reader<'_, '_>,
    warnings: &mut Vec<String>,
) -> Result<RestApi, TemplateError> {
    let resolver = props.resolver;
    crate::sam_properties::check_api(props.properties, props.path, resolver)?;
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
        Some(node) => match crate::cors::rest(node, &props.path("Cors"), resolver) {
            Ok(cors) => cors,
            // AWS resolves the import at deploy time; locally no other stack exists. Serving the
            // API without CORS (as SAM CLI does) beats refusing to start.
            Err(_) if node.mentions("Fn::ImportValue") => {
                warnings.push(format!(
                    "{}: Fn::ImportValue reads another stack's export, which does not exist locally; the API is served without CORS (pass the value as a template parameter to have it)",
                    props.path("Cors")
                ));
                None
            }
            Err(error) => return Err(error),
        },
        None => None,
    };
    let gateway_responses = match props.properties.get("GatewayResponses") {
        Some(node) => crate::gateway_responses::sam(
            node,
            &props.path("GatewayResponses"),
            resolver,
            warnings,
        )?,
        None => Vec::new(),
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
        gateway_responses,
        resource_policy: None,
    })
}
