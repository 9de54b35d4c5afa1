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

/// An integration's `cacheKeyParameters` list (absent: none). Entries that are not method request
/// parameters are warned about and left out.
pub(crate) fn integration(
    node: Option<&Node>,
    path: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, TemplateError> {
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, name) in resolver
        .eval_string_list(node, path)?
        .into_iter()
        .enumerate()
    {
        if is_method_parameter(&name) {
            if !out.contains(&name) {
                out.push(name);
            }
        } else {
            // AWS: cache keys must be method request parameters the method declares.
            warnings.push(format!(
                "{}[{i}]: {name:?} is not a method request parameter (method.request.querystring|header|path.<name>); not part of the cache key",
                crate::yaml_tree::display_path(path)
            ));
        }
    }
    Ok(out)
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
