//! `Resources` → functions, REST APIs and routes: the serverless resources Sluice emulates, and one
//! warning for everything else.

mod function;
mod reader;
mod rest_api;

pub(crate) use rest_api::IMPLICIT_API;

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::TemplateError;
use crate::globals;
use crate::intrinsics::Resolver;
use crate::model::{Function, RestApi, Table};
use crate::tables;
use crate::yaml_tree::{Kind, Node};
use function::function;
use reader::Reader;
use rest_api::{attach, implicit_api, rest_api};

/// Resource types `auth.rs` reads (so they get no "not emulated" warning here).
const AUTH_RESOURCE_TYPES: &[&str] = &[
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGatewayV2::Authorizer",
];

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
    if let Some(globals) = root.get("Globals") {
        crate::sam_properties::check_globals(globals, resolver)?;
    }
    let global = |section: &str| root.get("Globals").and_then(|g| g.get(section));
    let mut functions = Vec::new();
    let mut rest_apis = Vec::new();
    let mut tables = Vec::new();
    let mut events = Vec::new();
    let mut invoke_configs = Vec::new();
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
        for (key, _) in resource.entries().unwrap_or_default() {
            if let Some(why) = crate::resource_types::unknown_resource_key(ty, key) {
                warnings.push(format!("{path}.{key}: {why}"));
            }
        }
        if !resolver.resource_enabled(id, resource)? {
            continue;
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
            | "AWS::ApiGateway::Model"
            // Read by `gateway_responses`, in its own pass.
            | "AWS::ApiGateway::GatewayResponse" => {}
            // Read by `stream_events`, in its own pass.
            "AWS::Lambda::EventSourceMapping" => {}
            // Applied once every function is read (it may come before its function).
            "AWS::Lambda::EventInvokeConfig" => invoke_configs.push((id, resource)),
            _ if AUTH_RESOURCE_TYPES.contains(&ty) => {}
            // Permissions and capacity change nothing locally: no warning to read past.
            _ if crate::resource_types::QUIET_TYPES.contains(&ty) => {}
            _ => warnings.push(format!(
                "{path}: resource type {ty} is not emulated yet (ignored)"
            )),
        }
    }
    for (id, resource) in invoke_configs {
        event_invoke_config(id, resource, resolver, &mut functions, warnings)?;
    }
    served_names(&mut functions, warnings);
    if events.iter().any(|e| e.rest_api.is_none()) {
        rest_apis.push(implicit_api(root, global("Api"), resolver, warnings)?);
    }
    attach(events, &mut rest_apis, &functions, resolver, warnings)?;
    Ok(Built {
        functions,
        rest_apis,
        tables,
    })
}

/// An `AWS::Lambda::EventInvokeConfig`: its settings become those of the function its
/// `FunctionName` names (whatever its `Qualifier`: Sluice runs one copy of the code).
fn event_invoke_config(
    id: &str,
    resource: &Node,
    resolver: &Resolver<'_>,
    functions: &mut [Function],
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let path = format!("Resources.{id}.Properties");
    let Some(properties) = resource.get("Properties") else {
        return Err(resolver.error(resource, &path, "FunctionName is required"));
    };
    let name_path = format!("{path}.FunctionName");
    let Some(name_node) = properties.get("FunctionName") else {
        return Err(resolver.error(properties, &name_path, "FunctionName is required"));
    };
    let name = resolver
        .eval_string(name_node, &name_path)?
        .unwrap_or_default();
    // A name, an ARN or a partial ARN, as Lambda's API accepts.
    let name = name
        .split_once(":function:")
        .map_or(name.as_str(), |(_, rest)| rest);
    let name = name.split(':').next().unwrap_or_default();
    let settings = crate::event_invoke::read(properties, &path, resolver, warnings)?;
    match functions
        .iter_mut()
        .find(|f| f.name == name || f.logical_id == name)
    {
        Some(function) => function.event_invoke = settings,
        None => warnings.push(format!(
            "{name_path}: function {name:?} is not in this template; its EventInvokeConfig does nothing here"
        )),
    }
    Ok(())
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
