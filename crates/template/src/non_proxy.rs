//! Non-proxy REST integrations, as an OpenAPI `x-amazon-apigateway-integration` or a CloudFormation
//! `AWS::ApiGateway::Method` `Integration` writes them: Lambda custom integrations (`aws`),
//! `MOCK` and `http` endpoints, with their mapping templates and integration responses, and
//! DynamoDB actions (`aws` with a `dynamodb:action/…` URI), which Sluice serves itself;
//! `http_proxy` endpoints are read by `http_proxy.rs`. Other types (other AWS services, an
//! `http_proxy` through a VPC link) load as [`Integration::Unsupported`] with one warning.
//!
//! Mapping templates are parsed here, so a template with a VTL syntax error fails the load with
//! the template's file and line instead of failing every request.

use std::collections::BTreeMap;

use crate::error::TemplateError;
use crate::http_proxy;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{
    ContentHandling, Function, Integration, IntegrationResponse, Mapping, Passthrough,
};
use crate::openapi::function_name_of;
use crate::yaml_tree::{Kind, Node};

/// A route's integration and the function it calls (empty for MOCK, DynamoDB and unsupported
/// types).
pub(crate) struct Integrated {
    pub integration: Integration,
    pub function: String,
    /// The version or alias the URI names; `None`: the unqualified function (`$LATEST`).
    pub qualifier: Option<String>,
}

/// The property names of one way of writing an integration.
struct Keys {
    kind: &'static str,
    uri: &'static str,
    http_method: &'static str,
    request_templates: &'static str,
    passthrough: &'static str,
    status_code: &'static str,
    response_templates: &'static str,
    response_parameters: &'static str,
    request_parameters: &'static str,
    content_handling: &'static str,
}

const OPENAPI: Keys = Keys {
    kind: "type",
    uri: "uri",
    http_method: "httpMethod",
    request_templates: "requestTemplates",
    passthrough: "passthroughBehavior",
    status_code: "statusCode",
    response_templates: "responseTemplates",
    response_parameters: "responseParameters",
    request_parameters: "requestParameters",
    content_handling: "contentHandling",
};

const CLOUDFORMATION: Keys = Keys {
    kind: "Type",
    uri: "Uri",
    http_method: "IntegrationHttpMethod",
    request_templates: "RequestTemplates",
    passthrough: "PassthroughBehavior",
    status_code: "StatusCode",
    response_templates: "ResponseTemplates",
    response_parameters: "ResponseParameters",
    request_parameters: "RequestParameters",
    content_handling: "ContentHandling",
};

/// Reads the integration of one route. `route` (`GET /items`) names it in the warning for a type
/// Sluice does not emulate.
pub(crate) fn read(
    integration: &Node,
    path: &str,
    openapi: bool,
    route: &str,
    resolver: &Resolver<'_>,
    functions: &[Function],
    warnings: &mut Vec<String>,
) -> Result<Integrated, TemplateError> {
    let keys = if openapi { &OPENAPI } else { &CLOUDFORMATION };
    let reader = Reader {
        resolver,
        node: integration,
        path,
    };
    let kind = reader
        .string(keys.kind)?
        .unwrap_or_default()
        .to_ascii_uppercase();
    let uri = reader.string(keys.uri)?.unwrap_or_default();
    let is_lambda = uri.contains(":lambda:path/") || uri.starts_with("arn:aws:lambda:");
    let unsupported = |kind: String, warnings: &mut Vec<String>| {
        warnings.push(format!(
            "{}: {kind} integrations are not emulated; {route} answers 500 Internal server error",
            crate::yaml_tree::display_path(path)
        ));
        Ok(Integrated {
            integration: Integration::Unsupported { kind },
            function: String::new(),
            qualifier: None,
        })
    };
    let mapping = match kind.as_str() {
        "AWS" if is_lambda => mapping(&reader, keys, openapi)?,
        "MOCK" => mapping(&reader, keys, openapi)?,
        "HTTP" => {
            return Ok(Integrated {
                integration: http(&reader, keys, &uri, openapi)?,
                function: String::new(),
                qualifier: None,
            })
        }
        "HTTP_PROXY" => {
            let names = if openapi {
                &http_proxy::REST_OPENAPI
            } else {
                &http_proxy::REST_CLOUDFORMATION
            };
            return match http_proxy::read(integration, path, names, resolver)? {
                http_proxy::Read::Proxy(proxy) => Ok(Integrated {
                    integration: Integration::HttpProxy(proxy),
                    function: String::new(),
                    qualifier: None,
                }),
                http_proxy::Read::VpcLink => {
                    unsupported(http_proxy::Read::VPC_LINK_KIND.to_owned(), warnings)
                }
            };
        }
        "AWS" => {
            // `arn:aws:apigateway:<region>:<service>:action/<Action>` names the service.
            let service = uri.split(':').nth(4).unwrap_or("service").to_owned();
            let action = uri
                .split(':')
                .nth(5)
                .and_then(|rest| rest.strip_prefix("action/"))
                .filter(|action| !action.is_empty());
            if let (Some(action), "dynamodb") = (action, service.as_str()) {
                return Ok(Integrated {
                    integration: Integration::DynamoDb {
                        action: action.to_owned(),
                        mapping: mapping(&reader, keys, openapi)?,
                    },
                    function: String::new(),
                    qualifier: None,
                });
            }
            return unsupported(format!("AWS ({service})"), warnings);
        }
        "" => {
            return Err(resolver.error_hint(
                integration,
                &join_path(path, keys.kind),
                "the integration has no type",
                Some("use aws_proxy for a Lambda proxy integration".into()),
            ))
        }
        other => return unsupported(other.to_owned(), warnings),
    };
    if kind == "MOCK" {
        return Ok(Integrated {
            integration: Integration::Mock(mapping),
            function: String::new(),
            qualifier: None,
        });
    }
    let Some(function) =
        function_name_of(&uri).and_then(|name| crate::openapi::function_named(functions, &name))
    else {
        return Err(resolver.error_hint(
            integration.get(keys.uri).unwrap_or(integration),
            &join_path(path, keys.uri),
            format!("{uri:?} does not name a function of this template"),
            Some("use !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${MyFunction.Arn}/invocations".into()),
        ));
    };
    Ok(Integrated {
        integration: Integration::Lambda(mapping),
        function: function.logical_id.clone(),
        qualifier: crate::openapi::qualifier_of(&uri),
    })
}

/// An `HTTP` integration. AWS refuses to deploy one without an HTTP method ("Enumeration value
/// for HttpMethod must be non-empty") or whose URI is no HTTP URL ("Invalid HTTP endpoint
/// specified for URI", aws/aws-cdk#14984); a stage variable may hold the whole URL.
fn http(
    reader: &Reader<'_, '_>,
    keys: &Keys,
    uri: &str,
    openapi: bool,
) -> Result<Integration, TemplateError> {
    let method = reader
        .string(keys.http_method)?
        .unwrap_or_default()
        .to_ascii_uppercase();
    if method.is_empty() {
        return Err(reader.resolver.error_hint(
            reader.node,
            &join_path(reader.path, keys.http_method),
            "an HTTP integration needs the HTTP method to call its endpoint with",
            Some(format!("add {}: GET (or POST, ANY…)", keys.http_method)),
        ));
    }
    crate::http_proxy::check_endpoint(
        uri,
        reader.node.get(keys.uri).unwrap_or(reader.node),
        &join_path(reader.path, keys.uri),
        reader.resolver,
    )?;
    Ok(Integration::Http {
        method,
        uri: uri.to_owned(),
        mapping: mapping(reader, keys, openapi)?,
    })
}

/// Request templates, passthrough behavior and integration responses.
fn mapping(reader: &Reader<'_, '_>, keys: &Keys, openapi: bool) -> Result<Mapping, TemplateError> {
    let request_templates = reader.templates(keys.request_templates)?;
    let passthrough = match reader.string(keys.passthrough)? {
        None => Passthrough::WhenNoMatch,
        Some(text) => match text.to_ascii_uppercase().as_str() {
            "WHEN_NO_MATCH" => Passthrough::WhenNoMatch,
            "WHEN_NO_TEMPLATES" => Passthrough::WhenNoTemplates,
            "NEVER" => Passthrough::Never,
            _ => {
                return Err(reader.error(
                    keys.passthrough,
                    format!("{text:?} is not a passthrough behavior (WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER)"),
                ))
            }
        },
    };
    let mut responses = Vec::new();
    if openapi {
        // `responses` is keyed by selection pattern; `default` is the default response.
        if let Some(node) = reader.node.get("responses") {
            let Some(entries) = node.entries() else {
                return Err(reader.error("responses", "expected a mapping of selection patterns"));
            };
            for (pattern, response) in entries {
                let path = join_path(&join_path(reader.path, "responses"), pattern);
                let pattern = (pattern != "default").then(|| pattern.clone());
                responses.push(integration_response(
                    reader.resolver,
                    response,
                    &path,
                    keys,
                    pattern,
                )?);
            }
        }
    } else if let Some(node) = reader.node.get("IntegrationResponses") {
        let path = join_path(reader.path, "IntegrationResponses");
        let Kind::Seq(items) = &node.kind else {
            return Err(reader.error("IntegrationResponses", "expected a list"));
        };
        for (i, response) in items.iter().enumerate() {
            let path = format!("{path}[{i}]");
            let inner = Reader {
                resolver: reader.resolver,
                node: response,
                path: &path,
            };
            let pattern = inner.string("SelectionPattern")?.filter(|p| !p.is_empty());
            responses.push(integration_response(
                reader.resolver,
                response,
                &path,
                keys,
                pattern,
            )?);
        }
    }
    let request_parameters = match reader.node.get(keys.request_parameters) {
        Some(params) => reader
            .resolver
            .eval_string_map(params, &join_path(reader.path, keys.request_parameters))?,
        None => BTreeMap::new(),
    };
    Ok(Mapping {
        request_templates,
        passthrough,
        responses,
        request_parameters,
        content_handling: reader.content_handling(keys.content_handling)?,
    })
}

fn integration_response(
    resolver: &Resolver<'_>,
    node: &Node,
    path: &str,
    keys: &Keys,
    selection_pattern: Option<String>,
) -> Result<IntegrationResponse, TemplateError> {
    let reader = Reader {
        resolver,
        node,
        path,
    };
    if let Some(pattern) = &selection_pattern {
        // Java regex; the regex crate accepts the subset without lookaround and backreferences.
        if let Err(error) = regex::Regex::new(&format!("^(?:{pattern})$")) {
            let at = node.get("SelectionPattern").unwrap_or(node);
            return Err(resolver.error(
                at,
                path,
                format!("selection pattern {pattern:?} is not a regular expression Sluice can run: {error}"),
            ));
        }
    }
    let status = reader.string(keys.status_code)?.unwrap_or_default();
    let status_code = match status.trim().parse::<u16>() {
        Ok(code) if (100..=599).contains(&code) => code,
        _ => {
            return Err(reader.error(
                keys.status_code,
                format!("{status:?} is not an HTTP status code"),
            ))
        }
    };
    let response_parameters = match node.get(keys.response_parameters) {
        Some(params) => {
            resolver.eval_string_map(params, &join_path(path, keys.response_parameters))?
        }
        None => BTreeMap::new(),
    };
    Ok(IntegrationResponse {
        selection_pattern,
        status_code,
        response_templates: reader.templates(keys.response_templates)?,
        response_parameters,
        content_handling: reader.content_handling(keys.content_handling)?,
    })
}

/// Reads one integration (or integration response) node.
struct Reader<'a, 't> {
    resolver: &'a Resolver<'t>,
    node: &'a Node,
    path: &'a str,
}

impl Reader<'_, '_> {
    fn string(&self, key: &str) -> Result<Option<String>, TemplateError> {
        match self.node.get(key) {
            Some(node) => self.resolver.eval_string(node, &join_path(self.path, key)),
            None => Ok(None),
        }
    }

    /// `contentHandling`: unset passes the body through; AWS's API refuses any other value than
    /// its two conversions (`BadRequestException` from PutIntegration / PutIntegrationResponse).
    fn content_handling(&self, key: &str) -> Result<ContentHandling, TemplateError> {
        let Some(text) = self.string(key)? else {
            return Ok(ContentHandling::Passthrough);
        };
        match text.as_str() {
            "CONVERT_TO_TEXT" => Ok(ContentHandling::ConvertToText),
            "CONVERT_TO_BINARY" => Ok(ContentHandling::ConvertToBinary),
            _ => Err(self.resolver.error_hint(
                self.node.get(key).unwrap_or(self.node),
                &join_path(self.path, key),
                format!("{text:?} is not a content handling strategy"),
                Some("use CONVERT_TO_TEXT or CONVERT_TO_BINARY, or leave it out to pass the body through".into()),
            )),
        }
    }

    fn error(&self, key: &str, message: impl Into<String>) -> TemplateError {
        let at = self.node.get(key).unwrap_or(self.node);
        self.resolver.error(at, &join_path(self.path, key), message)
    }

    /// A content type → VTL template map; each template must parse.
    fn templates(&self, key: &str) -> Result<BTreeMap<String, String>, TemplateError> {
        let Some(node) = self.node.get(key) else {
            return Ok(BTreeMap::new());
        };
        let path = join_path(self.path, key);
        let templates = self.resolver.eval_string_map(node, &path)?;
        let mut out = BTreeMap::new();
        for (content_type, template) in templates {
            if let Err(error) = sluice_vtl::Template::parse(&template) {
                let at = node
                    .entries()
                    .and_then(|e| e.iter().find(|(k, _)| *k == content_type))
                    .map_or(node, |(_, v)| v);
                return Err(self.resolver.error_hint(
                    at,
                    &join_path(&path, &content_type),
                    format!("the mapping template does not parse: {error}"),
                    Some("mapping templates are Velocity (VTL); see API Gateway's mapping template reference".into()),
                ));
            }
            out.insert(content_type.to_ascii_lowercase(), template);
        }
        Ok(out)
    }
}
