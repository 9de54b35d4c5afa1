//! Happy path: the function's proxy response mapped to HTTP, text and binary.

use crate::*;

#[tokio::test]
async fn happy_path_maps_the_function_response() {
    let h = harness(Behaviour::Respond(
        r#"{"statusCode":"201","headers":{"X-Custom":"v","X-Flag":true},"multiValueHeaders":{"X-Custom":["m1","m2"]},"body":"hello"}"#,
    ));
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 201);
    assert_eq!(&body[..], b"hello");
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "x-flag"), "true");
    let custom: Vec<_> = response
        .headers()
        .get_all("x-custom")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(custom, ["m1", "m2", "v"]);
    assert_stamped(&response);
    let (function, event) = h.last_event();
    assert_eq!(function, "HelloFunction");
    assert_eq!(event["resource"], "/hello");
    // The response's request id is the event's.
    assert_eq!(
        event["requestContext"]["requestId"],
        header(&response, "x-amzn-RequestId")
    );
    assert_eq!(
        event["requestContext"]["extendedRequestId"],
        header(&response, "x-amz-apigw-id")
    );
}

#[tokio::test]
async fn binary_bodies_both_ways() {
    let h = harness(Behaviour::Respond(
        r#"{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"iVBORw==","isBase64Encoded":true}"#,
    ));
    let png = Request::post("/files/logo.png")
        .header("content-type", "image/png")
        .header("accept", "image/png")
        .body(Full::new(Bytes::from_static(&[0x89, b'P', b'N', b'G'])))
        .expect("static request");
    let (response, body) = h.send(png).await;
    assert_eq!(&body[..], &[0x89, b'P', b'N', b'G']);
    assert_eq!(header(&response, "content-type"), "image/png");
    let (function, event) = h.last_event();
    assert_eq!(function, "FilesFunction");
    assert_eq!(event["body"], "iVBORw==");
    assert_eq!(event["isBase64Encoded"], true);

    // `Accept: */*` does not match `image/png` literally: the base64 text is sent as-is.
    let any = Request::post("/files/logo.png")
        .header("content-type", "text/plain")
        .header("accept", "*/*")
        .body(Full::new(Bytes::from_static(b"plain")))
        .expect("static request");
    let (_, body) = h.send(any).await;
    assert_eq!(&body[..], b"iVBORw==");
    let (_, event) = h.last_event();
    assert_eq!(event["body"], "plain");
    assert_eq!(event["isBase64Encoded"], false);
}

/// A function's own `x-amzn-RequestId` does not replace the gateway's: AWS sends it as
/// `x-amzn-Remapped-x-amzn-RequestId` (LocalStack's AWS-validated
/// `test_http_integration_with_lambda[HTTP_PROXY]` snapshot records the same for a proxied
/// backend).
#[tokio::test]
async fn the_functions_own_request_id_is_remapped() {
    let h = harness(Behaviour::Respond(
        r#"{"statusCode":200,"headers":{"X-Amzn-RequestId":"from-the-function"},"body":"ok"}"#,
    ));
    let (response, _) = h.send(get("/hello")).await;
    assert_stamped(&response);
    let (_, event) = h.last_event();
    assert_eq!(
        header(&response, "x-amzn-RequestId"),
        event["requestContext"]["requestId"]
    );
    assert_eq!(
        header(&response, "x-amzn-Remapped-x-amzn-RequestId"),
        "from-the-function"
    );
}
