//! Function logs as CloudWatch Logs keeps them: stored per group and stream ([`LogStore`]),
//! searched with filter patterns ([`FilterPattern`]) and served through the CloudWatch Logs API
//! subset tools use ([`api`]).

pub mod api;
mod filter_pattern;
mod json_format;
mod store;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use sluice_lambda::{InitLine, LogSink};

pub use filter_pattern::FilterPattern;
pub use filter_pattern::FilterPatternError;
pub use store::{
    now_millis, GroupInfo, LogEvent, LogStore, LogStoreError, StreamInfo, DEFAULT_GROUP_BYTES,
};

use crate::terminal_log::TerminalLog;
use crate::traffic::Traffic;

/// Lines with no sandbox behind them (a runtime that could not even start) go to this stream,
/// suffixed to the day's date as sandbox streams are.
const NO_SANDBOX_STREAM: &str = "[$LATEST]no-sandbox";

/// Where function lines go: the terminal (or `--log-file`) as before, and the log store.
pub(crate) struct FunctionLogs {
    /// What a person watches.
    pub terminal: Arc<TerminalLog>,
    /// What `sluice logs` and the CloudWatch Logs API read.
    pub store: Arc<LogStore>,
    /// Where each invocation is counted (the console's function statistics).
    traffic: Arc<Traffic>,
    /// Each function that has logged or is configured: its log group, and whether its logs are in
    /// Lambda's JSON format (`AWS_LAMBDA_LOG_FORMAT=JSON`) as the current generation configures it.
    functions: RwLock<HashMap<String, Known>>,
}

/// What [`FunctionLogs`] keeps per function, so a line costs no group name of its own.
struct Known {
    group: Arc<str>,
    json: bool,
}

impl Known {
    fn new(function: &str, json: bool) -> Self {
        Known {
            group: LogStore::group_for_function(function).into(),
            json,
        }
    }
}

impl FunctionLogs {
    /// Tees function lines to `terminal` and `store`, and counts invocations in `traffic`.
    pub fn new(terminal: Arc<TerminalLog>, store: Arc<LogStore>, traffic: Arc<Traffic>) -> Self {
        Self {
            terminal,
            store,
            traffic,
            functions: RwLock::new(HashMap::new()),
        }
    }

    /// Which functions log in Lambda's JSON format (replaced whole by each generation).
    pub fn set_json_functions(&self, json: BTreeSet<String>) {
        let mut functions = self.functions.write().unwrap_or_else(|p| p.into_inner());
        for (name, known) in functions.iter_mut() {
            known.json = json.contains(name);
        }
        for name in json {
            functions
                .entry(name)
                .or_insert_with_key(|name| Known::new(name, true));
        }
    }

    /// The function's log group, and whether it logs in JSON.
    fn known(&self, function: &str) -> (Arc<str>, bool) {
        if let Some(known) = self
            .functions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(function)
        {
            return (known.group.clone(), known.json);
        }
        let mut functions = self.functions.write().unwrap_or_else(|p| p.into_inner());
        let known = functions
            .entry(function.to_owned())
            // Not configured by the generation, so not JSON.
            .or_insert_with(|| Known::new(function, false));
        (known.group.clone(), known.json)
    }

    fn keep(&self, function: &str, stream: Arc<str>, line: &str) {
        let (group, json) = self.known(function);
        let converted = if json {
            json_format::platform_event(line, &iso_now())
        } else {
            None
        };
        let line = match &converted {
            Some(Some(event)) => event.as_str(),
            Some(None) => return,
            None => line,
        };
        self.store.append_shared(group, stream, line);
    }
}

impl LogSink for FunctionLogs {
    fn line(&self, function: &str, line: &str) {
        self.terminal.line(function, line);
        let day = time::OffsetDateTime::now_utc().date();
        let stream = format!(
            "{:04}/{:02}/{:02}/{NO_SANDBOX_STREAM}",
            day.year(),
            u8::from(day.month()),
            day.day()
        );
        self.keep(function, stream.into(), line);
    }

    fn stream_line(&self, function: &str, stream: &Arc<str>, line: &str) {
        self.terminal.line(function, line);
        self.keep(function, stream.clone(), line);
    }

    fn init_line(&self, function: &str, stream: &Arc<str>, line: &InitLine<'_>) {
        self.terminal.line(function, line.text);
        let (group, json) = self.known(function);
        let event = json
            .then(|| json_format::init_event(function, line, &iso_now()))
            .flatten();
        let text = event.as_deref().unwrap_or(line.text);
        self.store.append_shared(group, stream.clone(), text);
    }

    fn invoked(&self, function: &str, invocation: &sluice_lambda::Invocation) {
        self.traffic.invoked(function, invocation);
    }
}

/// The functions whose environment asks for Lambda's JSON log format.
pub(crate) fn json_format_functions(specs: &[sluice_lambda::FunctionSpec]) -> BTreeSet<String> {
    specs
        .iter()
        .filter(|s| {
            s.environment
                .get("AWS_LAMBDA_LOG_FORMAT")
                .is_some_and(|f| f.eq_ignore_ascii_case("JSON"))
        })
        .map(|s| s.name.clone())
        .collect()
}

/// `2026-01-31T10:00:00.123Z`, the `time` of Lambda's JSON platform events.
fn iso_now() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_default()
}
