//! The DynamoDB JSON 1.0 envelope: request body parsing and the ONE error encoder.

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::attribute_value::{item_to_json, AttributeValueError, Item};

/// A DynamoDB response: status and JSON body. The HTTP layer adds `content-type:
/// application/x-amz-json-1.0`, `x-amz-crc32` and `x-amzn-RequestId`.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamoResponse {
    /// HTTP status (200, 400 or 500).
    pub status: u16,
    /// JSON body.
    pub body: Bytes,
}

/// Why one entry of a transaction was cancelled (`CancellationReasons[i]`).
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, `TransactionConflict`.
    pub code: &'static str,
    /// Human text; absent for `None`.
    pub message: Option<String>,
    /// The item as it was, when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`.
    pub item: Option<Item>,
}

/// Every error a DynamoDB request can end with; each maps to DynamoDB's `__type` and status in [`encode_error`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DynamoError {
    /// Client sent something DynamoDB rejects (400 ValidationException).
    #[error("{0}")]
    Validation(String),
    /// Table (or index) does not exist.
    #[error("{0}")]
    ResourceNotFound(String),
    /// Table exists already / is being used.
    #[error("{0}")]
    ResourceInUse(String),
    /// A ConditionExpression evaluated false; carries the old item when asked for.
    #[error("The conditional request failed")]
    ConditionalCheckFailed(Option<Item>),
    /// A transaction was cancelled; one reason per action, in order.
    #[error("Transaction cancelled")]
    TransactionCanceled(Vec<CancellationReason>),
    /// Body is not JSON or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    /// A TransactWriteItems `ClientRequestToken` was reused with a different request.
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// A PartiQL INSERT found its key taken.
    #[error("{0}")]
    DuplicateItem(String),
    /// A DynamoDB Streams shard iterator is older than 15 minutes.
    #[error("{0}")]
    ExpiredIterator(String),
    /// No resource-based policy is attached, or not the revision the request expected.
    #[error("{0}")]
    PolicyNotFound(String),
    /// The backup, restore and continuous-backup operations' word for a missing table.
    #[error("{0}")]
    TableNotFound(String),
    /// A restore's target table exists.
    #[error("{0}")]
    TableAlreadyExists(String),
    /// No backup has the ARN.
    #[error("{0}")]
    BackupNotFound(String),
    /// A point-in-time restore of a table whose point-in-time recovery is off.
    #[error("{0}")]
    PointInTimeRecoveryUnavailable(String),
    /// A point-in-time restore to a time outside the restorable window.
    #[error("{0}")]
    InvalidRestoreTime(String),
    /// The caller may not act on the resource (another account's ARN).
    #[error("{0}")]
    AccessDenied(String),
    /// The `X-Amz-Target` names no operation we know.
    #[error("unknown operation")]
    UnknownOperation,
    /// Sluice's own fault (storage failure, a request task that died); logged with its cause chain
    /// and returned as 500.
    #[error("internal error")]
    Internal(#[source] InternalCause),
}

/// The cause of an [`DynamoError::Internal`], shared so the error stays `Clone`; equal only to itself.
#[derive(Debug, Clone)]
pub struct InternalCause(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl InternalCause {
    /// Wraps the error that caused an internal failure, keeping its own source chain.
    pub fn new(cause: impl std::error::Error + Send + Sync + 'static) -> InternalCause {
        InternalCause(std::sync::Arc::new(cause))
    }
}

impl std::fmt::Display for InternalCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for InternalCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for InternalCause {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// An error and its causes, `: `-separated, for the log line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// What AWS's request-validation layer (Coral) puts before the message of a ValidationException
/// it raises for one problem.
pub const VALIDATION_ENVELOPE: &str = "1 validation error detected: ";

impl DynamoError {
    /// Shorthand for a ValidationException.
    pub fn validation(msg: impl Into<String>) -> DynamoError {
        DynamoError::Validation(msg.into())
    }

    /// A ValidationException put in Coral's envelope; any other error unchanged. AWS (recorded
    /// 2025-26): PutItem, UpdateItem and DeleteItem answer the checks of what the request itself
    /// says (an item's values, the expressions and their attribute names and values) this way,
    /// where reads and transactions answer the same checks bare.
    pub fn in_envelope(self) -> DynamoError {
        match self {
            DynamoError::Validation(m) => {
                DynamoError::Validation(format!("{VALIDATION_ENVELOPE}{m}"))
            }
            e => e,
        }
    }
}

impl From<AttributeValueError> for DynamoError {
    fn from(e: AttributeValueError) -> Self {
        match e {
            AttributeValueError::Validation(m) => DynamoError::Validation(m),
            AttributeValueError::Serialization(m) => DynamoError::Serialization(m),
        }
    }
}

/// Result type of every operation.
pub type DynamoResult<T> = Result<T, DynamoError>;

/// Encodes an error exactly as DynamoDB does: HTTP 400 (500 for our faults) and `{"__type", "message"}`
/// (`Message` for the errors [`message_member`] names).
/// Validation failures come from AWS's request-validation layer (Coral), so their `__type` carries its
/// namespace, not the service's; the service's own exceptions carry `com.amazonaws.dynamodb.v20120810`.
pub fn encode_error(err: &DynamoError) -> DynamoResponse {
    const NS: &str = "com.amazonaws.dynamodb.v20120810#";
    let (status, type_name, message): (u16, String, Option<String>) = match err {
        DynamoError::Validation(m) => (
            400,
            "com.amazon.coral.validate#ValidationException".into(),
            Some(m.clone()),
        ),
        DynamoError::ResourceNotFound(m) => (
            400,
            format!("{NS}ResourceNotFoundException"),
            Some(m.clone()),
        ),
        DynamoError::ResourceInUse(m) => {
            (400, format!("{NS}ResourceInUseException"), Some(m.clone()))
        }
        DynamoError::ConditionalCheckFailed(_) => (
            400,
            format!("{NS}ConditionalCheckFailedException"),
            Some("The conditional request failed".into()),
        ),
        DynamoError::TransactionCanceled(reasons) => {
            let codes: Vec<&str> = reasons.iter().map(|r| r.code).collect();
            (
                400,
                format!("{NS}TransactionCanceledException"),
                Some(format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                    codes.join(", ")
                )),
            )
        }
        DynamoError::IdempotentParameterMismatch(m) => (
            400,
            format!("{NS}IdempotentParameterMismatchException"),
            Some(m.clone()),
        ),
        DynamoError::DuplicateItem(m) => {
            (400, format!("{NS}DuplicateItemException"), Some(m.clone()))
        }
        DynamoError::ExpiredIterator(m) => (
            400,
            format!("{NS}ExpiredIteratorException"),
            Some(m.clone()),
        ),
        DynamoError::PolicyNotFound(m) => {
            (400, format!("{NS}PolicyNotFoundException"), Some(m.clone()))
        }
        DynamoError::TableNotFound(m) => {
            (400, format!("{NS}TableNotFoundException"), Some(m.clone()))
        }
        DynamoError::TableAlreadyExists(m) => (
            400,
            format!("{NS}TableAlreadyExistsException"),
            Some(m.clone()),
        ),
        DynamoError::BackupNotFound(m) => {
            (400, format!("{NS}BackupNotFoundException"), Some(m.clone()))
        }
        DynamoError::PointInTimeRecoveryUnavailable(m) => (
            400,
            format!("{NS}PointInTimeRecoveryUnavailableException"),
            Some(m.clone()),
        ),
        DynamoError::InvalidRestoreTime(m) => (
            400,
            format!("{NS}InvalidRestoreTimeException"),
            Some(m.clone()),
        ),
        DynamoError::AccessDenied(m) => (
            400,
            "com.amazon.coral.service#AccessDeniedException".into(),
            Some(m.clone()),
        ),
        DynamoError::Serialization(m) => (
            400,
            "com.amazon.coral.service#SerializationException".into(),
            Some(m.clone()),
        ),
        DynamoError::UnknownOperation => (
            400,
            "com.amazon.coral.service#UnknownOperationException".into(),
            None,
        ),
        DynamoError::Internal(cause) => {
            tracing::error!(error = %chain(cause), "dynamodb internal error");
            (
                500,
                format!("{NS}InternalServerError"),
                Some("Internal server error".into()),
            )
        }
    };
    let mut body = Map::new();
    body.insert("__type".into(), Value::String(type_name));
    if let Some(m) = message {
        body.insert(message_member(err).into(), Value::String(m));
    }
    match err {
        DynamoError::ConditionalCheckFailed(Some(item)) => {
            body.insert("Item".into(), item_to_json(item));
        }
        DynamoError::TransactionCanceled(reasons) => {
            let list: Vec<Value> = reasons
                .iter()
                .map(|r| {
                    let mut o = Map::new();
                    if let Some(item) = &r.item {
                        o.insert("Item".into(), item_to_json(item));
                    }
                    o.insert("Code".into(), json!(r.code));
                    if let Some(m) = &r.message {
                        o.insert("Message".into(), json!(m));
                    }
                    Value::Object(o)
                })
                .collect();
            body.insert("CancellationReasons".into(), Value::Array(list));
        }
        _ => {}
    }
    DynamoResponse {
        status,
        body: Bytes::from(Value::Object(body).to_string()),
    }
}

/// The member that carries an error's text: `message` for most of DynamoDB's errors, `Message` for
/// those it answers with a capital M. AWS's raw TransactionCanceledException body is
/// `{"__type", "CancellationReasons", "Message"}` (PynamoDB#872, aws-sdk-net#1292, boto3#2657 quote it;
/// botocore's model names the member `Message`), and a ConditionalCheckFailedException that carries
/// the old item is `{"__type", "Message", "Item"}`: LocalStack's AWS-recorded
/// test_return_values_on_conditions_check_failure has `Error.Message` but no top-level `message`,
/// and moto, verified against AWS, writes `Message` there and `message` when no item comes back.
/// SDKs read either spelling for the error's text; boto3 also copies the member under its own name
/// into the response, so the spelling is visible.
fn message_member(err: &DynamoError) -> &'static str {
    match err {
        DynamoError::TransactionCanceled(_) | DynamoError::ConditionalCheckFailed(Some(_)) => {
            "Message"
        }
        _ => "message",
    }
}

/// A successful operation's body: a JSON value, or text already written by [`ObjectWriter`].
pub enum Reply {
    /// Built as a value, serialised once.
    Json(Value),
    /// Already JSON text (stored items spliced in as they were stored).
    Text(String),
    /// No body at all: DynamoDB's TagResource and UntagResource answer 200 with nothing.
    Empty,
}

/// Encodes a successful response body.
pub fn encode_ok(body: Reply) -> DynamoResponse {
    let text = match body {
        Reply::Json(v) => v.to_string(),
        Reply::Text(t) => t,
        Reply::Empty => String::new(),
    };
    DynamoResponse {
        status: 200,
        body: Bytes::from(text),
    }
}

/// Writes a response object member by member, so stored item JSON goes into it as it is, with
/// no parse and re-encode. Member names are the operation's own (plain ASCII, never escaped).
pub struct ObjectWriter {
    out: String,
}

impl ObjectWriter {
    /// An empty object; `capacity` is a guess at the final length.
    pub fn with_capacity(capacity: usize) -> ObjectWriter {
        let mut out = String::with_capacity(capacity);
        out.push('{');
        ObjectWriter { out }
    }

    fn key(&mut self, key: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    /// A member whose value is JSON text already (a stored item).
    pub fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.out.push_str(json);
    }

    /// A member holding an array of JSON texts.
    pub fn raw_array<'s>(&mut self, key: &str, items: impl IntoIterator<Item = &'s str>) {
        self.key(key);
        self.out.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(item);
        }
        self.out.push(']');
    }

    /// A member holding a JSON value.
    pub fn value(&mut self, key: &str, value: &Value) {
        self.key(key);
        // Writing a `Value` into a String cannot fail: it is valid by construction and a String
        // takes any bytes serde_json writes (UTF-8).
        use std::fmt::Write;
        let _ = write!(self.out, "{value}");
    }

    /// The finished text.
    pub fn finish(mut self) -> Reply {
        self.out.push('}');
        Reply::Text(self.out)
    }
}

/// Parses the request body into a JSON object (empty body counts as `{}`, as DynamoDB accepts).
pub fn parse_body(body: &[u8]) -> DynamoResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(DynamoError::Serialization(
            "Start of structure or map found where not expected".into(),
        )),
        // AWS: a body that is not JSON is a SerializationException; no record of its exact
        // message for each kind of syntax error exists to copy, so Sluice keeps DynamoDB's type
        // and generic wording and adds where the parser stopped (serde_json's line and column).
        Err(e) => Err(DynamoError::Serialization(format!(
            "Unexpected token received from parser at line {}, column {}: {}",
            e.line(),
            e.column(),
            syntax_problem(&e)
        ))),
    }
}

/// What serde_json found wrong, without its own " at line L column C" suffix (said once above).
fn syntax_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Typed access to the members of a request object, with DynamoDB's serialization errors on wrong types.
pub struct Req<'a>(pub &'a Map<String, Value>);

impl<'a> Req<'a> {
    /// Optional string member.
    pub fn opt_str(&self, key: &str) -> DynamoResult<Option<&'a str>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(type_error(other, "String")),
        }
    }

    /// Required string member: missing → DynamoDB's "must not be null" validation message.
    pub fn str(&self, key: &str) -> DynamoResult<&'a str> {
        self.opt_str(key)?.ok_or_else(|| null_error(key))
    }

    /// Optional integer member.
    pub fn opt_i64(&self, key: &str) -> DynamoResult<Option<i64>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                DynamoError::Serialization("NUMBER_VALUE cannot be converted to Integer".into())
            }),
            Some(other) => Err(type_error(other, "Integer")),
        }
    }

    /// Optional boolean member.
    pub fn opt_bool(&self, key: &str) -> DynamoResult<Option<bool>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(type_error(other, "Boolean")),
        }
    }

    /// Optional object member.
    pub fn opt_obj(&self, key: &str) -> DynamoResult<Option<&'a Map<String, Value>>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(DynamoError::Serialization(
                "Unexpected value type in payload".into(),
            )),
        }
    }

    /// Required object member.
    pub fn obj(&self, key: &str) -> DynamoResult<&'a Map<String, Value>> {
        self.opt_obj(key)?.ok_or_else(|| null_error(key))
    }

    /// Optional array member.
    pub fn opt_arr(&self, key: &str) -> DynamoResult<Option<&'a Vec<Value>>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(DynamoError::Serialization("Unexpected field type".into())),
        }
    }
}

fn type_error(v: &Value, want: &str) -> DynamoError {
    let got = match v {
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Bool(_) => "BOOLEAN_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
        Value::Null => "NULL",
    };
    DynamoError::Serialization(format!("{got} cannot be converted to {want}"))
}

/// DynamoDB's message for a missing required member.
pub fn null_error(key: &str) -> DynamoError {
    let mut field = key.to_string();
    if let Some(first) = field.get_mut(0..1) {
        first.make_ascii_lowercase();
    }
    DynamoError::validation(format!(
        "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
    ))
}
