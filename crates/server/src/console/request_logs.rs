//! A request's function log lines, read back from the log store (the console keeps no copy).
//!
//! A sandbox runs one invocation at a time and has a stream of its own, so an invocation's lines
//! are the stretch of its stream from the line naming its request id first (START, or JSON
//! `platform.start`) to the one naming it last (REPORT, or `platform.report`).

use std::collections::HashMap;

use crate::logs::{LogEvent, LogStore};

/// Reads each function's streams once per page, however many requests the page shows.
pub struct LogLookup<'a> {
    store: &'a LogStore,
    streams: HashMap<String, Vec<Vec<LogEvent>>>,
}

impl<'a> LogLookup<'a> {
    /// A lookup over `store`.
    pub fn new(store: &'a LogStore) -> LogLookup<'a> {
        LogLookup {
            store,
            streams: HashMap::new(),
        }
    }

    /// The lines `function` logged for the invocation `request_id`, oldest first (empty when the
    /// store no longer has them).
    pub fn lines(&mut self, function: &str, request_id: &str) -> Vec<String> {
        let store = self.store;
        let streams = self.streams.entry(function.to_owned()).or_insert_with(|| {
            let group = LogStore::group_for_function(function);
            let mut names = store.streams(&group).unwrap_or_default();
            // Newest streams first: recent requests are the ones asked about.
            names.sort_by_key(|s| std::cmp::Reverse(s.last_event));
            names
                .iter()
                .filter_map(|s| store.events(&group, &s.name))
                .collect()
        });
        streams
            .iter()
            .find_map(|events| invocation_lines(events, request_id))
            .unwrap_or_default()
    }
}

/// The messages from the first to the last event that names `request_id`, if any does.
fn invocation_lines(events: &[LogEvent], request_id: &str) -> Option<Vec<String>> {
    let names = |e: &LogEvent| e.message.contains(request_id);
    let first = events.iter().position(names)?;
    let last = events.iter().rposition(names)?;
    Some(
        events[first..=last]
            .iter()
            .map(|e| e.message.clone())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(lines: &[&str]) -> Vec<LogEvent> {
        lines
            .iter()
            .enumerate()
            .map(|(i, m)| LogEvent {
                timestamp: i as i64,
                ingestion_time: i as i64,
                event_id: i.to_string(),
                message: (*m).to_owned(),
            })
            .collect()
    }

    #[test]
    fn an_invocation_is_the_stretch_between_its_start_and_report() {
        let stream = events(&[
            "START RequestId: id-a Version: $LATEST",
            "first",
            "END RequestId: id-a",
            "REPORT RequestId: id-a\tDuration: 1 ms",
            "START RequestId: id-b Version: $LATEST",
            "second <b>",
            "END RequestId: id-b",
            "REPORT RequestId: id-b\tDuration: 1 ms",
        ]);
        let b = invocation_lines(&stream, "id-b").unwrap();
        assert_eq!(b.len(), 4);
        assert_eq!(b[1], "second <b>");
        assert_eq!(invocation_lines(&stream, "id-c"), None);
    }

    #[test]
    fn lines_are_read_from_the_store_by_function_and_request_id() {
        let dir =
            std::env::temp_dir().join(format!("sluice-console-logs-{}", uuid::Uuid::new_v4()));
        let store = LogStore::new(dir.clone(), crate::logs::DEFAULT_GROUP_BYTES);
        let group = LogStore::group_for_function("fn");
        for line in [
            "START RequestId: r1 Version: $LATEST",
            "hello from r1",
            "END RequestId: r1",
            "REPORT RequestId: r1\tDuration: 1.00 ms",
        ] {
            store.append(&group, "2026/01/01/[$LATEST]abc", line);
        }
        let mut lookup = LogLookup::new(&store);
        assert_eq!(lookup.lines("fn", "r1")[1], "hello from r1");
        assert!(lookup.lines("fn", "r2").is_empty());
        assert!(lookup.lines("other", "r1").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
