//! Function logs kept as CloudWatch Logs keeps them: a log group per function
//! (`/aws/lambda/<name>`), a stream per sandbox, events with a timestamp, an ingestion time and an
//! id. On disk under the state folder, one JSON-lines file per stream, so `sluice logs` in another
//! process reads what a running `start-api` writes. Each group is bounded: past its byte budget the
//! oldest streams are dropped (the newest half of a lone stream is kept).

use foldhash::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
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

/// The error of a failed file operation; `context` is only written when it failed (a path's
/// `display()` formatted on every batch's write was 2,500 instructions a request).
fn io(context: impl FnOnce() -> String) -> impl FnOnce(std::io::Error) -> LogStoreError {
    move |source| LogStoreError::Io {
        context: context(),
        source,
    }
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

/// One appended event, waiting for its file (the id and the file are worked out by the writer,
/// off the request path). Group and stream are shared with the caller: a sandbox's lines name the
/// same two strings every time.
struct Pending {
    group: Arc<str>,
    stream: Arc<str>,
    timestamp: i64,
    sequence: u64,
    message: String,
}

/// Open files and group sizes, owned by the batch writer (lines from parallel sandboxes are
/// written whole, in the order they were appended).
struct Writer {
    dir: PathBuf,
    max_group_bytes: u64,
    /// Group name → its folder, its size on disk, and its streams' open files by stream name.
    groups: HashMap<String, GroupFiles>,
    /// Set after the first failed write, so a full disk is reported once, not per line.
    warned: bool,
    /// The current batch's lines per (group, stream), in arrival order; kept from batch to batch
    /// (for the streams the last batch wrote) so their buffers are not reallocated every window.
    texts: Vec<StreamText>,
    /// This process's id, part of every event id (read once: `getpid` is a syscall).
    pid: u32,
}

/// One stream's lines in the batch being written.
struct StreamText {
    group: Arc<str>,
    stream: Arc<str>,
    text: Vec<u8>,
}

struct GroupFiles {
    dir: PathBuf,
    bytes: u64,
    streams: HashMap<String, StreamFile>,
}

struct StreamFile {
    path: PathBuf,
    file: File,
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
            dir: dir.clone(),
            max_group_bytes,
            groups: HashMap::default(),
            warned: false,
            texts: Vec::new(),
            pid: std::process::id(),
        };
        let pending = BatchWriter::new("sluice-log-store", move |batch: &mut Vec<Pending>| {
            writer.write(batch)
        });
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
        group_dir(&self.dir, group)
    }

    /// Appends one event to `group`/`stream`, stamped now; it reaches its file within a few
    /// milliseconds (at once for this store's readers), and the group is then kept within budget.
    /// A failed write is reported once, as a warning.
    pub fn append(&self, group: &str, stream: &str, message: &str) {
        self.append_shared(group.into(), stream.into(), message);
    }

    /// [`LogStore::append`] with group and stream names the caller keeps, so the request path
    /// copies only the message.
    pub(crate) fn append_shared(&self, group: Arc<str>, stream: Arc<str>, message: &str) {
        self.append_shared_at(group, stream, now_millis(), message.to_owned());
    }

    /// [`LogStore::append_shared`] of a line that happened at `timestamp` (milliseconds since
    /// the epoch), for a writer that stamps its lines as they happened and stores them later.
    pub(crate) fn append_shared_at(
        &self,
        group: Arc<str>,
        stream: Arc<str>,
        timestamp: i64,
        message: String,
    ) {
        self.pending.push(Pending {
            group,
            stream,
            timestamp,
            sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            message,
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
                let streams = self.streams_as_written(&name)?;
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
        self.streams_as_written(group)
    }

    /// [`LogStore::streams`] from what the files hold now, without flushing first.
    fn streams_as_written(&self, group: &str) -> Option<Vec<StreamInfo>> {
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

fn group_dir(dir: &Path, group: &str) -> PathBuf {
    dir.join(utf8_percent_encode(group, FILE_NAME).to_string())
}

impl Writer {
    /// Writes a batch: each stream's lines in one write, then each touched group kept in budget.
    fn write(&mut self, batch: &mut Vec<Pending>) {
        for p in batch.drain(..) {
            // Batches name few streams: a Vec beats a map (and `Arc`'s `==` checks the pointer first).
            let at = match self
                .texts
                .iter()
                .position(|t| t.group == p.group && t.stream == p.stream)
            {
                Some(at) => at,
                None => {
                    self.texts.push(StreamText {
                        group: p.group,
                        stream: p.stream,
                        text: Vec::new(),
                    });
                    self.texts.len() - 1
                }
            };
            let text = &mut self.texts[at].text;
            super::event_line::push(text, p.timestamp, self.pid, p.sequence, &p.message);
            text.push(b'\n');
        }
        let mut texts = std::mem::take(&mut self.texts);
        // Streams this batch did not write are let go (a sandbox's stream ends with it).
        texts.retain_mut(|t| {
            if t.text.is_empty() {
                return false;
            }
            if let Err(error) = self.write_stream(&t.group, &t.stream, &t.text) {
                if !self.warned {
                    self.warned = true;
                    tracing::warn!("function logs are not being kept: {error}");
                }
            }
            t.text.clear();
            true
        });
        self.texts = texts;
    }

    fn write_stream(
        &mut self,
        group: &str,
        stream: &str,
        text: &[u8],
    ) -> Result<(), LogStoreError> {
        if !self.groups.contains_key(group) {
            let dir = group_dir(&self.dir, group);
            let bytes = folder_bytes(&dir);
            self.groups.insert(
                group.to_owned(),
                GroupFiles {
                    dir,
                    bytes,
                    streams: HashMap::default(),
                },
            );
        }
        let Some(files) = self.groups.get_mut(group) else {
            return Ok(());
        };
        if !files.streams.contains_key(stream) {
            std::fs::create_dir_all(&files.dir).map_err(io(|| {
                format!("creating log group folder {}", files.dir.display())
            }))?;
            let path = files.dir.join(format!(
                "{}{STREAM_EXT}",
                utf8_percent_encode(stream, FILE_NAME)
            ));
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io(|| format!("opening log stream {}", path.display())))?;
            files
                .streams
                .insert(stream.to_owned(), StreamFile { path, file });
        }
        let Some(current) = files.streams.get_mut(stream) else {
            return Ok(());
        };
        current.file.write_all(text).map_err(io(|| {
            format!("writing log stream {}", current.path.display())
        }))?;
        files.bytes += text.len() as u64;
        if files.bytes > self.max_group_bytes {
            let current = current.path.clone();
            files.bytes = trim_group(
                &files.dir,
                &current,
                self.max_group_bytes,
                &mut files.streams,
            )?;
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
    files: &mut HashMap<String, StreamFile>,
) -> Result<u64, LogStoreError> {
    let target = max / 4 * 3;
    let mut streams: Vec<(SystemTime, PathBuf, u64)> = std::fs::read_dir(dir)
        .map_err(io(|| format!("reading {}", dir.display())))?
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
        files.retain(|_, f| f.path != *path);
        std::fs::remove_file(path).map_err(io(|| format!("dropping {}", path.display())))?;
        total -= len;
    }
    if total > target {
        let before = std::fs::metadata(current).map_or(0, |m| m.len());
        // The newest events that fit in what the other streams left of the target (a batch may
        // have brought many lines at once), at most the newer half, at least the newest one.
        let room = (target + before).saturating_sub(total);
        // Cut by bytes, not by parsing events: this runs every few MB of output on a busy
        // function, and decoding and re-encoding the whole stream was most of the store's cost.
        let bytes =
            std::fs::read(current).map_err(io(|| format!("reading {}", current.display())))?;
        let kept = &bytes[newest_lines_start(&bytes, room)..];
        files.retain(|_, f| f.path != current);
        std::fs::write(current, kept).map_err(io(|| format!("trimming {}", current.display())))?;
        total = total - before + kept.len() as u64;
    }
    Ok(total)
}

/// Where the newest whole lines of `bytes` that fit in `room` start: at most the newer half of
/// the lines, at least the last one.
fn newest_lines_start(bytes: &[u8], room: u64) -> usize {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let lines = memchr::memchr_iter(b'\n', body).count() + 1;
    let starts = memchr::memrchr_iter(b'\n', body)
        .map(|newline| newline + 1)
        .chain([0]);
    let mut keep_from = bytes.len();
    for (kept, start) in starts.enumerate() {
        let too_big = kept > 0 && (bytes.len() - start) as u64 > room;
        if kept >= lines.div_ceil(2) || too_big {
            break;
        }
        keep_from = start;
    }
    keep_from
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
        // A `\r`-joined record (a Python runtime's error and traceback) is one event, as in
        // CloudWatch.
        store.append(&group, "2026/01/02/[$LATEST]abc", "two\rstill two");
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
        assert_eq!(messages, ["one", "two\rstill two"]);
        assert_ne!(events[0].event_id, events[1].event_id);
        // The id: time, process and sequence, 20 + 10 + 10 digits, so ids sort as appended.
        for event in &events {
            let id = &event.event_id;
            assert_eq!(id.len(), 40, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
            assert_eq!(id[..20].parse::<i64>().unwrap(), event.timestamp);
            assert_eq!(id[20..30].parse::<u32>().unwrap(), std::process::id());
            assert_eq!(event.ingestion_time, event.timestamp);
        }
        assert!(events[0].event_id < events[1].event_id);
        assert!(store.events(&group, "nope").is_none());
        assert!(store.streams("/aws/lambda/Other").is_none());
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Each batch's lines go to their streams' files; the writer then keeps a buffer for the
    /// streams that batch wrote, and only those.
    #[test]
    fn the_writer_keeps_buffers_for_the_streams_of_its_last_batch() {
        let (store, dir) = store(DEFAULT_GROUP_BYTES);
        let mut writer = Writer {
            dir: dir.clone(),
            max_group_bytes: DEFAULT_GROUP_BYTES,
            groups: HashMap::default(),
            warned: false,
            texts: Vec::new(),
            pid: std::process::id(),
        };
        let group: Arc<str> = "/aws/lambda/F".into();
        let pending = |stream: &str, message: &str| Pending {
            group: group.clone(),
            stream: stream.into(),
            timestamp: now_millis(),
            sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            message: message.to_owned(),
        };
        writer.write(&mut vec![
            pending("a", "1"),
            pending("b", "2"),
            pending("a", "3"),
        ]);
        writer.write(&mut vec![pending("b", "4")]);
        let kept: Vec<_> = writer.texts.iter().map(|t| &*t.stream).collect();
        assert_eq!(kept, ["b"]);
        assert!(writer.texts[0].text.is_empty() && writer.texts[0].text.capacity() > 0);
        let messages = |stream| -> Vec<String> {
            let events = store.events(&group, stream).unwrap();
            events.into_iter().map(|e| e.message).collect()
        };
        assert_eq!(messages("a"), ["1", "3"]);
        assert_eq!(messages("b"), ["2", "4"]);
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

    #[test]
    fn trimming_keeps_the_newest_whole_lines_that_fit() {
        let text = b"one\ntwo\nthree\nfour\n";
        // At most the newer half, when everything fits.
        assert_eq!(&text[newest_lines_start(text, 1000)..], b"three\nfour\n");
        // Only what fits in the room ("four\n" is 5 bytes, "three\nfour\n" 11).
        assert_eq!(&text[newest_lines_start(text, 10)..], b"four\n");
        // At least the newest line, even when it alone is too big.
        assert_eq!(&text[newest_lines_start(text, 1)..], b"four\n");
        // An unterminated last line (a torn write) counts as a line.
        let torn = b"one\ntwo\nthr";
        assert_eq!(&torn[newest_lines_start(torn, 1000)..], b"two\nthr");
        assert_eq!(newest_lines_start(b"", 10), 0);
    }
}
