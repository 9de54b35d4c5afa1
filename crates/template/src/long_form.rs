//! CloudFormation short-form tags (`!Ref X`, `!GetAtt A.B`, `!Sub …`) → the long form (`{Ref: X}`,
//! `{Fn::GetAtt: [A, B]}`, `{Fn::Sub: …}`), so the evaluator handles one shape only.

use crate::yaml_tree::{Kind, Node};

/// Short-form function tags and their long-form keys (`!Ref` and `!Condition` are handled apart).
const FUNCTIONS: &[&str] = &[
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
];

/// Rewrites every tagged node of the tree into its long form; untagged nodes are unchanged.
pub(crate) fn convert(node: Node) -> Node {
    let Node {
        kind,
        tag,
        line,
        col,
        file,
    } = node;
    let kind = match kind {
        Kind::Seq(items) => Kind::Seq(items.into_iter().map(convert).collect()),
        Kind::Map(entries) => {
            Kind::Map(entries.into_iter().map(|(k, v)| (k, convert(v))).collect())
        }
        scalar => scalar,
    };
    let inner = Node {
        kind,
        tag: None,
        line,
        col,
        file: file.clone(),
    };
    let Some(tag) = tag else { return inner };
    let key = match tag.strip_prefix('!') {
        Some("Ref") => "Ref".to_string(),
        Some("Condition") => "Condition".to_string(),
        Some(name) if FUNCTIONS.contains(&name) => format!("Fn::{name}"),
        // Unknown tags stay visible as their own key; the evaluator rejects them only if the value
        // is actually read, so a tag on a property Sluice ignores never fails the load.
        _ => tag,
    };
    let value = if key == "Fn::GetAtt" {
        split_get_att(inner)
    } else {
        inner
    };
    Node {
        kind: Kind::Map(vec![(key, value)]),
        tag: None,
        line,
        col,
        file,
    }
}

/// `!GetAtt Res.Attr` is one string; the long form is `[Res, Attr]` (split at the first dot, since
/// attribute names such as `Endpoint.Address` may contain dots themselves).
fn split_get_att(node: Node) -> Node {
    match &node.kind {
        Kind::Scalar(s, _) => match s.split_once('.') {
            Some((resource, attribute)) => Node {
                kind: Kind::Seq(vec![
                    Node::scalar(resource, node.line, node.col),
                    Node::scalar(attribute, node.line, node.col),
                ]),
                tag: None,
                line: node.line,
                col: node.col,
                file: node.file.clone(),
            },
            None => node,
        },
        _ => node,
    }
}
