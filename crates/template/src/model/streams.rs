//! Functions fed by DynamoDB streams: `Type: DynamoDB` events and `AWS::Lambda::EventSourceMapping`s.

/// Where a mapping starts reading a stream it has no checkpoint for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record the stream still holds.
    TrimHorizon,
    /// Only records written after the mapping starts.
    Latest,
}

/// One event source mapping from a table's stream to a function.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamMapping {
    /// Stable across restarts (`Function/EventName`, or the mapping's logical id): the key of its
    /// checkpoint. AWS gives each mapping a UUID; a name that survives `sluice` restarts is what
    /// lets a restart resume where the last run stopped.
    pub id: String,
    /// Logical id of the function it invokes.
    pub function: String,
    /// The table whose stream it reads (from the stream ARN).
    pub table: String,
    /// The stream ARN as the template wrote it (the event's `eventSourceARN` uses the live one).
    pub stream_arn: String,
    /// `StartingPosition`.
    pub starting_position: StartingPosition,
    /// `BatchSize` (default 100, at most 10000).
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds` (default 0, at most 300).
    pub batching_window_secs: u32,
    /// `FilterCriteria.Filters[].Pattern`, each a JSON object (checked when loading).
    pub filter_patterns: Vec<String>,
    /// `MaximumRetryAttempts`; -1 (the default) retries until the records expire.
    pub maximum_retry_attempts: i64,
    /// `MaximumRecordAgeInSeconds`; -1 (the default) keeps records as long as the stream does.
    pub maximum_record_age_secs: i64,
    /// `BisectBatchOnFunctionError`.
    pub bisect_on_error: bool,
    /// `FunctionResponseTypes` includes `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `DestinationConfig.OnFailure.Destination`, carried for the "not emulated" message.
    pub on_failure_destination: Option<String>,
    /// `Enabled` (default true); a disabled mapping reads nothing.
    pub enabled: bool,
}

impl StreamMapping {
    /// A mapping with AWS's defaults for everything but what names it.
    pub fn new(id: &str, function: &str, table: &str, stream_arn: &str) -> StreamMapping {
        StreamMapping {
            id: id.to_owned(),
            function: function.to_owned(),
            table: table.to_owned(),
            stream_arn: stream_arn.to_owned(),
            starting_position: StartingPosition::TrimHorizon,
            batch_size: 100,
            batching_window_secs: 0,
            filter_patterns: Vec::new(),
            maximum_retry_attempts: -1,
            maximum_record_age_secs: -1,
            bisect_on_error: false,
            report_batch_item_failures: false,
            on_failure_destination: None,
            enabled: true,
        }
    }
}
