//! A REST method's declared cache key parameters: OpenAPI
//! `x-amazon-apigateway-integration.cacheKeyParameters`, CloudFormation `AWS::ApiGateway::Method`
//! `Integration.CacheKeyParameters`, and SAM `Api` events' `RequestParameters` with
//! `Caching: true` (SAM adds those to the integration's `cacheKeyParameters`).

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::yaml_tree::{Kind, Node};

/// The request locations a cache key may name (`method.request.<location>.<name>`).
const LOCATIONS: &[&str] = &[
    "querystring",
    "header",
    "path",
    "multivaluequerystring",
    "multivalueheader",
];

/// The method request parameters a method declares (its `requestParameters` keys,
/// `method.request.querystring.type`), which are the only valid cache keys.
pub(crate) struct Declared {
    /// The declared names; `None` when the template declares them in a form Sluice does not
    /// resolve (an OpenAPI `$ref` outside the document), so nothing can be checked against them.
    names: Option<Vec<String>>,
    /// Where the method declares its parameters, for the hint (`Properties.RequestParameters`).
    place: &'static str,
}

/// An integration's `cacheKeyParameters` list (`node`, at `path`), checked against `declared`.
// AWS: "To be valid values for cacheKeyParameters, these parameters must also be specified for
// Method requestParameters"; PutMethod/PutIntegration otherwise fails with `BadRequestException:
// Invalid cache key parameter specified` (also for `integration.request.*` entries), so the
// deployment fails. Sluice refuses the template at load, as `sam deploy` would.
pub(crate) fn integration(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    declared: &Declared,
) -> Result<Vec<String>, TemplateError> {
    let mut out = Vec::new();
    for (i, name) in resolver
        .eval_string_list(node, path)?
        .into_iter()
        .enumerate()
    {
        if !is_method_parameter(&name) || !declared.declares(&name) {
            let at = match &node.kind {
                Kind::Seq(items) => items.get(i).unwrap_or(node),
                _ => node,
            };
            let hint = if is_method_parameter(&name) {
                format!(
                    "declare {name} in the method's {}, or remove it from the cache keys",
                    declared.place
                )
            } else {
                format!(
                    "a cache key is a method request parameter the method declares in its {} (method.request.querystring|header|path.<name>)",
                    declared.place
                )
            };
            return Err(resolver.error_hint(
                at,
                &format!("{path}[{i}]"),
                format!("{name:?} is not a request parameter of this method; API Gateway refuses it (Invalid cache key parameter specified)"),
                Some(hint),
            ));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

impl Declared {
    /// The keys of a raw `AWS::ApiGateway::Method`'s `RequestParameters` (at `path`).
    pub(crate) fn cloudformation(
        request_parameters: Option<&Node>,
        path: &str,
        resolver: &Resolver<'_>,
    ) -> Result<Declared, TemplateError> {
        let names = match request_parameters {
            Some(node) => resolver.eval_string_map(node, path)?.into_keys().collect(),
            None => Vec::new(),
        };
        Ok(Declared {
            names: Some(names),
            place: "Properties.RequestParameters",
        })
    }

    /// The `parameters` (`in: query|header|path`) of an OpenAPI operation and of its path item,
    /// which API Gateway imports as the method's request parameters.
    pub(crate) fn openapi(
        document: &Node,
        (path_item, item_path): (Option<&Node>, &str),
        (operation, op_path): (&Node, &str),
        resolver: &Resolver<'_>,
    ) -> Result<Declared, TemplateError> {
        let mut names = Vec::new();
        let lists = [
            (path_item.and_then(|item| item.get("parameters")), item_path),
            (operation.get("parameters"), op_path),
        ];
        for (list, parent_path) in lists {
            let Some(Kind::Seq(items)) = list.map(|l| &l.kind) else {
                continue;
            };
            let list_path = join_path(parent_path, "parameters");
            for (i, parameter) in items.iter().enumerate() {
                let parameter = match parameter.get("$ref").and_then(Node::as_str) {
                    Some(target) => match referenced_parameter(document, target) {
                        Some(parameter) => parameter,
                        None => {
                            return Ok(Declared {
                                names: None,
                                place: "parameters",
                            })
                        }
                    },
                    None => parameter,
                };
                let item_path = format!("{list_path}[{i}]");
                let text = |key: &str| -> Result<String, TemplateError> {
                    Ok(match parameter.get(key) {
                        Some(node) => resolver
                            .eval_string(node, &join_path(&item_path, key))?
                            .unwrap_or_default(),
                        None => String::new(),
                    })
                };
                let location = match text("in")?.as_str() {
                    "query" => "querystring",
                    "header" => "header",
                    "path" => "path",
                    _ => continue,
                };
                names.push(format!("method.request.{location}.{}", text("name")?));
            }
        }
        Ok(Declared {
            names: Some(names),
            place: "parameters",
        })
    }

    /// Whether `name` (a method request parameter) is one of the declared ones. A multi-value
    /// location names the same parameter as its single-value one; header names ignore case.
    fn declares(&self, name: &str) -> bool {
        let Some(names) = &self.names else {
            return true;
        };
        let single = name
            .replacen(".multivaluequerystring.", ".querystring.", 1)
            .replacen(".multivalueheader.", ".header.", 1);
        names.iter().any(|declared| {
            declared == name
                || declared == &single
                || (single.starts_with("method.request.header.")
                    && declared.eq_ignore_ascii_case(&single))
        })
    }
}

/// The parameter a local `$ref` names (`#/parameters/X` in Swagger 2, `#/components/parameters/X`
/// in OpenAPI 3).
fn referenced_parameter<'d>(document: &'d Node, target: &str) -> Option<&'d Node> {
    let pointer = target.strip_prefix("#/")?;
    pointer.split('/').try_fold(document, |node, key| {
        node.get(&key.replace("~1", "/").replace("~0", "~"))
    })
}

/// The `RequestParameters` of a SAM `Api` event marked `Caching: true`, in template order (a
/// plain string entry is neither required nor cached, as in SAM).
pub(crate) fn sam(
    node: Option<&Node>,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Vec<String>, TemplateError> {
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let Kind::Seq(items) = &node.kind else {
        return Err(resolver.error(node, path, "RequestParameters must be a list"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        for (name, settings) in item.entries().unwrap_or_default() {
            let cached = crate::request_validation::flag(
                resolver,
                settings,
                "Caching",
                &join_path(&item_path, name),
            )?;
            if cached && !out.contains(name) {
                out.push(name.clone());
            }
        }
    }
    Ok(out)
}

/// Whether `name` is `method.request.<location>.<name>` with a known location.
fn is_method_parameter(name: &str) -> bool {
    name.strip_prefix("method.request.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(location, param)| LOCATIONS.contains(&location) && !param.is_empty())
}
