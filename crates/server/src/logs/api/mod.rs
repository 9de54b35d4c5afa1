//! The CloudWatch Logs API subset tools use to read logs (`aws logs filter-log-events`,
//! `aws logs tail`, `sam logs`, boto3): `DescribeLogGroups`, `DescribeLogStreams`, `GetLogEvents`
//! and `FilterLogEvents`, over AWS's JSON 1.1 protocol (`X-Amz-Target: Logs_20140328.<Operation>`).
//! Parsing each request is kept apart from answering it; errors are encoded in one place.

use serde::Deserialize;
use serde_json::{json, Value};
use sluice_aws_env::AwsEnv;

use super::filter_pattern::FilterPattern;
use super::store::{LogEvent, LogStore};

/// The operation prefix in `X-Amz-Target`.
pub const TARGET_PREFIX: &str = "Logs_20140328.";

/// The protocol's content type.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Most events one `FilterLogEvents` / `GetLogEvents` page holds, as on AWS.
const MAX_EVENTS: usize = 10_000;

/// A failed call, by AWS's error type.
#[derive(Debug, thiserror::Error)]
pub enum LogsApiError {
    /// The group or stream does not exist.
    #[error("{0}")]
    ResourceNotFound(&'static str),
    /// A malformed request, a bad filter pattern or token.
    #[error("{0}")]
    InvalidParameter(String),
    /// An operation Sluice does not emulate.
    #[error("Sluice does not emulate CloudWatch Logs {0} (it serves DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents)")]
    Unsupported(String),
}

impl LogsApiError {
    fn type_name(&self) -> &'static str {
        match self {
            Self::ResourceNotFound(_) => "ResourceNotFoundException",
            Self::InvalidParameter(_) => "InvalidParameterException",
            Self::Unsupported(_) => "UnknownOperationException",
        }
    }
}

/// An answer: HTTP status and JSON body.
#[derive(Debug)]
pub struct Reply {
    /// 200, or 400 for every error (as the JSON protocols answer them).
    pub status: u16,
    /// The JSON document.
    pub body: String,
}

/// Answers one call of `operation` with the request `body`.
pub fn handle(store: &LogStore, aws: &AwsEnv, operation: &str, body: &[u8]) -> Reply {
    match dispatch(store, aws, operation, body) {
        Ok(value) => Reply {
            status: 200,
            body: value.to_string(),
        },
        // The one encoder of CloudWatch Logs errors.
        Err(error) => Reply {
            status: 400,
            body: json!({"__type": error.type_name(), "message": error.to_string()}).to_string(),
        },
    }
}

fn dispatch(
    store: &LogStore,
    aws: &AwsEnv,
    operation: &str,
    body: &[u8],
) -> Result<Value, LogsApiError> {
    match operation {
        "DescribeLogGroups" => Ok(describe_log_groups(store, aws, parse(body)?)),
        "DescribeLogStreams" => describe_log_streams(store, aws, parse(body)?),
        "GetLogEvents" => get_log_events(store, parse(body)?),
        "FilterLogEvents" => filter_log_events(store, parse(body)?),
        other => Err(LogsApiError::Unsupported(other.to_owned())),
    }
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, LogsApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| LogsApiError::InvalidParameter(e.to_string()))
}

/// `nextToken`s are offsets into the sorted result; anything else is the caller's mistake.
fn offset(token: Option<&str>) -> Result<usize, LogsApiError> {
    token.map_or(Ok(0), |t| {
        t.trim_start_matches(['f', 'b', '/']).parse().map_err(|_| {
            LogsApiError::InvalidParameter(format!("The specified nextToken is invalid: {t}"))
        })
    })
}

fn page_limit(limit: Option<usize>, max: usize) -> usize {
    limit.unwrap_or(max).clamp(1, max)
}

/// A group's ARN as `logGroupArn` gives it; `arn` adds `:*` (AWS keeps both for history).
fn group_arn(aws: &AwsEnv, group: &str) -> String {
    aws.arn("logs", &format!("log-group:{group}"))
}

/// `logGroupIdentifier` is a name or an ARN; either way, the name.
fn group_name(name: Option<String>, identifier: Option<String>) -> Result<String, LogsApiError> {
    let given = name.or(identifier).ok_or_else(|| {
        LogsApiError::InvalidParameter("logGroupName or logGroupIdentifier is required".into())
    })?;
    Ok(match given.split_once(":log-group:") {
        Some((_, rest)) => rest.trim_end_matches(":*").to_owned(),
        None => given,
    })
}

const NO_GROUP: &str = "The specified log group does not exist.";
const NO_STREAM: &str = "The specified log stream does not exist.";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeLogGroups {
    log_group_name_prefix: Option<String>,
    log_group_name_pattern: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
}

fn describe_log_groups(store: &LogStore, aws: &AwsEnv, request: DescribeLogGroups) -> Value {
    let pattern = request.log_group_name_pattern.map(|p| p.to_lowercase());
    let groups: Vec<Value> = store
        .groups()
        .into_iter()
        .filter(|g| {
            request
                .log_group_name_prefix
                .as_deref()
                .is_none_or(|p| g.name.starts_with(p))
        })
        .filter(|g| {
            pattern
                .as_deref()
                .is_none_or(|p| g.name.to_lowercase().contains(p))
        })
        .map(|g| {
            let arn = group_arn(aws, &g.name);
            json!({
                "logGroupName": g.name,
                "creationTime": g.creation_time,
                "metricFilterCount": 0,
                "arn": format!("{arn}:*"),
                "storedBytes": g.stored_bytes,
                "logGroupClass": "STANDARD",
                "logGroupArn": arn,
            })
        })
        .collect();
    let start = offset(request.next_token.as_deref()).unwrap_or(0);
    paged(groups, start, page_limit(request.limit, 50), "logGroups")
}

/// `{key: items[start..start+limit], nextToken?}`.
fn paged(items: Vec<Value>, start: usize, limit: usize, key: &str) -> Value {
    let end = (start + limit).min(items.len());
    let page: Vec<Value> = items
        .get(start..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut out = json!({ key: page });
    if end < items.len() {
        out["nextToken"] = json!(end.to_string());
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeLogStreams {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_stream_name_prefix: Option<String>,
    order_by: Option<String>,
    descending: Option<bool>,
    next_token: Option<String>,
    limit: Option<usize>,
}

fn describe_log_streams(
    store: &LogStore,
    aws: &AwsEnv,
    request: DescribeLogStreams,
) -> Result<Value, LogsApiError> {
    let group = group_name(request.log_group_name, request.log_group_identifier)?;
    let mut streams = store
        .streams(&group)
        .ok_or(LogsApiError::ResourceNotFound(NO_GROUP))?;
    if let Some(prefix) = &request.log_stream_name_prefix {
        if request.order_by.as_deref() == Some("LastEventTime") {
            return Err(LogsApiError::InvalidParameter(
                "Cannot order by LastEventTime with a logStreamNamePrefix.".into(),
            ));
        }
        streams.retain(|s| s.name.starts_with(prefix.as_str()));
    }
    if request.order_by.as_deref() == Some("LastEventTime") {
        streams.sort_by_key(|s| s.last_event);
    }
    if request.descending == Some(true) {
        streams.reverse();
    }
    let arn = group_arn(aws, &group);
    let items = streams
        .into_iter()
        .map(|s| {
            json!({
                "logStreamName": s.name,
                "creationTime": s.creation_time,
                "firstEventTimestamp": s.first_event,
                "lastEventTimestamp": s.last_event,
                "lastIngestionTime": s.last_event,
                "uploadSequenceToken": "1",
                "arn": format!("{arn}:log-stream:{}", s.name),
                // AWS reports 0 here since 2019; the group's storedBytes has the size.
                "storedBytes": 0,
            })
        })
        .collect();
    let start = offset(request.next_token.as_deref())?;
    Ok(paged(
        items,
        start,
        page_limit(request.limit, 50),
        "logStreams",
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetLogEvents {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_stream_name: String,
    start_time: Option<i64>,
    end_time: Option<i64>,
    next_token: Option<String>,
    limit: Option<usize>,
    start_from_head: Option<bool>,
}

fn get_log_events(store: &LogStore, request: GetLogEvents) -> Result<Value, LogsApiError> {
    let group = group_name(request.log_group_name, request.log_group_identifier)?;
    if store.streams(&group).is_none() {
        return Err(LogsApiError::ResourceNotFound(NO_GROUP));
    }
    let events: Vec<LogEvent> = store
        .events(&group, &request.log_stream_name)
        .ok_or(LogsApiError::ResourceNotFound(NO_STREAM))?
        .into_iter()
        // AWS: GetLogEvents leaves out events at `endTime` itself (FilterLogEvents keeps them).
        .filter(|e| {
            in_window(
                e.timestamp,
                request.start_time,
                request.end_time.map(|t| t - 1),
            )
        })
        .collect();
    let limit = page_limit(request.limit, MAX_EVENTS);
    // Without a token AWS starts at the tail unless `startFromHead`; `f/n` reads forward from n,
    // `b/n` backward from n. At the end, the forward token comes back unchanged (how readers
    // know to stop).
    let (start, end) = match request.next_token.as_deref() {
        Some(token) if token.starts_with('b') => {
            let end = offset(Some(token))?.min(events.len());
            (end.saturating_sub(limit), end)
        }
        Some(token) => {
            let start = offset(Some(token))?.min(events.len());
            (start, (start + limit).min(events.len()))
        }
        None if request.start_from_head == Some(true) => (0, limit.min(events.len())),
        None => (events.len().saturating_sub(limit), events.len()),
    };
    let page: Vec<Value> = events[start..end]
        .iter()
        .map(|e| json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}))
        .collect();
    Ok(json!({
        "events": page,
        "nextForwardToken": format!("f/{end:056}"),
        "nextBackwardToken": format!("b/{start:056}"),
    }))
}

fn in_window(timestamp: i64, start: Option<i64>, end: Option<i64>) -> bool {
    start.is_none_or(|s| timestamp >= s) && end.is_none_or(|e| timestamp <= e)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilterLogEvents {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_stream_names: Option<Vec<String>>,
    log_stream_name_prefix: Option<String>,
    start_time: Option<i64>,
    end_time: Option<i64>,
    filter_pattern: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
}

/// Which events of a group to return: the filter `sluice logs` and `FilterLogEvents` share.
#[derive(Debug, Default)]
pub struct EventQuery<'a> {
    /// Only these streams (all when empty).
    pub streams: &'a [String],
    /// Only streams starting with this.
    pub stream_prefix: Option<&'a str>,
    /// From this time (ms, inclusive).
    pub start: Option<i64>,
    /// Up to this time (ms, inclusive).
    pub end: Option<i64>,
    /// Only matching messages.
    pub pattern: Option<&'a FilterPattern>,
}

/// The group's matching events from every selected stream, interleaved by time (then by id), with
/// their stream names; `None` when the group does not exist.
pub fn query_events(
    store: &LogStore,
    group: &str,
    query: &EventQuery<'_>,
) -> Option<Vec<(String, LogEvent)>> {
    let streams = store.streams(group)?;
    let mut out: Vec<(String, LogEvent)> = streams
        .into_iter()
        .filter(|s| query.streams.is_empty() || query.streams.contains(&s.name))
        .filter(|s| query.stream_prefix.is_none_or(|p| s.name.starts_with(p)))
        .flat_map(|s| {
            let events = store.events(group, &s.name).unwrap_or_default();
            events.into_iter().map(move |e| (s.name.clone(), e))
        })
        .filter(|(_, e)| in_window(e.timestamp, query.start, query.end))
        .filter(|(_, e)| query.pattern.is_none_or(|p| p.matches(&e.message)))
        .collect();
    out.sort_by(|(_, a), (_, b)| (a.timestamp, &a.event_id).cmp(&(b.timestamp, &b.event_id)));
    Some(out)
}

fn filter_log_events(store: &LogStore, request: FilterLogEvents) -> Result<Value, LogsApiError> {
    let group = group_name(request.log_group_name, request.log_group_identifier)?;
    let pattern = request
        .filter_pattern
        .as_deref()
        .map(FilterPattern::parse)
        .transpose()
        .map_err(|e| LogsApiError::InvalidParameter(e.to_string()))?;
    if request.log_stream_names.is_some() && request.log_stream_name_prefix.is_some() {
        return Err(LogsApiError::InvalidParameter(
            "logStreamNames and logStreamNamePrefix are mutually exclusive; specify only one."
                .into(),
        ));
    }
    let names = request.log_stream_names.unwrap_or_default();
    let query = EventQuery {
        streams: &names,
        stream_prefix: request.log_stream_name_prefix.as_deref(),
        start: request.start_time,
        end: request.end_time,
        pattern: pattern.as_ref(),
    };
    let events =
        query_events(store, &group, &query).ok_or(LogsApiError::ResourceNotFound(NO_GROUP))?;
    let searched: Vec<Value> = store
        .streams(&group)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| names.is_empty() || names.contains(&s.name))
        .filter(|s| query.stream_prefix.is_none_or(|p| s.name.starts_with(p)))
        .map(|s| json!({"logStreamName": s.name, "searchedCompletely": true}))
        .collect();
    let items: Vec<Value> = events
        .into_iter()
        .map(|(stream, e)| {
            json!({
                "logStreamName": stream,
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
                "eventId": e.event_id,
            })
        })
        .collect();
    let start = offset(request.next_token.as_deref())?;
    let mut out = paged(
        items,
        start,
        page_limit(request.limit, MAX_EVENTS),
        "events",
    );
    out["searchedLogStreams"] = json!(searched);
    Ok(out)
}

#[cfg(test)]
mod tests;
