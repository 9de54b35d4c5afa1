//! The Telemetry API (`/2022-07-01/telemetry`) and the Logs API (`/2020-08-15/logs`): an
//! extension subscribes to platform, function and extension records, and Lambda POSTs them to
//! the extension's own HTTP listener in batches (JSON arrays), as its buffering asks.
//!
//! AWS: records are sent to `http://sandbox.localdomain:<port>`, inside the micro-VM. Sluice:
//! the sandbox shares the host's network, so `sandbox.localdomain` is delivered to on loopback.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use super::registry::Refusal;
use crate::invocation_log::{iso_at, iso_now};

/// Which API a subscription came through: their records are worded differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `PUT /2022-07-01/telemetry`.
    Telemetry,
    /// `PUT /2020-08-15/logs` (and `/2021-03-18/logs`).
    Logs,
}

/// What a record is about; subscribers choose among these (`types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    /// Lambda's own events.
    Platform,
    /// A line the runtime process wrote.
    Function,
    /// A line an extension wrote.
    Extension,
}

/// How an invocation or an Init ended, as the `status` of Lambda's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// It succeeded.
    Success,
    /// The function returned an error (`errorType`, if it named one).
    Error(Option<String>),
    /// The runtime failed (exit, bad response).
    Failure(String),
    /// It ran out of time.
    Timeout,
}

impl Status {
    fn fields(&self, record: &mut Value) {
        let (status, error_type) = match self {
            Status::Success => ("success", None),
            Status::Error(kind) => ("error", kind.as_deref()),
            Status::Failure(kind) => ("failure", Some(kind.as_str())),
            Status::Timeout => ("timeout", None),
        };
        record["status"] = status.into();
        if let Some(kind) = error_type {
            record["errorType"] = kind.into();
        }
    }
}

/// One of Lambda's platform events, before it is worded for an API.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Platform {
    /// Init began.
    InitStart {
        /// `on-demand` or `provisioned-concurrency`.
        init_type: &'static str,
        /// `init`, or `invoke` for an Init run again inside an invocation.
        phase: &'static str,
        /// The function's name.
        function: String,
        /// The function version the sandbox runs (`$LATEST`, `1`).
        version: &'static str,
        /// What `INIT_START` calls `Runtime Version` (`python:3.12.v1`).
        runtime_version: String,
        /// What `INIT_START` calls `Runtime Version ARN`.
        runtime_version_arn: String,
    },
    /// The runtime finished Init (its first `next`), or Init failed.
    InitRuntimeDone {
        /// `on-demand` or `provisioned-concurrency`.
        init_type: &'static str,
        /// `init` or `invoke`, as [`Platform::InitStart`].
        phase: &'static str,
        /// How it ended.
        status: Status,
    },
    /// Init's report.
    InitReport {
        /// `on-demand` or `provisioned-concurrency`.
        init_type: &'static str,
        /// `init` or `invoke`, as [`Platform::InitStart`].
        phase: &'static str,
        /// How it ended.
        status: Status,
        /// How long it took.
        duration: Duration,
    },
    /// An invocation began.
    Start {
        /// The request.
        request_id: String,
        /// The version run.
        version: String,
        /// `X-Amzn-Trace-Id`.
        trace_id: String,
    },
    /// The runtime answered an invocation.
    RuntimeDone {
        /// The request.
        request_id: String,
        /// `X-Amzn-Trace-Id`.
        trace_id: String,
        /// How it ended.
        status: Status,
        /// Until the answer.
        duration: Duration,
        /// The response's size, when it succeeded.
        produced_bytes: Option<usize>,
        /// How the runtime's response came, when it posted one.
        spans: Option<ResponseSpans>,
    },
    /// The invocation ended (END; Logs API only).
    End {
        /// The request.
        request_id: String,
    },
    /// The invocation's report (REPORT).
    Report {
        /// The request.
        request_id: String,
        /// `X-Amzn-Trace-Id`.
        trace_id: String,
        /// How it ended.
        status: Status,
        /// Its duration, extensions' time included.
        duration: Duration,
        /// Whole milliseconds billed.
        billed_ms: u64,
        /// `MemorySize`.
        memory_mb: u64,
        /// The peak.
        max_memory_mb: u64,
        /// On a cold start.
        init_duration: Option<Duration>,
    },
    /// An extension subscribed (`platform.telemetrySubscription` / `platform.logsSubscription`).
    Subscription {
        /// Which API.
        api: Api,
        /// The extension's name.
        name: String,
        /// What it subscribed to.
        types: Vec<String>,
    },
}

/// When and how fast a runtime's response came: the `spans` of `platform.runtimeDone`.
///
/// AWS (RIE `GetRuntimeDoneSpans`; recorded record in aws-lambda-rust-runtime's telemetry
/// tests): `responseLatency` from the invocation's start until the runtime began sending its
/// response, then `responseDuration` while it sent it; none when the runtime posted an error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResponseSpans {
    /// When the invocation began (wall clock).
    pub invoked_at: std::time::SystemTime,
    /// Until the runtime began sending its response.
    pub latency: Duration,
    /// While it sent it.
    pub duration: Duration,
}

impl ResponseSpans {
    fn worded(&self) -> Value {
        let sending_at = self.invoked_at + self.latency;
        json!([
            { "name": "responseLatency", "start": iso_at(self.invoked_at), "durationMs": ms(self.latency) },
            { "name": "responseDuration", "start": iso_at(sending_at), "durationMs": ms(self.duration) },
        ])
    }
}

/// The `tracing` object of the Telemetry API's invocation records.
fn tracing(trace_id: &str) -> Value {
    json!({ "type": "X-Amzn-Trace-Id", "value": trace_id })
}

fn ms(duration: Duration) -> f64 {
    // Lambda reports milliseconds with three decimals.
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

impl Platform {
    /// The record's `type` and `record` for a subscriber of `api`; `None` when that API has no
    /// such record.
    fn worded(&self, api: Api) -> Option<(&'static str, Value)> {
        let telemetry = api == Api::Telemetry;
        Some(match self {
            Platform::InitStart {
                init_type,
                phase,
                function,
                version,
                runtime_version,
                runtime_version_arn,
            } if telemetry => (
                "platform.initStart",
                json!({
                    "initializationType": init_type,
                    "phase": phase,
                    "runtimeVersion": runtime_version,
                    "runtimeVersionArn": runtime_version_arn,
                    "functionName": function,
                    "functionVersion": version,
                }),
            ),
            Platform::InitRuntimeDone {
                init_type,
                phase,
                status,
            } if telemetry => {
                let mut record = json!({ "initializationType": init_type, "phase": phase });
                status.fields(&mut record);
                ("platform.initRuntimeDone", record)
            }
            Platform::InitReport {
                init_type,
                phase,
                status,
                duration,
            } if telemetry => {
                let mut record = json!({
                    "initializationType": init_type,
                    "phase": phase,
                    "metrics": { "durationMs": ms(*duration) },
                });
                status.fields(&mut record);
                ("platform.initReport", record)
            }
            Platform::Start {
                request_id,
                version,
                trace_id,
            } => {
                let mut record = json!({ "requestId": request_id, "version": version });
                if telemetry {
                    record["tracing"] = tracing(trace_id);
                }
                ("platform.start", record)
            }
            Platform::RuntimeDone {
                request_id,
                trace_id,
                status,
                duration,
                produced_bytes,
                spans,
            } => {
                let mut record = json!({ "requestId": request_id });
                status.fields(&mut record);
                if telemetry {
                    let mut metrics = json!({ "durationMs": ms(*duration) });
                    if let Some(bytes) = produced_bytes {
                        metrics["producedBytes"] = (*bytes).into();
                    }
                    record["metrics"] = metrics;
                    record["tracing"] = tracing(trace_id);
                    if let Some(spans) = spans {
                        record["spans"] = spans.worded();
                    }
                } else if let Some(map) = record.as_object_mut() {
                    // The Logs API's record has only `requestId` and `status`.
                    map.remove("errorType");
                }
                ("platform.runtimeDone", record)
            }
            Platform::End { request_id } if !telemetry => {
                ("platform.end", json!({ "requestId": request_id }))
            }
            Platform::Report {
                request_id,
                trace_id,
                status,
                duration,
                billed_ms,
                memory_mb,
                max_memory_mb,
                init_duration,
            } => {
                let mut metrics = json!({
                    "durationMs": ms(*duration),
                    "billedDurationMs": billed_ms,
                    "memorySizeMB": memory_mb,
                    "maxMemoryUsedMB": max_memory_mb,
                });
                if let Some(init) = init_duration {
                    metrics["initDurationMs"] = ms(*init).into();
                }
                let mut record = json!({ "requestId": request_id, "metrics": metrics });
                if telemetry {
                    status.fields(&mut record);
                    record["tracing"] = tracing(trace_id);
                }
                ("platform.report", record)
            }
            Platform::Subscription {
                api: of,
                name,
                types,
            } if *of == api => (
                if telemetry {
                    "platform.telemetrySubscription"
                } else {
                    "platform.logsSubscription"
                },
                json!({ "name": name, "state": "Subscribed", "types": types }),
            ),
            _ => return None,
        })
    }
}

/// A record before it is worded for a subscriber.
#[derive(Debug, Clone)]
enum Happened {
    Platform(Platform),
    /// A line, as its `record`: text, or the object a JSON-format log line holds.
    Line(Category, Value),
}

#[derive(Debug, Clone)]
struct Entry {
    time: String,
    what: Arc<Happened>,
}

impl Entry {
    fn category(&self) -> Category {
        match &*self.what {
            Happened::Platform(_) => Category::Platform,
            Happened::Line(category, _) => *category,
        }
    }

    fn worded(&self, api: Api) -> Option<Value> {
        let (kind, record) = match &*self.what {
            Happened::Platform(platform) => platform.worded(api)?,
            Happened::Line(Category::Function, line) => ("function", line.clone()),
            Happened::Line(_, line) => ("extension", line.clone()),
        };
        Some(json!({ "time": self.time, "type": kind, "record": record }))
    }
}

/// How a subscriber wants its records batched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Buffering {
    /// Send once this many records wait.
    pub max_items: usize,
    /// Send once the batch is this large (bytes).
    pub max_bytes: usize,
    /// Send at the latest this long after the batch's first record.
    pub timeout: Duration,
}

/// A subscription request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subscription {
    /// The records wanted.
    pub types: Vec<Category>,
    /// Batching.
    pub buffering: Buffering,
    /// Where to POST them.
    pub destination: http::Uri,
}

fn invalid(message: String) -> Refusal {
    Refusal {
        status: 400,
        error_type: "ValidationError",
        message,
    }
}

impl Subscription {
    /// Parse a subscription body. AWS (Telemetry API reference): `destination` is required;
    /// buffering `maxItems` 1,000-10,000 (default 1,000), `maxBytes` 262,144-1,048,576
    /// (default 262,144), `timeoutMs` 25-30,000 (default 1,000).
    pub fn parse(body: &[u8]) -> Result<Subscription, Refusal> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            #[serde(default)]
            types: Option<Vec<String>>,
            #[serde(default)]
            buffering: Option<BufferingBody>,
            destination: Option<Destination>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct BufferingBody {
            max_items: Option<u64>,
            max_bytes: Option<u64>,
            timeout_ms: Option<u64>,
        }
        #[derive(serde::Deserialize)]
        struct Destination {
            protocol: String,
            #[serde(rename = "URI")]
            uri: String,
        }
        let body: Body = serde_json::from_slice(body)
            .map_err(|e| invalid(format!("Invalid subscription request: {e}")))?;
        let types = body
            .types
            .unwrap_or_else(|| vec!["platform".into(), "function".into()]);
        let types = types
            .iter()
            .map(|t| match t.as_str() {
                "platform" => Ok(Category::Platform),
                "function" => Ok(Category::Function),
                "extension" => Ok(Category::Extension),
                other => Err(invalid(format!("Invalid type: {other}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let buffering = body.buffering.unwrap_or(BufferingBody {
            max_items: None,
            max_bytes: None,
            timeout_ms: None,
        });
        let ranged = |value: Option<u64>, name: &str, min: u64, max: u64, default: u64| {
            let value = value.unwrap_or(default);
            if (min..=max).contains(&value) {
                Ok(value)
            } else {
                Err(invalid(format!(
                    "buffering.{name} must be between {min} and {max}"
                )))
            }
        };
        let buffering = Buffering {
            max_items: ranged(buffering.max_items, "maxItems", 1000, 10_000, 1000)? as usize,
            max_bytes: ranged(buffering.max_bytes, "maxBytes", 262_144, 1_048_576, 262_144)?
                as usize,
            timeout: Duration::from_millis(ranged(
                buffering.timeout_ms,
                "timeoutMs",
                25,
                30_000,
                1000,
            )?),
        };
        let Some(destination) = body.destination else {
            return Err(invalid("destination is required".to_owned()));
        };
        if destination.protocol != "HTTP" {
            // AWS also offers TCP (newline-delimited JSON); Sluice delivers over HTTP only.
            return Err(invalid(format!(
                "Unsupported destination protocol {} (Sluice delivers over HTTP only)",
                destination.protocol
            )));
        }
        let uri: http::Uri = destination
            .uri
            .parse()
            .map_err(|_| invalid(format!("Invalid destination URI {}", destination.uri)))?;
        if uri.scheme_str() != Some("http") || uri.port_u16().is_none() {
            return Err(invalid(format!(
                "Invalid destination URI {}",
                destination.uri
            )));
        }
        Ok(Subscription {
            types,
            buffering,
            destination: uri,
        })
    }
}

struct Subscriber {
    api: Api,
    types: Vec<Category>,
    records: mpsc::Sender<Value>,
    flush: Arc<Notify>,
}

/// Records waiting for one subscriber at most; more are dropped (AWS drops records a subscriber
/// cannot take in time, too), so a listener that never answers cannot grow Sluice's memory.
const QUEUE_LIMIT: usize = 10_000;

#[derive(Default)]
struct Inner {
    subscribers: Vec<Subscriber>,
    /// What happened during Init, for a subscriber that joins before it ends; `None` after.
    init_records: Option<Vec<Entry>>,
    deliveries: Vec<JoinHandle<()>>,
}

/// The most Init records kept for late subscribers.
const INIT_RECORDS_LIMIT: usize = 10_000;

/// One sandbox's telemetry: its subscribers and their deliveries (stopped when it drops).
pub(crate) struct Telemetry {
    inner: Mutex<Inner>,
    /// Whether anything is to be recorded (Init not over yet, or a subscriber): lines are
    /// dropped without taking the lock otherwise.
    active: AtomicBool,
    /// The function logs in Lambda's JSON format (`AWS_LAMBDA_LOG_FORMAT=JSON`).
    json_logs: bool,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

impl Telemetry {
    /// A sandbox's telemetry, at the start of its Init; `json_logs` when the function logs in
    /// Lambda's JSON format.
    pub fn new(json_logs: bool) -> Telemetry {
        Telemetry {
            inner: Mutex::new(Inner {
                init_records: Some(Vec::new()),
                ..Inner::default()
            }),
            active: AtomicBool::new(true),
            json_logs,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Plain data updated in small steps; a panic cannot leave it inconsistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Extension `name` subscribes through `api`. AWS: the records of the Init phase so far
    /// are delivered too (its own example extension handles `platform.initStart`, which only
    /// happened before it could subscribe).
    pub fn subscribe(&self, name: &str, api: Api, subscription: Subscription) {
        let (tx, rx) = mpsc::channel(QUEUE_LIMIT);
        let flush = Arc::new(Notify::new());
        let task = tokio::spawn(deliver(
            rx,
            subscription.destination,
            subscription.buffering,
            flush.clone(),
        ));
        let types: Vec<String> = subscription
            .types
            .iter()
            .map(|t| {
                match t {
                    Category::Platform => "platform",
                    Category::Function => "function",
                    Category::Extension => "extension",
                }
                .to_owned()
            })
            .collect();
        let subscriber = Subscriber {
            api,
            types: subscription.types,
            records: tx,
            flush,
        };
        let mut inner = self.lock();
        for entry in inner.init_records.iter().flatten() {
            subscriber.offer(entry);
        }
        inner.subscribers.retain(|s| !s.records.is_closed());
        inner.subscribers.push(subscriber);
        inner.deliveries.retain(|d| !d.is_finished());
        inner.deliveries.push(task);
        self.active.store(true, Ordering::Release);
        drop(inner);
        self.platform(|| Platform::Subscription {
            api,
            name: name.to_owned(),
            types,
        });
    }

    /// Whether records are wanted (during Init, or by a subscriber).
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Record a platform event (built only if anyone may want it).
    pub fn platform(&self, event: impl FnOnce() -> Platform) {
        if self.active.load(Ordering::Acquire) {
            self.record(Happened::Platform(event()));
        }
    }

    /// Record a line the runtime (`Function`) or an extension (`Extension`) wrote.
    pub fn line(&self, category: Category, line: &str) {
        if self.active.load(Ordering::Acquire) {
            let record = line_record(self.json_logs && category == Category::Function, line);
            self.record(Happened::Line(category, record));
        }
    }

    fn record(&self, what: Happened) {
        let entry = Entry {
            time: iso_now(),
            what: Arc::new(what),
        };
        let mut inner = self.lock();
        if let Some(kept) = inner.init_records.as_mut() {
            if kept.len() < INIT_RECORDS_LIMIT {
                kept.push(entry.clone());
            }
        }
        for subscriber in &inner.subscribers {
            subscriber.offer(&entry);
        }
    }

    /// Init is over: later subscribers get only what happens from then on.
    pub fn init_ended(&self) {
        let mut inner = self.lock();
        inner.init_records = None;
        self.active
            .store(!inner.subscribers.is_empty(), Ordering::Release);
    }

    /// Send every buffered record now (the Shutdown phase begins).
    pub fn flush(&self) {
        for subscriber in &self.lock().subscribers {
            subscriber.flush.notify_one();
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        for delivery in &self.lock().deliveries {
            delivery.abort();
        }
    }
}

impl Subscriber {
    fn offer(&self, entry: &Entry) {
        if !self.types.contains(&entry.category()) {
            return;
        }
        if let Some(record) = entry.worded(self.api) {
            let _ = self.records.try_send(record);
        }
    }
}

/// A line's `record`. AWS: with the JSON log format a function's log record is the JSON object
/// itself (the lambda-extension crate's `with_telemetry_record_type` exists for it); anything
/// else, as text.
fn line_record(json_logs: bool, line: &str) -> Value {
    if json_logs && line.starts_with('{') {
        if let Ok(object @ Value::Object(_)) = serde_json::from_str(line) {
            return object;
        }
    }
    line.into()
}

/// Batch records as `buffering` asks and POST each batch to `destination`.
async fn deliver(
    mut records: mpsc::Receiver<Value>,
    destination: http::Uri,
    buffering: Buffering,
    flush: Arc<Notify>,
) {
    let mut sender = Sender::new(destination);
    while let Some(first) = records.recv().await {
        let mut bytes = first.to_string().len();
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + buffering.timeout;
        while batch.len() < buffering.max_items && bytes < buffering.max_bytes {
            tokio::select! {
                record = records.recv() => match record {
                    Some(record) => {
                        bytes += record.to_string().len();
                        batch.push(record);
                    }
                    None => break,
                },
                () = tokio::time::sleep_until(deadline) => break,
                () = flush.notified() => {
                    // Take what is already queued, then send.
                    while let Ok(record) = records.try_recv() {
                        batch.push(record);
                    }
                    break;
                }
            }
        }
        sender.post(Value::Array(batch).to_string()).await;
    }
}

/// POSTs to one subscriber's listener over a kept-alive connection.
struct Sender {
    destination: http::Uri,
    connection: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>>,
}

/// Attempts per batch: a listener may be briefly unbound between connections.
const ATTEMPTS: u32 = 5;

impl Sender {
    fn new(destination: http::Uri) -> Sender {
        Sender {
            destination,
            connection: None,
        }
    }

    async fn post(&mut self, body: String) {
        let body = Bytes::from(body);
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
            match self.try_post(body.clone()).await {
                Ok(()) => return,
                Err(e) => {
                    self.connection = None;
                    tracing::debug!("telemetry delivery to {} failed: {e}", self.destination);
                }
            }
        }
        tracing::debug!(
            "telemetry batch for {} dropped after {ATTEMPTS} attempts",
            self.destination
        );
    }

    async fn try_post(&mut self, body: Bytes) -> Result<(), Box<dyn std::error::Error>> {
        let connection = match &mut self.connection {
            Some(c) if !c.is_closed() => c,
            _ => self.connection.insert(self.connect().await?),
        };
        connection.ready().await?;
        let authority = self
            .destination
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        let path = self
            .destination
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let request = http::Request::post(path)
            .header(http::header::HOST, authority)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))?;
        let response = connection.send_request(request).await?;
        // Read the answer so the connection can carry the next batch.
        http_body_util::BodyExt::collect(response.into_body()).await?;
        Ok(())
    }

    async fn connect(
        &self,
    ) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, Box<dyn std::error::Error>>
    {
        let host = self.destination.host().unwrap_or("127.0.0.1");
        // AWS: the sandbox's own host name; here the sandbox is on loopback.
        let host = match host {
            "sandbox.localdomain" | "sandbox" | "localhost" | "0.0.0.0" => "127.0.0.1",
            other => other,
        };
        let port = self.destination.port_u16().unwrap_or(80);
        let stream = tokio::net::TcpStream::connect((host, port)).await?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(sender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_validated_with_lambdas_ranges_and_defaults() {
        let ok = Subscription::parse(
            br#"{"schemaVersion":"2022-07-01","types":["platform","function"],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:9003"}}"#,
        )
        .unwrap();
        assert_eq!(ok.types, [Category::Platform, Category::Function]);
        assert_eq!(
            ok.buffering,
            Buffering {
                max_items: 1000,
                max_bytes: 262_144,
                timeout: Duration::from_millis(1000)
            }
        );
        assert_eq!(ok.destination.port_u16(), Some(9003));
        for bad in [
            r#"{"types":["platform"],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:1"},"buffering":{"timeoutMs":10}}"#,
            r#"{"types":["bogus"],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:1"}}"#,
            r#"{"types":["platform"]}"#,
            r#"{"types":["platform"],"destination":{"protocol":"HTTP","URI":"sandbox"}}"#,
            "not json",
        ] {
            let refused = Subscription::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(
                (refused.status, refused.error_type),
                (400, "ValidationError")
            );
        }
    }

    #[test]
    fn json_format_function_lines_are_objects() {
        let line = r#"{"level":"INFO","message":"hi"}"#;
        assert_eq!(
            line_record(true, line),
            json!({"level": "INFO", "message": "hi"})
        );
        assert_eq!(line_record(false, line), json!(line));
        assert_eq!(line_record(true, "plain print"), json!("plain print"));
    }

    #[test]
    fn platform_records_are_worded_per_api() {
        let report = Platform::Report {
            request_id: "r".into(),
            trace_id: "Root=1-a".into(),
            status: Status::Timeout,
            duration: Duration::from_micros(12_345),
            billed_ms: 13,
            memory_mb: 128,
            max_memory_mb: 40,
            init_duration: Some(Duration::from_millis(80)),
        };
        let (kind, record) = report.worded(Api::Telemetry).unwrap();
        assert_eq!(kind, "platform.report");
        assert_eq!(
            record,
            json!({"requestId":"r","status":"timeout","metrics":{"durationMs":12.345,"billedDurationMs":13,"memorySizeMB":128,"maxMemoryUsedMB":40,"initDurationMs":80.0},"tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-a"}})
        );
        let (_, logs) = report.worded(Api::Logs).unwrap();
        assert!(logs.get("status").is_none(), "{logs}");
        assert!(logs.get("tracing").is_none(), "{logs}");
        let end = Platform::End {
            request_id: "r".into(),
        };
        assert!(end.worded(Api::Telemetry).is_none());
        assert_eq!(end.worded(Api::Logs).unwrap().0, "platform.end");
        let done = Platform::RuntimeDone {
            request_id: "r".into(),
            trace_id: "Root=1-a".into(),
            status: Status::Error(Some("ValueError".into())),
            duration: Duration::from_millis(2),
            produced_bytes: None,
            spans: None,
        };
        assert_eq!(
            done.worded(Api::Telemetry).unwrap().1,
            json!({"requestId":"r","status":"error","errorType":"ValueError","metrics":{"durationMs":2.0},"tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-a"}})
        );
        assert_eq!(
            done.worded(Api::Logs).unwrap().1,
            json!({"requestId":"r","status":"error"})
        );
    }

    /// AWS (a recorded `platform.runtimeDone`, aws-lambda-rust-runtime's telemetry tests):
    /// `responseLatency` starts with the invocation, `responseDuration` where it ends.
    #[test]
    fn a_response_gives_runtime_done_its_spans() {
        let invoked_at = std::time::UNIX_EPOCH + Duration::from_millis(1_666_361_103_165);
        let done = Platform::RuntimeDone {
            request_id: "r".into(),
            trace_id: "Root=1-a".into(),
            status: Status::Success,
            duration: Duration::from_millis(2599),
            produced_bytes: Some(8),
            spans: Some(ResponseSpans {
                invoked_at,
                latency: Duration::from_millis(2598),
                duration: Duration::from_micros(250),
            }),
        };
        let record = done.worded(Api::Telemetry).unwrap().1;
        assert_eq!(
            record["spans"],
            json!([
                {"name": "responseLatency", "start": "2022-10-21T14:05:03.165Z", "durationMs": 2598.0},
                {"name": "responseDuration", "start": "2022-10-21T14:05:05.763Z", "durationMs": 0.25},
            ])
        );
        assert_eq!(
            record["metrics"],
            json!({"durationMs": 2599.0, "producedBytes": 8})
        );
    }

    /// AWS (Telemetry API schema reference, `platform.initStart`): the runtime version and its
    /// ARN, as INIT_START names them, and the version the sandbox runs.
    #[test]
    fn init_start_names_the_runtime_version() {
        let start = Platform::InitStart {
            init_type: "on-demand",
            phase: "init",
            function: "Fn".into(),
            version: "1",
            runtime_version: "python:3.12.v1".into(),
            runtime_version_arn: "arn:aws:lambda:us-east-1::runtime:ab".into(),
        };
        assert_eq!(
            start.worded(Api::Telemetry).unwrap(),
            (
                "platform.initStart",
                json!({"initializationType": "on-demand", "phase": "init", "runtimeVersion": "python:3.12.v1", "runtimeVersionArn": "arn:aws:lambda:us-east-1::runtime:ab", "functionName": "Fn", "functionVersion": "1"})
            )
        );
    }
}
