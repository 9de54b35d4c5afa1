//! A REST API's resource tree as API Gateway keeps it: each resource has at most one variable
//! child (`{id}` or `{proxy+}`), and a greedy `{proxy+}` has no children. API Gateway refuses a
//! second variable child ("A sibling ({id}) of this resource already has a variable path part --
//! only one is allowed") and a child of a greedy one ("Cannot create a child of a resource with a
//! greedy path variable: {proxy+}"), whether the paths come from `Api` events, an OpenAPI
//! document or `AWS::ApiGateway::Resource`s (LocalStack's AWS-validated
//! `test_create_proxy_resource_validation`). The one home of these errors.

use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::route_path::{PathSegment, ResourcePath};
use crate::yaml_tree::Node;

/// A resource path of one REST API and where the template writes it.
pub(crate) struct Placed<'a> {
    /// The path (`/items/{id}`).
    pub path: &'a str,
    /// The node to report at.
    pub at: &'a Node,
    /// The property path to report.
    pub property: &'a str,
}

/// The error for `mine`, a variable part of `path` (written at `at`, `property`), beside
/// `theirs`, the variable part `earlier` (`their_path`) already put under the same parent.
pub(crate) fn sibling_error(
    resolver: &Resolver<'_>,
    (at, property): (&Node, &str),
    (path, mine): (&str, &PathSegment),
    (earlier, their_path, theirs): (&str, &str, &PathSegment),
) -> TemplateError {
    let hint = match (mine, theirs) {
        (PathSegment::Param(_), PathSegment::Param(_))
        | (PathSegment::Greedy(_), PathSegment::Greedy(_)) => {
            format!("use {theirs} in both paths")
        }
        _ => format!(
            "keep one of {mine} and {theirs} under this parent (a greedy one also matches single segments), or move one under a literal segment"
        ),
    };
    resolver.error_hint(
        at,
        property,
        format!(
            "{path} puts {mine} where {earlier} ({their_path}) puts {theirs}; API Gateway keeps one variable path part per resource (\"A sibling ({theirs}) of this resource already has a variable path part -- only one is allowed\")"
        ),
        Some(hint),
    )
}

/// Refuses the first path of `placed` that puts a second variable part under a parent an
/// earlier one already gave one; paths that do not parse are left to their own check.
pub(crate) fn check(placed: &[Placed<'_>], resolver: &Resolver<'_>) -> Result<(), TemplateError> {
    let parsed: Vec<(&Placed<'_>, ResourcePath)> = placed
        .iter()
        .filter_map(|p| Some((p, ResourcePath::parse(p.path).ok()?)))
        .collect();
    for (i, (later, later_path)) in parsed.iter().enumerate() {
        for (earlier, earlier_path) in &parsed[..i] {
            if let Some((mine, theirs)) = later_path.variable_sibling_clash(earlier_path) {
                return Err(sibling_error(
                    resolver,
                    (later.at, later.property),
                    (later.path, mine),
                    (earlier.property, earlier.path, theirs),
                ));
            }
        }
    }
    Ok(())
}
