//! HTTP API auth, from each form a template may write it in, loaded to one [`ApiAuth`] per API:
//! SAM's `AWS::Serverless::HttpApi` `Auth` (+ each `HttpApi` event's `Auth`), an OpenAPI document's
//! `securitySchemes` / `security` (`x-amazon-apigateway-authorizer` of type `jwt` or `request`,
//! `awsSigv4`), and raw `AWS::ApiGatewayV2::Authorizer` + `Route.AuthorizationType` (CDK).
//!
//! Every route of an HTTP API gets a [`RouteAuth`], open ones included, so the gateway never has
//! to guess: a route whose authorizer cannot be read names one that does not exist and fails
//! closed.

use std::collections::BTreeMap;
use std::path::Path;

use crate::auth_model::*;
use crate::auth_props::{authorizer_function, ref_target, Props};
use crate::error::TemplateError;
use crate::globals;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{Function, HttpApi};
use crate::openapi::{function_name_of, qualifier_of};
use crate::yaml_tree::{Kind, Node};

use super::http_openapi;
use super::route_settings;

/// SAM's implicit HTTP API.
const IMPLICIT_HTTP_API: &str = crate::http_api::IMPLICIT_HTTP_API;
/// The identity source of a JWT authorizer that names none.
const DEFAULT_JWT_SOURCE: &str = "$request.header.Authorization";
/// Authorizer result TTL when a template sets none (API Gateway's default).
pub(super) const DEFAULT_TTL: u32 = 300;

/// What the HTTP APIs' auth reading needs from the rest of the load.
pub(crate) struct HttpAuthInput<'a, 't> {
    pub root: &'a Node,
    pub resources: &'a [(String, Node)],
    pub resolver: &'a Resolver<'t>,
    pub http_apis: &'a [HttpApi],
    pub functions: &'a [Function],
    pub template_dir: &'a Path,
}

/// Adds one [`ApiAuth`] per HTTP API to `model`, with a [`RouteAuth`] for each of its routes.
pub(crate) fn build_http(
    input: &HttpAuthInput<'_, '_>,
    model: &mut AuthModel,
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let resolver = input.resolver;
    let global = input.root.get("Globals").and_then(|g| g.get("HttpApi"));
    for api in input.http_apis {
        let resource = input
            .resources
            .iter()
            .find(|(id, _)| *id == api.logical_id)
            .map(|(_, r)| r);
        let ty = resource
            .and_then(|r| r.get("Type"))
            .and_then(Node::as_str)
            .unwrap_or_default();
        let mut auth = ApiAuth::default();
        let mut sigv4_schemes = Vec::new();
        let mut document = None;
        // The settings of the stage that serves the API (SAM: the HttpApi's own properties).
        let mut stage = None;
        let mut default = RouteAuthorizer::None;
        // Where SAM writes the event into the API's document (not a DefinitionUri one, nor a raw
        // API's), an event `Auth` needs a DefaultAuthorizer behind it unless it names another.
        let mut default_optional = true;
        if ty == "AWS::Serverless::HttpApi" || api.logical_id == IMPLICIT_HTTP_API {
            let (properties, path) = match resource {
                Some(r) => (
                    globals::apply(global, r.get("Properties"), r),
                    format!("Resources.{}.Properties", api.logical_id),
                ),
                None => (
                    globals::apply(global, None, input.root),
                    "Globals.HttpApi".to_owned(),
                ),
            };
            let props = Props {
                resolver,
                node: properties.clone(),
                path: path.clone(),
            };
            let sam = props.child("Auth");
            if let Some(entries) = sam.node.get("Authorizers").and_then(Node::entries) {
                for (name, node) in entries {
                    let one = Props {
                        resolver,
                        node: node.clone(),
                        path: join_path(&sam.path("Authorizers"), name),
                    };
                    auth.authorizers
                        .insert(name.clone(), sam_authorizer(&one, input.functions)?);
                }
            }
            default_optional = properties.get("DefinitionBody").is_none()
                && properties.get("DefinitionUri").is_some();
            if let Some(name) = sam.string("DefaultAuthorizer")? {
                default_optional |= !name.is_empty();
                default =
                    super::named::authorizer(&sam, "DefaultAuthorizer", &name, &auth, "HTTP API")?;
            }
            let mut quiet = Vec::new();
            document = crate::openapi::document(
                &properties,
                &path,
                resolver,
                input.template_dir,
                &mut quiet,
            )?;
            stage = Some(props);
        } else if ty == "AWS::ApiGatewayV2::Api" {
            if let Some(body) = resource
                .and_then(|r| r.get("Properties"))
                .and_then(|p| p.get("Body"))
            {
                document = Some((
                    body.clone(),
                    format!("Resources.{}.Properties.Body", api.logical_id),
                ));
            }
            cfn_authorizers(input, &api.logical_id, &mut auth)?;
            stage = crate::served_stage::http(input.resources, resolver, &api.logical_id)?.map(
                |served| Props {
                    resolver,
                    node: served.settings,
                    path: served.path,
                },
            );
        }
        let mut operations = BTreeMap::new();
        let mut document_default = None;
        if let Some((doc, where_)) = &document {
            http_openapi::openapi_schemes(
                doc,
                where_,
                input,
                &mut auth,
                &mut sigv4_schemes,
                warnings,
            )?;
            document_default = doc.get("security").cloned();
            operations = http_openapi::openapi_operations(doc, where_);
        }
        for route in &api.routes {
            let route_auth = if let Some(operation) = operations.get(&route.event_name) {
                let security = operation.get("security").or(document_default.as_ref());
                match security {
                    Some(node) => {
                        let at = format!("{}.security", route.event_name);
                        http_openapi::security_requirement(node, &at, resolver, &sigv4_schemes)?
                    }
                    None => (default.clone(), Vec::new()),
                }
            } else if let Some(id) = route
                .event_name
                .strip_prefix("Resources.")
                .filter(|id| !id.contains('.'))
            {
                cfn_route(input, id)?
            } else if route.event_name.starts_with("Resources.") {
                // Quick create's `Target` route: open, as AWS creates it.
                (RouteAuthorizer::None, Vec::new())
            } else {
                let default = SamDefault {
                    authorizer: &default,
                    optional: default_optional,
                };
                sam_event_auth(input, &route.function, &route.event_name, &auth, default)?
            };
            let (authorizer, mut scopes) = route_auth;
            if scopes.is_empty() {
                if let RouteAuthorizer::Named(name) = &authorizer {
                    if let Some(Authorizer::Jwt(jwt)) = auth.authorizers.get(name) {
                        scopes.clone_from(&jwt.scopes);
                    }
                }
            }
            auth.routes.push(RouteAuth {
                method: route.method.clone(),
                path: route.path.clone(),
                authorizer,
                scopes,
                api_key_required: false,
            });
        }
        auth.default_authorizer = Some(default);
        if let Some(stage) = &stage {
            auth.route_throttling =
                route_settings::read(stage, api, document.as_ref(), input.resources)?;
        }
        model.apis.insert(api.logical_id.clone(), auth);
    }
    Ok(())
}

/// One entry of a SAM HTTP API's `Auth.Authorizers`: JWT (`JwtConfiguration`) or Lambda
/// (`FunctionArn`).
fn sam_authorizer(
    props: &Props<'_, '_>,
    functions: &[Function],
) -> Result<Authorizer, TemplateError> {
    let jwt = props.child("JwtConfiguration");
    if props.node.get("JwtConfiguration").is_some() {
        // SAM lowercases JwtConfiguration's keys before writing the OpenAPI authorizer, so the
        // CloudFormation spelling (`Issuer`, `Audience`) works there too.
        let key = |name: &'static str| -> String {
            jwt.node
                .entries()
                .unwrap_or_default()
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map_or_else(|| name.to_owned(), |(k, _)| k.clone())
        };
        let Some(issuer) = jwt.string(&key("issuer"))? else {
            return Err(props.error("JwtConfiguration", "issuer is required"));
        };
        let source = props
            .string("IdentitySource")?
            .unwrap_or_else(|| DEFAULT_JWT_SOURCE.to_owned());
        let Some(identity) = identity_source(&source) else {
            return Err(props.error(
                "IdentitySource",
                format!("{source:?} is not $request.header.NAME or $request.querystring.NAME"),
            ));
        };
        return Ok(Authorizer::Jwt(JwtAuthorizer {
            issuer,
            audiences: jwt.string_list(&key("audience"))?,
            identity,
            scopes: props.string_list("AuthorizationScopes")?,
        }));
    }
    let name_of = |arn: &str| function_id(arn, functions);
    let Some((function, qualifier)) = authorizer_function(props, name_of)? else {
        return Ok(Authorizer::Unenforceable(format!(
            "{}: an HTTP API authorizer needs JwtConfiguration (JWT) or FunctionArn (Lambda)",
            props.path
        )));
    };
    let identity = props.child("Identity");
    let mut sources = Vec::new();
    for (key, make) in [
        (
            "Headers",
            IdentitySource::Header as fn(String) -> IdentitySource,
        ),
        ("QueryStrings", IdentitySource::Query),
        ("StageVariables", IdentitySource::StageVariable),
        ("Context", IdentitySource::Context),
    ] {
        sources.extend(identity.string_list(key)?.into_iter().map(make));
    }
    let ttl = identity.number("ReauthorizeEvery")?.unwrap_or(DEFAULT_TTL);
    let format = lambda_format(
        props,
        "AuthorizerPayloadFormatVersion",
        "EnableSimpleResponses",
    )?;
    lambda(
        props,
        function,
        qualifier,
        sources,
        ttl,
        format,
        "ReauthorizeEvery",
    )
}

/// A Lambda authorizer after its checks: TTL at most 3600 s. `qualifier` is the version or alias
/// its ARN or URI names.
pub(super) fn lambda(
    props: &Props<'_, '_>,
    function: String,
    qualifier: Option<String>,
    identity: Vec<IdentitySource>,
    ttl_secs: u32,
    format: HttpLambdaFormat,
    ttl_key: &str,
) -> Result<Authorizer, TemplateError> {
    if ttl_secs > 3600 {
        return Err(props.error(ttl_key, format!("{ttl_secs} is over 3600 seconds")));
    }
    Ok(Authorizer::Lambda(LambdaAuthorizer {
        function,
        qualifier,
        payload: LambdaPayload::Request { identity },
        ttl_secs,
        http: Some(format),
    }))
}

/// `AuthorizerPayloadFormatVersion` (required, as AWS requires it) and `EnableSimpleResponses`
/// (2.0 only).
pub(super) fn lambda_format(
    props: &Props<'_, '_>,
    version_key: &str,
    simple_key: &str,
) -> Result<HttpLambdaFormat, TemplateError> {
    let v2 = match props.string(version_key)?.as_deref() {
        Some("2.0") => true,
        Some("1.0") => false,
        Some(other) => {
            return Err(props.error(version_key, format!("{other:?} is not 1.0 or 2.0")));
        }
        None => {
            return Err(props.error_hint(
                version_key,
                format!("{version_key} is required for an HTTP API Lambda authorizer"),
                format!("add {version_key}: \"2.0\" (or \"1.0\")"),
            ))
        }
    };
    let simple_responses = props.boolean(simple_key)?.unwrap_or(false);
    if simple_responses && !v2 {
        return Err(props.error(
            simple_key,
            "simple responses need payload format version 2.0",
        ));
    }
    Ok(HttpLambdaFormat {
        v2,
        simple_responses,
    })
}

/// `$request.header.NAME`, `$request.querystring.NAME`, `$context.NAME`, `$stageVariables.NAME`.
pub(crate) fn identity_source(expression: &str) -> Option<IdentitySource> {
    named_source(
        expression,
        [
            "$request.header.",
            "$request.querystring.",
            "$context.",
            "$stageVariables.",
        ],
    )
}

/// An identity source written with these prefixes for a header, a query string, a context
/// variable and a stage variable (HTTP APIs and REST APIs spell them differently).
pub(super) fn named_source(expression: &str, prefixes: [&str; 4]) -> Option<IdentitySource> {
    let expression = expression.trim();
    let named = |prefix: &str| {
        expression
            .strip_prefix(prefix)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    };
    let [header, query, context, stage] = prefixes;
    named(header)
        .map(IdentitySource::Header)
        .or_else(|| named(query).map(IdentitySource::Query))
        .or_else(|| named(context).map(IdentitySource::Context))
        .or_else(|| named(stage).map(IdentitySource::StageVariable))
}

/// The logical id of the function an ARN or URI names (its name when the template has none).
pub(super) fn function_id(arn: &str, functions: &[Function]) -> String {
    let name = function_name_of(arn).unwrap_or_else(|| arn.to_owned());
    crate::openapi::function_named(functions, &name).map_or(name, |f| f.logical_id.clone())
}

/// What a SAM HTTP API gives the events that name no authorizer.
struct SamDefault<'a> {
    /// The `DefaultAuthorizer`'s guard (open without one).
    authorizer: &'a RouteAuthorizer,
    /// Whether SAM takes an event `Auth` with no `DefaultAuthorizer` behind it. Where it does not,
    /// it refuses an event's `Authorizer: NONE` (nothing to undo) and an event `Auth` that names
    /// no `Authorizer` (nothing to apply its scopes to).
    optional: bool,
}

/// A SAM `HttpApi` event's `Auth` over the API's `DefaultAuthorizer`.
fn sam_event_auth(
    input: &HttpAuthInput<'_, '_>,
    function: &str,
    event_name: &str,
    api: &ApiAuth,
    default: SamDefault<'_>,
) -> Result<(RouteAuthorizer, Vec<String>), TemplateError> {
    let SamDefault {
        authorizer: default,
        optional,
    } = default;
    let event = input
        .resources
        .iter()
        .find(|(id, _)| id == function)
        .and_then(|(_, r)| r.get("Properties"))
        .and_then(|p| p.get("Events"))
        .and_then(|e| e.get(event_name))
        .and_then(|e| e.get("Properties"));
    let Some(event) = event else {
        return Ok((default.clone(), Vec::new()));
    };
    let props = Props {
        resolver: input.resolver,
        node: event.clone(),
        path: format!("Resources.{function}.Properties.Events.{event_name}.Properties"),
    };
    let auth = props.child("Auth");
    let authorizer = match auth.string("Authorizer")?.filter(|name| !name.is_empty()) {
        Some(name) if name == "NONE" && !optional => {
            return Err(super::named::none_without_default(&auth, "HTTP API"))
        }
        Some(name) => super::named::authorizer(&auth, "Authorizer", &name, api, "HTTP API")?,
        // samtranslator push.py `_add_auth_to_openapi_integration`: a non-empty event `Auth`
        // without an `Authorizer` takes the DefaultAuthorizer, and without one SAM refuses it.
        None if !optional && auth.node.entries().is_some_and(|e| !e.is_empty()) => {
            return Err(auth.resolver.error_hint(
                &auth.node,
                &auth.path,
                "names no Authorizer and the HTTP API has no DefaultAuthorizer; SAM refuses the template",
                Some("add Authorizer: <name> here, or a DefaultAuthorizer to the HTTP API's Auth".into()),
            ))
        }
        None => default.clone(),
    };
    Ok((authorizer, auth.string_list("AuthorizationScopes")?))
}

/// Identity sources written as a list or one comma-separated string (OpenAPI's form).
pub(super) fn identity_list(
    props: &Props<'_, '_>,
    key: &str,
) -> Result<Vec<IdentitySource>, TemplateError> {
    let mut out = Vec::new();
    let items = match props.node.get(key).map(|n| &n.kind) {
        Some(Kind::Seq(_)) => props.string_list(key)?,
        Some(_) => props.string(key)?.into_iter().collect(),
        None => Vec::new(),
    };
    for item in items {
        for expression in item.split(',').filter(|e| !e.trim().is_empty()) {
            match identity_source(expression) {
                Some(source) => out.push(source),
                None => {
                    return Err(props.error(
                        key,
                        format!("{expression:?} is not an identity source ($request.header.NAME, $request.querystring.NAME, $context.NAME or $stageVariables.NAME)"),
                    ))
                }
            }
        }
    }
    Ok(out)
}

/// `AWS::ApiGatewayV2::Authorizer`s of one API, by logical id.
fn cfn_authorizers(
    input: &HttpAuthInput<'_, '_>,
    api_id: &str,
    api: &mut ApiAuth,
) -> Result<(), TemplateError> {
    for (id, resource) in input.resources {
        if resource.get("Type").and_then(Node::as_str) != Some("AWS::ApiGatewayV2::Authorizer") {
            continue;
        }
        let props = Props::of(input.resolver, resource, id);
        if props.node.get("ApiId").and_then(ref_target) != Some(api_id) {
            continue;
        }
        let sources = identity_list(&props, "IdentitySource")?;
        let read = match props.string("AuthorizerType")?.as_deref() {
            Some("JWT") => {
                let jwt = props.child("JwtConfiguration");
                match (jwt.string("Issuer")?, sources.first()) {
                    (Some(issuer), Some(identity)) if sources.len() == 1 => {
                        Authorizer::Jwt(JwtAuthorizer {
                            issuer,
                            audiences: jwt.string_list("Audience")?,
                            identity: identity.clone(),
                            scopes: Vec::new(),
                        })
                    }
                    _ => Authorizer::Unenforceable(format!(
                        "Resources.{id}: a JWT authorizer needs JwtConfiguration.Issuer and one IdentitySource"
                    )),
                }
            }
            Some("REQUEST") => {
                let uri = props.string("AuthorizerUri")?.unwrap_or_default();
                let ttl = props
                    .number("AuthorizerResultTtlInSeconds")?
                    .unwrap_or(DEFAULT_TTL);
                let format = lambda_format(
                    &props,
                    "AuthorizerPayloadFormatVersion",
                    "EnableSimpleResponses",
                )?;
                lambda(
                    &props,
                    function_id(&uri, input.functions),
                    qualifier_of(&uri),
                    sources,
                    ttl,
                    format,
                    "AuthorizerResultTtlInSeconds",
                )?
            }
            other => Authorizer::Unenforceable(format!(
                "Resources.{id}: AuthorizerType {other:?} is not JWT or REQUEST"
            )),
        };
        api.authorizers.insert(id.clone(), read);
    }
    Ok(())
}

/// A raw `AWS::ApiGatewayV2::Route`'s `AuthorizationType`, `AuthorizerId` and scopes.
fn cfn_route(
    input: &HttpAuthInput<'_, '_>,
    id: &str,
) -> Result<(RouteAuthorizer, Vec<String>), TemplateError> {
    let Some((_, resource)) = input.resources.iter().find(|(rid, _)| rid == id) else {
        return Ok((RouteAuthorizer::None, Vec::new()));
    };
    let props = Props::of(input.resolver, resource, id);
    let scopes = props.string_list("AuthorizationScopes")?;
    let authorizer = match props.string("AuthorizationType")?.as_deref() {
        None | Some("NONE") => RouteAuthorizer::None,
        Some("AWS_IAM") => RouteAuthorizer::Iam,
        Some(_) => {
            let target = props
                .node
                .get("AuthorizerId")
                .and_then(ref_target)
                .map(str::to_owned);
            // Anything but a !Ref to an authorizer of the template names none: fails closed.
            RouteAuthorizer::Named(
                target.unwrap_or_else(|| format!("Resources.{id}.Properties.AuthorizerId")),
            )
        }
    };
    Ok((authorizer, scopes))
}
