//! Phase execution log: the lines API Gateway writes about what it did with a REST API request,
//! to the CloudWatch Logs group `API-Gateway-Execution-Logs_{restApiId}/{stageName}`, when the
//! stage's `MethodSettings` ask for them (`LoggingLevel`, `DataTraceEnabled`; developer guide,
//! "Set up CloudWatch logging for REST APIs in API Gateway"). HTTP APIs have none.
//!
//! Only a request to a method that logs carries an [`ExecutionTrace`]: the phases note in it what
//! only they see (the authorizer's outcome, the usage plan check, the integration's request and
//! answer, the failure), and the access log phase turns it into lines. Every other request pays one
//! `None` check per note.
//!
//! The words, their order and what each level writes follow execution logs recorded from AWS:
//! CloudWatch groups delivered to subscription filters (2018, at `INFO` without data trace: the
//! usage plan lines, `Starting execution`, `HTTP Method`, `Successfully completed execution`,
//! `Method completed`, in tmobile/jazz's log streamer tests; 2019, with data trace, every line
//! below, each message prefixed `(<requestId>) `), the AWS CLI's and the console's test-invoke
//! logs (2017–2025: `Received response. Status: 200, Integration latency: 940 ms`, endpoint response
//! headers before its body) and a 2025 recording of five Lambda failures (each failure's line then
//! `Method completed with status`).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use http::HeaderMap;
use sluice_aws_env::AwsEnv;
use sluice_template::auth_model::{LoggingLevel, MethodSetting};

use crate::access_log::ExecutionLogLines;
use crate::api::Api;
use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;

mod narration;

/// One REST API stage's execution log: where its lines go and which methods write them.
#[derive(Debug)]
pub(crate) struct StageExecutionLog {
    group: Arc<str>,
    stream: Arc<str>,
    /// The stage's `MethodSettings` that say anything about logging, in template order.
    settings: Vec<MethodLogging>,
    /// Function names by logical id, for the Lambda URIs the log names.
    function_names: BTreeMap<String, String>,
}

/// The logging fields of one `MethodSettings` entry.
#[derive(Debug)]
struct MethodLogging {
    resource_path: String,
    http_method: String,
    level: Option<LoggingLevel>,
    data_trace: Option<bool>,
}

/// How one method logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Logging {
    /// `INFO`: every request's lines; else (`ERROR`) only a failed request's error lines.
    pub info: bool,
    /// `DataTraceEnabled`: the request's and the integration's headers and bodies too (`INFO`).
    pub data_trace: bool,
}

impl StageExecutionLog {
    /// The execution log of `api_id`'s `stage` under `settings`; `None` when no setting turns
    /// logging on (every request then pays nothing).
    pub fn new(
        api_id: &str,
        stage: &str,
        settings: &[MethodSetting],
        function_names: BTreeMap<String, String>,
    ) -> Option<StageExecutionLog> {
        let logs = settings.iter().any(|s| {
            matches!(
                s.logging_level,
                Some(LoggingLevel::Error | LoggingLevel::Info)
            )
        });
        if !logs {
            return None;
        }
        Some(StageExecutionLog {
            group: format!("API-Gateway-Execution-Logs_{api_id}/{stage}").into(),
            stream: stream_name(api_id, stage).into(),
            settings: settings
                .iter()
                .filter(|s| s.logging_level.is_some() || s.data_trace_enabled.is_some())
                .map(|s| MethodLogging {
                    resource_path: s.resource_path.clone(),
                    http_method: s.http_method.clone(),
                    level: s.logging_level,
                    data_trace: s.data_trace_enabled,
                })
                .collect(),
            function_names,
        })
    }

    /// How `method` on `resource` logs (`None`: it does not), each field from the most specific
    /// setting that names it: the method's own, its resource's `*`, then the stage's `/*/*`, as
    /// for caching. `DataTraceEnabled` defaults to false, as the API's `dataTraceEnabled` does.
    pub fn logging(&self, method: &str, resource: &str) -> Option<Logging> {
        let candidates = [(resource, method), (resource, "*"), ("/*", "*")];
        let find = |pick: &dyn Fn(&MethodLogging) -> bool| {
            candidates.iter().find_map(|(path, verb)| {
                self.settings.iter().find(|s| {
                    same_path(&s.resource_path, path)
                        && s.http_method.eq_ignore_ascii_case(verb)
                        && pick(s)
                })
            })
        };
        let info = match find(&|s| s.level.is_some())?.level? {
            LoggingLevel::Off => return None,
            LoggingLevel::Error => false,
            LoggingLevel::Info => true,
        };
        let data_trace = find(&|s| s.data_trace.is_some())
            .and_then(|s| s.data_trace)
            .unwrap_or(false);
        Some(Logging { info, data_trace })
    }
}

/// Resource paths compare without a trailing slash (as the route table stores them).
fn same_path(setting: &str, resource: &str) -> bool {
    let trim = |p: &str| match p.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    };
    trim(setting) == trim(resource)
}

/// The stage's stream. AWS names execution log streams with 32 hex characters of its own
/// (`37a749d808e46495a8da1e5352d03cae` in the recorded groups) and spreads a stage's requests
/// over several; Sluice keeps one per stage, stable across restarts, as for access logs.
fn stream_name(api_id: &str, stage: &str) -> String {
    let fnv = |seed: &str| crate::exchange::fnv1a(seed.as_bytes());
    let seed = format!("execution {api_id} {stage}");
    format!("{:016x}{:016x}", fnv(&seed), fnv(&format!("{seed} #2")))
}

/// What the phases of one logged request note for its execution log.
#[derive(Debug)]
pub(crate) struct ExecutionTrace {
    pub(super) logging: Logging,
    /// When the route phase chose the method (the request's receive time, as near as Sluice
    /// knows it): the lines' clock.
    pub(super) started: Instant,
    /// A Lambda authorizer that decided: its id and the refusal, if it refused.
    pub(super) authorizer: Option<(String, Option<GatewayError>)>,
    /// The usage plan check: whether the method requires an API key, and whether it passed.
    pub(super) usage_plan: Option<(bool, bool)>,
    /// When the integration was called and when it answered or failed.
    pub(super) integration: Option<(Instant, Instant)>,
    /// The integration request's body, after the request template (a Lambda proxy's event).
    pub(super) endpoint_request: OnceLock<Bytes>,
    /// The integration's answer, before the response template.
    pub(super) endpoint_response: OnceLock<Bytes>,
    /// The gateway error the request was answered with.
    pub(super) failure: Option<GatewayError>,
}

impl ExecutionTrace {
    /// A trace for a request to a method logging as `logging`.
    pub fn new(logging: Logging) -> ExecutionTrace {
        ExecutionTrace {
            logging,
            started: Instant::now(),
            authorizer: None,
            usage_plan: None,
            integration: None,
            endpoint_request: OnceLock::new(),
            endpoint_response: OnceLock::new(),
            failure: None,
        }
    }
}

/// Notes how the route's Lambda authorizer `name` of `api` decided.
pub(crate) fn authorizer(ex: &mut Exchange, api: &str, name: &str, refusal: Option<&GatewayError>) {
    if let Some(trace) = ex.execution.as_mut() {
        // AWS names an authorizer by a 6-character id of its own; Sluice derives one.
        let id = crate::exchange::stable_id(&format!("authorizer {api} {name}"), 6);
        trace.authorizer = Some((id, refusal.cloned()));
    }
}

/// Notes the usage plan check: whether the method requires an API key and whether the request
/// passed (its key, and the throttles and quota).
pub(crate) fn usage_plan(ex: &mut Exchange, key_required: bool, passed: bool) {
    if let Some(trace) = ex.execution.as_mut() {
        trace.usage_plan = Some((key_required, passed));
    }
}

/// Notes the integration's run, from `started` to now.
pub(crate) fn integrated(ex: &mut Exchange, started: Instant) {
    if let Some(trace) = ex.execution.as_mut() {
        trace.integration = Some((started, Instant::now()));
    }
}

/// Notes the integration request's body, once it is made.
pub(crate) fn endpoint_request(ex: &Exchange, body: &Bytes) {
    if let Some(trace) = &ex.execution {
        let _ = trace.endpoint_request.set(body.clone());
    }
}

/// Notes what the integration's endpoint answered, before any response template.
pub(crate) fn endpoint_response(ex: &Exchange, body: impl FnOnce() -> Bytes) {
    if let Some(trace) = &ex.execution {
        let _ = trace.endpoint_response.set(body());
    }
}

/// Notes the error the request is answered with.
pub(crate) fn failed(ex: &mut Exchange, error: &GatewayError) {
    let Some(trace) = ex.execution.as_mut() else {
        return;
    };
    // A function error's payload is what Lambda answered.
    if let GatewayError::FunctionFailed(payload) = error {
        let _ = trace
            .endpoint_response
            .set(Bytes::copy_from_slice(payload.as_bytes()));
    }
    trace.failure = Some(error.clone());
}

/// How a request ended, for its last lines.
pub(crate) struct Ending<'a> {
    /// The status answered.
    pub status: u16,
    /// The response's headers.
    pub headers: &'a HeaderMap,
    /// The response's body, when whole.
    pub body: Option<Bytes>,
}

impl StageExecutionLog {
    /// The lines `ex`'s trace makes, each stamped with when it happened; `None` when the request
    /// carries no trace or writes nothing at its level.
    pub fn lines(
        &self,
        ex: &Exchange,
        api: &Api,
        aws: &AwsEnv,
        ending: &Ending<'_>,
    ) -> Option<ExecutionLogLines> {
        let trace = ex.execution.as_deref()?;
        let lines = narration::lines(self, ex, trace, api, aws, ending);
        (!lines.is_empty()).then(|| ExecutionLogLines {
            group: self.group.clone(),
            stream: self.stream.clone(),
            lines,
        })
    }

    /// The function name of the logical id `function` (`Fn` or `Fn:qualifier`).
    pub(super) fn function_name(&self, target: &str) -> String {
        let (logical, qualifier) = match target.split_once(':') {
            Some((logical, qualifier)) => (logical, Some(qualifier)),
            None => (target, None),
        };
        let name = self
            .function_names
            .get(logical)
            .map_or(logical, String::as_str);
        match qualifier {
            Some(qualifier) => format!("{name}:{qualifier}"),
            None => name.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(
        path: &str,
        method: &str,
        level: Option<LoggingLevel>,
        trace: Option<bool>,
    ) -> MethodSetting {
        MethodSetting {
            resource_path: path.into(),
            http_method: method.into(),
            rate_limit: None,
            burst_limit: None,
            caching_enabled: None,
            cache_ttl_secs: None,
            logging_level: level,
            data_trace_enabled: trace,
        }
    }

    #[test]
    fn the_most_specific_setting_decides_each_field() {
        let log = StageExecutionLog::new(
            "abc",
            "prod",
            &[
                setting("/*", "*", Some(LoggingLevel::Info), Some(true)),
                setting("/items/{id}", "GET", Some(LoggingLevel::Error), None),
                setting("/quiet/", "*", Some(LoggingLevel::Off), None),
            ],
            BTreeMap::new(),
        )
        .expect("the stage logs");
        let info = |data_trace| {
            Some(Logging {
                info: true,
                data_trace,
            })
        };
        assert_eq!(log.logging("POST", "/items"), info(true));
        // Its own level; the stage's data trace (which ERROR does not write).
        assert_eq!(
            log.logging("GET", "/items/{id}"),
            Some(Logging {
                info: false,
                data_trace: true
            })
        );
        assert_eq!(log.logging("DELETE", "/quiet"), None);
        assert_eq!(log.group.as_ref(), "API-Gateway-Execution-Logs_abc/prod");
        assert_eq!(log.stream.len(), 32);
        assert!(log.stream.chars().all(|c| c.is_ascii_hexdigit()));

        // Settings that log nothing make no log.
        let off = [
            setting("/*", "*", Some(LoggingLevel::Off), Some(true)),
            setting("/*", "*", None, None),
        ];
        assert!(StageExecutionLog::new("abc", "prod", &off, BTreeMap::new()).is_none());
    }
}
