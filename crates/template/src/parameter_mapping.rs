//! Reads an HTTP API integration's parameter mapping: `requestParameters` / `responseParameters`
//! of an OpenAPI `x-amazon-apigateway-integration`, `RequestParameters` / `ResponseParameters`
//! of an `AWS::ApiGatewayV2::Integration`. API Gateway refuses a key or value it does not know
//! and any map of a reserved header (AWS docs, "Transform API requests and responses for HTTP
//! APIs"), so those are refused here too.

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{
    MapAction, MapTarget, MappingValue, ParameterMap, ParameterMapping, ResponseMapping, ValuePart,
};
use crate::yaml_tree::Node;

/// Headers no map may touch (AWS's reserved headers; `*` ends a prefix).
const RESERVED_HEADERS: &[&str] = &[
    "access-control-*",
    "apigw-*",
    "authorization",
    "connection",
    "content-encoding",
    "content-length",
    "content-location",
    "forwarded",
    "keep-alive",
    "origin",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "x-amz-*",
    "x-amzn-*",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "via",
];

/// Which side a map rewrites: they take different keys and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// The mapping of an OpenAPI integration (`requestParameters`, `responseParameters`: a map of
/// status codes to maps).
pub(crate) fn openapi(
    integration: &Node,
    integration_path: &str,
    resolver: &Resolver<'_>,
) -> Result<ParameterMapping, TemplateError> {
    let request_path = join_path(integration_path, "requestParameters");
    let request = match integration.get("requestParameters") {
        Some(node) => maps(node, &request_path, Side::Request, resolver)?,
        None => Vec::new(),
    };
    let mut response = Vec::new();
    if let Some(node) = integration.get("responseParameters") {
        let path = join_path(integration_path, "responseParameters");
        for (status, maps_node) in entries(node, &path, resolver)? {
            let at = join_path(&path, status);
            response.push(ResponseMapping {
                status: status_code(status, maps_node, &at, resolver)?,
                maps: maps(maps_node, &at, Side::Response, resolver)?,
            });
        }
    }
    Ok(ParameterMapping { request, response })
}

/// The mapping of an `AWS::ApiGatewayV2::Integration` (`RequestParameters` a map;
/// `ResponseParameters` status codes to `{ResponseParameters: [{Destination, Source}]}`).
pub(crate) fn cloudformation(
    props: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<ParameterMapping, TemplateError> {
    let request = match props.get("RequestParameters") {
        Some(node) => maps(
            node,
            &join_path(path, "RequestParameters"),
            Side::Request,
            resolver,
        )?,
        None => Vec::new(),
    };
    let mut response = Vec::new();
    if let Some(node) = props.get("ResponseParameters") {
        let path = join_path(path, "ResponseParameters");
        for (status, entry) in entries(node, &path, resolver)? {
            let at = join_path(&path, status);
            let status = status_code(status, entry, &at, resolver)?;
            let list_path = join_path(&at, "ResponseParameters");
            let mut parsed = Vec::new();
            let list = entry.get("ResponseParameters");
            let items = match list.map(crate::auth_props::seq) {
                None => &[][..],
                Some(Some(items)) => items,
                Some(None) => {
                    let list = list.unwrap_or(entry);
                    return Err(resolver.error(
                        list,
                        &list_path,
                        format!(
                            "expected a list of {{Destination, Source}}, found {}",
                            list.shape()
                        ),
                    ));
                }
            };
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{list_path}[{i}]");
                let text = |key: &str| -> Result<String, TemplateError> {
                    match item.get(key) {
                        Some(node) => Ok(resolver
                            .eval_string(node, &join_path(&item_path, key))?
                            .unwrap_or_default()),
                        None => Err(resolver.error(
                            item,
                            &item_path,
                            format!("the response parameter has no {key}"),
                        )),
                    }
                };
                let (destination, source) = (text("Destination")?, text("Source")?);
                parsed.push(one(
                    &destination,
                    &source,
                    item,
                    &item_path,
                    Side::Response,
                    resolver,
                )?);
            }
            response.push(ResponseMapping {
                status,
                maps: parsed,
            });
        }
    }
    Ok(ParameterMapping { request, response })
}

/// A mapping node's entries, refusing any other shape.
fn entries<'n>(
    node: &'n Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<&'n [(String, Node)], TemplateError> {
    node.entries().ok_or_else(|| {
        resolver.error(
            node,
            path,
            format!("expected a mapping, found {}", node.shape()),
        )
    })
}

/// A response map's status code key: API Gateway takes 200 to 599.
fn status_code(
    key: &str,
    at: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<u16, TemplateError> {
    match key.trim().parse::<u16>() {
        Ok(code) if (200..=599).contains(&code) => Ok(code),
        _ => Err(resolver.error(
            at,
            path,
            format!("{key:?} is not a status code from 200 to 599; API Gateway refuses it"),
        )),
    }
}

/// Every `key: value` map of a mapping node.
fn maps(
    node: &Node,
    path: &str,
    side: Side,
    resolver: &Resolver<'_>,
) -> Result<Vec<ParameterMap>, TemplateError> {
    let mut out = Vec::new();
    for (key, value) in entries(node, path, resolver)? {
        let at = join_path(path, key);
        let value_text = resolver.eval_string(value, &at)?.unwrap_or_default();
        out.push(one(key, &value_text, value, &at, side, resolver)?);
    }
    Ok(out)
}

/// One map.
fn one(
    key: &str,
    value: &str,
    at: &Node,
    path: &str,
    side: Side,
    resolver: &Resolver<'_>,
) -> Result<ParameterMap, TemplateError> {
    let refuse = |message: String, hint: &str| {
        Err(resolver.error_hint(at, path, message, Some(hint.to_owned())))
    };
    let keys_hint = match side {
        Side::Request => "use append|overwrite|remove:header.NAME, append|overwrite|remove:querystring.NAME or overwrite:path",
        Side::Response => "use append|overwrite|remove:header.NAME or overwrite:statuscode",
    };
    let Some((action, target)) = key.split_once(':') else {
        return refuse(
            format!("{key:?} is not a parameter mapping key; API Gateway refuses it"),
            keys_hint,
        );
    };
    let action = match action {
        "append" => MapAction::Append,
        "overwrite" => MapAction::Overwrite,
        "remove" => MapAction::Remove,
        _ => {
            return refuse(
                format!("{action:?} is not a parameter mapping action; API Gateway refuses it"),
                keys_hint,
            )
        }
    };
    let target = if let Some(name) = target.strip_prefix("header.") {
        let name = name.to_ascii_lowercase();
        if name.is_empty() {
            return refuse(format!("{key:?} names no header"), keys_hint);
        }
        if reserved(&name) {
            return refuse(
                format!("{name} is a reserved header: API Gateway refuses a map of it"),
                "reserved: access-control-*, apigw-*, authorization, connection, content-encoding, content-length, content-location, forwarded, keep-alive, origin, proxy-authenticate, proxy-authorization, te, trailers, transfer-encoding, upgrade, x-amz-*, x-amzn-*, x-forwarded-for/host/proto, via",
            );
        }
        MapTarget::Header(name)
    } else if let (Some(name), Side::Request) = (target.strip_prefix("querystring."), side) {
        if name.is_empty() {
            return refuse(format!("{key:?} names no query string"), keys_hint);
        }
        MapTarget::QueryString(name.to_owned())
    } else if (target, action, side) == ("path", MapAction::Overwrite, Side::Request) {
        // AWS: the integration request carries the rewritten path; routing has already used the
        // client's.
        MapTarget::Path
    } else if (target, action, side) == ("statuscode", MapAction::Overwrite, Side::Response) {
        let code = value
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c));
        if code.is_none() {
            return refuse(
                format!("{value:?} is not a status code; API Gateway refuses it"),
                "overwrite:statuscode takes a static status code such as 403",
            );
        }
        MapTarget::StatusCode
    } else {
        return refuse(
            format!("{key:?} is not a parameter mapping key; API Gateway refuses it"),
            keys_hint,
        );
    };
    let value = match action {
        MapAction::Remove => MappingValue::default(),
        _ => match parse_value(value, side) {
            Ok(value) => value,
            Err(reason) => {
                return refuse(
                    format!("{value:?} is not a mapping value: {reason}; API Gateway refuses it"),
                    "use static text, $request.header.NAME, $request.querystring.NAME, $request.body.PATH, $request.path(.NAME), $context.NAME or $stageVariables.NAME (responses: also $response.header.NAME, $response.body.PATH)",
                )
            }
        },
    };
    Ok(ParameterMap {
        action,
        target,
        value,
    })
}

/// Whether `name` (lower case) is a reserved header.
fn reserved(name: &str) -> bool {
    RESERVED_HEADERS.iter().any(|r| match r.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == *r,
    })
}

/// Parses a value expression: static text with `$name` / `${name}` references.
fn parse_value(text: &str, side: Side) -> Result<MappingValue, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, next) = if let Some(braced) = after.strip_prefix('{') {
            let Some(end) = braced.find('}') else {
                return Err("an unclosed ${".into());
            };
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if !literal.is_empty() {
            parts.push(ValuePart::Text(std::mem::take(&mut literal)));
        }
        parts.push(reference(name, side)?);
        rest = next;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(ValuePart::Text(literal));
    }
    Ok(MappingValue(parts))
}

/// One `$…` reference.
fn reference(name: &str, side: Side) -> Result<ValuePart, String> {
    let nonempty = |s: &str, what: &str| {
        if s.is_empty() {
            Err(format!("${name} names no {what}"))
        } else {
            Ok(s.to_owned())
        }
    };
    let body_path = |path: Option<&str>| match path {
        None => "$".to_owned(),
        Some(p) => format!("$.{p}"),
    };
    if let Some(rest) = name.strip_prefix("request.") {
        if let Some(header) = rest.strip_prefix("header.") {
            return Ok(ValuePart::RequestHeader(
                nonempty(header, "header")?.to_ascii_lowercase(),
            ));
        }
        if side == Side::Request {
            if let Some(q) = rest.strip_prefix("querystring.") {
                return Ok(ValuePart::RequestQueryString(nonempty(q, "query string")?));
            }
            if rest == "body" {
                return Ok(ValuePart::RequestBody(body_path(None)));
            }
            if let Some(p) = rest.strip_prefix("body.") {
                return Ok(ValuePart::RequestBody(body_path(Some(p))));
            }
            if rest == "path" {
                return Ok(ValuePart::RequestPath);
            }
            if let Some(p) = rest.strip_prefix("path.") {
                return Ok(ValuePart::RequestPathParameter(nonempty(
                    p,
                    "path parameter",
                )?));
            }
        }
    } else if let Some(rest) = name.strip_prefix("response.") {
        if side == Side::Response {
            if let Some(header) = rest.strip_prefix("header.") {
                return Ok(ValuePart::ResponseHeader(
                    nonempty(header, "header")?.to_ascii_lowercase(),
                ));
            }
            if rest == "body" {
                return Ok(ValuePart::ResponseBody(body_path(None)));
            }
            if let Some(p) = rest.strip_prefix("body.") {
                return Ok(ValuePart::ResponseBody(body_path(Some(p))));
            }
        }
    } else if let Some(rest) = name.strip_prefix("context.") {
        return Ok(ValuePart::Context(nonempty(rest, "context variable")?));
    } else if let Some(rest) = name.strip_prefix("stageVariables.") {
        return Ok(ValuePart::StageVariable(nonempty(rest, "stage variable")?));
    }
    Err(match side {
        Side::Request => format!("${name} is not a request source"),
        Side::Response => format!("${name} is not a response source"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_mix_text_and_references_in_both_spellings() {
        assert_eq!(
            parse_value(
                "id ${request.path.id}-$request.header.X-Trace end",
                Side::Request
            ),
            Ok(MappingValue(vec![
                ValuePart::Text("id ".into()),
                ValuePart::RequestPathParameter("id".into()),
                ValuePart::Text("-".into()),
                ValuePart::RequestHeader("x-trace".into()),
                ValuePart::Text(" end".into()),
            ]))
        );
        assert_eq!(
            parse_value("$request.body.user.name", Side::Request),
            Ok(MappingValue(vec![ValuePart::RequestBody(
                "$.user.name".into()
            )]))
        );
        assert!(parse_value("$response.header.a", Side::Request).is_err());
        assert!(parse_value("$request.body.a", Side::Response).is_err());
        assert!(parse_value("${context.requestId", Side::Request).is_err());
    }

    #[test]
    fn reserved_headers_include_prefixes() {
        assert!(reserved("x-amzn-trace-id"));
        assert!(reserved("access-control-allow-origin"));
        assert!(reserved("authorization"));
        assert!(!reserved("x-amzn"));
        assert!(!reserved("x-custom"));
    }
}
