//! HTTP APIs and Function URLs through the gateway's public API, with a fake Lambda: routing,
//! the payload 2.0 event (golden, and as `aws_lambda_events` reads it), response inference and
//! the answers AWS gives when things go wrong. One test binary, modules by topic.

mod bad_input;
mod events;
mod function_urls;
mod http_proxy;
mod parameter_mapping;
mod responses;
mod routing;
mod streaming;
#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use sluice_apigw::{Apis, Gateway, GatewayOptions};
use sluice_template::{
    FunctionUrl, FunctionUrlAuth, HttpApi, HttpRoute, InvokeMode, PayloadFormat, RestApi,
};
pub(crate) use support::{remote, Behaviour, Harness};

pub(crate) fn route(method: &str, path: &str, function: &str) -> HttpRoute {
    HttpRoute {
        method: method.into(),
        path: path.into(),
        function: function.into(),
        integration: Default::default(),
        event_name: format!("{function}Event"),
        payload_format: PayloadFormat::V2,
        timeout_ms: 30_000,
        parameter_mapping: Default::default(),
        qualifier: None,
    }
}

pub(crate) fn http_apis() -> Vec<HttpApi> {
    vec![
        HttpApi {
            logical_id: "ServerlessHttpApi".into(),
            stage_name: "$default".into(),
            stage_variables: BTreeMap::new(),
            cors: None,
            routes: vec![
                route("GET", "/items/{id}", "GetItem"),
                route("GET", "/items/special", "Special"),
                route("ANY", "/{proxy+}", "AnyProxy"),
                route("POST", "/files/{proxy+}", "Files"),
                route("ANY", "$default", "Default"),
                HttpRoute {
                    payload_format: PayloadFormat::V1,
                    ..route("GET", "/v1/{name}", "V1Function")
                },
                HttpRoute {
                    timeout_ms: 50,
                    ..route("GET", "/slow", "Slow")
                },
            ],
        },
        HttpApi {
            logical_id: "StagedApi".into(),
            stage_name: "v1".into(),
            stage_variables: BTreeMap::from([("table".to_owned(), "items".to_owned())]),
            cors: None,
            routes: vec![
                route("GET", "/staged", "Staged"),
                HttpRoute {
                    payload_format: PayloadFormat::V1,
                    ..route("GET", "/staged-v1", "StagedV1")
                },
            ],
        },
    ]
}

pub(crate) fn function_urls() -> Vec<FunctionUrl> {
    vec![
        FunctionUrl {
            function: "UrlFunction".into(),
            function_name: "url-fn".into(),
            qualifier: None,
            auth: FunctionUrlAuth::None,
            cors: None,
            invoke_mode: InvokeMode::Buffered,
        },
        FunctionUrl {
            function: "PrivateFunction".into(),
            function_name: "private-fn".into(),
            qualifier: None,
            auth: FunctionUrlAuth::AwsIam,
            cors: None,
            invoke_mode: InvokeMode::Buffered,
        },
    ]
}

/// A gateway serving exactly `apis`, over a fake answering as `behaviour` says.
pub(crate) fn serving(behaviour: Behaviour, apis: Apis<'_>) -> Harness {
    Harness::new(behaviour, |lambda| {
        Gateway::serving(apis, lambda, GatewayOptions::default()).expect("valid routes")
    })
}

pub(crate) fn harness_for(behaviour: Behaviour, rest: &[RestApi]) -> Harness {
    serving(
        behaviour,
        Apis {
            rest,
            http: &http_apis(),
            function_urls: &function_urls(),
        },
    )
}

pub(crate) fn harness(behaviour: Behaviour) -> Harness {
    harness_for(behaviour, &[])
}

pub(crate) fn request(method: &str, uri: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost:3000")
}

pub(crate) fn get(uri: &str) -> Request<Full<Bytes>> {
    request("GET", uri)
        .body(Full::new(Bytes::new()))
        .expect("static request")
}

pub(crate) fn header<'r>(response: &'r Response<()>, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}
