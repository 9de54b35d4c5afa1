//! The entry points: read a template, resolve it, and build the [`Model`].

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::model::Model;
pub use crate::options::LoadOptions;
use crate::yaml_tree::{Kind, Node};
use crate::{http_api, long_form, nested, openapi, parameters, paths, resources, yaml_tree};

/// Reads and compiles the template at `path`.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Model, TemplateError> {
    load_nested(path, options, 0)
}

/// Reads and compiles a template that is `depth` stacks below the one Sluice was started with.
pub(crate) fn load_nested(
    path: &Path,
    options: &LoadOptions,
    depth: usize,
) -> Result<Model, TemplateError> {
    let source = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    compile(&source, path, options, depth)
}

/// Compiles template text; `file_name` is used in messages and `CodeUri` is relative to its folder.
pub fn load_str(
    source: &str,
    file_name: &Path,
    options: &LoadOptions,
) -> Result<Model, TemplateError> {
    compile(source, file_name, options, 0)
}

/// [`load_str`] for a template `depth` stacks down (nested stacks report their outputs).
fn compile(
    source: &str,
    file_name: &Path,
    options: &LoadOptions,
    depth: usize,
) -> Result<Model, TemplateError> {
    let invalid = |line: usize, col: usize, property: &str, message: &str| TemplateError::Invalid {
        file: file_name.to_path_buf(),
        line,
        col,
        property: property.to_string(),
        message: message.to_string(),
        hint: None,
    };
    let mut warnings = Vec::new();
    let Some(root) = yaml_tree::parse(source, file_name, &mut warnings)? else {
        return Err(invalid(1, 1, "(template)", "the template is empty"));
    };
    let root = long_form::convert(root);
    let root = crate::include::expand(root, file_name, &mut warnings)?;
    if root.entries().is_none() {
        return Err(invalid(
            root.line,
            root.col,
            "(template)",
            "a template must be a mapping (Resources: …)",
        ));
    }
    let parameters = parameters::resolve(
        root.get("Parameters"),
        &options.parameter_overrides,
        file_name,
        &mut warnings,
    )?;
    let root = language_extensions(root, file_name, options, &parameters)?;
    // Before the branches under `paths` are chosen: a referenced Path Item may hold `Fn::If`s too.
    let root = crate::path_item_refs::inline(root, file_name, options, &parameters, &mut warnings)?;
    let root = crate::document_conditions::choose(root, file_name, options, &parameters)?;
    let resource_entries: &[(String, Node)] = match root.get("Resources") {
        Some(Node {
            kind: Kind::Map(entries),
            ..
        }) => entries,
        Some(other) => {
            return Err(invalid(
                other.line,
                other.col,
                "Resources",
                &format!("expected a mapping, found {}", other.shape()),
            ))
        }
        None => {
            return Err(invalid(
                root.line,
                root.col,
                "Resources",
                "the template has no Resources",
            ))
        }
    };
    let has_serverless = resource_entries.iter().any(|(_, r)| {
        r.get("Type")
            .and_then(Node::as_str)
            .is_some_and(|t| t.starts_with("AWS::Serverless::"))
    });
    if has_serverless && !declares_sam_transform(&root) {
        warnings.push(
            "Transform: the template does not declare AWS::Serverless-2016-10-31; AWS would reject its AWS::Serverless::* resources"
                .into(),
        );
    }
    let mut resolver = Resolver::new(file_name, options, parameters, &root, resource_entries);
    let template_path = std::path::absolute(file_name).map_err(|source| TemplateError::Read {
        path: file_name.to_path_buf(),
        source,
    })?;
    let template_path = paths::normalize(&template_path);
    let template_dir = template_path
        .parent()
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    let own_layers =
        crate::layers::defined_layers(resource_entries, &resolver, &template_dir, &mut warnings)?;
    let children = nested::load_children(
        resource_entries,
        &mut resolver,
        &template_dir,
        options,
        depth,
        &load_nested,
        &own_layers,
        &mut warnings,
    )?;
    let mut layers = own_layers;
    for child in &children {
        layers.extend(child.model.layers.clone());
    }
    resolver.set_stack_outputs(nested::outputs(&children));
    let mut built = resources::build(
        &root,
        resource_entries,
        &resolver,
        &template_dir,
        &mut warnings,
    )?;
    // HTTP APIs and Function URLs are read in their own pass, over the functions just built.
    let http = http_api::build(
        &root,
        resource_entries,
        &resolver,
        &built.functions,
        &template_dir,
        &mut warnings,
    )?;
    let enabled = |id: &str, resource: &Node| resolver.resource_enabled(id, resource);
    let raw_rest_apis = crate::cfn_rest_api::build(
        resource_entries,
        &resolver,
        &built.functions,
        &enabled,
        &mut warnings,
    )?;
    built.rest_apis.extend(raw_rest_apis);
    openapi::attach_rest(
        &root,
        resource_entries,
        &resolver,
        &template_dir,
        &mut built.rest_apis,
        &built.functions,
        &mut warnings,
    )?;
    crate::gateway_responses::attach_resources(
        resource_entries,
        &resolver,
        &mut built.rest_apis,
        &mut warnings,
    )?;
    crate::request_validation::attach_sam(
        &root,
        resource_entries,
        &resolver,
        &mut built.rest_apis,
        &mut warnings,
    )?;
    crate::resource_policy::attach(
        &root,
        resource_entries,
        &resolver,
        &template_dir,
        &mut built.rest_apis,
    )?;
    let stream_mappings =
        crate::stream_events::build(resource_entries, &resolver, &built.functions, &mut warnings)?;
    crate::tenancy_config::warn_of_stream_mappings(
        &built.functions,
        &stream_mappings,
        &mut warnings,
    );
    let auth = crate::auth::build(
        &root,
        resource_entries,
        &resolver,
        &built,
        &options.aws.region,
        &template_dir,
        &mut warnings,
    )?;
    let mut auth = auth;
    crate::auth::build_http(
        &crate::auth::HttpAuthInput {
            root: &root,
            resources: resource_entries,
            resolver: &resolver,
            http_apis: &http.http_apis,
            functions: &built.functions,
            template_dir: &template_dir,
        },
        &mut auth,
        &mut warnings,
    )?;
    let outputs = if depth > 0 {
        nested::evaluate_outputs(&root, &resolver, &mut warnings)
    } else {
        BTreeMap::new()
    };
    // Last, so the properties Sluice reads keep their own errors; this catches the rest.
    crate::reference_check::check(&root, &resolver)?;
    crate::cors::guarded_preflights(&mut built.rest_apis, &mut auth);
    let access_logs = crate::access_logs::build(
        &root,
        resource_entries,
        &resolver,
        &built.rest_apis,
        &http.http_apis,
        &mut warnings,
    )?;
    let mut model = Model {
        template_path,
        functions: built.functions,
        rest_apis: built.rest_apis,
        http_apis: http.http_apis,
        function_urls: http.function_urls,
        tables: built.tables,
        stream_mappings,
        warnings,
        auth,
        access_logs,
        outputs,
        layers,
    };
    crate::integration_qualifier::settle(&mut model);
    nested::share_one_port(&mut model);
    if !children.is_empty() {
        nested::merge(&mut model, children);
        resources::served_names(&mut model.functions, &mut model.warnings);
    }
    Ok(model)
}

/// Whether `Transform` names the SAM transform (a string or a list of transforms).
fn declares_sam_transform(root: &Node) -> bool {
    declares_transform(root, "AWS::Serverless-2016-10-31")
}

/// Whether `Transform` names `transform` (a string or a list of transforms).
fn declares_transform(root: &Node, transform: &str) -> bool {
    match root.get("Transform").map(|t| &t.kind) {
        Some(Kind::Scalar(s, _)) => s == transform,
        Some(Kind::Seq(items)) => items.iter().any(|i| i.as_str() == Some(transform)),
        _ => false,
    }
}

/// The template with `Fn::ForEach` loops expanded in `Resources`, `Conditions` and `Outputs`
/// when it declares `AWS::LanguageExtensions`; a loop without the transform is an error, as on AWS.
fn language_extensions(
    root: Node,
    file_name: &Path,
    options: &LoadOptions,
    parameters: &BTreeMap<String, parameters::ParamValue>,
) -> Result<Node, TemplateError> {
    const TRANSFORM: &str = "AWS::LanguageExtensions";
    const SECTIONS: [&str; 3] = ["Resources", "Conditions", "Outputs"];
    let no_resources: Vec<(String, Node)> = Vec::new();
    let resources = root
        .get("Resources")
        .and_then(Node::entries)
        .unwrap_or(&no_resources);
    let resolver = Resolver::new(file_name, options, parameters.clone(), &root, resources);
    if !declares_transform(&root, TRANSFORM) {
        for section in SECTIONS {
            let entries = root
                .get(section)
                .and_then(Node::entries)
                .unwrap_or_default();
            if let Some((key, node)) = entries.iter().find(|(k, _)| k.starts_with("Fn::ForEach::"))
            {
                return Err(resolver.error_hint(
                    node,
                    &format!("{section}.{key}"),
                    "Fn::ForEach needs the AWS::LanguageExtensions transform",
                    Some(
                        "add Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]"
                            .into(),
                    ),
                ));
            }
        }
        return Ok(root);
    }
    let mut expanded = root.clone();
    if let Kind::Map(sections) = &mut expanded.kind {
        for (name, section) in sections.iter_mut() {
            if SECTIONS.contains(&name.as_str()) {
                *section = crate::language_extensions::expand(section, name, &resolver)?;
            }
        }
    }
    Ok(expanded)
}
