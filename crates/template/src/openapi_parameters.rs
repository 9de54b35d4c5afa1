//! The parameters of an OpenAPI operation, as API Gateway imports them into its method request:
//! the path item's `parameters` and the operation's own, where an operation parameter overrides the
//! path item's of the same `name` and `in` (OpenAPI 2.0 and 3.0, "Path Item Object"), and where any
//! of them may be a `$ref` into the document (`#/parameters/X` in Swagger 2.0,
//! `#/components/parameters/X` in OpenAPI 3). Every reader of an operation's parameters (request
//! validation, cache keys) reads them here, so they all see the same list.

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::yaml_tree::{Kind, Node};

/// How many `$ref`s in a row one parameter may go through; a loop of references ends here.
const MAX_HOPS: usize = 8;

/// One parameter of an operation, its `$ref`s followed.
#[derive(Debug)]
pub(crate) struct Parameter<'d> {
    /// The parameter's definition (the referenced one, for a `$ref`).
    pub node: &'d Node,
    /// Where the definition is, for messages (`….components.parameters.Type` for a `$ref`).
    pub path: String,
    /// `in`: `query`, `header`, `path`, `body` (Swagger 2.0), `formData` or `cookie`.
    pub location: String,
    /// `name`.
    pub name: String,
}

/// The parameters that apply to one operation.
#[derive(Debug)]
pub(crate) struct Parameters<'d> {
    /// The path item's, in order, each replaced where it stands by the operation's own of the
    /// same name and location; then the operation's others, in order.
    pub list: Vec<Parameter<'d>>,
    /// Whether a `$ref` did not resolve inside the document, so a parameter may be missing.
    pub incomplete: bool,
}

impl Parameter<'_> {
    /// The method request parameter API Gateway imports it as (`method.request.querystring.tag`);
    /// `None` for a location that is not one (`body`, `formData`, `cookie`).
    pub(crate) fn method_request(&self) -> Option<String> {
        let location = match self.location.as_str() {
            "query" => "querystring",
            "header" => "header",
            "path" => "path",
            _ => return None,
        };
        Some(format!("method.request.{location}.{}", self.name))
    }

    /// Whether `other` is the same parameter (OpenAPI: "a unique parameter is defined by a
    /// combination of a name and location"); header names ignore case, as HTTP's do.
    fn same_as(&self, other: &Parameter<'_>) -> bool {
        self.location == other.location
            && (self.name == other.name
                || (self.location == "header" && self.name.eq_ignore_ascii_case(&other.name)))
    }
}

/// The parameters of the operation `operation` (at `op_path`) under the path `path_key` of
/// `document` (whose own property path is `where_`). A `$ref` that does not resolve inside the
/// document is reported in `warnings` and left out.
pub(crate) fn of_operation<'d>(
    document: &'d Node,
    where_: &str,
    path_key: &str,
    (operation, op_path): (&'d Node, &str),
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Parameters<'d>, TemplateError> {
    let item_path = format!("{where_}.paths.{path_key}");
    let path_item = document.get("paths").and_then(|p| p.get(path_key));
    let mut out = Parameters {
        list: Vec::new(),
        incomplete: false,
    };
    let shared = read_list(path_item, &item_path, document, where_, resolver, warnings)?;
    let own = read_list(
        Some(operation),
        op_path,
        document,
        where_,
        resolver,
        warnings,
    )?;
    out.incomplete = shared.1 || own.1;
    out.list = shared.0;
    for parameter in own.0 {
        match out.list.iter_mut().find(|p| p.same_as(&parameter)) {
            Some(inherited) => *inherited = parameter,
            None => out.list.push(parameter),
        }
    }
    Ok(out)
}

/// The `parameters` list of `parent` (a path item or an operation), and whether a `$ref` in it
/// did not resolve.
fn read_list<'d>(
    parent: Option<&'d Node>,
    parent_path: &str,
    document: &'d Node,
    where_: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Parameter<'d>>, bool), TemplateError> {
    let Some(Kind::Seq(items)) = parent.and_then(|p| p.get("parameters")).map(|l| &l.kind) else {
        return Ok((Vec::new(), false));
    };
    let list_path = join_path(parent_path, "parameters");
    let mut out = Vec::new();
    let mut incomplete = false;
    for (i, item) in items.iter().enumerate() {
        let (node, path) = match follow_ref(document, where_, item, format!("{list_path}[{i}]")) {
            Ok(found) => found,
            Err(target) => {
                // AWS: API Gateway reads references inside the document only, and reports a
                // missing reference as an import warning; Sluice says so and goes on without it.
                warnings.push(format!(
                    "{list_path}[{i}].$ref: {target:?} does not name a parameter of this document; the parameter is left out (not validated, not a cache key)"
                ));
                incomplete = true;
                continue;
            }
        };
        let text = |key: &str| -> Result<String, TemplateError> {
            Ok(match node.get(key) {
                Some(value) => resolver
                    .eval_string(value, &join_path(&path, key))?
                    .unwrap_or_default(),
                None => String::new(),
            })
        };
        let (location, name) = (text("in")?, text("name")?);
        out.push(Parameter {
            node,
            path,
            location,
            name,
        });
    }
    Ok((out, incomplete))
}

/// The definition `node` (at `path`) stands for, following `$ref`s (`#/components/parameters/X`)
/// inside `document`, and its property path; the reference that does not resolve, on failure.
pub(crate) fn follow_ref<'d>(
    document: &'d Node,
    where_: &str,
    mut node: &'d Node,
    mut path: String,
) -> Result<(&'d Node, String), String> {
    for _ in 0..MAX_HOPS {
        let Some(target) = node.get("$ref").and_then(Node::as_str) else {
            return Ok((node, path));
        };
        let (found, keys) =
            crate::openapi_ref::resolve(document, target).map_err(|_| target.to_owned())?;
        node = found;
        path = crate::openapi_ref::property_path(where_, &keys);
    }
    // A chain this long is a loop of references.
    Err(node
        .get("$ref")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned())
}
