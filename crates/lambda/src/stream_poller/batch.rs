//! Delivering one batch of stream records: filtering, the invocation, and Lambda's answers to a
//! failure (retry, bisect, resume from the first reported failure, give up).
//!
//! AWS (Lambda developer guide, services-dynamodb-errors): an error *before* invocation
//! (throttling, a function that cannot be run) is retried until the records expire or exceed
//! `MaximumRecordAgeInSeconds`; a function error is retried up to `MaximumRetryAttempts` too, and
//! with `BisectBatchOnFunctionError` the failed batch is split in two, "Splitting batches doesn't
//! consume the retry quota". With `ReportBatchItemFailures` as well, a partial-failure answer
//! bisects the batch "at the returned sequence number and Lambda retries only the remaining
//! records" (services-ddb-batchfailurereporting, "Bisecting a batch").

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use super::failure_record::{self, Condition, Discard, LastAttempt};
use super::StreamMappingSpec;
use crate::limits::MAX_REQUEST_PAYLOAD;
use crate::service::Lambda;

/// How long DynamoDB keeps stream records: the oldest a record can be when retries never end.
const STREAM_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest wait between retries of a failing batch.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Where the records come from: the stream and the shard (both named in the failure record).
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin<'a> {
    /// The stream's ARN (the event's `eventSourceARN`).
    pub stream_arn: &'a str,
    /// The shard read.
    pub shard_id: &'a str,
}

/// What an invocation made of a batch.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Every record was processed.
    Delivered,
    /// The function ran and failed: the whole batch is retried (or bisected).
    FunctionError,
    /// The function answered with `batchItemFailures`: records from this index on are retried
    /// (0 also when the answer is malformed, which Lambda takes as a complete failure).
    Reported(usize),
    /// The function could not be invoked (throttled, or Sluice could not run it).
    NotInvoked,
}

/// Records waiting to be (re)delivered, with what their attempts so far cost.
struct Pending {
    records: Vec<Value>,
    /// Retries taken from `MaximumRetryAttempts` (bisecting takes none).
    retries: u32,
    /// Invocations that carried these records (the failure record's `approximateInvokeCount`).
    invocations: u32,
    /// Attempts in a row that could not invoke the function (for the backoff only).
    not_invoked: u32,
    /// The last invocation's request id and error, for the failure record.
    last: Option<LastAttempt>,
}

impl Pending {
    fn new(records: Vec<Value>) -> Pending {
        Pending {
            records,
            retries: 0,
            invocations: 0,
            not_invoked: 0,
            last: None,
        }
    }

    /// The same history over other records (a half of a bisected batch, or the rest of one).
    fn with(&self, records: Vec<Value>) -> Pending {
        Pending {
            records,
            retries: self.retries,
            invocations: self.invocations,
            not_invoked: 0,
            last: self.last.clone(),
        }
    }
}

/// Delivers `records` (as GetRecords returned them) to the mapping's function until each is
/// processed, filtered out or given up on; returns the sequence number of the last record, which
/// the caller checkpoints.
pub(super) async fn deliver(
    lambda: &Lambda,
    mapping: &StreamMappingSpec,
    origin: Origin<'_>,
    records: Vec<Value>,
) -> Option<String> {
    let last = records.last().and_then(sequence_number).map(str::to_owned);
    let records: Vec<Value> = records
        .into_iter()
        .map(|mut r| {
            r["eventSourceARN"] = json!(origin.stream_arn);
            lambda_user_identity(&mut r);
            r
        })
        .filter(|r| mapping.filters.is_empty() || mapping.filters.iter().any(|f| f.matches(r)))
        .collect();
    let mut queue: VecDeque<Pending> = within_payload_limit(records)
        .into_iter()
        .map(Pending::new)
        .collect();
    while let Some(mut batch) = queue.pop_front() {
        let expired = take_expired(mapping, &mut batch.records);
        if !expired.is_empty() {
            let why = Condition::RecordAgeExceeded;
            give_up(lambda, mapping, origin, &batch.with(expired), why);
        }
        if batch.records.is_empty() {
            continue;
        }
        let (outcome, attempt) = invoke(lambda, mapping, &batch.records).await;
        if let Some(attempt) = attempt {
            batch.invocations += 1;
            batch.last = Some(attempt);
        }
        let retry_from = match outcome {
            Outcome::Delivered => continue,
            Outcome::NotInvoked => {
                // Not a failure of the function: retried until the records are too old, taking
                // nothing from the retry quota, never bisected.
                batch.not_invoked += 1;
                tokio::time::sleep(backoff(batch.not_invoked)).await;
                queue.push_front(batch);
                continue;
            }
            Outcome::FunctionError if mapping.bisect_on_error && batch.records.len() > 1 => {
                let second = batch.records.split_off(batch.records.len() / 2);
                let second = batch.with(second);
                let first = std::mem::take(&mut batch.records);
                let first = batch.with(first);
                queue.push_front(second);
                queue.push_front(first);
                continue;
            }
            Outcome::FunctionError => 0,
            Outcome::Reported(index) => index,
        };
        let rest = batch.records.split_off(retry_from);
        let mut retry = batch.with(rest);
        retry.retries += 1;
        if mapping
            .maximum_retry_attempts
            .is_some_and(|max| retry.retries > max)
        {
            give_up(
                lambda,
                mapping,
                origin,
                &retry,
                Condition::RetryAttemptsExhausted,
            );
            continue;
        }
        tokio::time::sleep(backoff(retry.retries)).await;
        queue.push_front(retry);
    }
    last
}

/// Waits 0.5 s, 1 s, 2 s … (at most [`MAX_BACKOFF`]) before the `attempts`th retry.
fn backoff(attempts: u32) -> Duration {
    let ms = 500u64.saturating_mul(1 << attempts.saturating_sub(1).min(16));
    Duration::from_millis(ms).min(MAX_BACKOFF)
}

fn sequence_number(record: &Value) -> Option<&str> {
    record["dynamodb"]["SequenceNumber"].as_str()
}

/// `records` cut, in order, into batches whose event stays within Lambda's synchronous payload
/// limit. AWS: a stream mapping sends a batch when it reaches `BatchSize`, the batching window
/// ends, or the payload would pass 6 MB (Lambda developer guide, invocation-eventsourcemapping,
/// "Batching behavior"), so a function never gets a batch it cannot be invoked with.
fn within_payload_limit(records: Vec<Value>) -> Vec<Vec<Value>> {
    // `{"Records":[` … `]}`, and a comma between records.
    const ENVELOPE: usize = r#"{"Records":[]}"#.len();
    let mut batches: Vec<Vec<Value>> = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut size = ENVELOPE;
    for record in records {
        let len = record.to_string().len();
        if !current.is_empty() && size + 1 + len > MAX_REQUEST_PAYLOAD {
            batches.push(std::mem::take(&mut current));
            size = ENVELOPE;
        }
        size += len + usize::from(!current.is_empty());
        current.push(record);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Takes the records older than the mapping's maximum age out of `batch`.
fn take_expired(mapping: &StreamMappingSpec, batch: &mut Vec<Value>) -> Vec<Value> {
    let max_age = mapping.maximum_record_age.unwrap_or(STREAM_RETENTION);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let (kept, expired): (Vec<Value>, Vec<Value>) =
        std::mem::take(batch).into_iter().partition(|r| {
            let created = r["dynamodb"]["ApproximateCreationDateTime"]
                .as_f64()
                .unwrap_or(now);
            now - created <= max_age.as_secs_f64()
        });
    *batch = kept;
    expired
}

/// Logs the records given up on; with an on-failure destination, the record Lambda would have
/// sent it (Sluice runs no SQS or SNS to send it to).
fn give_up(
    lambda: &Lambda,
    mapping: &StreamMappingSpec,
    origin: Origin<'_>,
    batch: &Pending,
    condition: Condition,
) {
    let records = &batch.records;
    let first = records.first().and_then(sequence_number).unwrap_or("?");
    let last = records.last().and_then(sequence_number).unwrap_or("?");
    let why = match condition {
        Condition::RetryAttemptsExhausted => "every retry failed",
        Condition::RecordAgeExceeded => "they are older than the maximum record age",
    };
    let Some(destination) = &mapping.on_failure_destination else {
        tracing::warn!(
            mapping = %mapping.id,
            function = %mapping.function,
            "{} stream record(s) {first}..{last} skipped: {why}",
            records.len()
        );
        return;
    };
    let record = failure_record::record(&Discard {
        condition,
        invocations: batch.invocations,
        last: batch.last.as_ref(),
        records,
        shard_id: origin.shard_id,
        stream_arn: origin.stream_arn,
        function_arn: &lambda.arn(&mapping.function),
    });
    tracing::warn!(
        mapping = %mapping.id,
        function = %mapping.function,
        record = %record,
        "{} stream record(s) {first}..{last} skipped: {why}; the on-failure destination {destination} is not emulated, this invocation record would have been sent",
        records.len()
    );
}

/// Invokes the function with `batch`; what came of it, and the invocation's request id and
/// error when the function ran.
async fn invoke(
    lambda: &Lambda,
    mapping: &StreamMappingSpec,
    batch: &[Value],
) -> (Outcome, Option<LastAttempt>) {
    let payload = Bytes::from(json!({ "Records": batch }).to_string());
    match lambda.invoke(&mapping.function, payload).await {
        Ok(invocation) => {
            let outcome = if invocation.function_error.is_some() {
                Outcome::FunctionError
            } else if mapping.report_batch_item_failures {
                reported_failures(&invocation.payload, batch)
            } else {
                Outcome::Delivered
            };
            let attempt = LastAttempt {
                request_id: invocation.request_id,
                function_error: invocation.function_error,
            };
            (outcome, Some(attempt))
        }
        Err(error) => {
            tracing::info!(mapping = %mapping.id, function = %mapping.function, %error, "stream batch not invoked; retried until its records are too old (not counted against MaximumRetryAttempts)");
            (Outcome::NotInvoked, None)
        }
    }
}

/// Reads a `ReportBatchItemFailures` response as Lambda does: no failures (an empty or null list,
/// `{}`, `null`) is success; a malformed answer or an identifier that names no record of the batch
/// fails the whole batch; otherwise the batch resumes from the earliest failed record.
fn reported_failures(response: &[u8], batch: &[Value]) -> Outcome {
    let Ok(response) = serde_json::from_slice::<Value>(response) else {
        return Outcome::Reported(0);
    };
    let failures = match response.get("batchItemFailures") {
        None | Some(Value::Null) => return Outcome::Delivered,
        Some(Value::Array(items)) => items,
        Some(_) => return Outcome::Reported(0),
    };
    let mut earliest: Option<usize> = None;
    for failure in failures {
        let id = failure.get("itemIdentifier").and_then(Value::as_str);
        let Some(index) = id
            .filter(|id| !id.is_empty())
            .and_then(|id| batch.iter().position(|r| sequence_number(r) == Some(id)))
        else {
            return Outcome::Reported(0);
        };
        earliest = Some(earliest.map_or(index, |e| e.min(index)));
    }
    earliest.map_or(Outcome::Delivered, Outcome::Reported)
}

/// The Streams API names a TTL deletion's identity `{"Type", "PrincipalId"}` (its model's member
/// names); Lambda's DynamoDB event spells them `type` and `principalId`, and filter patterns match
/// that spelling (AWS's "filter out TTL deletes" example uses `userIdentity.type`).
fn lambda_user_identity(record: &mut Value) {
    let Some(identity) = record
        .get_mut("userIdentity")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (api, event) in [("Type", "type"), ("PrincipalId", "principalId")] {
        if let Some(v) = identity.remove(api) {
            identity.insert(event.to_string(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch() -> Vec<Value> {
        ["101", "102", "103"]
            .iter()
            .map(|s| json!({"dynamodb": {"SequenceNumber": s}}))
            .collect()
    }

    #[test]
    fn ttl_identity_takes_the_lambda_event_spelling() {
        let mut r = json!({"eventName": "REMOVE",
            "userIdentity": {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}});
        lambda_user_identity(&mut r);
        assert_eq!(
            r["userIdentity"],
            json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
        );
        let mut plain = json!({"eventName": "INSERT"});
        lambda_user_identity(&mut plain);
        assert_eq!(plain, json!({"eventName": "INSERT"}));
    }

    #[test]
    fn reported_failures_resume_from_the_earliest_or_fail_the_batch() {
        let b = batch();
        let outcome = |text: &str| reported_failures(text.as_bytes(), &b);
        for success in [
            "null",
            "{}",
            r#"{"batchItemFailures": []}"#,
            r#"{"batchItemFailures": null}"#,
        ] {
            assert_eq!(outcome(success), Outcome::Delivered, "{success}");
        }
        assert_eq!(
            outcome(
                r#"{"batchItemFailures": [{"itemIdentifier": "103"}, {"itemIdentifier": "102"}]}"#
            ),
            Outcome::Reported(1)
        );
        for whole in [
            "not json",
            r#"{"batchItemFailures": "102"}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#,
            r#"{"batchItemFailures": [{"id": "102"}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": "999"}]}"#,
        ] {
            assert_eq!(outcome(whole), Outcome::Reported(0), "{whole}");
        }
    }

    #[test]
    fn batches_are_cut_so_each_event_stays_within_the_payload_limit() {
        // Records of about 2 MB: three fit in one 6 MB event, a fourth does not.
        let record = |n: u32| json!({"n": n, "blob": "x".repeat(2_000_000)});
        let cut = within_payload_limit((1..=9).map(record).collect());
        let sizes: Vec<usize> = cut.iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 3, 3]);
        for batch in &cut {
            let event = json!({ "Records": batch }).to_string();
            assert!(event.len() <= MAX_REQUEST_PAYLOAD, "{}", event.len());
        }
        let order: Vec<u64> = cut
            .iter()
            .flatten()
            .filter_map(|r| r["n"].as_u64())
            .collect();
        assert_eq!(order, (1..=9).collect::<Vec<u64>>());
        // Small records stay in one batch; a record too large alone still gets its own.
        assert_eq!(within_payload_limit(vec![record(1), json!({})]).len(), 1);
        let huge = json!({"blob": "x".repeat(MAX_REQUEST_PAYLOAD)});
        assert_eq!(within_payload_limit(vec![record(1), huge]).len(), 2);
        assert!(within_payload_limit(Vec::new()).is_empty());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
