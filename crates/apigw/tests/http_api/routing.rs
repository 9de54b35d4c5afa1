//! Routing: exact, then greedy, then `$default`; unrouted requests in the template's dialect.

use std::collections::BTreeMap;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use sluice_apigw::Apis;
use sluice_template::{HttpApi, HttpIntegration, HttpRoute, PayloadFormat, RestApi, Route};

use crate::*;

#[tokio::test]
async fn routing_priority_exact_then_greedy_then_default() {
    let h = harness(Behaviour::Respond("{}"));
    let rows: &[(&str, &str, &str, &str)] = &[
        ("GET", "/items/special", "Special", "GET /items/special"),
        ("GET", "/items/42", "GetItem", "GET /items/{id}"),
        ("DELETE", "/items/42", "AnyProxy", "ANY /{proxy+}"),
        ("POST", "/files/a/b", "Files", "POST /files/{proxy+}"),
        ("GET", "/files/a/b", "AnyProxy", "ANY /{proxy+}"),
        // `/{proxy+}` needs a segment: the root falls through to `$default`.
        ("GET", "/", "Default", "$default"),
    ];
    for (method, path, function, route_key) in rows {
        let request = request(method, path)
            .body(Full::new(Bytes::new()))
            .expect("static request");
        let (response, _) = h.send(request).await;
        assert_eq!(response.status(), 200, "{method} {path}");
        let (invoked, event) = h.last_event();
        assert_eq!(invoked, *function, "{method} {path}");
        assert_eq!(event["routeKey"], *route_key, "{method} {path}");
        assert_eq!(event["requestContext"]["routeKey"], *route_key);
    }
}

#[tokio::test]
async fn without_a_matching_route_an_http_api_answers_404_not_found() {
    let api = HttpApi {
        routes: vec![route("GET", "/only", "Only")],
        ..http_apis().remove(0)
    };
    let h = serving(
        Behaviour::Respond("{}"),
        Apis {
            http: &[api],
            ..Apis::default()
        },
    );
    let response = h.gateway.handle(get("/nowhere"), remote()).await;
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("apigw-requestid"));
    assert!(!response.headers().contains_key("x-amzn-errortype"));
    let body = response.into_body().collect().await.map(|c| c.to_bytes());
    assert_eq!(&body.unwrap_or_default()[..], br#"{"message":"Not Found"}"#);
    assert_eq!(h.invocations(), 0);
}

#[tokio::test]
async fn a_template_with_a_rest_api_answers_unrouted_requests_as_rest() {
    let rest = RestApi {
        logical_id: "ServerlessRestApi".into(),
        stage_name: "Prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        gateway_responses: Vec::new(),
        resource_policy: None,
        routes: vec![Route {
            method: "GET".into(),
            path: "/rest".into(),
            function: "RestFunction".into(),
            event_name: "Rest".into(),
            ..Default::default()
        }],
    };
    let api = HttpApi {
        routes: vec![route("GET", "/http", "Http")],
        ..http_apis().remove(0)
    };
    let h = serving(
        Behaviour::Respond("{}"),
        Apis {
            rest: &[rest],
            http: &[api],
            function_urls: &[],
        },
    );
    let response = h.gateway.handle(get("/nowhere"), remote()).await;
    assert_eq!(response.status(), 403);
    // Each matched route still answers in its own API's dialect.
    let response = h.gateway.handle(get("/http"), remote()).await;
    assert!(response.headers().contains_key("apigw-requestid"));
    let response = h.gateway.handle(get("/rest"), remote()).await;
    assert!(response.headers().contains_key("x-amzn-requestid"));
}

#[tokio::test]
async fn a_route_whose_integration_is_not_emulated_is_matched_and_answers_500() {
    // AWS serves the route through its integration (here SQS); Sluice matches it and answers
    // HTTP API's 500, where an unrouted path still answers 404.
    let api = HttpApi {
        routes: vec![HttpRoute {
            function: String::new(),
            integration: HttpIntegration::NotEmulated {
                kind: "SQS-SendMessage".into(),
            },
            ..route("POST", "/send", "")
        }],
        ..http_apis().remove(0)
    };
    let h = serving(
        Behaviour::Respond("{}"),
        Apis {
            http: &[api],
            ..Apis::default()
        },
    );
    let request = request("POST", "/send")
        .body(Full::new(Bytes::from_static(b"hello")))
        .expect("static request");
    let (response, body) = h.send(request).await;
    assert_eq!(response.status(), 500);
    assert_eq!(&body[..], br#"{"message":"Internal Server Error"}"#);
    assert!(response.headers().contains_key("apigw-requestid"));
    assert_eq!(h.invocations(), 0);
    let (response, body) = h.send(get("/elsewhere")).await;
    assert_eq!(response.status(), 404);
    assert_eq!(&body[..], br#"{"message":"Not Found"}"#);
}

#[tokio::test]
async fn a_greedy_route_takes_its_bare_prefix_with_a_trailing_slash_as_an_empty_proxy() {
    // AWS HTTP API: `/x/` reaches `ANY /x/{proxy+}` with `proxy` empty, in both payload formats;
    // `/x` (no slash) is not under the greedy resource.
    let api = HttpApi {
        routes: vec![
            HttpRoute {
                payload_format: PayloadFormat::V1,
                ..route("ANY", "/x/{proxy+}", "X")
            },
            route("ANY", "/y/{proxy+}", "Y"),
        ],
        ..http_apis().remove(0)
    };
    let h = serving(
        Behaviour::Respond(r#"{"statusCode":200}"#),
        Apis {
            http: &[api],
            ..Apis::default()
        },
    );
    let (response, _) = h.send(get("/x/")).await;
    assert_eq!(response.status(), 200);
    let (function, event) = h.last_event();
    assert_eq!(function, "X");
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["resource"], "/x/{proxy+}");
    assert_eq!(event["path"], "/x/");
    assert_eq!(event["pathParameters"], serde_json::json!({"proxy": ""}));

    let (response, _) = h.send(get("/y/")).await;
    assert_eq!(response.status(), 200);
    let (function, event) = h.last_event();
    assert_eq!(function, "Y");
    assert_eq!(event["routeKey"], "ANY /y/{proxy+}");
    assert_eq!(event["rawPath"], "/y/");
    assert_eq!(event["pathParameters"], serde_json::json!({"proxy": ""}));

    let (response, _) = h.send(get("/x")).await;
    assert_eq!(response.status(), 404);
}
