//! `Fn::If` inside an API's OpenAPI paths. CloudFormation evaluates it before API Gateway imports
//! the document, so a path item or operation written under `Fn::If` is whichever branch the
//! condition picks, and a branch of `AWS::NoValue` removes its key. The passes that read documents
//! walk plain maps, so the branches are chosen here, once, before any of them runs.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::options::LoadOptions;
use crate::parameters::ParamValue;
use crate::yaml_tree::{Kind, Node};

/// Resource types and the property that holds their OpenAPI document.
pub(crate) const DOCUMENTS: &[(&str, &str)] = &[
    ("AWS::Serverless::Api", "DefinitionBody"),
    ("AWS::Serverless::HttpApi", "DefinitionBody"),
    ("AWS::ApiGateway::RestApi", "Body"),
    ("AWS::ApiGatewayV2::Api", "Body"),
];

/// `root` with the `Fn::If`s under each API document's `paths` replaced by their chosen branch.
pub(crate) fn choose(
    mut root: Node,
    file_name: &Path,
    options: &LoadOptions,
    parameters: &BTreeMap<String, ParamValue>,
) -> Result<Node, TemplateError> {
    let chosen = {
        let Some(resources) = root.get("Resources").and_then(Node::entries) else {
            return Ok(root);
        };
        let resolver = Resolver::new(file_name, options, parameters.clone(), &root, resources);
        let mut chosen = Vec::new();
        for (id, resource) in resources {
            let ty = resource.get("Type").and_then(Node::as_str);
            let Some(&(_, key)) = DOCUMENTS.iter().find(|(t, _)| Some(*t) == ty) else {
                continue;
            };
            let Some(paths) = resource
                .get("Properties")
                .and_then(|p| p.get(key))
                .and_then(|d| d.get("paths"))
            else {
                continue;
            };
            if !paths.mentions("Fn::If") {
                continue;
            }
            let at = format!("Resources.{id}.Properties.{key}.paths");
            let paths = branches(paths, &resolver, &at)?.unwrap_or_else(|| Node {
                kind: Kind::Map(Vec::new()),
                ..paths.clone()
            });
            chosen.push((id.clone(), key, paths));
        }
        chosen
    };
    put_paths(&mut root, chosen);
    Ok(root)
}

/// Puts each `(resource id, document key, paths)` back as that inline document's `paths`.
pub(crate) fn put_paths(root: &mut Node, replaced: Vec<(String, &str, Node)>) {
    for (id, key, paths) in replaced {
        let slot = root
            .get_mut("Resources")
            .and_then(|r| r.get_mut(&id))
            .and_then(|r| r.get_mut("Properties"))
            .and_then(|p| p.get_mut(key))
            .and_then(|d| d.get_mut("paths"));
        if let Some(slot) = slot {
            *slot = paths;
        }
    }
}

/// `node` with every `Fn::If` replaced by its chosen branch; `None` for `AWS::NoValue`. Other
/// intrinsics stay as written: the passes that read them evaluate them.
fn branches(node: &Node, resolver: &Resolver<'_>, at: &str) -> Result<Option<Node>, TemplateError> {
    match &node.kind {
        Kind::Scalar(..) => Ok(Some(node.clone())),
        Kind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.extend(branches(item, resolver, &format!("{at}[{i}]"))?);
            }
            Ok(Some(Node {
                kind: Kind::Seq(out),
                ..node.clone()
            }))
        }
        Kind::Map(entries) => {
            if let [(key, arg)] = entries.as_slice() {
                if key == "Ref" && arg.as_str() == Some("AWS::NoValue") {
                    return Ok(None);
                }
                if key == "Fn::If" {
                    let at = join_path(at, "Fn::If");
                    let chosen = resolver.if_branch(arg, &at)?;
                    return branches(chosen, resolver, &at);
                }
            }
            let mut out = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                if let Some(value) = branches(value, resolver, &join_path(at, key))? {
                    out.push((key.clone(), value));
                }
            }
            Ok(Some(Node {
                kind: Kind::Map(out),
                ..node.clone()
            }))
        }
    }
}
