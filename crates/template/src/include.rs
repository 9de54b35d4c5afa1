//! CloudFormation's `AWS::Include` transform (`Fn::Transform: {Name: AWS::Include, Parameters:
//! {Location: …}}`), expanded before anything reads the template, so an OpenAPI document or a
//! snippet kept in its own file counts wherever it is included. A local `Location` is read
//! relative to the template, as `sam package` uploads it; S3 and HTTPS locations are not read
//! locally (a warning says so).

use std::path::Path;

use crate::error::TemplateError;
use crate::yaml_tree::{Kind, Node};

/// How deep included files may include others.
const MAX_DEPTH: usize = 8;

/// `root` with every `AWS::Include` replaced by its file's content (merged into the enclosing
/// mapping when the transform sits beside other keys). `file` is the template, for messages.
pub(crate) fn expand(
    root: Node,
    file: &Path,
    warnings: &mut Vec<String>,
) -> Result<Node, TemplateError> {
    let dir = file.parent().unwrap_or(Path::new("."));
    Expander {
        file,
        dir,
        warnings,
    }
    .node(root, "", 0)
}

struct Expander<'a> {
    file: &'a Path,
    dir: &'a Path,
    warnings: &'a mut Vec<String>,
}

impl Expander<'_> {
    fn node(&mut self, node: Node, path: &str, depth: usize) -> Result<Node, TemplateError> {
        let Node {
            kind,
            tag,
            line,
            col,
            file,
        } = node;
        let kind = match kind {
            Kind::Map(entries) => {
                let mut kept = Vec::with_capacity(entries.len());
                let mut included = None;
                for (key, value) in entries {
                    let at = join(path, &key);
                    if key == "Fn::Transform" && is_include(&value) {
                        included = self.include(&value, &at, depth)?;
                    } else {
                        kept.push((key, self.node(value, &at, depth)?));
                    }
                }
                match included {
                    // The transform alone: the node is the file's content.
                    Some(node) if kept.is_empty() => return Ok(node),
                    // Beside other keys: the file's mapping merges in (the template's keys win).
                    Some(Node {
                        kind: Kind::Map(more),
                        ..
                    }) => {
                        for (key, value) in more {
                            if !kept.iter().any(|(k, _)| *k == key) {
                                kept.push((key, value));
                            }
                        }
                        Kind::Map(kept)
                    }
                    _ => Kind::Map(kept),
                }
            }
            Kind::Seq(items) => Kind::Seq(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| self.node(item, &format!("{path}[{i}]"), depth))
                    .collect::<Result<_, _>>()?,
            ),
            scalar => scalar,
        };
        Ok(Node {
            kind,
            tag,
            line,
            col,
            file,
        })
    }

    /// The included file's content, expanded in turn; `None` for a location not read locally.
    fn include(
        &mut self,
        transform: &Node,
        path: &str,
        depth: usize,
    ) -> Result<Option<Node>, TemplateError> {
        let invalid = |at: &Node, property: String, message: String| TemplateError::Invalid {
            file: at.file.as_deref().unwrap_or(self.file).to_path_buf(),
            line: at.line,
            col: at.col,
            property,
            message,
            hint: None,
        };
        let location_path = format!("{path}.Parameters.Location");
        let Some(location) = transform.get("Parameters").and_then(|p| p.get("Location")) else {
            return Err(invalid(
                transform,
                format!("{path}.Parameters"),
                "AWS::Include needs Parameters.Location".into(),
            ));
        };
        let Some(text) = location.as_str() else {
            self.warnings.push(format!(
                "{location_path}: only a plain file path is read locally (the include is ignored)"
            ));
            return Ok(None);
        };
        if text.starts_with("s3://") || text.starts_with("https://") || text.starts_with("http://")
        {
            self.warnings.push(format!(
                "{location_path}: {text} is not read locally; use a file path relative to the template (the include is ignored)"
            ));
            return Ok(None);
        }
        if depth >= MAX_DEPTH {
            return Err(invalid(
                location,
                location_path,
                format!("includes nest more than {MAX_DEPTH} deep"),
            ));
        }
        let included = self.dir.join(text);
        let source = std::fs::read_to_string(&included).map_err(|e| {
            invalid(
                location,
                location_path.clone(),
                format!("cannot read {}: {e}", included.display()),
            )
        })?;
        let Some(node) = crate::yaml_tree::parse_other(&source, &included, self.warnings)? else {
            return Err(invalid(location, location_path, format!("{text} is empty")));
        };
        let node = crate::long_form::convert(node);
        let mut inner = Expander {
            file: &included,
            dir: included.parent().unwrap_or(self.dir),
            warnings: self.warnings,
        };
        inner.node(node, path, depth + 1).map(Some)
    }
}

/// Whether `transform` (the value of `Fn::Transform`) names `AWS::Include`.
fn is_include(transform: &Node) -> bool {
    transform.get("Name").and_then(Node::as_str) == Some("AWS::Include")
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
