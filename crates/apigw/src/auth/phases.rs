//! The guard phases of the request side, in API Gateway's order: authorize → API key → throttle.
//! Each reads the exchange, records what it decided on it, and either passes or ends the request
//! with a [`GatewayError`].

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use sluice_aws_env::AwsEnv;
use sluice_template::auth_model::{IdentitySource, LambdaPayload, Throttle, UsagePlan};

use super::jwt::{has_any_scope, JwtError};
use super::limits::{period_start, Admission, QuotaCounter, TokenBucket};
use super::policy::{AuthorizerAnswer, Decision};
use super::{identity_values, Check, Guards, RouteGuard};
use crate::api::Api;
use crate::dialect::Dialect;
use crate::exchange::{Exchange, LambdaCall, PhaseFacts};
use crate::gateway_error::GatewayError;
use crate::integration::{Invoke, InvokeError};
use crate::request_event;
use crate::route_table::RouteMatch;

/// What the authorize phase needs besides the exchange.
pub(crate) struct AuthorizeContext<'a> {
    /// Where authorizer functions are invoked (the integration's own interface).
    pub invoker: &'a dyn Invoke,
    /// Region and account, for the method ARN.
    pub aws: &'a AwsEnv,
    /// The matched API.
    pub api: &'a Api,
    /// The matched route.
    pub route: &'a RouteMatch,
    /// How long an authorizer function may take.
    pub timeout: Duration,
}

/// Phase authorize: the route's authorizer decides; its result goes to `ex.authorizer`, and how
/// it went to `ex.auth` (the authorizer phase, and a Lambda authorizer's policy evaluation).
pub(crate) async fn authorize(
    guard: &RouteGuard,
    guards: &Guards,
    ex: &mut Exchange,
    cx: AuthorizeContext<'_>,
) -> Result<(), GatewayError> {
    ex.decided_by.clone_from(&guard.authorizer_name);
    let started = Instant::now();
    let result = run_authorizer(guard, guards, ex, cx).await;
    if matches!(
        guard.check,
        Check::Lambda { .. } | Check::Jwt { .. } | Check::Cognito { .. }
    ) {
        // A REST API evaluates a Lambda authorizer's answer after the authorizer phase: a refusal
        // there (its policy denies) is the authorize phase's, not the authorizer's. HTTP APIs
        // document no authorize phase: their authorizer's status is the refusal's.
        let authorizer_result = match ex.auth.authorize {
            Some(_) if ex.dialect == Dialect::Rest => Ok(()),
            _ => result.as_ref().map(|_| ()),
        };
        ex.auth.authorizer = Some(phase_end(ex, authorizer_result, started));
    }
    result
}

/// How a phase that began at `started` ended: 200 when it passed, else its error's status.
pub(crate) fn phase_end(
    ex: &Exchange,
    result: Result<(), &GatewayError>,
    started: Instant,
) -> PhaseFacts {
    PhaseFacts {
        status: match result {
            Ok(()) => 200,
            Err(error) => error.status(ex.dialect).as_u16(),
        },
        latency: started.elapsed(),
    }
}

/// A Lambda authorizer's policy, evaluated for the method: the authorize phase, recorded.
pub(super) fn authorize_policy(
    answer: &AuthorizerAnswer,
    method_arn: &str,
    ex: &mut Exchange,
) -> Result<(), GatewayError> {
    let started = Instant::now();
    let result = match answer.decide(method_arn) {
        Decision::Allow => Ok(()),
        Decision::ExplicitDeny => Err(GatewayError::AuthorizerDenied),
        Decision::ImplicitDeny => Err(GatewayError::AuthorizerImplicitDeny),
    };
    ex.auth.authorize = Some(phase_end(ex, result.as_ref().map(|_| ()), started));
    result
}

/// The authorizer of `guard` at work (see [`authorize`]).
async fn run_authorizer(
    guard: &RouteGuard,
    guards: &Guards,
    ex: &mut Exchange,
    cx: AuthorizeContext<'_>,
) -> Result<(), GatewayError> {
    match &guard.check {
        // Checked by the IAM phase, once the body (whose hash is signed) has been read.
        Check::Open | Check::Skipped | Check::Iam => Ok(()),
        Check::Unenforceable(why) => Err(GatewayError::Unenforceable(why.clone())),
        Check::Cognito {
            validators,
            header,
            validation,
            scopes,
        } => {
            let token = ex.header(header).filter(|t| !t.is_empty()).ok_or_else(|| {
                GatewayError::Unauthorized("no token in the identity header".into())
            })?;
            if validation.as_ref().is_some_and(|re| !re.is_match(&token)) {
                return Err(GatewayError::Unauthorized(
                    "token fails ValidationExpression".into(),
                ));
            }
            // AWS documents the raw token; a `Bearer ` prefix is accepted too, as clients send it.
            let token = token.strip_prefix("Bearer ").unwrap_or(&token);
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let mut last = JwtError::Issuer;
            let mut valid = None;
            for validator in validators {
                match validator.validate_fetching(token, now).await {
                    Ok(v) => {
                        valid = Some(v);
                        break;
                    }
                    Err(e) => last = e,
                }
            }
            let valid = valid.ok_or_else(|| GatewayError::Unauthorized(last.to_string()))?;
            // `cached` in the access line: the signature was verified on an earlier request.
            ex.authorizer_cache_hit = Some(valid.signature_cached);
            let claims = valid.claims;
            // AWS: without scopes the method expects an id token; with scopes, an access token
            // granting one of them.
            let token_use = claims.get("token_use").and_then(Value::as_str);
            let accepted = if scopes.is_empty() {
                token_use == Some("id")
            } else {
                token_use == Some("access") && has_any_scope(&claims, scopes)
            };
            if !accepted {
                return Err(GatewayError::Unauthorized(
                    "token_use or scopes do not fit the method".into(),
                ));
            }
            ex.authorizer = Some(json!({ "claims": rest_claims(&claims) }));
            Ok(())
        }
        Check::Jwt {
            validator,
            identity,
            scopes,
        } => super::http_authorizer::jwt(validator, identity, scopes, ex).await,
        Check::Lambda {
            function,
            payload: LambdaPayload::Request { identity },
            ttl,
            http: Some(format),
            ..
        } => {
            let authorizer = super::http_authorizer::HttpLambda {
                function,
                identity,
                ttl: *ttl,
                format: *format,
                name: guard.authorizer_name.as_deref().unwrap_or_default(),
            };
            super::http_authorizer::lambda(authorizer, guards, ex, cx).await
        }
        Check::Lambda {
            function,
            payload,
            validation,
            ttl,
            ..
        } => {
            let method_arn = method_arn(cx.aws, cx.api, &ex.method, &ex.raw_path);
            let identity = match payload {
                LambdaPayload::Token { header, .. } => {
                    let token = ex
                        .header(&header.to_ascii_lowercase())
                        .filter(|t| !t.is_empty())
                        .ok_or_else(|| GatewayError::Unauthorized("no token".into()))?;
                    if validation.as_ref().is_some_and(|re| !re.is_match(&token)) {
                        return Err(GatewayError::Unauthorized(
                            "token fails ValidationExpression".into(),
                        ));
                    }
                    vec![token]
                }
                LambdaPayload::Request { identity } => request_identity(identity, ex, cx.api)
                    .ok_or_else(|| {
                        GatewayError::Unauthorized("an identity source is missing".into())
                    })?,
            };
            let cache_key = format!(
                "{}\u{0}{}\u{0}{}",
                cx.api.logical_id,
                guard.authorizer_name.as_deref().unwrap_or_default(),
                identity.join("\u{0}")
            );
            let started = Instant::now();
            let cached = (!ttl.is_zero())
                .then(|| guards.state.authorizer_cache.get(&cache_key))
                .flatten();
            ex.authorizer_cache_hit = Some(cached.is_some());
            let answer = match cached {
                Some(answer) => answer,
                None => {
                    let event = match payload {
                        LambdaPayload::Token { .. } => json!({
                            "type": "TOKEN",
                            "methodArn": method_arn,
                            "authorizationToken": identity.first().cloned().unwrap_or_default(),
                        }),
                        LambdaPayload::Request { .. } => request_payload(ex, &cx, &method_arn)?,
                    };
                    let bytes = serde_json::to_vec(&event).map_err(|e| {
                        GatewayError::Internal(format!("authorizer event serialization: {e}"))
                    })?;
                    let answer = invoke_authorizer(
                        cx.invoker,
                        function,
                        bytes,
                        cx.timeout,
                        AuthorizerAnswer::parse,
                        &mut ex.auth.authorizer_call,
                    )
                    .await?;
                    let answer = Arc::new(answer);
                    if !ttl.is_zero() {
                        guards
                            .state
                            .authorizer_cache
                            .put(cache_key, answer.clone(), *ttl);
                    }
                    answer
                }
            };
            authorize_policy(&answer, &method_arn, ex)?;
            let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            // AWS reports 0 when the answer came from the cache.
            let latency = if ex.authorizer_cache_hit == Some(true) {
                0
            } else {
                latency
            };
            ex.authorizer = Some(answer.request_context(latency));
            ex.usage_identifier_key
                .clone_from(&answer.usage_identifier_key);
            Ok(())
        }
    }
}

/// Invokes the authorizer function and parses its answer with `parse`; every failure is AWS's 401
/// or 500. An invocation Lambda answered (a function error too) goes to `call`, under the request
/// id the gateway chose for it (`$context.authorizer.requestId`).
pub(super) async fn invoke_authorizer(
    invoker: &dyn Invoke,
    function: &str,
    event: Vec<u8>,
    timeout: Duration,
    parse: fn(&[u8]) -> Result<AuthorizerAnswer, super::policy::BadPolicy>,
    call: &mut Option<LambdaCall>,
) -> Result<AuthorizerAnswer, GatewayError> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let started = Instant::now();
    let invocation = invoker.invoke(function, event.into(), Some(&request_id));
    let answer = tokio::time::timeout(timeout, invocation).await;
    if let Ok(Ok(_) | Err(InvokeError::Function { .. })) = &answer {
        *call = Some(LambdaCall {
            request_id,
            latency: started.elapsed(),
        });
    }
    match answer {
        Err(_) => Err(GatewayError::AuthorizerFailed(
            "the authorizer timed out".into(),
        )),
        Ok(Err(InvokeError::Function { payload })) => {
            // AWS: an authorizer failing with the message "Unauthorized" means 401.
            let message = serde_json::from_slice::<Value>(&payload)
                .ok()
                .and_then(|v| {
                    v.get("errorMessage")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
            if message.as_deref() == Some("Unauthorized") {
                Err(GatewayError::Unauthorized(
                    "the authorizer said Unauthorized".into(),
                ))
            } else {
                Err(GatewayError::AuthorizerFailed(format!(
                    "the authorizer failed: {}",
                    String::from_utf8_lossy(&payload)
                )))
            }
        }
        Ok(Err(InvokeError::Rejected {
            error_type,
            message,
        })) => Err(GatewayError::AuthorizerFailed(format!(
            "the authorizer could not be invoked: {error_type}: {message}"
        ))),
        Ok(Ok(payload)) => {
            parse(&payload).map_err(|e| GatewayError::AuthorizerFailed(e.to_string()))
        }
    }
}

/// Phase API key: a route that requires one accepts only a known, enabled key (the header, or the
/// authorizer's `usageIdentifierKey`) in a usage plan of this API, else 403; the plan's limits
/// and quota apply in the throttle phase, beside the stage's and the account's.
pub(crate) fn api_key<'g>(
    guard: &RouteGuard,
    guards: &'g Guards,
    ex: &mut Exchange,
    api: &str,
) -> Result<Option<PlanUse<'g>>, GatewayError> {
    if !guard.api_key_required {
        return Ok(None);
    }
    let value = if guards.key_from_authorizer.iter().any(|a| a == api) {
        ex.usage_identifier_key.clone()
    } else {
        ex.header("x-api-key")
    };
    let key = value
        .as_deref()
        .and_then(|v| guards.keys.get(v))
        .filter(|k| k.enabled)
        .ok_or(GatewayError::ApiKeyRejected)?;
    let plan = guards
        .plans
        .iter()
        .find(|p| p.apis.iter().any(|a| a == api) && p.keys.contains(&key.id))
        .ok_or(GatewayError::ApiKeyRejected)?;
    ex.api_key_id = Some(key.id.clone());
    ex.api_key = value;
    Ok(Some(PlanUse { plan, key: &key.id }))
}

/// A usage plan a request's API key put it under, for the throttle phase.
pub(crate) struct PlanUse<'g> {
    /// The plan.
    plan: &'g UsagePlan,
    /// The key's logical id.
    key: &'g str,
}

/// Phase throttle: every limit that applies to the request, in AWS's order ("API Gateway
/// throttling-related settings are applied in the following order": a usage plan's per-method
/// limit for the key, the plan's own limit for the key, the stage's method limit, the account's;
/// developer guide, "Throttle requests to your REST APIs"), then the plan's quota, decided at once:
/// a request one of them refuses spends no token of the others and is not counted in the quota
/// (the quota counts the requests the throttles served).
pub(crate) async fn throttle(
    guard: Option<&RouteGuard>,
    guards: &Guards,
    ex: &mut Exchange,
    plan: Option<PlanUse<'_>>,
    (api, method, resource): (&str, &str, &str),
) -> Result<(), GatewayError> {
    // Each limit: its bucket's key, what it is (to name it when it refuses), its rate and burst.
    let mut layers: Vec<(Cow<'static, str>, Layer, Throttle)> = Vec::with_capacity(4);
    if let Some(PlanUse { plan, key }) = &plan {
        let id = &plan.logical_id;
        // The plan's limit of this method, for this key, on top of the plan's own.
        let method_limit = plan.method_throttles.iter().find(|t| {
            t.api == api
                && t.resource_path == resource
                && t.http_method.eq_ignore_ascii_case(method)
        });
        if let Some(limit) = method_limit {
            let bucket = format!("plan/{id}/{key}/{api}/{method} {resource}");
            layers.push((bucket.into(), Layer::PlanMethod, limit.throttle));
        }
        if let Some(throttle) = plan.throttle {
            layers.push((format!("plan/{id}/{key}").into(), Layer::Plan, throttle));
        }
    }
    if let Some((limit, level)) = guard.and_then(|g| g.throttle) {
        // Every method (REST) or route (HTTP API) has a bucket of its own, a stage-wide limit
        // too. AWS ("Throttle requests to your REST APIs", How throttling limit settings are
        // applied): "Per-API, per-stage throttling limits are applied at the API method level
        // for a stage"; the console calls the stage's setting "Default method throttling".
        let kind = if level == "route" { "route" } else { "method" };
        let bucket = format!("{kind}/{api}/{method} {resource}");
        layers.push((bucket.into(), Layer::Stage(level), limit));
    }
    layers.push(("account".into(), Layer::Account, guards.account));
    let buckets: Vec<TokenBucket<'_>> = layers
        .iter()
        .map(|(key, _, limit)| TokenBucket {
            key,
            rate: limit.rate_limit,
            burst: limit.burst_limit,
        })
        .collect();
    let quota = plan.as_ref().and_then(|PlanUse { plan, key }| {
        let quota = plan.quota?;
        Some((
            format!("quota/{}/{key}", plan.logical_id),
            period_start(&quota, ex.received_at),
            quota.limit,
        ))
    });
    let counter = quota.as_ref().map(|(key, start, limit)| QuotaCounter {
        key,
        period_start: *start,
        limit: *limit,
    });
    let admission = guards
        .state
        .limits
        .admit(&buckets, counter)
        .await
        .map_err(|e| GatewayError::Internal(e.to_string()))?;
    // Named only when one refuses: most requests pass.
    let (plan_id, key) = plan
        .as_ref()
        .map_or(("", ""), |p| (p.plan.logical_id.as_str(), p.key));
    match admission {
        Admission::Admitted => Ok(()),
        Admission::Throttled(index) => {
            ex.throttled_by = layers.get(index).map(|(_, layer, _)| match layer {
                Layer::PlanMethod => format!("usage plan {plan_id} key {key} {method} {resource}"),
                Layer::Plan => format!("usage plan {plan_id} key {key}"),
                Layer::Stage(level) => format!("{level} {method} {resource}"),
                Layer::Account => "account".to_owned(),
            });
            Err(GatewayError::Throttled)
        }
        Admission::QuotaExceeded => {
            ex.throttled_by = Some(format!("quota {plan_id} key {key}"));
            Err(GatewayError::QuotaExceeded)
        }
    }
}

/// Which limit a throttle bucket is.
#[derive(Debug, Clone, Copy)]
enum Layer {
    /// A usage plan's limit of one method (`ApiStages[].Throttle`) for the key.
    PlanMethod,
    /// A usage plan's own limit for the key.
    Plan,
    /// The stage's limit of the method or route, at this level (`method`, `stage`, `route`…).
    Stage(&'static str),
    /// The account's.
    Account,
}

/// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`, with the request's path.
// AWS puts the request's path values in it (`GET/foo/1234` on `/foo/{id}`: serverless-offline#273,
// aws-sam-cli#5104) and the root is `GET/` (chalice#1552). Whether a trailing slash (`/people/`
// on `/people`) is kept is not recorded anywhere we found; Sluice keeps the request path as sent.
pub(super) fn method_arn(aws: &AwsEnv, api: &Api, method: &str, raw_path: &str) -> String {
    aws.arn(
        "execute-api",
        &format!(
            "{}/{}/{}/{}",
            api.stage.api_id,
            api.stage.stage,
            method,
            raw_path.trim_start_matches('/')
        ),
    )
}

/// The identity source values of a REQUEST authorizer, `None` when one is missing.
fn request_identity(sources: &[IdentitySource], ex: &Exchange, api: &Api) -> Option<Vec<String>> {
    let query = ex.query.clone().unwrap_or_default();
    identity_values(
        sources,
        |name| ex.header(&name.to_ascii_lowercase()),
        |name| {
            query.split('&').rev().find_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k == name).then(|| v.to_owned())
            })
        },
        |name| api.stage.stage_variables.get(name).cloned(),
        |name| match name {
            "httpMethod" => Some(ex.method.clone()),
            "path" => Some(ex.raw_path.clone()),
            "stage" => Some(api.stage.stage.clone()),
            "requestId" => Some(ex.request_id.clone()),
            "identity.sourceIp" => Some(ex.remote.ip().to_canonical().to_string()),
            "identity.userAgent" => ex.header("user-agent"),
            _ => None,
        },
    )
}

/// The REQUEST authorizer's input: the proxy event's request fields, without the body.
fn request_payload(
    ex: &Exchange,
    cx: &AuthorizeContext<'_>,
    method_arn: &str,
) -> Result<Value, GatewayError> {
    let event = request_event::build(ex, cx.route, &cx.api.stage, &cx.api.logical_id, cx.aws);
    let event = serde_json::to_value(&event)
        .map_err(|e| GatewayError::Internal(format!("authorizer event serialization: {e}")))?;
    let mut out = Map::new();
    out.insert("type".into(), json!("REQUEST"));
    out.insert("methodArn".into(), json!(method_arn));
    for key in [
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
    ] {
        out.insert(key.into(), event.get(key).cloned().unwrap_or(Value::Null));
    }
    // AWS's REQUEST authorizer events carry `"pathParameters": {}` on a route without any
    // (aws-lambda-go's and Powertools' captured samples), where the proxy event has null.
    if out.get("pathParameters").is_some_and(Value::is_null) {
        out.insert("pathParameters".into(), json!({}));
    }
    Ok(Value::Object(out))
}

/// Claims as a REST API's Cognito authorizer passes them: every value a string; `exp` and `iat` in
/// Java's date format (`Tue Apr 04 18:39:39 UTC 2023`), as recorded from AWS.
fn rest_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    let java_date = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
    );
    claims
        .iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) if key == "exp" || key == "iat" => n
                    .as_i64()
                    .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                    .and_then(|t| t.format(java_date).ok())
                    .unwrap_or_else(|| n.to_string()),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                // AWS flattens a list (`cognito:groups`) to its items joined by commas
                // (not verified against a live API for several groups).
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            (key.clone(), Value::String(text))
        })
        .collect()
}

/// Phase IAM (after the body is read): the SigV4 signature must verify against a known key; the
/// caller then goes to `requestContext.identity`.
pub(crate) fn iam(
    guard: &RouteGuard,
    guards: &Guards,
    ex: &mut Exchange,
    aws: &AwsEnv,
) -> Result<(), GatewayError> {
    if !matches!(guard.check, Check::Iam) {
        return Ok(());
    }
    let started = Instant::now();
    let result = sigv4_caller(guards, ex, aws);
    // The authenticate phase: "the credentials of the signed request are verified".
    ex.auth.authenticate = Some(phase_end(ex, result.as_ref().map(|_| ()), started));
    result
}

/// The SigV4 signature of the request must verify against a known key: an `AWS_IAM` route's, or
/// an `AWS_IAM` Function URL's (signed for `lambda` rather than `execute-api`). Records the caller.
pub(crate) fn sigv4_caller(
    guards: &Guards,
    ex: &mut Exchange,
    aws: &AwsEnv,
) -> Result<(), GatewayError> {
    let request = super::sigv4::SignedRequest {
        method: &ex.method,
        raw_path: &ex.raw_path,
        query: ex.query.as_deref(),
        headers: &ex.headers,
        body: &ex.body,
    };
    let credential = guards
        .sigv4
        .verify(&request, time::OffsetDateTime::now_utc())
        .map_err(GatewayError::Iam)?;
    ex.iam_caller = Some((credential.access_key_id.clone(), credential.profile.clone()));
    // Payload 2.0 (HTTP API, Function URL) puts the caller under `requestContext.authorizer.iam`
    // (1.0 and REST: in `requestContext.identity`). Sluice has no IAM principals: the access key
    // stands in for ids.
    if matches!(
        ex.dialect,
        crate::dialect::Dialect::HttpApi(sluice_template::PayloadFormat::V2)
            | crate::dialect::Dialect::FunctionUrl
    ) {
        ex.authorizer = Some(json!({
            "iam": {
                "accessKey": credential.access_key_id,
                "accountId": aws.account_id,
                "callerId": credential.access_key_id,
                "cognitoIdentity": null,
                "principalOrgId": null,
                "userArn": format!("arn:{}:iam::{}:user/{}", aws.partition, aws.account_id, credential.profile),
                "userId": credential.access_key_id,
            }
        }));
    }
    Ok(())
}
