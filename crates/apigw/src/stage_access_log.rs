//! Phase access log, the stage's own: the line a stage's `AccessLogSetting(s)` `Format` makes of
//! each request, for the CloudWatch Logs group its `DestinationArn` names.
//!
//! The variables are the ones the request's event already carries (a REST API's
//! `requestContext`, an HTTP API's `$context` as parameter mapping reads it), plus what only the
//! end of the request knows (status, latencies, the error).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sluice_aws_env::AwsEnv;

use crate::access_log::StageLogLine;
use crate::api::Api;
use crate::dialect::Dialect;
use crate::exchange::{AuthFacts, ErrorFacts, Exchange, PhaseFacts};
use crate::request_event::request_time;

/// One stage's access log: where its lines go and the parsed `Format`.
#[derive(Debug)]
pub(crate) struct StageLog {
    group: Arc<str>,
    stream: Arc<str>,
    format: Vec<Piece>,
}

/// A piece of `Format`: text as written, or a `$context.` variable's name.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Variable(String),
}

/// What the end of a request knows, beside the exchange.
pub(crate) struct Outcome<'a> {
    /// The status the client got.
    pub status: u16,
    /// The response body's length, when known before it is sent (not a stream's).
    pub response_length: Option<u64>,
    /// From the request head to the response being ready.
    pub latency: Duration,
    /// The gateway error answered, if any.
    pub error: Option<&'a ErrorFacts>,
}

impl StageLog {
    /// The log of `api_id`'s `stage`, writing `format` to `group`.
    pub fn new(group: &str, format: &str, api_id: &str, stage: &str) -> StageLog {
        StageLog {
            group: group.into(),
            stream: stream_name(api_id, stage).into(),
            format: parse(format),
        }
    }

    /// The line for one request: each variable's value, or `-` when it has none (AWS).
    pub fn line(
        &self,
        ex: &Exchange,
        api: &Api,
        aws: &AwsEnv,
        outcome: &Outcome<'_>,
    ) -> StageLogLine {
        let context = Context::new(ex, api, aws);
        let mut message = String::with_capacity(256);
        for piece in &self.format {
            match piece {
                Piece::Text(text) => message.push_str(text),
                Piece::Variable(name) => {
                    let value = variable(name, ex, api, aws, outcome, &context);
                    match value.as_deref() {
                        Some(value) if !value.is_empty() => message.push_str(value),
                        _ => message.push('-'),
                    }
                }
            }
        }
        StageLogLine {
            group: self.group.clone(),
            stream: self.stream.clone(),
            message,
        }
    }
}

/// The stage's stream. AWS names access log streams with 32 hex characters of its own
/// (`f26f7a8ba2c8e74fb57b5d312dd32e1b` beside `/aws/apigateway/…` in DataBiosphere/azul#4348);
/// Sluice keeps one per stage, derived from the API and stage, so it stays the same across
/// restarts and readers (`GetLogEvents`, `sluice logs`) keep finding it.
fn stream_name(api_id: &str, stage: &str) -> String {
    let fnv = |seed: &str| crate::exchange::fnv1a(seed.as_bytes());
    let seed = format!("access {api_id} {stage}");
    format!("{:016x}{:016x}", fnv(&seed), fnv(&format!("{seed} #2")))
}

/// `format` split into text and `$context.name` variables (a name is letters, digits, `_` and
/// inner dots: `$context.status.` ends a sentence, it names `status`).
fn parse(format: &str) -> Vec<Piece> {
    const PREFIX: &str = "$context.";
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = format;
    while let Some(at) = rest.find(PREFIX) {
        let after = &rest[at + PREFIX.len()..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let name = after[..len].trim_end_matches('.');
        text.push_str(&rest[..at]);
        if name.is_empty() {
            text.push_str(PREFIX);
        } else {
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Variable(name.to_owned()));
        }
        rest = &after[name.len()..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    pieces
}

/// The request's own variables, as its kind of API's event shows them (built once per line).
enum Context {
    /// A REST API route's `requestContext`.
    Rest(Value),
    /// An HTTP API route: parameter mapping's `$context`.
    Http,
    /// No route matched: only what the exchange knows.
    Unrouted,
}

impl Context {
    fn new(ex: &Exchange, api: &Api, aws: &AwsEnv) -> Context {
        let Some(route) = &ex.route else {
            return Context::Unrouted;
        };
        match ex.dialect {
            Dialect::Rest => {
                let event =
                    crate::request_event::build(ex, route, &api.stage, &api.logical_id, aws);
                serde_json::to_value(&event.request_context)
                    .map_or(Context::Unrouted, Context::Rest)
            }
            Dialect::HttpApi(_) => Context::Http,
            Dialect::FunctionUrl => Context::Unrouted,
        }
    }
}

/// One variable's value; `None`: it has none here.
fn variable(
    name: &str,
    ex: &Exchange,
    api: &Api,
    aws: &AwsEnv,
    outcome: &Outcome<'_>,
    context: &Context,
) -> Option<String> {
    let rest = ex.dialect == Dialect::Rest;
    let millis = |d: Duration| d.as_millis().to_string();
    let integration = ex.integration.as_ref();
    let error_message = || {
        let body: Value = serde_json::from_str(&outcome.error?.body).ok()?;
        let message = body.get("message").or_else(|| body.get("Message"))?;
        message.as_str().map(str::to_owned)
    };
    match name {
        "status" => return Some(outcome.status.to_string()),
        "responseLength" => return outcome.response_length.map(|n| n.to_string()),
        "responseLatency" => return Some(millis(outcome.latency)),
        "integrationLatency" | "integration.latency" => {
            return integration.map(|i| millis(i.latency))
        }
        // AWS (REST and HTTP API access logging variables): "For Lambda proxy integration, the
        // status code returned from AWS Lambda, not from the backend Lambda function code": the
        // Invoke call's (200 even for a function error; 202 for a Lambda custom integration's
        // `Event` invocation, as Lambda answers it); an HTTP, DynamoDB or MOCK integration's
        // endpoint's own.
        "integrationStatus" | "integration.integrationStatus" => {
            return integration.and_then(|i| i.status).map(|s| s.to_string())
        }
        // AWS, both kinds of API: "The status code returned from an integration. For Lambda proxy
        // integrations, this is the status code that your Lambda function code returns" (the
        // response's `statusCode`, before an HTTP API's response parameters overwrite it; none
        // for a function that failed or answered no valid response). Another integration's is
        // its endpoint's, as `integrationStatus` ("Equivalent to $context.integrationStatus").
        "integration.status" => {
            return integration
                .and_then(|i| i.backend_status)
                .map(|s| s.to_string())
        }
        // AWS: "Equivalent to $context.integrationErrorMessage".
        "integration.error" | "integrationErrorMessage" => {
            return integration.and_then(|i| i.error.clone())
        }
        // AWS: "The AWS endpoint's request ID. Equivalent to $context.awsEndpointRequestId": for a
        // Lambda integration, the invocation's (DataBiosphere/azul#4348 logs both the same UUID).
        "integration.requestId" | "awsEndpointRequestId" => {
            return integration.and_then(|i| i.request_id.clone())
        }
        "error.message" => return error_message(),
        "error.messageString" => {
            return error_message().map(|m| serde_json::to_string(&m).unwrap_or_default())
        }
        "error.responseType" => return outcome.error.map(|e| e.response_type.to_owned()),
        // As a customized gateway response's template reads it: a request validator's findings.
        "error.validationErrorString" if rest => {
            return outcome.error.map(|e| e.validation_errors.clone())
        }
        "accountId" => return Some(aws.account_id.clone()),
        _ => {}
    }
    if let Some(value) = auth_variable(name, &ex.auth, rest) {
        return value;
    }
    match context {
        Context::Rest(request_context) => {
            let value = name
                .split('.')
                .try_fold(request_context, |value, key| value.get(key))?;
            match value {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        }
        Context::Http => {
            let route = ex.route.as_ref()?;
            crate::parameter_mapping::context_variable(ex, route, api, name)
        }
        Context::Unrouted => match name {
            // AWS: a REST API's request id is the UUID; an HTTP API's is the short one.
            "requestId" if rest => Some(ex.request_id.clone()),
            "requestId" | "extendedRequestId" => Some(ex.extended_request_id.clone()),
            "requestTime" => Some(request_time(ex.received_at)),
            "requestTimeEpoch" => {
                Some((ex.received_at.unix_timestamp_nanos() / 1_000_000).to_string())
            }
            "httpMethod" => Some(ex.method.clone()),
            // AWS: the path of the stage's URL, as for a routed request: a REST API's stage
            // leads it (`/prod/nowhere`), as does an HTTP API's named stage.
            "path" if rest => Some(crate::request_event::context_path(ex, &api.stage)),
            "path" => Some(crate::http_api_event::http_api_path(ex, api)),
            "protocol" => Some(ex.protocol.to_owned()),
            "identity.sourceIp" => Some(ex.remote.ip().to_canonical().to_string()),
            "identity.userAgent" => ex.header("user-agent"),
            "domainName" => ex.header("host"),
            "domainPrefix" => ex
                .header_str("host")
                .map(|host| crate::request_event::domain_prefix(&host).to_owned()),
            // The stage the request reached runs its deployment, resource or not.
            "deploymentId" if rest => Some(api.stage.deployment_id.clone()),
            "stage" => Some(api.stage.stage.clone()),
            "apiId" => Some(api.stage.api_id.clone()),
            _ => None,
        },
    }
}

/// An authentication or authorization phase's variable: `Some(value)` when `name` is one (its
/// value `None` when its phase did not run), `None` when it is not.
///
/// AWS documents `authorizer.status` and `authorizer.latency` for both kinds of API; the
/// authorizer's invocation (`requestId`, `integrationLatency`, `integrationStatus`) and the
/// `authorize.*` and `authenticate.*` phases for REST APIs only. Not emulated: the phases'
/// `error` texts, whose wording AWS does not document.
fn auth_variable(name: &str, auth: &AuthFacts, rest: bool) -> Option<Option<String>> {
    let millis = |d: Duration| d.as_millis().to_string();
    let status = |phase: Option<PhaseFacts>| phase.map(|p| p.status.to_string());
    let latency = |phase: Option<PhaseFacts>| phase.map(|p| millis(p.latency));
    let call = auth.authorizer_call.as_ref();
    Some(match name {
        "authorizer.status" => status(auth.authorizer),
        "authorizer.latency" => latency(auth.authorizer),
        _ if !rest => return None,
        "authorizer.requestId" => call.map(|c| c.request_id.clone()),
        // A cached answer's is the event's (`requestContext.authorizer`): 0.
        "authorizer.integrationLatency" => return call.map(|c| Some(millis(c.latency))),
        // As for `integrationStatus`: the status Lambda's Invoke answered (200, a function error
        // included), not the function's.
        "authorizer.integrationStatus" => call.map(|_| "200".to_owned()),
        "authorize.status" => status(auth.authorize),
        "authorize.latency" => latency(auth.authorize),
        "authenticate.status" => status(auth.authenticate),
        "authenticate.latency" => latency(auth.authenticate),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_has_its_own_stable_hex_stream() {
        let name = stream_name("393p863hwl", "prod");
        assert_eq!(name.len(), 32);
        assert!(name.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
        assert_eq!(name, stream_name("393p863hwl", "prod"));
        assert_ne!(name, stream_name("393p863hwl", "dev"));
    }

    #[test]
    fn a_format_splits_into_text_and_whole_variable_names() {
        let text = |t: &str| Piece::Text(t.to_owned());
        let var = |v: &str| Piece::Variable(v.to_owned());
        assert_eq!(
            parse(r#"{"id":"$context.requestId","ip":"$context.identity.sourceIp"}"#),
            vec![
                text(r#"{"id":""#),
                var("requestId"),
                text(r#"","ip":""#),
                var("identity.sourceIp"),
                text(r#""}"#),
            ]
        );
        // A sentence's full stop is not part of the name; a bare `$context.` is text.
        assert_eq!(
            parse("s=$context.status. $context. [$context.requestTime]"),
            vec![
                text("s="),
                var("status"),
                text(". $context. ["),
                var("requestTime"),
                text("]"),
            ]
        );
    }
}
