//! Delivering one batch of stream records: filtering, the invocation, and Lambda's answers to a
//! failure (retry, bisect, resume from the first reported failure, give up).

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use super::StreamMappingSpec;
use crate::service::Lambda;

/// How long DynamoDB keeps stream records: the oldest a record can be when retries never end.
const STREAM_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest wait between retries of a failing batch.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What an invocation made of a batch.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Every record was processed.
    Delivered,
    /// Records from this index on must be retried (0: the whole batch failed).
    FailedFrom(usize),
}

/// Delivers `records` (as GetRecords returned them) to the mapping's function until each is
/// processed, filtered out or given up on; returns the sequence number of the last record, which
/// the caller checkpoints.
pub(super) async fn deliver(
    lambda: &Lambda,
    mapping: &StreamMappingSpec,
    stream_arn: &str,
    records: Vec<Value>,
) -> Option<String> {
    let last = records.last().and_then(sequence_number).map(str::to_owned);
    let records: Vec<Value> = records
        .into_iter()
        .map(|mut r| {
            r["eventSourceARN"] = json!(stream_arn);
            lambda_user_identity(&mut r);
            r
        })
        .filter(|r| mapping.filters.is_empty() || mapping.filters.iter().any(|f| f.matches(r)))
        .collect();
    let mut queue = VecDeque::from([(records, 0u32)]);
    while let Some((batch, attempts)) = queue.pop_front() {
        let batch = drop_expired(mapping, batch);
        if batch.is_empty() {
            continue;
        }
        let failed_from = match invoke(lambda, mapping, &batch).await {
            Outcome::Delivered => continue,
            Outcome::FailedFrom(index) => index,
        };
        let mut rest = batch[failed_from..].to_vec();
        let attempts = attempts + 1;
        if mapping
            .maximum_retry_attempts
            .is_some_and(|max| attempts > max)
        {
            give_up(mapping, &rest, "every retry failed");
            continue;
        }
        if mapping.bisect_on_error && rest.len() > 1 {
            let second = rest.split_off(rest.len() / 2);
            queue.push_front((second, attempts));
            queue.push_front((rest, attempts));
        } else {
            tokio::time::sleep(backoff(attempts)).await;
            queue.push_front((rest, attempts));
        }
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

/// Records older than the mapping's maximum age are given up on.
fn drop_expired(mapping: &StreamMappingSpec, batch: Vec<Value>) -> Vec<Value> {
    let max_age = mapping.maximum_record_age.unwrap_or(STREAM_RETENTION);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let (kept, expired): (Vec<Value>, Vec<Value>) = batch.into_iter().partition(|r| {
        let created = r["dynamodb"]["ApproximateCreationDateTime"]
            .as_f64()
            .unwrap_or(now);
        now - created <= max_age.as_secs_f64()
    });
    if !expired.is_empty() {
        give_up(
            mapping,
            &expired,
            "they are older than the maximum record age",
        );
    }
    kept
}

fn give_up(mapping: &StreamMappingSpec, records: &[Value], why: &str) {
    let first = records.first().and_then(sequence_number).unwrap_or("?");
    let last = records.last().and_then(sequence_number).unwrap_or("?");
    let destination = match &mapping.on_failure_destination {
        Some(d) => format!("; the on-failure destination {d} is not emulated"),
        None => String::new(),
    };
    tracing::warn!(
        mapping = %mapping.id,
        function = %mapping.function,
        "{} stream record(s) {first}..{last} skipped: {why}{destination}",
        records.len()
    );
}

async fn invoke(lambda: &Lambda, mapping: &StreamMappingSpec, batch: &[Value]) -> Outcome {
    let payload = Bytes::from(json!({ "Records": batch }).to_string());
    match lambda.invoke(&mapping.function, payload).await {
        Ok(invocation) if invocation.function_error.is_none() => {
            if mapping.report_batch_item_failures {
                reported_failures(&invocation.payload, batch)
            } else {
                Outcome::Delivered
            }
        }
        Ok(_) => Outcome::FailedFrom(0),
        Err(error) => {
            tracing::warn!(mapping = %mapping.id, function = %mapping.function, %error, "stream batch not delivered");
            Outcome::FailedFrom(0)
        }
    }
}

/// Reads a `ReportBatchItemFailures` response as Lambda does: no failures (an empty or null list,
/// `{}`, `null`) is success; a malformed answer or an identifier that names no record of the batch
/// fails the whole batch; otherwise the batch resumes from the earliest failed record.
fn reported_failures(response: &[u8], batch: &[Value]) -> Outcome {
    let Ok(response) = serde_json::from_slice::<Value>(response) else {
        return Outcome::FailedFrom(0);
    };
    let failures = match response.get("batchItemFailures") {
        None | Some(Value::Null) => return Outcome::Delivered,
        Some(Value::Array(items)) => items,
        Some(_) => return Outcome::FailedFrom(0),
    };
    let mut earliest: Option<usize> = None;
    for failure in failures {
        let id = failure.get("itemIdentifier").and_then(Value::as_str);
        let Some(index) = id
            .filter(|id| !id.is_empty())
            .and_then(|id| batch.iter().position(|r| sequence_number(r) == Some(id)))
        else {
            return Outcome::FailedFrom(0);
        };
        earliest = Some(earliest.map_or(index, |e| e.min(index)));
    }
    earliest.map_or(Outcome::Delivered, Outcome::FailedFrom)
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
            Outcome::FailedFrom(1)
        );
        for whole in [
            "not json",
            r#"{"batchItemFailures": "102"}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#,
            r#"{"batchItemFailures": [{"id": "102"}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": "999"}]}"#,
        ] {
            assert_eq!(outcome(whole), Outcome::FailedFrom(0), "{whole}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
