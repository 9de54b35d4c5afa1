//! Function logs kept as CloudWatch Logs keeps them: a log group per function
//! (`/aws/lambda/<name>`), a stream per sandbox, events with a timestamp, an ingestion time and an
//! id. On disk under the state folder, one JSON-lines file per stream, so `sluice logs` in another
//! process reads what a running `start-api` writes. Each group is bounded: past its byte budget the
//! oldest streams are dropped (the newest half of a lone stream is kept).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use crate::batch_writer::BatchWriter;

/// Bytes kept per log group by default (CloudWatch keeps everything; a laptop should not).
pub const DEFAULT_GROUP_BYTES: u64 = 16 * 1024 * 1024;

/// Characters kept as they are in file names; everything else (`/`, `[`, `$`…) is escaped.
const FILE_NAME: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// Suffix of a stream's file.
const STREAM_EXT: &str = ".jsonl";

/// Why the store could not write or read.
#[derive(Debug, thiserror::Error)]
pub enum LogStoreError {
    /// The state folder could not be written or read.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> LogStoreError {
    let context = context.into();
    move |source| LogStoreError::Io { context, source }
}

/// One log event as CloudWatch returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent {
    /// When the line was written, in milliseconds since the epoch.
    pub timestamp: i64,
    /// When the store received it (the same clock, here the same moment).
    pub ingestion_time: i64,
    /// Unique and stable across reads, so followers (`aws logs tail --follow`) can skip repeats.
    pub event_id: String,
    /// The line, without its newline.
    pub message: String,
}

/// A stream's summary, for `DescribeLogStreams`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// `YYYY/MM/DD/[$LATEST]<id>`.
    pub name: String,
    /// The first event's time (a stream exists from its sandbox's first line).
    pub creation_time: i64,
    /// The first event's time.
    pub first_event: i64,
    /// The last event's time.
    pub last_event: i64,
    /// Bytes on disk.
    pub stored_bytes: u64,
}

/// A group's summary, for `DescribeLogGroups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// `/aws/lambda/<function name>`.
    pub name: String,
    /// Its oldest stream's creation time.
    pub creation_time: i64,
    /// Bytes on disk.
    pub stored_bytes: u64,
}

/// The log groups under one folder (`<state>/logs`).
pub struct LogStore {
    dir: PathBuf,
    /// Events queued for the files; written in batches off the request path, and always before
    /// this store reads (so a read sees every append made before it).
    pending: BatchWriter<Pending>,
}

/// One appended event, waiting for its file.
struct Pending {
    group_dir: PathBuf,
    stream: String,
    event: LogEvent,
}

/// Open files and group sizes, owned by the batch writer (lines from parallel sandboxes are
/// written whole, in the order they were appended).
struct Writer {
    max_group_bytes: u64,
    files: HashMap<PathBuf, File>,
    group_bytes: HashMap<PathBuf, u64>,
    /// Set after the first failed write, so a full disk is reported once, not per line.
    warned: bool,
}

/// Makes event ids unique within a process; the time and process id make them unique across runs.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Milliseconds since the epoch, now.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl LogStore {
    /// The store in `dir` (created on first write), each group kept under `max_group_bytes`.
    pub fn new(dir: PathBuf, max_group_bytes: u64) -> Self {
        let mut writer = Writer {
            max_group_bytes,
            files: HashMap::new(),
            group_bytes: HashMap::new(),
            warned: false,
        };
        let pending = BatchWriter::new("sluice-log-store", move |batch| writer.write(batch));
        Self { dir, pending }
    }

    /// Write every queued event now (readers do; so does shutdown).
    pub fn flush(&self) {
        self.pending.flush();
    }

    /// The store of an application's state folder (`<state>/logs`), with the default budget:
    /// the one place that names the folder, for the server and the `logs`/`report` commands.
    pub fn in_state_dir(state_dir: &Path) -> Self {
        Self::new(state_dir.join("logs"), DEFAULT_GROUP_BYTES)
    }

    /// The folder holding the groups.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The group a Lambda function logs to.
    pub fn group_for_function(function: &str) -> String {
        format!("/aws/lambda/{function}")
    }

    fn group_dir(&self, group: &str) -> PathBuf {
        self.dir
            .join(utf8_percent_encode(group, FILE_NAME).to_string())
    }

    /// Appends one event to `group`/`stream`, stamped now; it reaches its file within a few
    /// milliseconds (at once for this store's readers), and the group is then kept within budget.
    /// A failed write is reported once, as a warning.
    pub fn append(&self, group: &str, stream: &str, message: &str) {
        let now = now_millis();
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        self.pending.push(Pending {
            group_dir: self.group_dir(group),
            stream: stream.to_owned(),
            event: LogEvent {
                timestamp: now,
                ingestion_time: now,
                event_id: format!("{now:020}{:010}{sequence:010}", std::process::id()),
                message: message.to_owned(),
            },
        });
    }

    /// Every group, sorted by name.
    pub fn groups(&self) -> Vec<GroupInfo> {
        self.flush();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut groups: Vec<GroupInfo> = entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| {
                let name = percent_decode_str(&e.file_name().to_string_lossy())
                    .decode_utf8()
                    .ok()?
                    .into_owned();
                let streams = self.streams(&name)?;
                Some(GroupInfo {
                    creation_time: streams.iter().map(|s| s.creation_time).min().unwrap_or(0),
                    stored_bytes: streams.iter().map(|s| s.stored_bytes).sum(),
                    name,
                })
            })
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups
    }

    /// The streams of `group` sorted by name, or `None` when the group does not exist.
    pub fn streams(&self, group: &str) -> Option<Vec<StreamInfo>> {
        self.flush();
        let entries = std::fs::read_dir(self.group_dir(group)).ok()?;
        let mut streams: Vec<StreamInfo> = entries
            .flatten()
            .filter_map(|e| {
                let file_name = e.file_name().to_string_lossy().into_owned();
                let encoded = file_name.strip_suffix(STREAM_EXT)?;
                let name = percent_decode_str(encoded).decode_utf8().ok()?.into_owned();
                let events = read_events(&e.path());
                let first = events.first().map_or(0, |ev| ev.timestamp);
                Some(StreamInfo {
                    name,
                    creation_time: first,
                    first_event: first,
                    last_event: events.last().map_or(0, |ev| ev.timestamp),
                    stored_bytes: e.metadata().map_or(0, |m| m.len()),
                })
            })
            .collect();
        streams.sort_by(|a, b| a.name.cmp(&b.name));
        Some(streams)
    }

    /// The events of one stream, oldest first, or `None` when group or stream does not exist.
    pub fn events(&self, group: &str, stream: &str) -> Option<Vec<LogEvent>> {
        self.flush();
        let path = self.group_dir(group).join(format!(
            "{}{STREAM_EXT}",
            utf8_percent_encode(stream, FILE_NAME)
        ));
        path.is_file().then(|| read_events(&path))
    }
}

impl Writer {
    fn write(&mut self, batch: Vec<Pending>) {
        for pending in batch {
            if let Err(error) = self.write_one(pending) {
                if !self.warned {
                    self.warned = true;
                    tracing::warn!("function logs are not being kept: {error}");
                }
            }
        }
    }

    fn write_one(&mut self, pending: Pending) -> Result<(), LogStoreError> {
        let Pending {
            group_dir,
            stream,
            event,
        } = pending;
        // Serializing a struct of strings and integers cannot fail.
        let mut line = serde_json::to_string(&event).unwrap_or_default();
        line.push('\n');
        let path = group_dir.join(format!(
            "{}{STREAM_EXT}",
            utf8_percent_encode(&stream, FILE_NAME)
        ));
        if !self.files.contains_key(&path) {
            std::fs::create_dir_all(&group_dir).map_err(io(format!(
                "creating log group folder {}",
                group_dir.display()
            )))?;
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io(format!("opening log stream {}", path.display())))?;
            self.files.insert(path.clone(), file);
        }
        if let Some(file) = self.files.get_mut(&path) {
            file.write_all(line.as_bytes())
                .map_err(io(format!("writing log stream {}", path.display())))?;
        }
        let size = self
            .group_bytes
            .entry(group_dir.clone())
            .or_insert_with(|| folder_bytes(&group_dir));
        *size += line.len() as u64;
        if *size > self.max_group_bytes {
            *size = trim_group(&group_dir, &path, self.max_group_bytes, &mut self.files)?;
        }
        Ok(())
    }
}

/// A stream file's events; a line cut short by a concurrent writer is skipped.
fn read_events(path: &Path) -> Vec<LogEvent> {
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect()
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Brings a group back to three quarters of `max` (so trimming is not redone on every line):
/// the least recently written streams go first; if the stream being written is all that is left
/// and still too big, its older half is dropped. Returns the group's new size.
fn trim_group(
    dir: &Path,
    current: &Path,
    max: u64,
    files: &mut HashMap<PathBuf, File>,
) -> Result<u64, LogStoreError> {
    let target = max / 4 * 3;
    let mut streams: Vec<(SystemTime, PathBuf, u64)> = std::fs::read_dir(dir)
        .map_err(io(format!("reading {}", dir.display())))?
        .flatten()
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((meta.modified().ok()?, e.path(), meta.len()))
        })
        .collect();
    streams.sort();
    let mut total: u64 = streams.iter().map(|(_, _, len)| len).sum();
    for (_, path, len) in &streams {
        if total <= target {
            break;
        }
        if path == current {
            continue;
        }
        files.remove(path);
        std::fs::remove_file(path).map_err(io(format!("dropping {}", path.display())))?;
        total -= len;
    }
    if total > target {
        let events = read_events(current);
        let keep = &events[events.len() / 2..];
        let mut text = String::new();
        for event in keep {
            text.push_str(&serde_json::to_string(event).unwrap_or_default());
            text.push('\n');
        }
        files.remove(current);
        let before = std::fs::metadata(current).map_or(0, |m| m.len());
        std::fs::write(current, &text).map_err(io(format!("trimming {}", current.display())))?;
        total = total - before + text.len() as u64;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(max: u64) -> (LogStore, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "sluice-logstore-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        (LogStore::new(dir.clone(), max), dir)
    }

    #[test]
    fn groups_streams_and_events_read_back_what_was_written() {
        let (store, dir) = store(DEFAULT_GROUP_BYTES);
        let group = LogStore::group_for_function("Child/Hello");
        store.append(&group, "2026/01/02/[$LATEST]abc", "one");
        store.append(&group, "2026/01/02/[$LATEST]abc", "two");
        store.append(&group, "2026/01/02/[$LATEST]def", "three");
        let groups = store.groups();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].name, "/aws/lambda/Child/Hello");
        let streams = store.streams(&group).unwrap();
        let names: Vec<_> = streams.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["2026/01/02/[$LATEST]abc", "2026/01/02/[$LATEST]def"]
        );
        let events = store.events(&group, "2026/01/02/[$LATEST]abc").unwrap();
        let messages: Vec<_> = events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["one", "two"]);
        assert_ne!(events[0].event_id, events[1].event_id);
        assert!(store.events(&group, "nope").is_none());
        assert!(store.streams("/aws/lambda/Other").is_none());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_group_over_budget_drops_its_oldest_streams_first() {
        let (store, dir) = store(4096);
        let group = "/aws/lambda/Busy";
        let line = "x".repeat(100);
        for _ in 0..20 {
            store.append(group, "old", &line);
        }
        // Modification times must differ for "oldest" to mean something on coarse clocks.
        std::thread::sleep(std::time::Duration::from_millis(20));
        for _ in 0..30 {
            store.append(group, "new", &line);
        }
        assert!(
            store.events(group, "old").is_none(),
            "the old stream was dropped"
        );
        let new = store.events(group, "new").unwrap();
        assert!(!new.is_empty());
        assert!(store.groups()[0].stored_bytes <= 4096);
        // A lone stream over budget keeps its newest events.
        for i in 0..100 {
            store.append(group, "new", &format!("{line}{i}"));
        }
        let new = store.events(group, "new").unwrap();
        assert!(new.last().unwrap().message.ends_with("99"));
        assert!(store.groups()[0].stored_bytes <= 4096);
        let _ = std::fs::remove_dir_all(dir);
    }
}
