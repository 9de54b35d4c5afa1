//! Golden events: each request's event, as `aws_lambda_events` reads it, pinned by snapshot.

use crate::*;

/// Build the event for a request, check that `aws_lambda_events` accepts it, and return it.
async fn golden_event(request: Request<Full<Bytes>>) -> Value {
    let h = harness(Behaviour::Respond("{}"));
    h.send(request).await;
    let (_, event) = h.last_event();
    let parsed: Result<aws_lambda_events::apigw::ApiGatewayProxyRequest, _> =
        serde_json::from_value(event.clone());
    assert!(
        parsed.is_ok(),
        "aws_lambda_events rejects the event: {parsed:?}"
    );
    event
}

macro_rules! assert_golden {
    ($name:expr, $event:expr) => {
        insta::assert_json_snapshot!($name, $event, {
            ".requestContext.requestId" => "[request id]",
            ".requestContext.extendedRequestId" => "[extended request id]",
            ".requestContext.requestTime" => "[request time]",
            ".requestContext.requestTimeEpoch" => "[request time epoch]",
            ".headers[\"X-Amzn-Trace-Id\"]" => "[trace id]",
            ".multiValueHeaders[\"X-Amzn-Trace-Id\"][0]" => "[trace id]",
        });
    };
}

#[tokio::test]
async fn golden_get_with_query() {
    let request = Request::get("/hello?name=Ada+Lovelace&tag=a&tag=b")
        .header("host", "127.0.0.1:3000")
        .header("user-agent", "curl/8.5.0")
        .header("accept", "*/*")
        .extension(RawHeaderNames(vec![
            "Host".into(),
            "User-Agent".into(),
            "Accept".into(),
        ]))
        .body(Full::new(Bytes::new()))
        .expect("static request");
    assert_golden!("get_with_query", golden_event(request).await);
}

#[tokio::test]
async fn golden_post_json_to_param_route() {
    let request = Request::post("/items/42")
        .header("host", "localhost:3000")
        .header("content-type", "application/json")
        .header("content-length", "16")
        .body(Full::new(Bytes::from_static(br#"{"name": "Test"}"#)))
        .expect("static request");
    assert_golden!("post_json_to_param_route", golden_event(request).await);
}

#[tokio::test]
async fn golden_binary_upload_with_stage_variables() {
    let request = Request::post("/files/logo.png")
        .header("host", "localhost:3000")
        .header("content-type", "image/png")
        .body(Full::new(Bytes::from_static(&[
            0x89, b'P', b'N', b'G', 0, 1,
        ])))
        .expect("static request");
    assert_golden!(
        "binary_upload_with_stage_variables",
        golden_event(request).await
    );
}

#[tokio::test]
async fn golden_greedy_proxy_with_encoded_path() {
    let request = Request::delete("/a%20b/c/")
        .header("host", "localhost:3000")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    assert_golden!(
        "greedy_proxy_with_encoded_path",
        golden_event(request).await
    );
}
