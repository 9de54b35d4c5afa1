//! Path Items written as a `$ref` to another place of their OpenAPI document (`/items: {$ref:
//! '#/x-paths/Items'}`, `'#/components/pathItems/Items'`, `'#/paths/~1other'`). OpenAPI 2.0, 3.0
//! and 3.1 all let a Path Item Object take its definition from a reference, beside fields of its
//! own ("Path Item Object", field `$ref`), and API Gateway imports the operations it names. The
//! passes that read a document walk `paths` as plain maps, so each reference is replaced here, once,
//! by the Path Item it names, before any of them runs.
//!
//! A field both beside the `$ref` and in the referenced Path Item is left undefined by every
//! version of the specification ("If there are conflicts between the referenced definition and
//! this Path Item's definition, the behavior is undefined"); swagger-parser, on which API
//! Gateway's importer was first built, puts the referenced Path Item in the item's place
//! (`PathsProcessor.processPaths`). Sluice keeps the referenced field, with a warning, and keeps
//! the fields only beside the `$ref`, which the specification allows.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::openapi_ref::{self, Unresolved};
use crate::options::LoadOptions;
use crate::parameters::ParamValue;
use crate::yaml_tree::{Kind, Node};

/// What the hint of an unresolvable reference suggests.
const WHERE_TO_DEFINE: &str = "define the path item in this document (under x-paths, or components.pathItems) and refer to it as '#/x-paths/Name'";

/// `root` with the Path Item references of each API document its resources hold inline
/// (`DefinitionBody`, `Body`) followed.
pub(crate) fn inline(
    root: Node,
    file_name: &Path,
    options: &LoadOptions,
    parameters: &BTreeMap<String, ParamValue>,
    warnings: &mut Vec<String>,
) -> Result<Node, TemplateError> {
    let replaced = {
        let Some(resources) = root.get("Resources").and_then(Node::entries) else {
            return Ok(root);
        };
        let resolver = Resolver::new(file_name, options, parameters.clone(), &root, resources);
        let mut replaced = Vec::new();
        for (id, resource) in resources {
            let ty = resource.get("Type").and_then(Node::as_str);
            let Some(&(_, key)) = crate::document_conditions::DOCUMENTS
                .iter()
                .find(|(t, _)| Some(*t) == ty)
            else {
                continue;
            };
            let Some(document) = resource.get("Properties").and_then(|p| p.get(key)) else {
                continue;
            };
            let where_ = format!("Resources.{id}.Properties.{key}");
            if let Some(paths) = inline_paths(document, &where_, &resolver, warnings)? {
                replaced.push((id.clone(), key, paths));
            }
        }
        replaced
    };
    let mut root = root;
    crate::document_conditions::put_paths(&mut root, replaced);
    Ok(root)
}

/// The `paths` of `document` (whose property path is `where_`) with their Path Item references
/// followed; `None` when no path item has one.
pub(crate) fn inline_paths(
    document: &Node,
    where_: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<Node>, TemplateError> {
    let Some(paths) = document.get("paths") else {
        return Ok(None);
    };
    let entries = paths.entries().unwrap_or_default();
    if !entries
        .iter()
        .any(|(_, item)| item.get("$ref").is_some() || condition_of(item).is_some())
    {
        return Ok(None);
    }
    let paths_path = join_path(where_, "paths");
    let mut out = Vec::with_capacity(entries.len());
    for (key, item) in entries {
        let item_path = join_path(&paths_path, key);
        let followed = follow(document, where_, item, &item_path, resolver, warnings)?;
        out.push((key.clone(), followed));
    }
    Ok(Some(Node {
        kind: Kind::Map(out),
        ..paths.clone()
    }))
}

/// The argument of an `Fn::If` that is all of `node`.
fn condition_of(node: &Node) -> Option<&Node> {
    match node.entries()? {
        [(key, arg)] if key == "Fn::If" => Some(arg),
        _ => None,
    }
}

/// The path item `item` (at `item_path`) with its reference followed. An item under `Fn::If` is
/// the branch CloudFormation picks before API Gateway reads the document; one that is no
/// reference stays as written, for the passes after this one.
fn follow(
    document: &Node,
    where_: &str,
    item: &Node,
    item_path: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Node, TemplateError> {
    let mut chosen = item;
    let mut at = item_path.to_owned();
    while let Some(arg) = condition_of(chosen) {
        at = join_path(&at, "Fn::If");
        chosen = resolver.if_branch(arg, &at)?;
    }
    if chosen.get("$ref").is_none() {
        return Ok(item.clone());
    }
    merged(
        document,
        where_,
        chosen,
        item_path,
        &mut Vec::new(),
        resolver,
        warnings,
    )
}

/// The Path Item `item` (at `item_path`) stands for: the one its `$ref` names (itself followed),
/// with the fields written only beside the `$ref` added. `seen` holds the references followed so
/// far, to end a loop of them.
fn merged(
    document: &Node,
    where_: &str,
    item: &Node,
    item_path: &str,
    seen: &mut Vec<String>,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Node, TemplateError> {
    let Some(reference) = item.get("$ref") else {
        return Ok(item.clone());
    };
    let ref_path = join_path(item_path, "$ref");
    let Some(target) = reference.as_str() else {
        return Err(resolver.error(
            reference,
            &ref_path,
            format!(
                "expected a reference such as '#/x-paths/Items', found {}",
                reference.shape()
            ),
        ));
    };
    if seen.iter().any(|s| s == target) {
        seen.push(target.to_owned());
        return Err(resolver.error_hint(
            reference,
            &ref_path,
            format!(
                "the Path Item references loop ({}); API Gateway cannot import the document",
                seen.join(" -> ")
            ),
            Some("end the chain at a Path Item that has its operations and no $ref".into()),
        ));
    }
    seen.push(target.to_owned());
    let (found, keys) = openapi_ref::resolve(document, target).map_err(|why| {
        let message = match why {
            Unresolved::NotLocal => format!(
                "{target:?} is outside the document; API Gateway imports the document alone, so it cannot follow it"
            ),
            Unresolved::Missing => format!("{target:?} names nothing in this document"),
        };
        resolver.error_hint(reference, &ref_path, message, Some(WHERE_TO_DEFINE.into()))
    })?;
    if found.entries().is_none() {
        return Err(resolver.error_hint(
            reference,
            &ref_path,
            format!(
                "{target:?} names {}, not a Path Item (a mapping of operations)",
                found.shape()
            ),
            Some(WHERE_TO_DEFINE.into()),
        ));
    }
    let found_path = openapi_ref::property_path(where_, &keys);
    let referenced = merged(
        document,
        where_,
        found,
        &found_path,
        seen,
        resolver,
        warnings,
    )?;
    let mut entries = referenced.entries().unwrap_or_default().to_vec();
    for (key, value) in item.entries().unwrap_or_default() {
        if key == "$ref" {
            continue;
        }
        if entries.iter().any(|(k, _)| k == key) {
            // AWS: undocumented (OpenAPI: undefined); Sluice: the referenced Path Item's, as
            // swagger-parser's import keeps it.
            let warning = format!(
                "{}: {key} is both beside the $ref and in {target:?}, which OpenAPI leaves undefined; the one in {target:?} is used",
                crate::yaml_tree::display_path(item_path)
            );
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
            continue;
        }
        entries.push((key.clone(), value.clone()));
    }
    Ok(Node {
        kind: Kind::Map(entries),
        ..referenced
    })
}
