//! `FunctionUrlConfig`: a function's own HTTPS endpoint (Lambda Function URLs), its auth type,
//! CORS and invoke mode.

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{Function, FunctionUrl, FunctionUrlAuth, InvokeMode};
use crate::yaml_tree::Node;

/// `FunctionUrlConfig` of one function.
pub(crate) fn read(
    function: &Function,
    config: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<FunctionUrl, TemplateError> {
    if function.tenant_isolation {
        return Err(crate::tenancy_config::unsupported(
            "a function URL",
            config,
            path,
            resolver,
        ));
    }
    let text = |key: &str| -> Result<Option<String>, TemplateError> {
        match config.get(key) {
            Some(node) => resolver.eval_string(node, &join_path(path, key)),
            None => Ok(None),
        }
    };
    let auth = match text("AuthType")?.as_deref() {
        Some("NONE") => FunctionUrlAuth::None,
        Some("AWS_IAM") => FunctionUrlAuth::AwsIam,
        other => {
            let at = config.get("AuthType").unwrap_or(config);
            return Err(resolver.error_hint(
                at,
                &join_path(path, "AuthType"),
                match other {
                    None => "AuthType is required".to_owned(),
                    Some(value) => format!("{value:?} is not an AuthType"),
                },
                Some("use AuthType: NONE (public) or AWS_IAM (signed requests)".into()),
            ));
        }
    };
    // AWS: RESPONSE_STREAM invokes through InvokeWithResponseStream; what streams is the runtime's
    // choice (node's `streamifyResponse`). Other handlers (python's runtime cannot stream) answer
    // whole, and their answer is mapped as in BUFFERED mode. Sluice does both, so nothing to warn.
    let invoke_mode = match text("InvokeMode")?.as_deref() {
        None | Some("BUFFERED") => InvokeMode::Buffered,
        Some("RESPONSE_STREAM") => InvokeMode::ResponseStream,
        Some(other) => {
            let at = config.get("InvokeMode").unwrap_or(config);
            return Err(resolver.error(
                at,
                &join_path(path, "InvokeMode"),
                format!("{other:?} is not an InvokeMode (BUFFERED or RESPONSE_STREAM)"),
            ));
        }
    };
    let cors = match config.get("Cors") {
        Some(node) => crate::cors::http(node, &join_path(path, "Cors"), resolver)?,
        None => None,
    };
    Ok(FunctionUrl {
        function: function.logical_id.clone(),
        function_name: function.name.clone(),
        // SAM points the URL of a function with `AutoPublishAlias` at the alias
        // (`TargetFunctionArn: !Ref MyFunctionAliaslive`).
        qualifier: function.alias.clone(),
        auth,
        cors,
        invoke_mode,
    })
}
