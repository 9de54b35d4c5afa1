//! Customized gateway responses of REST APIs, in their three spellings: SAM's `GatewayResponses`
//! (`ResponseParameters.Headers`, `StatusCode`, `ResponseTemplates`), an OpenAPI document's
//! `x-amazon-apigateway-gateway-responses` and raw `AWS::ApiGateway::GatewayResponse` resources
//! (both with `gatewayresponse.header.Name` parameters). Header values are literals in quotes or
//! values mapped from the request (`method.request.header.Origin`, `…querystring.x`,
//! `…path.x`, `stageVariables.x`).

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::GatewayResponse;
use crate::yaml_tree::Node;

/// SAM's `GatewayResponses` of an `AWS::Serverless::Api`.
pub(crate) fn sam(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<GatewayResponse>, TemplateError> {
    let mut out = Vec::new();
    for (response_type, config) in node.entries().unwrap_or_default() {
        let at = join_path(path, response_type);
        let mut response = GatewayResponse {
            response_type: response_type.clone(),
            status_code: status(config.get("StatusCode"), &at, resolver)?,
            ..GatewayResponse::default()
        };
        if let Some(headers) = config
            .get("ResponseParameters")
            .and_then(|p| p.get("Headers"))
        {
            let headers_path = join_path(&at, "ResponseParameters.Headers");
            for (name, value) in resolver.eval_string_map(headers, &headers_path)? {
                header(&mut response, name, &value, &headers_path, warnings);
            }
        }
        templates(
            &mut response,
            config.get("ResponseTemplates"),
            &at,
            resolver,
        )?;
        out.push(response);
    }
    Ok(out)
}

/// An OpenAPI document's `x-amazon-apigateway-gateway-responses`.
pub(crate) fn openapi(
    document: &Node,
    where_: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<GatewayResponse>, TemplateError> {
    let Some(responses) = document.get("x-amazon-apigateway-gateway-responses") else {
        return Ok(Vec::new());
    };
    let path = join_path(where_, "x-amazon-apigateway-gateway-responses");
    let mut out = Vec::new();
    for (response_type, config) in responses.entries().unwrap_or_default() {
        let at = join_path(&path, response_type);
        out.push(cloudformation(
            response_type.clone(),
            config,
            &at,
            ("statusCode", "responseParameters", "responseTemplates"),
            resolver,
            warnings,
        )?);
    }
    Ok(out)
}

/// One `AWS::ApiGateway::GatewayResponse`'s `Properties` (`ResponseType` read by the caller).
fn resource_properties(
    response_type: String,
    properties: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<GatewayResponse, TemplateError> {
    cloudformation(
        response_type,
        properties,
        path,
        ("StatusCode", "ResponseParameters", "ResponseTemplates"),
        resolver,
        warnings,
    )
}

/// The CloudFormation/OpenAPI shape, whose parameters are `gatewayresponse.header.Name`.
fn cloudformation(
    response_type: String,
    config: &Node,
    path: &str,
    (status_key, parameters_key, templates_key): (&str, &str, &str),
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<GatewayResponse, TemplateError> {
    let mut response = GatewayResponse {
        response_type,
        status_code: status(
            config.get(status_key),
            &join_path(path, status_key),
            resolver,
        )?,
        ..GatewayResponse::default()
    };
    if let Some(parameters) = config.get(parameters_key) {
        let parameters_path = join_path(path, parameters_key);
        for (key, value) in resolver.eval_string_map(parameters, &parameters_path)? {
            match key.strip_prefix("gatewayresponse.header.") {
                Some(name) => header(
                    &mut response,
                    name.to_owned(),
                    &value,
                    &parameters_path,
                    warnings,
                ),
                None => warnings.push(format!(
                    "{parameters_path}.{key}: only gatewayresponse.header.* parameters reach a response (ignored)"
                )),
            }
        }
    }
    templates(&mut response, config.get(templates_key), path, resolver)?;
    Ok(response)
}

fn status(
    node: Option<&Node>,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Option<u16>, TemplateError> {
    let Some(node) = node else {
        return Ok(None);
    };
    let text = resolver.eval_string(node, path)?.unwrap_or_default();
    match text.trim().parse::<u16>() {
        Ok(code) if (100..600).contains(&code) => Ok(Some(code)),
        _ => Err(resolver.error(node, path, format!("{text:?} is not an HTTP status code"))),
    }
}

/// The request values a gateway response header may be mapped from.
const MAPPED_SOURCES: &[&str] = &[
    "method.request.header.",
    "method.request.querystring.",
    "method.request.path.",
    "stageVariables.",
];

/// A header with a literal value (`'*'`) or one mapped from the request; anything else (a
/// `context` variable, say) is warned and left out.
fn header(
    response: &mut GatewayResponse,
    name: String,
    value: &str,
    path: &str,
    warnings: &mut Vec<String>,
) {
    let trimmed = value.trim();
    if let Some(literal) = trimmed
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
    {
        response.headers.push((name, literal.to_owned()));
    } else if MAPPED_SOURCES.iter().any(|s| trimmed.starts_with(s)) {
        response.mapped_headers.push((name, trimmed.to_owned()));
    } else {
        warnings.push(format!(
            "{path}.{name}: {value:?} is not a quoted literal or a method.request / stageVariables value Sluice maps (header left out)"
        ));
    }
}

fn templates(
    response: &mut GatewayResponse,
    node: Option<&Node>,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    if let Some(node) = node {
        let at = join_path(path, "ResponseTemplates");
        for (content_type, template) in resolver.eval_string_map(node, &at)? {
            response
                .templates
                .insert(content_type.to_ascii_lowercase(), template);
        }
    }
    Ok(())
}

/// `into` with `more` laid over it, type by type (a later spelling replaces an earlier one, as
/// SAM writes `GatewayResponses` over the document's).
pub(crate) fn merge(into: &mut Vec<GatewayResponse>, more: Vec<GatewayResponse>) {
    for response in more {
        into.retain(|r| r.response_type != response.response_type);
        into.push(response);
    }
}

/// Raw `AWS::ApiGateway::GatewayResponse` resources, onto the REST API their `RestApiId` names.
pub(crate) fn attach_resources(
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    apis: &mut [crate::model::RestApi],
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    for (id, resource) in resources {
        if resource.get("Type").and_then(Node::as_str) != Some("AWS::ApiGateway::GatewayResponse")
            || !resolver.resource_enabled(id, resource)?
        {
            continue;
        }
        let path = format!("Resources.{id}.Properties");
        let Some(properties) = resource.get("Properties") else {
            continue;
        };
        let target = properties
            .get("RestApiId")
            .and_then(crate::auth_props::ref_target);
        let Some(api) = target.and_then(|t| apis.iter_mut().find(|a| a.logical_id == t)) else {
            warnings.push(format!(
                "{path}.RestApiId: not a !Ref to a REST API of this template (ignored)"
            ));
            continue;
        };
        let Some(response_type) = properties
            .get("ResponseType")
            .map(|node| resolver.eval_string(node, &join_path(&path, "ResponseType")))
            .transpose()?
            .flatten()
        else {
            return Err(resolver.error(resource, &path, "ResponseType is required"));
        };
        let response = resource_properties(response_type, properties, &path, resolver, warnings)?;
        merge(&mut api.gateway_responses, vec![response]);
    }
    Ok(())
}
