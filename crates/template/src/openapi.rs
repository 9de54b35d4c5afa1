//! Routes from an OpenAPI document (`DefinitionBody`, a local `DefinitionUri`, an
//! `AWS::ApiGatewayV2::Api` `Body`): each operation with an `x-amazon-apigateway-integration` of
//! type `aws_proxy` whose `uri` names a function of the template becomes a route, as API Gateway
//! imports it.

use std::path::Path;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{
    Function, HttpIntegration, Integration, ParameterMapping, PayloadFormat, RequestValidation,
    RestApi, Route, DEFAULT_ROUTE,
};
use crate::yaml_tree::Node;

/// OpenAPI's operation keys and the methods they route.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// An operation of an OpenAPI document: its path key, the upper-case method it routes, and its
/// property path (`{where_}.paths./items.get`).
pub(crate) struct Operation<'d> {
    /// The path key as written.
    pub path: &'d String,
    /// Upper-case method or `ANY`.
    pub method: &'static str,
    /// Where it is, for messages and as its routes' event name.
    pub property: String,
    /// The operation's node.
    pub node: &'d Node,
}

/// Every operation of `document` (keys that are not methods, such as `parameters`, skipped).
pub(crate) fn operations<'d>(
    document: &'d Node,
    where_: &'d str,
) -> impl Iterator<Item = Operation<'d>> + 'd {
    document
        .get("paths")
        .and_then(Node::entries)
        .unwrap_or_default()
        .iter()
        .flat_map(move |(path_key, item)| {
            item.entries()
                .unwrap_or_default()
                .iter()
                .filter_map(move |(operation, node)| {
                    let (_, method) = OPERATIONS.iter().find(|(key, _)| key == operation)?;
                    Some(Operation {
                        path: path_key,
                        method,
                        property: format!("{where_}.paths.{path_key}.{operation}"),
                        node,
                    })
                })
        })
}

/// One route an OpenAPI document defines.
#[derive(Debug, Clone)]
pub(crate) struct OpenApiRoute {
    /// Upper-case method or `ANY`.
    pub method: String,
    /// The path key (`/items/{id}`; `/$default` becomes `$default`).
    pub path: String,
    /// Logical id of the integrated function (empty for MOCK and unsupported types).
    pub function: String,
    /// The integration (REST APIs: proxy, Lambda custom, MOCK or unsupported).
    pub integration: Integration,
    /// The operation's request validation (REST APIs).
    pub validation: Option<RequestValidation>,
    /// `payloadFormatVersion` of the integration, if it says.
    pub payload_format: Option<PayloadFormat>,
    /// The operation's `operationId` (REST APIs pass it on as `requestContext.operationName`).
    pub operation_id: Option<String>,
    /// `paths./items.get`, for messages and as the route's event name.
    pub property: String,
    /// The operation's node, for errors.
    pub at: Node,
    /// `responseTransferMode: STREAM` on a REST Lambda proxy integration.
    pub streams: bool,
    /// A REST Lambda proxy's `integration.request.header.X-Amz-Tenant-Id` request parameter.
    pub tenant_id_parameter: Option<String>,
    /// The integration's `timeoutInMillis`; `None` → the API's default.
    pub timeout_ms: Option<u32>,
    /// An HTTP API integration's `requestParameters` / `responseParameters`.
    pub parameter_mapping: ParameterMapping,
    /// A REST integration's `cacheKeyParameters`.
    pub cache_key_parameters: Vec<String>,
    /// The version or alias the integration's URI names; `None`: `$LATEST`.
    pub qualifier: Option<String>,
}

/// The OpenAPI document of an API: `DefinitionBody` inline, else a local `DefinitionUri` file
/// (YAML or JSON, relative to the template); `None` when there is neither (or an S3 location,
/// which gets a warning).
pub(crate) fn document(
    properties: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<Option<(Node, String)>, TemplateError> {
    if let Some(body) = properties.get("DefinitionBody") {
        return Ok(Some((body.clone(), join_path(path, "DefinitionBody"))));
    }
    let Some(uri_node) = properties.get("DefinitionUri") else {
        return Ok(None);
    };
    let uri_path = join_path(path, "DefinitionUri");
    let uri = match uri_node.as_str() {
        Some(text) => text.to_owned(),
        None => {
            warnings.push(format!(
                "{uri_path}: S3 locations are not read locally; use a local file (ignored)"
            ));
            return Ok(None);
        }
    };
    if uri.starts_with("s3://") {
        warnings.push(format!(
            "{uri_path}: S3 locations are not read locally; use a local file (ignored)"
        ));
        return Ok(None);
    }
    let file = template_dir.join(&uri);
    let source = std::fs::read_to_string(&file).map_err(|e| {
        resolver.error(
            uri_node,
            &uri_path,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let Some(root) = crate::yaml_tree::parse_other(&source, &file, warnings)? else {
        return Err(resolver.error(uri_node, &uri_path, format!("{uri} is empty")));
    };
    let mut document = crate::long_form::convert(root);
    if let Some(paths) = crate::path_item_refs::inline_paths(&document, &uri, resolver, warnings)? {
        if let Some(slot) = document.get_mut("paths") {
            *slot = paths;
        }
    }
    Ok(Some((document, uri)))
}

/// A REST API document's `x-amazon-apigateway-binary-media-types` (`~1` written as `/`).
pub(crate) fn binary_media_types(
    document: &Node,
    where_: &str,
    resolver: &Resolver<'_>,
) -> Result<Vec<String>, TemplateError> {
    let Some(types) = document.get("x-amazon-apigateway-binary-media-types") else {
        return Ok(Vec::new());
    };
    let types = resolver.eval_string_list(
        types,
        &format!("{where_}.x-amazon-apigateway-binary-media-types"),
    )?;
    Ok(types.into_iter().map(|t| t.replace("~1", "/")).collect())
}

/// The routes of an OpenAPI document. `where_` prefixes property paths in messages. `rest`: the
/// document is a REST API's, whose operations may also use non-proxy integrations and validators.
pub(crate) fn routes(
    document: &Node,
    where_: &str,
    resolver: &Resolver<'_>,
    functions: &[Function],
    warnings: &mut Vec<String>,
    rest: bool,
) -> Result<Vec<OpenApiRoute>, TemplateError> {
    let mut out = Vec::new();
    for Operation {
        path: path_key,
        method,
        property: op_path,
        node,
    } in operations(document, where_)
    {
        let Some(written) = node.get("x-amazon-apigateway-integration") else {
            // Callers warn ([`unintegrated`]) once events had their chance to supply one.
            continue;
        };
        let (integration, integration_path) = crate::reusable_integrations::resolve(
            document,
            where_,
            written,
            format!("{op_path}.x-amazon-apigateway-integration"),
            rest,
            resolver,
        )?;
        let operation_id = match node.get("operationId") {
            Some(id) => resolver.eval_string(id, &join_path(&op_path, "operationId"))?,
            None => None,
        };
        let text = |key: &str| -> Result<Option<String>, TemplateError> {
            match integration.get(key) {
                Some(value) => resolver.eval_string(value, &join_path(&integration_path, key)),
                None => Ok(None),
            }
        };
        let kind = text("type")?.unwrap_or_default().to_ascii_lowercase();
        // A REST method's request parameters; HTTP APIs import none (their routes map
        // parameters in the integration instead).
        let parameters = if rest {
            Some(crate::openapi_parameters::of_operation(
                document,
                where_,
                path_key,
                (node, &op_path),
                resolver,
                warnings,
            )?)
        } else {
            None
        };
        let validation = match &parameters {
            Some(parameters) => crate::request_validation::openapi(
                document, node, &op_path, where_, parameters, resolver, warnings,
            )?,
            None => None,
        };
        let cache_keys = integration.get("cacheKeyParameters");
        let cache_key_parameters = match (cache_keys, &parameters) {
            (Some(cache_keys), Some(parameters)) => crate::cache_keys::integration(
                cache_keys,
                &join_path(&integration_path, "cacheKeyParameters"),
                resolver,
                &crate::cache_keys::Declared::openapi(parameters),
            )?,
            _ => Vec::new(),
        };
        if rest && kind != "aws_proxy" {
            let integrated = crate::non_proxy::read(
                integration,
                &integration_path,
                true,
                &format!("{method} {path_key}"),
                resolver,
                functions,
                warnings,
            )?;
            let timeout_ms = crate::integration_timeout::read(
                integration.get("timeoutInMillis"),
                &join_path(&integration_path, "timeoutInMillis"),
                crate::integration_timeout::Bounds::Rest { streams: false },
                resolver,
                warnings,
            )?;
            out.push(OpenApiRoute {
                method: method.to_owned(),
                path: path_key.clone(),
                function: integrated.function,
                qualifier: integrated.qualifier,
                integration: integrated.integration,
                validation,
                payload_format: None,
                operation_id,
                property: op_path,
                at: node.clone(),
                streams: false,
                timeout_ms,
                parameter_mapping: ParameterMapping::default(),
                cache_key_parameters,
                tenant_id_parameter: None,
            });
            continue;
        }
        // AWS serves a route whatever its integration; one Sluice cannot run answers 500 (with
        // the route matched, so CORS and authorizers still apply), as on AWS when the backend
        // fails.
        let answer = if rest {
            "Internal server error"
        } else {
            "Internal Server Error"
        };
        let mut not_emulated = |kind: String, place: &str, what: String| {
            warnings.push(format!(
                "{}: {what}; {method} {path_key} answers 500 {answer}",
                crate::yaml_tree::display_path(place)
            ));
            OpenApiRoute {
                method: method.to_owned(),
                path: route_path_of(path_key),
                function: String::new(),
                integration: Integration::Unsupported { kind },
                validation: validation.clone(),
                payload_format: None,
                operation_id: operation_id.clone(),
                property: op_path.clone(),
                at: node.clone(),
                streams: false,
                timeout_ms: None,
                parameter_mapping: ParameterMapping::default(),
                cache_key_parameters: Vec::new(),
                tenant_id_parameter: None,
                qualifier: None,
            }
        };
        if kind == "http_proxy" {
            let read = crate::http_proxy::read(
                integration,
                &integration_path,
                &crate::http_proxy::HTTP_OPENAPI,
                resolver,
            )?;
            let proxy = match read {
                crate::http_proxy::Read::Proxy(proxy) => proxy,
                crate::http_proxy::Read::VpcLink => {
                    let kind = crate::http_proxy::Read::VPC_LINK_KIND;
                    out.push(not_emulated(
                        kind.to_owned(),
                        &join_path(&integration_path, "connectionType"),
                        format!("{kind} is not emulated (Sluice cannot reach a VPC)"),
                    ));
                    continue;
                }
            };
            let timeout_ms = crate::integration_timeout::read(
                integration.get("timeoutInMillis"),
                &join_path(&integration_path, "timeoutInMillis"),
                crate::integration_timeout::Bounds::Http,
                resolver,
                warnings,
            )?;
            out.push(OpenApiRoute {
                method: method.to_owned(),
                path: route_path_of(path_key),
                function: String::new(),
                integration: Integration::HttpProxy(proxy),
                validation,
                payload_format: None,
                operation_id,
                property: op_path,
                at: node.clone(),
                streams: false,
                timeout_ms,
                parameter_mapping: crate::parameter_mapping::openapi(
                    integration,
                    &integration_path,
                    resolver,
                )?,
                cache_key_parameters,
                tenant_id_parameter: None,
                qualifier: None,
            });
            continue;
        }
        if kind != "aws_proxy" {
            let upper = kind.to_ascii_uppercase();
            out.push(not_emulated(
                upper.clone(),
                &integration_path,
                format!("integration type {upper} is not emulated"),
            ));
            continue;
        }
        // HTTP APIs' AWS service integrations (EventBridge-PutEvents, SQS-SendMessage, …)
        // are aws_proxy with a subtype and no function.
        if let Some(subtype) = text("integrationSubtype")? {
            out.push(not_emulated(
                subtype.clone(),
                &integration_path,
                format!("the {subtype} service integration is not emulated"),
            ));
            continue;
        }
        let uri = text("uri")?.unwrap_or_default();
        let Some(name) = function_name_of(&uri) else {
            return Err(resolver.error(
                integration.get("uri").unwrap_or(integration),
                &join_path(&integration_path, "uri"),
                format!("{uri:?} does not name a Lambda function"),
            ));
        };
        let Some(function) = function_named(functions, &name) else {
            // A function of another stack (a deployed ARN): API Gateway imports the route and
            // answers 500 if it cannot invoke it; locally there is nothing to invoke.
            out.push(not_emulated(
                outside_template(&name),
                &join_path(&integration_path, "uri"),
                format!(
                    "the integration calls function {name}, which this template does not define"
                ),
            ));
            continue;
        };
        let payload_format = match text("payloadFormatVersion")?.as_deref() {
            None => None,
            Some("1.0") => Some(PayloadFormat::V1),
            Some("2.0") => Some(PayloadFormat::V2),
            Some(other) => {
                return Err(resolver.error(
                    integration,
                    &join_path(&integration_path, "payloadFormatVersion"),
                    format!("{other:?} is not a payload format version (1.0 or 2.0)"),
                ))
            }
        };
        let streams = match integration.get("responseTransferMode") {
            Some(mode) if rest => crate::transfer_mode::streams(
                mode,
                &join_path(&integration_path, "responseTransferMode"),
                resolver,
            )?,
            _ => false,
        };
        let bounds = if rest {
            crate::integration_timeout::Bounds::Rest { streams }
        } else {
            crate::integration_timeout::Bounds::Http
        };
        let timeout_ms = crate::integration_timeout::read(
            integration.get("timeoutInMillis"),
            &join_path(&integration_path, "timeoutInMillis"),
            bounds,
            resolver,
            warnings,
        )?;
        // AWS: HTTP APIs map parameters this way; a REST API's requestParameters are its own
        // (method.request… → integration.request…), which a Lambda proxy does not use.
        let tenant_id_parameter = if rest {
            crate::tenancy_config::tenant_id_parameter(
                integration.get("requestParameters"),
                &join_path(&integration_path, "requestParameters"),
                resolver,
            )?
        } else {
            None
        };
        let parameter_mapping = if rest {
            ParameterMapping::default()
        } else {
            crate::parameter_mapping::openapi(integration, &integration_path, resolver)?
        };
        let integration = if rest {
            let (integration, warning) = rest_lambda_proxy(
                text("httpMethod")?.as_deref(),
                &join_path(&integration_path, "httpMethod"),
                &format!("{method} {path_key}"),
            );
            warnings.extend(warning);
            integration
        } else {
            Integration::LambdaProxy
        };
        out.push(OpenApiRoute {
            method: method.to_owned(),
            path: route_path_of(path_key),
            function: function.logical_id.clone(),
            qualifier: qualifier_of(&uri),
            integration,
            validation,
            payload_format,
            operation_id,
            property: op_path,
            at: node.clone(),
            streams,
            timeout_ms,
            parameter_mapping,
            cache_key_parameters,
            tenant_id_parameter,
        });
    }
    Ok(out)
}

/// The route path of a path key: HTTP API writes its catch-all route as the path `/$default`.
fn route_path_of(path_key: &str) -> String {
    if path_key == "/$default" || path_key == "$default" {
        DEFAULT_ROUTE.to_owned()
    } else {
        path_key.to_owned()
    }
}

impl OpenApiRoute {
    /// The route's integration as an HTTP API carries it (a Lambda proxy, an HTTP endpoint, or
    /// one not emulated).
    pub(crate) fn http_integration(&self) -> HttpIntegration {
        match &self.integration {
            Integration::HttpProxy(proxy) => HttpIntegration::HttpProxy(proxy.clone()),
            Integration::Unsupported { kind } => {
                HttpIntegration::NotEmulated { kind: kind.clone() }
            }
            _ => HttpIntegration::Lambda,
        }
    }
}

/// An operation of an OpenAPI document without an `x-amazon-apigateway-integration`.
pub(crate) struct Unintegrated {
    /// Upper-case method or `ANY`.
    pub method: String,
    /// The path key.
    pub path: String,
    /// `paths./items.get`, prefixed by the document's place.
    pub property: String,
}

impl Unintegrated {
    /// The warning for an operation nothing supplies an integration to.
    pub(crate) fn not_served(&self) -> String {
        format!(
            "{}: no x-amazon-apigateway-integration; the route is not served",
            self.property
        )
    }
}

/// The operations of `document` that have no integration (their routes are not served as is).
pub(crate) fn unintegrated(document: &Node, where_: &str) -> Vec<Unintegrated> {
    operations(document, where_)
        .filter(|op| op.node.get("x-amazon-apigateway-integration").is_none())
        .map(|op| Unintegrated {
            method: op.method.to_owned(),
            path: op.path.clone(),
            property: op.property,
        })
        .collect()
}

/// Adds the routes of every `AWS::Serverless::Api`'s OpenAPI document to that REST API (SAM
/// merges `Api` events into the same document; the gateway's table refuses duplicates).
pub(crate) fn attach_rest(
    root: &Node,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    template_dir: &Path,
    apis: &mut [RestApi],
    functions: &[Function],
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let global = root.get("Globals").and_then(|g| g.get("Api"));
    for (id, resource) in resources {
        if resource.get("Type").and_then(Node::as_str) != Some("AWS::Serverless::Api") {
            continue;
        }
        let Some(api) = apis.iter_mut().find(|a| a.logical_id == *id) else {
            // Its Condition is false.
            continue;
        };
        let properties = crate::globals::apply(global, resource.get("Properties"), resource);
        let path = format!("Resources.{id}.Properties");
        let Some((document, where_)) =
            document(&properties, &path, resolver, template_dir, warnings)?
        else {
            continue;
        };
        // SAM writes GatewayResponses over the document's own.
        let sam = std::mem::replace(
            &mut api.gateway_responses,
            crate::gateway_responses::openapi(&document, &where_, resolver, warnings)?,
        );
        crate::gateway_responses::merge(&mut api.gateway_responses, sam);
        api.binary_media_types
            .extend(binary_media_types(&document, &where_, resolver)?);
        let mut documented = routes(&document, &where_, resolver, functions, warnings, true)?;
        for route in &documented {
            if let Err(error) = crate::route_path::ResourcePath::parse(&route.path) {
                return Err(resolver.error(
                    &route.at,
                    &route.property,
                    format!("invalid path {:?}: {error}", route.path),
                ));
            }
        }
        let covers = |route: &Route, method: &str, path: &str| {
            route.method == method && same_shape(&route.path, path)
        };
        let merge = merges_definitions(&properties, &path, resolver)?;
        for op in unintegrated(&document, &where_) {
            let supplied = merge && api.routes.iter().any(|r| covers(r, &op.method, &op.path));
            if !supplied {
                warnings.push(op.not_served());
            }
        }
        if merge {
            // SAM merges each event's generated operation over the document's: the event's wins.
            documented.retain(|op| !api.routes.iter().any(|r| covers(r, &op.method, &op.path)));
        } else {
            // SAM edits only a definition it generated: on an API with its own, an `Api` event
            // just lets API Gateway invoke the function, and the document alone has the routes.
            api.routes.retain(|route| {
                if !documented
                    .iter()
                    .any(|op| covers(route, &op.method, &op.path))
                {
                    warnings.push(format!(
                        "event `{}` of `{}`: {} {} is not in {where_}, the API's own OpenAPI definition, to which SAM adds no route (unless MergeDefinitions is true): on AWS it answers 403 Missing Authentication Token, and so it does here",
                        route.event_name, route.function, route.method, route.path
                    ));
                }
                false
            });
        }
        // The events' routes left (only when SAM merges them) join the document's resources.
        check_resource_tree(&documented, &api.routes, &document, resolver)?;
        for route in documented {
            api.routes.push(Route {
                method: route.method,
                path: route.path,
                function: route.function,
                event_name: route.property,
                integration: route.integration,
                validation: route.validation,
                operation_name: route.operation_id,
                streams: route.streams,
                timeout_ms: route.timeout_ms,
                cache_key_parameters: route.cache_key_parameters,
                tenant_id_parameter: route.tenant_id_parameter,
                qualifier: route.qualifier,
            });
        }
    }
    Ok(())
}

/// Refuses a document whose paths (after `events`, the routes of `Api` events SAM merges into
/// it) give a resource two variable children, as API Gateway's import refuses it.
pub(crate) fn check_resource_tree(
    documented: &[OpenApiRoute],
    events: &[Route],
    document: &Node,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    // Events come first and were checked among themselves when attached, so an error is always
    // reported at an operation of the document: their own place is never used.
    let named: Vec<String> = events
        .iter()
        .map(|route| format!("event `{}` of `{}`", route.event_name, route.function))
        .collect();
    let placed: Vec<crate::resource_tree::Placed<'_>> = events
        .iter()
        .zip(&named)
        .map(|(route, name)| crate::resource_tree::Placed {
            path: &route.path,
            at: document,
            property: name,
        })
        .chain(documented.iter().map(|route| crate::resource_tree::Placed {
            path: &route.path,
            at: &route.at,
            property: &route.property,
        }))
        .collect();
    crate::resource_tree::check(&placed, resolver)
}

/// Whether an API's `MergeDefinitions` is true (SAM then merges `Api` events into its document).
pub(crate) fn merges_definitions(
    properties: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<bool, TemplateError> {
    crate::auth_props::Props {
        resolver,
        node: properties.clone(),
        path: path.to_owned(),
    }
    .boolean("MergeDefinitions")
    .map(|merge| merge.unwrap_or(false))
}

/// Whether two resource paths are one route (variable names aside), as API Gateway compares them.
pub(crate) fn same_shape(a: &str, b: &str) -> bool {
    use crate::route_path::ResourcePath;
    match (ResourcePath::parse(a), ResourcePath::parse(b)) {
        (Ok(a), Ok(b)) => a.shape() == b.shape(),
        _ => a == b,
    }
}

/// The template's function that `name` (its `FunctionName` or logical id) stands for.
pub(crate) fn function_named<'f>(functions: &'f [Function], name: &str) -> Option<&'f Function> {
    functions
        .iter()
        .find(|f| f.name == name || f.logical_id == name)
}

/// What a Lambda integration calling `name`, a function of another stack, is reported as: API
/// Gateway serves the route and answers 500 when it cannot invoke it; locally there is nothing to
/// invoke.
pub(crate) fn outside_template(name: &str) -> String {
    format!("Lambda (function {name}, outside the template)")
}

/// The integration of a REST Lambda proxy whose integration method is `method` (`None`: not
/// written), and the warning to give when that method cannot work: Lambda's Invoke action takes
/// `POST` only ("For Lambda integrations, you must set the integration method to POST", API
/// Gateway's `Integration.httpMethod`); API Gateway deploys another method all the same and
/// answers each request 500 (LocalStack's AWS-validated
/// `test_lambda_aws_proxy_integration_non_post_method`).
pub(crate) fn rest_lambda_proxy(
    method: Option<&str>,
    place: &str,
    route: &str,
) -> (Integration, Option<String>) {
    match method.map(str::to_ascii_uppercase) {
        Some(method) if method != "POST" => {
            let warning = format!(
                "{}: {method} cannot invoke a Lambda function (its Invoke action takes POST); {route} answers every request 500 Internal server error, as API Gateway does",
                crate::yaml_tree::display_path(place)
            );
            (Integration::LambdaProxyNotPost { method }, Some(warning))
        }
        _ => (Integration::LambdaProxy, None),
    }
}

/// The function an integration URI or function ARN names: `…:function:<name>[:alias]/invocations`,
/// `…:function:<name>`, or a bare name.
pub(crate) fn function_name_of(uri: &str) -> Option<String> {
    let after = match uri.split_once(":function:") {
        Some((_, after)) => after,
        None if !uri.contains(':') && !uri.contains('/') && !uri.is_empty() => uri,
        None => return None,
    };
    let name = after.split('/').next().unwrap_or_default();
    let name = name.split(':').next().unwrap_or_default();
    (!name.is_empty()).then(|| name.to_owned())
}

/// The version or alias an integration URI or function ARN invokes: `live` of
/// `…:function:<name>:live/invocations` (or of `<name>:live`); `None` for the unqualified function,
/// which Lambda runs as `$LATEST` (so `…:$LATEST` is `None` too).
pub(crate) fn qualifier_of(uri: &str) -> Option<String> {
    let after = uri.split_once(":function:").map_or(uri, |(_, after)| after);
    // `/invocations` follows the function's ARN in an integration URI.
    let arn = after.split('/').next().unwrap_or_default();
    let (_, qualifier) = arn.split_once(':')?;
    (!qualifier.is_empty() && !qualifier.contains(':') && qualifier != "$LATEST")
        .then(|| qualifier.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_from_uris() {
        let uri = |arn: &str| {
            format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
            )
        };
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:my-fn";
        for (uri, qualifier) in [
            // `${Fn.Arn}`: the unqualified function.
            (uri(arn), None),
            // `${Fn.Alias}`, a version (`Ref FnVersion`), a stage variable.
            (uri(&format!("{arn}:live")), Some("live")),
            (uri(&format!("{arn}:1")), Some("1")),
            (
                uri(&format!("{arn}:${{stageVariables.alias}}")),
                Some("${stageVariables.alias}"),
            ),
            (uri(&format!("{arn}:$LATEST")), None),
            // Streaming integrations name another path after the ARN.
            (
                format!("arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/{arn}:live/response-streaming-invocations"),
                Some("live"),
            ),
            // Function ARNs and names (a Function URL's target, a quick-create `Target`).
            (arn.to_owned(), None),
            (format!("{arn}:live"), Some("live")),
            ("my-fn:live".to_owned(), Some("live")),
            ("my-fn".to_owned(), None),
            (format!("{arn}:"), None),
            ("https://example.com/x".to_owned(), None),
        ] {
            assert_eq!(qualifier_of(&uri).as_deref(), qualifier, "{uri}");
        }
    }

    #[test]
    fn function_names_from_uris() {
        for (uri, name) in [
            (
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:my-fn/invocations",
                Some("my-fn"),
            ),
            (
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:my-fn:live/invocations",
                Some("my-fn"),
            ),
            ("arn:aws:lambda:us-east-1:123456789012:function:other", Some("other")),
            ("JustAName", Some("JustAName")),
            ("https://example.com/x", None),
            ("", None),
        ] {
            assert_eq!(function_name_of(uri).as_deref(), name, "{uri}");
        }
    }
}
