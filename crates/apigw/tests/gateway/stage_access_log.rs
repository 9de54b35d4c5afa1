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

/// The stage log lines of `requests` sent in order to `apis` over `lambda`, the `Api` stage
/// logging `format`.
async fn lines_over(
    lambda: Arc<FakeLambda>,
    apis: &[RestApi],
    format: &str,
    requests: Vec<http::Request<http_body_util::Full<bytes::Bytes>>>,
) -> Vec<Option<sluice_apigw::StageLogLine>> {
    let log = Arc::new(RecordedAccess::default());
    let gateway = Gateway::new(apis, lambda, GatewayOptions::default())
        .expect("valid routes")
        .with_stage_access_logs(&[logged(format)])
        .with_access_log(log.clone());
    for request in requests {
        gateway.handle(request, remote()).await;
    }
    let records = log.0.lock().expect("not poisoned").clone();
    records.into_iter().map(|r| r.stage_log).collect()
}

/// [`lines_over`] a fresh fake Lambda that answers as `behaviour` says.
async fn lines(
    behaviour: Behaviour,
    apis: &[RestApi],
    format: &str,
    requests: Vec<http::Request<http_body_util::Full<bytes::Bytes>>>,
) -> Vec<Option<sluice_apigw::StageLogLine>> {
    lines_over(FakeLambda::new(behaviour), apis, format, requests).await
}

/// The messages of stage log lines, each line required.
fn messages(lines: &[Option<sluice_apigw::StageLogLine>]) -> Vec<&str> {
    lines
        .iter()
        .map(|l| l.as_ref().expect("the stage logs").message.as_str())
        .collect()
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
        "$context.status $context.error.messageString $context.error.responseType $context.integration.status $context.integrationStatus [$context.error.message]",
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
            // Lambda's Invoke answered (with a function error): the integration status is its 200;
            // the function's code returned no status.
            r#"502 "Internal server error" DEFAULT_5XX - 200 [Internal server error]"#,
            // No route: the only REST API's stage logs it; no integration ran.
            r#"403 "Missing Authentication Token" MISSING_AUTHENTICATION_TOKEN - - [Missing Authentication Token]"#,
        ]
    );
}

/// AWS (access logging variables): `integration.status` is, for a Lambda proxy, "the status code
/// that your Lambda function code returns"; `integrationStatus` and
/// `integration.integrationStatus` "the status code returned from AWS Lambda, not from the
/// backend Lambda function code".
#[tokio::test]
async fn a_lambda_proxy_logs_its_functions_status_and_lambdas_apart() {
    let lines = lines(
        Behaviour::Respond(r#"{"statusCode": 404, "body": "no such item"}"#),
        &[api("Api")],
        "$context.status $context.integration.status $context.integrationStatus $context.integration.integrationStatus",
        vec![get("/hello")],
    )
    .await;
    assert_eq!(messages(&lines), ["404 404 200 200"]);
}

#[tokio::test]
async fn a_lambda_integration_logs_the_request_id_the_function_ran_under() {
    const FORMAT: &str =
        "$context.requestId $context.integration.requestId $context.awsEndpointRequestId";
    for behaviour in [
        Behaviour::Respond(r#"{"statusCode": 200}"#),
        // A function error is still an invocation Lambda answered, with its request id.
        Behaviour::FunctionError,
    ] {
        let lambda = FakeLambda::new(behaviour);
        let lines = lines_over(lambda.clone(), &[api("Api")], FORMAT, vec![get("/hello")]).await;
        let [Some(lambda_id)] = &lambda.request_ids()[..] else {
            panic!("one invocation, under an id the gateway chose")
        };
        assert!(uuid::Uuid::parse_str(lambda_id).is_ok(), "{lambda_id}");
        let words: Vec<&str> = messages(&lines)[0].split(' ').collect();
        // AWS: Lambda's request id, apart from API Gateway's own; both names give it.
        assert_eq!(words[1..], [lambda_id.as_str(), lambda_id.as_str()]);
        assert_ne!(words[0], lambda_id.as_str());
    }
    // No invocation Lambda answered (throttled), or none at all (no route): no id.
    let lines = lines(
        Behaviour::Rejected,
        &[api("Api")],
        FORMAT,
        vec![get("/hello"), get("/elsewhere")],
    )
    .await;
    for message in messages(&lines) {
        assert!(message.ends_with(" - -"), "{message}");
    }
}

#[tokio::test]
async fn the_documented_variables_sluice_knows_are_logged_routed_or_not() {
    let lines = lines(
        Behaviour::FunctionError,
        &[api("Api")],
        "$context.requestId $context.responseLatency $context.requestTimeEpoch $context.domainName $context.domainPrefix $context.deploymentId $context.identity.sourceIp $context.integrationErrorMessage \
         | $context.identity.caller $context.identity.apiKey $context.wafResponseCode $context.waf.status $context.webaclArn $context.customDomain.basePathMatched $context.xrayTraceId $context.awsEndpointRequestId2 $context.isCanaryRequest",
        vec![get("/hello"), get("/elsewhere")],
    )
    .await;
    let messages = messages(&lines);
    let (routed, unrouted) = (
        messages[0].split(' ').collect::<Vec<_>>(),
        messages[1].split(' ').collect::<Vec<_>>(),
    );
    for words in [&routed, &unrouted] {
        assert!(words[1].parse::<u64>().is_ok(), "{words:?}");
        assert_eq!(words[2].len(), 13, "milliseconds: {words:?}");
        // The host as sent, and its first label.
        assert_eq!(words[3..5], ["localhost:3000", "localhost"], "{words:?}");
        assert_eq!(words[6], "192.0.2.7");
        // What AWS logs `-` for without a caller's IAM identity, an API key, a web ACL, a custom
        // domain, X-Ray tracing (`TracingEnabled`, not emulated) or a canary.
        assert_eq!(
            words[8..],
            ["|", "-", "-", "-", "-", "-", "-", "-", "-", "-"]
        );
    }
    // The stage's deployment, whether or not a resource matched.
    assert_eq!(routed[5], unrouted[5]);
    assert_eq!(routed[5].len(), 6, "{routed:?}");
    // AWS: "Equivalent to $context.integration.error"; a request without an integration has none.
    assert_eq!(
        (routed[7], unrouted[7]),
        (r#"{"errorMessage":"boom","errorType":"Exception"}"#, "-")
    );
}

#[tokio::test]
async fn a_stage_without_access_logging_and_an_ambiguous_unrouted_request_write_nothing() {
    let mut other = api("Other");
    other.routes = vec![route("GET", "/other", "OtherFunction")];
    other.stage_name = "dev".into();
    let lines = lines(
        Behaviour::Respond("{}"),
        &[api("Api"), other],
        "$context.requestId",
        // `Other` has no access log; with two REST APIs, a request without a route belongs to
        // neither for sure, even when its first segment names only `Api`'s stage: Sluice serves
        // stages at the root, so that segment is part of the path, not a stage.
        vec![
            get("/hello"),
            get("/other"),
            get("/elsewhere"),
            get("/prod/hello"),
        ],
    )
    .await;
    assert!(lines[0].is_some(), "the logging API's request is logged");
    assert_eq!(lines[1..], [None, None, None]);
}

/// An HTTP API `Api` on `stage`, with one route: `GET /items/{id}`.
fn http_api(stage: &str) -> sluice_template::HttpApi {
    sluice_template::HttpApi {
        logical_id: "Api".into(),
        stage_name: stage.into(),
        stage_variables: BTreeMap::new(),
        cors: None,
        routes: vec![sluice_template::HttpRoute {
            method: "GET".into(),
            path: "/items/{id}".into(),
            function: "GetItem".into(),
            integration: Default::default(),
            event_name: "GetItemEvent".into(),
            payload_format: sluice_template::PayloadFormat::V2,
            timeout_ms: 30_000,
            parameter_mapping: Default::default(),
            qualifier: None,
        }],
    }
}

/// A gateway serving `api` over `lambda`, its stage logging `format` to the returned log.
fn http_gateway(
    api: sluice_template::HttpApi,
    lambda: Arc<FakeLambda>,
    format: &str,
) -> (Gateway, Arc<RecordedAccess>) {
    let log = Arc::new(RecordedAccess::default());
    let gateway = Gateway::serving(
        sluice_apigw::Apis {
            http: &[api],
            ..Default::default()
        },
        lambda,
        GatewayOptions::default(),
    )
    .expect("valid routes")
    .with_stage_access_logs(&[logged(format)])
    .with_access_log(log.clone());
    (gateway, log)
}

#[tokio::test]
async fn a_requests_path_starts_with_its_stage_routed_or_not() {
    let lines = lines(
        Behaviour::Respond("{}"),
        &[api("Api")],
        "$context.path $context.resourcePath",
        vec![get("/hello"), get("/elsewhere")],
    )
    .await;
    // AWS: `$context.path` is the stage's URL path (`/{stage}/root/child`, developer guide), for a
    // request no resource matched (403 Missing Authentication Token) too; it has no resource.
    assert_eq!(
        messages(&lines),
        ["/prod/hello /hello", "/prod/elsewhere -"]
    );

    // An HTTP API's named stage leads the path, as in `requestContext.http.path`; `$default` is
    // served at the root.
    for (stage, expected) in [
        ("v1", ["/v1/items/7", "/v1/nothing"]),
        ("$default", ["/items/7", "/nothing"]),
    ] {
        let lambda = FakeLambda::new(Behaviour::Respond("{}"));
        let (gateway, log) =
            http_gateway(http_api(stage), lambda, "$context.requestId $context.path");
        gateway.handle(get("/items/7"), remote()).await;
        gateway.handle(get("/nothing"), remote()).await;
        let records = log.0.lock().expect("not poisoned").clone();
        let lines: Vec<_> = records.into_iter().map(|r| r.stage_log).collect();
        let paths: Vec<&str> = messages(&lines)
            .into_iter()
            .map(|m| m.split_once(' ').expect("two words").1)
            .collect();
        assert_eq!(paths, expected, "stage {stage}");
    }
}

#[tokio::test]
async fn an_http_api_logs_its_route_key_short_id_and_its_functions_status() {
    let lambda = FakeLambda::new(Behaviour::Respond(r#"{"statusCode": 201, "body": "ok"}"#));
    let (gateway, log) = http_gateway(
        http_api("$default"),
        lambda.clone(),
        "$context.requestId $context.routeKey $context.status $context.integration.status $context.integrationStatus $context.stage [$context.error.message] $context.resourcePath $context.integration.requestId",
    );
    let found = gateway.handle(get("/items/7"), remote()).await;
    let id = found.headers()["apigw-requestid"]
        .to_str()
        .expect("ascii")
        .to_owned();
    gateway.handle(get("/nothing"), remote()).await;
    let records = log.0.lock().expect("not poisoned").clone();
    let messages: Vec<&str> = records
        .iter()
        .map(|r| {
            r.stage_log
                .as_ref()
                .expect("the stage logs")
                .message
                .as_str()
        })
        .collect();
    let [Some(lambda_id)] = &lambda.request_ids()[..] else {
        panic!("one invocation, under an id the gateway chose")
    };
    // AWS: an HTTP API's `integration.status` is the function's, `integrationStatus` Lambda's;
    // `resourcePath` is a REST API variable; `integration.requestId` is the invocation's.
    assert_eq!(
        messages[0],
        format!("{id} GET /items/{{id}} 201 201 200 $default [-] - {lambda_id}")
    );
    let unrouted: Vec<&str> = messages[1].split(' ').collect();
    assert_eq!(
        unrouted[1..],
        ["-", "404", "-", "-", "$default", "[Not", "Found]", "-", "-"]
    );
}

/// AWS: an HTTP API's `integration.status` is "the status code that your Lambda function code
/// returns": a response parameter that overwrites the status the client gets leaves it be.
#[tokio::test]
async fn an_http_apis_integration_status_is_the_functions_before_response_parameters() {
    use sluice_template::{
        MapAction, MapTarget, MappingValue, ParameterMap, ParameterMapping, ResponseMapping,
        ValuePart,
    };
    let mut api = http_api("$default");
    api.routes[0].parameter_mapping = ParameterMapping {
        request: Vec::new(),
        response: vec![ResponseMapping {
            status: 404,
            maps: vec![ParameterMap {
                action: MapAction::Overwrite,
                target: MapTarget::StatusCode,
                value: MappingValue(vec![ValuePart::Text("410".into())]),
            }],
        }],
    };
    let lambda = FakeLambda::new(Behaviour::Respond(r#"{"statusCode": 404, "body": "gone"}"#));
    let (gateway, log) = http_gateway(
        api,
        lambda,
        "$context.status $context.integration.status $context.integrationStatus",
    );
    let response = gateway.handle(get("/items/7"), remote()).await;
    assert_eq!(response.status(), 410);
    let records = log.0.lock().expect("not poisoned").clone();
    let line = records[0].stage_log.as_ref().expect("the stage logs");
    assert_eq!(line.message, "410 404 200");
}
