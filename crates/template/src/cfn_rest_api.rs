//! REST APIs as raw CloudFormation writes them (what CDK synthesizes): `AWS::ApiGateway::RestApi`
//! with its `Resource` tree, `Method`s (Lambda proxy, or the non-proxy integrations `non_proxy`
//! reads, with `request_validation`'s validators), and the stage `served_stage` picks for the
//! stage name and variables. They load to the same routes as their SAM equivalents.

use std::collections::BTreeMap;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{Function, Integration, RestApi, Route};
use crate::openapi::{self, function_name_of};
use crate::route_path::PathSegment;
use crate::yaml_tree::{Kind, Node};

/// One `AWS::ApiGateway::Resource`: a path part under a parent.
struct PathPart {
    parent: String,
    part: String,
}

/// Refuses what API Gateway refuses when CloudFormation creates the resources: a child of a
/// greedy `{proxy+}` ("Cannot create a child of a resource with a greedy path variable"), and a
/// second variable child of one parent (see [`crate::resource_tree`]).
fn check_resource_tree(
    parts: &BTreeMap<&str, PathPart>,
    in_order: &[(&str, Node)],
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    let segment = |part: &str| {
        crate::route_path::ResourcePath::parse(&format!("/{part}"))
            .ok()
            .and_then(|p| p.segments.into_iter().next())
    };
    let variable = |part: &str| !matches!(segment(part), None | Some(PathSegment::Literal(_)));
    for (i, (id, at)) in in_order.iter().enumerate() {
        let Some(mine) = parts.get(id) else {
            continue;
        };
        let property = format!("Resources.{id}.Properties.PathPart");
        if let Some(parent) = parts.get(mine.parent.as_str()) {
            if matches!(segment(&parent.part), Some(PathSegment::Greedy(_))) {
                return Err(resolver.error_hint(
                    at,
                    &property,
                    format!(
                        "{} is a child of {} ({}); API Gateway refuses it (\"Cannot create a child of a resource with a greedy path variable: {}\")",
                        mine.part, mine.parent, parent.part, parent.part
                    ),
                    Some(format!("give {} a literal parent instead", mine.part)),
                ));
            }
        }
        if !variable(&mine.part) {
            continue;
        }
        let earlier = in_order[..i].iter().find_map(|(other, _)| {
            let theirs = parts.get(other)?;
            (theirs.parent == mine.parent && theirs.part != mine.part && variable(&theirs.part))
                .then_some((other, theirs))
        });
        if let (Some((other, theirs)), Some(my_part), Some(their_part)) = (
            earlier,
            segment(&mine.part),
            earlier.and_then(|(_, theirs)| segment(&theirs.part)),
        ) {
            return Err(crate::resource_tree::sibling_error(
                resolver,
                (at, &property),
                (&format!("Resources.{id}"), &my_part),
                (&format!("Resources.{other}"), &theirs.part, &their_part),
            ));
        }
    }
    Ok(())
}

/// Reads the template's raw REST APIs.
pub(crate) fn build(
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    functions: &[Function],
    enabled: &dyn Fn(&str, &Node) -> Result<bool, TemplateError>,
    warnings: &mut Vec<String>,
) -> Result<Vec<RestApi>, TemplateError> {
    let of_type = |ty: &'static str| {
        resources
            .iter()
            .filter(move |(_, r)| r.get("Type").and_then(Node::as_str) == Some(ty))
    };
    let text = |props: &Node, path: &str, key: &str| -> Result<Option<String>, TemplateError> {
        match props.get(key) {
            Some(node) => resolver.eval_string(node, &join_path(path, key)),
            None => Ok(None),
        }
    };
    let empty = Node {
        kind: Kind::Map(Vec::new()),
        tag: None,
        line: 1,
        col: 1,
        file: None,
    };
    let props_of = |r: &'_ Node| {
        r.get("Properties")
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };

    let mut apis = Vec::new();
    for (id, resource) in of_type("AWS::ApiGateway::RestApi") {
        if !enabled(id, resource)? {
            continue;
        }
        let props = props_of(resource);
        let path = format!("Resources.{id}.Properties");
        let mut binary_media_types = match props.get("BinaryMediaTypes") {
            Some(node) => resolver
                .eval_string_list(node, &join_path(&path, "BinaryMediaTypes"))?
                .into_iter()
                .map(|t| t.replace("~1", "/"))
                .collect(),
            None => Vec::new(),
        };
        let mut routes = Vec::new();
        let mut gateway_responses = Vec::new();
        if let Some(body) = props.get("Body") {
            let where_ = join_path(&path, "Body");
            // Import reads the document's binary media types as well as the property's.
            binary_media_types.extend(openapi::binary_media_types(body, &where_, resolver)?);
            gateway_responses =
                crate::gateway_responses::openapi(body, &where_, resolver, warnings)?;
            warnings.extend(
                openapi::unintegrated(body, &where_)
                    .iter()
                    .map(openapi::Unintegrated::not_served),
            );
            let documented = openapi::routes(body, &where_, resolver, functions, warnings, true)?;
            openapi::check_resource_tree(&documented, &[], body, resolver)?;
            for r in documented {
                routes.push(Route {
                    method: r.method,
                    path: r.path,
                    function: r.function,
                    event_name: r.property,
                    integration: r.integration,
                    validation: r.validation,
                    operation_name: r.operation_id,
                    streams: r.streams,
                    timeout_ms: r.timeout_ms,
                    cache_key_parameters: r.cache_key_parameters,
                    tenant_id_parameter: r.tenant_id_parameter,
                    qualifier: r.qualifier,
                });
            }
        }
        apis.push(RestApi {
            logical_id: id.clone(),
            // Until a stage names it (below).
            stage_name: "prod".to_owned(),
            stage_variables: BTreeMap::new(),
            binary_media_types,
            routes,
            cors: None,
            gateway_responses,
            resource_policy: None,
        });
    }
    if apis.is_empty() {
        return Ok(apis);
    }

    let mut parts: BTreeMap<&str, PathPart> = BTreeMap::new();
    // Each resource in template order, with its `PathPart` node, for the tree's rules below.
    let mut in_order: Vec<(&str, Node)> = Vec::new();
    for (id, resource) in of_type("AWS::ApiGateway::Resource") {
        let props = props_of(resource);
        let path = format!("Resources.{id}.Properties");
        parts.insert(
            id,
            PathPart {
                parent: text(&props, &path, "ParentId")?.unwrap_or_default(),
                part: text(&props, &path, "PathPart")?.unwrap_or_default(),
            },
        );
        in_order.push((id, props.get("PathPart").unwrap_or(&props).clone()));
    }
    check_resource_tree(&parts, &in_order, resolver)?;
    // `!GetAtt Api.RootResourceId` evaluates to `Api-RootResourceId`; `!Ref Resource` to its id.
    let resource_path = |start: &str| -> Option<(String, String)> {
        let mut segments = Vec::new();
        let mut current = start.to_owned();
        for _ in 0..64 {
            if let Some(api) = current.strip_suffix("-RootResourceId") {
                segments.reverse();
                return Some((api.to_owned(), format!("/{}", segments.join("/"))));
            }
            let part = parts.get(current.as_str())?;
            segments.push(part.part.clone());
            current = part.parent.clone();
        }
        None
    };

    for (id, resource) in of_type("AWS::ApiGateway::Method") {
        if !enabled(id, resource)? {
            continue;
        }
        let props = props_of(resource);
        let path = format!("Resources.{id}.Properties");
        let method = text(&props, &path, "HttpMethod")?
            .unwrap_or_default()
            .to_ascii_uppercase();
        let resource_id = text(&props, &path, "ResourceId")?.unwrap_or_default();
        let Some((api_id, route_path)) = resource_path(&resource_id) else {
            warnings.push(format!(
                "Resources.{id}: ResourceId {resource_id:?} is not a resource of an emulated AWS::ApiGateway::RestApi (method ignored)"
            ));
            continue;
        };
        let Some(api) = apis.iter_mut().find(|a| a.logical_id == api_id) else {
            continue;
        };
        let integration = props
            .get("Integration")
            .cloned()
            .unwrap_or_else(|| empty.clone());
        let integration_path = join_path(&path, "Integration");
        let kind = text(&integration, &integration_path, "Type")?.unwrap_or_default();
        let validation =
            crate::request_validation::cloudformation(&props, &path, resources, resolver)?;
        let operation_name = text(&props, &path, "OperationName")?;
        let cache_key_parameters = match integration.get("CacheKeyParameters") {
            Some(cache_keys) => crate::cache_keys::integration(
                cache_keys,
                &join_path(&integration_path, "CacheKeyParameters"),
                resolver,
                &crate::cache_keys::Declared::cloudformation(
                    props.get("RequestParameters"),
                    &join_path(&path, "RequestParameters"),
                    resolver,
                )?,
            )?,
            None => Vec::new(),
        };
        if !kind.eq_ignore_ascii_case("AWS_PROXY") {
            let integrated = crate::non_proxy::read(
                &integration,
                &integration_path,
                false,
                &format!("{method} {route_path}"),
                resolver,
                functions,
                warnings,
            )?;
            let timeout_ms = crate::integration_timeout::read(
                integration.get("TimeoutInMillis"),
                &join_path(&integration_path, "TimeoutInMillis"),
                crate::integration_timeout::Bounds::Rest { streams: false },
                resolver,
                warnings,
            )?;
            api.routes.push(Route {
                method,
                path: route_path,
                function: integrated.function,
                qualifier: integrated.qualifier,
                event_name: format!("Resources.{id}"),
                integration: integrated.integration,
                validation,
                operation_name,
                streams: false,
                timeout_ms,
                cache_key_parameters,
                tenant_id_parameter: None,
            });
            continue;
        }
        let uri = text(&integration, &integration_path, "Uri")?.unwrap_or_default();
        let name = function_name_of(&uri);
        let function = name
            .as_deref()
            .and_then(|name| crate::openapi::function_named(functions, name));
        if let (None, Some(name)) = (function, &name) {
            // A function of another stack (a deployed ARN): API Gateway accepts the method and
            // answers 500 when it cannot invoke it; locally there is nothing to invoke.
            warnings.push(format!(
                "{}: the integration calls function {name}, which this template does not define; {method} {route_path} answers 500 Internal server error",
                crate::yaml_tree::display_path(&join_path(&integration_path, "Uri"))
            ));
            api.routes.push(Route {
                method,
                path: route_path,
                function: String::new(),
                event_name: format!("Resources.{id}"),
                integration: Integration::Unsupported {
                    kind: crate::openapi::outside_template(name),
                },
                validation,
                operation_name,
                streams: false,
                timeout_ms: None,
                cache_key_parameters,
                tenant_id_parameter: None,
                qualifier: None,
            });
            continue;
        }
        let streams = match integration.get("ResponseTransferMode") {
            Some(node) => crate::transfer_mode::streams(
                node,
                &join_path(&integration_path, "ResponseTransferMode"),
                resolver,
            )?,
            None => false,
        };
        let timeout_ms = crate::integration_timeout::read(
            integration.get("TimeoutInMillis"),
            &join_path(&integration_path, "TimeoutInMillis"),
            crate::integration_timeout::Bounds::Rest { streams },
            resolver,
            warnings,
        )?;
        let Some(function) = function else {
            return Err(resolver.error_hint(
                integration.get("Uri").unwrap_or(&integration),
                &join_path(&integration_path, "Uri"),
                format!("{uri:?} does not name a function of this template"),
                Some("use !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${MyFunction.Arn}/invocations".into()),
            ));
        };
        let (integration_kind, warning) = crate::openapi::rest_lambda_proxy(
            text(&integration, &integration_path, "IntegrationHttpMethod")?.as_deref(),
            &join_path(&integration_path, "IntegrationHttpMethod"),
            &format!("{method} {route_path}"),
        );
        warnings.extend(warning);
        api.routes.push(Route {
            method,
            path: route_path,
            function: function.logical_id.clone(),
            qualifier: crate::openapi::qualifier_of(&uri),
            event_name: format!("Resources.{id}"),
            integration: integration_kind,
            validation,
            operation_name,
            streams,
            timeout_ms,
            cache_key_parameters,
            tenant_id_parameter: crate::tenancy_config::tenant_id_parameter(
                integration.get("RequestParameters"),
                &join_path(&integration_path, "RequestParameters"),
                resolver,
            )?,
        });
    }

    // AWS: a REST API serves nothing until deployed to a stage; one is served (`served_stage`).
    for api in &mut apis {
        let Some(stage) = crate::served_stage::rest(resources, resolver, &api.logical_id)? else {
            continue;
        };
        api.stage_name = stage.name;
        // A Stage's `Variables`, or a Deployment's `StageDescription.Variables`: CloudFormation,
        // `AWS::ApiGateway::Deployment` StageDescription: "Variables: A map that defines the
        // stage variables for the Stage resource that is associated with the new deployment".
        if let Some(vars) = stage.settings.get("Variables") {
            api.stage_variables =
                resolver.eval_string_map(vars, &join_path(&stage.path, "Variables"))?;
        }
    }
    Ok(apis)
}
