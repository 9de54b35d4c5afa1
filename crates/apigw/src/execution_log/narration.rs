//! The execution log's words: a traced request's lines, in the order and wording AWS writes
//! them (see the module above for the recordings they follow), stamped and truncated as AWS does.

use std::fmt::Write as _;
use std::time::Instant;

use sluice_aws_env::AwsEnv;
use sluice_template::Integration;

use super::{Ending, ExecutionTrace, StageExecutionLog};
use crate::api::Api;
use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;

/// AWS: "Log events are truncated at 1 KB" (developer guide, "Execution logging for REST APIs"):
/// recorded lines keep 1,024 characters after the request id prefix, then ` [TRUNCATED]`.
const LINE_LIMIT: usize = 1024;

/// What AWS appends to a line it cut.
const TRUNCATED: &str = " [TRUNCATED]";

/// The lines being written, each stamped and prefixed with the request id.
struct Lines {
    prefix: String,
    /// The receive time, in milliseconds since the epoch.
    epoch_millis: i64,
    started: Instant,
    info: bool,
    data_trace: bool,
    lines: Vec<(i64, String)>,
}

impl Lines {
    fn new(ex: &Exchange, trace: &ExecutionTrace) -> Lines {
        let millis = ex.received_at.unix_timestamp_nanos() / 1_000_000;
        Lines {
            prefix: format!("({}) ", ex.request_id),
            epoch_millis: i64::try_from(millis).unwrap_or(0),
            started: trace.started,
            info: trace.logging.info,
            data_trace: trace.logging.info && trace.logging.data_trace,
            lines: Vec::new(),
        }
    }

    /// When `at` happened, in milliseconds since the epoch.
    fn stamp(&self, at: Instant) -> i64 {
        let since = at.saturating_duration_since(self.started).as_millis();
        self.epoch_millis
            .saturating_add(i64::try_from(since).unwrap_or(i64::MAX))
    }

    /// A line at `INFO`.
    fn info(&mut self, at: Instant, text: impl AsRef<str>) {
        if self.info {
            self.push(at, text.as_ref());
        }
    }

    /// A data trace line (`INFO` with `DataTraceEnabled`).
    fn data(&mut self, at: Instant, text: impl FnOnce() -> String) {
        if self.data_trace {
            let text = text();
            self.push(at, &text);
        }
    }

    /// An error line: written at both levels.
    fn error(&mut self, at: Instant, text: impl AsRef<str>) {
        self.push(at, text.as_ref());
    }

    fn push(&mut self, at: Instant, text: &str) {
        let stamp = self.stamp(at);
        let mut line = String::with_capacity(self.prefix.len() + text.len().min(LINE_LIMIT) + 12);
        line.push_str(&self.prefix);
        line.push_str(truncated(text).as_ref());
        // Stamps never go back: a line noted late is not older than the one before it.
        let stamp = self
            .lines
            .last()
            .map_or(stamp, |(last, _)| stamp.max(*last));
        self.lines.push((stamp, line));
    }
}

/// `text` cut to [`LINE_LIMIT`] bytes (on a character boundary) with ` [TRUNCATED]`, as AWS cuts a
/// long line.
fn truncated(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= LINE_LIMIT {
        return text.into();
    }
    let mut end = LINE_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED}", &text[..end]).into()
}

/// The lines `trace` makes of `ex`, each stamped with when it happened.
pub(super) fn lines(
    log: &StageExecutionLog,
    ex: &Exchange,
    trace: &ExecutionTrace,
    api: &Api,
    aws: &AwsEnv,
    ending: &Ending<'_>,
) -> Vec<(i64, String)> {
    let mut out = Lines::new(ex, trace);
    narrate(&mut out, log, ex, trace, api, aws, ending);
    out.lines
}

/// Writes the request's story: the authorizer, the usage plan check, the method request, the
/// integration, the method response and how the method completed.
fn narrate(
    out: &mut Lines,
    log: &StageExecutionLog,
    ex: &Exchange,
    trace: &ExecutionTrace,
    api: &Api,
    aws: &AwsEnv,
    ending: &Ending<'_>,
) {
    let Some(route) = &ex.route else {
        return;
    };
    let entry = &route.entry;
    let start = trace.started;
    let (called, answered) = trace.integration.unwrap_or((start, start));
    let end = Instant::now();
    let request_id = &ex.request_id;
    out.info(
        start,
        format!("Extended Request Id: {}", ex.extended_request_id),
    );
    if let Some((id, refusal)) = &trace.authorizer {
        out.info(
            start,
            format!("Starting authorizer: {id} for request: {request_id}"),
        );
        match refusal {
            None => out.info(start, "Successfully completed authorizer execution"),
            Some(GatewayError::Unauthorized(_)) => {
                out.error(start, format!("Unauthorized request: {request_id}"));
            }
            // AWS: a Lambda authorizer that fails or answers garbage (developer guide, "Lambda
            // authorizer" troubleshooting).
            Some(GatewayError::AuthorizerFailed(_)) => out.error(
                start,
                "Execution failed due to configuration error: Authorizer error",
            ),
            Some(_) => {}
        }
    }
    if let Some((key_required, passed)) = trace.usage_plan {
        let stage = format!("{}/{}", api.stage.api_id, api.stage.stage);
        // AWS shows the key masked, and nothing where there is none: `API Key:  API Stage`.
        let key = ex.api_key.as_deref().map(masked).unwrap_or_default();
        out.info(
            start,
            format!(
                "Verifying Usage Plan for request: {request_id}. API Key: {key} API Stage: {stage}"
            ),
        );
        if !key_required {
            out.info(
                start,
                format!(
                    "API Key {key} authorized because method '{} {}' does not require API Key. Request will not contribute to throttle or quota limits",
                    entry.method, entry.resource
                ),
            );
        }
        if passed {
            out.info(
                start,
                format!("Usage Plan check succeeded for API Key {key} and API Stage {stage}"),
            );
        }
    }
    if trace.usage_plan.is_some_and(|(_, passed)| passed) {
        out.info(
            start,
            format!("Starting execution for request: {request_id}"),
        );
        out.info(
            start,
            format!("HTTP Method: {}, Resource Path: {}", ex.method, ex.raw_path),
        );
        out.data(start, || {
            format!(
                "Method request path: {}",
                java_map(
                    route
                        .path_parameters
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                )
            )
        });
        out.data(start, || {
            let query = ex
                .query
                .as_deref()
                .map(crate::request_event::parse_query)
                .unwrap_or_default();
            format!(
                "Method request query string: {}",
                java_map(
                    query
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.last().map_or("", String::as_str)))
                )
            )
        });
        out.data(start, || {
            let (headers, _) =
                crate::request_event::event_headers(&ex.headers, ex.raw_header_names.as_deref());
            let headers = headers.map(|h| h.0).unwrap_or_default();
            format!(
                "Method request headers: {}",
                java_map(headers.iter().map(|(name, value)| {
                    // AWS: "API Gateway redacts authorization headers, API key values, and
                    // similar sensitive request parameters from the logged data".
                    let sensitive = name.eq_ignore_ascii_case("authorization")
                        || name.eq_ignore_ascii_case("x-api-key");
                    let value = if sensitive {
                        masked(value).into()
                    } else {
                        value.clone()
                    };
                    (name.as_ref().to_owned(), value.into_owned())
                }))
            )
        });
        out.data(start, || {
            format!(
                "Method request body before transformations: {}",
                String::from_utf8_lossy(&ex.body)
            )
        });
    }
    let lambda = match &entry.integration {
        Integration::LambdaProxy | Integration::Lambda(_) => {
            Some(log.function_name(entry.target.as_str()))
        }
        _ => None,
    };
    let request_body = trace.endpoint_request.get();
    if let (Some(function), Some(body)) = (&lambda, request_body) {
        let arn = aws.function_arn(function);
        let uri = format!(
            "https://lambda.{}.{}/2015-03-31/functions/{arn}/invocations",
            aws.region,
            aws.url_suffix()
        );
        out.data(called, || format!("Endpoint request URI: {uri}"));
        out.data(called, || {
            let source_arn = aws.arn(
                "execute-api",
                &format!(
                    "{}/{}/{}{}",
                    api.stage.api_id, api.stage.stage, entry.method, entry.resource
                ),
            );
            // AWS also sends the SigV4 `Authorization` and `X-Amz-Security-Token` of its
            // role; Sluice signs nothing, so they are left out.
            let date = crate::auth::sigv4::format_amz_date(ex.received_at);
            let agent = format!("AmazonAPIGateway_{}", api.stage.api_id);
            format!(
                "Endpoint request headers: {}",
                java_map([
                    ("x-amzn-lambda-integration-tag", request_id.as_str()),
                    ("X-Amz-Date", date.as_str()),
                    ("x-amzn-apigateway-api-id", api.stage.api_id.as_str()),
                    ("X-Amz-Source-Arn", source_arn.as_str()),
                    ("Accept", "application/json"),
                    ("User-Agent", agent.as_str()),
                ])
            )
        });
        out.data(called, || {
            format!(
                "Endpoint request body after transformations: {}",
                String::from_utf8_lossy(body)
            )
        });
        out.data(called, || format!("Sending request to {uri}"));
    }
    let integration = ex.integration.as_ref();
    let lambda_answered = integration.and_then(|i| i.request_id.as_deref());
    // A MOCK has no endpoint to answer: what it "answers" is its own template's.
    let mock = matches!(entry.integration, Integration::Mock(_));
    let response_body = trace.endpoint_response.get().filter(|_| !mock);
    let status = integration.and_then(|i| i.status).filter(|_| !mock);
    if let (Some(status), Some(facts)) = (status, integration) {
        out.data(answered, || {
            format!(
                "Received response. Status: {status}, Integration latency: {} ms",
                facts.latency.as_millis()
            )
        });
        if let (Some(lambda_id), Some(body)) = (lambda_answered, response_body) {
            out.data(answered, || {
                let date = http_date(ex.received_at);
                let length = body.len().to_string();
                let mut headers = vec![
                    ("Date", date.as_str()),
                    ("Content-Type", "application/json"),
                    ("Content-Length", length.as_str()),
                    ("Connection", "keep-alive"),
                    ("x-amzn-RequestId", lambda_id),
                ];
                if matches!(trace.failure, Some(GatewayError::FunctionFailed(_))) {
                    headers.push(("X-Amz-Function-Error", "Unhandled"));
                }
                headers.push(("x-amzn-Remapped-Content-Length", "0"));
                format!("Endpoint response headers: {}", java_map(headers))
            });
        }
    }
    let malformed = matches!(trace.failure, Some(GatewayError::MalformedResponse(_)));
    if let Some(body) = response_body {
        let text = || {
            format!(
                "Endpoint response body before transformations: {}",
                String::from_utf8_lossy(body)
            )
        };
        if malformed {
            // Recorded at AWS with the malformed-response failure: the answer it could not read.
            out.error(answered, text());
        } else {
            out.data(answered, text);
        }
    }
    match &trace.failure {
        None => {
            if let Some(body) = &ending.body {
                out.data(end, || {
                    format!(
                        "Method response body after transformations: {}",
                        String::from_utf8_lossy(body)
                    )
                });
            }
            out.data(end, || {
                let headers = ending.headers.iter().filter(|(name, _)| {
                    // The gateway's own ids are stamped after the method response.
                    !matches!(name.as_str(), "x-amzn-requestid" | "x-amz-apigw-id")
                });
                format!(
                    "Method response headers: {}",
                    java_map(headers.map(|(name, value)| {
                        (name.as_str(), String::from_utf8_lossy(value.as_bytes()))
                    }))
                )
            });
            out.info(end, "Successfully completed execution");
            out.info(
                end,
                format!("Method completed with status: {}", ending.status),
            );
        }
        Some(error) => {
            for line in failure_lines(error, lambda_answered) {
                out.error(answered.max(start), line);
            }
            out.error(
                end,
                format!("Method completed with status: {}", ending.status),
            );
        }
    }
    if let (Some(lambda_id), Some(_)) = (lambda_answered, &lambda) {
        out.info(
            end,
            format!("AWS Integration Endpoint RequestId : {lambda_id}"),
        );
    }
}

/// The lines AWS writes for a request answered with `error` (none for a refusal it words
/// differently or not at all).
fn failure_lines(error: &GatewayError, lambda_request_id: Option<&str>) -> Vec<String> {
    let lambda_request_id = lambda_request_id.unwrap_or_default();
    match error {
        GatewayError::FunctionFailed(payload) => {
            // AWS quotes the function's `errorMessage`.
            let message = serde_json::from_str::<serde_json::Value>(payload)
                .ok()
                .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_owned))
                .unwrap_or_else(|| payload.clone());
            vec![format!(
                "Lambda execution failed with status 200 due to customer function error: {message}. Lambda request id: {lambda_request_id}"
            )]
        }
        GatewayError::MalformedResponse(_) => {
            vec![
                "Execution failed due to configuration error: Malformed Lambda proxy response"
                    .into(),
            ]
        }
        GatewayError::IntegrationTimedOut => {
            vec!["Execution failed due to a timeout error".into()]
        }
        // AWS, a throttled function: Lambda's 429, then the configuration error it causes.
        GatewayError::InvokeRejected(why) if why.starts_with("TooManyRequestsException") => vec![
            format!(
                "Lambda invocation failed with status: 429. Lambda request id: {}",
                uuid::Uuid::new_v4()
            ),
            "Execution failed due to configuration error: Rate Exceeded.".into(),
        ],
        GatewayError::InvokeRejected(why) | GatewayError::MappingFailed(why) => {
            vec![format!(
                "Execution failed due to configuration error: {why}"
            )]
        }
        _ => Vec::new(),
    }
}

/// `value` with all but its last 6 characters as `*`, as AWS masks authorization headers, API
/// keys and authorizer identities in its logs (`**********************************bMZHBg`).
fn masked(value: &str) -> String {
    let chars = value.chars().count();
    let keep = chars.saturating_sub(6);
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < keep { '*' } else { c })
        .collect()
}

/// `{a=1, b=2}`: how AWS prints the parameter and header maps (Java's `Map.toString`).
fn java_map<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}={}", key.as_ref(), value.as_ref());
    }
    out.push('}');
    out
}

/// `Tue, 26 Feb 2019 15:29:33 GMT`, as Lambda's `Date` header.
fn http_date(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_keeps_1024_bytes_and_says_it_was_cut() {
        // One byte, then two-byte characters: byte 1,024 falls inside one.
        let long = format!("x{}", "é".repeat(600));
        let cut = truncated(&long);
        assert!(cut.ends_with(" [TRUNCATED]"), "{cut}");
        // 1,024 bytes, less the half of a two-byte character that would not fit.
        assert_eq!(cut.len(), 1023 + TRUNCATED.len());
        let exact = "x".repeat(LINE_LIMIT);
        assert_eq!(truncated(&exact), exact.as_str());
    }

    #[test]
    fn secrets_keep_their_last_six_characters() {
        assert_eq!(masked("Bearer abcdefghijXYZ123"), "*****************XYZ123");
        assert_eq!(masked("short"), "short");
        assert_eq!(java_map([("id", "1"), ("q", "a b")]), "{id=1, q=a b}");
        assert_eq!(java_map(Vec::<(&str, &str)>::new()), "{}");
    }

    #[test]
    fn failures_read_as_aws_words_them() {
        let lines = |error| failure_lines(&error, Some("lambda-1"));
        assert_eq!(
            lines(GatewayError::FunctionFailed(
                r#"{"errorMessage":"boom","errorType":"Exception"}"#.into()
            )),
            ["Lambda execution failed with status 200 due to customer function error: boom. Lambda request id: lambda-1"]
        );
        assert_eq!(
            lines(GatewayError::MalformedResponse("bare string".into())),
            ["Execution failed due to configuration error: Malformed Lambda proxy response"]
        );
        assert_eq!(
            lines(GatewayError::IntegrationTimedOut),
            ["Execution failed due to a timeout error"]
        );
        let throttled = lines(GatewayError::InvokeRejected(
            "TooManyRequestsException: Rate Exceeded.".into(),
        ));
        assert!(
            throttled[0]
                .starts_with("Lambda invocation failed with status: 429. Lambda request id: "),
            "{throttled:?}"
        );
        assert_eq!(
            throttled[1],
            "Execution failed due to configuration error: Rate Exceeded."
        );
        assert!(lines(GatewayError::NoRoute).is_empty());
    }
}
