//! The REST (payload 1.0) event the function receives.

use crate::*;

#[tokio::test]
async fn event_has_every_key_and_nulls_when_empty() {
    let h = harness(Behaviour::Respond("{}"));
    let request = Request::get("/hello")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    h.send(request).await;
    let (_, event) = h.last_event();
    let keys: Vec<&str> = event
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "resource",
            "path",
            "httpMethod",
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
            "requestContext",
            "body",
            "isBase64Encoded"
        ]
    );
    // API Gateway's own headers are always there, even on a request that sent none.
    assert_eq!(
        event["headers"]
            .as_object()
            .expect("headers")
            .keys()
            .collect::<Vec<_>>(),
        [
            "X-Amzn-Trace-Id",
            "X-Forwarded-For",
            "X-Forwarded-Port",
            "X-Forwarded-Proto"
        ]
    );
    for key in [
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "body",
    ] {
        assert_eq!(event[key], Value::Null, "{key}");
    }
    let parsed: Result<aws_lambda_events::apigw::ApiGatewayProxyRequest, _> =
        serde_json::from_value(event.clone());
    assert!(
        parsed.is_ok(),
        "aws_lambda_events rejects nulls: {parsed:?}"
    );
    let context = &event["requestContext"];
    assert_eq!(context["domainName"], "localhost");
    assert!(context.get("authorizer").is_none());
    for key in [
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "sourceIp",
        "principalOrgId",
        "accessKey",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "userAgent",
        "user",
    ] {
        assert!(context["identity"].get(key).is_some(), "identity.{key}");
    }
    assert_eq!(context["identity"]["sourceIp"], "192.0.2.7");
}

#[tokio::test]
async fn event_keeps_client_header_case_when_the_server_provides_it() {
    let h = harness(Behaviour::Respond("{}"));
    let request = Request::get("/hello")
        .header("host", "localhost:3000")
        .header("authorization", "Bearer t")
        .header("x-repeat", "1")
        .header("x-repeat", "2")
        .header("content-length", "0")
        .extension(RawHeaderNames(vec![
            "Host".into(),
            "Authorization".into(),
            "X-Repeat".into(),
            "X-Repeat".into(),
            "Content-Length".into(),
        ]))
        .body(Full::new(Bytes::new()))
        .expect("static request");
    h.send(request).await;
    let (_, event) = h.last_event();
    let headers = event["headers"].as_object().expect("headers");
    let client: serde_json::Map<String, Value> = headers
        .iter()
        .filter(|(name, _)| !name.starts_with("X-Forwarded") && *name != "X-Amzn-Trace-Id")
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    assert_eq!(
        Value::Object(client),
        json!({"Host": "localhost:3000", "Authorization": "Bearer t", "X-Repeat": "2"})
    );
    // AWS's additions come after the client's headers, the port from its Host.
    assert_eq!(headers["X-Forwarded-Port"], "3000");
    assert_eq!(headers["X-Forwarded-Proto"], "http");
    assert_eq!(event["multiValueHeaders"]["X-Repeat"], json!(["1", "2"]));
    assert_eq!(event["requestContext"]["domainName"], "localhost:3000");
    assert_eq!(event["requestContext"]["domainPrefix"], "localhost");
}

#[tokio::test]
async fn event_paths_keep_encoding_trailing_slash_and_double_slash() {
    let h = harness(Behaviour::Respond("{}"));
    let rows = [
        // (uri, resource, path, requestContext.path, pathParameters)
        (
            "/items/a%2Bb",
            "/items/{id}",
            "/items/a%2Bb",
            "/Prod/items/a%2Bb",
            json!({"id": "a%2Bb"}),
        ),
        (
            "/items/7/",
            "/items/{id}",
            "/items/7/",
            "/Prod/items/7/",
            json!({"id": "7"}),
        ),
        (
            "/deep/er/path/",
            "/{proxy+}",
            "/deep/er/path/",
            "/Prod/deep/er/path/",
            json!({"proxy": "deep/er/path"}),
        ),
        ("//hello", "/hello", "/hello", "/Prod//hello", Value::Null),
    ];
    for (uri, resource, path, context_path, params) in rows {
        h.send(get(uri)).await;
        let (_, event) = h.last_event();
        assert_eq!(event["resource"], resource, "{uri}");
        assert_eq!(event["requestContext"]["resourcePath"], resource, "{uri}");
        assert_eq!(event["path"], path, "{uri}");
        assert_eq!(event["requestContext"]["path"], context_path, "{uri}");
        assert_eq!(event["pathParameters"], params, "{uri}");
    }
}

#[tokio::test]
async fn event_query_is_decoded_last_and_all() {
    let h = harness(Behaviour::Respond("{}"));
    h.send(get("/hello?a=1&a=2&q=x+y&r=x%20y&s=%2B")).await;
    let (_, event) = h.last_event();
    assert_eq!(
        event["queryStringParameters"],
        json!({"a": "2", "q": "x y", "r": "x y", "s": "+"})
    );
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"], "q": ["x y"], "r": ["x y"], "s": ["+"]})
    );
}

#[tokio::test]
async fn event_ids_are_fresh_per_request_and_stable_per_api() {
    let h = harness(Behaviour::Respond("{}"));
    h.send(get("/hello")).await;
    let (_, first) = h.last_event();
    h.send(get("/hello")).await;
    let (_, second) = h.last_event();
    let (a, b) = (&first["requestContext"], &second["requestContext"]);
    assert_ne!(a["requestId"], b["requestId"]);
    assert_ne!(a["extendedRequestId"], b["extendedRequestId"]);
    assert_eq!(a["apiId"], b["apiId"]);
    assert_eq!(a["resourceId"], b["resourceId"]);
    let api_id = a["apiId"].as_str().expect("string");
    assert_eq!(api_id.len(), 10);
    assert!(api_id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_eq!(a["resourceId"].as_str().map(str::len), Some(6));
}

#[tokio::test]
async fn operation_name_reaches_the_event_only_when_the_method_has_one() {
    let mut api = apis().remove(0);
    api.routes = vec![
        Route {
            operation_name: Some("GetHello".into()),
            ..route("GET", "/hello", "HelloFunction")
        },
        route("GET", "/plain", "PlainFunction"),
    ];
    let h = Harness::new(Behaviour::Respond("{}"), |lambda| {
        Gateway::new(&[api], lambda, GatewayOptions::default()).expect("valid routes")
    });
    h.send(get("/hello")).await;
    let (_, event) = h.last_event();
    assert_eq!(event["requestContext"]["operationName"], "GetHello");
    h.send(get("/plain")).await;
    let (_, event) = h.last_event();
    // AWS leaves the key out, not null, when the method has no operation name.
    assert!(event["requestContext"].get("operationName").is_none());
}
