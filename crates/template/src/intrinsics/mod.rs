//! Evaluates long-form intrinsics (`Ref`, `Fn::Sub`, `Fn::If`, …) against parameters, pseudo
//! parameters, mappings, conditions and resources. Evaluation is on demand: only the properties
//! Sluice reads are evaluated, so an intrinsic it cannot resolve elsewhere never fails a load.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod conditions;
mod functions;
mod references;

use crate::error::TemplateError;
use crate::options::LoadOptions;
use crate::parameters::ParamValue;
use crate::yaml_tree::{display_path, Kind, Node};

/// Resource types whose `Ref` is their `FunctionName`.
pub(crate) const FUNCTION_TYPES: &[&str] = &["AWS::Serverless::Function", "AWS::Lambda::Function"];

/// Everything an intrinsic can refer to, plus the caches that make evaluation lazy and cycle-safe.
pub(crate) struct Resolver<'t> {
    file: PathBuf,
    options: &'t LoadOptions,
    parameters: BTreeMap<String, ParamValue>,
    mappings: Option<&'t Node>,
    conditions: Option<&'t Node>,
    resources: &'t [(String, Node)],
    /// `Globals.Function`, where `AutoPublishAlias` may be set for every function.
    function_globals: Option<&'t Node>,
    /// Each nested stack's outputs, by its logical id, for `!GetAtt Child.Outputs.X`.
    stack_outputs: BTreeMap<String, BTreeMap<String, String>>,
    condition_cache: RefCell<BTreeMap<String, bool>>,
    /// Conditions and physical names being evaluated right now, to report cycles instead of overflowing.
    in_progress: RefCell<Vec<String>>,
}

impl<'t> Resolver<'t> {
    /// Whether the template has a resource with this logical id.
    pub fn has_resource(&self, id: &str) -> bool {
        self.resources.iter().any(|(r, _)| r == id)
    }

    /// A resolver over one template's sections.
    pub fn new(
        file: &Path,
        options: &'t LoadOptions,
        parameters: BTreeMap<String, ParamValue>,
        root: &'t Node,
        resources: &'t [(String, Node)],
    ) -> Self {
        Resolver {
            file: file.to_path_buf(),
            options,
            parameters,
            mappings: root.get("Mappings"),
            function_globals: root.get("Globals").and_then(|g| g.get("Function")),
            stack_outputs: BTreeMap::new(),
            conditions: root.get("Conditions"),
            resources,
            condition_cache: RefCell::new(BTreeMap::new()),
            in_progress: RefCell::new(Vec::new()),
        }
    }

    /// Where `at` was written, for errors found after loading.
    pub fn source(&self, at: &Node, path: &str) -> crate::model::Source {
        crate::model::Source {
            file: self.file.clone(),
            line: at.line,
            col: at.col,
            property: display_path(path),
        }
    }

    /// An error located at `at`, for the property `path`.
    pub fn error(&self, at: &Node, path: &str, message: impl Into<String>) -> TemplateError {
        self.error_hint(at, path, message, None)
    }

    /// An error with a suggested fix.
    pub fn error_hint(
        &self,
        at: &Node,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> TemplateError {
        TemplateError::Invalid {
            file: at
                .file
                .as_deref()
                .map_or_else(|| self.file.clone(), Path::to_path_buf),
            line: at.line,
            col: at.col,
            property: display_path(path),
            message: message.into(),
            hint,
        }
    }

    /// Evaluates every intrinsic in `node`. `None` means `AWS::NoValue`: the key disappears.
    pub fn eval(&self, node: &Node, path: &str) -> Result<Option<Node>, TemplateError> {
        match &node.kind {
            Kind::Scalar(..) => Ok(Some(node.clone())),
            Kind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(v) = self.eval(item, &format!("{path}[{i}]"))? {
                        out.push(v);
                    }
                }
                Ok(Some(Node {
                    kind: Kind::Seq(out),
                    ..node.clone()
                }))
            }
            Kind::Map(entries) => {
                if let Some((name, arg)) = intrinsic(node) {
                    return self.function(name, arg, node, path);
                }
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    if let Some(v) = self.eval(v, &join_path(path, k))? {
                        out.push((k.clone(), v));
                    }
                }
                Ok(Some(Node {
                    kind: Kind::Map(out),
                    ..node.clone()
                }))
            }
        }
    }

    /// Evaluates `node` to a string (numbers and booleans as written); `None` for `AWS::NoValue`.
    pub fn eval_string(&self, node: &Node, path: &str) -> Result<Option<String>, TemplateError> {
        match self.eval(node, path)? {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(Some(String::new())),
            Some(v) => match v.as_str() {
                Some(s) => Ok(Some(s.to_string())),
                None => Err(self.error(
                    node,
                    path,
                    format!("expected a string, found {}", v.shape()),
                )),
            },
        }
    }

    /// Evaluates `node` to a list of strings.
    pub fn eval_string_list(&self, node: &Node, path: &str) -> Result<Vec<String>, TemplateError> {
        let Some(value) = self.eval(node, path)? else {
            return Ok(Vec::new());
        };
        match &value.kind {
            Kind::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_str().map(str::to_string).ok_or_else(|| {
                        self.error(
                            item,
                            &format!("{path}[{i}]"),
                            format!("expected a string, found {}", item.shape()),
                        )
                    })
                })
                .collect(),
            _ => Err(self.error(
                node,
                path,
                format!("expected a list of strings, found {}", value.shape()),
            )),
        }
    }

    /// Evaluates `node` to a mapping of strings (environment and stage variables).
    pub fn eval_string_map(
        &self,
        node: &Node,
        path: &str,
    ) -> Result<BTreeMap<String, String>, TemplateError> {
        let Some(value) = self.eval(node, path)? else {
            return Ok(BTreeMap::new());
        };
        if value.is_null() {
            return Ok(BTreeMap::new());
        }
        let Some(entries) = value.entries() else {
            return Err(self.error(
                node,
                path,
                format!("expected a mapping, found {}", value.shape()),
            ));
        };
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let text = if v.is_null() {
                String::new()
            } else {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    self.error(
                        v,
                        &join_path(path, k),
                        format!("expected a string, found {}", v.shape()),
                    )
                })?
            };
            out.insert(k.clone(), text);
        }
        Ok(out)
    }

    /// Runs `f` with `key` marked in progress; a re-entry is a circular reference.
    pub(super) fn guarded<T>(
        &self,
        key: String,
        at: &Node,
        path: &str,
        f: impl FnOnce() -> Result<T, TemplateError>,
    ) -> Result<T, TemplateError> {
        if self.in_progress.borrow().contains(&key) {
            let mut chain = self.in_progress.borrow().clone();
            chain.push(key);
            return Err(self.error(
                at,
                path,
                format!("circular reference: {}", chain.join(" → ")),
            ));
        }
        self.in_progress.borrow_mut().push(key);
        let result = f();
        self.in_progress.borrow_mut().pop();
        result
    }
}

/// `(name, argument)` when `node` is an intrinsic call: a one-entry mapping keyed `Ref`, `Fn::…`, or an
/// unknown `!Tag` kept by [`crate::long_form`].
pub(crate) fn intrinsic(node: &Node) -> Option<(&str, &Node)> {
    single_entry(node).filter(|(k, _)| *k == "Ref" || k.starts_with("Fn::") || k.starts_with('!'))
}

fn single_entry(node: &Node) -> Option<(&str, &Node)> {
    match &node.kind {
        Kind::Map(entries) if entries.len() == 1 => Some((entries[0].0.as_str(), &entries[0].1)),
        _ => None,
    }
}

fn list_node(items: Vec<String>, at: &Node) -> Node {
    Node {
        kind: Kind::Seq(
            items
                .into_iter()
                .map(|s| Node::scalar(s, at.line, at.col))
                .collect(),
        ),
        tag: None,
        line: at.line,
        col: at.col,
        file: at.file.clone(),
    }
}

/// `a.b` for property paths, `b` at the root.
pub(crate) fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
