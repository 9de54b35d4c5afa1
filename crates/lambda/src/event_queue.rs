//! Asynchronous (`Event`) invocations: Lambda's queue, its retries, the maximum event age and
//! the invocation records sent to `EventInvokeConfig` destinations.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};

use crate::invocation::{Invocation, InvokeError, InvokeOptions};
use crate::service::Lambda;
use crate::spec::{Destination, EventInvokeConfig};

/// AWS: a throttled (429) or system-error (500-series) attempt goes back to the queue, retried
/// "exponentially from 1 second after the first attempt to a maximum of 5 minutes" until the
/// event is too old; those attempts do not count against `MaximumRetryAttempts`
/// (docs: invocation-async-error-handling).
const FIRST_THROTTLE_BACKOFF: Duration = Duration::from_secs(1);
/// See [`FIRST_THROTTLE_BACKOFF`].
const MAX_THROTTLE_BACKOFF: Duration = Duration::from_secs(300);

/// An asynchronous invocation waiting for the background worker.
#[derive(Debug)]
pub(crate) struct EventInvocation {
    /// The function's name.
    pub function: String,
    /// The event.
    pub payload: Bytes,
    /// The request id the caller was given (the 202's, which every attempt keeps) and the
    /// qualifier it named.
    pub options: InvokeOptions,
    /// When Lambda accepted it, for `MaximumEventAgeInSeconds`.
    pub queued_at: Instant,
}

/// The asynchronous invocation worker: runs each queued `Event` invocation (concurrently, as
/// Lambda does) until the queue closes or the worker is stopped, which ends the ones in flight too.
pub(crate) async fn run_events(
    lambda: std::sync::Weak<Lambda>,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<EventInvocation>,
) {
    let mut running = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            next = queue.recv() => {
                let Some(event) = next else { break };
                let Some(lambda) = lambda.upgrade() else { break };
                running.spawn(invoke_event(lambda, event));
            }
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    // Dropping `running` aborts the invocations still waiting for a retry.
}

/// Why an invocation record is sent (`requestContext.condition`).
#[derive(Debug, Clone, Copy)]
enum Condition {
    Success,
    RetriesExhausted,
    EventAgeExceeded,
    /// The function's reserved concurrency is 0: Lambda discards the event without trying it.
    ZeroReservedConcurrency,
}

/// One asynchronous invocation, under the request id the caller got (as Lambda's retries are):
/// retried after a function error up to the function's `MaximumRetryAttempts`, after a throttle
/// until the event is too old, and reported to its destination when it succeeds or is discarded.
async fn invoke_event(lambda: Arc<Lambda>, event: EventInvocation) {
    let EventInvocation {
        function: name,
        payload,
        options,
        queued_at,
    } = event;
    let spec = lambda.spec(lambda.canonical_name(&name));
    let settings = spec.map(|s| s.event_invoke.clone()).unwrap_or_default();
    let throttled_for_good = spec.is_some_and(|s| s.reserved_concurrency == Some(0));
    let retries = settings.maximum_retry_attempts as usize;
    let delays: Vec<Duration> = lambda
        .config
        .event_retry_delays
        .iter()
        .copied()
        .take(retries)
        .collect();
    let mut attempts = 0usize;
    let mut last: Option<Invocation> = None;
    let mut backoff = FIRST_THROTTLE_BACKOFF;
    // The event's end: its record to the destination its condition names, if any.
    let finish = |condition, attempts, last: Option<&Invocation>| {
        let record = Record {
            condition,
            attempts,
            payload: &payload,
            options: &options,
            last,
        };
        deliver(&lambda, &name, &settings, record);
    };
    // AWS (recorded 2025, LocalStack `test_lambda.py::test_reserved_concurrency`): a function
    // that may never run gets no attempt and no retry; its OnFailure destination is told at once,
    // condition `ZeroReservedConcurrency`, `approximateInvokeCount` 0.
    if throttled_for_good {
        tracing::warn!(function = %name, "reserved concurrency is 0: asynchronous event discarded");
        finish(Condition::ZeroReservedConcurrency, 0, None);
        return;
    }
    loop {
        if queued_at.elapsed() > settings.maximum_event_age {
            tracing::warn!(function = %name, attempts, "asynchronous event older than MaximumEventAgeInSeconds: discarded");
            finish(Condition::EventAgeExceeded, attempts, last.as_ref());
            return;
        }
        match lambda
            .invoke_with(&name, payload.clone(), options.clone())
            .await
        {
            Ok(invocation) if invocation.function_error.is_none() => {
                finish(Condition::Success, attempts + 1, Some(&invocation));
                return;
            }
            Ok(invocation) => {
                attempts += 1;
                last = Some(invocation);
                let Some(delay) = delays.get(attempts - 1) else {
                    tracing::warn!(function = %name, attempts, "asynchronous invocation failed every attempt: discarded");
                    finish(Condition::RetriesExhausted, attempts, last.as_ref());
                    return;
                };
                tracing::info!(function = %name, "asynchronous invocation failed; retrying in {}s", delay.as_secs());
                tokio::time::sleep(*delay).await;
            }
            Err(e @ (InvokeError::TooManyRequests { .. } | InvokeError::Service { .. })) => {
                tracing::info!(function = %name, error = %e, "asynchronous invocation not run; back in the queue for {}s", backoff.as_secs());
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_THROTTLE_BACKOFF);
            }
            Err(e) => {
                tracing::warn!(function = %name, error = %e, "asynchronous invocation dropped");
                return;
            }
        }
    }
}

/// What an invocation record says.
struct Record<'a> {
    condition: Condition,
    /// Attempts that reached the function (`approximateInvokeCount`).
    attempts: usize,
    payload: &'a Bytes,
    options: &'a InvokeOptions,
    /// The last attempt's outcome, if one ran.
    last: Option<&'a Invocation>,
}

/// Sends the record to the destination its condition names, if the function has one.
fn deliver(lambda: &Lambda, name: &str, settings: &EventInvokeConfig, record: Record<'_>) {
    let destination = match record.condition {
        Condition::Success => settings.on_success.as_ref(),
        Condition::RetriesExhausted
        | Condition::EventAgeExceeded
        | Condition::ZeroReservedConcurrency => settings.on_failure.as_ref(),
    };
    let Some(destination) = destination else {
        return;
    };
    let body = invocation_record(lambda, name, &record);
    match destination {
        // AWS invokes a Lambda destination asynchronously, with the record as its event.
        Destination::Function(target) => {
            let options = InvokeOptions {
                request_id: Some(uuid::Uuid::new_v4().to_string()),
                ..InvokeOptions::default()
            };
            lambda.enqueue_event(target, Bytes::from(body.to_string()), options);
        }
        // AWS: SQS, SNS, EventBridge or S3 would receive it; Sluice runs none of them.
        Destination::NotEmulated(target) => {
            tracing::warn!(function = %name, destination = %target, record = %body, "destination not emulated; this invocation record would have been sent");
        }
    }
}

/// AWS's invocation record (docs: invocation-async-retain-records, "Example invocation record").
fn invocation_record(lambda: &Lambda, name: &str, record: &Record<'_>) -> Value {
    let qualifier = record.options.qualifier.as_deref().unwrap_or("$LATEST");
    let request_id = record
        .options
        .request_id
        .clone()
        .or_else(|| record.last.map(|l| l.request_id.clone()))
        .unwrap_or_default();
    let condition = match record.condition {
        Condition::Success => "Success",
        Condition::RetriesExhausted => "RetriesExhausted",
        Condition::EventAgeExceeded => "EventAgeExceeded",
        Condition::ZeroReservedConcurrency => "ZeroReservedConcurrency",
    };
    let mut out = json!({
        "version": "1.0",
        "timestamp": timestamp(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": lambda.arn(&format!("{}:{qualifier}", lambda.canonical_name(name))),
            "condition": condition,
            "approximateInvokeCount": record.attempts,
        },
        "requestPayload": as_json(record.payload),
    });
    // An event that aged out before any attempt has no response to report.
    if let Some(last) = record.last {
        let mut context = json!({
            "statusCode": 200,
            "executedVersion": record.options.executed_version(),
        });
        if let Some(error) = &last.function_error {
            context["functionError"] = json!(error);
        }
        out["responseContext"] = context;
        out["responsePayload"] = as_json(&last.payload);
    }
    out
}

/// A payload as JSON, or as a string when it is not JSON.
fn as_json(payload: &Bytes) -> Value {
    serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()))
}

/// Now, as the record's `timestamp` writes it (`2019-11-14T18:16:05.568Z`).
pub(crate) fn timestamp() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}
