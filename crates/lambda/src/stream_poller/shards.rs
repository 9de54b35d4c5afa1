//! A stream's shards and the order a poller reads them in. AWS: a stream's shards form a lineage
//! (a shard closes and hands over to its children, on a roll-over every few hours or a split), and
//! Lambda drains a parent before it reads the parent's children, so a key's records stay in order.
//! Sluice's own store gives each stream one shard, but a remote DynamoDB (`--dynamodb-endpoint`)
//! lists many, and a poller that read only the newest would skip every record of the others.

use std::cmp::Ordering;

use serde_json::{json, Value};

use super::{StartingPosition, StreamApi, StreamSource, StreamSourceError};

/// One shard as `DescribeStream` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Shard {
    pub id: String,
    pub parent: Option<String>,
    /// `SequenceNumberRange.StartingSequenceNumber`.
    pub first: Option<String>,
    /// `SequenceNumberRange.EndingSequenceNumber`: set once the shard is closed.
    pub last: Option<String>,
}

impl Shard {
    fn from_json(v: &Value) -> Option<Shard> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        Some(Shard {
            id: text(&v["ShardId"])?,
            parent: text(&v["ParentShardId"]),
            first: text(&v["SequenceNumberRange"]["StartingSequenceNumber"]),
            last: text(&v["SequenceNumberRange"]["EndingSequenceNumber"]),
        })
    }
}

/// Every shard of the stream `arn`, following `LastEvaluatedShardId` through the pages.
pub(super) async fn list(
    source: &dyn StreamSource,
    arn: &str,
) -> Result<Vec<Shard>, StreamSourceError> {
    let mut shards = Vec::new();
    let mut request = json!({"StreamArn": arn});
    // A page holds at least one shard, so this ends; the bound guards against a server that loops.
    for _ in 0..10_000 {
        let page = source
            .call(StreamApi::Streams, "DescribeStream", request.clone())
            .await?;
        let description = &page["StreamDescription"];
        if let Some(list) = description["Shards"].as_array() {
            shards.extend(list.iter().filter_map(Shard::from_json));
        }
        match description["LastEvaluatedShardId"].as_str() {
            Some(last) => request["ExclusiveStartShardId"] = json!(last),
            None => break,
        }
    }
    Ok(shards)
}

/// Orders shards parents first (a shard whose parent is listed comes after it; one whose parent
/// has expired from the stream is a root), otherwise keeping the order the stream lists them in.
pub(super) fn lineage_order(shards: Vec<Shard>) -> Vec<Shard> {
    let mut ordered: Vec<Shard> = Vec::with_capacity(shards.len());
    let mut rest = shards;
    while !rest.is_empty() {
        let listed = |id: &String| rest.iter().any(|s| &s.id == id);
        // Shards whose parent is not waiting to be placed can go now.
        let (ready, waiting): (Vec<Shard>, Vec<Shard>) = rest
            .clone()
            .into_iter()
            .partition(|s| !s.parent.as_ref().is_some_and(listed));
        if ready.is_empty() {
            // A cycle (a broken server): keep the listed order rather than loop.
            ordered.extend(waiting);
            break;
        }
        ordered.extend(ready);
        rest = waiting;
    }
    ordered
}

/// Where reading a shard begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Start {
    /// Its oldest record.
    TrimHorizon,
    /// Only records written from now on.
    Latest,
    /// Just after this record (the checkpoint).
    After(String),
}

/// Where to read `shard` from, given the last handled record `checkpoint` (of this stream) and
/// the mapping's starting position; `None` when the shard holds nothing left to read.
pub(super) fn start_of(
    shard: &Shard,
    checkpoint: Option<&str>,
    starting: StartingPosition,
) -> Option<Start> {
    match checkpoint {
        Some(cp) => {
            if read_to_end(shard, cp) {
                return None;
            }
            match shard.first.as_deref() {
                // The checkpoint falls in this shard: resume after it.
                Some(first) if compare(first, cp) != Ordering::Greater => {
                    Some(Start::After(cp.to_owned()))
                }
                // A shard that began after the checkpoint is read whole.
                _ => Some(Start::TrimHorizon),
            }
        }
        None => match starting {
            StartingPosition::TrimHorizon => Some(Start::TrimHorizon),
            // LATEST begins at the stream's tip: closed shards hold nothing from now on.
            StartingPosition::Latest if shard.last.is_some() => None,
            StartingPosition::Latest => Some(Start::Latest),
        },
    }
}

/// Whether `shard` is closed and `checkpoint` is at (or past) its last record.
pub(super) fn read_to_end(shard: &Shard, checkpoint: &str) -> bool {
    shard
        .last
        .as_deref()
        .is_some_and(|last| compare(last, checkpoint) != Ordering::Greater)
}

/// Orders two sequence numbers (decimal strings of up to 40 digits) numerically.
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A shard for tests: its first sequence number, and its last once closed.
    pub(in crate::stream_poller) fn shard(
        id: &str,
        parent: Option<&str>,
        first: &str,
        last: Option<&str>,
    ) -> Shard {
        Shard {
            id: id.into(),
            parent: parent.map(Into::into),
            first: Some(first.into()),
            last: last.map(Into::into),
        }
    }

    #[test]
    fn parents_come_before_children_whatever_the_listed_order() {
        let listed = vec![
            shard("grandchild", Some("child"), "300", None),
            shard("child", Some("root"), "200", Some("299")),
            shard("orphan", Some("expired"), "50", Some("99")),
            shard("root", None, "100", Some("199")),
        ];
        let ids: Vec<String> = lineage_order(listed).into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["orphan", "root", "child", "grandchild"]);
    }

    #[test]
    fn reading_resumes_in_the_shard_of_the_checkpoint_and_reads_later_shards_whole() {
        let root = shard("root", None, "100", Some("199"));
        let child = shard("child", Some("root"), "200", Some("299"));
        let open = shard("open", Some("child"), "300", None);
        let trim = StartingPosition::TrimHorizon;
        // Checkpoint inside the child: the root is done, the child resumes, the open shard is new.
        assert_eq!(start_of(&root, Some("250"), trim), None);
        assert_eq!(
            start_of(&child, Some("250"), trim),
            Some(Start::After("250".into()))
        );
        assert_eq!(start_of(&open, Some("250"), trim), Some(Start::TrimHorizon));
        // At the end of a closed shard: nothing left in it.
        assert_eq!(start_of(&child, Some("299"), trim), None);
        // No checkpoint: every shard from its start, or with LATEST only the open one's tip.
        assert_eq!(start_of(&root, None, trim), Some(Start::TrimHorizon));
        let latest = StartingPosition::Latest;
        assert_eq!(start_of(&root, None, latest), None);
        assert_eq!(start_of(&open, None, latest), Some(Start::Latest));
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert_eq!(compare("000000000000000000009", "10"), Ordering::Less);
        assert_eq!(compare("200", "0200"), Ordering::Equal);
        assert_eq!(
            compare(
                "49590338271490256608559692538361571095921575989136588898",
                "9"
            ),
            Ordering::Greater
        );
    }
}
