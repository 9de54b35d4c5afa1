//! HTTP API parameter mapping: an integration's `RequestParameters` rewrite the request the event
//! is built from; its `ResponseParameters` rewrite the answer for the status the function gave.

use super::*;
use sluice_template::{
    MapAction, MapTarget, MappingValue, ParameterMap, ParameterMapping, ResponseMapping, ValuePart,
};

fn map(action: MapAction, target: MapTarget, value: Vec<ValuePart>) -> ParameterMap {
    ParameterMap {
        action,
        target,
        value: MappingValue(value),
    }
}

fn header(name: &str) -> MapTarget {
    MapTarget::Header(name.into())
}

fn mapped(mapping: ParameterMapping, answer: &'static str) -> Harness {
    mapped_route(PayloadFormat::V2, mapping, answer)
}

/// [`mapped`] for a route of payload `format`, answering 200.
fn mapped_as(format: PayloadFormat, mapping: ParameterMapping) -> Harness {
    mapped_route(format, mapping, r#"{"statusCode":200,"body":"ok"}"#)
}

fn mapped_route(format: PayloadFormat, mapping: ParameterMapping, answer: &'static str) -> Harness {
    let api = HttpApi {
        stage_variables: BTreeMap::from([("env".to_owned(), "dev".to_owned())]),
        routes: vec![HttpRoute {
            parameter_mapping: mapping,
            payload_format: format,
            ..route("POST", "/pets/{petId}", "Pets")
        }],
        ..http_apis().remove(0)
    };
    serving(
        Behaviour::Respond(answer),
        Apis {
            http: &[api],
            ..Apis::default()
        },
    )
}

#[tokio::test]
async fn request_parameters_rewrite_headers_and_query_strings_before_the_event() {
    let h = mapped(
        ParameterMapping {
            request: vec![
                map(
                    MapAction::Overwrite,
                    header("x-pet"),
                    vec![
                        ValuePart::Text("pet-".into()),
                        ValuePart::RequestPathParameter("petId".into()),
                    ],
                ),
                map(
                    MapAction::Append,
                    header("x-tags"),
                    vec![ValuePart::RequestBody("$.tag".into())],
                ),
                map(MapAction::Remove, header("x-secret"), vec![]),
                map(
                    MapAction::Overwrite,
                    MapTarget::QueryString("env".into()),
                    vec![ValuePart::StageVariable("env".into())],
                ),
                map(
                    MapAction::Append,
                    MapTarget::QueryString("from".into()),
                    vec![ValuePart::RequestHeader("x-secret".into())],
                ),
                map(
                    MapAction::Remove,
                    MapTarget::QueryString("drop".into()),
                    vec![],
                ),
                // A source with no value: the map is skipped.
                map(
                    MapAction::Overwrite,
                    header("x-missing"),
                    vec![ValuePart::RequestHeader("x-absent".into())],
                ),
            ],
            response: Vec::new(),
        },
        r#"{"statusCode":200,"body":"ok"}"#,
    );
    let request = request("POST", "/pets/7?env=prod&drop=1&keep=a%20b")
        .header("x-tags", "a")
        .header("x-secret", "s3 cret")
        .body(Full::new(Bytes::from_static(br#"{"tag":"fluffy"}"#)))
        .expect("static request");
    let (response, _) = h.send(request).await;
    assert_eq!(response.status(), 200);
    let (_, event) = h.last_event();
    assert_eq!(event["headers"]["x-pet"], "pet-7");
    assert_eq!(event["headers"]["x-tags"], "a,fluffy");
    assert!(event["headers"].get("x-secret").is_none(), "{event:#}");
    assert!(event["headers"].get("x-missing").is_none(), "{event:#}");
    assert_eq!(event["rawQueryString"], "keep=a%20b&env=dev&from=s3%20cret");
    assert_eq!(
        event["queryStringParameters"],
        serde_json::json!({"keep": "a b", "env": "dev", "from": "s3 cret"})
    );
}

#[tokio::test]
async fn response_parameters_for_the_answered_status_rewrite_status_and_headers() {
    let mapping = ParameterMapping {
        request: Vec::new(),
        response: vec![
            ResponseMapping {
                status: 404,
                maps: vec![map(
                    MapAction::Overwrite,
                    header("x-never"),
                    vec![ValuePart::Text("no".into())],
                )],
            },
            ResponseMapping {
                status: 500,
                maps: vec![
                    map(
                        MapAction::Overwrite,
                        MapTarget::StatusCode,
                        vec![ValuePart::Text("403".into())],
                    ),
                    map(
                        MapAction::Append,
                        header("x-reason"),
                        vec![ValuePart::ResponseBody("$.error.code".into())],
                    ),
                    map(
                        MapAction::Overwrite,
                        header("x-route"),
                        vec![
                            ValuePart::Context("routeKey".into()),
                            ValuePart::Text(" / ".into()),
                            ValuePart::ResponseHeader("x-from-function".into()),
                        ],
                    ),
                    map(MapAction::Remove, header("x-internal"), vec![]),
                ],
            },
        ],
    };
    let h = mapped(
        mapping,
        r#"{"statusCode":500,"headers":{"x-from-function":"fn","x-internal":"1","x-reason":"first"},"body":"{\"error\":{\"code\":\"E42\"}}"}"#,
    );
    let request = request("POST", "/pets/7")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    let (response, body) = h.send(request).await;
    assert_eq!(response.status(), 403);
    let reasons: Vec<_> = response.headers().get_all("x-reason").iter().collect();
    assert_eq!(reasons, ["first", "E42"]);
    assert_eq!(response.headers()["x-route"], "POST /pets/{petId} / fn");
    assert!(!response.headers().contains_key("x-internal"));
    assert!(!response.headers().contains_key("x-never"));
    assert!(response.headers().contains_key("apigw-requestid"));
    assert_eq!(&body[..], br#"{"error":{"code":"E42"}}"#);
}

#[tokio::test]
async fn a_status_without_response_parameters_is_left_as_answered() {
    let mapping = ParameterMapping {
        request: Vec::new(),
        response: vec![ResponseMapping {
            status: 500,
            maps: vec![map(
                MapAction::Overwrite,
                MapTarget::StatusCode,
                vec![ValuePart::Text("403".into())],
            )],
        }],
    };
    let h = mapped(mapping, r#"{"statusCode":201,"body":"made"}"#);
    let request = request("POST", "/pets/7")
        .body(Full::new(Bytes::new()))
        .expect("static request");
    let (response, body) = h.send(request).await;
    assert_eq!(response.status(), 201);
    assert_eq!(&body[..], b"made");
}

#[tokio::test]
async fn overwrite_path_is_the_path_the_event_carries_while_its_context_keeps_the_clients() {
    for format in [PayloadFormat::V2, PayloadFormat::V1] {
        let overwrite = |value: Vec<ValuePart>| ParameterMapping {
            request: vec![map(MapAction::Overwrite, MapTarget::Path, value)],
            response: Vec::new(),
        };
        let h = mapped_as(
            format,
            overwrite(vec![ValuePart::Text("/v2".into()), ValuePart::RequestPath]),
        );
        let sent = request("POST", "/pets/7?x=1")
            .body(Full::new(Bytes::new()))
            .expect("static request");
        let (response, _) = h.send(sent).await;
        assert_eq!(response.status(), 200, "{format:?}");
        let (_, event) = h.last_event();
        match format {
            PayloadFormat::V2 => {
                assert_eq!(event["rawPath"], "/v2/pets/7");
                assert_eq!(event["requestContext"]["http"]["path"], "/pets/7");
                assert_eq!(event["routeKey"], "POST /pets/{petId}");
            }
            PayloadFormat::V1 => {
                assert_eq!(event["path"], "/v2/pets/7");
                assert_eq!(event["requestContext"]["path"], "/pets/7");
                assert_eq!(event["resource"], "/pets/{petId}");
            }
        }
        assert_eq!(event["pathParameters"]["petId"], "7", "{format:?}");

        // A value whose every reference is missing leaves the path as the client sent it.
        let h = mapped_as(
            format,
            overwrite(vec![ValuePart::RequestHeader("x-absent".into())]),
        );
        let sent = request("POST", "/pets/7")
            .body(Full::new(Bytes::new()))
            .expect("static request");
        h.send(sent).await;
        let (_, event) = h.last_event();
        let path = match format {
            PayloadFormat::V2 => &event["rawPath"],
            PayloadFormat::V1 => &event["path"],
        };
        assert_eq!(path, "/pets/7", "{format:?}");
    }
}
