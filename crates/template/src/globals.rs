//! SAM's `Globals` merge: scalars — the resource wins; mappings — merged key-wise; lists — the global
//! items then the resource's.

use crate::intrinsics::intrinsic;
use crate::yaml_tree::{Kind, Node};

/// `global` overlaid with `local` by SAM's rules. An intrinsic on either side counts as a scalar,
/// as in SAM (`{Ref: X}` is one value, not a mapping to merge into).
pub(crate) fn merge(global: &Node, local: &Node) -> Node {
    let mergeable = |n: &Node| intrinsic(n).is_none();
    match (&global.kind, &local.kind) {
        (Kind::Map(g), Kind::Map(l)) if mergeable(global) && mergeable(local) => {
            let mut entries = g.clone();
            for (key, value) in l {
                match entries.iter_mut().find(|(k, _)| k == key) {
                    Some((_, existing)) => *existing = merge(existing, value),
                    None => entries.push((key.clone(), value.clone())),
                }
            }
            Node {
                kind: Kind::Map(entries),
                ..local.clone()
            }
        }
        (Kind::Seq(g), Kind::Seq(l)) => {
            let items = g.iter().chain(l).cloned().collect();
            Node {
                kind: Kind::Seq(items),
                ..local.clone()
            }
        }
        _ => local.clone(),
    }
}

/// The resource's `Properties` with `Globals.<section>` applied (either may be missing).
pub(crate) fn apply(global: Option<&Node>, properties: Option<&Node>, at: &Node) -> Node {
    let empty = Node {
        kind: Kind::Map(Vec::new()),
        tag: None,
        line: at.line,
        col: at.col,
        file: at.file.clone(),
    };
    let global = global.filter(|g| g.entries().is_some());
    let properties = properties.filter(|p| !p.is_null());
    match (global, properties) {
        (Some(g), Some(p)) => merge(g, p),
        (Some(g), None) => Node {
            line: at.line,
            col: at.col,
            ..g.clone()
        },
        (None, Some(p)) => p.clone(),
        (None, None) => empty,
    }
}
