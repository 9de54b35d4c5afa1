//! A stage's access logging: `AccessLogSetting` (`AWS::Serverless::Api`, `AWS::ApiGateway::Stage`,
//! a `Deployment`'s `StageDescription`) and `AccessLogSettings` (`AWS::Serverless::HttpApi`,
//! `AWS::ApiGatewayV2::Stage`), read into the log group each request's line goes to and the
//! line's `Format`.

use crate::error::TemplateError;
use crate::globals;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{HttpApi, RestApi, StageAccessLog};
use crate::served_stage;
use crate::yaml_tree::Node;

/// The access logging of every served API's stage that has it, in API order.
pub(crate) fn build(
    root: &Node,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    rest_apis: &[RestApi],
    http_apis: &[HttpApi],
    warnings: &mut Vec<String>,
) -> Result<Vec<StageAccessLog>, TemplateError> {
    let global = |section: &str| root.get("Globals").and_then(|g| g.get(section));
    let resource = |id: &str| {
        resources
            .iter()
            .find(|(rid, _)| rid == id)
            .map(|(_, node)| node)
    };
    let mut logs = Vec::new();
    let kinds = rest_apis
        .iter()
        .map(|api| (api.logical_id.as_str(), true))
        .chain(http_apis.iter().map(|api| (api.logical_id.as_str(), false)));
    for (id, rest) in kinds {
        let (sam_type, key, section) = if rest {
            ("AWS::Serverless::Api", "AccessLogSetting", "Api")
        } else {
            ("AWS::Serverless::HttpApi", "AccessLogSettings", "HttpApi")
        };
        let found = match resource(id) {
            // The implicit API: only `Globals` can set it.
            None => Some((
                globals::apply(global(section), None, root),
                format!("Globals.{section}"),
            )),
            Some(node) if type_of(node) == Some(sam_type) => Some((
                globals::apply(global(section), node.get("Properties"), node),
                format!("Resources.{id}.Properties"),
            )),
            // A raw API: the stage it serves. A Deployment's `StageDescription` carries the same
            // `AccessLogSetting` as a Stage (CloudFormation, `AWS::ApiGateway::Deployment
            // AccessLogSetting`: "a property of the StageDescription property type").
            Some(_) => {
                let served = if rest {
                    served_stage::rest(resources, resolver, id)?
                } else {
                    served_stage::http(resources, resolver, id)?
                };
                served.map(|stage| (stage.settings, stage.path))
            }
        };
        let Some((properties, path)) = found else {
            continue;
        };
        let Some(setting) = properties.get(key) else {
            continue;
        };
        if let Some(log) = read(id, setting, &join_path(&path, key), resolver, warnings)? {
            logs.push(log);
        }
    }
    Ok(logs)
}

fn type_of(node: &Node) -> Option<&str> {
    node.get("Type").and_then(Node::as_str)
}

/// One `AccessLogSetting(s)` mapping at `path`; `None` when it does not turn logging on.
fn read(
    api: &str,
    setting: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<StageAccessLog>, TemplateError> {
    let text = |key: &str| match setting.get(key) {
        Some(node) => resolver
            .eval_string(node, &join_path(path, key))
            .map(|v| v.filter(|s| !s.is_empty()).map(|v| (v, node))),
        None => Ok(None),
    };
    let (destination, format) = (text("DestinationArn")?, text("Format")?);
    let (Some((arn, arn_node)), Some((format, format_node))) = (destination, format) else {
        // AWS (CloudFormation, AccessLogSetting): each of DestinationArn and Format "is
        // required to enable access logging"; an empty setting leaves it off.
        if setting.entries().is_some_and(|e| !e.is_empty()) {
            warnings.push(format!(
                "{path}: access logging needs both DestinationArn and Format; it stays off"
            ));
        }
        return Ok(None);
    };
    let format_path = join_path(path, "Format");
    // AWS's control plane refuses these formats (`BadRequestException: Access Log format must be
    // single line, new line character is allowed only at end of the format`; it requires
    // `$context.requestId` or `$context.extendedRequestId`, aws-cdk#22591).
    if format.trim_end_matches('\n').contains('\n') {
        return Err(resolver.error_hint(
            format_node,
            &format_path,
            "Access Log format must be single line, new line character is allowed only at end of the format",
            Some("write the format on one line (a YAML `>-` block folds lines)".into()),
        ));
    }
    if !names_request_id(&format) {
        return Err(resolver.error_hint(
            format_node,
            &format_path,
            "Access Log format must contain at least one of $context.requestId or $context.extendedRequestId",
            Some("add \"requestId\":\"$context.requestId\" to the format".into()),
        ));
    }
    if arn.split(':').nth(2) == Some("firehose") {
        warnings.push(format!(
            "{}: a Kinesis Data Firehose destination is not emulated; access logging stays off",
            join_path(path, "DestinationArn")
        ));
        return Ok(None);
    }
    let Some(log_group) = log_group_name(&arn) else {
        return Err(resolver.error_hint(
            arn_node,
            &join_path(path, "DestinationArn"),
            format!("{arn:?} is not a CloudWatch Logs log group ARN"),
            Some("use !GetAtt MyLogGroup.Arn or !Sub arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:NAME".into()),
        ));
    };
    Ok(Some(StageAccessLog {
        api: api.to_owned(),
        log_group,
        // AWS: the newline allowed at the end is not part of the logged event.
        format: format.trim_end_matches('\n').to_owned(),
    }))
}

/// Whether `format` names `$context.requestId` or `$context.extendedRequestId` (a whole name:
/// `$context.requestIdX` is another variable).
fn names_request_id(format: &str) -> bool {
    ["$context.requestId", "$context.extendedRequestId"]
        .iter()
        .any(|name| {
            format.match_indices(name).any(|(at, _)| {
                !format[at + name.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            })
        })
}

/// The group a CloudWatch Logs ARN names: `arn:aws:logs:us-east-1:123456789012:log-group:NAME`,
/// with or without the `:*` that `!GetAtt LogGroup.Arn` ends with.
fn log_group_name(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (scheme, _partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    let (_region, _account, resource) = (parts.next()?, parts.next()?, parts.next()?);
    if scheme != "arn" || service != "logs" {
        return None;
    }
    let name = resource.strip_prefix("log-group:")?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_group_arn_names_its_group_with_or_without_the_wildcard() {
        let name = |arn| log_group_name(arn);
        assert_eq!(
            name("arn:aws:logs:us-east-1:123456789012:log-group:/aws/api/access:*").as_deref(),
            Some("/aws/api/access")
        );
        assert_eq!(
            name("arn:aws-cn:logs:cn-north-1:123456789012:log-group:access").as_deref(),
            Some("access")
        );
        assert_eq!(name("arn:aws:sqs:us-east-1:123456789012:log-group:q"), None);
        assert_eq!(name("arn:aws:logs:us-east-1:123456789012:log-group:"), None);
        assert_eq!(name("my-group"), None);
    }

    #[test]
    fn the_format_must_name_the_request_id_as_a_whole_variable() {
        assert!(names_request_id(r#"{"id":"$context.requestId"}"#));
        assert!(names_request_id(
            "$context.extendedRequestId $context.status"
        ));
        assert!(!names_request_id(
            "$context.requestIdentity $context.status"
        ));
        assert!(!names_request_id("$context.status"));
    }
}
