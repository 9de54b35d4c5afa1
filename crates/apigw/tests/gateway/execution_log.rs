//! A REST stage's execution log (`MethodSettings` `LoggingLevel`, `DataTraceEnabled`): the lines
//! API Gateway writes about each request, in its words and order, as the gateway hands them on.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use sluice_apigw::{ExecutionLogLines, Gateway, GatewayOptions};
use sluice_template::auth_model::{ApiAuth, AuthModel, LoggingLevel, MethodSetting};
use sluice_template::RestApi;

use crate::support::{remote, Behaviour, FakeLambda};
use crate::{get, route, RecordedAccess, WithMethod};

fn api() -> RestApi {
    RestApi {
        logical_id: "Api".into(),
        stage_name: "prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        routes: vec![
            route("GET", "/items/{id}", "ItemsFunction"),
            route("POST", "/quiet", "ItemsFunction"),
        ],
        gateway_responses: Vec::new(),
        resource_policy: None,
    }
}

fn setting(path: &str, method: &str, level: LoggingLevel, data_trace: bool) -> MethodSetting {
    MethodSetting {
        resource_path: path.into(),
        http_method: method.into(),
        rate_limit: None,
        burst_limit: None,
        caching_enabled: None,
        cache_ttl_secs: None,
        logging_level: Some(level),
        data_trace_enabled: Some(data_trace),
    }
}

/// The execution log of each request sent in order, the stage logging as `settings` say.
async fn logs(
    behaviour: Behaviour,
    settings: Vec<MethodSetting>,
    requests: Vec<Request<Full<Bytes>>>,
) -> Vec<(String, Option<ExecutionLogLines>)> {
    let auth = AuthModel {
        apis: BTreeMap::from([(
            "Api".to_owned(),
            ApiAuth {
                method_settings: settings,
                ..ApiAuth::default()
            },
        )]),
        ..AuthModel::default()
    };
    let log = Arc::new(RecordedAccess::default());
    let gateway = Gateway::new(
        &[api()],
        FakeLambda::new(behaviour),
        GatewayOptions::default(),
    )
    .expect("valid routes")
    .with_execution_logs(&auth, &[])
    .with_access_log(log.clone());
    for request in requests {
        gateway.handle(request, remote()).await;
    }
    let records = log.0.lock().expect("not poisoned").clone();
    records
        .into_iter()
        .map(|r| (r.request_id, r.execution_log))
        .collect()
}

/// Each line without its `(<requestId>) ` prefix, checking the prefix is there.
fn texts(request_id: &str, log: &ExecutionLogLines) -> Vec<String> {
    let prefix = format!("({request_id}) ");
    log.lines
        .iter()
        .map(|(_, line)| {
            line.strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{line} lacks {prefix}"))
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn info_with_data_trace_tells_the_whole_request_in_awss_words() {
    let mut request = get("/items/7?q=a&q=b");
    request.headers_mut().insert(
        "authorization",
        "Bearer secret-token-ABC123".parse().unwrap(),
    );
    let logs = logs(
        Behaviour::Respond(r#"{"statusCode": 201, "headers": {"X-Own": "1"}, "body": "made"}"#),
        vec![setting("/*", "*", LoggingLevel::Info, true)],
        vec![request],
    )
    .await;
    let (id, log) = &logs[0];
    let log = log.as_ref().expect("the method logs");
    assert!(log.group.starts_with("API-Gateway-Execution-Logs_"));
    assert!(log.group.ends_with("/prod"), "{}", log.group);
    let lines = texts(id, log);
    let expected = [
        "Extended Request Id: ",
        "Verifying Usage Plan for request: ",
        // No key: nothing between the words, as AWS writes it.
        "API Key  authorized because method 'GET /items/{id}' does not require API Key. Request will not contribute to throttle or quota limits",
        "Usage Plan check succeeded for API Key  and API Stage ",
        "Starting execution for request: ",
        "HTTP Method: ",
        "Method request path: ",
        "Method request query string: ",
        "Method request headers: ",
        "Method request body before transformations: ",
        "Endpoint request URI: ",
        "Endpoint request headers: ",
        "Endpoint request body after transformations: ",
        "Sending request to https://lambda.",
        "Received response. ",
        "Endpoint response headers: ",
        "Endpoint response body before transformations: ",
        "Method response body after transformations: ",
        "Method response headers: ",
        "Successfully completed execution",
        "Method completed with status: ",
        "AWS Integration Endpoint RequestId : ",
    ];
    assert_eq!(lines.len(), expected.len(), "{lines:#?}");
    for (line, start) in lines.iter().zip(expected) {
        assert!(line.starts_with(start), "{line:?} should start {start:?}");
    }
    let line = |start: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no {start} in {lines:#?}"))
            .as_str()
    };
    assert_eq!(
        line("Starting execution"),
        format!("Starting execution for request: {id}")
    );
    assert_eq!(
        line("HTTP Method"),
        "HTTP Method: GET, Resource Path: /items/7"
    );
    assert_eq!(line("Method request path"), "Method request path: {id=7}");
    // The last value of a repeated key, as `queryStringParameters` has it.
    assert_eq!(
        line("Method request query"),
        "Method request query string: {q=b}"
    );
    // AWS redacts authorization headers but for their last six characters.
    assert!(
        line("Method request headers").contains("Authorization=********************ABC123"),
        "{lines:#?}"
    );
    assert!(
        line("Endpoint request URI")
            .ends_with(":lambda:us-east-1:123456789012:function:ItemsFunction/invocations"),
        "{lines:#?}"
    );
    assert!(line("Endpoint request body").contains(r#""resource":"/items/{id}""#));
    assert!(line("Received response")
        .starts_with("Received response. Status: 200, Integration latency: "));
    assert_eq!(
        line("Endpoint response body"),
        r#"Endpoint response body before transformations: {"statusCode": 201, "headers": {"X-Own": "1"}, "body": "made"}"#
    );
    assert_eq!(
        line("Method response body"),
        "Method response body after transformations: made"
    );
    assert!(
        line("Method response headers").contains("x-own=1"),
        "{lines:#?}"
    );
    assert_eq!(
        line("Method completed"),
        "Method completed with status: 201"
    );
    // Stamped in order, from the receive time on.
    assert!(log.lines.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[tokio::test]
async fn info_without_data_trace_leaves_out_headers_and_bodies() {
    let logs = logs(
        Behaviour::Respond(r#"{"statusCode": 200, "body": "ok"}"#),
        vec![setting("/*", "*", LoggingLevel::Info, false)],
        vec![get("/items/1")],
    )
    .await;
    let (id, log) = &logs[0];
    let lines = texts(id, log.as_ref().expect("the method logs"));
    assert_eq!(lines.len(), 9, "{lines:#?}");
    assert_eq!(lines[4], format!("Starting execution for request: {id}"));
    assert_eq!(lines[5], "HTTP Method: GET, Resource Path: /items/1");
    assert_eq!(lines[6], "Successfully completed execution");
    assert_eq!(lines[7], "Method completed with status: 200");
    assert!(lines[8].starts_with("AWS Integration Endpoint RequestId : "));
}

#[tokio::test]
async fn error_level_writes_only_a_failed_requests_error() {
    let settings = || {
        vec![
            setting("/*", "*", LoggingLevel::Error, true),
            setting("/quiet", "POST", LoggingLevel::Off, false),
        ]
    };
    let logs = logs(
        Behaviour::FunctionError,
        settings(),
        vec![get("/items/1"), get("/quiet").with_method("POST")],
    )
    .await;
    let (id, log) = &logs[0];
    let log = log.as_ref().expect("the failure logs");
    assert_eq!(
        texts(id, log),
        [
            "Lambda execution failed with status 200 due to customer function error: boom. Lambda request id: "
                .to_owned()
                + lambda_id(log),
            "Method completed with status: 502".to_owned(),
        ]
    );
    // `LoggingLevel: OFF` for the method: nothing, failed or not.
    assert_eq!(logs[1].1, None);

    // A request that succeeds writes nothing at ERROR.
    let ok = logs_ok(settings()).await;
    assert_eq!(ok, None);
}

/// The Lambda request id a function error line names.
fn lambda_id(log: &ExecutionLogLines) -> &str {
    log.lines[0].1.rsplit(' ').next().unwrap_or_default()
}

async fn logs_ok(settings: Vec<MethodSetting>) -> Option<ExecutionLogLines> {
    let logs = logs(
        Behaviour::Respond(r#"{"statusCode": 200}"#),
        settings,
        vec![get("/items/1")],
    )
    .await;
    logs.into_iter().next().and_then(|(_, log)| log)
}

#[tokio::test]
async fn a_malformed_answer_logs_the_body_it_could_not_read() {
    let logs = logs(
        Behaviour::Respond(r#""Bad response""#),
        vec![setting("/*", "*", LoggingLevel::Error, false)],
        vec![get("/items/1")],
    )
    .await;
    let (id, log) = &logs[0];
    assert_eq!(
        texts(id, log.as_ref().expect("the failure logs")),
        [
            r#"Endpoint response body before transformations: "Bad response""#,
            "Execution failed due to configuration error: Malformed Lambda proxy response",
            "Method completed with status: 502",
        ]
    );
}

#[tokio::test]
async fn a_stage_without_logging_settings_traces_nothing() {
    let logs = logs(
        Behaviour::FunctionError,
        vec![MethodSetting {
            logging_level: None,
            data_trace_enabled: None,
            rate_limit: Some(5.0),
            ..setting("/*", "*", LoggingLevel::Info, false)
        }],
        vec![get("/items/1")],
    )
    .await;
    assert_eq!(logs[0].1, None);
}
