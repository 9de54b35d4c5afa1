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
    /// resolve (an OpenAPI `$ref` to another file, or to nothing in the document), so nothing
    /// can be checked against them.
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

    /// The method request parameters of an OpenAPI operation: its `parameters` and its path
    /// item's, as [`crate::openapi_parameters::of_operation`] reads them.
    pub(crate) fn openapi(parameters: &crate::openapi_parameters::Parameters<'_>) -> Declared {
        Declared {
            // A `$ref` Sluice could not follow may declare any name: nothing can be refused.
            names: (!parameters.incomplete).then(|| {
                parameters
                    .list
                    .iter()
                    .filter_map(|p| p.method_request())
                    .collect()
            }),
            place: "parameters",
        }
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
