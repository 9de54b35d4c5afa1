//! Lambda's log-level filtering of a JSON-format function (`LoggingConfig.SystemLogLevel` and
//! `ApplicationLogLevel`): which records reach CloudWatch Logs.
//!
//! AWS (docs, "Log-level filtering"): filtering needs the JSON log format. Lambda's own records
//! get a level by event and outcome (the docs' "System log level event mapping", as AWS lists
//! it: `platform.initStart` INFO when it names a runtime version, `platform.initReport` WARN when
//! Init failed, else INFO for a provisioned sandbox and DEBUG on demand, `platform.start` INFO,
//! `platform.report` INFO, WARN when the invocation failed). The function's output is filtered
//! by the level of each JSON object it writes (its `"level"` key; "If the "level" value field is
//! invalid or missing, Lambda will assign the log output the level INFO"); the managed runtimes'
//! own loggers already drop what is below the level, which they read from
//! `AWS_LAMBDA_LOG_LEVEL`. Output that is not a JSON object is kept as written.

use serde_json::Value;

/// A Lambda log level, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// `name` as Lambda reads it, in any case; Python's `WARNING` and `CRITICAL` as the levels
    /// they are. `None` for anything else.
    pub fn parse(name: &str) -> Option<Level> {
        Some(match name.to_ascii_uppercase().as_str() {
            "TRACE" => Level::Trace,
            "DEBUG" => Level::Debug,
            "INFO" => Level::Info,
            "WARN" | "WARNING" => Level::Warn,
            "ERROR" => Level::Error,
            "FATAL" | "CRITICAL" => Level::Fatal,
            _ => return None,
        })
    }
}

/// The levels a JSON-format function's records must reach to be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Levels {
    /// `SystemLogLevel` (INFO unless set).
    pub system: Level,
    /// `ApplicationLogLevel` (INFO unless set).
    pub application: Level,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            system: Level::Info,
            application: Level::Info,
        }
    }
}

/// The level Lambda gives its own event of type `kind` with `record`.
pub(crate) fn system_level(kind: &str, record: &Value) -> Level {
    let succeeded = record
        .get("status")
        .and_then(Value::as_str)
        .is_none_or(|s| s == "success");
    match kind {
        "platform.initStart" if record.get("runtimeVersion").is_some() => Level::Info,
        "platform.initStart" => Level::Debug,
        "platform.initReport" if !succeeded => Level::Warn,
        "platform.initReport" if record["initializationType"] == "on-demand" => Level::Debug,
        "platform.initReport" => Level::Info,
        "platform.report" if !succeeded => Level::Warn,
        _ => Level::Info,
    }
}

/// The level Lambda gives a line of the function's output: a JSON object's `"level"`, else
/// INFO; `None` for a line that is no JSON object, which Lambda does not filter.
pub(crate) fn application_level(line: &str) -> Option<Level> {
    let trimmed = line.trim();
    if !trimmed.starts_with('{') {
        return None;
    }
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(trimmed) else {
        return None;
    };
    Some(
        object
            .get("level")
            .and_then(Value::as_str)
            .and_then(Level::parse)
            .unwrap_or(Level::Info),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn platform_events_get_the_levels_aws_maps_them_to() {
        let init_start =
            json!({"initializationType": "on-demand", "runtimeVersion": "python:3.12.v1"});
        assert_eq!(system_level("platform.initStart", &init_start), Level::Info);
        assert_eq!(
            system_level(
                "platform.initStart",
                &json!({"initializationType": "on-demand"})
            ),
            Level::Debug
        );
        let failed_init = json!({"initializationType": "on-demand", "status": "error"});
        assert_eq!(
            system_level("platform.initReport", &failed_init),
            Level::Warn
        );
        let timed_out =
            json!({"initializationType": "provisioned-concurrency", "status": "timeout"});
        assert_eq!(system_level("platform.initReport", &timed_out), Level::Warn);
        let provisioned =
            json!({"initializationType": "provisioned-concurrency", "status": "success"});
        assert_eq!(
            system_level("platform.initReport", &provisioned),
            Level::Info
        );
        let on_demand = json!({"initializationType": "on-demand", "status": "success"});
        assert_eq!(
            system_level("platform.initReport", &on_demand),
            Level::Debug
        );
        assert_eq!(
            system_level("platform.start", &json!({"requestId": "a"})),
            Level::Info
        );
        let report = json!({"requestId": "a", "status": "success"});
        assert_eq!(system_level("platform.report", &report), Level::Info);
        let failed = json!({"requestId": "a", "status": "error"});
        assert_eq!(system_level("platform.report", &failed), Level::Warn);
    }

    #[test]
    fn output_lines_get_their_json_level_or_info() {
        assert_eq!(
            application_level(r#"{"level": "debug", "msg": "my debug log"}"#),
            Some(Level::Debug)
        );
        assert_eq!(
            application_level(r#"{"timestamp": "t", "level": "WARNING", "message": "m"}"#),
            Some(Level::Warn)
        );
        assert_eq!(
            application_level(r#"{"level": "NOTICE"}"#),
            Some(Level::Info)
        );
        assert_eq!(application_level(r#"{"level": 3}"#), Some(Level::Info));
        assert_eq!(application_level(r#"{"msg": "x"}"#), Some(Level::Info));
        assert_eq!(application_level("plain text"), None);
        assert_eq!(application_level(r#"{"level": "ERROR""#), None);
        assert_eq!(application_level(r#"["level", "ERROR"]"#), None);
        assert_eq!(Level::parse("critical"), Some(Level::Fatal));
        assert_eq!(Level::parse("verbose"), None);
    }
}
