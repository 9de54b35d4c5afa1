//! Integrations an HTTP API document defines once and reuses: an operation's
//! `x-amazon-apigateway-integration` may be `$ref: '#/components/x-amazon-apigateway-integrations/Name'`
//! (AWS docs, "x-amazon-apigateway-integrations object": "Supported only for HTTP APIs").

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::openapi_ref::{self, Unresolved};
use crate::yaml_tree::Node;

/// The integration `written` (an operation's `x-amazon-apigateway-integration`, at `path`) stands
/// for in `document` (at `where_`), and the property path of its definition. `rest`: the document
/// is a REST API's, which cannot refer to one.
pub(crate) fn resolve<'d>(
    document: &'d Node,
    where_: &str,
    written: &'d Node,
    path: String,
    rest: bool,
    resolver: &Resolver<'_>,
) -> Result<(&'d Node, String), TemplateError> {
    let Some(reference) = written.get("$ref") else {
        return Ok((written, path));
    };
    let ref_path = join_path(&path, "$ref");
    if rest {
        return Err(resolver.error_hint(
            reference,
            &ref_path,
            "a REST API's integration cannot be a $ref: API Gateway reuses integrations (components.x-amazon-apigateway-integrations) only for HTTP APIs",
            Some("write the integration in the operation itself".into()),
        ));
    }
    let hint = || {
        Some(
            "define it under components.x-amazon-apigateway-integrations and refer to it as '#/components/x-amazon-apigateway-integrations/Name'"
                .to_owned(),
        )
    };
    let Some(target) = reference.as_str() else {
        return Err(resolver.error_hint(
            reference,
            &ref_path,
            format!("expected a reference, found {}", reference.shape()),
            hint(),
        ));
    };
    let (found, keys) = openapi_ref::resolve(document, target).map_err(|why| {
        let message = match why {
            Unresolved::NotLocal => format!(
                "{target:?} is outside the document; API Gateway imports the document alone, so it cannot follow it"
            ),
            Unresolved::Missing => format!("{target:?} names nothing in this document"),
        };
        resolver.error_hint(reference, &ref_path, message, hint())
    })?;
    if found.entries().is_none() {
        return Err(resolver.error_hint(
            reference,
            &ref_path,
            format!("{target:?} names {}, not an integration", found.shape()),
            hint(),
        ));
    }
    Ok((found, openapi_ref::property_path(where_, &keys)))
}
