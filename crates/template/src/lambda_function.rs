//! `AWS::Lambda::Function`, the raw CloudFormation function CDK and hand-written templates use:
//! `Code` as a local path (what `aws cloudformation package` takes), `Code.ZipFile` inline, or an
//! S3 location with CDK's `aws:asset:path` metadata pointing at the local asset folder.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::Path;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{Code, Function};
use crate::paths::normalize;
use crate::yaml_tree::Node;

/// One `AWS::Lambda::Function`; `None` (with a warning) when its code cannot be found locally.
pub(crate) fn read(
    id: &str,
    resource: &Node,
    resolver: &Resolver<'_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<Option<Function>, TemplateError> {
    let path = format!("Resources.{id}.Properties");
    let empty = Node {
        kind: crate::yaml_tree::Kind::Map(Vec::new()),
        ..resource.clone()
    };
    let props = resource.get("Properties").unwrap_or(&empty);
    let text = |key: &str| -> Result<Option<String>, TemplateError> {
        match props.get(key) {
            Some(node) => resolver.eval_string(node, &join_path(&path, key)),
            None => Ok(None),
        }
    };
    if text("PackageType")?.as_deref() == Some("Image") {
        warnings.push(format!(
            "Resources.{id}: PackageType Image is not emulated yet (function ignored)"
        ));
        return Ok(None);
    }
    let Some(code) = code(id, resource, props, &path, resolver, template_dir, warnings)? else {
        return Ok(None);
    };
    let Some(runtime) = text("Runtime")?.filter(|r| !r.is_empty()) else {
        return Err(resolver.error_hint(
            props,
            &join_path(&path, "Runtime"),
            "Runtime is required",
            Some("add e.g. Runtime: python3.12 (or nodejs20.x, provided.al2023)".into()),
        ));
    };
    let handler = text("Handler")?.unwrap_or_default();
    if handler.is_empty() && !runtime.starts_with("provided") {
        return Err(resolver.error_hint(
            props,
            &join_path(&path, "Handler"),
            "Handler is required",
            Some("add e.g. Handler: index.handler (module.function)".into()),
        ));
    }
    // CloudFormation rejects a value outside Lambda's limits, as the SAM reader does.
    let number =
        |key: &str, default: u32, range: RangeInclusive<u32>| -> Result<u32, TemplateError> {
            let Some(value) = text(key)? else {
                return Ok(default);
            };
            let at = props.get(key).unwrap_or(props);
            match value.trim().parse::<u32>() {
                Ok(n) if range.contains(&n) => Ok(n),
                Ok(n) => Err(resolver.error(
                    at,
                    &join_path(&path, key),
                    format!("{n} is out of range ({}..={})", range.start(), range.end()),
                )),
                Err(_) => Err(resolver.error(
                    at,
                    &join_path(&path, key),
                    format!("{value:?} is not a whole number"),
                )),
            }
        };
    let environment = match props.get("Environment").and_then(|e| e.get("Variables")) {
        Some(vars) => resolver.eval_string_map(vars, &join_path(&path, "Environment.Variables"))?,
        None => BTreeMap::new(),
    };
    if let Some(node) = props.get("Environment") {
        let at = join_path(&path, "Environment");
        crate::environment_rules::check(&environment, node, &at, resolver)?;
    }
    // AWS: LoggingConfig is a property of AWS::Lambda::Function itself (SAM passes it through).
    let logging = match props.get("LoggingConfig") {
        Some(node) => resolver.eval(node, &join_path(&path, "LoggingConfig"))?,
        None => None,
    };
    let system_log_level = crate::logging_config::system_log_level(logging.as_ref());
    let tenant_isolation = crate::tenancy_config::tenant_isolation(
        props.get("TenancyConfig"),
        &join_path(&path, "TenancyConfig"),
        resolver,
    )?;
    if tenant_isolation {
        crate::tenancy_config::refuse_snap_start(
            props.get("SnapStart"),
            &join_path(&path, "SnapStart"),
            resolver,
        )?;
    }
    let environment = crate::logging_config::apply(logging.as_ref(), environment);
    let architectures = match props.get("Architectures") {
        Some(node) => resolver.eval_string_list(node, &join_path(&path, "Architectures"))?,
        None => Vec::new(),
    };
    let mut layer_builds = Vec::new();
    let layers = match props.get("Layers").filter(|l| !l.is_null()) {
        Some(node) => crate::layers::local_layers(
            node,
            &join_path(&path, "Layers"),
            resolver,
            template_dir,
            warnings,
            &mut layer_builds,
        )?,
        None => Vec::new(),
    };
    let source_of = |key: &str| {
        let at = props.get(key).unwrap_or(resource);
        resolver.source(at, &join_path(&path, key))
    };
    let reserved_concurrency = match text("ReservedConcurrentExecutions")? {
        Some(_) => Some(number("ReservedConcurrentExecutions", 0, 0..=u32::MAX)?),
        None => None,
    };
    Ok(Some(Function {
        logical_id: id.to_owned(),
        name: resolver.physical_name(id, resource, &format!("Resources.{id}"))?,
        runtime,
        handler,
        code,
        memory_mb: number("MemorySize", 128, 128..=10240)?,
        timeout_secs: number("Timeout", 3, 1..=900)?,
        environment,
        reserved_concurrency,
        system_log_level,
        architectures: if architectures.is_empty() {
            vec!["x86_64".to_owned()]
        } else {
            architectures
        },
        build_method: None,
        build_properties: serde_json::Value::Null,
        // AWS::Lambda::Alias resources are separate; only SAM's AutoPublishAlias names one here.
        alias: None,
        // Provisioned concurrency is a property of an alias or version, which this resource lacks.
        provisioned_concurrency: None,
        layers,
        layer_builds,
        code_uri_source: source_of("Code"),
        handler_source: source_of("Handler"),
        runtime_source: source_of("Runtime"),
        // Set by an `AWS::Lambda::EventInvokeConfig` naming it, if any.
        event_invoke: Default::default(),
        tenant_isolation,
    }))
}

/// Where the code is: a local path, inline `ZipFile`, or CDK's asset folder.
fn code(
    id: &str,
    resource: &Node,
    props: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<Option<Code>, TemplateError> {
    let code_path = join_path(path, "Code");
    // CDK: `Metadata: {aws:asset:path: asset.<hash>}` names the folder beside the template.
    let asset = match resource
        .get("Metadata")
        .and_then(|m| m.get("aws:asset:path"))
    {
        Some(node) => resolver.eval_string(node, &format!("Resources.{id}.Metadata"))?,
        None => None,
    };
    let Some(node) = props.get("Code") else {
        return match asset {
            Some(asset) => Ok(Some(Code::Dir(normalize(&template_dir.join(asset))))),
            None => Err(resolver.error_hint(
                props,
                &code_path,
                "Code is required",
                Some("add e.g. Code: ./src (a local folder) or Code: {ZipFile: ...}".into()),
            )),
        };
    };
    if let Some(local) = node.as_str() {
        return Ok(Some(Code::Dir(normalize(&template_dir.join(local)))));
    }
    if let Some(inline) = node.get("ZipFile") {
        let source = resolver
            .eval_string(inline, &join_path(&code_path, "ZipFile"))?
            .unwrap_or_default();
        return Ok(Some(Code::Inline(source)));
    }
    if let Some(asset) = asset {
        return Ok(Some(Code::Dir(normalize(&template_dir.join(asset)))));
    }
    warnings.push(format!(
        "{code_path}: S3 code locations are not read locally; use a local path or CDK's asset metadata (function ignored)"
    ));
    Ok(None)
}
