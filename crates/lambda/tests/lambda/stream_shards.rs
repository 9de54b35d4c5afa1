//! Stream pollers read every shard of a stream, parents before children, from a stream served by
//! a fake Streams API with several shards (as a remote DynamoDB has after roll-overs and splits).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sluice_lambda::stream_poller::{
    Checkpoint, ShardCheckpoint, SourceFuture, StartingPosition, StreamApi, StreamMappingSpec,
    StreamSource,
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
        answer(&self.shards, operation, body)
    }
}

/// The Streams API's answer over `shards`.
fn answer(shards: &[FakeShard], operation: &str, body: &Value) -> Value {
    match operation {
        "DescribeTable" => json!({"Table": {"LatestStreamArn": ARN}}),
        "DescribeStream" => {
            let after = body["ExclusiveStartShardId"].as_str();
            let at = after.map_or(0, |a| {
                shards.iter().position(|s| s.id == a).expect("listed") + 1
            });
            let s = &shards[at];
            let mut range = json!({"StartingSequenceNumber": seq(s.records[0])});
            if s.closed {
                range["EndingSequenceNumber"] = json!(seq(*s.records.last().expect("records")));
            }
            let mut shard = json!({"ShardId": s.id, "SequenceNumberRange": range});
            if let Some(p) = s.parent {
                shard["ParentShardId"] = json!(p);
            }
            let mut description = json!({"StreamArn": ARN, "Shards": [shard]});
            if at + 1 < shards.len() {
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
            let s = shards.iter().find(|s| s.id == shard).expect("shard");
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

/// A stream that splits: its shards can grow while no poller runs, and it keeps a checkpoint per
/// shard (as Sluice's store does), besides an older Sluice's single checkpoint.
struct SplitStream {
    shards: Mutex<Vec<FakeShard>>,
    per_shard: Mutex<HashMap<String, ShardCheckpoint>>,
    single: Mutex<Option<Checkpoint>>,
}

impl SplitStream {
    fn new(shards: Vec<FakeShard>, single: Option<u64>) -> Arc<SplitStream> {
        Arc::new(SplitStream {
            shards: Mutex::new(shards),
            per_shard: Mutex::new(HashMap::new()),
            single: Mutex::new(single.map(|n| Checkpoint {
                stream_arn: ARN.into(),
                sequence_number: seq(n),
            })),
        })
    }

    /// Records written to `shard` while no poller runs.
    fn append(&self, shard: &str, records: &[u64]) {
        let mut shards = self.shards.lock().expect("lock");
        let s = shards.iter_mut().find(|s| s.id == shard).expect("shard");
        s.records.extend_from_slice(records);
    }

    fn checkpoint_of(&self, shard: &str) -> Option<ShardCheckpoint> {
        self.per_shard.lock().expect("lock").get(shard).cloned()
    }
}

impl StreamSource for SplitStream {
    fn call(
        &self,
        _api: StreamApi,
        operation: &'static str,
        body: Value,
    ) -> SourceFuture<'_, Value> {
        let answer = answer(&self.shards.lock().expect("lock"), operation, &body);
        Box::pin(async move { Ok(answer) })
    }

    fn checkpoint<'a>(&'a self, _mapping: &'a str) -> SourceFuture<'a, Option<Checkpoint>> {
        let cp = self.single.lock().expect("lock").clone();
        Box::pin(async move { Ok(cp) })
    }

    fn save_checkpoint<'a>(
        &'a self,
        _mapping: &'a str,
        _checkpoint: Checkpoint,
    ) -> SourceFuture<'a, ()> {
        panic!("a source with per-shard checkpoints never gets a single one");
    }

    fn shard_checkpoints<'a>(
        &'a self,
        _mapping: &'a str,
        stream_arn: &'a str,
    ) -> SourceFuture<'a, Option<Vec<ShardCheckpoint>>> {
        assert_eq!(stream_arn, ARN);
        let rows = self
            .per_shard
            .lock()
            .expect("lock")
            .values()
            .cloned()
            .collect();
        Box::pin(async move { Ok(Some(rows)) })
    }

    fn save_shard_checkpoints<'a>(
        &'a self,
        _mapping: &'a str,
        stream_arn: &'a str,
        checkpoints: Vec<ShardCheckpoint>,
    ) -> SourceFuture<'a, ()> {
        assert_eq!(stream_arn, ARN);
        let mut stored = self.per_shard.lock().expect("lock");
        for c in checkpoints {
            stored.insert(c.shard_id.clone(), c);
        }
        Box::pin(async move { Ok(()) })
    }
}

fn mapping(batch_size: usize) -> StreamMappingSpec {
    StreamMappingSpec {
        id: "m1".into(),
        function: "Consumer".into(),
        table: "T".into(),
        starting_position: StartingPosition::TrimHorizon,
        batch_size,
        batching_window: Duration::ZERO,
        filters: Vec::new(),
        maximum_retry_attempts: Some(0),
        maximum_record_age: None,
        bisect_on_error: false,
        report_batch_item_failures: false,
        on_failure_destination: None,
    }
}

/// The sequence numbers the function printed, in order, once at least `count` arrived (or after
/// 30 s of waiting, whatever arrived).
async fn delivered(lines: &crate::harness::Lines, count: usize) -> Vec<u64> {
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = lines
            .of("Consumer")
            .into_iter()
            .filter_map(|l| l.strip_prefix("seq ").and_then(|n| n.trim().parse().ok()))
            .collect();
        if seen.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

/// The records of `shard` among `seen`, in delivery order.
fn of_shard(seen: &[u64], shard: &[u64]) -> Vec<u64> {
    seen.iter().copied().filter(|n| shard.contains(n)).collect()
}

/// A closed parent `p` split into two open children `a` and `b`.
fn split_shards(p: Vec<u64>, a: Vec<u64>, b: Vec<u64>) -> Vec<FakeShard> {
    vec![
        FakeShard {
            id: "shardId-b",
            parent: Some("shardId-p"),
            records: b,
            closed: false,
        },
        FakeShard {
            id: "shardId-a",
            parent: Some("shardId-p"),
            records: a,
            closed: false,
        },
        FakeShard {
            id: "shardId-p",
            parent: None,
            records: p,
            closed: true,
        },
    ]
}

#[tokio::test]
async fn after_a_split_both_open_children_are_read_each_in_order_and_a_restart_skips_nothing() {
    let (lambda, lines) = service(vec![python("Consumer", "app.records")]);
    let stream = SplitStream::new(
        split_shards(vec![10, 11, 12], vec![20], vec![21, 23, 25]),
        None,
    );
    let pollers = lambda.start_stream_pollers(vec![mapping(2)], stream.clone());
    let first = delivered(&lines, 7).await;
    pollers.stop(Duration::from_secs(5)).await;

    let mut sorted = first.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [10, 11, 12, 20, 21, 23, 25],
        "each record once: {first:?}"
    );
    assert_eq!(
        &first[..3],
        [10, 11, 12],
        "the parent before its children: {first:?}"
    );
    assert_eq!(of_shard(&first, &[21, 23, 25]), [21, 23, 25], "{first:?}");
    let at = |shard: &str| {
        stream
            .checkpoint_of(shard)
            .unwrap_or_else(|| panic!("no checkpoint of {shard}"))
    };
    assert!(at("shardId-p").finished, "{:?}", at("shardId-p"));
    assert_eq!(at("shardId-a").sequence_number, Some(seq(20)));
    assert_eq!(at("shardId-b").sequence_number, Some(seq(25)));
    assert!(!at("shardId-a").finished && !at("shardId-b").finished);

    // While Sluice is down, `a` gets records numbered below `b`'s checkpoint (siblings are
    // written side by side): one checkpoint for both would skip them.
    stream.append("shardId-a", &[22, 24]);
    stream.append("shardId-b", &[27]);
    let pollers = lambda.start_stream_pollers(vec![mapping(2)], stream.clone());
    let all = delivered(&lines, 10).await;
    pollers.stop(Duration::from_secs(5)).await;
    let after: Vec<u64> = all[first.len()..].to_vec();
    let mut sorted = after.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [22, 24, 27],
        "the rest, none skipped or repeated: {all:?}"
    );
    assert_eq!(of_shard(&after, &[22, 24]), [22, 24], "{all:?}");
    assert_eq!(at("shardId-a").sequence_number, Some(seq(24)));
    assert_eq!(at("shardId-b").sequence_number, Some(seq(27)));
}

#[tokio::test]
async fn an_older_single_checkpoint_is_kept_as_per_shard_checkpoints() {
    let (lambda, lines) = service(vec![python("Consumer", "app.records")]);
    // An older Sluice had handled the parent up to 11.
    let stream = SplitStream::new(
        split_shards(vec![10, 11, 12], vec![20, 22], vec![21]),
        Some(11),
    );
    let pollers = lambda.start_stream_pollers(vec![mapping(10)], stream.clone());
    let seen = delivered(&lines, 4).await;
    pollers.stop(Duration::from_secs(5)).await;
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [12, 20, 21, 22],
        "from after the checkpoint: {seen:?}"
    );
    assert_eq!(seen[0], 12, "the parent first: {seen:?}");
    let p = stream
        .checkpoint_of("shardId-p")
        .expect("parent checkpoint");
    assert_eq!((p.sequence_number, p.finished), (Some(seq(12)), true));
    let a = stream.checkpoint_of("shardId-a").expect("a checkpoint");
    assert_eq!(a.sequence_number, Some(seq(22)));
}
