//! Where one mapping stands in each shard of a stream, and which shards it may read now. AWS:
//! Lambda keeps a position per shard, reads every shard whose parent is done side by side (after
//! a split, the children of one parent are open at once), each in order, and reads a child only
//! once its parent is read to its end.

use std::collections::{HashMap, HashSet};

use super::shards::{lineage_order, read_to_end, start_of, Shard, Start};
use super::{ShardCheckpoint, StartingPosition};

/// What the checkpoint store holds for one mapping and stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Stored {
    /// Checkpoints per shard, by shard id.
    pub shards: HashMap<String, ShardCheckpoint>,
    /// The one checkpoint of a source that keeps no more (or of an older Sluice, not yet
    /// turned into per-shard checkpoints): the last handled record of this stream.
    pub single: Option<String>,
}

/// One mapping's reading of one stream, kept while the poller runs.
#[derive(Debug)]
pub(super) struct StreamProgress {
    /// The stream.
    pub arn: String,
    /// Where a shard without a checkpoint of its own was to be read from when first seen (kept so a
    /// retry after an error begins there again, not at a newer LATEST).
    first_seen: HashMap<String, Option<Start>>,
    /// Shards read to their end during this run.
    finished: HashSet<String>,
    /// Shards were listed before: any shard seen from now on is new and read from its start.
    listed: bool,
}

impl StreamProgress {
    /// Nothing read yet of `arn` in this run.
    pub fn new(arn: String) -> StreamProgress {
        StreamProgress {
            arn,
            first_seen: HashMap::new(),
            finished: HashSet::new(),
            listed: false,
        }
    }

    /// Notes that `shard` was read to its end.
    pub fn finish(&mut self, shard: &str) {
        self.finished.insert(shard.to_owned());
    }

    /// Every listed shard in lineage order with where to read it from (`None`: nothing left).
    pub fn plan(
        &mut self,
        shards: Vec<Shard>,
        stored: &Stored,
        starting: StartingPosition,
    ) -> Vec<(Shard, Option<Start>)> {
        // Only a mapping that never read this stream starts at its starting position; one that
        // did takes a shard it has no position in as new, and reads it from its start.
        let never_read = !self.listed && stored.shards.is_empty() && stored.single.is_none();
        self.listed = true;
        lineage_order(shards)
            .into_iter()
            .map(|shard| {
                let start = if self.finished.contains(&shard.id) {
                    None
                } else if let Some(own) = stored.shards.get(&shard.id) {
                    resume(&shard, own)
                } else if let Some(single) = stored.single.as_deref() {
                    start_of(&shard, Some(single), starting)
                } else {
                    self.first_seen
                        .entry(shard.id.clone())
                        .or_insert_with(|| {
                            if never_read {
                                start_of(&shard, None, starting)
                            } else {
                                Some(Start::TrimHorizon)
                            }
                        })
                        .clone()
                };
                (shard, start)
            })
            .collect()
    }
}

/// Where to resume `shard` from its own checkpoint; `None` when it was read to its end.
fn resume(shard: &Shard, own: &ShardCheckpoint) -> Option<Start> {
    if own.finished {
        return None;
    }
    match own.sequence_number.as_deref() {
        Some(cp) => (!read_to_end(shard, cp)).then(|| Start::After(cp.to_owned())),
        None => Some(Start::TrimHorizon),
    }
}

/// The shards that may be read now and are not being read: those with something left whose
/// parent is absent (a root, or expired from the stream) or read to its end.
pub(super) fn ready<'a>(
    planned: &'a [(Shard, Option<Start>)],
    running: &HashSet<String>,
) -> Vec<(&'a Shard, &'a Start)> {
    let done = |id: &str| match planned.iter().find(|(s, _)| s.id == id) {
        None => true,
        Some((_, start)) => start.is_none(),
    };
    planned
        .iter()
        .filter_map(|(shard, start)| Some((shard, start.as_ref()?)))
        .filter(|(shard, _)| !running.contains(&shard.id))
        .filter(|(shard, _)| shard.parent.as_deref().is_none_or(done))
        .collect()
}

/// An older Sluice's one checkpoint (`single`, the last handled record of the stream) as
/// per-shard checkpoints: the shards it falls in resume after it, the shards closed before it are
/// finished, and the shards begun after it get none (they are read whole).
pub(super) fn migrate(shards: &[Shard], single: &str) -> Vec<ShardCheckpoint> {
    shards
        .iter()
        .filter_map(
            |shard| match start_of(shard, Some(single), StartingPosition::TrimHorizon) {
                None => Some(ShardCheckpoint {
                    shard_id: shard.id.clone(),
                    sequence_number: None,
                    finished: true,
                }),
                Some(Start::After(cp)) => Some(ShardCheckpoint {
                    shard_id: shard.id.clone(),
                    sequence_number: Some(cp),
                    finished: false,
                }),
                Some(_) => None,
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_poller::shards::tests::shard;

    /// A closed parent and two open children of a split, listed children first.
    fn split() -> Vec<Shard> {
        vec![
            shard("b", Some("p"), "300", None),
            shard("a", Some("p"), "200", None),
            shard("p", None, "100", Some("199")),
        ]
    }

    fn ids(ready: &[(&Shard, &Start)]) -> Vec<String> {
        ready.iter().map(|(s, _)| s.id.clone()).collect()
    }

    fn own(id: &str, sequence: Option<&str>, finished: bool) -> (String, ShardCheckpoint) {
        (
            id.into(),
            ShardCheckpoint {
                shard_id: id.into(),
                sequence_number: sequence.map(Into::into),
                finished,
            },
        )
    }

    #[test]
    fn children_wait_for_their_parent_then_both_siblings_are_read_side_by_side() {
        let trim = StartingPosition::TrimHorizon;
        let mut progress = StreamProgress::new("arn".into());
        let planned = progress.plan(split(), &Stored::default(), trim);
        assert_eq!(ids(&ready(&planned, &HashSet::new())), ["p"]);
        let running = HashSet::from(["p".to_owned()]);
        assert!(ready(&planned, &running).is_empty(), "children wait");

        progress.finish("p");
        let planned = progress.plan(split(), &Stored::default(), trim);
        let now = ready(&planned, &HashSet::new());
        assert_eq!(ids(&now), ["b", "a"], "both open siblings at once");
        assert!(now.iter().all(|(_, s)| **s == Start::TrimHorizon));
        // One sibling being read does not hold the other back.
        let running = HashSet::from(["b".to_owned()]);
        assert_eq!(ids(&ready(&planned, &running)), ["a"]);
    }

    #[test]
    fn each_shard_resumes_from_its_own_checkpoint() {
        let stored = Stored {
            shards: HashMap::from([own("p", Some("150"), true), own("a", Some("250"), false)]),
            single: None,
        };
        let mut progress = StreamProgress::new("arn".into());
        let planned = progress.plan(split(), &stored, StartingPosition::Latest);
        let now = ready(&planned, &HashSet::new());
        let starts: Vec<(String, Start)> = now
            .iter()
            .map(|(s, st)| (s.id.clone(), (*st).clone()))
            .collect();
        // The sibling without a checkpoint is new to a mapping that read the stream: from its
        // start, whatever the starting position.
        assert_eq!(
            starts,
            [
                ("b".to_owned(), Start::TrimHorizon),
                ("a".to_owned(), Start::After("250".into()))
            ]
        );
    }

    #[test]
    fn a_checkpoint_at_the_end_of_a_closed_shard_finishes_it() {
        let stored = Stored {
            shards: HashMap::from([own("p", Some("199"), false)]),
            single: None,
        };
        let mut progress = StreamProgress::new("arn".into());
        let planned = progress.plan(split(), &stored, StartingPosition::TrimHorizon);
        assert_eq!(ids(&ready(&planned, &HashSet::new())), ["b", "a"]);
    }

    #[test]
    fn an_orphan_whose_parent_expired_is_read_at_once() {
        let shards = vec![shard("c", Some("gone"), "500", None)];
        let mut progress = StreamProgress::new("arn".into());
        let planned = progress.plan(shards, &Stored::default(), StartingPosition::TrimHorizon);
        assert_eq!(ids(&ready(&planned, &HashSet::new())), ["c"]);
    }

    #[test]
    fn latest_skips_closed_shards_at_first_but_shards_born_later_are_read_whole() {
        let latest = StartingPosition::Latest;
        let mut progress = StreamProgress::new("arn".into());
        let first = vec![shard("p", None, "100", None)];
        let planned = progress.plan(first, &Stored::default(), latest);
        assert_eq!(planned[0].1, Some(Start::Latest));
        // The open shard splits: it closes and two children appear. A retry of `p` still starts
        // at LATEST (where it first began), and the children are read from their start.
        let mut later = split();
        later[2].last = Some("199".into());
        let planned = progress.plan(later.clone(), &Stored::default(), latest);
        let p = planned.iter().find(|(s, _)| s.id == "p").expect("p");
        assert_eq!(p.1, Some(Start::Latest));
        progress.finish("p");
        let planned = progress.plan(later, &Stored::default(), latest);
        let now = ready(&planned, &HashSet::new());
        assert_eq!(ids(&now), ["b", "a"]);
        assert!(now.iter().all(|(_, s)| **s == Start::TrimHorizon));

        // A fresh mapping with LATEST over a split stream: the closed parent holds nothing new.
        let mut progress = StreamProgress::new("arn".into());
        let mut listed = split();
        listed[2].last = Some("199".into());
        let planned = progress.plan(listed, &Stored::default(), latest);
        let now = ready(&planned, &HashSet::new());
        assert_eq!(ids(&now), ["b", "a"]);
        assert!(now.iter().all(|(_, s)| **s == Start::Latest));
    }

    #[test]
    fn an_older_single_checkpoint_becomes_per_shard_checkpoints() {
        let shards = vec![
            shard("root", None, "100", Some("199")),
            shard("child", Some("root"), "200", Some("299")),
            shard("open", Some("child"), "300", None),
        ];
        let rows = migrate(&shards, "250");
        assert_eq!(
            rows,
            [
                own("root", None, true).1,
                own("child", Some("250"), false).1
            ]
        );
        // Read back, they give what the single checkpoint meant.
        let stored = Stored {
            shards: rows.into_iter().map(|r| (r.shard_id.clone(), r)).collect(),
            single: None,
        };
        let mut progress = StreamProgress::new("arn".into());
        let planned = progress.plan(shards, &stored, StartingPosition::Latest);
        let starts: Vec<Option<Start>> = planned.into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            starts,
            [
                None,
                Some(Start::After("250".into())),
                Some(Start::TrimHorizon)
            ]
        );
    }

    #[test]
    fn a_source_with_one_checkpoint_reads_a_chain_as_before() {
        let shards = vec![
            shard("root", None, "100", Some("199")),
            shard("child", Some("root"), "200", None),
        ];
        let stored = Stored {
            shards: HashMap::new(),
            single: Some("150".into()),
        };
        let mut progress = StreamProgress::new("arn".into());
        let planned = progress.plan(shards, &stored, StartingPosition::TrimHorizon);
        let now = ready(&planned, &HashSet::new());
        assert_eq!(ids(&now), ["root"]);
        assert_eq!(*now[0].1, Start::After("150".into()));
    }
}
