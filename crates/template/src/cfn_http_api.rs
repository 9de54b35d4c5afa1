//! HTTP APIs and Function URLs as raw CloudFormation writes them (what CDK synthesizes):
//! `AWS::ApiGatewayV2::Api` (quick-create `Target`, or an OpenAPI `Body`) with its `Route`,
//! `Integration` and `Stage` resources, and `AWS::Lambda::Url`. They load to the same model as
//! their SAM equivalents.

use std::collections::BTreeMap;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{
    Function, FunctionUrl, FunctionUrlAuth, HttpApi, HttpIntegration, HttpRoute, InvokeMode,
    ParameterMapping, PayloadFormat, DEFAULT_ROUTE, DEFAULT_STAGE,
};
use crate::openapi::{self, function_name_of, function_named, outside_template};
use crate::yaml_tree::Node;

/// HTTP API's integration timeout when none is set (also its maximum).
use crate::integration_timeout::HTTP_MAX_MS as MAX_TIMEOUT_MS;

/// One resource of the template, with what is needed to read it.
struct Resource<'a> {
    id: &'a str,
    props: Node,
    path: String,
}

impl Resource<'_> {
    fn text(&self, key: &str, resolver: &Resolver<'_>) -> Result<Option<String>, TemplateError> {
        match self.props.get(key) {
            Some(node) => resolver.eval_string(node, &join_path(&self.path, key)),
            None => Ok(None),
        }
    }
}

/// Reads the raw CloudFormation HTTP APIs and Function URLs of the template.
pub(crate) fn build(
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    functions: &[Function],
    enabled: &dyn Fn(&str, &Node) -> Result<bool, TemplateError>,
    warnings: &mut Vec<String>,
) -> Result<(Vec<HttpApi>, Vec<FunctionUrl>), TemplateError> {
    let mut by_type: BTreeMap<&str, Vec<Resource<'_>>> = BTreeMap::new();
    for (id, node) in resources {
        let Some(ty) = node.get("Type").and_then(Node::as_str) else {
            continue;
        };
        if !ty.starts_with("AWS::ApiGatewayV2::") && ty != "AWS::Lambda::Url" {
            continue;
        }
        if !enabled(id, node)? {
            continue;
        }
        let props = node.get("Properties").cloned().unwrap_or_else(|| Node {
            kind: crate::yaml_tree::Kind::Map(Vec::new()),
            ..node.clone()
        });
        by_type.entry(ty).or_default().push(Resource {
            id,
            props,
            path: format!("Resources.{id}.Properties"),
        });
    }
    let none = Vec::new();
    let of = |ty: &str| by_type.get(ty).unwrap_or(&none);

    let mut apis = Vec::new();
    for api in of("AWS::ApiGatewayV2::Api") {
        let body = api.props.get("Body");
        // AWS: an OpenAPI `Body` imports an HTTP API (import supports nothing else), so
        // `ProtocolType` is then optional.
        let protocol = match api.text("ProtocolType", resolver)? {
            Some(protocol) => protocol,
            None if body.is_some() => "HTTP".to_owned(),
            None => String::new(),
        };
        if protocol != "HTTP" {
            warnings.push(format!(
                "Resources.{}: ProtocolType {protocol} is not emulated yet (ignored)",
                api.id
            ));
            continue;
        }
        let cors = match (api.props.get("CorsConfiguration"), body) {
            (Some(node), _) => {
                crate::cors::http(node, &join_path(&api.path, "CorsConfiguration"), resolver)?
            }
            // An imported definition carries its CORS as `x-amazon-apigateway-cors`.
            (None, Some(body)) => match body.get("x-amazon-apigateway-cors") {
                Some(node) => crate::cors::openapi(
                    node,
                    &join_path(&join_path(&api.path, "Body"), "x-amazon-apigateway-cors"),
                    resolver,
                )?,
                None => None,
            },
            (None, None) => None,
        };
        let mut routes = Vec::new();
        // Quick create: `Target` makes a `$default` stage and one route to the function.
        if let Some(target) = api.text("Target", resolver)? {
            let function = function_for(&target, api, "Target", resolver, functions)?;
            let route_key = api
                .text("RouteKey", resolver)?
                .unwrap_or_else(|| DEFAULT_ROUTE.to_owned());
            let mut route = route_from_key(
                &route_key,
                api,
                resolver,
                function,
                format!("{}.Target", api.path),
                PayloadFormat::V2,
                MAX_TIMEOUT_MS,
            )?;
            // AWS: quick create integrates `Target` as written, a qualified ARN included.
            route.qualifier = openapi::qualifier_of(&target);
            routes.push(route);
        }
        if let Some(body) = body {
            let where_ = join_path(&api.path, "Body");
            warnings.extend(
                openapi::unintegrated(body, &where_)
                    .iter()
                    .map(openapi::Unintegrated::not_served),
            );
            for r in openapi::routes(body, &where_, resolver, functions, warnings, false)? {
                routes.push(HttpRoute {
                    integration: r.http_integration(),
                    method: r.method,
                    path: r.path,
                    function: r.function,
                    event_name: r.property,
                    payload_format: r.payload_format.unwrap_or_default(),
                    timeout_ms: r.timeout_ms.unwrap_or(MAX_TIMEOUT_MS),
                    parameter_mapping: r.parameter_mapping,
                    qualifier: r.qualifier,
                });
            }
        }
        apis.push(HttpApi {
            logical_id: api.id.to_owned(),
            stage_name: DEFAULT_STAGE.to_owned(),
            stage_variables: BTreeMap::new(),
            cors,
            routes,
        });
    }

    // Integrations by logical id, for the routes that target them.
    let mut integrations: BTreeMap<&str, Integrated> = BTreeMap::new();
    for integration in of("AWS::ApiGatewayV2::Integration") {
        let mut read = read_integration(integration, resolver, functions, warnings)?;
        // With an IntegrationSubtype, RequestParameters are the AWS service's own parameters
        // (QueueUrl, MessageBody…), not a mapping; such integrations are not run anyway.
        if matches!(
            read.integration,
            HttpIntegration::Lambda | HttpIntegration::HttpProxy(_)
        ) {
            read.parameter_mapping = crate::parameter_mapping::cloudformation(
                &integration.props,
                &integration.path,
                resolver,
            )?;
        }
        if let HttpIntegration::NotEmulated { kind } = &read.integration {
            // AWS serves the routes through it; Sluice matches them (CORS and authorizers
            // apply) and answers 500.
            warnings.push(format!(
                "Resources.{}: the {kind} integration is not emulated; its routes answer 500 Internal Server Error",
                integration.id
            ));
        }
        integrations.insert(integration.id, read);
    }
    for route in of("AWS::ApiGatewayV2::Route") {
        let api_id = route.text("ApiId", resolver)?.unwrap_or_default();
        let Some(api) = apis.iter_mut().find(|a| a.logical_id == api_id) else {
            warnings.push(format!(
                "Resources.{}: ApiId {api_id:?} is not an emulated AWS::ApiGatewayV2::Api (route ignored)",
                route.id
            ));
            continue;
        };
        let target = route.text("Target", resolver)?.unwrap_or_default();
        let integration_id = target.strip_prefix("integrations/").unwrap_or(&target);
        let Some(integrated) = integrations.get(integration_id) else {
            warnings.push(format!(
                "Resources.{}: Target {target:?} is not an AWS::ApiGatewayV2::Integration of this template (route ignored)",
                route.id
            ));
            continue;
        };
        let route_key = route.text("RouteKey", resolver)?.unwrap_or_default();
        let mut http_route = route_from_key(
            &route_key,
            route,
            resolver,
            integrated.function.clone(),
            format!("Resources.{}", route.id),
            integrated.payload_format,
            integrated.timeout_ms,
        )?;
        http_route.integration = integrated.integration.clone();
        http_route.parameter_mapping = integrated.parameter_mapping.clone();
        http_route.qualifier = integrated.qualifier.clone();
        api.routes.push(http_route);
    }
    // One stage per API is served (`served_stage` says which), else quick create's `$default`.
    for api in &mut apis {
        let Some(stage) = crate::served_stage::http(resources, resolver, &api.logical_id)? else {
            continue;
        };
        api.stage_name = stage.name;
        if let Some(vars) = stage.settings.get("StageVariables") {
            api.stage_variables =
                resolver.eval_string_map(vars, &join_path(&stage.path, "StageVariables"))?;
        }
    }

    let mut urls = Vec::new();
    for url in of("AWS::Lambda::Url") {
        let target = url.text("TargetFunctionArn", resolver)?.unwrap_or_default();
        let function_id = function_for(&target, url, "TargetFunctionArn", resolver, functions)?;
        let Some(function) = functions.iter().find(|f| f.logical_id == function_id) else {
            continue;
        };
        if function.tenant_isolation {
            return Err(crate::tenancy_config::unsupported(
                "a function URL",
                url.props.get("TargetFunctionArn").unwrap_or(&url.props),
                &join_path(&url.path, "TargetFunctionArn"),
                resolver,
            ));
        }
        let auth = match url.text("AuthType", resolver)?.as_deref() {
            Some("AWS_IAM") => FunctionUrlAuth::AwsIam,
            Some("NONE") => FunctionUrlAuth::None,
            other => {
                return Err(resolver.error_hint(
                    url.props.get("AuthType").unwrap_or(&url.props),
                    &join_path(&url.path, "AuthType"),
                    format!("{other:?} is not an AuthType"),
                    Some("use AuthType: NONE (public) or AWS_IAM (signed requests)".into()),
                ))
            }
        };
        let cors = match url.props.get("Cors") {
            Some(node) => crate::cors::http(node, &join_path(&url.path, "Cors"), resolver)?,
            None => None,
        };
        let invoke_mode = match url.text("InvokeMode", resolver)?.as_deref() {
            Some("RESPONSE_STREAM") => InvokeMode::ResponseStream,
            _ => InvokeMode::Buffered,
        };
        // AWS: `Qualifier` names the alias, or the target ARN does (`…:function:my-fn:live`);
        // neither → the unqualified function ($LATEST), a URL of its own.
        let qualifier = match url.text("Qualifier", resolver)? {
            Some(q) => Some(q),
            None => openapi::qualifier_of(&target),
        };
        urls.push(FunctionUrl {
            function: function.logical_id.clone(),
            function_name: function.name.clone(),
            qualifier: qualifier.filter(|q| q != "$LATEST"),
            auth,
            cors,
            invoke_mode,
        });
    }
    Ok((apis, urls))
}

/// What an `AWS::ApiGatewayV2::Integration` gives the routes that target it.
struct Integrated {
    /// Logical id of the function (empty when the integration is not a template's function).
    function: String,
    integration: HttpIntegration,
    payload_format: PayloadFormat,
    timeout_ms: u32,
    /// `RequestParameters` / `ResponseParameters`.
    parameter_mapping: ParameterMapping,
    /// The version or alias `IntegrationUri` names; `None`: `$LATEST`.
    qualifier: Option<String>,
}

/// Reads one integration: a Lambda proxy of a template function, an `HTTP_PROXY` endpoint, or
/// one Sluice does not run (an AWS service `IntegrationSubtype`, a function of another stack, an
/// endpoint behind a VPC link).
fn read_integration(
    integration: &Resource<'_>,
    resolver: &Resolver<'_>,
    functions: &[Function],
    warnings: &mut Vec<String>,
) -> Result<Integrated, TemplateError> {
    let payload_format = match integration
        .text("PayloadFormatVersion", resolver)?
        .as_deref()
    {
        Some("1.0") => PayloadFormat::V1,
        _ => PayloadFormat::V2,
    };
    // AWS refuses a timeout outside 50..=30000 ms (CreateIntegration), so it is refused here.
    let timeout_ms = crate::integration_timeout::read(
        integration.props.get("TimeoutInMillis"),
        &join_path(&integration.path, "TimeoutInMillis"),
        crate::integration_timeout::Bounds::Http,
        resolver,
        warnings,
    )?
    .unwrap_or(MAX_TIMEOUT_MS);
    let not_emulated = |kind: String| Integrated {
        function: String::new(),
        integration: HttpIntegration::NotEmulated { kind },
        payload_format,
        timeout_ms,
        parameter_mapping: ParameterMapping::default(),
        qualifier: None,
    };
    let kind = integration
        .text("IntegrationType", resolver)?
        .unwrap_or_else(|| "(no IntegrationType)".to_owned());
    if kind == "HTTP_PROXY" {
        let read = crate::http_proxy::read(
            &integration.props,
            &integration.path,
            &crate::http_proxy::HTTP_CLOUDFORMATION,
            resolver,
        )?;
        return Ok(match read {
            crate::http_proxy::Read::Proxy(proxy) => Integrated {
                integration: HttpIntegration::HttpProxy(proxy),
                ..not_emulated(String::new())
            },
            crate::http_proxy::Read::VpcLink => {
                not_emulated(crate::http_proxy::Read::VPC_LINK_KIND.to_owned())
            }
        });
    }
    if kind != "AWS_PROXY" {
        return Ok(not_emulated(kind));
    }
    if let Some(subtype) = integration.text("IntegrationSubtype", resolver)? {
        return Ok(not_emulated(subtype));
    }
    let uri = integration
        .text("IntegrationUri", resolver)?
        .unwrap_or_default();
    // A deployed function of another stack: AWS invokes it; locally there is nothing to invoke.
    if let Some(name) = function_name_of(&uri) {
        if function_named(functions, &name).is_none() {
            return Ok(not_emulated(outside_template(&name)));
        }
    }
    let function = function_for(&uri, integration, "IntegrationUri", resolver, functions)?;
    Ok(Integrated {
        function,
        integration: HttpIntegration::Lambda,
        payload_format,
        timeout_ms,
        parameter_mapping: ParameterMapping::default(),
        qualifier: openapi::qualifier_of(&uri),
    })
}

/// A route from the `RouteKey` of `resource` (`GET /items/{id}`, `ANY /{proxy+}`, `$default`);
/// a key API Gateway refuses is a template error at that property.
fn route_from_key(
    route_key: &str,
    resource: &Resource<'_>,
    resolver: &Resolver<'_>,
    function: String,
    event_name: String,
    payload_format: PayloadFormat,
    timeout_ms: u32,
) -> Result<HttpRoute, TemplateError> {
    let (method, path) = crate::route_key::parse(route_key).map_err(|error| {
        resolver.error_hint(
            resource.props.get("RouteKey").unwrap_or(&resource.props),
            &join_path(&resource.path, "RouteKey"),
            error.to_string(),
            Some(error.hint().to_owned()),
        )
    })?;
    Ok(HttpRoute {
        method,
        path,
        function,
        integration: HttpIntegration::Lambda,
        event_name,
        payload_format,
        timeout_ms,
        parameter_mapping: ParameterMapping::default(),
        qualifier: None,
    })
}

/// The logical id of the function an ARN, integration URI or name designates.
fn function_for(
    target: &str,
    resource: &Resource<'_>,
    key: &str,
    resolver: &Resolver<'_>,
    functions: &[Function],
) -> Result<String, TemplateError> {
    let name = function_name_of(target);
    let found = name
        .as_deref()
        .and_then(|name| function_named(functions, name));
    match found {
        Some(function) => Ok(function.logical_id.clone()),
        None => Err(resolver.error_hint(
            resource.props.get(key).unwrap_or(&resource.props),
            &join_path(&resource.path, key),
            format!("{target:?} does not name a function of this template"),
            Some("use !GetAtt MyFunction.Arn".into()),
        )),
    }
}
