//! The invocation record Lambda sends to a stream mapping's `DestinationConfig.OnFailure` when it
//! gives up on records. Sluice runs no SQS or SNS, so the poller logs the record it would send.
//!
//! Its shape is AWS's as recorded in LocalStack's AWS-validated
//! `test_lambda_integration_dynamodbstreams.snapshot.json`
//! (`test_dynamodb_event_source_mapping_with_on_failure_destination_config`,
//! `test_dynamodb_report_batch_item_failures`, `test_dynamodb_report_batch_item_failure_scenarios`):
//! `requestContext` (the last invocation's `requestId`, the unqualified `functionArn`,
//! `condition`, `approximateInvokeCount`), `responseContext` (`statusCode` 200,
//! `executedVersion`, `functionError`: `"Unhandled"`, or `null` when the function answered with
//! `batchItemFailures`), `version` `"1.0"`, `timestamp` with milliseconds, and
//! `DDBStreamBatchInfo` (the shard, the first and last sequence numbers, the first and last
//! records' arrival to the second, `batchSize`, `streamArn`).

use serde_json::{json, Value};

/// Why records were given up on (`requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Condition {
    /// `MaximumRetryAttempts` ran out.
    RetryAttemptsExhausted,
    /// The records passed `MaximumRecordAgeInSeconds` (or the stream's retention). The name is
    /// LocalStack's (stream_poller.py); no AWS recording of this case was found.
    RecordAgeExceeded,
}

/// What the last invocation that carried the records said.
#[derive(Debug, Clone)]
pub(super) struct LastAttempt {
    /// Its request id.
    pub request_id: String,
    /// `Some("Unhandled")` when the function failed.
    pub function_error: Option<String>,
}

/// Records given up on, and what became of them.
pub(super) struct Discard<'a> {
    /// Why.
    pub condition: Condition,
    /// Invocations that carried them.
    pub invocations: u32,
    /// The last of those, if any ran.
    pub last: Option<&'a LastAttempt>,
    /// The records, in stream order (not empty).
    pub records: &'a [Value],
    /// The shard they were read from.
    pub shard_id: &'a str,
    /// The stream's ARN.
    pub stream_arn: &'a str,
    /// The function's unqualified ARN.
    pub function_arn: &'a str,
}

/// The invocation record for `discard`, keys in AWS's order.
pub(super) fn record(discard: &Discard<'_>) -> Value {
    let condition = match discard.condition {
        Condition::RetryAttemptsExhausted => "RetryAttemptsExhausted",
        Condition::RecordAgeExceeded => "RecordAgeExceeded",
    };
    let request_id = discard.last.map_or_else(
        || uuid::Uuid::new_v4().to_string(),
        |l| l.request_id.clone(),
    );
    let mut out = json!({
        "requestContext": {
            "requestId": request_id,
            "functionArn": discard.function_arn,
            "condition": condition,
            "approximateInvokeCount": discard.invocations,
        },
    });
    // Records that aged out before any invocation have no response to report.
    if let Some(last) = discard.last {
        out["responseContext"] = json!({
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": last.function_error,
        });
    }
    let (first, last) = (
        discard.records.first().unwrap_or(&Value::Null),
        discard.records.last().unwrap_or(&Value::Null),
    );
    out["version"] = json!("1.0");
    out["timestamp"] = json!(crate::event_queue::timestamp());
    out["DDBStreamBatchInfo"] = json!({
        "shardId": discard.shard_id,
        "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
        "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
        "approximateArrivalOfFirstRecord": arrival(first),
        "approximateArrivalOfLastRecord": arrival(last),
        "batchSize": discard.records.len(),
        "streamArn": discard.stream_arn,
    });
    out
}

/// A record's `ApproximateCreationDateTime` (epoch seconds) as the failure record writes it:
/// `2022-07-13T13:48:01Z`.
fn arrival(record: &Value) -> Value {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    record["dynamodb"]["ApproximateCreationDateTime"]
        .as_f64()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs.floor() as i64).ok())
        .and_then(|at| at.format(&format).ok())
        .map_or(Value::Null, Value::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_has_the_recorded_shape_and_key_order() {
        let records = [
            json!({"dynamodb": {"SequenceNumber": "100", "ApproximateCreationDateTime": 1657720081.0}}),
            json!({"dynamodb": {"SequenceNumber": "200", "ApproximateCreationDateTime": 1657720082.0}}),
        ];
        let last = LastAttempt {
            request_id: "r-1".into(),
            function_error: None,
        };
        let record = record(&Discard {
            condition: Condition::RetryAttemptsExhausted,
            invocations: 4,
            last: Some(&last),
            records: &records,
            shard_id: "shardId-1",
            stream_arn: "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f",
        });
        let keys: Vec<&String> = record.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            [
                "requestContext",
                "responseContext",
                "version",
                "timestamp",
                "DDBStreamBatchInfo"
            ]
        );
        assert_eq!(
            record["requestContext"],
            json!({"requestId": "r-1", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4})
        );
        // A partial-batch answer leaves `functionError` null, not absent (as recorded).
        assert_eq!(
            record["responseContext"],
            json!({"statusCode": 200, "executedVersion": "$LATEST", "functionError": null})
        );
        assert_eq!(
            record["DDBStreamBatchInfo"],
            json!({"shardId": "shardId-1", "startSequenceNumber": "100", "endSequenceNumber": "200",
                "approximateArrivalOfFirstRecord": "2022-07-13T13:48:01Z",
                "approximateArrivalOfLastRecord": "2022-07-13T13:48:02Z", "batchSize": 2,
                "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x"})
        );
        let stamp = record["timestamp"].as_str().expect("timestamp");
        assert!(stamp.ends_with('Z') && stamp.len() == 24, "{stamp}");
    }

    #[test]
    fn records_that_aged_out_unread_have_no_response_context() {
        let records = [json!({"dynamodb": {"SequenceNumber": "1"}})];
        let record = record(&Discard {
            condition: Condition::RecordAgeExceeded,
            invocations: 0,
            last: None,
            records: &records,
            shard_id: "s",
            stream_arn: "a",
            function_arn: "f",
        });
        assert_eq!(record["requestContext"]["condition"], "RecordAgeExceeded");
        assert_eq!(record["requestContext"]["approximateInvokeCount"], 0);
        assert!(record.get("responseContext").is_none(), "{record}");
    }
}
