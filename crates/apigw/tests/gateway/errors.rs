//! The errors AWS answers with: status, body and `x-amzn-ErrorType`, before and after the function.

use crate::*;

#[tokio::test]
async fn unknown_route_is_403_missing_authentication_token() {
    let h = harness(Behaviour::Respond("{}"));
    let (response, body) = h.send(get("/").with_method("POST")).await;
    assert_eq!(response.status(), 403);
    assert_eq!(&body[..], br#"{"message":"Missing Authentication Token"}"#);
    assert_eq!(
        header(&response, "x-amzn-ErrorType"),
        "MissingAuthenticationTokenException"
    );
    assert_error_stamped(&response);
    assert_eq!(h.invocations(), 0);
}

#[tokio::test]
async fn wrong_method_on_a_literal_route_without_fallback_is_403() {
    let apis = vec![RestApi {
        logical_id: "Api".into(),
        stage_name: "Prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        routes: vec![route("GET", "/hello", "HelloFunction")],
        gateway_responses: Vec::new(),
        resource_policy: None,
    }];
    let lambda = FakeLambda::new(Behaviour::Respond("{}"));
    let gateway = Gateway::new(&apis, lambda, GatewayOptions::default()).expect("valid");
    let response = gateway
        .handle(get("/hello").with_method("DELETE"), remote())
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn malformed_proxy_responses_are_502() {
    for payload in [
        r#"{"statusCode":200,"unexpected":true}"#,
        r#"{"statusCode":"two hundred"}"#,
        r#"{"multiValueHeaders":{"a":"b"}}"#,
        r#""just a string""#,
        "not json at all",
    ] {
        let leaked: &'static str = Box::leak(payload.to_owned().into_boxed_str());
        let h = harness(Behaviour::Respond(leaked));
        let (response, body) = h.send(get("/hello")).await;
        assert_eq!(response.status(), 502, "{payload}");
        assert_eq!(&body[..], br#"{"message": "Internal server error"}"#);
        assert_eq!(
            header(&response, "x-amzn-ErrorType"),
            "InternalServerErrorException"
        );
        assert_error_stamped(&response);
    }
}

#[tokio::test]
async fn function_error_is_502() {
    let h = harness(Behaviour::FunctionError);
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 502);
    assert_eq!(&body[..], br#"{"message": "Internal server error"}"#);
    assert_error_stamped(&response);
}

#[tokio::test]
async fn rejected_invocation_is_500_integration_failure() {
    let h = harness(Behaviour::Rejected);
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 500);
    assert_eq!(&body[..], br#"{"message": "Internal server error"}"#);
    assert_error_stamped(&response);
}

/// A Lambda proxy integrated with GET (an OpenAPI `httpMethod`, a CloudFormation
/// `IntegrationHttpMethod`) never reaches the function: Lambda's Invoke action takes POST, and API
/// Gateway answers INTEGRATION_FAILURE as a 500 (LocalStack's AWS-validated
/// `test_lambda_aws_proxy_integration_non_post_method`: `{"message": "Internal server error"}`,
/// also with an INTEGRATION_FAILURE gateway response that sets nothing). A customized
/// INTEGRATION_FAILURE applies to it.
#[tokio::test]
async fn a_lambda_proxy_integrated_with_get_is_500_integration_failure() {
    let mut apis = apis();
    apis[0].routes[0].integration = sluice_template::Integration::LambdaProxyNotPost {
        method: "GET".into(),
    };
    let h = Harness::new(Behaviour::Respond("{}"), |lambda| {
        Gateway::new(&apis, lambda, GatewayOptions::default()).expect("valid routes")
    });
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 500);
    assert_eq!(&body[..], br#"{"message": "Internal server error"}"#);
    assert_eq!(
        header(&response, "x-amzn-ErrorType"),
        "InternalServerErrorException"
    );
    assert_error_stamped(&response);
    assert_eq!(h.invocations(), 0);

    apis[0].gateway_responses = vec![sluice_template::GatewayResponse {
        response_type: "INTEGRATION_FAILURE".into(),
        status_code: Some(503),
        headers: vec![("x-failure".into(), "integration".into())],
        ..Default::default()
    }];
    let h = Harness::new(Behaviour::Respond("{}"), |lambda| {
        Gateway::new(&apis, lambda, GatewayOptions::default()).expect("valid routes")
    });
    let (response, _) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "x-failure"), "integration");
    assert_eq!(h.invocations(), 0);
}

#[tokio::test]
async fn integration_timeout_is_504() {
    let h = harness_with(
        Behaviour::Hang,
        GatewayOptions {
            integration_timeout: Duration::from_millis(50),
            ..GatewayOptions::default()
        },
    );
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 504);
    assert_eq!(&body[..], br#"{"message": "Endpoint request timed out"}"#);
    assert_error_stamped(&response);
}

/// A route's own `TimeoutInMillis` replaces the 29 s default (for that route only).
#[tokio::test]
async fn a_routes_own_timeout_is_504_when_it_passes() {
    let mut apis = apis();
    apis[0].routes[0].timeout_ms = Some(50);
    let h = Harness::new(Behaviour::Hang, |lambda| {
        Gateway::new(&apis, lambda, GatewayOptions::default()).expect("valid routes")
    });
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 504);
    assert_eq!(&body[..], br#"{"message": "Endpoint request timed out"}"#);
    assert_eq!(
        header(&response, "x-amzn-ErrorType"),
        "InternalServerErrorException"
    );
    assert_error_stamped(&response);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_declared_or_streamed() {
    let options = GatewayOptions {
        max_body_bytes: 8,
        ..GatewayOptions::default()
    };
    let h = harness_with(Behaviour::Respond("{}"), options);
    // No Content-Length: the limit applies while reading.
    let streamed = Request::post("/items/1")
        .body(Full::new(Bytes::from_static(b"0123456789")))
        .expect("static request");
    let (response, _) = h.send(streamed).await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        header(&response, "x-amzn-ErrorType"),
        "RequestTooLargeException"
    );
    assert_error_stamped(&response);
    // Declared too large: refused before reading, even on an unknown route.
    let declared = Request::post("/nowhere/at/all")
        .header("content-length", "9")
        .body(Full::new(Bytes::from_static(b"012345678")))
        .expect("static request");
    assert_eq!(h.send(declared).await.0.status(), 413);
    // At the limit: accepted.
    let fits = Request::post("/items/1")
        .body(Full::new(Bytes::from_static(b"01234567")))
        .expect("static request");
    assert_eq!(h.send(fits).await.0.status(), 200);
    assert_eq!(h.invocations(), 1);
}

#[test]
fn duplicate_routes_are_refused() {
    let mut apis = apis();
    apis[0]
        .routes
        .push(route("GET", "/hello/", "OtherFunction"));
    let lambda = FakeLambda::new(Behaviour::Respond("{}"));
    let err = Gateway::new(&apis, lambda, GatewayOptions::default()).expect_err("duplicate");
    assert!(matches!(err, RouteError::Duplicate { .. }));
    let text = err.to_string();
    assert!(
        text.contains("HelloFunctionGET") && text.contains("OtherFunctionGET"),
        "{text}"
    );
}
