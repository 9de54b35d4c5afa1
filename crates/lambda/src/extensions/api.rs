//! The Lambda Extensions API (version 2020-01-01) and the Telemetry and Logs API subscriptions,
//! served on the sandbox's Runtime API listener, one handler per endpoint.
//!
//! Error bodies are the Runtime API's shape (`{"errorMessage","errorType"}`) with Lambda's
//! Extensions API types (`Extension.UnknownExtensionIdentifier`, ...), as the Runtime Interface
//! Emulator and Lambda answer them.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use super::registry::{Refusal, Registry};
use super::telemetry::{Api, Subscription, Telemetry};

const EXTENSION_PREFIX: &str = "/2020-01-01/extension/";
const TELEMETRY_PATH: &str = "/2022-07-01/telemetry";
const LOGS_PATHS: [&str; 2] = ["/2020-08-15/logs", "/2021-03-18/logs"];
const ID_HEADER: &str = "Lambda-Extension-Identifier";
const NAME_HEADER: &str = "Lambda-Extension-Name";
const ERROR_TYPE_HEADER: &str = "Lambda-Extension-Function-Error-Type";
const ACCEPT_FEATURE_HEADER: &str = "Lambda-Extension-Accept-Feature";
/// Registration and error bodies are small JSON documents.
const BODY_LIMIT: usize = 1024 * 1024;

/// What the register response describes (the function, as `register` returns it).
#[derive(Debug, Clone)]
pub(crate) struct FunctionInfo {
    /// `functionName`.
    pub name: String,
    /// `handler`.
    pub handler: String,
    /// `functionVersion`: `$LATEST`, or the published version the sandbox runs.
    pub version: &'static str,
    /// `accountId`, sent when the extension accepts the `accountId` feature.
    pub account_id: String,
}

/// Whether `path` belongs to the Extensions, Telemetry or Logs API.
pub(crate) fn handles(path: &str) -> bool {
    path.starts_with(EXTENSION_PREFIX) || is_subscription(path)
}

/// The Telemetry or Logs API (AWS's own examples write `.../telemetry/`, with a slash).
fn is_subscription(path: &str) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    path == TELEMETRY_PATH || LOGS_PATHS.contains(&path)
}

/// One sandbox's Extensions API: its registry and the function it describes.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// The sandbox's extensions.
    pub registry: std::sync::Arc<Registry>,
    /// What `register` answers.
    pub function: FunctionInfo,
    /// The Telemetry and Logs API subscriptions.
    pub telemetry: std::sync::Arc<Telemetry>,
}

impl Endpoint {
    /// Serve one Extensions API request.
    pub async fn serve(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        serve(self, req).await
    }
}

async fn serve(endpoint: &Endpoint, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let registry = &endpoint.registry;
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let headers = req.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .filter(|v| !v.is_empty())
    };
    // Read before answering: hyper closes a connection whose request body was left unread.
    let body = http_body_util::Limited::new(req.into_body(), BODY_LIMIT)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let action = path.strip_prefix(EXTENSION_PREFIX);
    let known = matches!(
        action,
        Some("register" | "event/next" | "init/error" | "exit/error")
    ) || is_subscription(&path);
    if !known {
        return error_response(StatusCode::NOT_FOUND, "NotFound", "Not Found");
    }
    let expected = match action {
        Some("event/next") => Method::GET,
        Some(_) => Method::POST,
        None => Method::PUT,
    };
    if method != expected {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Method not allowed",
        );
    }
    if action == Some("register") {
        return register(
            registry,
            &endpoint.function,
            header(NAME_HEADER),
            header(ACCEPT_FEATURE_HEADER),
            &body,
        );
    }
    // Every other endpoint names its caller.
    let id = match header(ID_HEADER) {
        None => {
            return refused(Refusal {
                status: 403,
                error_type: "Extension.MissingExtensionIdentifier",
                message: format!("Missing {ID_HEADER} header"),
            })
        }
        Some(id) if uuid::Uuid::parse_str(&id).is_err() => {
            return refused(Refusal {
                status: 403,
                error_type: "Extension.InvalidExtensionIdentifier",
                message: format!("Invalid {ID_HEADER}"),
            })
        }
        Some(id) => id,
    };
    match action {
        Some("event/next") => next(registry, &id).await,
        Some(phase @ ("init/error" | "exit/error")) => {
            let Some(error_type) = header(ERROR_TYPE_HEADER) else {
                return refused(Refusal {
                    status: 403,
                    error_type: "Extension.MissingHeader",
                    message: format!("{ERROR_TYPE_HEADER} not found"),
                });
            };
            match registry.error(&id, &error_type, phase == "init/error") {
                Ok(()) => json_response(StatusCode::ACCEPTED, r#"{"status":"OK"}"#.into()),
                Err(refusal) => refused(refusal),
            }
        }
        _ => subscribe(endpoint, &id, &path, &body),
    }
}

/// `POST /extension/register`.
fn register(
    registry: &Registry,
    function: &FunctionInfo,
    name: Option<String>,
    accept_feature: Option<String>,
    body: &Bytes,
) -> Response<Full<Bytes>> {
    let Some(name) = name else {
        return refused(Refusal {
            status: 403,
            error_type: "Extension.InvalidExtensionName",
            message: "Empty extension name".to_owned(),
        });
    };
    #[derive(serde::Deserialize)]
    struct RegisterRequest {
        #[serde(default)]
        events: Vec<String>,
        #[serde(default, rename = "configurationKeys")]
        configuration_keys: Vec<String>,
    }
    let request: RegisterRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(err) => {
            return refused(Refusal {
                status: 403,
                error_type: "InvalidRequestFormat",
                message: err.to_string(),
            })
        }
    };
    if !request.configuration_keys.is_empty() {
        return refused(Refusal {
            status: 403,
            error_type: "InvalidRequestFormat",
            message: "configurationKeys are deprecated; use environment variables instead"
                .to_owned(),
        });
    }
    match registry.register(&name, &request.events) {
        Ok(registered) => {
            let mut body = serde_json::json!({
                "functionName": function.name,
                "functionVersion": function.version,
                "handler": function.handler,
            });
            // AWS: accountId only for extensions that ask for it with this header.
            let wants_account =
                accept_feature.is_some_and(|f| f.split(',').any(|f| f.trim() == "accountId"));
            if wants_account {
                body["accountId"] = function.account_id.clone().into();
            }
            let mut response = json_response(StatusCode::OK, body.to_string());
            if let Ok(value) = http::HeaderValue::from_str(&registered.id) {
                response.headers_mut().insert(ID_HEADER, value);
            }
            response
        }
        Err(refusal) => {
            tracing::warn!("extension {name} could not register: {}", refusal.message);
            refused(refusal)
        }
    }
}

/// `GET /extension/event/next`: long-poll until the agent's next event.
async fn next(registry: &Registry, id: &str) -> Response<Full<Bytes>> {
    let waiting = match registry.next(id) {
        Ok(rx) => rx,
        Err(refusal) => return refused(refusal),
    };
    match waiting.await {
        Ok(event) => {
            let mut response = json_response(StatusCode::OK, event.body);
            if let Ok(value) = http::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
                response
                    .headers_mut()
                    .insert("Lambda-Extension-Event-Identifier", value);
            }
            response
        }
        // The agent is gone or the sandbox is stopping.
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Extension.Shutdown",
            "Sandbox is shutting down",
        ),
    }
}

/// `PUT /2022-07-01/telemetry` and `/logs`: the extension's listener gets the records it asks
/// for from now on (and Init's so far), in batches. AWS answers a subscription with `OK`.
fn subscribe(endpoint: &Endpoint, id: &str, path: &str, body: &Bytes) -> Response<Full<Bytes>> {
    let name = match endpoint.registry.name_of(id) {
        Ok(name) => name,
        Err(refusal) => return refused(refusal),
    };
    let subscription = match Subscription::parse(body) {
        Ok(subscription) => subscription,
        Err(refusal) => {
            tracing::warn!("extension {name} could not subscribe: {}", refusal.message);
            return refused(refusal);
        }
    };
    let api = if path.starts_with(TELEMETRY_PATH) {
        Api::Telemetry
    } else {
        Api::Logs
    };
    endpoint.telemetry.subscribe(&name, api, subscription);
    let mut response = Response::new(Full::new(Bytes::from_static(b"OK")));
    *response.status_mut() = StatusCode::OK;
    response
}

fn refused(refusal: Refusal) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::FORBIDDEN);
    error_response(status, refusal.error_type, &refusal.message)
}

/// The Extensions API's one error encoder: `{"errorMessage","errorType"}`.
fn error_response(status: StatusCode, error_type: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "errorMessage": message, "errorType": error_type });
    json_response(status, body.to_string())
}

fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_the_extensions_telemetry_and_logs_apis_only() {
        assert!(handles("/2020-01-01/extension/register"));
        assert!(handles("/2020-01-01/extension/anything"));
        assert!(handles("/2022-07-01/telemetry"));
        assert!(handles("/2022-07-01/telemetry/"));
        assert!(handles("/2020-08-15/logs"));
        assert!(!handles("/2018-06-01/runtime/invocation/next"));
        assert!(!handles("/2022-07-01/telemetryx"));
    }
}
