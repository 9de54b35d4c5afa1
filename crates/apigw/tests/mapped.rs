//! Non-proxy REST integrations (Lambda custom, DynamoDB actions, HTTP endpoints, MOCK,
//! unsupported types) and request validation, through the gateway's public API with a fake Lambda
//! that counts its invocations, a fake DynamoDB and a fake HTTP endpoint that record their calls.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use sluice_apigw::{
    CallHttp, CallService, EventFuture, Gateway, GatewayOptions, HttpAnswer, HttpCallError,
    HttpFuture, Invoke, InvokeError, InvokeFuture, ServiceAnswer, ServiceFuture,
};
use sluice_template::{
    Integration, IntegrationResponse, Mapping, Passthrough, RequestValidation, RestApi, Route,
};

/// Answers `{"greeting": "Hello, <name>"}`, or fails with `Bad name: <name>` for names starting
/// with `x`; records each payload.
struct FakeLambda {
    seen: Mutex<Vec<Bytes>>,
}

impl Invoke for FakeLambda {
    fn invoke<'a>(
        &'a self,
        _function: &'a str,
        payload: Bytes,
        _: Option<&'a str>,
    ) -> InvokeFuture<'a> {
        Box::pin(async move {
            if let Ok(mut seen) = self.seen.lock() {
                seen.push(payload.clone());
            }
            let event: Value = serde_json::from_slice(&payload).unwrap_or(Value::Null);
            let name = event["name"].as_str().unwrap_or("nobody").to_owned();
            if name.starts_with('x') {
                let error =
                    json!({"errorMessage": format!("Bad name: {name}"), "errorType": "ValueError"});
                return Err(InvokeError::Function {
                    payload: Bytes::from(error.to_string()),
                });
            }
            Ok(Bytes::from(
                json!({"greeting": format!("Hello, {name}")}).to_string(),
            ))
        })
    }

    /// Queues every `Event` invocation (recording its payload), as Lambda accepts one with 202.
    fn invoke_event<'a>(
        &'a self,
        _function: &'a str,
        payload: Bytes,
        _: Option<&'a str>,
    ) -> EventFuture<'a> {
        Box::pin(async move {
            if let Ok(mut seen) = self.seen.lock() {
                seen.push(payload);
            }
            Ok(())
        })
    }
}

/// Answers `GetItem` with the item the key names, and a table named `missing` with DynamoDB's
/// 400; records each (action, input).
struct FakeDynamoDb {
    calls: Mutex<Vec<(String, Value)>>,
}

impl CallService for FakeDynamoDb {
    fn dynamodb<'a>(&'a self, action: &'a str, input: Bytes) -> ServiceFuture<'a> {
        Box::pin(async move {
            let input: Value = serde_json::from_slice(&input).unwrap_or(Value::Null);
            if let Ok(mut calls) = self.calls.lock() {
                calls.push((action.to_owned(), input.clone()));
            }
            let (status, body) = if input["TableName"] == "missing" {
                (
                    400,
                    json!({"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                           "message": "Requested resource not found"}),
                )
            } else {
                (200, json!({"Item": input["Key"]}))
            };
            ServiceAnswer {
                status,
                body: Bytes::from(body.to_string()),
            }
        })
    }
}

/// An HTTP endpoint at `backend.example`: `/items/<id>` answers 200 with the id and the headers it
/// got (`/items/gone` answers 404); any other host cannot be reached. Records each request.
struct FakeEndpoint {
    requests: Mutex<Vec<Sent>>,
}

/// One request an endpoint got: method, URI, headers, body.
type Sent = (String, String, Vec<(String, String)>, Bytes);

impl CallHttp for FakeEndpoint {
    fn send(&self, request: Request<Bytes>) -> HttpFuture<'_> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let headers: Vec<(String, String)> = parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
                .collect();
            if let Ok(mut requests) = self.requests.lock() {
                requests.push((
                    parts.method.to_string(),
                    parts.uri.to_string(),
                    headers.clone(),
                    body,
                ));
            }
            if parts.uri.host() != Some("backend.example") {
                return Err(HttpCallError::Unreachable("connection refused".into()));
            }
            let id = parts.uri.path().trim_start_matches("/items/").to_owned();
            let (status, body) = if id == "gone" {
                (404, json!({"error": "no such item"}))
            } else {
                (
                    200,
                    json!({"id": id, "got": headers.into_iter().collect::<BTreeMap<_, _>>()}),
                )
            };
            Ok(HttpAnswer {
                status,
                headers: vec![("X-Backend".into(), "fake".into())],
                body: Bytes::from(body.to_string()),
            })
        })
    }
}

/// `GET https://backend.example/items/{id}` with the path's id, a header the request template
/// overrides (serverless-patterns apigw-lambda-authorizer-custom-header) and the endpoint's 404
/// selecting a response of its own.
fn http_integration(host: &str) -> Integration {
    Integration::Http {
        method: "GET".into(),
        uri: format!("https://{host}/items/{{id}}"),
        mapping: Mapping {
            request_templates: templates(&[(
                "application/json",
                r#"#set($context.requestOverride.header.enrichmentHeader = "from $context.stage")"#,
            )]),
            passthrough: Passthrough::WhenNoTemplates,
            responses: vec![
                IntegrationResponse {
                    selection_pattern: None,
                    status_code: 200,
                    response_templates: BTreeMap::new(),
                    content_handling: Default::default(),
                    response_parameters: [(
                        "method.response.header.X-Backend".to_owned(),
                        "integration.response.header.X-Backend".to_owned(),
                    )]
                    .into(),
                },
                IntegrationResponse {
                    selection_pattern: Some("404".into()),
                    status_code: 404,
                    response_templates: templates(&[(
                        "application/json",
                        r#"{"missing": "$input.path('$.error')"}"#,
                    )]),
                    content_handling: Default::default(),
                    response_parameters: BTreeMap::new(),
                },
            ],
            content_handling: Default::default(),
            request_parameters: [(
                "integration.request.path.id".to_owned(),
                "method.request.path.id".to_owned(),
            )]
            .into(),
        },
    }
}

/// `GetItem` on the table and key the path names; a 4xx answer selects the 404 response.
fn dynamodb_mapping() -> Mapping {
    Mapping {
        request_templates: templates(&[(
            "application/json",
            r#"{"TableName": "$input.params('table')", "Key": {"id": {"S": "$input.params('id')"}}}"#,
        )]),
        passthrough: Passthrough::WhenNoTemplates,
        responses: vec![
            IntegrationResponse {
                selection_pattern: None,
                status_code: 200,
                response_templates: templates(&[(
                    "application/json",
                    r#"{"id": "$input.path('$.Item.id.S')"}"#,
                )]),
                content_handling: Default::default(),
                response_parameters: BTreeMap::new(),
            },
            IntegrationResponse {
                selection_pattern: Some(r"4\d{2}".into()),
                status_code: 404,
                response_templates: templates(&[(
                    "application/json",
                    r#"{"error": "$input.path('$.message')"}"#,
                )]),
                content_handling: Default::default(),
                response_parameters: BTreeMap::new(),
            },
        ],
        content_handling: Default::default(),
        request_parameters: BTreeMap::new(),
    }
}

fn templates(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn lambda_mapping(passthrough: Passthrough) -> Mapping {
    Mapping {
        request_templates: templates(&[(
            "application/json",
            r#"{"name": $input.json('$.name'), "stage": "$context.stage", "q": "$input.params('q')"}"#,
        )]),
        passthrough,
        responses: vec![
            IntegrationResponse {
                selection_pattern: None,
                status_code: 200,
                response_templates: templates(&[(
                    "application/json",
                    r#"{"message": "$input.path('$.greeting')"}"#,
                )]),
                content_handling: Default::default(),
                response_parameters: [
                    ("method.response.header.X-Mapped", "'yes'"),
                    ("method.response.header.WWW-Authenticate", "'Basic'"),
                    ("method.response.header.Server", "'custom'"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
            },
            IntegrationResponse {
                selection_pattern: Some("Bad name: .*".into()),
                status_code: 400,
                response_templates: templates(&[(
                    "application/json",
                    r#"{"error": "$util.escapeJavaScript($input.path('$.errorMessage'))"}"#,
                )]),
                content_handling: Default::default(),
                response_parameters: BTreeMap::new(),
            },
        ],
        content_handling: Default::default(),
        request_parameters: BTreeMap::new(),
    }
}

fn route(method: &str, path: &str, integration: Integration) -> Route {
    Route {
        method: method.into(),
        path: path.into(),
        function: "Fn".into(),
        event_name: format!("{method} {path}"),
        integration,
        ..Route::default()
    }
}

fn api() -> RestApi {
    let mock = Mapping {
        request_templates: templates(&[(
            "application/json",
            r#"#if($input.params('missing') == "yes"){"statusCode": 404}#else{"statusCode": 200}#end"#,
        )]),
        passthrough: Passthrough::WhenNoMatch,
        responses: vec![
            IntegrationResponse {
                selection_pattern: None,
                status_code: 200,
                response_templates: templates(&[(
                    "application/json",
                    r##"{"mocked": true, "id": "$input.params('id')"}#if($input.params('id') == "teapot")#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Brew = "no")#end"##,
                )]),
                content_handling: Default::default(),
                response_parameters: [
                    ("method.response.header.WWW-Authenticate", "'Basic'"),
                    ("method.response.header.Server", "'mock'"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
            },
            IntegrationResponse {
                selection_pattern: Some("404".into()),
                status_code: 404,
                response_templates: templates(&[("application/json", r#"{"mocked": "missing"}"#)]),
                content_handling: Default::default(),
                response_parameters: [(
                    "method.response.header.Content-Type".to_owned(),
                    "'application/problem+json'".to_owned(),
                )]
                .into(),
            },
        ],
        content_handling: Default::default(),
        request_parameters: BTreeMap::new(),
    };
    // A MOCK passing data from its request template to its response template through
    // `$context.requestOverride` (the path override is otherwise unused by MOCK).
    let carry = Mapping {
        request_templates: templates(&[(
            "application/json",
            "#set($context.requestOverride.path.note = $util.base64Decode($input.params('code')))\n{\"statusCode\": 200}",
        )]),
        passthrough: Passthrough::WhenNoMatch,
        responses: vec![IntegrationResponse {
            selection_pattern: None,
            status_code: 200,
            response_templates: templates(&[(
                "application/json",
                r#"#set($note = $util.parseJson($context.requestOverride.path.note))
#if($note.kind == "one")
{"answer": "first"}
#elseif($note.kind == "two")
{"answer": "second"}
#else
{"answer": "other"}
#end"#,
            )]),
            content_handling: Default::default(),
            response_parameters: BTreeMap::new(),
        }],
        content_handling: Default::default(),
        request_parameters: BTreeMap::new(),
    };
    let mut carry_route = route("GET", "/carry/{code}", Integration::Mock(carry));
    carry_route.function.clear();
    // A MOCK without request templates: the client's body is what it reads `statusCode` from.
    let raw = Mapping {
        request_templates: BTreeMap::new(),
        passthrough: Passthrough::WhenNoMatch,
        responses: vec![
            IntegrationResponse {
                selection_pattern: None,
                status_code: 200,
                response_templates: templates(&[("application/json", r#"{"raw": true}"#)]),
                content_handling: Default::default(),
                response_parameters: BTreeMap::new(),
            },
            IntegrationResponse {
                selection_pattern: Some("20[1-9]".into()),
                status_code: 201,
                response_templates: BTreeMap::new(),
                content_handling: Default::default(),
                response_parameters: BTreeMap::new(),
            },
        ],
        content_handling: Default::default(),
        request_parameters: BTreeMap::new(),
    };
    let mut raw_route = route("POST", "/mock-raw", Integration::Mock(raw));
    raw_route.function.clear();
    let mut validated = route("POST", "/users", Integration::LambdaProxy);
    validated.validation = Some(RequestValidation {
        body_schema: Some(json!({
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1}, "age": {"type": "integer"}},
        })),
        body_content_type: "application/json".into(),
        required_parameters: vec![
            "method.request.querystring.tag".into(),
            "method.request.header.X-Team".into(),
        ],
    });
    let mut mock_route = route("GET", "/mock/{id}", Integration::Mock(mock));
    mock_route.function.clear();
    let mut dynamodb_route = route(
        "GET",
        "/tables/{table}/items/{id}",
        Integration::DynamoDb {
            action: "GetItem".into(),
            mapping: dynamodb_mapping(),
        },
    );
    dynamodb_route.function.clear();
    RestApi {
        logical_id: "Api".into(),
        stage_name: "prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        routes: vec![
            route(
                "POST",
                "/hello",
                Integration::Lambda(lambda_mapping(Passthrough::WhenNoMatch)),
            ),
            route(
                "POST",
                "/strict",
                Integration::Lambda(lambda_mapping(Passthrough::WhenNoTemplates)),
            ),
            route(
                "POST",
                "/never",
                Integration::Lambda(lambda_mapping(Passthrough::Never)),
            ),
            // An asynchronous invocation: the integration request's `X-Amz-Invocation-Type`.
            route(
                "POST",
                "/later",
                Integration::Lambda(Mapping {
                    request_parameters: [(
                        "integration.request.header.X-Amz-Invocation-Type".to_owned(),
                        "'Event'".to_owned(),
                    )]
                    .into(),
                    ..lambda_mapping(Passthrough::WhenNoMatch)
                }),
            ),
            mock_route,
            carry_route,
            raw_route,
            dynamodb_route,
            route("GET", "/remote/{id}", http_integration("backend.example")),
            route("GET", "/nowhere/{id}", http_integration("down.example")),
            route(
                "GET",
                "/pets",
                Integration::Unsupported {
                    kind: "HTTP_PROXY over VPC_LINK".into(),
                },
            ),
            validated,
        ],
        gateway_responses: Vec::new(),
        resource_policy: None,
    }
}

struct Harness {
    gateway: Gateway,
    lambda: Arc<FakeLambda>,
    dynamodb: Arc<FakeDynamoDb>,
    endpoint: Arc<FakeEndpoint>,
}

fn harness() -> Harness {
    let h = harness_without_services();
    let gateway = h
        .gateway
        .with_services(h.dynamodb.clone())
        .with_http(h.endpoint.clone());
    Harness { gateway, ..h }
}

/// A gateway nobody gave a DynamoDB to (as in tests and embedders that serve only Lambda).
fn harness_without_services() -> Harness {
    let lambda = Arc::new(FakeLambda {
        seen: Mutex::new(Vec::new()),
    });
    let dynamodb = Arc::new(FakeDynamoDb {
        calls: Mutex::new(Vec::new()),
    });
    let endpoint = Arc::new(FakeEndpoint {
        requests: Mutex::new(Vec::new()),
    });
    let gateway =
        Gateway::new(&[api()], lambda.clone(), GatewayOptions::default()).expect("valid routes");
    Harness {
        gateway,
        lambda,
        dynamodb,
        endpoint,
    }
}

/// Status, headers and body of one response.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Harness {
    async fn send(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("valid request");
        let response = self
            .gateway
            .handle(request, "192.0.2.7:5000".parse().expect("address"))
            .await;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    fn invocations(&self) -> Vec<Value> {
        self.lambda
            .seen
            .lock()
            .map(|seen| {
                seen.iter()
                    .map(|p| serde_json::from_slice(p).unwrap_or(Value::Null))
                    .collect()
            })
            .unwrap_or_default()
    }
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn lambda_custom_integration_maps_request_and_response() {
    let h = harness();
    let answer = h
        .send("POST", "/hello?q=search", &[JSON], r#"{"name": "Ann"}"#)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        serde_json::from_str::<Value>(&answer.body).ok(),
        Some(json!({"message": "Hello, Ann"}))
    );
    assert_eq!(answer.headers["x-mapped"], "yes");
    assert_eq!(answer.headers["content-type"], "application/json");
    assert!(answer.headers.contains_key("x-amzn-requestid"));
    // The function got the mapped payload, not the proxy event.
    assert_eq!(
        h.invocations(),
        vec![json!({"name": "Ann", "stage": "prod", "q": "search"})]
    );
}

#[tokio::test]
async fn function_errors_select_integration_responses_by_pattern() {
    let h = harness();
    let answer = h
        .send("POST", "/hello", &[JSON], r#"{"name": "xavier"}"#)
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(
        serde_json::from_str::<Value>(&answer.body).ok(),
        Some(json!({"error": "Bad name: xavier"}))
    );
    assert_eq!(h.invocations().len(), 1);
}

#[tokio::test]
async fn passthrough_behaviours() {
    let h = harness();
    let text = ("content-type", "text/plain");
    // WHEN_NO_MATCH: an unmapped content type passes through untouched.
    let answer = h
        .send("POST", "/hello", &[text], r#"{"name": "raw"}"#)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(h.invocations().last(), Some(&json!({"name": "raw"})));
    // WHEN_NO_TEMPLATES with templates, and NEVER: 415 without invoking.
    for path in ["/strict", "/never"] {
        let answer = h.send("POST", path, &[text], "x").await;
        assert_eq!(answer.status, 415, "{path}: {}", answer.body);
        assert_eq!(answer.body, r#"{"message":"Unsupported Media Type"}"#);
        assert_eq!(
            answer.headers["x-amzn-errortype"],
            "UnsupportedMediaTypeException"
        );
    }
    assert_eq!(h.invocations().len(), 1);
    // No Content-Type is application/json, which has a template.
    let answer = h.send("POST", "/never", &[], r#"{"name": "Bo"}"#).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(h.invocations().len(), 2);
}

#[tokio::test]
async fn mock_integration_answers_from_its_templates() {
    let h = harness();
    let answer = h.send("GET", "/mock/42", &[], "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        serde_json::from_str::<Value>(&answer.body).ok(),
        Some(json!({"mocked": true, "id": "42"}))
    );
    let answer = h.send("GET", "/mock/42?missing=yes", &[], "").await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    assert_eq!(answer.body, r#"{"mocked": "missing"}"#);
    // A mapped Content-Type replaces the template's, as AWS sends one (LocalStack's AWS-validated
    // `test_apigateway_header_remapping_aws[AWS]`: `Content-Type: response_param_Content-Type`).
    let types: Vec<_> = answer.headers.get_all("content-type").iter().collect();
    assert_eq!(types, ["application/problem+json"]);
    // AWS: a response template's `$context.responseOverride` sets the status and headers.
    let answer = h.send("GET", "/mock/teapot", &[], "").await;
    assert_eq!(answer.status, 418, "{}", answer.body);
    assert_eq!(answer.headers["x-brew"], "no");
    assert!(
        answer
            .body
            .starts_with(r#"{"mocked": true, "id": "teapot"}"#),
        "{}",
        answer.body
    );
    assert!(h.invocations().is_empty());
}

/// AWS adds its `X-Amzn-Trace-Id` to what a backend answered through a Lambda or HTTP
/// integration (LocalStack's AWS-validated `test_apigateway_header_remapping_aws[AWS]` and
/// `_http[HTTP]` list it), not to a MOCK's answer, with or without a client trace
/// (`test_invocation_trace_id`: `normal-req-headers-MOCK`, `trace-id-req-headers-MOCK`), nor to its
/// own errors (a mapping failure's 500 in the remapping recordings). Its request ids are on all.
#[tokio::test]
async fn the_trace_id_comes_with_a_backends_answer_only() {
    let h = harness();
    let client_trace = (
        "x-amzn-trace-id",
        "Root=1-3152b799-8954dae64eda91bc9a23a7e8",
    );
    for headers in [&[][..], &[client_trace][..]] {
        let answer = h.send("GET", "/mock/42", headers, "").await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(
            !answer.headers.contains_key("x-amzn-trace-id"),
            "{:?}",
            answer.headers
        );
        assert!(answer.headers.contains_key("x-amzn-requestid"));
        assert!(answer.headers.contains_key("x-amz-apigw-id"));
    }
    let lambda = h
        .send("POST", "/hello", &[JSON], r#"{"name": "Ann"}"#)
        .await;
    let http = h.send("GET", "/remote/7", &[], "").await;
    for answer in [&lambda, &http] {
        assert_eq!(answer.status, 200, "{}", answer.body);
        let trace = answer.headers["x-amzn-trace-id"].to_str().unwrap_or("");
        assert!(trace.starts_with("Root=1-"), "{trace}");
    }
    let failed = h.send("GET", "/nowhere/7", &[], "").await;
    assert_eq!(failed.status, 500, "{}", failed.body);
    assert!(!failed.headers.contains_key("x-amzn-trace-id"));
    assert!(failed.headers.contains_key("x-amzn-requestid"));
}

/// AWS shows the request template's `$context.requestOverride` to the response template
/// (LocalStack's AWS-validated `test_integration_mock_with_request_overrides_in_response_template`:
/// a MOCK's request template stores a decoded path parameter there, its response template branches
/// on it).
#[tokio::test]
async fn request_overrides_reach_the_response_template() {
    use base64::Engine as _;
    let h = harness();
    for (kind, expected) in [("one", "first"), ("two", "second"), ("three", "other")] {
        let code =
            base64::engine::general_purpose::STANDARD.encode(format!(r#"{{"kind": "{kind}"}}"#));
        let answer = h.send("GET", &format!("/carry/{code}"), &[], "").await;
        assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
        assert_eq!(
            serde_json::from_str::<Value>(&answer.body).ok(),
            Some(json!({"answer": expected})),
            "{kind}: {}",
            answer.body
        );
    }
}

/// AWS reads a MOCK's `statusCode` as an integer, also from CDK's not-quite-JSON
/// `{statusCode: 201}` (localstack#11967), and answers 500 when there is none or it is a string
/// (aws-cdk#5997: "statusCode should be a number"; CDK's template-less MOCK: "Unable to parse
/// statusCode").
#[tokio::test]
async fn mock_integrations_need_an_integer_status_code() {
    let h = harness();
    for body in [r#"{"statusCode": 201}"#, "{statusCode: 201}"] {
        let answer = h.send("POST", "/mock-raw", &[JSON], body).await;
        assert_eq!(answer.status, 201, "{body}: {}", answer.body);
    }
    let answer = h
        .send("POST", "/mock-raw", &[JSON], r#"{"statusCode": 200}"#)
        .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"raw": true}"#)
    );
    for body in [r#"{"statusCode": "200"}"#, r#"{"other": 1}"#, ""] {
        let answer = h.send("POST", "/mock-raw", &[JSON], body).await;
        assert_eq!(answer.status, 500, "{body:?}: {}", answer.body);
        assert_eq!(answer.body, r#"{"message": "Internal server error"}"#);
    }
    assert!(h.invocations().is_empty());
}

/// LocalStack's AWS-validated header rules: after the integration response's mappings, an AWS
/// (Lambda custom, DynamoDB) integration's `WWW-Authenticate` and `Server` reach the client as
/// `x-amzn-Remapped-…`; MOCK remaps only the common four (`Server` among them).
#[tokio::test]
async fn mapped_response_headers_are_remapped_by_integration_type() {
    let h = harness();
    let custom = h.send("POST", "/hello", &[JSON], r#"{"name":"Ana"}"#).await;
    assert_eq!(custom.status, 200, "{}", custom.body);
    assert_eq!(custom.headers["x-mapped"], "yes");
    assert_eq!(custom.headers["x-amzn-remapped-www-authenticate"], "Basic");
    assert_eq!(custom.headers["x-amzn-remapped-server"], "custom");
    assert!(!custom.headers.contains_key("www-authenticate"));
    assert!(!custom.headers.contains_key("server"));

    let mock = h.send("GET", "/mock/42", &[], "").await;
    assert_eq!(mock.status, 200, "{}", mock.body);
    assert_eq!(mock.headers["www-authenticate"], "Basic");
    assert_eq!(mock.headers["x-amzn-remapped-server"], "mock");
    assert!(!mock.headers.contains_key("server"));
}

#[tokio::test]
async fn dynamodb_actions_get_the_mapped_input_and_their_status_selects_the_response() {
    let h = harness();
    let found = h.send("GET", "/tables/Items/items/7", &[], "").await;
    assert_eq!((found.status, found.body.as_str()), (200, r#"{"id": "7"}"#));
    // DynamoDB's 400 is an answer, not a gateway error: the 4\d{2} response maps it.
    let missing = h.send("GET", "/tables/missing/items/7", &[], "").await;
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (404, r#"{"error": "Requested resource not found"}"#)
    );
    let calls = h
        .dynamodb
        .calls
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    assert_eq!(
        calls,
        vec![
            (
                "GetItem".to_owned(),
                json!({"TableName": "Items", "Key": {"id": {"S": "7"}}})
            ),
            (
                "GetItem".to_owned(),
                json!({"TableName": "missing", "Key": {"id": {"S": "7"}}})
            ),
        ]
    );
    assert!(h.invocations().is_empty());

    // Without a DynamoDB to call, the route fails as an unemulated integration does.
    let bare = harness_without_services();
    let answer = bare.send("GET", "/tables/Items/items/7", &[], "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (500, r#"{"message": "Internal server error"}"#)
    );
}

#[tokio::test]
async fn http_integrations_send_the_mapped_request_and_map_the_endpoints_answer() {
    let h = harness();
    let found = h.send("GET", "/remote/7", &[], "ignored").await;
    assert_eq!(found.status, 200, "{}", found.body);
    // No response template: the endpoint's body passes through; its header maps.
    let body: Value = serde_json::from_str(&found.body).expect("the endpoint's JSON");
    assert_eq!(body["id"], "7");
    assert_eq!(body["got"]["enrichmentheader"], "from prod");
    assert!(
        body["got"]["user-agent"]
            .as_str()
            .is_some_and(|ua| ua.starts_with("AmazonAPIGateway_")),
        "{body}"
    );
    assert_eq!(found.headers["x-backend"], "fake");
    // The endpoint's 404 selects the 404 response and its template.
    let gone = h.send("GET", "/remote/gone", &[], "").await;
    assert_eq!(
        (gone.status, gone.body.as_str()),
        (404, r#"{"missing": "no such item"}"#)
    );
    let requests = h
        .endpoint
        .requests
        .lock()
        .map(|r| r.clone())
        .unwrap_or_default();
    let (method, uri, _, body) = &requests[0];
    assert_eq!(
        (method.as_str(), uri.as_str()),
        ("GET", "https://backend.example/items/7")
    );
    assert!(body.is_empty(), "a GET carries no body");
    assert!(h.invocations().is_empty());

    // An endpoint that cannot be reached is AWS's configuration error.
    let down = h.send("GET", "/nowhere/7", &[], "").await;
    assert_eq!(
        (down.status, down.body.as_str()),
        (500, r#"{"message": "Internal server error"}"#)
    );
    // A gateway nobody gave an HTTP client answers as for an unemulated integration.
    let bare = harness_without_services();
    let answer = bare.send("GET", "/remote/7", &[], "").await;
    assert_eq!(answer.status, 500);
}

#[tokio::test]
async fn unsupported_integrations_answer_500() {
    let h = harness();
    let answer = h.send("GET", "/pets", &[], "").await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.body, r#"{"message": "Internal server error"}"#);
    assert_eq!(
        answer.headers["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    assert!(h.invocations().is_empty());
}

#[tokio::test]
async fn request_validation_refuses_without_invoking() {
    let h = harness();
    let team = ("x-team", "core");
    for (uri, headers, body, expected) in [
        (
            "/users",
            vec![JSON],
            r#"{"name": "a"}"#,
            r#"{"message":"Missing required request parameters: [X-Team, tag]"}"#,
        ),
        (
            "/users?tag=",
            vec![JSON, team],
            r#"{"name": "a"}"#,
            r#"{"message":"Missing required request parameters: [tag]"}"#,
        ),
        (
            "/users?tag=t",
            vec![JSON, ("x-team", " ")],
            r#"{"name": "a"}"#,
            r#"{"message":"Missing required request parameters: [X-Team]"}"#,
        ),
        (
            "/users?tag=t",
            vec![JSON, team],
            r#"{"age": 3}"#,
            r#"{"message":"Invalid request body"}"#,
        ),
        (
            "/users?tag=t",
            vec![JSON, team],
            r#"{"name": "a", "age": "old"}"#,
            r#"{"message":"Invalid request body"}"#,
        ),
        (
            "/users?tag=t",
            vec![JSON, team],
            "not json",
            r#"{"message":"Invalid request body"}"#,
        ),
        (
            "/users?tag=t",
            vec![JSON, team],
            "",
            r#"{"message":"Invalid request body"}"#,
        ),
    ] {
        let answer = h.send("POST", uri, &headers, body).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (400, expected),
            "{uri} {body}"
        );
        assert_eq!(answer.headers["x-amzn-errortype"], "BadRequestException");
    }
    assert!(h.invocations().is_empty());
    // Valid requests reach the function (whose answer is no proxy response: the 502 is the
    // proxy mapper's, after validation passed).
    let answer = h
        .send(
            "POST",
            "/users?tag=t",
            &[JSON, team],
            r#"{"name": "a", "age": 3}"#,
        )
        .await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert_eq!(h.invocations().len(), 1);
    // A body of another content type than the model's is not validated (AWS).
    let answer = h
        .send(
            "POST",
            "/users?tag=t",
            &[("content-type", "text/plain"), team],
            "free text",
        )
        .await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert_eq!(h.invocations().len(), 2);
}

/// Collects the stage access log lines.
#[derive(Default)]
struct StageLines(Mutex<Vec<String>>);

impl sluice_apigw::AccessLog for StageLines {
    fn record(&self, record: &sluice_apigw::AccessRecord) {
        if let (Ok(mut lines), Some(line)) = (self.0.lock(), &record.stage_log) {
            lines.push(line.message.clone());
        }
    }
}

/// [`harness`], its stage logging `format` to the returned lines.
fn logging_harness(format: &str) -> (Harness, Arc<StageLines>) {
    let lines = Arc::new(StageLines::default());
    let h = harness();
    let h = Harness {
        gateway: h
            .gateway
            .with_stage_access_logs(&[sluice_template::StageAccessLog {
                api: "Api".into(),
                log_group: "/access".into(),
                format: format.into(),
            }])
            .with_access_log(lines.clone()),
        ..h
    };
    (h, lines)
}

#[tokio::test]
async fn a_refused_bodys_violations_are_logged_as_a_gateway_response_reads_them() {
    let (h, lines) = logging_harness(
        "$context.requestId $context.status [$context.error.validationErrorString]",
    );
    let team = ("x-team", "core");
    h.send("POST", "/users?tag=t", &[JSON, team], r#"{"age": 3}"#)
        .await;
    h.send("POST", "/users", &[JSON], r#"{"name": "a"}"#).await;
    let lines = lines.0.lock().expect("not poisoned").clone();
    let logged: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once(' ').expect("two words").1)
        .collect();
    // AWS: `$context.error.validationErrorString` is "a string containing a detailed validation
    // error message"; missing parameters have none (their message says it all).
    assert_eq!(
        logged,
        [
            r#"400 [[object has missing required properties (["name"])]]"#,
            "400 [-]"
        ]
    );
}

#[tokio::test]
async fn only_a_lambda_integration_logs_an_integration_request_id() {
    let (h, lines) = logging_harness("$context.requestId $context.integration.requestId");
    h.send("POST", "/hello", &[JSON], r#"{"name": "Ann"}"#)
        .await;
    h.send("GET", "/mock/7", &[], "").await;
    h.send("GET", "/tables/things/items/1", &[], "").await;
    let lines = lines.0.lock().expect("not poisoned").clone();
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once(' ').expect("two words").1)
        .collect();
    // AWS: the id of the Lambda invocation a custom integration made; MOCK and DynamoDB
    // integrations invoke no function.
    assert!(uuid::Uuid::parse_str(ids[0]).is_ok(), "{lines:?}");
    assert_eq!(ids[1..], ["-", "-"], "{lines:?}");
}

/// AWS (access logging variables): `integrationStatus` is the status the integration's endpoint
/// answered, and for a non-proxy integration `integration.status` is the same ("Equivalent to
/// $context.integrationStatus"): Lambda's Invoke answers an `Event` invocation with 202 (Lambda
/// API reference, Invoke: "For asynchronous invocation, Lambda adds events to a queue before
/// sending them to your function. If successful, the response status code is 202"), an HTTP
/// endpoint or DynamoDB with its own status, while the method response's status is the mapped
/// integration response's.
#[tokio::test]
async fn a_mapped_integration_logs_the_status_its_endpoint_answered() {
    let (h, lines) = logging_harness(
        "$context.status $context.integrationStatus $context.integration.integrationStatus $context.integration.status",
    );
    h.send("POST", "/hello", &[JSON], r#"{"name": "Ann"}"#)
        .await;
    h.send("POST", "/later", &[JSON], r#"{"name": "Bob"}"#)
        .await;
    h.send("GET", "/remote/gone", &[], "").await;
    h.send("GET", "/tables/missing/items/1", &[], "").await;
    h.send("GET", "/mock/7?missing=yes", &[], "").await;
    let lines = lines.0.lock().expect("not poisoned").clone();
    assert_eq!(
        lines,
        [
            "200 200 200 200",
            // Queued: Lambda's 202, mapped by the default integration response to 200.
            "200 202 202 202",
            "404 404 404 404",
            // DynamoDB's 400, which the integration maps to the method's 404.
            "404 400 400 400",
            "404 404 404 404",
        ],
        "{lines:?}"
    );
}

/// Collects the execution log lines, without their request id prefix.
#[derive(Default)]
struct ExecutionLines(Mutex<Vec<String>>);

impl sluice_apigw::AccessLog for ExecutionLines {
    fn record(&self, record: &sluice_apigw::AccessRecord) {
        if let (Ok(mut lines), Some(log)) = (self.0.lock(), &record.execution_log) {
            let prefix = format!("({}) ", record.request_id);
            lines.extend(
                log.lines
                    .iter()
                    .map(|(_, l)| l.strip_prefix(&prefix).unwrap_or(l).to_owned()),
            );
        }
    }
}

#[tokio::test]
async fn the_execution_log_shows_what_the_mapping_templates_made() {
    use sluice_template::auth_model::{ApiAuth, AuthModel, LoggingLevel, MethodSetting};
    let auth = AuthModel {
        apis: BTreeMap::from([(
            "Api".to_owned(),
            ApiAuth {
                method_settings: vec![MethodSetting {
                    resource_path: "/*".into(),
                    http_method: "*".into(),
                    rate_limit: None,
                    burst_limit: None,
                    caching_enabled: None,
                    cache_ttl_secs: None,
                    logging_level: Some(LoggingLevel::Info),
                    data_trace_enabled: Some(true),
                }],
                ..ApiAuth::default()
            },
        )]),
        ..AuthModel::default()
    };
    let lines = Arc::new(ExecutionLines::default());
    let h = harness();
    let h = Harness {
        gateway: h
            .gateway
            .with_execution_logs(&auth, &[])
            .with_access_log(lines.clone()),
        ..h
    };
    let answer = h
        .send("POST", "/hello?q=search", &[JSON], r#"{"name": "Ann"}"#)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let logged = std::mem::take(&mut *lines.0.lock().expect("not poisoned"));
    let line = |start: &str| {
        logged
            .iter()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no {start} in {logged:#?}"))
            .clone()
    };
    assert_eq!(
        line("Method request body"),
        r#"Method request body before transformations: {"name": "Ann"}"#
    );
    // The request template's output is what Lambda got; the response template's input is what
    // it answered.
    assert_eq!(
        line("Endpoint request body"),
        r#"Endpoint request body after transformations: {"name": "Ann", "stage": "prod", "q": "search"}"#
    );
    assert!(line("Endpoint request URI").ends_with(":function:Fn/invocations"));
    let answered = line("Endpoint response body");
    assert!(answered.contains(r#""greeting""#), "{answered}");
    assert_eq!(
        line("Method response body"),
        format!(
            "Method response body after transformations: {}",
            answer.body
        )
    );
    assert_eq!(
        line("Method completed"),
        "Method completed with status: 200"
    );

    // A MOCK calls no endpoint: no endpoint lines.
    h.send("GET", "/mock/7", &[], "").await;
    let logged = std::mem::take(&mut *lines.0.lock().expect("not poisoned"));
    assert!(
        !logged.iter().any(|l| l.starts_with("Endpoint ")
            || l.starts_with("Sending")
            || l.starts_with("Received")),
        "{logged:#?}"
    );
    assert!(
        logged
            .iter()
            .any(|l| l == "Method completed with status: 200"),
        "{logged:#?}"
    );
}
