//! Asynchronous invocation settings: SAM's `EventInvokeConfig` function property and
//! CloudFormation's `AWS::Lambda::EventInvokeConfig` resource, read into [`EventInvoke`].

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{Destination, EventInvoke};
use crate::yaml_tree::Node;

/// Reads `MaximumRetryAttempts`, `MaximumEventAgeInSeconds` and `DestinationConfig` from `config`
/// (the property, or the resource's `Properties`), at `path`. A destination Sluice cannot deliver
/// to (anything but a function) is said once in `warnings`.
pub(crate) fn read(
    config: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<EventInvoke, TemplateError> {
    let Some(config) = resolver.eval(config, path)? else {
        return Ok(EventInvoke::default());
    };
    // AWS (Lambda's PutFunctionEventInvokeConfig): retries 0–2, age 60–21600 seconds.
    let number = |key: &str, min: u32, max: u32| -> Result<Option<u32>, TemplateError> {
        let Some(node) = config.get(key) else {
            return Ok(None);
        };
        let key_path = join_path(path, key);
        match node.as_str().and_then(|s| s.parse::<u32>().ok()) {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(resolver.error(
                node,
                &key_path,
                format!("{key} must be a whole number from {min} to {max}"),
            )),
        }
    };
    let maximum_retry_attempts = number("MaximumRetryAttempts", 0, 2)?;
    let maximum_event_age_secs = number("MaximumEventAgeInSeconds", 60, 21600)?;
    let destinations = config.get("DestinationConfig");
    let destination = |key: &str, warnings: &mut Vec<String>| {
        let node = destinations.and_then(|d| d.get(key))?;
        let dest_path = join_path(&join_path(path, "DestinationConfig"), key);
        let target = node
            .get("Destination")
            .and_then(Node::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        // SAM names the type (`Type: SQS`); CloudFormation's resource has only the ARN.
        let kind = node
            .get("Type")
            .and_then(Node::as_str)
            .map(str::to_owned)
            .or_else(|| target.as_deref().map(kind_of_arn))
            .unwrap_or_default();
        let source = resolver.source(node, &dest_path);
        if !kind.eq_ignore_ascii_case("Lambda") {
            warnings.push(source.warning(format_args!(
                "{} destinations are not emulated yet; Sluice logs the invocation record it would send",
                if kind.is_empty() { "non-Lambda" } else { &kind },
            )));
        }
        Some(Destination {
            kind,
            target,
            source,
        })
    };
    Ok(EventInvoke {
        maximum_retry_attempts,
        maximum_event_age_secs,
        on_success: destination("OnSuccess", warnings),
        on_failure: destination("OnFailure", warnings),
    })
}

/// A destination's type from its ARN (`arn:aws:sqs:…` → `SQS`).
fn kind_of_arn(arn: &str) -> String {
    match arn.split(':').nth(2).unwrap_or_default() {
        "lambda" => "Lambda",
        "sqs" => "SQS",
        "sns" => "SNS",
        "events" => "EventBridge",
        "s3" => "S3",
        other => other,
    }
    .to_owned()
}
