//! HTTP API route throttling: a stage's `DefaultRouteSettings` and `RouteSettings`. SAM passes an
//! `AWS::Serverless::HttpApi`'s (and its `HttpApi` events') to the stage it generates; a raw
//! `AWS::ApiGatewayV2::Stage` declares them itself.
//!
//! AWS ("Throttle requests to your HTTP APIs", http-api-throttling.html): route-level throttling
//! overrides the account-level limits "for a specific stage or for individual routes in your
//! API". Each route gets a bucket of its own, with its own entry's limits or else the default's:
//! the REST guide says of stage limits that they "are applied at the API method level for a
//! stage", and an HTTP API's default is the default of each route (`DefaultRouteSettings`).
//! A route's entry that sets a limit replaces the default whole; a limit it leaves out is the
//! account's (users report the default is not merged in: terraform-aws-modules/
//! terraform-aws-apigateway-v2#78).

use std::collections::{BTreeMap, BTreeSet};

use crate::auth_model::{RouteLimits, RouteThrottling};
use crate::auth_props::Props;
use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::model::{HttpApi, HttpRoute};
use crate::yaml_tree::{Kind, Node};

/// How many route keys the hint of an unknown one lists.
const LISTED_KEYS: usize = 10;

/// One SAM `HttpApi` event's own `RouteSettings`, for the route the event adds.
struct EventSettings<'a, 't> {
    /// The event's route key (`GET /items`, `$default`).
    route_key: String,
    /// The event's `RouteSettings`.
    settings: Props<'a, 't>,
}

/// Reads the throttling of `api` from `stage` (a raw Stage's properties, or a SAM HttpApi's),
/// with its SAM events' `RouteSettings` merged in. `document`: the API's OpenAPI document and
/// its place, if any.
pub(super) fn read(
    stage: &Props<'_, '_>,
    api: &HttpApi,
    document: Option<&(Node, String)>,
    resources: &[(String, Node)],
) -> Result<RouteThrottling, TemplateError> {
    let keys = route_keys(api, document, resources, stage.resolver)?;
    let events = event_settings(api, resources, stage.resolver);
    merge(stage, &events, &keys)
}

/// `stage`'s `DefaultRouteSettings` and `RouteSettings`, with `events`' merged over the latter as
/// SAM merges them. `route_keys` holds every route key the API declares: a `RouteSettings` key
/// outside it is refused, as AWS refuses the stage.
fn merge(
    stage: &Props<'_, '_>,
    events: &[EventSettings<'_, '_>],
    route_keys: &BTreeSet<String>,
) -> Result<RouteThrottling, TemplateError> {
    let mut throttling = RouteThrottling {
        default: limits(&mapping(stage, "DefaultRouteSettings")?)?,
        routes: BTreeMap::new(),
    };
    let settings = mapping(stage, "RouteSettings")?;
    for (key, _) in settings.node.entries().unwrap_or_default() {
        if !route_keys.contains(key) {
            // AWS: "NotFoundException: Unable to find Route by key GET /some-route within the
            // provided RouteSettings" (CreateStage / UpdateStage; quoted in
            // terraform-aws-modules/terraform-aws-apigateway-v2#80). Keys match exactly: an
            // `ANY /{proxy+}` route is `ANY /{proxy+}`, never `DELETE /{proxy+}`.
            let hint =
                if let Some(spelled) = upper_case_method(key).filter(|k| route_keys.contains(k)) {
                    // AWS looks the key up as written, and an API's route keys spell the method in
                    // upper case (SAM writes an event's as `method.upper()`, `_add_route_settings_to_api`).
                    format!("route keys are case-sensitive: write {spelled:?}")
                } else if route_keys.is_empty() {
                    "the API has no routes".to_owned()
                } else {
                    let mut known: Vec<&str> = route_keys.iter().map(String::as_str).collect();
                    if known.len() > LISTED_KEYS {
                        known.truncate(LISTED_KEYS);
                        known.push("…");
                    }
                    format!("use a route key of the API: {}", known.join(", "))
                };
            return Err(settings.error_hint(
                key,
                format!("no route {key:?} on this API; AWS refuses a stage whose RouteSettings name one"),
                hint,
            ));
        }
        if let Some(own) = limits(&mapping(&settings, key)?)? {
            throttling.routes.insert(key.clone(), own);
        }
    }
    for event in events {
        let node = &event.settings.node;
        if !node.is_null() && !matches!(node.kind, Kind::Map(_)) {
            return Err(event.settings.resolver.error(
                node,
                &event.settings.path,
                format!("expected a mapping, found {}", node.shape()),
            ));
        }
        let Some(own) = limits(&event.settings)? else {
            continue;
        };
        // SAM (`_add_route_settings_to_api`): the event's settings update the API's entry for
        // the event's route, key by key.
        let merged = match throttling.routes.get(&event.route_key) {
            Some(api) => RouteLimits {
                rate_limit: own.rate_limit.or(api.rate_limit),
                burst_limit: own.burst_limit.or(api.burst_limit),
            },
            None => own,
        };
        throttling.routes.insert(event.route_key.clone(), merged);
    }
    Ok(throttling)
}

/// `key` with its method in upper case (`get /x` → `GET /x`), when that changes it.
fn upper_case_method(key: &str) -> Option<String> {
    let (method, path) = key.split_once(' ')?;
    let upper = method.to_ascii_uppercase();
    (upper != method).then(|| format!("{upper} {path}"))
}

/// The mapping at `props.key` (empty when absent or null); anything else is refused, as
/// CloudFormation's schema refuses it.
fn mapping<'a, 't>(props: &Props<'a, 't>, key: &str) -> Result<Props<'a, 't>, TemplateError> {
    match props.node.get(key) {
        Some(node) if !node.is_null() && !matches!(node.kind, Kind::Map(_)) => {
            Err(props.error(key, format!("expected a mapping, found {}", node.shape())))
        }
        _ => Ok(props.child(key)),
    }
}

/// `ThrottlingRateLimit` and `ThrottlingBurstLimit` of one route setting; `None` when it sets
/// neither (its other fields, `DetailedMetricsEnabled`, `LoggingLevel`…, change nothing here).
fn limits(settings: &Props<'_, '_>) -> Result<Option<RouteLimits>, TemplateError> {
    let limits = RouteLimits {
        rate_limit: settings.float("ThrottlingRateLimit")?,
        burst_limit: settings.number("ThrottlingBurstLimit")?,
    };
    Ok((limits.rate_limit.is_some() || limits.burst_limit.is_some()).then_some(limits))
}

/// The route key an OpenAPI operation declares (`GET /items`, or `$default` for its path).
fn operation_key(method: &str, path: &str) -> String {
    if path == crate::model::DEFAULT_ROUTE {
        path.to_owned()
    } else {
        format!("{method} {path}")
    }
}

/// Every route key `api` declares: its routes', and those AWS has but Sluice does not serve (a
/// document's operations without an integration, raw `AWS::ApiGatewayV2::Route`s whose target
/// is not read), so a `RouteSettings` key naming one of them is not refused.
fn route_keys(
    api: &HttpApi,
    document: Option<&(Node, String)>,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
) -> Result<BTreeSet<String>, TemplateError> {
    let mut keys: BTreeSet<String> = api.routes.iter().map(HttpRoute::route_key).collect();
    if let Some((doc, where_)) = document {
        keys.extend(
            crate::openapi::unintegrated(doc, where_)
                .iter()
                .map(|op| operation_key(&op.method, &op.path)),
        );
    }
    for (id, resource) in resources {
        if resource.get("Type").and_then(Node::as_str) != Some("AWS::ApiGatewayV2::Route")
            || !resolver.resource_enabled(id, resource)?
        {
            continue;
        }
        let props = Props::of(resolver, resource, id);
        if props.string("ApiId")?.as_deref() == Some(api.logical_id.as_str()) {
            keys.extend(props.string("RouteKey")?);
        }
    }
    Ok(keys)
}

/// The `RouteSettings` of the SAM `HttpApi` events that add `api`'s routes.
fn event_settings<'a, 't>(
    api: &HttpApi,
    resources: &[(String, Node)],
    resolver: &'a Resolver<'t>,
) -> Vec<EventSettings<'a, 't>> {
    let mut out = Vec::new();
    for route in &api.routes {
        // A SAM event's route is named for the event; other routes by their `Resources.` path.
        if route.event_name.contains('.') {
            continue;
        }
        let (function, event_name) = (&route.function, &route.event_name);
        let settings = resources
            .iter()
            .find(|(id, _)| id == function)
            .and_then(|(_, r)| r.get("Properties"))
            .and_then(|p| p.get("Events"))
            .and_then(|e| e.get(event_name))
            .filter(|e| e.get("Type").and_then(Node::as_str) == Some("HttpApi"))
            .and_then(|e| e.get("Properties"))
            .and_then(|p| p.get("RouteSettings"));
        if let Some(settings) = settings {
            out.push(EventSettings {
                route_key: route.route_key(),
                settings: Props {
                    resolver,
                    node: crate::globals::apply(None, Some(settings), settings),
                    path: format!(
                        "Resources.{function}.Properties.Events.{event_name}.Properties.RouteSettings"
                    ),
                },
            });
        }
    }
    out
}
