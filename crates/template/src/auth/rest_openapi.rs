//! REST API auth written in the API's own OpenAPI document (`DefinitionBody`, a local
//! `DefinitionUri`, a raw `AWS::ApiGateway::RestApi`'s `Body`), as API Gateway imports it: security
//! schemes (`securityDefinitions`, `components.securitySchemes`) with an
//! `x-amazon-apigateway-authorizer` (Cognito user pools, Lambda TOKEN and REQUEST), the `awsSigv4`
//! auth type and the `x-api-key` header scheme, and each operation's `security` (or the
//! document's), or its `x-amazon-apigateway-auth`.
//!
//! A scheme API Gateway would not enforce here is recorded as [`Authorizer::Unenforceable`], so a
//! route that requires it fails closed; an operation that requires nothing is left to the API's
//! `Auth` (SAM applies `DefaultAuthorizer` to a document's paths).

use std::collections::BTreeMap;

use super::http::function_id;
use super::{user_pools, DEFAULT_TTL};
use crate::auth_model::*;
use crate::auth_props::Props;
use crate::error::TemplateError;
use crate::globals;
use crate::intrinsics::{join_path, Resolver};
use crate::model::Function;
use crate::yaml_tree::{Kind, Node};

/// The routes a REST API's own document guards.
pub(super) struct DocumentAuth {
    /// The API's logical id.
    pub api: String,
    /// `MergeDefinitions`: SAM merges the API's `Api` events (and their `Auth`) over the document.
    pub merge: bool,
    /// One entry per operation that requires something.
    pub routes: Vec<RouteAuth>,
}

/// What a security scheme of the document asks of a request.
enum Scheme {
    /// An authorizer, recorded in the API's authorizers under the scheme's name.
    Authorizer,
    /// An API key in `x-api-key`.
    ApiKey,
    /// SigV4 (`x-amazon-apigateway-authtype: awsSigv4`).
    Iam,
}

/// Reads the security of every REST API's own document into `model`; returns their routes' guards.
pub(super) fn read(
    active: &[(&String, &Node, &str)],
    root: &Node,
    resolver: &Resolver<'_>,
    template_dir: &std::path::Path,
    functions: &[Function],
    model: &mut AuthModel,
) -> Result<Vec<DocumentAuth>, TemplateError> {
    let global = root.get("Globals").and_then(|g| g.get("Api"));
    let mut out = Vec::new();
    for &(id, resource, ty) in active {
        let (document, where_, merge) = match ty {
            "AWS::Serverless::Api" => {
                let properties = globals::apply(global, resource.get("Properties"), resource);
                let path = format!("Resources.{id}.Properties");
                // Warnings about the document are `openapi.rs`'s to give; this pass only looks.
                let mut quiet = Vec::new();
                let Some((document, where_)) = crate::openapi::document(
                    &properties,
                    &path,
                    resolver,
                    template_dir,
                    &mut quiet,
                )?
                else {
                    continue;
                };
                let merge = crate::openapi::merges_definitions(&properties, &path, resolver)?;
                (document, where_, merge)
            }
            "AWS::ApiGateway::RestApi" => {
                match resource.get("Properties").and_then(|p| p.get("Body")) {
                    Some(body) => (
                        body.clone(),
                        format!("Resources.{id}.Properties.Body"),
                        false,
                    ),
                    None => continue,
                }
            }
            _ => continue,
        };
        let AuthModel {
            apis, user_pools, ..
        } = &mut *model;
        let Some(api) = apis.get_mut(id.as_str()) else {
            continue;
        };
        let schemes = schemes(&document, &where_, resolver, functions, user_pools, api)?;
        let source = document.get("x-amazon-apigateway-api-key-source");
        if source.and_then(Node::as_str) == Some("AUTHORIZER") {
            api.api_key_from_authorizer = true;
        }
        let routes = operations(&document, &where_, resolver, &schemes, api)?;
        out.push(DocumentAuth {
            api: id.clone(),
            merge,
            routes,
        });
    }
    Ok(out)
}

/// The document's security schemes; authorizers go into `api` (SAM's own `Auth.Authorizers` of
/// the same name win, as SAM writes them over the document's).
fn schemes(
    document: &Node,
    where_: &str,
    resolver: &Resolver<'_>,
    functions: &[Function],
    pools: &[UserPool],
    api: &mut ApiAuth,
) -> Result<BTreeMap<String, Scheme>, TemplateError> {
    let (entries, at) = match document.get("securityDefinitions") {
        Some(node) => (node, join_path(where_, "securityDefinitions")),
        None => match document
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
        {
            Some(node) => (node, join_path(where_, "components.securitySchemes")),
            None => return Ok(BTreeMap::new()),
        },
    };
    let mut out = BTreeMap::new();
    for (name, node) in entries.entries().unwrap_or_default() {
        let props = Props {
            resolver,
            node: node.clone(),
            path: join_path(&at, name),
        };
        let auth_type = props
            .string("x-amazon-apigateway-authtype")?
            .unwrap_or_default()
            .to_ascii_lowercase();
        if auth_type == "awssigv4" {
            out.insert(name.clone(), Scheme::Iam);
            continue;
        }
        let header = props.string("name")?;
        if node.get("x-amazon-apigateway-authorizer").is_none() {
            let is_key = props
                .string("type")?
                .is_some_and(|t| t.eq_ignore_ascii_case("apiKey"))
                && header
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case("x-api-key"))
                && props.string("in")?.as_deref() == Some("header");
            if is_key {
                out.insert(name.clone(), Scheme::ApiKey);
                continue;
            }
            api.authorizers.entry(name.clone()).or_insert_with(|| {
                Authorizer::Unenforceable(format!(
                    "{}: a security scheme without x-amazon-apigateway-authorizer, which API Gateway's REST APIs do not enforce",
                    props.path
                ))
            });
            out.insert(name.clone(), Scheme::Authorizer);
            continue;
        }
        let authorizer = authorizer(
            &props.child("x-amazon-apigateway-authorizer"),
            Spelling::OpenApi,
            header,
            functions,
            pools,
        )?;
        api.authorizers.entry(name.clone()).or_insert(authorizer);
        out.insert(name.clone(), Scheme::Authorizer);
    }
    Ok(out)
}

/// How an authorizer's properties are spelled: OpenAPI's `x-amazon-apigateway-authorizer` is
/// camelCase (`authorizerUri`), an `AWS::ApiGateway::Authorizer` resource PascalCase (`AuthorizerUri`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Spelling {
    OpenApi,
    CloudFormation,
}

impl Spelling {
    fn key(self, camel: &str) -> String {
        match self {
            Spelling::OpenApi => camel.to_owned(),
            Spelling::CloudFormation => {
                let mut chars = camel.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
        }
    }
}

/// One authorizer (an `x-amazon-apigateway-authorizer` or an `AWS::ApiGateway::Authorizer`);
/// `header` is where a token is read (the scheme's `name`, or the resource's `IdentitySource`).
pub(super) fn authorizer(
    props: &Props<'_, '_>,
    spelling: Spelling,
    header: Option<String>,
    functions: &[Function],
    pools: &[UserPool],
) -> Result<Authorizer, TemplateError> {
    let key = |camel: &str| spelling.key(camel);
    let ttl = props
        .number(&key("authorizerResultTtlInSeconds"))?
        .unwrap_or(DEFAULT_TTL);
    if ttl > 3600 {
        return Err(props.error(
            &key("authorizerResultTtlInSeconds"),
            format!("{ttl} is over 3600 seconds"),
        ));
    }
    let header = header.unwrap_or_else(|| "Authorization".into());
    let validation_expression =
        super::validation_expression(props.string(&key("identityValidationExpression"))?);
    let kind = props
        .string(&key("type"))?
        .unwrap_or_default()
        .to_ascii_lowercase();
    let lambda = |payload| -> Result<Authorizer, TemplateError> {
        let uri = props.string(&key("authorizerUri"))?.unwrap_or_default();
        Ok(Authorizer::Lambda(LambdaAuthorizer {
            function: function_id(&uri, functions),
            qualifier: crate::openapi::qualifier_of(&uri),
            payload,
            ttl_secs: ttl,
            http: None,
        }))
    };
    match kind.as_str() {
        "cognito_user_pools" => Ok(Authorizer::Cognito(CognitoAuthorizer {
            pools: user_pools(props, &key("providerARNs"), pools)?,
            header,
            validation_expression,
            ttl_secs: ttl,
            scopes: Vec::new(),
        })),
        "token" => lambda(LambdaPayload::Token {
            header,
            validation_expression,
        }),
        "request" => {
            let mut identity = Vec::new();
            let sources = props.string(&key("identitySource"))?.unwrap_or_default();
            for source in sources.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match identity_source(source) {
                    Some(source) => identity.push(source),
                    None => return Err(props.error(
                        &key("identitySource"),
                        format!("{source:?} is not an identity source (method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME)"),
                    )),
                }
            }
            lambda(LambdaPayload::Request { identity })
        }
        other => Ok(Authorizer::Unenforceable(format!(
            "{}: authorizer type {other:?} is not cognito_user_pools, token or request",
            props.path
        ))),
    }
}

/// A REST identity source expression.
pub(super) fn identity_source(expression: &str) -> Option<IdentitySource> {
    super::http::named_source(
        expression,
        [
            "method.request.header.",
            "method.request.querystring.",
            "context.",
            "stageVariables.",
        ],
    )
}

/// The guard of every operation that requires something: its `x-amazon-apigateway-auth`, else
/// the first requirement of its `security` (or the document's), as API Gateway imports them.
fn operations(
    document: &Node,
    where_: &str,
    resolver: &Resolver<'_>,
    schemes: &BTreeMap<String, Scheme>,
    api: &mut ApiAuth,
) -> Result<Vec<RouteAuth>, TemplateError> {
    let mut out = Vec::new();
    for crate::openapi::Operation {
        path: path_key,
        method,
        property: op_path,
        node,
    } in crate::openapi::operations(document, where_)
    {
        let mut route = RouteAuth {
            method: (*method).to_owned(),
            path: path_key.clone(),
            authorizer: RouteAuthorizer::None,
            scopes: Vec::new(),
            api_key_required: false,
        };
        let mut requires = false;
        if let Some(auth) = node.get("x-amazon-apigateway-auth") {
            let at = join_path(&op_path, "x-amazon-apigateway-auth");
            let kind = match auth.get("type") {
                Some(kind) => resolver.eval_string(kind, &join_path(&at, "type"))?,
                None => None,
            };
            match kind.unwrap_or_default().to_ascii_lowercase().as_str() {
                "none" => {}
                "aws_iam" => {
                    route.authorizer = RouteAuthorizer::Iam;
                    requires = true;
                }
                other => {
                    api.authorizers.insert(
                        at.clone(),
                        Authorizer::Unenforceable(format!(
                            "{at}: auth type {other:?} is not NONE or AWS_IAM"
                        )),
                    );
                    route.authorizer = RouteAuthorizer::Named(at);
                    requires = true;
                }
            }
        }
        let (security, at) = match node.get("security") {
            Some(security) => (Some(security), join_path(&op_path, "security")),
            None => (document.get("security"), join_path(where_, "security")),
        };
        // SAM's markers for "not the DefaultAuthorizer" and "not the API's ApiKeyRequired".
        let mut none = false;
        let mut no_key = false;
        if let Some(security) = security {
            let Kind::Seq(requirements) = &security.kind else {
                // Not what API Gateway imports: the route fails closed, unless a merged
                // event's Auth replaces the operation (SAM's MergeDefinitions).
                let why = format!("{at}: not a list of security requirements");
                api.authorizers
                    .insert(at.clone(), Authorizer::Unenforceable(why));
                route.authorizer = RouteAuthorizer::Named(at);
                out.push(route);
                continue;
            };
            // API Gateway applies one authorizer (and the API key) per method: the first.
            let first = requirements
                .first()
                .and_then(Node::entries)
                .unwrap_or_default();
            for (name, scopes) in first {
                if name == "NONE" {
                    none = true;
                    requires = true;
                    continue;
                }
                if name == "api_key_false" {
                    no_key = true;
                    requires = true;
                    continue;
                }
                match schemes.get(name) {
                    Some(Scheme::ApiKey) => route.api_key_required = true,
                    Some(Scheme::Iam) => route.authorizer = RouteAuthorizer::Iam,
                    // A name no scheme defines stays Named: the gateway finds no authorizer
                    // and fails closed.
                    Some(Scheme::Authorizer) | None => {
                        if route.authorizer != RouteAuthorizer::Iam {
                            route.scopes =
                                resolver.eval_string_list(scopes, &join_path(&at, name))?;
                            route.authorizer = RouteAuthorizer::Named(name.clone());
                        }
                    }
                }
                requires = true;
            }
        }
        // SAM adds the API's DefaultAuthorizer to every operation that names no authorizer
        // (an API key alone, say) unless it says NONE (swagger.py set_path_default_authorizer).
        // And `Auth.ApiKeyRequired` beside whatever the operation requires, unless it says
        // api_key_false (set_path_default_apikey_required).
        if api.default_api_key_required && !no_key {
            route.api_key_required = true;
        }
        if route.authorizer == RouteAuthorizer::None && !none {
            if let Some(default) = &api.default_authorizer {
                route.authorizer = default.clone();
                if let RouteAuthorizer::Named(name) = default {
                    if let Some(Authorizer::Cognito(c)) = api.authorizers.get(name) {
                        route.scopes = c.scopes.clone();
                    }
                }
            }
        }
        if requires {
            out.push(route);
        }
    }
    Ok(out)
}
