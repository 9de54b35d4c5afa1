//! Local references of an OpenAPI document (`$ref: '#/components/parameters/Team'`): a JSON
//! Pointer (RFC 6901) into the document itself, `~1` standing for `/` and `~0` for `~`. API
//! Gateway imports the document alone, so a reference to another file or a URL names nothing it
//! can read.

use crate::intrinsics::join_path;
use crate::yaml_tree::{Kind, Node};

/// Why a reference names nothing in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unresolved {
    /// It points outside the document (`common.yaml#/Page`, `https://…`).
    NotLocal,
    /// No node is at its pointer.
    Missing,
}

/// The node `reference` names in `document`, and the keys that lead to it (a list's items by
/// index).
pub(crate) fn resolve<'d>(
    document: &'d Node,
    reference: &str,
) -> Result<(&'d Node, Vec<String>), Unresolved> {
    let pointer = reference.strip_prefix('#').ok_or(Unresolved::NotLocal)?;
    if pointer.is_empty() {
        return Ok((document, Vec::new()));
    }
    let pointer = pointer.strip_prefix('/').ok_or(Unresolved::Missing)?;
    let keys: Vec<String> = pointer
        .split('/')
        .map(|key| key.replace("~1", "/").replace("~0", "~"))
        .collect();
    let node = keys
        .iter()
        .try_fold(document, |at, key| match &at.kind {
            Kind::Seq(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => at.get(key),
        })
        .ok_or(Unresolved::Missing)?;
    Ok((node, keys))
}

/// The property path of what `keys` lead to in the document at `where_`, for messages.
pub(crate) fn property_path(where_: &str, keys: &[String]) -> String {
    keys.iter()
        .fold(where_.to_owned(), |at, key| join_path(&at, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml_tree::Style;

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node {
            kind: Kind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            ),
            tag: None,
            line: 1,
            col: 1,
            file: None,
        }
    }

    fn text(value: &str) -> Node {
        Node {
            kind: Kind::Scalar(value.to_owned(), Style::Quoted),
            ..map(Vec::new())
        }
    }

    #[test]
    fn pointers_unescape_their_keys_and_index_lists() {
        let document = map(vec![(
            "paths",
            map(vec![(
                "/a/{b~c}",
                map(vec![(
                    "parameters",
                    Node {
                        kind: Kind::Seq(vec![text("first"), text("second")]),
                        ..map(Vec::new())
                    },
                )]),
            )]),
        )]);
        let (node, keys) =
            resolve(&document, "#/paths/~1a~1{b~0c}/parameters/1").expect("resolves");
        assert_eq!(node.as_str(), Some("second"));
        assert_eq!(keys, ["paths", "/a/{b~c}", "parameters", "1"]);
        assert_eq!(
            property_path("Body", &keys),
            "Body.paths./a/{b~c}.parameters.1"
        );
        assert_eq!(resolve(&document, "#").map(|(_, k)| k), Ok(Vec::new()));
        assert_eq!(
            resolve(&document, "#/paths/~1b").map(|_| ()),
            Err(Unresolved::Missing)
        );
        assert_eq!(
            resolve(&document, "common.yaml#/Page").map(|_| ()),
            Err(Unresolved::NotLocal)
        );
    }
}
