//! Reads authentication and traffic-control settings into an [`AuthModel`]: `Auth` of
//! `AWS::Serverless::Api` (and `Globals.Api`), per-event `Auth`, `MethodSettings`, Cognito user
//! pools and clients, and raw `AWS::ApiGateway::ApiKey` / `UsagePlan` / `UsagePlanKey` resources.
//!
//! Kept apart from `resources.rs` on purpose: it reads the same resources for a different job, and
//! an authorizer the gateway cannot enforce is recorded here as [`Authorizer::Unenforceable`] so
//! the route fails closed instead of opening.
//!
//! One reader per `Auth` form SAM accepts for REST APIs, kept together so the precedence between
//! them (event over API over `Globals`) reads in one place; raw CloudFormation methods are in
//! `raw`, REST APIs' own OpenAPI documents in `rest_openapi`, HTTP APIs in `http`.

mod http;
mod http_openapi;
mod named;
mod plan_stages;
mod raw;
mod rest_openapi;
mod route_settings;

pub(crate) use http::{build_http, HttpAuthInput};

use std::collections::BTreeMap;

use crate::auth_model::*;
use crate::auth_props::{authorizer_function, get_att_resource, ref_target, seq, Props};
use crate::error::TemplateError;
use crate::globals;
use crate::intrinsics::{intrinsic, join_path, Resolver};
use crate::yaml_tree::{Kind, Node};

/// SAM's name for the implicit API.
const IMPLICIT_API: &str = "ServerlessRestApi";
/// API Gateway's default authorizer result TTL.
const DEFAULT_TTL: u32 = 300;

/// Reads the whole template's auth settings, for the REST APIs and functions `built` has (the
/// implicit API included when it exists).
pub(crate) fn build(
    root: &Node,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    built: &crate::resources::Built,
    region: &str,
    template_dir: &std::path::Path,
    warnings: &mut Vec<String>,
) -> Result<AuthModel, TemplateError> {
    let global_api = root.get("Globals").and_then(|g| g.get("Api"));
    let mut model = AuthModel::default();
    let mut plan_keys: Vec<(String, String)> = Vec::new();
    let mut active: Vec<(&String, &Node, &str)> = Vec::new();
    for (id, resource) in resources {
        let Some(ty) = resource.get("Type").and_then(Node::as_str) else {
            continue;
        };
        if !resolver.resource_enabled(id, resource)? {
            continue;
        }
        active.push((id, resource, ty));
    }
    for &(id, resource, ty) in &active {
        let props = Props::of(resolver, resource, id);
        match ty {
            "AWS::Cognito::UserPool" => model.user_pools.push(UserPool {
                logical_id: id.clone(),
                pool_id: user_pool_id(region, id),
                clients: Vec::new(),
            }),
            "AWS::ApiGateway::ApiKey" => model.api_keys.push(ApiKey {
                logical_id: id.clone(),
                value: props.string("Value")?,
                enabled: props.boolean("Enabled")?.unwrap_or(false),
            }),
            "AWS::ApiGateway::UsagePlan" => {
                let stages = plan_stages::read(&props, warnings)?;
                model.usage_plans.push(UsagePlan {
                    logical_id: id.clone(),
                    apis: stages.apis,
                    throttle: throttle(&props.child("Throttle"), "RateLimit", "BurstLimit")?,
                    method_throttles: stages.method_throttles,
                    quota: quota(&props.child("Quota"))?,
                    keys: Vec::new(),
                });
            }
            "AWS::ApiGateway::UsagePlanKey" => {
                let key = props.node.get("KeyId").and_then(ref_target);
                let plan = props.node.get("UsagePlanId").and_then(ref_target);
                match (key, plan) {
                    (Some(key), Some(plan)) => plan_keys.push((plan.to_owned(), key.to_owned())),
                    _ => warnings.push(format!(
                        "Resources.{id}: KeyId and UsagePlanId must be !Ref to resources of this template (ignored)"
                    )),
                }
            }
            _ => {}
        }
    }
    // Clients after pools, whatever the template order.
    for &(id, resource, ty) in &active {
        if ty != "AWS::Cognito::UserPoolClient" {
            continue;
        }
        let props = Props::of(resolver, resource, id);
        let pool = props.node.get("UserPoolId").and_then(ref_target);
        match pool.and_then(|p| model.user_pools.iter_mut().find(|u| u.logical_id == p)) {
            Some(pool) => pool.clients.push(UserPoolClient {
                logical_id: id.clone(),
                client_id: user_pool_client_id(id),
            }),
            None => warnings.push(format!(
                "Resources.{id}.Properties.UserPoolId: not a !Ref to an AWS::Cognito::UserPool of this template (client ignored)"
            )),
        }
    }
    for (plan, key) in plan_keys {
        match model.usage_plans.iter_mut().find(|p| p.logical_id == plan) {
            Some(plan) => plan.keys.push(key),
            None => warnings.push(format!(
                "a UsagePlanKey names {plan}, which is not an AWS::ApiGateway::UsagePlan (ignored)"
            )),
        }
    }
    plan_stages::warn_unknown_methods(&model.usage_plans, &built.rest_apis, warnings);

    // APIs: their Auth and stage settings.
    let mut defaults: BTreeMap<String, ApiDefaults> = BTreeMap::new();
    for api_id in built.rest_apis.iter().map(|api| &api.logical_id) {
        let (properties, base) = if api_id == IMPLICIT_API {
            (
                globals::apply(global_api, None, root),
                "Globals.Api".to_owned(),
            )
        } else {
            let Some(resource) = active.iter().find(|(id, ..)| *id == api_id).map(|a| a.1) else {
                continue;
            };
            (
                globals::apply(global_api, resource.get("Properties"), resource),
                format!("Resources.{api_id}.Properties"),
            )
        };
        let props = Props {
            resolver,
            node: properties,
            path: base,
        };
        let (api, api_defaults) = api_auth(api_id, &props, &mut model, warnings)?;
        model.apis.insert(api_id.clone(), api);
        defaults.insert(api_id.clone(), api_defaults);
    }

    raw::raw_methods(&active, resolver, &built.functions, &mut model)?;
    raw::raw_stages(&active, resources, resolver, &mut model)?;
    let documented = rest_openapi::read(
        &active,
        root,
        resolver,
        template_dir,
        &built.functions,
        &mut model,
    )?;

    // Routes: every Api event, with its Auth combined with its API's defaults.
    for &(id, resource, ty) in &active {
        if ty != "AWS::Serverless::Function" {
            continue;
        }
        let Some(events) = resource
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Node::entries)
        else {
            continue;
        };
        for (name, event) in events {
            if event.get("Type").and_then(Node::as_str) != Some("Api") {
                continue;
            }
            let Some(event_props) = event.get("Properties") else {
                continue;
            };
            let props = Props {
                resolver,
                node: event_props.clone(),
                path: format!("Resources.{id}.Properties.Events.{name}.Properties"),
            };
            let api_id = match event_props.get("RestApiId") {
                Some(node) => match ref_target(node) {
                    Some(target) => target.to_owned(),
                    None => props.string("RestApiId")?.unwrap_or_default(),
                },
                None => IMPLICIT_API.to_owned(),
            };
            // SAM leaves an API's own document as written (and with it, the event's `Auth`)
            // unless MergeDefinitions is set.
            if documented.iter().any(|d| d.api == api_id && !d.merge) {
                continue;
            }
            let (Some(api), Some(api_defaults)) =
                (model.apis.get_mut(&api_id), defaults.get(&api_id))
            else {
                continue;
            };
            let (Some(path), Some(method)) = (props.string("Path")?, props.string("Method")?)
            else {
                continue;
            };
            let route = route_auth(&props, api, api_defaults, path, method.to_ascii_uppercase())?;
            api.routes.push(route);
        }
    }
    // The document's own guards, where a merged event's `Auth` has not replaced them.
    for document in documented {
        let Some(api) = model.apis.get_mut(&document.api) else {
            continue;
        };
        for route in document.routes {
            let merged = api.routes.iter().any(|r| {
                r.method == route.method && crate::openapi::same_shape(&r.path, &route.path)
            });
            if !merged {
                api.routes.push(route);
            }
        }
    }
    Ok(model)
}

/// What an API's `Auth` gives the routes that say nothing themselves.
struct ApiDefaults {
    authorizer: RouteAuthorizer,
    api_key_required: bool,
    /// Whether `Auth.DefaultAuthorizer` is written (SAM refuses an event's `NONE` otherwise).
    default_written: bool,
}

/// Reads one API's `Auth`, `MethodSettings`, `ApiKeySourceType` and `CacheClusterEnabled`.
fn api_auth(
    api_id: &str,
    props: &Props<'_, '_>,
    model: &mut AuthModel,
    warnings: &mut Vec<String>,
) -> Result<(ApiAuth, ApiDefaults), TemplateError> {
    let mut api = ApiAuth::default();
    let auth = props.child("Auth");
    if let Some(entries) = auth.node.get("Authorizers").and_then(Node::entries) {
        for (name, node) in entries {
            let authorizer = Props {
                resolver: props.resolver,
                node: node.clone(),
                path: join_path(&auth.path("Authorizers"), name),
            };
            api.authorizers
                .insert(name.clone(), read_authorizer(&authorizer, model)?);
        }
    }
    let default_name = auth.string("DefaultAuthorizer")?;
    let default_written = default_name.as_deref().is_some_and(|n| !n.is_empty());
    let authorizer = match default_name {
        None => RouteAuthorizer::None,
        // SAM's transform sets a DefaultAuthorizer only when the API has Authorizers (or it is
        // AWS_IAM); without any it drops the setting, and the API deploys with open routes.
        Some(name)
            if api.authorizers.is_empty() && !matches!(name.as_str(), "NONE" | "AWS_IAM") =>
        {
            warnings.push(format!(
                "{}: {name:?} names no authorizer and the API defines no Authorizers, so SAM drops it: its routes are open, as on AWS",
                auth.path("DefaultAuthorizer")
            ));
            RouteAuthorizer::None
        }
        Some(name) => named::authorizer(&auth, "DefaultAuthorizer", &name, &api, "API")?,
    };
    let api_key_required = auth.boolean("ApiKeyRequired")?.unwrap_or(false);
    let plan = auth.child("UsagePlan");
    if plan.node.entries().is_some() {
        match plan.string("CreateUsagePlan")?.as_deref() {
            Some("PER_API") => sam_usage_plan(
                model,
                &plan,
                api_id,
                &format!("{api_id}UsagePlan"),
                &format!("{api_id}ApiKey"),
            )?,
            Some("SHARED") => sam_usage_plan(
                model,
                &plan,
                api_id,
                "ServerlessUsagePlan",
                "ServerlessApiKey",
            )?,
            Some("NONE") | None => {}
            Some(other) => {
                return Err(plan.error(
                    "CreateUsagePlan",
                    format!("{other:?} is not PER_API, SHARED or NONE"),
                ))
            }
        }
    }
    api.method_settings = method_settings(props)?;
    api.api_key_from_authorizer =
        props.string("ApiKeySourceType")?.as_deref() == Some("AUTHORIZER");
    api.cache_cluster_enabled = props.boolean("CacheClusterEnabled")?.unwrap_or(false);
    api.default_authorizer = Some(authorizer.clone());
    api.default_api_key_required = api_key_required;
    api.default_authorizer_on_preflight = auth
        .boolean("AddDefaultAuthorizerToCorsPreflight")?
        .unwrap_or(true);
    api.api_key_on_preflight = auth
        .boolean("AddApiKeyRequiredToCorsPreflight")?
        .unwrap_or(true);
    Ok((
        api,
        ApiDefaults {
            authorizer,
            api_key_required,
            default_written,
        },
    ))
}

/// The plan and key SAM creates for `Auth.UsagePlan` (SHARED: one of each for every such API).
fn sam_usage_plan(
    model: &mut AuthModel,
    plan: &Props<'_, '_>,
    api_id: &str,
    plan_id: &str,
    key_id: &str,
) -> Result<(), TemplateError> {
    if !model.api_keys.iter().any(|k| k.logical_id == key_id) {
        model.api_keys.push(ApiKey {
            logical_id: key_id.to_owned(),
            value: None,
            enabled: true,
        });
    }
    let throttle = throttle(&plan.child("Throttle"), "RateLimit", "BurstLimit")?;
    let quota = quota(&plan.child("Quota"))?;
    match model
        .usage_plans
        .iter_mut()
        .find(|p| p.logical_id == plan_id)
    {
        Some(existing) => existing.apis.push(api_id.to_owned()),
        None => model.usage_plans.push(UsagePlan {
            logical_id: plan_id.to_owned(),
            apis: vec![api_id.to_owned()],
            throttle,
            // SAM's `Auth.UsagePlan` has no per-method limits.
            method_throttles: Vec::new(),
            quota,
            keys: vec![key_id.to_owned()],
        }),
    }
    Ok(())
}

/// One entry of `Auth.Authorizers`: Cognito when it names `UserPoolArn`, Lambda when it names
/// `FunctionArn`; anything else cannot be enforced.
fn read_authorizer(props: &Props<'_, '_>, model: &AuthModel) -> Result<Authorizer, TemplateError> {
    let identity = props.child("Identity");
    let ttl = identity.number("ReauthorizeEvery")?.unwrap_or(DEFAULT_TTL);
    if ttl > 3600 {
        return Err(identity.error("ReauthorizeEvery", format!("{ttl} is over 3600 seconds")));
    }
    if let Some(scopes) = props.node.get("AuthorizationScopes") {
        if !scopes.is_null() && seq(scopes).is_none() {
            return Err(props.error(
                "AuthorizationScopes",
                format!(
                    "expected a list, found {}; SAM refuses the template",
                    scopes.shape()
                ),
            ));
        }
    }
    if props.node.get("UserPoolArn").is_some() {
        let pools = user_pools(props, "UserPoolArn", &model.user_pools)?;
        return Ok(Authorizer::Cognito(CognitoAuthorizer {
            pools,
            header: identity
                .string("Header")?
                .unwrap_or_else(|| "Authorization".into()),
            validation_expression: validation_expression(identity.string("ValidationExpression")?),
            ttl_secs: ttl,
            scopes: props.string_list("AuthorizationScopes")?,
        }));
    }
    // `arn:aws:lambda:region:account:function:NAME[:qualifier]` → NAME.
    let name_of = |arn: &str| {
        arn.split(":function:")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .unwrap_or(arn)
            .to_owned()
    };
    let Some((function, qualifier)) = authorizer_function(props, name_of)? else {
        return Ok(Authorizer::Unenforceable(format!(
            "{}: an authorizer needs UserPoolArn (Cognito) or FunctionArn (Lambda)",
            props.path
        )));
    };
    let payload = match props.string("FunctionPayloadType")?.as_deref() {
        None | Some("TOKEN") => LambdaPayload::Token {
            header: identity
                .string("Header")?
                .unwrap_or_else(|| "Authorization".into()),
            validation_expression: validation_expression(identity.string("ValidationExpression")?),
        },
        Some("REQUEST") => {
            if missing_identity_source(&identity)? {
                // SAM's transform refuses it (`… Authorizer must specify Identity …`), so such
                // a template never deploys.
                let name = props.path.rsplit('.').next().unwrap_or_default();
                return Err(identity.resolver.error(
                    props.node.get("Identity").unwrap_or(&props.node),
                    &props.path("Identity"),
                    format!(
                        "{name} Authorizer must specify Identity with at least one of Headers, QueryStrings, StageVariables, or Context; SAM refuses the template"
                    ),
                ));
            }
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
            LambdaPayload::Request { identity: sources }
        }
        Some(other) => {
            return Err(props.error(
                "FunctionPayloadType",
                format!("{other:?} is not TOKEN or REQUEST"),
            ))
        }
    };
    Ok(Authorizer::Lambda(LambdaAuthorizer {
        function,
        qualifier,
        payload,
        ttl_secs: ttl,
        http: None,
    }))
}

/// SAM's test for a REQUEST authorizer that names no identity source: no `Identity`, or one with
/// none of `Headers`, `QueryStrings`, `StageVariables`, `Context` while caching is on (a
/// `ReauthorizeEvery` that is not 0).
fn missing_identity_source(identity: &Props<'_, '_>) -> Result<bool, TemplateError> {
    let given = |key: &str| {
        identity.node.get(key).is_some_and(|n| {
            !n.is_null()
                && n.as_str() != Some("")
                && !matches!(&n.kind, Kind::Seq(items) if items.is_empty())
        })
    };
    if identity.node.is_null() || identity.node.entries().is_none_or(|e| e.is_empty()) {
        return Ok(true);
    }
    let none = !["Headers", "QueryStrings", "StageVariables", "Context"]
        .into_iter()
        .any(given);
    // SAM reads the TTL only when it is a whole number; anything else keeps the plain test.
    let ttl = identity
        .string("ReauthorizeEvery")
        .ok()
        .flatten()
        .and_then(|t| t.trim().parse::<i64>().ok());
    Ok(none && ttl.is_none_or(|t| t > 0))
}

/// The user pools `props.key` names (one ARN or a list): pools of this template where the ARN is
/// a `!GetAtt` of one or ends with its id, else by ARN.
fn user_pools(
    props: &Props<'_, '_>,
    key: &str,
    known: &[UserPool],
) -> Result<Vec<PoolRef>, TemplateError> {
    let Some(arn) = props.node.get(key) else {
        return Ok(Vec::new());
    };
    let nodes: Vec<Node> = match seq(arn) {
        Some(items) => items.to_vec(),
        None => vec![arn.clone()],
    };
    let mut pools = Vec::new();
    for node in nodes {
        if let Some(("Fn::GetAtt", target)) = intrinsic(&node) {
            let id = get_att_resource(target);
            if let Some(id) = id.filter(|id| known.iter().any(|p| p.logical_id == *id)) {
                pools.push(PoolRef::Local(id));
                continue;
            }
        }
        let text = props
            .resolver
            .eval_string(&node, &props.path(key))?
            .unwrap_or_default();
        let local = known
            .iter()
            .find(|p| text.ends_with(&format!("userpool/{}", p.pool_id)));
        pools.push(match local {
            Some(pool) => PoolRef::Local(pool.logical_id.clone()),
            None => PoolRef::Arn(text),
        });
    }
    Ok(pools)
}

/// One route's guard: the event's `Auth` over the API's defaults.
fn route_auth(
    event: &Props<'_, '_>,
    api: &ApiAuth,
    defaults: &ApiDefaults,
    path: String,
    method: String,
) -> Result<RouteAuth, TemplateError> {
    let auth = event.child("Auth");
    let authorizer = match auth.string("Authorizer")? {
        Some(name) if name == "NONE" && !defaults.default_written => {
            return Err(named::none_without_default(&auth, "API"))
        }
        Some(name) => named::authorizer(&auth, "Authorizer", &name, api, "API")?,
        None => defaults.authorizer.clone(),
    };
    let route_scopes = auth.string_list("AuthorizationScopes")?;
    let scopes = if !route_scopes.is_empty() {
        route_scopes
    } else if let RouteAuthorizer::Named(name) = &authorizer {
        match api.authorizers.get(name) {
            Some(Authorizer::Cognito(c)) => c.scopes.clone(),
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    Ok(RouteAuth {
        method,
        path,
        authorizer,
        scopes,
        api_key_required: auth
            .boolean("ApiKeyRequired")?
            .unwrap_or(defaults.api_key_required),
    })
}

/// `ResourcePath` of a method setting: `/*` for all, else `/` then the path with its own `/`
/// written `~1` (`/~1items~1{id}` is `/items/{id}`).
/// `MethodSettings` of a stage (SAM's `AWS::Serverless::Api`, or `AWS::ApiGateway::Stage`).
fn method_settings(props: &Props<'_, '_>) -> Result<Vec<MethodSetting>, TemplateError> {
    let mut out = Vec::new();
    if let Some(settings) = props.node.get("MethodSettings").and_then(seq) {
        for (i, setting) in settings.iter().enumerate() {
            let setting = Props {
                resolver: props.resolver,
                node: setting.clone(),
                path: format!("{}[{i}]", props.path("MethodSettings")),
            };
            out.push(MethodSetting {
                resource_path: method_setting_path(
                    &setting
                        .string("ResourcePath")?
                        .unwrap_or_else(|| "/*".into()),
                ),
                http_method: setting.string("HttpMethod")?.unwrap_or_else(|| "*".into()),
                rate_limit: setting.float("ThrottlingRateLimit")?,
                burst_limit: setting.number("ThrottlingBurstLimit")?,
                caching_enabled: setting.boolean("CachingEnabled")?,
                cache_ttl_secs: setting.number("CacheTtlInSeconds")?,
                logging_level: logging_level(&setting)?,
                data_trace_enabled: setting.boolean("DataTraceEnabled")?,
            });
        }
    }
    Ok(out)
}

/// `LoggingLevel` of a method setting or a `StageDescription`. CloudFormation: "Valid values are
/// `OFF`, `ERROR`, and `INFO`"; they are read in any case, as the console's own lower-case
/// spellings reach templates.
pub(super) fn logging_level(props: &Props<'_, '_>) -> Result<Option<LoggingLevel>, TemplateError> {
    let Some(level) = props.string("LoggingLevel")? else {
        return Ok(None);
    };
    match level.to_ascii_uppercase().as_str() {
        "OFF" => Ok(Some(LoggingLevel::Off)),
        "ERROR" => Ok(Some(LoggingLevel::Error)),
        "INFO" => Ok(Some(LoggingLevel::Info)),
        _ => Err(props.error_hint(
            "LoggingLevel",
            format!("{level:?} is not a logging level"),
            "use INFO (every request), ERROR (failed requests) or OFF".into(),
        )),
    }
}

fn method_setting_path(raw: &str) -> String {
    if raw == "/*" {
        return raw.to_owned();
    }
    let decoded = raw.strip_prefix('/').unwrap_or(raw).replace("~1", "/");
    if decoded.starts_with('/') {
        decoded
    } else {
        format!("/{decoded}")
    }
}

/// `Throttle` of a usage plan.
fn throttle(
    props: &Props<'_, '_>,
    rate: &str,
    burst: &str,
) -> Result<Option<Throttle>, TemplateError> {
    let (rate_limit, burst_limit) = (props.float(rate)?, props.number(burst)?);
    if rate_limit.is_none() && burst_limit.is_none() {
        return Ok(None);
    }
    let rate_limit = rate_limit.unwrap_or(0.0);
    Ok(Some(Throttle {
        rate_limit,
        // AWS: a plan with only a rate gets a burst equal to the rate.
        burst_limit: burst_limit.unwrap_or(rate_limit.ceil() as u32),
    }))
}

/// `Quota` of a usage plan.
fn quota(props: &Props<'_, '_>) -> Result<Option<Quota>, TemplateError> {
    let Some(limit) = props.number("Limit")? else {
        return Ok(None);
    };
    let period = match props.string("Period")?.as_deref() {
        Some("DAY") => QuotaPeriod::Day,
        Some("WEEK") => QuotaPeriod::Week,
        Some("MONTH") | None => QuotaPeriod::Month,
        Some(other) => {
            return Err(props.error("Period", format!("{other:?} is not DAY, WEEK or MONTH")))
        }
    };
    let offset = props.number("Offset")?.unwrap_or(0);
    let max = match period {
        QuotaPeriod::Day => 0,
        QuotaPeriod::Week => 6,
        QuotaPeriod::Month => 27,
    };
    if offset > max {
        return Err(props.error("Offset", format!("{offset} is over {max} for this period")));
    }
    Ok(Some(Quota {
        limit: u64::from(limit),
        period,
        offset,
    }))
}

/// A token authorizer's validation expression; an empty one validates nothing, as when it is unset
/// (a template parameter that defaults to `""` is the usual way to make it optional).
pub(crate) fn validation_expression(expression: Option<String>) -> Option<String> {
    expression.filter(|e| !e.is_empty())
}
