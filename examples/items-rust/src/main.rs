//! The Items API (`examples/items`) in Rust: list, create, read and delete items in a DynamoDB table.
//!
//! It answers exactly as the Python handler does — same routes, status codes, headers and body text —
//! and reaches DynamoDB through the AWS SDK with no endpoint or region in the code: on AWS that is the
//! real service; under Sluice it is Sluice's own endpoint, configured through the environment
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials).

mod python_json;

use std::collections::HashMap;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use lambda_http::lambda_runtime::Diagnostic;
use lambda_http::{run, service_fn, Body, Error, Request, RequestExt, Response};
use serde_json::{Map, Number, Value};

const TABLE: &str = "Items";

/// An item as the SDK holds it.
type Item = HashMap<String, AttributeValue>;

/// Why an invocation failed: as for an uncaught exception in Python, Lambda reports it and API
/// Gateway answers 502. `kind` is the error's type in that report (DynamoDB's code when it has one).
#[derive(Debug)]
struct Failure {
    kind: String,
    message: String,
}

impl Failure {
    fn new(kind: &str, message: String) -> Failure {
        // The function's log shows the error, as Python's traceback would.
        eprintln!("[ERROR] {kind}: {message}");
        Failure {
            kind: kind.to_owned(),
            message,
        }
    }
}

impl<E, R> From<SdkError<E, R>> for Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn from(error: SdkError<E, R>) -> Failure {
        // DynamoDB's own code and message when it answered; the whole chain when it did not.
        let kind = error.code().unwrap_or("DynamoDbError").to_owned();
        let message = match error.message() {
            Some(message) => message.to_owned(),
            None => DisplayErrorContext(&error).to_string(),
        };
        Failure::new(&kind, message)
    }
}

impl From<lambda_http::http::Error> for Failure {
    fn from(error: lambda_http::http::Error) -> Failure {
        Failure::new("HttpError", error.to_string())
    }
}

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Diagnostic {
        Diagnostic {
            error_type: failure.kind,
            error_message: failure.message,
        }
    }
}

/// A response with the headers every answer carries; `None` is the empty body of a 204.
fn response(status: u16, body: Option<&Value>) -> Result<Response<Body>, Failure> {
    let text = body.map(python_json::dumps).unwrap_or_default();
    Ok(Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .header("Access-Control-Allow-Origin", "*")
        .body(Body::Text(text))?)
}

fn error(status: u16, message: &str) -> Result<Response<Body>, Failure> {
    response(status, Some(&serde_json::json!({ "error": message })))
}

async fn get_all_items(client: &Client) -> Result<Vec<Value>, Failure> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(TABLE)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        for item in page.items.unwrap_or_default() {
            items.push(item_to_json(item)?);
        }
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(items),
        }
    }
}

async fn get_item(client: &Client, id: &str) -> Result<Option<Value>, Failure> {
    let output = client
        .get_item()
        .table_name(TABLE)
        .key("id", AttributeValue::S(id.to_owned()))
        .send()
        .await?;
    // Python's `if not item`: an absent item and an empty one are both "Not found".
    match output.item {
        Some(item) if !item.is_empty() => Ok(Some(item_to_json(item)?)),
        _ => Ok(None),
    }
}

async fn create_item(client: &Client, data: Map<String, Value>) -> Result<Value, Failure> {
    // `{"id": uuid, **data}`: `id` comes first, and a client's own `id` replaces the value in place.
    let mut item = Map::new();
    item.insert(
        "id".to_owned(),
        Value::String(uuid::Uuid::new_v4().to_string()),
    );
    item.extend(data);
    let attributes = item
        .iter()
        .map(|(k, v)| (k.clone(), json_to_attribute(v)))
        .collect();
    client
        .put_item()
        .table_name(TABLE)
        .set_item(Some(attributes))
        .send()
        .await?;
    Ok(Value::Object(item))
}

async fn delete_item(client: &Client, id: &str) -> Result<(), Failure> {
    client
        .delete_item()
        .table_name(TABLE)
        .key("id", AttributeValue::S(id.to_owned()))
        .send()
        .await?;
    Ok(())
}

/// A JSON value as boto3 stores it: numbers as `N` with their exact text, objects as maps.
fn json_to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(json_to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_attribute(v)))
                .collect(),
        ),
    }
}

fn item_to_json(item: Item) -> Result<Value, Failure> {
    attribute_to_json(AttributeValue::M(item))
}

/// An attribute as boto3 reads it and `json.dumps` writes it. Maps keep the key order Sluice's store
/// returns them in, which is sorted; binary values and sets are not JSON serializable in Python
/// either, so they fail the invocation there as here.
fn attribute_to_json(value: AttributeValue) -> Result<Value, Failure> {
    Ok(match value {
        AttributeValue::S(s) => Value::String(s),
        AttributeValue::N(n) => Value::Number(serde_json::from_str::<Number>(&n).map_err(|e| {
            Failure::new(
                "ValueError",
                format!("DynamoDB number {n:?} is not a number: {e}"),
            )
        })?),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(items) => Value::Array(
            items
                .into_iter()
                .map(attribute_to_json)
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::M(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut object = Map::new();
            for (k, v) in entries {
                object.insert(k, attribute_to_json(v)?);
            }
            Value::Object(object)
        }
        // Python's message, naming boto3's type for the value (`Binary` or `set`).
        other => {
            let python_type = if other.is_b() { "Binary" } else { "set" };
            return Err(Failure::new(
                "TypeError",
                format!("Object of type {python_type} is not JSON serializable"),
            ));
        }
    })
}

async fn lambda_handler(client: &Client, event: Request) -> Result<Response<Body>, Failure> {
    let method = event.method().as_str();
    let path = event.raw_http_path();
    // `event.get("body") or "{}"`: a missing or empty body counts as an empty object.
    let text = match event.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    };
    let text = if text.is_empty() { "{}" } else { text.as_str() };
    let Ok(body) = serde_json::from_str::<Value>(text) else {
        return error(400, "Body is not valid JSON");
    };
    // `path.split("/")[-1]`
    let last_segment = path.rsplit('/').next().unwrap_or_default();

    if method == "GET" && path == "/items" {
        return response(200, Some(&Value::Array(get_all_items(client).await?)));
    }

    if method == "GET" && path.starts_with("/items/") {
        return match get_item(client, last_segment).await? {
            Some(item) => response(200, Some(&item)),
            None => error(404, "Not found"),
        };
    }

    if method == "POST" && path == "/items" {
        let Value::Object(data) = body else {
            return error(400, "Body must be a JSON object");
        };
        return response(201, Some(&create_item(client, data).await?));
    }

    if method == "DELETE" && path.starts_with("/items/") {
        delete_item(client, last_segment).await?;
        return response(204, None);
    }

    error(404, "Route not found")
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let client = Client::new(&config);
    let client = &client;
    run(service_fn(move |event| async move {
        lambda_handler(client, event).await
    }))
    .await
}
