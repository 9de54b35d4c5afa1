//! An integration's `TimeoutInMillis`, as an `Api` event, an OpenAPI integration's
//! `timeoutInMillis` or an `AWS::ApiGateway::Method`'s `Integration.TimeoutInMillis` writes it.

use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::yaml_tree::{display_path, Node};

/// AWS's smallest integration timeout, for every API kind (PutIntegration refuses less).
const MIN_MS: u32 = 50;

/// REST: AWS's default, and the most a buffered integration gets without a quota increase.
const REST_DEFAULT_MAX_MS: u32 = 29_000;

/// REST: the most a buffered integration gets with a raised "Maximum integration timeout" quota
/// (Regional and private REST APIs only, since June 2024).
const REST_RAISED_MAX_MS: u32 = 300_000;

/// REST: the most a `ResponseTransferMode: STREAM` integration gets (15 minutes, no quota
/// increase needed).
const REST_STREAM_MAX_MS: u32 = 900_000;

/// HTTP API: the default and the maximum (not raisable).
pub(crate) const HTTP_MAX_MS: u32 = 30_000;

/// Which API's bounds apply.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bounds {
    /// A REST integration, buffered or in `STREAM` mode.
    Rest {
        /// `ResponseTransferMode: STREAM`.
        streams: bool,
    },
    /// An HTTP API integration.
    Http,
}

/// The timeout `node` sets, in milliseconds (`None` without one: the API's default). Values AWS
/// refuses are refused; one above 29 s on a buffered REST integration is honoured with a
/// warning, since AWS accepts it only after a quota increase.
pub(crate) fn read(
    node: Option<&Node>,
    path: &str,
    bounds: Bounds,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<u32>, TemplateError> {
    let Some(node) = node else {
        return Ok(None);
    };
    let Some(text) = resolver.eval_string(node, path)? else {
        return Ok(None);
    };
    let (max, hint) = match bounds {
        Bounds::Rest { streams: true } => (
            REST_STREAM_MAX_MS,
            "a STREAM integration may wait up to 15 minutes",
        ),
        Bounds::Rest { streams: false } => (
            REST_RAISED_MAX_MS,
            "29000 is the default; more needs a quota increase on AWS, and STREAM mode allows up to 900000",
        ),
        Bounds::Http => (HTTP_MAX_MS, "30000 is the default and the most"),
    };
    match text.trim().parse::<u32>() {
        Ok(ms) if (MIN_MS..=max).contains(&ms) => {
            if matches!(bounds, Bounds::Rest { streams: false }) && ms > REST_DEFAULT_MAX_MS {
                warnings.push(format!(
                    "{}: {ms} ms is over API Gateway's 29000 ms limit; AWS accepts it only on a Regional or private API whose account raised the \"Maximum integration timeout\" quota (Sluice honours it)",
                    display_path(path)
                ));
            }
            Ok(Some(ms))
        }
        _ => Err(resolver.error_hint(
            node,
            path,
            format!("{text:?} is not an integration timeout between {MIN_MS} and {max} ms; API Gateway refuses it"),
            Some(hint.into()),
        )),
    }
}
