//! Function logs as CloudWatch Logs keeps them: stored per group and stream ([`LogStore`]),
//! searched with filter patterns ([`FilterPattern`]) and served through the CloudWatch Logs API
//! subset tools use ([`api`]).

pub mod api;
mod event_line;
mod filter_pattern;
mod json_format;
mod log_level;
mod store;

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::Value;
use sluice_lambda::{InitLine, LogSink};

use log_level::{Level, Levels};

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
    /// `Some` for a function in Lambda's JSON log format: what its records must reach.
    json: Option<Levels>,
}

impl Known {
    fn new(function: &str, json: Option<Levels>) -> Self {
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
            functions: RwLock::new(HashMap::default()),
        }
    }

    /// Which functions log in Lambda's JSON format, with their log levels (replaced whole by
    /// each generation).
    pub fn set_json_functions(&self, json: BTreeMap<String, Levels>) {
        let mut functions = self.functions.write().unwrap_or_else(|p| p.into_inner());
        for (name, known) in functions.iter_mut() {
            known.json = json.get(name).copied();
        }
        for (name, levels) in json {
            functions
                .entry(name)
                .or_insert_with_key(|name| Known::new(name, Some(levels)));
        }
    }

    /// The function's log group, and its levels if it logs in JSON.
    fn known(&self, function: &str) -> (Arc<str>, Option<Levels>) {
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
            .or_insert_with(|| Known::new(function, None));
        (known.group.clone(), known.json)
    }

    /// Store `line` as CloudWatch would hold it. AWS: a JSON-format function's records below its
    /// log levels never reach CloudWatch; Sluice: the terminal still shows every line, as text.
    fn keep(&self, function: &str, stream: Arc<str>, line: &str) {
        let (group, json) = self.known(function);
        let Some(levels) = json else {
            self.store.append_shared(group, stream, line);
            return;
        };
        match json_format::platform_event(line, &iso_now()) {
            Some(Some(event)) => self.keep_event(group, stream, &event, levels),
            // END has no JSON form.
            Some(None) => {}
            None => {
                if log_level::application_level(line).is_none_or(|l| l >= levels.application) {
                    self.store.append_shared(group, stream, line);
                }
            }
        }
    }

    /// Store Lambda's own `event` if its level reaches `levels.system`.
    fn keep_event(&self, group: Arc<str>, stream: Arc<str>, event: &Value, levels: Levels) {
        let kind = event["type"].as_str().unwrap_or_default();
        if log_level::system_level(kind, &event["record"]) >= levels.system {
            self.store.append_shared(group, stream, &event.to_string());
        }
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
        match (json, json_format::init_event(function, line, &iso_now())) {
            (Some(levels), Some(event)) => self.keep_event(group, stream.clone(), &event, levels),
            _ => self.store.append_shared(group, stream.clone(), line.text),
        }
    }

    fn invoked(&self, function: &str, invocation: &sluice_lambda::Invocation) {
        self.traffic.invoked(function, invocation);
    }
}

/// The functions whose environment asks for Lambda's JSON log format, with their log levels:
/// the application's as the runtime is told it (`AWS_LAMBDA_LOG_LEVEL`), the system's as
/// `system_levels` (each function's `LoggingConfig.SystemLogLevel`) names it; INFO otherwise,
/// Lambda's default for both.
pub(crate) fn json_format_functions(
    specs: &[sluice_lambda::FunctionSpec],
    system_levels: &BTreeMap<String, String>,
) -> BTreeMap<String, Levels> {
    let level = |name: Option<&String>| {
        name.and_then(|n| Level::parse(n))
            .unwrap_or(Levels::default().system)
    };
    specs
        .iter()
        .filter(|s| {
            s.environment
                .get("AWS_LAMBDA_LOG_FORMAT")
                .is_some_and(|f| f.eq_ignore_ascii_case("JSON"))
        })
        .map(|s| {
            let levels = Levels {
                system: level(system_levels.get(&s.name)),
                application: level(s.environment.get("AWS_LAMBDA_LOG_LEVEL")),
            };
            (s.name.clone(), levels)
        })
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
