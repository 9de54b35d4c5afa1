//! A function's `Layers`: local `AWS::Serverless::LayerVersion` resources become folders whose
//! contents the function sees as Lambda's `/opt` (those with a `Metadata.BuildMethod` once built,
//! as `sam build` builds them); layer ARNs from other accounts cannot be fetched offline, so each
//! is named once in a warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::TemplateError;
use crate::intrinsics::{intrinsic, Resolver};
use crate::model::{LayerBuild, LocalLayer};
use crate::paths::normalize;
use crate::yaml_tree::{Kind, Node};

/// Layer types whose content may be a local folder.
const LAYER_TYPES: &[&str] = &["AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"];

/// The local folders of the layers `node` lists, in the function's order; remote ones warn.
/// Those `sam build` would build and Sluice builds too go into `builds`.
pub(crate) fn local_layers(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
    builds: &mut Vec<LayerBuild>,
) -> Result<Vec<PathBuf>, TemplateError> {
    let Kind::Seq(items) = &node.kind else {
        return Err(resolver.error(
            node,
            path,
            format!("Layers must be a list, found {}", node.shape()),
        ));
    };
    let mut folders = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}.{index}");
        // `!Ref MyLayer` names a layer in this template; evaluating it would give an ARN.
        let local = match intrinsic(item) {
            Some(("Ref", target)) => target.as_str().filter(|id| {
                resolver
                    .resource_type(id)
                    .is_some_and(|t| LAYER_TYPES.contains(&t))
            }),
            _ => None,
        };
        match local {
            Some(id) => match content_dir(id, resolver, template_dir, &item_path)? {
                Some(dir) => {
                    if let Some(build) = layer_build(id, &dir, resolver, warnings)? {
                        builds.push(build);
                    }
                    folders.push(dir);
                }
                // As a function's S3 CodeUri, an S3 layer is no fatal error: the function
                // still runs, without the layer's files.
                None => warnings.push(format!(
                    "{item_path}: layer {id} is stored in S3, which is not available offline (the function runs without it)"
                )),
            },
            None => {
                let arn = resolver.eval_string(item, &item_path)?.unwrap_or_default();
                // Another stack's layer, passed as its ARN (serverless-patterns'
                // lambda-layer-ssm-parameters hands a nested stack's `!Ref Layer` output to
                // the function's stack as a parameter).
                if let Some(layer) = resolver.known_layer(&arn) {
                    builds.extend(layer.build.clone());
                    folders.push(layer.folder.clone());
                    continue;
                }
                if !is_layer_version_arn(&arn) {
                    // AWS: Lambda refuses the function (CloudFormation fails the deployment).
                    return Err(resolver.error_hint(
                        item,
                        &item_path,
                        format!("{arn} is not a layer version ARN"),
                        Some("Lambda takes arn:<partition>:lambda:<region>:<account id>:layer:<name>:<version>".into()),
                    ));
                }
                warnings.push(format!(
                    "{item_path}: layer {arn} is not in this template and cannot be fetched offline (the function runs without it)"
                ));
            }
        }
    }
    Ok(folders)
}

/// The local layers `resources` define, by the ARN `Ref` gives each, for the application's other
/// stacks; one whose content cannot be found is left out (a function listing it says why).
pub(crate) fn defined_layers(
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    template_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, LocalLayer>, TemplateError> {
    let mut layers = BTreeMap::new();
    for (id, resource) in resources {
        let ty = resource.get("Type").and_then(Node::as_str);
        if !ty.is_some_and(|t| LAYER_TYPES.contains(&t))
            || !resolver.resource_enabled(id, resource)?
        {
            continue;
        }
        let Ok(Some(folder)) = content_dir(id, resolver, template_dir, &format!("Resources.{id}"))
        else {
            continue;
        };
        let build = layer_build(id, &folder, resolver, warnings)?;
        let arn = resolver.layer_version_arn(id, &format!("Resources.{id}"))?;
        layers.insert(arn, LocalLayer { folder, build });
    }
    Ok(layers)
}

/// The build of layer `id` (content in `dir`) when it has a `Metadata.BuildMethod` that Sluice
/// runs as `sam build` does: a python or node runtime (its dependencies installed beside its files
/// in `python/` or `nodejs/`, SAM CLI's `get_layer_subfolder`) or `makefile`. Any other method
/// (java, ruby, dotnet…) is said once: functions see the folder as it is.
fn layer_build(
    id: &str,
    dir: &Path,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<LayerBuild>, TemplateError> {
    let Some(node) = resolver
        .resource_node(id)
        .and_then(|layer| layer.get("Metadata"))
        .and_then(|metadata| metadata.get("BuildMethod"))
    else {
        return Ok(None);
    };
    let property = format!("Resources.{id}.Metadata.BuildMethod");
    let method = resolver.eval_string(node, &property)?.unwrap_or_default();
    let built_here = dir.is_dir()
        && (method == "makefile" || method.starts_with("python3") || method.starts_with("nodejs"));
    if built_here {
        return Ok(Some(LayerBuild {
            logical_id: id.to_owned(),
            content: dir.to_owned(),
            build_method: method,
        }));
    }
    let warning = resolver.source(node, &property).warning(format_args!(
        "layer {id} is built by `sam build` ({method}); Sluice builds python, nodejs and makefile \
         layers only, so functions see its ContentUri folder as it is (build the layer there, or \
         point ContentUri at the built folder)"
    ));
    if !warnings.contains(&warning) {
        warnings.push(warning);
    }
    Ok(None)
}

/// Whether `arn` has the shape Lambda requires of a function's layer:
/// `arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+`.
fn is_layer_version_arn(arn: &str) -> bool {
    let word = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || extra.contains(&c))
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", partition, "lambda", region, account, "layer", name, version] => {
            word(partition, &[])
                && word(region, &[])
                && account.len() == 12
                && digits(account)
                && word(name, &['_'])
                && digits(version)
        }
        _ => false,
    }
}

/// The folder a layer resource's `ContentUri` (or `Content`, for `AWS::Lambda::LayerVersion`)
/// names, relative to the template, or the `.zip` archive it names (as `sam local` and `sam
/// package` take one), which the server unpacks; `None` for a layer stored in S3.
fn content_dir(
    id: &str,
    resolver: &Resolver<'_>,
    template_dir: &Path,
    used_at: &str,
) -> Result<Option<PathBuf>, TemplateError> {
    let Some(resource) = resolver.resource_node(id) else {
        return Ok(Some(template_dir.to_owned()));
    };
    let properties = resource.get("Properties");
    let (key, content) = match properties.and_then(|p| p.get("ContentUri")) {
        Some(node) => ("ContentUri", Some(node)),
        None => ("Content", properties.and_then(|p| p.get("Content"))),
    };
    let property = format!("Resources.{id}.Properties.{key}");
    let Some(content) = content else {
        return Err(resolver.error_hint(
            resource,
            &property,
            format!("layer {id} has no {key}, which {used_at} needs"),
            Some("add e.g. ContentUri: layers/common/".into()),
        ));
    };
    let local = match &content.kind {
        Kind::Map(_) if intrinsic(content).is_none() => None,
        _ => resolver
            .eval_string(content, &property)?
            .filter(|uri| !uri.is_empty() && !uri.starts_with("s3://")),
    };
    match local {
        Some(uri) => {
            let dir = normalize(&template_dir.join(uri));
            let archive = dir.is_file()
                && dir
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
            if !dir.is_dir() && !archive {
                return Err(resolver.error_hint(
                    content,
                    &property,
                    format!("folder {} does not exist", dir.display()),
                    Some(format!("{key} is relative to the template's folder")),
                ));
            }
            Ok(Some(dir))
        }
        None => Ok(None),
    }
}
