//! One `AWS::Serverless::Function`: runtime, handler, code, environment and its events.

use std::collections::BTreeMap;
use std::path::Path;

use sluice_aws_env::RuntimeFamily;

use super::reader::Reader;
use super::rest_api::{read_events, ApiEvent};
use crate::error::TemplateError;
use crate::model::{Code, Function};
use crate::yaml_tree::{Kind, Node};

/// One `AWS::Serverless::Function`; `None` when it cannot be run locally (image functions).
pub(super) fn function(
    id: &str,
    resource: &Node,
    props: &Reader<'_, '_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
    events: &mut Vec<ApiEvent>,
) -> Result<Option<Function>, TemplateError> {
    let resolver = props.resolver;
    if props.string("PackageType")?.as_deref() == Some("Image") {
        warnings.push(format!(
            "Resources.{id}: PackageType Image is not emulated yet (function ignored)"
        ));
        return Ok(None);
    }
    let runtime = props.required(
        "Runtime",
        "add e.g. Runtime: python3.12 (or nodejs20.x, provided.al2023)",
    )?;
    let handler = if RuntimeFamily::of(&runtime) == Some(RuntimeFamily::Provided) {
        props.string("Handler")?.unwrap_or_default()
    } else {
        props.required(
            "Handler",
            "add e.g. Handler: app.lambda_handler (module.function)",
        )?
    };
    let code = code(id, resource, props, template_dir, warnings)?;
    let event_invoke = match props.properties.get("EventInvokeConfig") {
        Some(node) => {
            crate::event_invoke::read(node, &props.path("EventInvokeConfig"), resolver, warnings)?
        }
        None => Default::default(),
    };
    if let Some(node) = props.properties.get("DeadLetterQueue") {
        // AWS: discarded events go to the queue or topic. Sluice runs neither.
        let source = resolver.source(node, &props.path("DeadLetterQueue"));
        warnings.push(
            source.warning(
                "dead-letter queues are not emulated yet; discarded events are only logged",
            ),
        );
    }
    if let Some(node) = props.properties.get("DurableConfig") {
        // AWS: the durable execution SDK checkpoints through Lambda's durable execution API and
        // the function is invoked with a durable execution envelope. Sluice has neither, so the
        // handler runs as a plain function and the SDK refuses its event.
        let source = resolver.source(node, &props.path("DurableConfig"));
        warnings.push(source.warning(
            "durable functions are not emulated yet; the function is invoked as a plain one, \
             which the durable execution SDK refuses",
        ));
    }
    if let Some(node) = props.properties.get("FileSystemConfigs") {
        // AWS: Lambda mounts the EFS access point at each LocalMountPath. Sluice mounts nothing,
        // so say it once here rather than let the handler meet ENOENT at run time.
        let path = props.path("FileSystemConfigs");
        let mounts: Vec<String> = match resolver.eval(node, &path)? {
            Some(Node {
                kind: Kind::Seq(items),
                ..
            }) => items
                .iter()
                .filter_map(|item| item.get("LocalMountPath").and_then(Node::as_str))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        warnings.push(format!(
            "{path}: EFS mounts are not emulated yet (ignored); the function finds no {}",
            if mounts.is_empty() {
                "LocalMountPath".to_owned()
            } else {
                mounts.join(", ")
            }
        ));
    }
    let environment_node = props.properties.get("Environment");
    let evaluated = |node: &Node| -> Result<BTreeMap<String, String>, TemplateError> {
        match resolver.eval(node, &props.path("Environment"))? {
            Some(env) => match env.get("Variables") {
                Some(vars) => resolver.eval_string_map(vars, &props.path("Environment.Variables")),
                None => Ok(BTreeMap::new()),
            },
            None => Ok(BTreeMap::new()),
        }
    };
    let environment = match environment_node {
        None => BTreeMap::new(),
        Some(node) => match evaluated(node) {
            Ok(variables) => variables,
            Err(error) => variables_one_by_one(node, props, warnings).ok_or(error)??,
        },
    };
    if let Some(node) = environment_node {
        crate::environment_rules::check(&environment, node, &props.path("Environment"), resolver)?;
    }
    let logging = match props.properties.get("LoggingConfig") {
        Some(node) => resolver.eval(node, &props.path("LoggingConfig"))?,
        None => None,
    };
    let system_log_level = crate::logging_config::system_log_level(logging.as_ref());
    let tenant_isolation = crate::tenancy_config::tenant_isolation(
        props.properties.get("TenancyConfig"),
        &props.path("TenancyConfig"),
        resolver,
    )?;
    if tenant_isolation {
        crate::tenancy_config::refuse_snap_start(
            props.properties.get("SnapStart"),
            &props.path("SnapStart"),
            resolver,
        )?;
        if let Some(node) = props
            .properties
            .get("ProvisionedConcurrencyConfig")
            .filter(|n| !n.is_null())
        {
            return Err(crate::tenancy_config::unsupported(
                "provisioned concurrency",
                node,
                &props.path("ProvisionedConcurrencyConfig"),
                resolver,
            ));
        }
    }
    let environment = crate::logging_config::apply(logging.as_ref(), environment);
    let architectures = match props.properties.get("Architectures") {
        Some(node) => {
            let list = resolver.eval_string_list(node, &props.path("Architectures"))?;
            if let Some(bad) = list.iter().find(|a| *a != "x86_64" && *a != "arm64") {
                return Err(resolver.error(
                    node,
                    &props.path("Architectures"),
                    format!("{bad:?} is not an architecture (expected x86_64 or arm64)"),
                ));
            }
            list
        }
        None => Vec::new(),
    };
    let build_method = match resource.get("Metadata").and_then(|m| m.get("BuildMethod")) {
        Some(node) => {
            resolver.eval_string(node, &format!("Resources.{id}.Metadata.BuildMethod"))?
        }
        None => None,
    };
    let build_properties = match resource
        .get("Metadata")
        .and_then(|m| m.get("BuildProperties"))
    {
        Some(node) => resolver
            .eval(node, &format!("Resources.{id}.Metadata.BuildProperties"))?
            .map_or(serde_json::Value::Null, |v| crate::plain_yaml::to_json(&v)),
        None => serde_json::Value::Null,
    };
    let mut layer_builds = Vec::new();
    let layers = match props.properties.get("Layers").filter(|l| !l.is_null()) {
        Some(node) => crate::layers::local_layers(
            node,
            &props.path("Layers"),
            resolver,
            template_dir,
            warnings,
            &mut layer_builds,
        )?,
        None => Vec::new(),
    };
    read_events(id, props, warnings, events)?;
    let alias = props.string("AutoPublishAlias")?.filter(|a| !a.is_empty());
    let provisioned_concurrency = provisioned_concurrency(id, props, alias.is_some())?;
    let source_of = |key: &str| {
        let at = props.properties.get(key).unwrap_or(resource);
        resolver.source(at, &props.path(key))
    };
    Ok(Some(Function {
        logical_id: id.to_string(),
        name: resolver.physical_name(id, resource, &format!("Resources.{id}"))?,
        runtime,
        handler,
        code,
        memory_mb: props.number("MemorySize", 128..=10240)?.unwrap_or(128),
        timeout_secs: props.number("Timeout", 1..=900)?.unwrap_or(3),
        environment,
        reserved_concurrency: props.number("ReservedConcurrentExecutions", 0..=u32::MAX)?,
        system_log_level,
        architectures: if architectures.is_empty() {
            vec!["x86_64".to_string()]
        } else {
            architectures
        },
        build_method,
        build_properties,
        alias,
        provisioned_concurrency,
        layers,
        layer_builds,
        code_uri_source: source_of("CodeUri"),
        handler_source: source_of("Handler"),
        runtime_source: source_of("Runtime"),
        event_invoke,
        tenant_isolation,
    }))
}

/// `ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: N}`.
///
/// AWS: provisioned concurrency belongs to a version or alias, so SAM rejects it on a function
/// without `AutoPublishAlias`, with the message used here.
fn provisioned_concurrency(
    id: &str,
    props: &Reader<'_, '_>,
    has_alias: bool,
) -> Result<Option<u32>, TemplateError> {
    let key = "ProvisionedConcurrencyConfig";
    let Some(node) = props.properties.get(key).filter(|n| !n.is_null()) else {
        return Ok(None);
    };
    let resolver = props.resolver;
    if !has_alias {
        return Err(resolver.error_hint(
            node,
            &props.path(key),
            format!("Resource with id [{id}] is invalid. To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function"),
            Some("add e.g. AutoPublishAlias: live".to_owned()),
        ));
    }
    let config = Reader {
        resolver,
        properties: node,
        path: &props.path(key),
    };
    match config.number("ProvisionedConcurrentExecutions", 0..=u32::MAX)? {
        Some(n) => Ok(Some(n)),
        None => Err(resolver.error(
            node,
            &props.path(key),
            "ProvisionedConcurrentExecutions is required",
        )),
    }
}

/// `InlineCode`, else `CodeUri` as a folder; S3 locations cannot be run, so they fall back to the
/// template's folder (as a missing `CodeUri` does in SAM CLI) with a warning. CDK's asset
/// metadata (`aws:asset:path` for `aws:asset:property: CodeUri`) names the local folder in its
/// place, as SAM CLI reads it.
fn code(
    id: &str,
    resource: &Node,
    props: &Reader<'_, '_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<Code, TemplateError> {
    let uri_node = props.properties.get("CodeUri");
    if let Some(inline) = props.string("InlineCode")? {
        // SAM's transform takes InlineCode when both are set (a CodeUri from Globals, say).
        if uri_node.is_some() {
            warnings.push(format!(
                "{}: ignored, as SAM ignores it beside InlineCode",
                props.path("CodeUri")
            ));
        }
        return Ok(Code::Inline(inline));
    }
    if let Some(asset) = asset_path(id, resource, props)? {
        return Ok(Code::Dir(crate::paths::normalize(
            &template_dir.join(asset),
        )));
    }
    let s3_warning = || {
        format!(
            "{}: S3 code locations are not supported locally; using the template's folder",
            props.path("CodeUri")
        )
    };
    let uri = match uri_node {
        None => None,
        Some(node) if node.entries().is_some() && crate::intrinsics::intrinsic(node).is_none() => {
            warnings.push(s3_warning());
            None
        }
        Some(_) => props.string("CodeUri")?.filter(|u| !u.is_empty()),
    };
    let uri = match uri {
        Some(u) if u.starts_with("s3://") => {
            warnings.push(s3_warning());
            None
        }
        other => other,
    };
    Ok(Code::Dir(crate::paths::normalize(
        &template_dir.join(uri.unwrap_or_default()),
    )))
}

/// CDK's `Metadata: {aws:asset:path: …, aws:asset:property: CodeUri}`: the folder `CodeUri`
/// stands for.
fn asset_path(
    id: &str,
    resource: &Node,
    props: &Reader<'_, '_>,
) -> Result<Option<String>, TemplateError> {
    let Some(metadata) = resource.get("Metadata") else {
        return Ok(None);
    };
    let path = format!("Resources.{id}.Metadata");
    let property = match metadata.get("aws:asset:property") {
        Some(node) => props.resolver.eval_string(node, &path)?,
        None => None,
    };
    match (metadata.get("aws:asset:path"), property.as_deref()) {
        (Some(node), Some("CodeUri")) => props.resolver.eval_string(node, &path),
        _ => Ok(None),
    }
}

/// `Environment.Variables` evaluated one by one after the whole failed. A variable that cannot be
/// resolved locally starts empty with a warning, as SAM CLI leaves what it cannot resolve, for
/// `--env-vars` to fill: one that imports another stack's export (`Fn::ImportValue`; no other
/// stack exists locally), or reads an attribute of a resource Sluice does not emulate (a VPC
/// endpoint's `DnsEntries` under `Fn::Select`, say). `None` when a failure is of another kind
/// (the caller reports it).
fn variables_one_by_one(
    environment: &Node,
    props: &Reader<'_, '_>,
    warnings: &mut Vec<String>,
) -> Option<Result<BTreeMap<String, String>, TemplateError>> {
    let variables = environment.get("Variables")?.entries()?;
    let mut out = BTreeMap::new();
    let mut emptied = Vec::new();
    for (name, value) in variables {
        let path = props.path(&format!("Environment.Variables.{name}"));
        match props.resolver.eval_string(value, &path) {
            Ok(text) => {
                out.insert(name.clone(), text.unwrap_or_default());
            }
            Err(_) if value.mentions("Fn::ImportValue") => {
                emptied.push(format!(
                    "{path}: Fn::ImportValue reads another stack's export, which does not exist locally; the variable is empty (give it a value with --env-vars)"
                ));
                out.insert(name.clone(), String::new());
            }
            Err(TemplateError::Invalid { message, .. })
                if value.mentions("Fn::GetAtt")
                    && reads_existing_resources(value, props.resolver) =>
            {
                emptied.push(format!(
                    "{path}: {message}; the variable is empty, as SAM CLI leaves what it cannot resolve (give it a value with --env-vars)"
                ));
                out.insert(name.clone(), String::new());
            }
            Err(_) => return None,
        }
    }
    warnings.extend(emptied);
    Some(Ok(out))
}

/// Whether every `Fn::GetAtt` in `node` names a resource of the template (one that does not is
/// an error on AWS too).
fn reads_existing_resources(node: &Node, resolver: &crate::intrinsics::Resolver<'_>) -> bool {
    match &node.kind {
        Kind::Map(entries) => entries.iter().all(|(key, value)| {
            if key == "Fn::GetAtt" {
                let target = match &value.kind {
                    Kind::Seq(items) => items.first().and_then(Node::as_str),
                    Kind::Scalar(..) => value.as_str().and_then(|t| t.split('.').next()),
                    Kind::Map(_) => None,
                };
                target.is_some_and(|id| resolver.has_resource(id))
            } else {
                reads_existing_resources(value, resolver)
            }
        }),
        Kind::Seq(items) => items
            .iter()
            .all(|item| reads_existing_resources(item, resolver)),
        Kind::Scalar(..) => true,
    }
}
