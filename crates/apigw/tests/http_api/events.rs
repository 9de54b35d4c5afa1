//! The payload 2.0 (and 1.0) event an HTTP API route sends.

use std::collections::BTreeMap;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;
use sluice_apigw::Apis;
use sluice_template::HttpApi;

use crate::*;

/// The event for a request with everything in it, with the per-request values replaced.
#[tokio::test]
async fn golden_v2_event() {
    let h = harness(Behaviour::Respond("{}"));
    let request = request("POST", "/items/a%20b?x=1&x=2&q=a+b&flag")
        .header("content-type", "application/json")
        .header("user-agent", "curl/8.0")
        .header("X-Custom", "one")
        .header("x-custom", "two")
        .header("cookie", "a=1; b=2")
        .header("cookie", "c=3")
        .header("connection", "keep-alive")
        .body(Full::new(Bytes::from_static(br#"{"hello":"world"}"#)))
        .expect("static request");
    let (response, _) = h.send(request).await;
    assert_eq!(response.status(), 200);
    let (function, event) = h.last_event();
    assert_eq!(function, "AnyProxy");
    insta::assert_json_snapshot!("http_api_v2_post", event, {
        ".requestContext.requestId" => "[request id]",
        ".requestContext.time" => "[time]",
        ".requestContext.timeEpoch" => "[epoch ms]",
        ".headers[\"x-amzn-trace-id\"]" => "[trace id]",
    });
}

#[tokio::test]
async fn v2_event_reads_as_aws_lambda_events_request() {
    let h = harness(Behaviour::Respond("{}"));
    let request = request("PUT", "/items/7?a=1&a=2")
        .header("user-agent", "ua/1")
        .header("x-multi", "p")
        .header("x-multi", "q")
        .header("cookie", "s=1; t=2")
        .header("content-type", "image/png")
        .body(Full::new(Bytes::from_static(&[0x89, b'P', b'N', b'G'])))
        .expect("static request");
    h.send(request).await;
    let (_, event) = h.last_event();
    let parsed: ApiGatewayV2httpRequest =
        serde_json::from_value(event.clone()).expect("aws_lambda_events accepts the event");
    assert_eq!(parsed.version.as_deref(), Some("2.0"));
    assert_eq!(parsed.route_key.as_deref(), Some("ANY /{proxy+}"));
    assert_eq!(parsed.raw_path.as_deref(), Some("/items/7"));
    assert_eq!(parsed.raw_query_string.as_deref(), Some("a=1&a=2"));
    assert_eq!(
        parsed.cookies,
        Some(vec!["s=1".to_owned(), "t=2".to_owned()])
    );
    assert_eq!(parsed.headers["x-multi"], "p,q");
    assert!(!parsed.headers.contains_key("cookie"));
    // AWS joins repeated values with commas; the consumer splits them again.
    assert_eq!(event["queryStringParameters"]["a"], "1,2");
    assert_eq!(
        parsed.query_string_parameters.all("a"),
        Some(vec!["1", "2"])
    );
    assert_eq!(parsed.path_parameters["proxy"], "items/7");
    assert!(parsed.is_base64_encoded, "binary bodies arrive base64");
    assert_eq!(parsed.body.as_deref(), Some("iVBORw=="));
    let context = &parsed.request_context;
    assert_eq!(context.account_id.as_deref(), Some("123456789012"));
    assert_eq!(context.stage.as_deref(), Some("$default"));
    assert_eq!(context.http.method, http::Method::PUT);
    assert_eq!(context.http.path.as_deref(), Some("/items/7"));
    assert_eq!(context.http.source_ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(context.http.user_agent.as_deref(), Some("ua/1"));
    assert_eq!(context.domain_name.as_deref(), Some("localhost:3000"));
    assert_eq!(context.domain_prefix.as_deref(), Some("localhost"));
    assert!(context.time_epoch > 1_600_000_000_000, "milliseconds");
    assert!(context.authorizer.is_none());
    assert!(
        event["requestContext"].get("authorizer").is_none(),
        "absent, not null"
    );
}

#[tokio::test]
async fn empty_parts_are_omitted_and_named_stages_prefix_the_path() {
    let h = harness(Behaviour::Respond("{}"));
    h.send(get("/staged")).await;
    let (_, event) = h.last_event();
    for absent in ["cookies", "queryStringParameters", "pathParameters", "body"] {
        assert!(event.get(absent).is_none(), "{absent} is omitted: {event}");
    }
    assert_eq!(event["rawQueryString"], "");
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["rawPath"], "/v1/staged");
    assert_eq!(event["requestContext"]["http"]["path"], "/v1/staged");
    assert_eq!(event["requestContext"]["stage"], "v1");
    assert_eq!(event["stageVariables"]["table"], "items");
    assert_eq!(event["headers"]["content-length"], "0");
    assert_eq!(event["headers"]["x-forwarded-for"], "192.0.2.7");
    assert_eq!(event["headers"]["x-forwarded-port"], "3000");
}

#[tokio::test]
async fn payload_1_0_routes_get_the_1_0_event() {
    let h = harness(Behaviour::Respond(r#"{"statusCode":201,"body":"ok"}"#));
    let request = request("GET", "/v1/ada?x=1")
        .header("X-Custom", "v")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    let (response, body) = h.send(request).await;
    assert_eq!(response.status(), 201);
    assert_eq!(&body[..], b"ok");
    let (function, event) = h.last_event();
    assert_eq!(function, "V1Function");
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["resource"], "/v1/{name}");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["headers"]["x-custom"], "v");
    assert_eq!(event["multiValueQueryStringParameters"]["x"][0], "1");
    assert_eq!(event["pathParameters"]["name"], "ada");
    assert_eq!(event["requestContext"]["resourceId"], "GET /v1/{name}");
    assert_eq!(event["requestContext"]["path"], "/v1/ada");
    assert_eq!(event["requestContext"]["stage"], "$default");
    assert_eq!(
        event["requestContext"]["requestId"].as_str(),
        header(&response, "apigw-requestid")
    );
}

/// Recorded payload 1.0 events of HTTP APIs: the gateway's headers in canonical case,
/// `Content-Length` even on a bodiless GET, `cognitoAmr` in the identity, and a named stage in
/// front of `path` as well as `requestContext.path`.
#[tokio::test]
async fn payload_1_0_event_has_http_apis_header_spelling_and_stage_path() {
    let h = harness(Behaviour::Respond("{}"));
    let request = request("GET", "/staged-v1?q=1")
        .header("user-agent", "curl/8.0")
        .header("accept", "*/*")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    h.send(request).await;
    let (function, event) = h.last_event();
    assert_eq!(function, "StagedV1");
    assert_eq!(event["path"], "/v1/staged-v1");
    assert_eq!(event["requestContext"]["path"], "/v1/staged-v1");
    assert_eq!(event["resource"], "/staged-v1");
    let headers = &event["headers"];
    assert_eq!(headers["Content-Length"], "0", "{headers}");
    assert_eq!(headers["Host"], "localhost:3000");
    assert_eq!(headers["User-Agent"], "curl/8.0");
    assert_eq!(headers["X-Forwarded-Proto"], "http");
    assert!(headers["X-Amzn-Trace-Id"].is_string());
    assert_eq!(headers["accept"], "*/*");
    assert!(headers.get("host").is_none(), "{headers}");
    assert_eq!(
        keys(headers),
        {
            let mut sorted = keys(headers);
            sorted.sort();
            sorted
        },
        "sorted by name, as AWS lists them"
    );
    assert_eq!(
        event["multiValueHeaders"]["Content-Length"],
        serde_json::json!(["0"])
    );
    assert_eq!(
        event["requestContext"]["identity"]["cognitoAmr"],
        Value::Null
    );
    assert!(event["requestContext"]["identity"]
        .as_object()
        .expect("identity")
        .contains_key("cognitoAmr"));
}

/// The keys of an object, in order.
fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Same keys, same order as the payload 2.0 sample AWS's own tooling generates (SAM CLI
/// `generate-event apigateway http-api-proxy`), once a request fills every part of it.
#[tokio::test]
async fn v2_event_has_the_shape_of_aws_sample() {
    let sample: Value =
        serde_json::from_str(include_str!("../fixtures/apigateway-http-api-proxy.json"))
            .expect("sample is JSON");
    let api = HttpApi {
        logical_id: "Api".into(),
        stage_name: "$default".into(),
        stage_variables: BTreeMap::from([("stageVariable1".to_owned(), "value1".to_owned())]),
        cors: None,
        routes: vec![route("POST", "/path/to/{parameter1}", "F")],
    };
    let h = serving(
        Behaviour::Respond("{}"),
        Apis {
            http: &[api],
            ..Apis::default()
        },
    );
    let request = request(
        "POST",
        "/path/to/value1?parameter1=value1&parameter1=value2",
    )
    .header("cookie", "cookie1; cookie2")
    .header("content-type", "application/octet-stream")
    .body(Full::new(Bytes::from_static(br#"{"test":"body"}"#)))
    .expect("static request");
    h.gateway.handle(request, remote()).await;
    let (_, event) = h.last_event();
    assert_eq!(keys(&event), keys(&sample));
    // AWS's sample shows mutual TLS and a JWT authorizer; neither ran here.
    let sample_context: Vec<String> = keys(&sample["requestContext"])
        .into_iter()
        .filter(|k| k != "authentication" && k != "authorizer")
        .collect();
    assert_eq!(keys(&event["requestContext"]), sample_context);
    assert_eq!(
        keys(&event["requestContext"]["http"]),
        keys(&sample["requestContext"]["http"])
    );
    assert_eq!(event["cookies"], sample["cookies"]);
    assert_eq!(
        event["queryStringParameters"]["parameter1"],
        "value1,value2"
    );
    assert_eq!(event["body"], sample["body"], "binary bodies arrive base64");
    assert_eq!(event["isBase64Encoded"], true);
}
