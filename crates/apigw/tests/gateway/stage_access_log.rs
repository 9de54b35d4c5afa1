//! A stage's access log: the line its `Format` makes of each request, as the gateway hands it on.

use std::collections::BTreeMap;
use std::sync::Arc;

use sluice_apigw::{Gateway, GatewayOptions};
use sluice_template::{RestApi, StageAccessLog};

use crate::support::{remote, Behaviour, FakeLambda};
use crate::{get, route, RecordedAccess, WithMethod};

fn api(id: &str) -> RestApi {
    RestApi {
        logical_id: id.into(),
        stage_name: "prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        routes: vec![route("GET", "/hello", "HelloFunction")],
        gateway_responses: Vec::new(),
        resource_policy: None,
    }
}

fn logged(format: &str) -> StageAccessLog {
    StageAccessLog {
        api: "Api".into(),
        log_group: "/access".into(),
        format: format.into(),
    }
}

/// The stage log lines of the requests `send` makes, in order.
async fn lines(
    behaviour: Behaviour,
    apis: &[RestApi],
    format: &str,
    requests: Vec<http::Request<http_body_util::Full<bytes::Bytes>>>,
) -> Vec<Option<sluice_apigw::StageLogLine>> {
    let log = Arc::new(RecordedAccess::default());
    let gateway = Gateway::new(apis, FakeLambda::new(behaviour), GatewayOptions::default())
        .expect("valid routes")
        .with_stage_access_logs(&[logged(format)])
        .with_access_log(log.clone());
    for request in requests {
        gateway.handle(request, remote()).await;
    }
    let records = log.0.lock().expect("not poisoned").clone();
    records.into_iter().map(|r| r.stage_log).collect()
}

#[tokio::test]
async fn values_go_in_as_they_are_and_missing_ones_as_a_dash() {
    let mut request = get("/hello");
    request
        .headers_mut()
        .insert("user-agent", r#"say "hi" \o/"#.parse().expect("static"));
    let lines = lines(
        Behaviour::Respond(r#"{"statusCode": 201, "body": "hey"}"#),
        &[api("Api")],
        r#"{"agent":"$context.identity.userAgent","user":"$context.identity.user","status":$context.status,"len":$context.responseLength,"resource":"$context.resourcePath","routeKey":"$context.routeKey","path":"$context.path","int":"$context.integrationStatus","error":"$context.error.message"}"#,
        vec![request],
    )
    .await;
    let line = lines[0].as_ref().expect("the stage logs");
    assert_eq!(&*line.group, "/access");
    assert_eq!(line.stream.len(), 32);
    // AWS does not escape a value for the format around it: a quote in the user agent breaks a
    // JSON format (DataBiosphere/azul#4348 shows such lines from CloudWatch).
    assert_eq!(
        line.message,
        r#"{"agent":"say "hi" \o/","user":"-","status":201,"len":3,"resource":"/hello","routeKey":"-","path":"/prod/hello","int":"200","error":"-"}"#
    );
}

#[tokio::test]
async fn a_gateway_error_names_its_message_quoted_and_its_response_type() {
    let lines = lines(
        Behaviour::FunctionError,
        &[api("Api")],
        "$context.status $context.error.messageString $context.error.responseType $context.integration.status [$context.error.message]",
        vec![get("/hello"), get("/elsewhere").with_method("POST")],
    )
    .await;
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l.as_ref().expect("the stage logs").message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            // Lambda's Invoke answered (with a function error): the integration status is its 200.
            r#"502 "Internal server error" DEFAULT_5XX 200 [Internal server error]"#,
            // No route: the only REST API's stage logs it; no integration ran.
            r#"403 "Missing Authentication Token" MISSING_AUTHENTICATION_TOKEN - [Missing Authentication Token]"#,
        ]
    );
}

#[tokio::test]
async fn a_stage_without_access_logging_and_an_ambiguous_unrouted_request_write_nothing() {
    let mut other = api("Other");
    other.routes = vec![route("GET", "/other", "OtherFunction")];
    let lines = lines(
        Behaviour::Respond("{}"),
        &[api("Api"), other],
        "$context.requestId",
        // `Other` has no access log; with two REST APIs, a request without a route belongs to
        // neither for sure.
        vec![get("/hello"), get("/other"), get("/elsewhere")],
    )
    .await;
    assert!(lines[0].is_some(), "the logging API's request is logged");
    assert_eq!(lines[1..], [None, None]);
}
