//! CORS settings as templates declare them: HTTP API `CorsConfiguration`, Function URL `Cors`
//! (lists of values) and REST API `Cors` (SAM's quoted header values), all read into one [`Cors`].

use std::collections::BTreeMap;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::Cors;
use crate::yaml_tree::Node;

/// `CorsConfiguration` / `Cors`: `true` (SAM: every origin), `false`, or the object form.
pub(crate) fn http(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Option<Cors>, TemplateError> {
    read(node, path, resolver, false)
}

/// OpenAPI's `x-amazon-apigateway-cors` (HTTP APIs): the object form in lower camel case.
pub(crate) fn openapi(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Option<Cors>, TemplateError> {
    read(node, path, resolver, true)
}

fn read(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    camel: bool,
) -> Result<Option<Cors>, TemplateError> {
    let Some(value) = resolver.eval(node, path)? else {
        return Ok(None);
    };
    if let Some(flag) = value.as_str() {
        return match flag {
            "true" | "True" => Ok(Some(Cors {
                allow_origins: vec!["*".into()],
                allow_methods: vec!["*".into()],
                allow_headers: vec!["*".into()],
                ..Cors::default()
            })),
            "false" | "False" => Ok(None),
            other => Err(resolver.error(
                node,
                path,
                format!("{other:?} is neither true, false nor a mapping"),
            )),
        };
    }
    if value.entries().is_none() {
        return Err(resolver.error(
            node,
            path,
            format!("expected true or a mapping, found {}", value.shape()),
        ));
    }
    // OpenAPI's `x-amazon-apigateway-cors` spells the same keys in lower camel case.
    let key_of = |key: &str| -> String {
        if camel {
            let mut chars = key.chars();
            chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default()
        } else {
            key.to_owned()
        }
    };
    let get = |key: &str| value.get(&key_of(key));
    let list = |key: &str| -> Result<Vec<String>, TemplateError> {
        match get(key) {
            Some(item) => resolver.eval_string_list(item, &join_path(path, key)),
            None => Ok(Vec::new()),
        }
    };
    let max_age = match get("MaxAge") {
        Some(item) => {
            let text = resolver
                .eval_string(item, &join_path(path, "MaxAge"))?
                .unwrap_or_default();
            Some(text.trim().parse::<u32>().map_err(|_| {
                resolver.error(
                    item,
                    &join_path(path, "MaxAge"),
                    format!("{text:?} is not a number of seconds"),
                )
            })?)
        }
        None => None,
    };
    let allow_credentials = match get("AllowCredentials") {
        Some(item) => resolver
            .eval_string(item, &join_path(path, "AllowCredentials"))?
            .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        None => false,
    };
    Ok(Some(Cors {
        allow_origins: list("AllowOrigins")?,
        allow_methods: list("AllowMethods")?,
        allow_headers: list("AllowHeaders")?,
        expose_headers: list("ExposeHeaders")?,
        max_age,
        allow_credentials,
    }))
}

/// REST API `Cors` (also from `Globals.Api`): `"'*'"` (the allowed origin) or the object form
/// `AllowOrigin` / `AllowMethods` / `AllowHeaders` / `MaxAge` (SAM header values, quotes included)
/// and `AllowCredentials` (a boolean).
pub(crate) fn rest(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Option<Cors>, TemplateError> {
    let Some(value) = resolver.eval(node, path)? else {
        return Ok(None);
    };
    if let Some(origin) = value.as_str() {
        return Ok(Some(Cors {
            allow_origins: vec![unquote(origin)],
            ..Cors::default()
        }));
    }
    if value.entries().is_none() {
        return Err(resolver.error(
            node,
            path,
            format!(
                "expected \"'origin'\" or a mapping, found {}",
                value.shape()
            ),
        ));
    }
    let text = |key: &str| -> Result<Option<String>, TemplateError> {
        match value.get(key) {
            Some(item) => Ok(resolver
                .eval_string(item, &join_path(path, key))?
                .map(|s| unquote(&s))),
            None => Ok(None),
        }
    };
    let Some(origin) = text("AllowOrigin")?.filter(|o| !o.is_empty()) else {
        return Err(resolver.error_hint(
            &value,
            &join_path(path, "AllowOrigin"),
            "AllowOrigin is required",
            Some("add e.g. AllowOrigin: \"'https://example.com'\" (SAM wants the quotes)".into()),
        ));
    };
    // SAM puts these values in the OPTIONS method's mock response as written ('GET, OPTIONS'
    // keeps its space), so each is one entry.
    let verbatim = |value: Option<String>| -> Vec<String> {
        value.filter(|v| !v.trim().is_empty()).into_iter().collect()
    };
    let max_age = match text("MaxAge")? {
        Some(age) => Some(age.trim().parse::<u32>().map_err(|_| {
            resolver.error(
                value.get("MaxAge").unwrap_or(&value),
                &join_path(path, "MaxAge"),
                format!("{age:?} is not a number of seconds"),
            )
        })?),
        None => None,
    };
    Ok(Some(Cors {
        allow_origins: vec![origin],
        allow_methods: verbatim(text("AllowMethods")?),
        allow_headers: verbatim(text("AllowHeaders")?),
        expose_headers: Vec::new(),
        max_age,
        allow_credentials: text("AllowCredentials")?
            .is_some_and(|c| c.eq_ignore_ascii_case("true")),
    }))
}

/// SAM's header values are quoted (`"'*'"`): the quotes go, the value stays.
fn unquote(value: &str) -> String {
    let trimmed = value.trim();
    trimmed
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(trimmed)
        .to_owned()
}

/// SAM's `Cors` OPTIONS methods as MOCK routes, on the REST APIs whose `Auth` reaches them:
/// SAM adds the API's `DefaultAuthorizer` and `ApiKeyRequired` to every method of the document it
/// generates, the OPTIONS ones included unless `AddDefaultAuthorizerToCorsPreflight` /
/// `AddApiKeyRequiredToCorsPreflight` say false, so on AWS such a preflight is refused without a
/// token or key. As routes, they pass the gateway's guards; other APIs' preflights are answered
/// before routing, as a MOCK that needs nothing would be.
pub(crate) fn guarded_preflights(
    apis: &mut [crate::model::RestApi],
    auth: &mut crate::auth_model::AuthModel,
) {
    use crate::auth_model::{Authorizer, RouteAuth, RouteAuthorizer};
    use crate::model::{Integration, IntegrationResponse, Mapping, Route};
    for api in apis.iter_mut() {
        let (Some(cors), Some(api_auth)) = (&api.cors, auth.apis.get_mut(&api.logical_id)) else {
            continue;
        };
        let authorizer = match &api_auth.default_authorizer {
            Some(a @ (RouteAuthorizer::Named(_) | RouteAuthorizer::Iam))
                if api_auth.default_authorizer_on_preflight =>
            {
                a.clone()
            }
            _ => RouteAuthorizer::None,
        };
        let api_key_required = api_auth.default_api_key_required && api_auth.api_key_on_preflight;
        if authorizer == RouteAuthorizer::None && !api_key_required {
            continue;
        }
        let scopes = match &authorizer {
            RouteAuthorizer::Named(name) => match api_auth.authorizers.get(name) {
                Some(Authorizer::Cognito(c)) => c.scopes.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let mut paths: Vec<String> = Vec::new();
        for route in &api.routes {
            if !paths.contains(&route.path) {
                paths.push(route.path.clone());
            }
        }
        for path in paths {
            let methods: Vec<String> = api
                .routes
                .iter()
                .filter(|r| r.path == path)
                .map(|r| r.method.clone())
                .collect();
            // An OPTIONS method of the template's own stays (SAM leaves it alone).
            if methods.iter().any(|m| m == "OPTIONS") {
                continue;
            }
            let headers = cors
                .rest_preflight_headers(&methods)
                .into_iter()
                .map(|(name, value)| {
                    (
                        format!("method.response.header.{name}"),
                        format!("'{value}'"),
                    )
                })
                .collect();
            api.routes.push(Route {
                method: "OPTIONS".into(),
                path: path.clone(),
                function: String::new(),
                event_name: format!("Resources.{}.Properties.Cors", api.logical_id),
                integration: Integration::Mock(Mapping {
                    request_templates: BTreeMap::from([(
                        "application/json".to_owned(),
                        "{\n  \"statusCode\" : 200\n}\n".to_owned(),
                    )]),
                    passthrough: Default::default(),
                    responses: vec![IntegrationResponse {
                        selection_pattern: None,
                        status_code: 200,
                        response_templates: BTreeMap::from([(
                            "application/json".to_owned(),
                            "{}\n".to_owned(),
                        )]),
                        response_parameters: headers,
                        content_handling: Default::default(),
                    }],
                    request_parameters: BTreeMap::new(),
                    content_handling: Default::default(),
                }),
                validation: None,
                operation_name: None,
                streams: false,
                timeout_ms: None,
                cache_key_parameters: Vec::new(),
                tenant_id_parameter: None,
                qualifier: None,
            });
            api_auth.routes.push(RouteAuth {
                method: "OPTIONS".into(),
                path,
                authorizer: authorizer.clone(),
                scopes: scopes.clone(),
                api_key_required,
            });
        }
    }
}
