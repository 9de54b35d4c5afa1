//! A REST Lambda proxy integration's response transfer mode: `BUFFERED` (the default) or
//! `STREAM`, as an `Api` event's `ResponseTransferMode` or an OpenAPI integration's
//! `responseTransferMode` writes it.

use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::yaml_tree::Node;

/// Whether `node` asks for `STREAM`. API Gateway takes only `BUFFERED` and `STREAM` (its
/// `PutIntegration` refuses anything else), so any other value is refused here.
pub(crate) fn streams(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<bool, TemplateError> {
    match resolver.eval_string(node, path)?.as_deref() {
        None | Some("BUFFERED") => Ok(false),
        Some("STREAM") => Ok(true),
        Some(other) => Err(resolver.error_hint(
            node,
            path,
            format!("{other:?} is not a response transfer mode; API Gateway refuses it"),
            Some("use BUFFERED or STREAM".into()),
        )),
    }
}
