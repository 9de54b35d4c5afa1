//! Function URLs: both address forms, Lambda's event details and errors, IAM failing closed.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use serde_json::Value;
use sluice_apigw::function_url_id;

use crate::*;

#[tokio::test]
async fn function_url_by_path_and_by_host() {
    let h = harness(Behaviour::Respond(r#"{"statusCode":200,"body":"hi"}"#));
    let by_path = request("POST", "/lambda-url/url-fn/some/path?x=1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(b"{}")))
        .expect("static request");
    let (response, body) = h.send(by_path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(&body[..], b"hi");
    let request_id = header(&response, "x-amzn-requestid").expect("stamped");
    assert!(uuid::Uuid::parse_str(request_id).is_ok());
    let (function, event) = h.last_event();
    assert_eq!(
        function, "UrlFunction:$LATEST",
        "the URL invokes its own qualifier"
    );
    assert_eq!(event["rawPath"], "/some/path");
    assert_eq!(event["routeKey"], "$default");
    assert_eq!(event["requestContext"]["accountId"], "anonymous");
    assert_eq!(
        event["requestContext"]["apiId"],
        function_url_id("UrlFunction")
    );
    assert_eq!(event["requestContext"]["requestId"], request_id);
    assert_eq!(event["requestContext"]["authentication"], Value::Null);
    assert_eq!(event["pathParameters"], Value::Null);
    assert_eq!(event["stageVariables"], Value::Null);
    assert_eq!(event["body"], "{}");
    let parsed: ApiGatewayV2httpRequest =
        serde_json::from_value(event).expect("aws_lambda_events accepts the event");
    assert_eq!(parsed.query_string_parameters.first("x"), Some("1"));

    let host = format!(
        "{}.lambda-url.us-east-1.localhost:3000",
        function_url_id("UrlFunction")
    );
    // A body without Content-Type arrives base64, as Function URLs send it.
    let by_host = Request::put("/items/1")
        .header("host", host.as_str())
        .body(Full::new(Bytes::from_static(b"plain")))
        .expect("static request");
    let (response, _) = h.send(by_host).await;
    assert_eq!(response.status(), 200);
    let (function, event) = h.last_event();
    assert_eq!(
        function, "UrlFunction:$LATEST",
        "the URL invokes its own qualifier"
    );
    assert_eq!(
        event["rawPath"], "/items/1",
        "the HTTP API's routes do not apply"
    );
    assert_eq!(event["requestContext"]["domainName"], host);
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "cGxhaW4=");
}

/// Recorded Function URL events of bodiless GETs (browsers, curl) carry no `content-length`,
/// unlike an HTTP API's, which says `0`; a request with a body says its length.
#[tokio::test]
async fn function_url_get_without_body_has_no_content_length() {
    let h = harness(Behaviour::Respond(r#"{"statusCode":200}"#));
    h.send(get("/lambda-url/url-fn/page")).await;
    let (_, event) = h.last_event();
    assert!(
        event["headers"].get("content-length").is_none(),
        "{}",
        event["headers"]
    );
    let post = request("POST", "/lambda-url/url-fn/page")
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(b"four")))
        .expect("static request");
    h.send(post).await;
    let (_, event) = h.last_event();
    assert_eq!(event["headers"]["content-length"], "4");
}

#[tokio::test]
async fn function_url_failure_is_502_text() {
    let h = harness(Behaviour::FunctionError);
    let (response, body) = h.send(get("/lambda-url/url-fn/")).await;
    assert_eq!(response.status(), 502);
    assert_eq!(&body[..], b"Internal Server Error");
}

#[tokio::test]
async fn aws_iam_function_urls_fail_closed() {
    let h = harness(Behaviour::Respond("{}"));
    let signed = request("GET", "/lambda-url/private-fn/")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
        )
        .body(Full::new(Bytes::new()))
        .expect("static request");
    for request in [get("/lambda-url/private-fn/"), signed] {
        let (response, body) = h.send(request).await;
        assert_eq!(response.status(), 403);
        assert_eq!(&body[..], br#"{"Message":"Forbidden"}"#);
    }
    assert_eq!(h.invocations(), 0);
}
