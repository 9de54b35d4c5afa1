//! `AWS_LAMBDA_LOG_FORMAT=JSON` (what `LoggingConfig: LogFormat: JSON` sets): Lambda then writes
//! its own lines as JSON platform events, `platform.initStart`, `platform.initReport` (for a
//! failed Init), `platform.start` and `platform.report` (END has no JSON form). The runtimes' bootstraps format the function's logger output; this turns Sluice's
//! START/END/REPORT text into the events CloudWatch would hold.
//!
//! AWS: the invocation's `X-Amz-Log-Type: Tail` and the terminal also get JSON; Sluice keeps those
//! as text, which stays readable while developing, and stores the JSON form.

use serde_json::{json, Map, Value};
use sluice_lambda::InitLine;

/// What to store for `line` of a JSON-format function: `Some(Some(event))` for a platform line,
/// `Some(None)` for one Lambda does not write in JSON (END), `None` for the function's own line
/// (stored as written).
pub fn platform_event(line: &str, time: &str) -> Option<Option<Value>> {
    if let Some(rest) = line.strip_prefix("START RequestId: ") {
        let (request_id, version) = rest.split_once(" Version: ").unwrap_or((rest, "$LATEST"));
        let record = json!({"requestId": request_id.trim(), "version": version.trim()});
        return Some(Some(event(time, "platform.start", record)));
    }
    if line.starts_with("END RequestId: ") {
        return Some(None);
    }
    let rest = line.strip_prefix("REPORT RequestId: ")?;
    let mut parts = rest.split('\t');
    let request_id = parts.next().unwrap_or("").trim();
    let mut metrics = Map::new();
    let mut status = "success".to_owned();
    let mut error_type = None;
    for part in parts {
        let Some((name, value)) = part.split_once(": ") else {
            continue;
        };
        let number = value.split(' ').next().and_then(|n| n.parse::<f64>().ok());
        let key = match name.trim() {
            "Duration" => "durationMs",
            "Billed Duration" => "billedDurationMs",
            "Memory Size" => "memorySizeMB",
            "Max Memory Used" => "maxMemoryUsedMB",
            "Init Duration" => "initDurationMs",
            "Status" => {
                status = value.trim().to_owned();
                continue;
            }
            "Error Type" => {
                error_type = Some(value.trim().to_owned());
                continue;
            }
            _ => continue,
        };
        if let Some(n) = number {
            // Durations with their fraction, billed milliseconds and megabytes whole, as Lambda
            // writes them.
            let value = match key {
                "durationMs" | "initDurationMs" => json!(n),
                _ => json!(n as u64),
            };
            metrics.insert(key.to_owned(), value);
        }
    }
    let mut record = json!({"requestId": request_id, "metrics": metrics, "status": status});
    if let Some(error_type) = error_type {
        record["errorType"] = json!(error_type);
    }
    Some(Some(event(time, "platform.report", record)))
}

/// The JSON event of `function`'s Init line `init`, as `time`; `None` for a line that is not
/// one of Lambda's Init lines.
pub fn init_event(function: &str, init: &InitLine<'_>, time: &str) -> Option<Value> {
    if let Some(rest) = init.text.strip_prefix("INIT_START ") {
        return Some(init_start(function, init, rest, time));
    }
    let rest = init.text.strip_prefix("INIT_REPORT ")?;
    Some(init_report(rest, init.initialization_type, time))
}

/// `INIT_START Runtime Version: …\tRuntime Version ARN: …` as `platform.initStart`.
/// AWS (recorded in JSON-format CloudWatch logs, 2024): `{"initializationType": "on-demand",
/// "phase": "init", "runtimeVersion": "nodejs:20.v22", "runtimeVersionArn": "arn:aws:lambda:
/// us-east-1::runtime:…", "functionName": "hello-world", "functionVersion": "$LATEST"}`.
fn init_start(function: &str, init: &InitLine<'_>, fields: &str, time: &str) -> Value {
    let mut record = json!({
        "initializationType": init.initialization_type,
        "phase": "init",
    });
    for part in fields.split('\t') {
        let Some((name, value)) = part.split_once(": ") else {
            continue;
        };
        match name.trim() {
            "Runtime Version" => record["runtimeVersion"] = json!(value.trim()),
            "Runtime Version ARN" => record["runtimeVersionArn"] = json!(value.trim()),
            _ => {}
        }
    }
    record["functionName"] = json!(function);
    record["functionVersion"] = json!(init.function_version);
    event(time, "platform.initStart", record)
}

/// `INIT_REPORT Init Duration: … ms\tPhase: …\tStatus: …[\tError Type: …]` as the
/// `platform.initReport` event of the Telemetry API schema: `initializationType` (the
/// sandbox's: `provisioned-concurrency` for a provisioned one, `on-demand` otherwise, a sandbox
/// Sluice starts ahead of demand included, as its `AWS_LAMBDA_INITIALIZATION_TYPE` says),
/// `phase`, `status`, `errorType` when there is one, and `metrics.durationMs`.
fn init_report(fields: &str, initialization_type: &str, time: &str) -> Value {
    let mut record = json!({"initializationType": initialization_type, "status": "success"});
    let mut metrics = Map::new();
    for part in fields.split('\t') {
        let Some((name, value)) = part.split_once(": ") else {
            continue;
        };
        let value = value.trim();
        match name.trim() {
            "Init Duration" => {
                if let Some(ms) = value.split(' ').next().and_then(|n| n.parse::<f64>().ok()) {
                    metrics.insert("durationMs".to_owned(), json!(ms));
                }
            }
            "Phase" => record["phase"] = json!(value),
            "Status" => record["status"] = json!(value),
            "Error Type" => record["errorType"] = json!(value),
            _ => {}
        }
    }
    record["metrics"] = Value::Object(metrics);
    event(time, "platform.initReport", record)
}

fn event(time: &str, kind: &str, record: Value) -> Value {
    json!({"time": time, "type": kind, "record": record})
}

#[cfg(test)]
mod tests {
    use super::{init_event, platform_event};
    use serde_json::Value;
    use sluice_lambda::InitLine;

    fn parsed(line: &str) -> Value {
        platform_event(line, "2026-01-01T00:00:00.000Z")
            .flatten()
            .expect("a platform event")
    }

    #[test]
    fn start_and_report_become_platform_events_and_end_goes() {
        let start = parsed("START RequestId: abc Version: $LATEST");
        assert_eq!(start["type"], "platform.start");
        assert_eq!(start["record"]["requestId"], "abc");
        assert_eq!(start["record"]["version"], "$LATEST");
        assert_eq!(platform_event("END RequestId: abc", "t"), Some(None));
        assert_eq!(platform_event("hello from the handler", "t"), None);
        let report = parsed("REPORT RequestId: abc\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB\tInit Duration: 123.45 ms\t");
        assert_eq!(report["type"], "platform.report");
        assert_eq!(report["record"]["status"], "success");
        let metrics = &report["record"]["metrics"];
        assert_eq!(metrics["durationMs"], 12.35);
        assert_eq!(metrics["billedDurationMs"], 13);
        assert_eq!(metrics["memorySizeMB"], 128);
        assert_eq!(metrics["maxMemoryUsedMB"], 45);
        assert_eq!(metrics["initDurationMs"], 123.45);
        let failed = parsed("REPORT RequestId: x\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: error\tError Type: Runtime.ExitError\t");
        assert_eq!(failed["record"]["status"], "error");
        assert_eq!(failed["record"]["errorType"], "Runtime.ExitError");
        // The line's closing tab adds no field.
        assert_eq!(failed["record"]["metrics"].as_object().unwrap().len(), 4);
    }

    fn init(text: &str, initialization_type: &'static str) -> Value {
        let line = InitLine {
            text,
            initialization_type,
            function_version: "$LATEST",
        };
        init_event("fn", &line, "2026-01-01T00:00:00.000Z").expect("an Init event")
    }

    #[test]
    fn init_start_becomes_an_init_start_event() {
        let start = init(
            "INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc",
            "on-demand",
        );
        assert_eq!(
            start,
            serde_json::json!({
                "time": "2026-01-01T00:00:00.000Z",
                "type": "platform.initStart",
                "record": {
                    "initializationType": "on-demand",
                    "phase": "init",
                    "runtimeVersion": "python:3.12.v1",
                    "runtimeVersionArn": "arn:aws:lambda:us-east-1::runtime:abc",
                    "functionName": "fn",
                    "functionVersion": "$LATEST",
                },
            })
        );
        let line = InitLine {
            text: "hello from the handler",
            initialization_type: "on-demand",
            function_version: "1",
        };
        assert_eq!(init_event("fn", &line, "t"), None);
    }

    #[test]
    fn a_provisioned_sandbox_init_says_so() {
        let start = init(
            "INIT_START Runtime Version: nodejs:20.v1\tRuntime Version ARN: arn",
            "provisioned-concurrency",
        );
        assert_eq!(
            start["record"]["initializationType"],
            "provisioned-concurrency"
        );
        let report = init(
            "INIT_REPORT Init Duration: 5.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError",
            "provisioned-concurrency",
        );
        assert_eq!(
            report["record"]["initializationType"],
            "provisioned-concurrency"
        );
    }

    #[test]
    fn a_failed_init_becomes_an_init_report_event() {
        let init = init("INIT_REPORT Init Duration: 512.34 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError", "on-demand");
        assert_eq!(
            init,
            serde_json::json!({
                "time": "2026-01-01T00:00:00.000Z",
                "type": "platform.initReport",
                "record": {
                    "initializationType": "on-demand",
                    "phase": "init",
                    "status": "error",
                    "errorType": "Runtime.ImportModuleError",
                    "metrics": {"durationMs": 512.34},
                },
            })
        );
        let timed_out = super::init_event(
            "fn",
            &InitLine {
                text: "INIT_REPORT Init Duration: 10000.00 ms\tPhase: invoke\tStatus: timeout",
                initialization_type: "on-demand",
                function_version: "$LATEST",
            },
            "t",
        )
        .expect("an Init event");
        assert_eq!(timed_out["record"]["phase"], "invoke");
        assert_eq!(timed_out["record"]["status"], "timeout");
        assert!(timed_out["record"].get("errorType").is_none());
        assert_eq!(timed_out["record"]["metrics"]["durationMs"], 10000.0);
    }
}
