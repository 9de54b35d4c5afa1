//! Per-invocation log lines as Lambda writes them (START / END / REPORT) and the buffer that
//! collects one invocation's lines for [`crate::Invocation::log_tail`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::macros::format_description;
use time::OffsetDateTime;

use crate::invocation::ReportFigures;
use crate::{InitLine, LogSink};

/// The most log text kept per invocation; older lines are dropped first.
const TAIL_LIMIT: usize = 256 * 1024;

/// Where a sandbox's lines go: the service's sink and the current invocation's tail.
#[derive(Clone)]
pub(crate) struct FunctionLog {
    function: Arc<str>,
    /// The function version the sandbox runs (`$LATEST` or a published one).
    version: &'static str,
    /// The sandbox's log stream name, fresh per sandbox as on Lambda.
    stream: Arc<str>,
    sink: Arc<dyn LogSink>,
    tail: Arc<Mutex<String>>,
    /// Also given each line (the Telemetry API's `function` and `extension` records).
    tap: Option<LineTap>,
}

/// Something else that wants each line of a log.
type LineTap = Arc<dyn Fn(&str) + Send + Sync>;

impl FunctionLog {
    /// A fresh log stream of `version` of `function`.
    pub fn new(function: &str, version: &'static str, sink: Arc<dyn LogSink>) -> Self {
        FunctionLog {
            function: function.into(),
            version,
            stream: log_stream_name(version).into(),
            sink,
            tail: Arc::new(Mutex::new(String::new())),
            tap: None,
        }
    }

    /// The same log, whose lines are also given to `tap`.
    pub fn tapped(&self, tap: impl Fn(&str) + Send + Sync + 'static) -> FunctionLog {
        FunctionLog {
            tap: Some(Arc::new(tap)),
            ..self.clone()
        }
    }

    /// The sandbox's log stream (`AWS_LAMBDA_LOG_STREAM_NAME`).
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Record one line (without its newline).
    pub fn line(&self, line: &str) {
        // The tail's lock is held while the sink gets the line: stdout and stderr are read
        // by two tasks, and the stored stream and the tail must see their lines in one order.
        let mut tail = self.lock_tail();
        self.sink.stream_line(&self.function, &self.stream, line);
        if let Some(tap) = &self.tap {
            tap(line);
        }
        push_tail(&mut tail, line);
    }

    /// Record one of Lambda's lines about the sandbox's Init, initialised as `init_type`
    /// says; `to_tail`: the current invocation's log tail gets it too.
    pub fn init_line(&self, text: &str, init_type: &'static str, to_tail: bool) {
        let line = InitLine {
            text,
            initialization_type: init_type,
            function_version: self.version,
        };
        let mut tail = self.lock_tail();
        self.sink.init_line(&self.function, &self.stream, &line);
        if to_tail {
            push_tail(&mut tail, text);
        }
    }

    fn lock_tail(&self) -> std::sync::MutexGuard<'_, String> {
        self.tail.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Take everything collected since the last call.
    pub fn take_tail(&self) -> String {
        std::mem::take(&mut *self.lock_tail())
    }
}

/// Append `line` to an invocation's tail, dropping its oldest half past [`TAIL_LIMIT`].
fn push_tail(tail: &mut String, line: &str) {
    tail.push_str(line);
    tail.push('\n');
    if tail.len() > TAIL_LIMIT {
        let mut cut = tail.len() - TAIL_LIMIT / 2;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        tail.drain(..cut);
    }
}

/// How an invocation ended, for the REPORT line's `Status` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReportStatus {
    /// Normal completion (no `Status` field, as AWS prints it).
    Success,
    /// The function timed out.
    Timeout,
    /// The runtime failed (exit, init error): AWS adds `Status: error  Error Type: …`.
    Error(String),
}

/// The START line of an invocation of `version`.
// `concat`, not `format!`: one allocation of the exact size, on every invocation.
pub(crate) fn start_line_of(request_id: &str, version: &str) -> String {
    ["START RequestId: ", request_id, " Version: ", version].concat()
}

pub(crate) fn end_line(request_id: &str) -> String {
    ["END RequestId: ", request_id].concat()
}

/// The numbers that go into a REPORT line.
pub(crate) struct Report<'a> {
    pub request_id: &'a str,
    pub duration: Duration,
    pub memory_size_mb: u32,
    pub max_memory_used_mb: u64,
    pub init_duration: Option<Duration>,
    pub status: ReportStatus,
}

impl Report<'_> {
    /// The line's figures as numbers.
    pub fn figures(&self) -> ReportFigures {
        let duration_ms = self.duration.as_secs_f64() * 1000.0;
        ReportFigures {
            duration_ms,
            // AWS bills per started millisecond.
            billed_ms: (duration_ms.ceil() as u64).max(1),
            memory_mb: u64::from(self.memory_size_mb),
            cold: self.init_duration.is_some(),
        }
    }
}

pub(crate) fn report_line(r: &Report<'_>) -> String {
    let ReportFigures {
        duration_ms: ms,
        billed_ms: billed,
        ..
    } = r.figures();
    let mut line = format!(
        "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
        r.request_id, ms, billed, r.memory_size_mb, r.max_memory_used_mb
    );
    if let Some(init) = r.init_duration {
        line.push_str(&format!(
            "\tInit Duration: {:.2} ms",
            init.as_secs_f64() * 1000.0
        ));
    }
    match &r.status {
        ReportStatus::Success => {}
        ReportStatus::Timeout => line.push_str("\tStatus: timeout"),
        ReportStatus::Error(kind) => line.push_str(&format!("\tStatus: error\tError Type: {kind}")),
    }
    // AWS ends every field with a tab, the last one too.
    line.push('\t');
    line
}

/// The phase an Init ran in: Lambda's own, or, after that failed, again inside the first
/// invocation (a "suppressed init").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InitPhase {
    Init,
    Invoke,
}

impl InitPhase {
    /// The phase as Lambda's records name it.
    pub fn as_str(self) -> &'static str {
        match self {
            InitPhase::Init => "init",
            InitPhase::Invoke => "invoke",
        }
    }
}

/// The `INIT_REPORT` line Lambda writes for an Init that failed or timed out.
/// AWS (recorded 2024-2025): `INIT_REPORT Init Duration: 150.79 ms\tPhase: init\tStatus: error\t
/// Error Type: Runtime.UserCodeSyntaxError`; a timeout has `Status: timeout` and no error type.
/// Unlike REPORT, the line has no closing tab.
pub(crate) fn init_report_line(
    duration: Duration,
    phase: InitPhase,
    status: &ReportStatus,
) -> String {
    let phase = phase.as_str();
    let mut line = format!(
        "INIT_REPORT Init Duration: {:.2} ms\tPhase: {phase}",
        duration.as_secs_f64() * 1000.0
    );
    match status {
        ReportStatus::Success => line.push_str("\tStatus: success"),
        ReportStatus::Timeout => line.push_str("\tStatus: timeout"),
        ReportStatus::Error(kind) => line.push_str(&format!("\tStatus: error\tError Type: {kind}")),
    }
    line
}

/// The `INIT_START` line Lambda writes each time it creates an execution environment (not
/// for the suppressed Init that follows a failed one).
/// AWS (docs, "Identifying runtime version changes"; recorded 2024-2026):
/// `INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:<64 hex>`.
pub(crate) fn init_start_line(runtime: &RuntimeVersion) -> String {
    format!(
        "INIT_START Runtime Version: {}\tRuntime Version ARN: {}",
        runtime.version, runtime.arn
    )
}

/// The runtime version Lambda names in `INIT_START`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuntimeVersion {
    /// `python:3.12.v1`, `nodejs:20.v1`, `provided:al2023.v1`.
    pub version: String,
    /// `arn:<partition>:lambda:<region>::runtime:<64 hex>`.
    pub arn: String,
}

impl RuntimeVersion {
    /// The version of `runtime` (a template's `Runtime`, `python3.12`) in `aws`'s region.
    /// AWS: `<language>:<major.minor>.v<N>`, N counting the runtime's updates, and an ARN whose
    /// id is a 64-hex digest; Sluice: N is 1 (it runs the host's interpreter, whose updates it
    /// does not count) and the id is a stable digest of the version, so the line keeps AWS's
    /// shape for tools that parse it.
    pub fn of(runtime: &str, aws: &sluice_aws_env::AwsEnv) -> RuntimeVersion {
        let runtime = runtime.strip_suffix(".x").unwrap_or(runtime);
        let language_end = runtime
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(runtime.len());
        let (language, release) = runtime.split_at(language_end);
        let release = release.strip_prefix('.').unwrap_or(release);
        let version = if release.is_empty() {
            format!("{language}.v1")
        } else {
            format!("{language}:{release}.v1")
        };
        let digest: String = (0u8..8)
            .map(|seed| {
                let mut hasher = crc32fast::Hasher::new();
                hasher.update(&[seed]);
                hasher.update(version.as_bytes());
                format!("{:08x}", hasher.finalize())
            })
            .collect();
        let arn = format!(
            "arn:{}:lambda:{}::runtime:{digest}",
            aws.partition, aws.region
        );
        RuntimeVersion { version, arn }
    }
}

/// `2024-05-01T12:00:00.123Z`, the timestamp Lambda uses in its own messages.
pub(crate) fn iso_now() -> String {
    iso(OffsetDateTime::now_utc())
}

/// [`iso_now`]'s timestamp of `at`.
pub(crate) fn iso_at(at: std::time::SystemTime) -> String {
    iso(OffsetDateTime::from(at))
}

fn iso(at: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(fmt)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_owned())
}

/// `YYYY/MM/DD/[$LATEST]<32 hex>` (or `[1]` for published version 1), a fresh log stream name
/// per sandbox as on Lambda.
pub(crate) fn log_stream_name(version: &str) -> String {
    let fmt = format_description!("[year]/[month]/[day]");
    let date = OffsetDateTime::now_utc()
        .format(fmt)
        .unwrap_or_else(|_| "1970/01/01".to_owned());
    format!("{date}/[{version}]{}", uuid::Uuid::new_v4().simple())
}

/// The line Lambda logs when a function runs past its timeout.
pub(crate) fn timeout_message(request_id: &str, timeout: Duration) -> String {
    format!(
        "{} {request_id} Task timed out after {:.2} seconds",
        iso_now(),
        timeout.as_secs_f64()
    )
}

/// The `errorMessage` of the `Sandbox.Timedout` document the caller gets for a timeout.
/// AWS: until 2024 the payload repeated the log line (timestamp first, no `errorType`); the
/// recorded 2025 answer names the request and the error instead.
pub(crate) fn timeout_error_message(request_id: &str, timeout: Duration) -> String {
    format!(
        "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
        timeout.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps the lines it is given; holds `first` a while, as a busy sink would.
    struct SlowFirst {
        seen: Mutex<Vec<String>>,
        entered: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    }

    impl LogSink for SlowFirst {
        fn line(&self, _function: &str, line: &str) {
            self.seen.lock().unwrap().push(line.to_owned());
            if line == "first" {
                if let Some(entered) = self.entered.lock().unwrap().take() {
                    entered.send(()).unwrap();
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }

    #[test]
    fn the_sink_and_the_tail_see_lines_of_two_writers_in_one_order() {
        let (entered, wait) = std::sync::mpsc::channel();
        let sink = Arc::new(SlowFirst {
            seen: Mutex::new(Vec::new()),
            entered: Mutex::new(Some(entered)),
        });
        let log = FunctionLog::new("F", "$LATEST", sink.clone());
        let stdout = {
            let log = log.clone();
            std::thread::spawn(move || log.line("first"))
        };
        // The second writer (stderr's reader) comes while the sink still has `first`.
        wait.recv().unwrap();
        log.line("second");
        stdout.join().unwrap();
        let seen = sink.seen.lock().unwrap().join("\n") + "\n";
        assert_eq!(log.take_tail(), seen);
    }

    #[test]
    fn start_and_end_line_shapes() {
        assert_eq!(
            start_line_of("abc", "$LATEST"),
            "START RequestId: abc Version: $LATEST"
        );
        assert_eq!(end_line("abc"), "END RequestId: abc");
    }

    #[test]
    fn report_line_shapes() {
        let mut r = Report {
            request_id: "abc",
            duration: Duration::from_micros(12_345),
            memory_size_mb: 128,
            max_memory_used_mb: 45,
            init_duration: Some(Duration::from_micros(123_450)),
            status: ReportStatus::Success,
        };
        assert_eq!(
            report_line(&r),
            "REPORT RequestId: abc\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB\tInit Duration: 123.45 ms\t"
        );
        let figures = r.figures();
        assert_eq!(figures.duration_ms, 12.345);
        assert_eq!((figures.billed_ms, figures.memory_mb), (13, 128));
        assert!(figures.cold);
        r.init_duration = None;
        r.status = ReportStatus::Error("Runtime.ExitError".into());
        assert!(report_line(&r)
            .ends_with("Max Memory Used: 45 MB\tStatus: error\tError Type: Runtime.ExitError\t"));
        r.status = ReportStatus::Timeout;
        assert!(report_line(&r).ends_with("Max Memory Used: 45 MB\tStatus: timeout\t"));
        assert!(!r.figures().cold);
    }

    #[test]
    fn init_report_line_shapes() {
        let error = ReportStatus::Error("Runtime.ImportModuleError".into());
        assert_eq!(
            init_report_line(Duration::from_micros(512_340), InitPhase::Init, &error),
            "INIT_REPORT Init Duration: 512.34 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError"
        );
        assert_eq!(
            init_report_line(
                Duration::from_millis(10_000),
                InitPhase::Invoke,
                &ReportStatus::Timeout
            ),
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: invoke\tStatus: timeout"
        );
    }

    #[test]
    fn init_start_line_shape() {
        let aws = sluice_aws_env::AwsEnv {
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            partition: "aws".into(),
        };
        let python = RuntimeVersion::of("python3.12", &aws);
        assert_eq!(python.version, "python:3.12.v1");
        let (prefix, id) = python
            .arn
            .split_at("arn:aws:lambda:eu-west-1::runtime:".len());
        assert_eq!(prefix, "arn:aws:lambda:eu-west-1::runtime:");
        assert_eq!(id.len(), 64);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(RuntimeVersion::of("python3.12", &aws), python);
        assert_ne!(RuntimeVersion::of("python3.13", &aws).arn, python.arn);
        assert_eq!(
            RuntimeVersion::of("nodejs20.x", &aws).version,
            "nodejs:20.v1"
        );
        assert_eq!(
            RuntimeVersion::of("provided.al2023", &aws).version,
            "provided:al2023.v1"
        );
        assert_eq!(RuntimeVersion::of("provided", &aws).version, "provided.v1");
        assert_eq!(
            init_start_line(&python),
            format!(
                "INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: {}",
                python.arn
            )
        );
    }

    #[test]
    fn billing_starts_at_one_millisecond_and_rounds_up() {
        let mut r = Report {
            request_id: "abc",
            duration: Duration::from_micros(200),
            memory_size_mb: 1024,
            max_memory_used_mb: 45,
            init_duration: None,
            status: ReportStatus::Success,
        };
        assert_eq!(r.figures().billed_ms, 1);
        assert_eq!(r.figures().gb_seconds(), 0.001);
        r.duration = Duration::from_micros(2_001);
        assert_eq!(r.figures().billed_ms, 3);
        assert!(report_line(&r).contains("\tBilled Duration: 3 ms\t"));
    }

    #[test]
    fn timeout_message_shape() {
        let m = timeout_message("id-1", Duration::from_secs(3));
        assert!(
            m.ends_with(" id-1 Task timed out after 3.00 seconds"),
            "{m}"
        );
        assert!(m.contains('T') && m.split(' ').next().is_some_and(|t| t.ends_with('Z')));
        assert_eq!(
            timeout_error_message("id-1", Duration::from_millis(1500)),
            "RequestId: id-1 Error: Task timed out after 1.50 seconds"
        );
    }

    #[test]
    fn stream_name_shape() {
        assert!(log_stream_name("1")[10..].starts_with("/[1]"));
        let s = log_stream_name("$LATEST");
        let (date, rest) = s.split_at(10);
        assert_eq!(date.matches('/').count(), 2);
        assert!(rest.starts_with("/[$LATEST]"));
        assert_eq!(rest.len(), "/[$LATEST]".len() + 32);
    }
}
