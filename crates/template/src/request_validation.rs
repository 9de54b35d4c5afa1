//! Request validation as API Gateway configures it, from each place a template can say it:
//! SAM `Api` events (`RequestModel` naming one of the API's `Models`, `RequestParameters`), OpenAPI
//! (`x-amazon-apigateway-request-validators` / `-validator`, `parameters` with `required`, body
//! schemas in `definitions` or `components.schemas`), and raw `AWS::ApiGateway::Method`
//! (`RequestValidatorId`, `RequestModels`, `RequestParameters`).
//!
//! Every form loads to one [`RequestValidation`]: the body's schema (with the API's other models
//! under `definitions`, so `$ref`s resolve) and the required parameters.

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{RequestValidation, RestApi};
use crate::openapi_parameters::Parameters;
use crate::yaml_tree::{Kind, Node};

/// What a validator checks.
#[derive(Debug, Clone, Copy, Default)]
struct Validator {
    body: bool,
    parameters: bool,
}

/// The validation of one OpenAPI operation, if a validator applies to it. `parameters` are the
/// operation's ([`crate::openapi_parameters::of_operation`]: the path item's too, `$ref`s resolved).
pub(crate) fn openapi(
    document: &Node,
    operation: &Node,
    op_path: &str,
    where_: &str,
    parameters: &Parameters<'_>,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<RequestValidation>, TemplateError> {
    const VALIDATOR: &str = "x-amazon-apigateway-request-validator";
    const VALIDATORS: &str = "x-amazon-apigateway-request-validators";
    let (name_node, name_path) = match operation.get(VALIDATOR) {
        Some(node) => (node, join_path(op_path, VALIDATOR)),
        None => match document.get(VALIDATOR) {
            Some(node) => (node, join_path(where_, VALIDATOR)),
            None => return Ok(None),
        },
    };
    let name = resolver
        .eval_string(name_node, &name_path)?
        .unwrap_or_default();
    let declared = document.get(VALIDATORS).and_then(|v| v.get(&name));
    let Some(declared) = declared else {
        return Err(resolver.error_hint(
            name_node,
            &name_path,
            format!("request validator {name:?} is not declared"),
            Some(format!("declare it under {VALIDATORS}, e.g. {name}: {{validateRequestBody: true, validateRequestParameters: true}}")),
        ));
    };
    let declared_path = join_path(&join_path(where_, VALIDATORS), &name);
    let validator = Validator {
        body: flag(resolver, declared, "validateRequestBody", &declared_path)?,
        parameters: flag(
            resolver,
            declared,
            "validateRequestParameters",
            &declared_path,
        )?,
    };
    let mut validation = RequestValidation::default();
    let definitions = definitions(document, where_, resolver)?;
    for parameter in &parameters.list {
        if parameter.location == "body" {
            // Swagger 2.0: the body's schema is a `body` parameter's.
            if validator.body {
                if let Some(schema) = parameter.node.get("schema") {
                    validation.body_schema = Some(schema_of(
                        schema,
                        &join_path(&parameter.path, "schema"),
                        resolver,
                        &definitions,
                    )?);
                    validation.body_content_type = "application/json".into();
                }
            }
            continue;
        }
        let Some(name) = parameter.method_request() else {
            continue;
        };
        if validator.parameters && flag(resolver, parameter.node, "required", &parameter.path)? {
            validation.required_parameters.push(name);
        }
    }
    if validator.body {
        // OpenAPI 3: `requestBody.content.<type>.schema`, the request body possibly a `$ref`
        // (`#/components/requestBodies/X`); API Gateway validates JSON bodies.
        let body = match operation.get("requestBody") {
            Some(body) => match crate::openapi_parameters::follow_ref(
                document,
                where_,
                body,
                join_path(op_path, "requestBody"),
            ) {
                Ok(found) => Some(found),
                Err(target) => {
                    warnings.push(format!(
                        "{op_path}.requestBody.$ref: {target:?} does not name a request body of this document; the body is not validated"
                    ));
                    None
                }
            },
            None => None,
        };
        if let Some((content, content_path)) = body.and_then(|(body, path)| {
            body.get("content")
                .map(|content| (content, join_path(&path, "content")))
        }) {
            let entries = content.entries().unwrap_or_default();
            let chosen = entries
                .iter()
                .find(|(k, _)| k == "application/json")
                .or_else(|| entries.first());
            if let Some((content_type, media)) = chosen {
                if let Some(schema) = media.get("schema") {
                    let path = join_path(&join_path(&content_path, content_type), "schema");
                    validation.body_schema =
                        Some(schema_of(schema, &path, resolver, &definitions)?);
                    validation.body_content_type = content_type.to_ascii_lowercase();
                }
            }
        }
    }
    Ok(Some(validation))
}

/// The document's `definitions` (Swagger 2) and `components.schemas` (OpenAPI 3) as JSON.
fn definitions(
    document: &Node,
    where_: &str,
    resolver: &Resolver<'_>,
) -> Result<serde_json::Map<String, serde_json::Value>, TemplateError> {
    let mut out = serde_json::Map::new();
    for (node, path) in [
        (
            document.get("definitions"),
            join_path(where_, "definitions"),
        ),
        (
            document.get("components").and_then(|c| c.get("schemas")),
            join_path(where_, "components.schemas"),
        ),
    ] {
        let Some(node) = node else { continue };
        if let serde_json::Value::Object(map) = json_of(node, &path, resolver)? {
            out.extend(map);
        }
    }
    Ok(out)
}

/// A schema node as a standalone draft-4 schema: `$ref`s point into `definitions`, which holds every
/// model of the API.
fn schema_of(
    schema: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    definitions: &serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Value, TemplateError> {
    let node = schema;
    let mut schema = json_of(node, path, resolver)?;
    if !schema.is_object() {
        return Err(resolver.error(node, path, "a schema must be a mapping"));
    }
    rewrite_refs(&mut schema);
    let mut definitions = serde_json::Value::Object(definitions.clone());
    rewrite_refs(&mut definitions);
    // A body that is one model (`$ref: '#/definitions/User'`) is that model, as SAM's
    // `RequestModel` and CloudFormation's `RequestModels` write it: one form, one schema.
    if let Some(target) = schema.get("$ref").and_then(|r| r.as_str()) {
        let named = target.strip_prefix("#/definitions/");
        if let Some(model) = named.and_then(|name| definitions.get(name)) {
            if schema.as_object().is_some_and(|o| o.len() == 1) {
                schema = model.clone();
            }
        }
    }
    // `$ref` beside other keys is ignored in draft 4, so the root refers through `allOf`.
    Ok(serde_json::json!({"allOf": [schema], "definitions": definitions}))
}

/// `#/components/schemas/X` and API Gateway model URLs (`…/models/X`) become `#/definitions/X`.
fn rewrite_refs(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "$ref" {
                    if let serde_json::Value::String(target) = inner {
                        if let Some(name) = target
                            .strip_prefix("#/components/schemas/")
                            .or_else(|| target.rsplit_once("/models/").map(|(_, n)| n))
                        {
                            *target = format!("#/definitions/{name}");
                        }
                    }
                } else {
                    rewrite_refs(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

fn json_of(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<serde_json::Value, TemplateError> {
    let evaluated = resolver.eval(node, path)?.unwrap_or_else(|| node.clone());
    Ok(crate::plain_yaml::to_json(&evaluated))
}

/// A boolean property (`true`, `"true"`); absent is false.
pub(crate) fn flag(
    resolver: &Resolver<'_>,
    node: &Node,
    key: &str,
    path: &str,
) -> Result<bool, TemplateError> {
    let Some(value) = node.get(key) else {
        return Ok(false);
    };
    let path = join_path(path, key);
    match resolver.eval_string(value, &path)?.as_deref() {
        Some("true" | "True" | "TRUE") => Ok(true),
        Some("false" | "False" | "FALSE") | None => Ok(false),
        Some(other) => Err(resolver.error(value, &path, format!("{other:?} is not true or false"))),
    }
}

/// Sets the validation of SAM `Api` events that have a `RequestModel` (SAM adds a request
/// validator only then: `ValidateBody` / `ValidateParameters`, each false unless set).
pub(crate) fn attach_sam(
    root: &Node,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    apis: &mut [RestApi],
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let global_api = root.get("Globals").and_then(|g| g.get("Api"));
    let global_function = root.get("Globals").and_then(|g| g.get("Function"));
    for (id, resource) in resources {
        if resource.get("Type").and_then(Node::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let properties =
            crate::globals::apply(global_function, resource.get("Properties"), resource);
        let Some(events) = properties.get("Events").and_then(Node::entries) else {
            continue;
        };
        for (event_name, event) in events {
            let Some(props) = event.get("Properties") else {
                continue;
            };
            let event_path = format!("Resources.{id}.Properties.Events.{event_name}.Properties");
            let model = props.get("RequestModel");
            let parameters = required_parameters(props, &event_path, resolver)?;
            let Some(model) = model else {
                if !parameters.is_empty() {
                    warnings.push(format!(
                        "{event_path}.RequestParameters: required parameters are checked only with RequestModel.ValidateParameters: true (SAM adds no request validator otherwise), as on AWS"
                    ));
                }
                continue;
            };
            let model_path = join_path(&event_path, "RequestModel");
            let validate_body = model.get("ValidateBody").is_some();
            let validate_parameters = model.get("ValidateParameters").is_some();
            if !validate_body && !validate_parameters {
                continue;
            }
            let validator = Validator {
                body: flag(resolver, model, "ValidateBody", &model_path)?,
                parameters: flag(resolver, model, "ValidateParameters", &model_path)?,
            };
            let Some(route) = apis
                .iter_mut()
                .flat_map(|a| a.routes.iter_mut())
                .find(|r| r.function == *id && r.event_name == *event_name)
            else {
                continue;
            };
            let mut validation = RequestValidation::default();
            if validator.parameters {
                validation.required_parameters = parameters;
            }
            if validator.body {
                let name_node = model.get("Model").unwrap_or(model);
                let name = resolver
                    .eval_string(name_node, &join_path(&model_path, "Model"))?
                    .unwrap_or_default();
                let api_id = match props.get("RestApiId") {
                    Some(node) => match crate::intrinsics::intrinsic(node) {
                        Some(("Ref", target)) => target.as_str().unwrap_or_default().to_owned(),
                        _ => resolver
                            .eval_string(node, &join_path(&event_path, "RestApiId"))?
                            .unwrap_or_default(),
                    },
                    None => "ServerlessRestApi".to_owned(),
                };
                let models = match resources.iter().find(|(rid, _)| *rid == api_id) {
                    Some((_, api)) => crate::globals::apply(global_api, api.get("Properties"), api)
                        .get("Models")
                        .cloned(),
                    None => global_api.and_then(|g| g.get("Models")).cloned(),
                };
                let models_path = format!("Resources.{api_id}.Properties.Models");
                let definitions = match &models {
                    Some(node) => match json_of(node, &models_path, resolver)? {
                        serde_json::Value::Object(map) => map,
                        _ => serde_json::Map::new(),
                    },
                    None => serde_json::Map::new(),
                };
                let Some(schema) = models.as_ref().and_then(|m| m.get(&name)) else {
                    return Err(resolver.error_hint(
                        name_node,
                        &join_path(&model_path, "Model"),
                        format!("model {name:?} is not in the API's Models"),
                        Some(format!("add {name} under Models of {api_id}")),
                    ));
                };
                validation.body_schema = Some(schema_of(
                    schema,
                    &join_path(&models_path, &name),
                    resolver,
                    &definitions,
                )?);
                // SAM puts the model under `application/json`.
                validation.body_content_type = "application/json".into();
            }
            route.validation = Some(validation);
        }
    }
    Ok(())
}

/// SAM `RequestParameters`: `method.request.header.X` strings, or `{name: {Required: true}}` maps;
/// the required ones, in template order.
fn required_parameters(
    props: &Node,
    event_path: &str,
    resolver: &Resolver<'_>,
) -> Result<Vec<String>, TemplateError> {
    let Some(node) = props.get("RequestParameters") else {
        return Ok(Vec::new());
    };
    let path = join_path(event_path, "RequestParameters");
    let Kind::Seq(items) = &node.kind else {
        return Err(resolver.error(node, &path, "RequestParameters must be a list"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        if let Some(entries) = item.entries() {
            for (name, settings) in entries {
                if flag(resolver, settings, "Required", &join_path(&item_path, name))? {
                    out.push(name.clone());
                }
            }
        }
    }
    Ok(out)
}

/// The validation of a raw `AWS::ApiGateway::Method`: its `RequestValidatorId` (an
/// `AWS::ApiGateway::RequestValidator`), `RequestModels` (`AWS::ApiGateway::Model`s) and
/// `RequestParameters` (`name: true` when required).
pub(crate) fn cloudformation(
    props: &Node,
    path: &str,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
) -> Result<Option<RequestValidation>, TemplateError> {
    let Some(validator_node) = props.get("RequestValidatorId") else {
        return Ok(None);
    };
    let validator_path = join_path(path, "RequestValidatorId");
    let validator_id = referenced(validator_node, &validator_path, resolver)?;
    let Some((_, validator)) = resources.iter().find(|(id, r)| {
        *id == validator_id
            && r.get("Type").and_then(Node::as_str) == Some("AWS::ApiGateway::RequestValidator")
    }) else {
        return Err(resolver.error(
            validator_node,
            &validator_path,
            format!(
                "{validator_id:?} is not an AWS::ApiGateway::RequestValidator of this template"
            ),
        ));
    };
    let validator_props = validator
        .get("Properties")
        .cloned()
        .unwrap_or_else(|| Node::scalar("", 1, 1));
    let vpath = format!("Resources.{validator_id}.Properties");
    let validator = Validator {
        body: flag(resolver, &validator_props, "ValidateRequestBody", &vpath)?,
        parameters: flag(
            resolver,
            &validator_props,
            "ValidateRequestParameters",
            &vpath,
        )?,
    };
    let mut validation = RequestValidation::default();
    if validator.parameters {
        if let Some(params) = props.get("RequestParameters") {
            let params_path = join_path(path, "RequestParameters");
            for (name, required) in resolver.eval_string_map(params, &params_path)? {
                if required.eq_ignore_ascii_case("true") {
                    validation.required_parameters.push(name);
                }
            }
        }
    }
    if validator.body {
        let models: Vec<(&String, &Node)> = resources
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Node::as_str) == Some("AWS::ApiGateway::Model"))
            .map(|(id, r)| (id, r))
            .collect();
        let mut definitions = serde_json::Map::new();
        for (id, model) in &models {
            let mpath = format!("Resources.{id}.Properties");
            let Some(props) = model.get("Properties") else {
                continue;
            };
            let name = match props.get("Name") {
                Some(n) => resolver
                    .eval_string(n, &join_path(&mpath, "Name"))?
                    .unwrap_or_default(),
                None => (*id).clone(),
            };
            if let Some(schema) = props.get("Schema") {
                definitions.insert(
                    name,
                    json_of(schema, &join_path(&mpath, "Schema"), resolver)?,
                );
            }
        }
        if let Some(request_models) = props.get("RequestModels") {
            let rm_path = join_path(path, "RequestModels");
            let entries = request_models.entries().unwrap_or_default();
            let chosen = entries
                .iter()
                .find(|(k, _)| k == "application/json")
                .or_else(|| entries.first());
            if let Some((content_type, model_ref)) = chosen {
                let ref_path = join_path(&rm_path, content_type);
                let model_id = referenced(model_ref, &ref_path, resolver)?;
                let schema = models.iter().find_map(|(id, m)| {
                    let props = m.get("Properties")?;
                    let named = props.get("Name").and_then(Node::as_str) == Some(model_id.as_str());
                    (**id == model_id || named)
                        .then(|| props.get("Schema"))
                        .flatten()
                });
                match schema {
                    Some(schema) => {
                        validation.body_schema =
                            Some(schema_of(schema, &ref_path, resolver, &definitions)?);
                        validation.body_content_type = content_type.to_ascii_lowercase();
                    }
                    // API Gateway's built-in `Empty` model accepts any body.
                    None if model_id == "Empty" => {}
                    None => {
                        return Err(resolver.error(
                            model_ref,
                            &ref_path,
                            format!(
                                "{model_id:?} is not an AWS::ApiGateway::Model of this template"
                            ),
                        ))
                    }
                }
            }
        }
    }
    Ok(Some(validation))
}

/// The logical id `!Ref X` or `!GetAtt X.RequestValidatorId` names, or the evaluated string.
fn referenced(node: &Node, path: &str, resolver: &Resolver<'_>) -> Result<String, TemplateError> {
    match crate::intrinsics::intrinsic(node) {
        Some(("Ref", target)) => {
            if let Some(id) = target.as_str() {
                return Ok(id.to_owned());
            }
        }
        // CloudFormation documents `RequestValidatorId` as the validator's return value
        // beside `Ref`; templates use either form for `AWS::ApiGateway::Method`.
        Some(("Fn::GetAtt", target)) if get_att_attribute(target) == Some("RequestValidatorId") => {
            if let Some(id) = crate::auth_props::get_att_resource(target) {
                return Ok(id);
            }
        }
        _ => {}
    }
    Ok(resolver.eval_string(node, path)?.unwrap_or_default())
}

/// The attribute of `!GetAtt X.Attr` / `[X, Attr]`.
fn get_att_attribute(target: &Node) -> Option<&str> {
    match target.as_str() {
        Some(text) => text.split_once('.').map(|(_, attribute)| attribute),
        None => crate::auth_props::seq(target)
            .and_then(|items| items.get(1))
            .and_then(Node::as_str),
    }
}
