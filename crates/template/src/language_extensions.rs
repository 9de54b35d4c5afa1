//! The `AWS::LanguageExtensions` transform's `Fn::ForEach`: a loop that stamps out resources,
//! conditions, outputs or properties, expanded before anything else reads the template, as
//! CloudFormation expands it before the SAM transform runs.
//!
//! ```yaml
//! Fn::ForEach::Topics:                # a key of the mapping the copies join
//!   - Name                            # the identifier
//!   - [Success, Failure]              # the collection (a list, or !Ref a list parameter)
//!   - ${Name}Topic:                   # the fragment; ${Name} / &{Name} in its keys and
//!       Type: AWS::SNS::Topic         # strings (!Sub's too), and !Ref Name, are replaced
//! ```
//! (`Fn::Length` and `Fn::ToJsonString`, the transform's other functions, are intrinsics.)

use crate::error::TemplateError;
use crate::intrinsics::{intrinsic, Resolver};
use crate::yaml_tree::{Kind, Node};

/// The key prefix of a loop.
const FOR_EACH: &str = "Fn::ForEach::";

/// `node` with every loop expanded (loops inside fragments included); `path` names it in errors.
pub(crate) fn expand(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Node, TemplateError> {
    match &node.kind {
        Kind::Scalar(..) => Ok(node.clone()),
        Kind::Seq(items) => Ok(Node {
            kind: Kind::Seq(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| expand(item, &format!("{path}.{i}"), resolver))
                    .collect::<Result<_, _>>()?,
            ),
            ..node.clone()
        }),
        Kind::Map(entries) => {
            let mut out: Vec<(String, Node)> = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                let entry_path = format!("{path}.{key}");
                let produced = if key.starts_with(FOR_EACH) {
                    let copies = for_each(value, &entry_path, resolver)?;
                    // The copies may hold loops of their own.
                    match expand(&copies, &entry_path, resolver)?.kind {
                        Kind::Map(copies) => copies,
                        _ => Vec::new(),
                    }
                } else {
                    vec![(key.clone(), expand(value, &entry_path, resolver)?)]
                };
                for (new_key, new_value) in produced {
                    if out.iter().any(|(k, _)| *k == new_key) {
                        return Err(resolver.error(
                            value,
                            &entry_path,
                            format!("{new_key} is defined twice (Fn::ForEach keys must be unique)"),
                        ));
                    }
                    out.push((new_key, new_value));
                }
            }
            Ok(Node {
                kind: Kind::Map(out),
                ..node.clone()
            })
        }
    }
}

/// One loop's copies of its fragment, as one mapping.
fn for_each(loop_node: &Node, path: &str, resolver: &Resolver<'_>) -> Result<Node, TemplateError> {
    let usage = "Fn::ForEach takes [Identifier, [values…], {OutputKey: OutputValue}]";
    let Kind::Seq(parts) = &loop_node.kind else {
        return Err(resolver.error(loop_node, path, usage));
    };
    let [identifier, collection, fragment] = parts.as_slice() else {
        return Err(resolver.error(loop_node, path, usage));
    };
    let Some(identifier) = identifier.as_str().filter(|i| !i.is_empty()) else {
        return Err(resolver.error(identifier, path, usage));
    };
    if fragment.entries().is_none() {
        return Err(resolver.error(fragment, path, usage));
    }
    let values = resolver.eval_string_list(collection, &format!("{path}.1"))?;
    let mut copies = Vec::new();
    for value in &values {
        if let Kind::Map(entries) = substitute(fragment, identifier, value).kind {
            copies.extend(entries);
        }
    }
    Ok(Node {
        kind: Kind::Map(copies),
        ..loop_node.clone()
    })
}

/// `node` with `identifier` replaced by `value`: `${id}` and `&{id}` (alphanumerics only) in
/// keys and strings (`Fn::Sub`'s included), and `Ref: id`. CloudFormation: "all instances of
/// `${Identifier}` or `&{Identifier}` in the OutputKey and OutputValue parameters are replaced".
fn substitute(node: &Node, identifier: &str, value: &str) -> Node {
    let in_text = |text: &str| {
        let bare: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
        text.replace(&format!("${{{identifier}}}"), value)
            .replace(&format!("&{{{identifier}}}"), &bare)
    };
    match &node.kind {
        Kind::Scalar(text, style) => Node {
            kind: Kind::Scalar(in_text(text), *style),
            ..node.clone()
        },
        Kind::Seq(items) => Node {
            kind: Kind::Seq(
                items
                    .iter()
                    .map(|i| substitute(i, identifier, value))
                    .collect(),
            ),
            ..node.clone()
        },
        Kind::Map(entries) => {
            // `Fn::Sub` texts are strings like any other here.
            if let Some(("Ref", target)) = intrinsic(node) {
                if target.as_str() == Some(identifier) {
                    return Node::scalar(value, node.line, node.col);
                }
            }
            Node {
                kind: Kind::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (in_text(k), substitute(v, identifier, value)))
                        .collect(),
                ),
                ..node.clone()
            }
        }
    }
}
