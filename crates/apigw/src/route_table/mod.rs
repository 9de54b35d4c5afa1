//! Phase 1, route: find the route a request path and method select, as API Gateway does.
//!
//! REST APIs and HTTP APIs share the rules below (HTTP API documents them as "exact match, then
//! greedy, then `$default`", which the same specificity order gives); HTTP API's `$default` route
//! is kept apart and answers only when no other route matches.
//!
//! Matching works on the raw, still percent-encoded path, so `/a%2Fb` is one segment and path
//! parameters keep the client's encoding. Among the routes whose resource matches the path, the most
//! specific resource wins, compared segment by segment from the left: a literal segment beats
//! `{param}`, which beats the greedy `{proxy+}`. On that resource an explicit method beats `ANY`. A
//! resource that has neither the method nor `ANY` does not stop the search: the next most specific
//! resource that has it is used (AWS: a literal resource that lacks the method falls back to a
//! `{proxy+}` sibling that has it).
//!
//! A handful of routes per application makes a linear scan cheaper than any index; the table is built
//! once per template and shared read-only.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sluice_template::route_path::{PathError, PathSegment, ResourcePath};
#[cfg(test)]
use sluice_template::RestApi;
use sluice_template::{Integration, ParameterMapping, RequestValidation, Route, DEFAULT_ROUTE};

use crate::access_log::RouteRecord;
use crate::dialect::Dialect;
use crate::request_validator::RequestValidator;

/// Why a template's routes cannot form a route table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Two events route the same method on the same path (parameter names aside).
    #[error(
        "{method} {path} is routed twice: by {first} and by {second}; remove one of them or change \
         its Path or Method"
    )]
    Duplicate {
        /// The method both events use (`ANY` included).
        method: String,
        /// The path of the second event, as written.
        path: String,
        /// The route seen first: "event `GetItems` of `ItemsFunction`".
        first: String,
        /// The route seen second, same form.
        second: String,
    },
    /// A path API Gateway would refuse (`{proxy+}` not last, empty segment, no leading `/`).
    #[error("event `{event}` of `{function}`: invalid Path `{path}`: {reason}")]
    InvalidPath {
        /// The event's name.
        event: String,
        /// The event's function.
        function: String,
        /// The path as written.
        path: String,
        /// What is wrong with it.
        reason: PathError,
    },
    /// A request model that is not a JSON Schema draft 4 document.
    #[error("event `{event}` of `{function}`: the request model is not a valid JSON Schema (draft 4): {reason}")]
    InvalidModel {
        /// The event's name.
        event: String,
        /// The event's function.
        function: String,
        /// What the schema compiler said.
        reason: String,
    },
}

/// A compiled route: where it lives (which API), what it matches, what it integrates with.
#[derive(Debug, Clone)]
pub(crate) struct RouteEntry {
    /// Index into the gateway's list of APIs (stage, variables, binary media types).
    pub api: usize,
    /// Upper-case method or `ANY`.
    pub method: String,
    /// The resource path as written in the template: the event's `resource` and `resourcePath`.
    pub resource: String,
    /// The function's logical id.
    pub function: String,
    /// The event's name, for messages.
    pub event_name: String,
    /// How requests on this route are answered (REST, HTTP API 1.0/2.0, Function URL).
    pub dialect: Dialect,
    /// `requestContext.routeKey` (HTTP API): `GET /items/{id}` or `$default`.
    pub route_key: String,
    /// The route's own integration timeout; `None` → the dialect's.
    pub timeout: Option<Duration>,
    /// The REST method's integration (Lambda proxy unless the template says otherwise).
    pub integration: Integration,
    /// The REST method's request validator, if one applies.
    pub validator: Option<Arc<RequestValidator>>,
    /// The REST method's `OperationName`: `requestContext.operationName` when set.
    pub operation_name: Option<String>,
    /// A REST Lambda proxy in `ResponseTransferMode: STREAM`: invoked with
    /// `InvokeWithResponseStream`, its answer relayed as the function writes it.
    pub streams: bool,
    /// An HTTP API integration's parameter mapping; `None` when it maps nothing.
    pub parameter_mapping: Option<Arc<ParameterMapping>>,
    /// A REST Lambda proxy's `integration.request.header.X-Amz-Tenant-Id` source: the tenant a
    /// tenant-isolated function is invoked for.
    pub tenant_id_parameter: Option<String>,
    /// The version or alias the route invokes (a Function URL's own, `$LATEST` included);
    /// `None`: the unqualified function (`$LATEST`), as an integration URI without one does.
    pub qualifier: Option<String>,
    /// The invoker's target: `function`, or `function:qualifier`; made with the route so a
    /// request borrows it instead of formatting it.
    pub target: String,
    /// The template path, parsed.
    path: ResourcePath,
    /// The route as access records name it, made on the route's first request and shared by
    /// every later one (the access log and the console keep one per request).
    pub record: OnceLock<RouteRecord>,
}

impl RouteEntry {
    /// A route that takes every request it is given (Function URLs, `$default`: no path matching).
    pub fn catch_all(api: usize, function: &str, dialect: Dialect) -> RouteEntry {
        RouteEntry {
            api,
            method: "ANY".into(),
            resource: DEFAULT_ROUTE.into(),
            function: function.into(),
            event_name: String::new(),
            dialect,
            route_key: DEFAULT_ROUTE.into(),
            timeout: None,
            integration: Integration::LambdaProxy,
            validator: None,
            operation_name: None,
            streams: false,
            parameter_mapping: None,
            tenant_id_parameter: None,
            qualifier: None,
            target: function.into(),
            path: ResourcePath {
                resource: DEFAULT_ROUTE.into(),
                segments: Vec::new(),
            },
            record: OnceLock::new(),
        }
    }

    /// Makes the route invoke `qualifier` of its function (`None`: unqualified).
    pub fn invoke(&mut self, qualifier: Option<String>) {
        self.target = invoke_target(&self.function, qualifier.as_deref());
        self.qualifier = qualifier;
    }
}

/// The invoker's name for `qualifier` of `function` (the logical id): `Fn`, `Fn:live`.
fn invoke_target(function: &str, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(qualifier) => format!("{function}:{qualifier}"),
        None => function.to_owned(),
    }
}

/// The route a request selected, with the path parameters it bound.
#[derive(Debug, Clone)]
pub(crate) struct RouteMatch {
    /// The selected route (shared, so the exchange can carry it through every phase).
    pub entry: Arc<RouteEntry>,
    /// Parameter name → raw (still percent-encoded) value, in template order.
    pub path_parameters: Vec<(String, String)>,
}

/// Every route of every REST API the template defines, merged as SAM local merges them on one port.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteTable {
    entries: Vec<Arc<RouteEntry>>,
    /// HTTP API's `$default` route: chosen when nothing else matches (one per port).
    default_route: Option<Arc<RouteEntry>>,
}

/// One route to compile, whatever kind of API declared it.
#[derive(Debug, Clone)]
pub(crate) struct RouteSpec {
    /// Index into the gateway's list of APIs.
    pub api: usize,
    /// Method or `ANY` (any case).
    pub method: String,
    /// The path template, or `$default` (HTTP API's catch-all).
    pub path: String,
    /// The function's logical id.
    pub function: String,
    /// The event's name, for messages.
    pub event_name: String,
    /// How requests on this route are answered.
    pub dialect: Dialect,
    /// `requestContext.routeKey` (HTTP API): `GET /items/{id}` or `$default`.
    pub route_key: String,
    /// The route's own integration timeout (`TimeoutInMillis`); `None` → the dialect's.
    pub timeout: Option<Duration>,
    /// The REST method's integration (HTTP APIs: Lambda proxy).
    pub integration: Integration,
    /// The REST method's request validation.
    pub validation: Option<RequestValidation>,
    /// The REST method's `OperationName`, for `requestContext.operationName`.
    pub operation_name: Option<String>,
    /// The REST method's `ResponseTransferMode` is `STREAM`.
    pub streams: bool,
    /// The HTTP API integration's parameter mapping.
    pub parameter_mapping: Option<Arc<ParameterMapping>>,
    /// The REST Lambda proxy's `X-Amz-Tenant-Id` request parameter.
    pub tenant_id_parameter: Option<String>,
    /// The version or alias the integration invokes; `None`: the unqualified function.
    pub qualifier: Option<String>,
}

impl RouteSpec {
    /// A REST API route (payload 1.0).
    pub fn rest(api: usize, route: &Route) -> RouteSpec {
        RouteSpec {
            api,
            method: route.method.clone(),
            path: route.path.clone(),
            function: route.function.clone(),
            event_name: route.event_name.clone(),
            dialect: Dialect::Rest,
            route_key: format!("{} {}", route.method, route.path),
            timeout: route
                .timeout_ms
                .map(|ms| Duration::from_millis(u64::from(ms))),
            integration: route.integration.clone(),
            validation: route.validation.clone(),
            operation_name: route.operation_name.clone(),
            streams: route.streams,
            parameter_mapping: None,
            tenant_id_parameter: route.tenant_id_parameter.clone(),
            qualifier: route.qualifier.clone(),
        }
    }

    /// "event `GetItems` of `ItemsFunction`", for messages.
    fn describe(&self) -> String {
        format!("event `{}` of `{}`", self.event_name, self.function)
    }
}

impl RouteTable {
    /// Compile the routes of these REST APIs; `apis[i]`'s routes get `api == i`.
    #[cfg(test)]
    pub fn new(apis: &[RestApi]) -> Result<RouteTable, RouteError> {
        RouteTable::from_specs(apis.iter().enumerate().flat_map(|(index, api)| {
            api.routes
                .iter()
                .map(move |route| RouteSpec::rest(index, route))
        }))
    }

    /// Compile routes of any kind of API; `$default` routes are kept apart and match last.
    pub fn from_specs(
        specs: impl IntoIterator<Item = RouteSpec>,
    ) -> Result<RouteTable, RouteError> {
        let mut table = RouteTable::default();
        let mut origins: Vec<RouteSpec> = Vec::new();
        for spec in specs {
            if spec.path == DEFAULT_ROUTE {
                if let Some(first) = &table.default_route {
                    return Err(RouteError::Duplicate {
                        method: "ANY".into(),
                        path: DEFAULT_ROUTE.into(),
                        first: format!("event `{}` of `{}`", first.event_name, first.function),
                        second: spec.describe(),
                    });
                }
                let mut entry = RouteEntry::catch_all(spec.api, &spec.function, spec.dialect);
                entry.event_name = spec.event_name;
                entry.timeout = spec.timeout;
                entry.parameter_mapping = spec.parameter_mapping.clone();
                entry.invoke(spec.qualifier.clone());
                table.default_route = Some(Arc::new(entry));
                continue;
            }
            // The template checked these rules with positions; a model built by hand is
            // checked here with the same rules (`sluice_template::route_path`).
            let path = parse_template(&spec)?;
            let validator = match &spec.validation {
                Some(validation) => Some(Arc::new(RequestValidator::compile(validation).map_err(
                    |reason| RouteError::InvalidModel {
                        event: spec.event_name.clone(),
                        function: spec.function.clone(),
                        reason,
                    },
                )?)),
                None => None,
            };
            let method = spec.method.to_ascii_uppercase();
            let shape = path.shape();
            if let Some(i) = table
                .entries
                .iter()
                .position(|e| e.method == method && e.path.shape() == shape)
            {
                return Err(RouteError::Duplicate {
                    method,
                    path: spec.path.clone(),
                    first: origins[i].describe(),
                    second: spec.describe(),
                });
            }
            table.entries.push(Arc::new(RouteEntry {
                api: spec.api,
                method,
                resource: path.resource.clone(),
                function: spec.function.clone(),
                event_name: spec.event_name.clone(),
                dialect: spec.dialect,
                route_key: spec.route_key.clone(),
                timeout: spec.timeout,
                integration: spec.integration.clone(),
                validator,
                operation_name: spec.operation_name.clone(),
                streams: spec.streams,
                parameter_mapping: spec.parameter_mapping.clone(),
                tenant_id_parameter: spec.tenant_id_parameter.clone(),
                qualifier: spec.qualifier.clone(),
                target: invoke_target(&spec.function, spec.qualifier.as_deref()),
                path,
                record: OnceLock::new(),
            }));
            origins.push(spec);
        }
        Ok(table)
    }

    /// The route for this method and raw path (leading `//` already collapsed or not: both work).
    pub fn find(&self, method: &str, raw_path: &str) -> Option<RouteMatch> {
        self.best(Some(method), raw_path).or_else(|| {
            // HTTP API: `$default` catches whatever no other route matched.
            self.default_route.as_ref().map(|entry| RouteMatch {
                entry: entry.clone(),
                path_parameters: Vec::new(),
            })
        })
    }

    /// The most specific route on this path whatever its method (`$default` aside): the resource a
    /// generated `OPTIONS` method would sit on.
    pub fn resource(&self, raw_path: &str) -> Option<RouteMatch> {
        self.best(None, raw_path)
    }

    /// The methods routed on one API's resource (`ANY` included), as written.
    pub fn methods_on(&self, api: usize, resource: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.api == api && e.resource == resource)
            .map(|e| e.method.clone())
            .collect()
    }

    /// The API whose `$default` route this table has, if any.
    pub fn default_api(&self) -> Option<usize> {
        self.default_route.as_ref().map(|e| e.api)
    }

    /// The best match by specificity, then method (an exact method, then `ANY`); with `None` as
    /// the method every route's method matches equally.
    fn best(&self, method: Option<&str>, raw_path: &str) -> Option<RouteMatch> {
        let segments = request_segments(raw_path);
        let mut best: Option<(Vec<u8>, u8, RouteMatch)> = None;
        for entry in &self.entries {
            let method_rank = match method {
                None => 0,
                Some(method) if entry.method == method => 0,
                Some(_) if entry.method == "ANY" => 1,
                Some(_) => continue,
            };
            // HTTP API: `/x/` reaches `/x/{proxy+}` with an empty `proxy`; REST treats `/x/` as
            // `/x`, which its greedy resource does not match.
            let bare_prefix =
                matches!(entry.dialect, Dialect::HttpApi(_)) && raw_path.ends_with('/');
            let Some(path_parameters) =
                match_segments(&entry.path.segments, &segments, bare_prefix)
            else {
                continue;
            };
            let specificity: Vec<u8> = entry.path.segments.iter().map(PathSegment::rank).collect();
            let better = match &best {
                None => true,
                Some((best_spec, best_method, _)) => {
                    (&specificity, method_rank) < (best_spec, *best_method)
                }
            };
            if better {
                let found = RouteMatch {
                    entry: entry.clone(),
                    path_parameters,
                };
                best = Some((specificity, method_rank, found));
            }
        }
        best.map(|(_, _, found)| found)
    }
}

/// Parse a route's path with the template's rules, naming the route when it is refused.
fn parse_template(route: &RouteSpec) -> Result<ResourcePath, RouteError> {
    ResourcePath::parse(&route.path).map_err(|error| RouteError::InvalidPath {
        event: route.event_name.clone(),
        function: route.function.clone(),
        path: route.path.clone(),
        reason: error,
    })
}

/// The raw path's segments: leading slashes collapsed, trailing slashes ignored (AWS matches
/// `/items/` to `/items`; Sluice treats `/items//` the same, so a `{proxy+}` value never ends in `/`).
fn request_segments(raw_path: &str) -> Vec<&str> {
    let rest = raw_path.trim_start_matches('/').trim_end_matches('/');
    if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    }
}

/// Bind a template to request segments; `None` when it does not match. `bare_prefix`: the
/// request ended in `/` right after a greedy resource's parent (HTTP API's `/x/` for `/x/{proxy+}`),
/// which binds the greedy variable to `""`; the root (`/` for `/{proxy+}`) never does.
fn match_segments(
    template: &[PathSegment],
    request: &[&str],
    bare_prefix: bool,
) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    for (i, segment) in template.iter().enumerate() {
        match segment {
            PathSegment::Literal(text) => {
                if request.get(i) != Some(&text.as_str()) {
                    return None;
                }
            }
            PathSegment::Param(name) => {
                let value = request.get(i).filter(|v| !v.is_empty())?;
                params.push((name.clone(), (*value).to_owned()));
            }
            PathSegment::Greedy(name) => {
                if bare_prefix && i > 0 && request.len() == i {
                    params.push((name.clone(), String::new()));
                    return Some(params);
                }
                let rest = request.get(i..).filter(|r| !r.is_empty())?;
                let value = rest.join("/");
                if value.is_empty() {
                    return None;
                }
                params.push((name.clone(), value));
                return Some(params);
            }
        }
    }
    (template.len() == request.len()).then_some(params)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
