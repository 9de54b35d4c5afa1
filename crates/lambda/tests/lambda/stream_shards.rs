//! Stream pollers read every shard of a stream, parents before children, from a stream served by
//! a fake Streams API with several shards (as a remote DynamoDB has after roll-overs).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sluice_lambda::stream_poller::{
    Checkpoint, SourceFuture, StartingPosition, StreamApi, StreamMappingSpec, StreamSource,
};

use crate::harness::{python, service};

const ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2026-01-01T00:00:00.000";

/// A shard: id, parent, its records' sequence numbers, and whether it is closed.
struct FakeShard {
    id: &'static str,
    parent: Option<&'static str>,
    records: Vec<u64>,
    closed: bool,
}

/// A Streams API over fixed shards: DescribeStream pages one shard at a time (so the poller must
/// follow `LastEvaluatedShardId`) and lists children before their parents.
struct FakeStream {
    shards: Vec<FakeShard>,
    checkpoint: Mutex<Option<Checkpoint>>,
}

fn seq(n: u64) -> String {
    format!("{n:021}")
}

impl FakeStream {
    fn answer(&self, operation: &str, body: &Value) -> Value {
        match operation {
            "DescribeTable" => json!({"Table": {"LatestStreamArn": ARN}}),
            "DescribeStream" => {
                let after = body["ExclusiveStartShardId"].as_str();
                let at = after.map_or(0, |a| {
                    self.shards.iter().position(|s| s.id == a).expect("listed") + 1
                });
                let s = &self.shards[at];
                let mut range = json!({"StartingSequenceNumber": seq(s.records[0])});
                if s.closed {
                    range["EndingSequenceNumber"] = json!(seq(*s.records.last().expect("records")));
                }
                let mut shard = json!({"ShardId": s.id, "SequenceNumberRange": range});
                if let Some(p) = s.parent {
                    shard["ParentShardId"] = json!(p);
                }
                let mut description = json!({"StreamArn": ARN, "Shards": [shard]});
                if at + 1 < self.shards.len() {
                    description["LastEvaluatedShardId"] = json!(s.id);
                }
                json!({"StreamDescription": description})
            }
            "GetShardIterator" => {
                let shard = body["ShardId"].as_str().expect("ShardId");
                let after: u64 = match body["ShardIteratorType"].as_str() {
                    Some("AFTER_SEQUENCE_NUMBER") => body["SequenceNumber"]
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .expect("SequenceNumber"),
                    Some("TRIM_HORIZON") => 0,
                    other => panic!("unexpected iterator type {other:?}"),
                };
                json!({"ShardIterator": format!("{shard}/{after}")})
            }
            "GetRecords" => {
                let iterator = body["ShardIterator"].as_str().expect("iterator");
                let (shard, after) = iterator.split_once('/').expect("shard/after");
                let after: u64 = after.parse().expect("position");
                let limit = body["Limit"].as_u64().unwrap_or(1000) as usize;
                let s = self.shards.iter().find(|s| s.id == shard).expect("shard");
                let page: Vec<u64> = s
                    .records
                    .iter()
                    .copied()
                    .filter(|n| *n > after)
                    .take(limit)
                    .collect();
                let records: Vec<Value> = page
                    .iter()
                    .map(|n| {
                        json!({"eventName": "INSERT", "dynamodb": {"SequenceNumber": seq(*n),
                        "Keys": {"id": {"S": n.to_string()}}}})
                    })
                    .collect();
                let last = page.last().copied().unwrap_or(after);
                let at_end = s.records.last().is_none_or(|l| last >= *l);
                let mut out = json!({"Records": records});
                if !(s.closed && at_end) {
                    out["NextShardIterator"] = json!(format!("{shard}/{last}"));
                }
                out
            }
            other => panic!("unexpected operation {other}"),
        }
    }
}

impl StreamSource for FakeStream {
    fn call(
        &self,
        _api: StreamApi,
        operation: &'static str,
        body: Value,
    ) -> SourceFuture<'_, Value> {
        let answer = self.answer(operation, &body);
        Box::pin(async move { Ok(answer) })
    }

    fn checkpoint<'a>(&'a self, _mapping: &'a str) -> SourceFuture<'a, Option<Checkpoint>> {
        let cp = self.checkpoint.lock().expect("lock").clone();
        Box::pin(async move { Ok(cp) })
    }

    fn save_checkpoint<'a>(
        &'a self,
        _mapping: &'a str,
        checkpoint: Checkpoint,
    ) -> SourceFuture<'a, ()> {
        *self.checkpoint.lock().expect("lock") = Some(checkpoint);
        Box::pin(async move { Ok(()) })
    }
}

#[tokio::test]
async fn every_shard_is_read_parents_first_resuming_after_the_checkpoint() {
    let (lambda, lines) = service(vec![python("Consumer", "app.records")]);
    // Listed newest first: the open leaf, its closed parent, the closed root.
    let stream = Arc::new(FakeStream {
        shards: vec![
            FakeShard {
                id: "shardId-3",
                parent: Some("shardId-2"),
                records: vec![30, 31],
                closed: false,
            },
            FakeShard {
                id: "shardId-2",
                parent: Some("shardId-1"),
                records: vec![20, 21, 22],
                closed: true,
            },
            FakeShard {
                id: "shardId-1",
                parent: None,
                records: vec![10, 11, 12],
                closed: true,
            },
        ],
        // Records up to 11 were handled before a restart.
        checkpoint: Mutex::new(Some(Checkpoint {
            stream_arn: ARN.into(),
            sequence_number: seq(11),
        })),
    });
    let mapping = StreamMappingSpec {
        id: "m1".into(),
        function: "Consumer".into(),
        table: "T".into(),
        starting_position: StartingPosition::TrimHorizon,
        batch_size: 2,
        batching_window: Duration::ZERO,
        filters: Vec::new(),
        maximum_retry_attempts: Some(0),
        maximum_record_age: None,
        bisect_on_error: false,
        report_batch_item_failures: false,
        on_failure_destination: None,
    };
    let pollers = lambda.start_stream_pollers(vec![mapping], stream.clone());
    let expected: Vec<String> = [12, 20, 21, 22, 30, 31]
        .iter()
        .map(|n| format!("seq {}", seq(*n)))
        .collect();
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = lines
            .of("Consumer")
            .into_iter()
            .filter(|l| l.starts_with("seq "))
            .collect();
        if seen.len() >= expected.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pollers.stop(Duration::from_secs(5)).await;
    assert_eq!(seen, expected, "each record once, parents before children");
    let cp = stream
        .checkpoint
        .lock()
        .expect("lock")
        .clone()
        .expect("checkpoint");
    assert_eq!(cp.sequence_number, seq(31));
}
