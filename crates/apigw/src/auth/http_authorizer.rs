//! HTTP API authorizers at request time: the JWT authorizer (the token from its identity source,
//! claims as HTTP APIs pass them) and the Lambda authorizer (payload 1.0 or 2.0 request, simple or
//! IAM-policy answer, cached by its identity sources). The JWT validator, the policy evaluation
//! and the result cache are the REST authorizers' own.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use sluice_template::auth_model::{HttpLambdaFormat, IdentitySource};
use sluice_template::PayloadFormat;

use super::jwt::{has_any_scope, JwtError, JwtValidator};
use super::phases::{authorize_policy, invoke_authorizer, method_arn, AuthorizeContext};
use super::policy::AuthorizerAnswer;
use super::Guards;
use crate::dialect::Dialect;
use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;
use crate::http_api_event;

/// The JWT authorizer: a valid token granting one of `scopes` (when any) passes; its claims go
/// to `requestContext.authorizer`.
pub(crate) async fn jwt(
    validator: &JwtValidator,
    identity: &IdentitySource,
    scopes: &[String],
    ex: &mut Exchange,
) -> Result<(), GatewayError> {
    let token = source_value(identity, ex, None)
        .ok_or_else(|| GatewayError::Unauthorized("no token in the identity source".into()))?;
    // AWS: the identity source holds the token, optionally after `Bearer `.
    let token = token.strip_prefix("Bearer ").unwrap_or(&token);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let valid = validator
        .validate_fetching(token, now)
        .await
        .map_err(|e| GatewayError::JwtRejected(description(&e)))?;
    // `cached` in the access line: the signature was verified on an earlier request.
    ex.authorizer_cache_hit = Some(valid.signature_cached);
    let claims = valid.claims;
    if !has_any_scope(&claims, scopes) {
        return Err(GatewayError::InsufficientScope);
    }
    // AWS: `scopes` lists the token's scopes when the route requires scopes, else null.
    let granted = if scopes.is_empty() {
        Value::Null
    } else {
        json!(granted_scopes(&claims))
    };
    let inner = json!({ "claims": flat_claims(&claims), "scopes": granted });
    ex.authorizer = Some(match ex.dialect {
        Dialect::HttpApi(PayloadFormat::V1) => inner,
        _ => json!({ "jwt": inner }),
    });
    Ok(())
}

/// `error_description` of the `www-authenticate` answer. AWS documents only the audience text;
/// the others follow its wording (not verified against a live API).
fn description(error: &JwtError) -> &'static str {
    match error {
        JwtError::Audience => "the token does not have a valid audience",
        JwtError::Expired => "the token has expired",
        JwtError::NotYetValid => "the token is not valid yet",
        JwtError::Issuer => "the token does not have a valid issuer",
        JwtError::Signature
        | JwtError::UnknownKey(_)
        | JwtError::Algorithm(_)
        | JwtError::NoKeys => "the token does not have a valid signature",
        JwtError::Malformed | JwtError::TooLarge | JwtError::TokenUse | JwtError::Scope => {
            "the token is malformed"
        }
    }
}

/// Claims as HTTP APIs pass them: every value a string, lists as `[a b]` (as AWS serializes
/// array claims, e.g. `cognito:groups`), objects as their JSON text (not verified live).
pub(crate) fn flat_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    let text = |value: &Value| match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    claims
        .iter()
        .map(|(key, value)| {
            let flat = match value {
                Value::Array(items) => {
                    format!("[{}]", items.iter().map(text).collect::<Vec<_>>().join(" "))
                }
                other => text(other),
            };
            (key.clone(), Value::String(flat))
        })
        .collect()
}

/// The scopes a token grants (`scope`, space-separated; or an `scp` list).
fn granted_scopes(claims: &Map<String, Value>) -> Vec<String> {
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => s.split(' ').map(str::to_owned).collect(),
        (_, Some(Value::Array(list))) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// One identity source's value in the request, `None` when absent or empty. `event` (the
/// payload 2.0 view of the request) answers `$context.*`.
fn source_value(source: &IdentitySource, ex: &Exchange, event: Option<&Value>) -> Option<String> {
    let value = match source {
        IdentitySource::Header(name) => ex.header(&name.to_ascii_lowercase()),
        IdentitySource::Query(name) => ex.query.as_deref().and_then(|query| {
            query.split('&').rev().find_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k == name).then(|| v.to_owned())
            })
        }),
        IdentitySource::StageVariable(_) => None,
        IdentitySource::Context(name) => {
            let mut at = event?.get("requestContext")?;
            for part in name.split('.') {
                at = at.get(part)?;
            }
            match at {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            }
        }
    };
    value.filter(|v| !v.is_empty())
}

/// What the Lambda authorizer phase needs about the authorizer.
pub(crate) struct HttpLambda<'a> {
    /// The function to invoke.
    pub function: &'a str,
    /// Identity sources: the cache key, each required.
    pub identity: &'a [IdentitySource],
    /// Result TTL (zero, or no identity sources: no caching).
    pub ttl: Duration,
    /// Payload version and response mode.
    pub format: HttpLambdaFormat,
    /// The authorizer's name, in the cache key.
    pub name: &'a str,
}

/// The Lambda authorizer of an HTTP API route.
pub(crate) async fn lambda(
    authorizer: HttpLambda<'_>,
    guards: &Guards,
    ex: &mut Exchange,
    cx: AuthorizeContext<'_>,
) -> Result<(), GatewayError> {
    let route_arn = method_arn(cx.aws, cx.api, &ex.method, &ex.raw_path);
    let request = http_api_event::build_v2(ex, cx.route, cx.api, cx.aws);
    let mut values = Vec::new();
    for source in authorizer.identity {
        let value = match source {
            IdentitySource::StageVariable(name) => cx.api.stage.stage_variables.get(name).cloned(),
            other => source_value(other, ex, Some(&request)),
        };
        // AWS: a missing identity source is a 401 without invoking the authorizer.
        values.push(
            value.ok_or_else(|| {
                GatewayError::Unauthorized("an identity source is missing".into())
            })?,
        );
    }
    let caching = !authorizer.ttl.is_zero() && !values.is_empty();
    let cache_key = format!(
        "{}\u{0}{}\u{0}{}",
        cx.api.logical_id,
        authorizer.name,
        values.join("\u{0}")
    );
    let started = Instant::now();
    let cached = caching
        .then(|| guards.state.authorizer_cache.get(&cache_key))
        .flatten();
    ex.authorizer_cache_hit = caching.then_some(cached.is_some());
    let answer = match cached {
        Some(answer) => answer,
        None => {
            let event = if authorizer.format.v2 {
                request_v2(request, &route_arn, &values)
            } else {
                request_v1(ex, &cx, &route_arn, &values)
            };
            let bytes = serde_json::to_vec(&event).map_err(|e| {
                GatewayError::Internal(format!("authorizer event serialization: {e}"))
            })?;
            let parse = if authorizer.format.simple_responses {
                AuthorizerAnswer::simple
            } else {
                AuthorizerAnswer::parse
            };
            let answer = invoke_authorizer(
                cx.invoker,
                authorizer.function,
                bytes,
                cx.timeout,
                parse,
                &mut ex.auth.authorizer_call,
            )
            .await?;
            let answer = Arc::new(answer);
            if caching {
                guards
                    .state
                    .authorizer_cache
                    .put(cache_key, answer.clone(), authorizer.ttl);
            }
            answer
        }
    };
    authorize_policy(&answer, &route_arn, ex)?;
    let latency = if ex.authorizer_cache_hit == Some(true) {
        0
    } else {
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
    };
    ex.authorizer = Some(match ex.dialect {
        // Payload 1.0 routes get the REST shape: principalId, the context, integrationLatency.
        Dialect::HttpApi(PayloadFormat::V1) => answer.request_context(latency),
        _ => json!({ "lambda": answer.context_object() }),
    });
    Ok(())
}

/// The payload 2.0 authorizer request: the route's 2.0 event without its body, plus `type`,
/// `routeArn` and the identity source values.
fn request_v2(request: Value, route_arn: &str, values: &[String]) -> Value {
    let Value::Object(mut event) = request else {
        return request;
    };
    event.remove("body");
    event.remove("isBase64Encoded");
    event.insert("type".into(), json!("REQUEST"));
    event.insert("routeArn".into(), json!(route_arn));
    event.insert(
        "identitySource".into(),
        if values.is_empty() {
            Value::Null
        } else {
            json!(values)
        },
    );
    Value::Object(event)
}

/// The payload 1.0 authorizer request, as AWS documents it: `methodArn`, the identity values
/// joined by commas (also as `authorizationToken`), and the request's 1.0 fields without a body.
fn request_v1(
    ex: &Exchange,
    cx: &AuthorizeContext<'_>,
    route_arn: &str,
    values: &[String],
) -> Value {
    let Value::Object(mut event) = http_api_event::build_v1(ex, cx.route, cx.api, cx.aws) else {
        return Value::Null;
    };
    for key in [
        "body",
        "isBase64Encoded",
        "multiValueHeaders",
        "multiValueQueryStringParameters",
    ] {
        event.remove(key);
    }
    let joined = values.join(",");
    event.insert("type".into(), json!("REQUEST"));
    event.insert("methodArn".into(), json!(route_arn));
    event.insert("identitySource".into(), json!(joined));
    event.insert("authorizationToken".into(), json!(joined));
    Value::Object(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_flatten_as_http_apis_pass_them() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"sub":"u","exp":1700000000,"cognito:groups":["admin","users"],"email_verified":true,"address":{"city":"Oslo"}}"#,
        )
        .expect("json");
        let flat = flat_claims(&claims);
        assert_eq!(flat["exp"], "1700000000");
        assert_eq!(flat["cognito:groups"], "[admin users]");
        assert_eq!(flat["email_verified"], "true");
        assert_eq!(flat["address"], r#"{"city":"Oslo"}"#);
    }
}
