//! Phase integrate for REST methods with non-proxy integrations: Lambda custom integrations
//! (`AWS`), DynamoDB actions (`AWS` with a `dynamodb:action/…` URI), `HTTP` endpoints
//! (`http_integration.rs` builds their request) and `MOCK`, beside the proxy integration of
//! `proxy.rs`.
//!
//! Request side: the request template chosen by `Content-Type` (none → `application/json`) renders
//! the payload, or the body passes through as `passthroughBehavior` allows (else 415). Lambda is
//! invoked with that payload, DynamoDB runs the action on it; MOCK reads `statusCode` from it.
//! Response side: the integration response is selected (Lambda: `selectionPattern` full-matched
//! against the error's `errorMessage`, the default one on success; DynamoDB, HTTP and MOCK:
//! against the status code), its template renders the body (none: the output passes through) and its
//! `responseParameters` set headers.
//!
//! Both sides convert payloads as `contentHandling` and the binary media types say (AWS docs,
//! "Content type conversions in API Gateway"): `CONVERT_TO_TEXT` base64-encodes a binary body,
//! `CONVERT_TO_BINARY` base64-decodes a text one; a binary request body cannot feed a template,
//! and the response converts what the template made.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use sluice_aws_env::AwsEnv;
use sluice_template::{ContentHandling, Integration, IntegrationResponse, Mapping, Passthrough};

use crate::api::Api;
use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;
use crate::header_rules;
use crate::http_integration::{self, Mapped, Outbound};
use crate::integration::{CallHttp, CallService, Invoke, InvokeError};
use crate::mapping_template::{MappingInput, Params};
use crate::request_event::{self, Pairs};
use crate::request_validator::media_type;
use crate::request_values::{MethodRequest, Parameter};
use crate::route_table::RouteMatch;

/// Where a Lambda custom or service integration goes, and how long it may take.
pub(crate) struct Backend<'a> {
    /// The narrow interface to Lambda.
    pub invoker: &'a dyn Invoke,
    /// The AWS service APIs Sluice serves (none: service integrations are not emulated).
    pub services: Option<&'a dyn CallService>,
    /// The client `HTTP` integrations call their endpoints with (none: not emulated).
    pub http: Option<&'a dyn CallHttp>,
    /// The REST integration timeout.
    pub timeout: Duration,
    /// The Lambda request id a Lambda custom integration invokes under.
    pub request_id: &'a str,
}

/// What the integration produced, before the integration response maps it.
struct Output {
    /// The integration's body (`$input` of response templates).
    body: String,
    /// What selection patterns are matched against: Lambda's `errorMessage` (`None` on success),
    /// the service's, the endpoint's or MOCK's status code.
    selector: Option<String>,
    /// The integration's response headers (`integration.response.header.*`): a service's or an
    /// endpoint's HTTP headers; Lambda and MOCK have none.
    headers: Vec<(String, String)>,
    /// The status the endpoint answered (`$context.integrationStatus`): Lambda's Invoke's, the
    /// service's, the endpoint's, or the MOCK's own.
    status: u16,
}

/// Runs a non-proxy integration and maps its answer, beside the status its endpoint answered
/// (the method response's status is the integration response's, not that one); proxy
/// integrations never come here.
pub(crate) async fn integrate(
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
    aws: &AwsEnv,
    integration: &Integration,
    backend: Backend<'_>,
) -> Result<(Response<Full<Bytes>>, u16), GatewayError> {
    let (mapping, target) = match integration {
        Integration::Lambda(mapping) => (mapping, Target::Lambda(route.entry.target.as_str())),
        Integration::DynamoDb { action, mapping } => (mapping, Target::DynamoDb(action.as_str())),
        Integration::Mock(mapping) => (mapping, Target::Mock),
        Integration::Http {
            method,
            uri,
            mapping,
        } => (
            mapping,
            Target::Http {
                method: method.as_str(),
                uri: uri.as_str(),
            },
        ),
        Integration::Unsupported { kind } => {
            return Err(GatewayError::NotEmulated(format!(
                "{kind} integration of {} {}",
                route.entry.method, route.entry.resource
            )))
        }
        Integration::LambdaProxy
        | Integration::LambdaProxyNotPost { .. }
        | Integration::HttpProxy(_) => {
            return Err(GatewayError::Internal(
                "a proxy integration reached the mapped integration phase".into(),
            ))
        }
    };
    let (params, context) = request_values(ex, route, api, aws)?;
    let stage_variables = &api.stage.stage_variables;
    let binary_media = &api.stage.binary_media_types;
    let (request_body, binary) = convert_request(
        &ex.body,
        binary_media.matches_content_type(ex.header("content-type").as_deref()),
        mapping.content_handling,
    )?;
    let body = String::from_utf8_lossy(&request_body);
    let mut response_context = None;
    let mut request_override = None;
    let payload = match request_template(ex, mapping)? {
        // AWS: a binary payload cannot be transformed (serverless-application-model#1344: SAM's
        // CORS MOCK under `*/*` binary media types answers 500 "Unable to transform request").
        Some(_) if binary => {
            return Err(GatewayError::MappingFailed(
                "Unable to transform request (a binary body and a request template; set contentHandling to CONVERT_TO_TEXT)".into(),
            ))
        }
        Some(template) => {
            let input = MappingInput::new(&body, &params, &context, stage_variables);
            let payload = input
                .render(template)
                .map_err(|e| GatewayError::MappingFailed(format!("request template: {e}")))?;
            // AWS: the response template sees the request template's `$context.requestOverride`
            // (LocalStack's AWS-validated `test_integration_mock_with_request_overrides_in_response_template`).
            if let (Some(overrides), serde_json::Value::Object(entries)) =
                (input.request_override(), context.clone())
            {
                let mut entries = entries;
                entries.insert("requestOverride".to_owned(), overrides.clone());
                response_context = Some(serde_json::Value::Object(entries));
                request_override = Some(overrides);
            }
            Bytes::from(payload)
        }
        None => request_body.clone(),
    };
    crate::execution_log::endpoint_request(ex, &payload);
    let context = response_context.unwrap_or(context);
    let rules = match target {
        Target::Mock => &header_rules::REST_MOCK,
        Target::Lambda(_) | Target::DynamoDb(_) | Target::Http { .. } => &header_rules::REST_AWS,
    };
    let output = match target {
        Target::Lambda(function) => {
            let request = MethodRequest::of(ex);
            let kind = invocation_type(mapping, &request, stage_variables, &context);
            invoke(function, payload, kind.as_deref(), backend).await?
        }
        Target::DynamoDb(action) => {
            let Some(services) = backend.services else {
                return Err(GatewayError::NotEmulated(format!(
                    "DynamoDB {action} integration of {} {}",
                    route.entry.method, route.entry.resource
                )));
            };
            call_dynamodb(services, action, payload, backend.timeout).await?
        }
        Target::Http { method, uri } => {
            let Some(client) = backend.http else {
                return Err(GatewayError::NotEmulated(format!(
                    "HTTP integration of {} {}",
                    route.entry.method, route.entry.resource
                )));
            };
            let request = MethodRequest::of(ex);
            let mut mapped = Mapped::from_parameters(&mapping.request_parameters, |source| {
                request_parameter(source, &request, stage_variables, &context)
            });
            if let Some(overrides) = &request_override {
                mapped.override_with(overrides);
            }
            let content_type = ex.header("content-type");
            let outbound = Outbound {
                method,
                uri,
                request_method: &ex.method,
                request_content_type: content_type.as_deref(),
                mapped: &mapped,
                stage_variables,
                api_id: &api.stage.api_id,
                trace_id: &ex.trace_id,
                body: payload,
            };
            let answer =
                http_integration::call(client, outbound.request()?, backend.timeout).await?;
            Output {
                body: String::from_utf8_lossy(&answer.body).into_owned(),
                selector: Some(answer.status.to_string()),
                headers: answer.headers,
                status: answer.status,
            }
        }
        Target::Mock => {
            let status = mock_status(&String::from_utf8_lossy(&payload)).ok_or_else(|| {
                GatewayError::MappingFailed(
                    "Unable to parse statusCode. It should be an integer that is defined in the request template."
                        .into(),
                )
            })?;
            Output {
                headers: Vec::new(),
                body: String::new(),
                // A MOCK's integration answers the status its template names (what selects the
                // integration response); one past u16 selects but is no status to log.
                status: status.parse().unwrap_or(0),
                selector: Some(status),
            }
        }
    };
    crate::execution_log::endpoint_response(ex, || Bytes::from(output.body.clone()));
    let chosen = select(&mapping.responses, output.selector.as_deref()).ok_or_else(|| {
        GatewayError::MappingFailed(
            "no integration response matches and there is no default response".into(),
        )
    })?;
    let input = MappingInput::new(&output.body, &params, &context, stage_variables);
    let (content_type, body) = match response_template(ex, chosen) {
        Some((content_type, template)) => (
            content_type,
            input
                .render(template)
                .map_err(|e| GatewayError::MappingFailed(format!("response template: {e}")))?,
        ),
        None => ("application/json".to_owned(), output.body.clone()),
    };
    // The conversion is the last step, on what the template made: a MOCK's or a Lambda's
    // template may write the base64 text that `CONVERT_TO_BINARY` turns into the image.
    let body = convert_response(
        body,
        binary_media.matches_accept(ex.header("accept").as_deref()),
        chosen.content_handling,
    )?;
    let mapped = response_headers(
        chosen,
        &output.body,
        &output.headers,
        stage_variables,
        &context,
    );
    // AWS: a `method.response.header.Content-Type` mapping replaces the template's content type
    // (LocalStack's AWS-validated `test_apigateway_header_remapping_aws[AWS]` sends only the
    // mapped value).
    let mut pairs = Vec::with_capacity(mapped.len() + 1);
    if !mapped
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        pairs.push(("Content-Type".to_owned(), content_type));
    }
    pairs.extend(mapped);
    // AWS: a response template's `$context.responseOverride` wins over the integration
    // response's status and headers (the documented "override an API's response status code").
    let overrides = input.response_override();
    for (name, value) in overrides.headers {
        pairs.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
        pairs.push((name, value));
    }
    let status = StatusCode::from_u16(overrides.status.unwrap_or(chosen.status_code))
        .map_err(|e| GatewayError::MappingFailed(e.to_string()))?;
    let response = crate::response_parts::assemble(status, pairs, body, "application/json", rules)
        .map_err(GatewayError::MappingFailed)?;
    Ok((response, output.status))
}

/// What a non-proxy integration calls.
enum Target<'a> {
    /// A Lambda custom integration's function (logical id, `:qualifier` when it names one).
    Lambda(&'a str),
    /// A DynamoDB action.
    DynamoDb(&'a str),
    /// An HTTP endpoint: the integration's method and URI as written.
    Http {
        /// `httpMethod` (`ANY`: the method request's).
        method: &'a str,
        /// The endpoint's URI, placeholders unfilled.
        uri: &'a str,
    },
    /// No backend.
    Mock,
}

/// Runs a DynamoDB action on the mapped request under the integration timeout. The service's
/// status selects the integration response: a DynamoDB error is mapped like a success (AWS sends
/// an unmatched 400 through the default response, status 200 unless mapped).
async fn call_dynamodb(
    services: &dyn CallService,
    action: &str,
    payload: Bytes,
    timeout: Duration,
) -> Result<Output, GatewayError> {
    let call = services.dynamodb(action, payload);
    let answer = tokio::time::timeout(timeout, call)
        .await
        .map_err(|_| GatewayError::IntegrationTimedOut)?;
    Ok(Output {
        headers: dynamodb_headers(&answer.body, time::OffsetDateTime::now_utc()),
        body: String::from_utf8_lossy(&answer.body).into_owned(),
        selector: Some(answer.status.to_string()),
        status: answer.status,
    })
}

/// The headers of DynamoDB's HTTP response (DynamoDB API reference, "Sample Response":
/// `x-amzn-RequestId`, `x-amz-crc32`, `Content-Type`, `Content-Length`, `Date`), which a method
/// response maps from `integration.response.header.*`.
fn dynamodb_headers(body: &[u8], at: time::OffsetDateTime) -> Vec<(String, String)> {
    let date = at
        .to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap_or_default();
    vec![
        (
            "x-amzn-RequestId".to_owned(),
            uuid::Uuid::new_v4().to_string(),
        ),
        ("x-amz-crc32".to_owned(), crc32fast::hash(body).to_string()),
        (
            "Content-Type".to_owned(),
            "application/x-amz-json-1.0".to_owned(),
        ),
        ("Content-Length".to_owned(), body.len().to_string()),
        ("Date".to_owned(), date),
    ]
}

/// The request template for the request's content type; `None` to pass the body through; 415 when
/// `passthroughBehavior` refuses.
fn request_template<'m>(
    ex: &Exchange,
    mapping: &'m Mapping,
) -> Result<Option<&'m String>, GatewayError> {
    // AWS: a request without Content-Type is treated as application/json.
    let content_type = ex
        .header("content-type")
        .map(|ct| media_type(&ct))
        .unwrap_or_else(|| "application/json".to_owned());
    if let Some(template) = mapping.request_templates.get(&content_type) {
        return Ok(Some(template));
    }
    let passes = match mapping.passthrough {
        Passthrough::WhenNoMatch => true,
        Passthrough::WhenNoTemplates => mapping.request_templates.is_empty(),
        Passthrough::Never => false,
    };
    if passes {
        Ok(None)
    } else {
        Err(GatewayError::UnsupportedMediaType)
    }
}

/// The request's method request parameters and `$context`, as mapping templates and request
/// parameters read them.
fn request_values(
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
    aws: &AwsEnv,
) -> Result<(Params, serde_json::Value), GatewayError> {
    let event = request_event::build(ex, route, &api.stage, &api.logical_id, aws);
    let params = Params {
        path: event
            .path_parameters
            .map(Pairs::into_owned)
            .unwrap_or_default(),
        querystring: event
            .query_string_parameters
            .map(Pairs::into_owned)
            .unwrap_or_default(),
        header: event.headers.map(Pairs::into_owned).unwrap_or_default(),
    };
    let context = serde_json::to_value(&event.request_context)
        .map_err(|e| GatewayError::Internal(format!("$context: {e}")))?;
    Ok((params, context))
}

/// The value of a REST Lambda proxy's integration request parameter `source`
/// (`method.request.header.x-tenant-id`, `'literal'`, `context.…`) for this request; `None`
/// when the request has no such value.
pub(crate) fn proxy_parameter(
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
    aws: &AwsEnv,
    source: &str,
) -> Result<Option<String>, GatewayError> {
    let request = MethodRequest::of(ex);
    // Only a `context.…` source needs `$context`, which takes building the event.
    let context = if source.starts_with("context.") {
        request_values(ex, route, api, aws)?.1
    } else {
        serde_json::Value::Null
    };
    Ok(
        request_parameter(source, &request, &api.stage.stage_variables, &context)
            .filter(|v| !v.is_empty()),
    )
}

/// The integration request's headers, query string and path values that a REST integration's
/// `requestParameters` give for this request (an `HTTP_PROXY` adds them to what the client sent).
/// `$context` is built only when a `context.…` source reads it.
pub(crate) fn mapped_parameters(
    ex: &Exchange,
    route: &RouteMatch,
    api: &Api,
    aws: &AwsEnv,
    parameters: &std::collections::BTreeMap<String, String>,
) -> Result<Mapped, GatewayError> {
    let request = MethodRequest::of(ex);
    let context = if parameters.values().any(|s| s.starts_with("context.")) {
        request_values(ex, route, api, aws)?.1
    } else {
        serde_json::Value::Null
    };
    let stage_variables = &api.stage.stage_variables;
    Ok(Mapped::from_parameters(parameters, |source| {
        request_parameter(source, &request, stage_variables, &context)
    }))
}

/// The Lambda invocation type the integration's `X-Amz-Invocation-Type` request parameter
/// names for this request (AWS docs, "Set up asynchronous invocation of the backend Lambda
/// function"); `None` when it names none (a method request header the client did not send).
fn invocation_type(
    mapping: &Mapping,
    request: &MethodRequest<'_>,
    stage_variables: &std::collections::BTreeMap<String, String>,
    context: &serde_json::Value,
) -> Option<String> {
    let (_, source) = mapping.request_parameters.iter().find(|(target, _)| {
        target
            .strip_prefix("integration.request.header.")
            .is_some_and(|name| name.eq_ignore_ascii_case("x-amz-invocation-type"))
    })?;
    request_parameter(source, request, stage_variables, context).filter(|v| !v.is_empty())
}

/// A REST request parameter's value: `'literal'`, `method.request.<location>.name` (read by
/// [`MethodRequest`]), `stageVariables.name` or `context.name` (AWS docs, "Parameter mapping
/// source reference for REST APIs"); `None` when the request has no such value.
fn request_parameter(
    source: &str,
    request: &MethodRequest<'_>,
    stage_variables: &std::collections::BTreeMap<String, String>,
    context: &serde_json::Value,
) -> Option<String> {
    match Parameter::parse(source) {
        Some(parameter) => request.value(parameter),
        None => static_parameter(source, stage_variables, context),
    }
}

/// The sources request and response parameters share: `'literal'`, `stageVariables.name` and
/// `context.name` (`$context` as templates see it: `context.identity.sourceIp` walks the object).
fn static_parameter(
    source: &str,
    stage_variables: &std::collections::BTreeMap<String, String>,
    context: &serde_json::Value,
) -> Option<String> {
    if let Some(literal) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        Some(literal.to_owned())
    } else if let Some(name) = source.strip_prefix("stageVariables.") {
        stage_variables.get(name).cloned()
    } else if let Some(name) = source.strip_prefix("context.") {
        name.split('.')
            .try_fold(context, |value, key| value.get(key))
            .and_then(|value| match value {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
    } else {
        None
    }
}

/// Invokes the function with the mapped payload under the integration timeout, as `kind` (the
/// `X-Amz-Invocation-Type` Lambda is sent; none: `RequestResponse`) says.
async fn invoke(
    function: &str,
    payload: Bytes,
    kind: Option<&str>,
    backend: Backend<'_>,
) -> Result<Output, GatewayError> {
    // Lambda's Invoke takes JSON; an empty passthrough body is sent as `{}`.
    let payload = if payload.iter().all(u8::is_ascii_whitespace) {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    // AWS: Lambda answers `Event` with 202 and `DryRun` with 204, both with an empty body and no
    // function error, so the default integration response maps them (its status; the empty body
    // passes through or feeds its template). Any other type is Lambda's 400
    // InvalidParameterValueException: an integration failure, 500.
    match kind {
        None | Some("RequestResponse") => {}
        Some("Event") => {
            let accepted = backend
                .invoker
                .invoke_event(function, payload, Some(backend.request_id));
            return match tokio::time::timeout(backend.timeout, accepted).await {
                Err(_) => Err(GatewayError::IntegrationTimedOut),
                Ok(Ok(())) => Ok(Output {
                    body: String::new(),
                    selector: None,
                    headers: Vec::new(),
                    status: 202,
                }),
                Ok(Err(error)) => Err(rejected(error)),
            };
        }
        Some("DryRun") => {
            return Ok(Output {
                body: String::new(),
                selector: None,
                headers: Vec::new(),
                status: 204,
            })
        }
        Some(other) => {
            return Err(GatewayError::InvokeRejected(format!(
                "InvalidParameterValueException: unsupported invocation type {other:?} (RequestResponse, Event or DryRun)"
            )))
        }
    }
    let invocation = backend
        .invoker
        .invoke(function, payload, Some(backend.request_id));
    match tokio::time::timeout(backend.timeout, invocation).await {
        Err(_) => Err(GatewayError::IntegrationTimedOut),
        Ok(Ok(result)) => Ok(Output {
            body: String::from_utf8_lossy(&result).into_owned(),
            selector: None,
            headers: Vec::new(),
            status: 200,
        }),
        // AWS: a function error is not a gateway error here; its `errorMessage` selects the
        // integration response (the default one, status 200 unless mapped, when none matches).
        Ok(Err(InvokeError::Function { payload })) => {
            let body = String::from_utf8_lossy(&payload).into_owned();
            let message = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("errorMessage").map(|m| match m {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                })
                .unwrap_or_default();
            // Lambda's Invoke answers a function error with 200 (and `X-Amz-Function-Error`).
            Ok(Output {
                body,
                selector: Some(message),
                headers: Vec::new(),
                status: 200,
            })
        }
        Ok(Err(error)) => Err(rejected(error)),
    }
}

/// A Lambda refusal (throttled, missing, too large): INTEGRATION_FAILURE.
fn rejected(error: InvokeError) -> GatewayError {
    match error {
        InvokeError::Rejected {
            error_type,
            message,
        } => GatewayError::InvokeRejected(format!("{error_type}: {message}")),
        InvokeError::Function { payload } => GatewayError::InvokeRejected(format!(
            "function error: {}",
            String::from_utf8_lossy(&payload)
        )),
    }
}

/// The integration request's body as the request's content type (`binary`: it matches a binary
/// media type) and `contentHandling` make it, and whether it is binary (AWS docs, "Content type
/// conversions in API Gateway", request table): `CONVERT_TO_TEXT` base64-encodes a binary body,
/// `CONVERT_TO_BINARY` base64-decodes a text one (a 500 when it is not base64), else it passes.
fn convert_request(
    body: &Bytes,
    binary: bool,
    handling: ContentHandling,
) -> Result<(Bytes, bool), GatewayError> {
    match (binary, handling) {
        (true, ContentHandling::ConvertToText) => {
            let text = base64::engine::general_purpose::STANDARD.encode(body);
            Ok((Bytes::from(text), false))
        }
        (false, ContentHandling::ConvertToBinary) => match decode_base64(body) {
            Some(bytes) => Ok((Bytes::from(bytes), true)),
            None => Err(GatewayError::MappingFailed(
                "contentHandling CONVERT_TO_BINARY: the request body is not base64".into(),
            )),
        },
        (binary, _) => Ok((body.clone(), binary)),
    }
}

/// The method response's body from the integration response's mapped text (a Lambda's JSON, a
/// DynamoDB answer or a template's output; Sluice's integrations answer text) (AWS docs, "Content
/// type conversions in API Gateway", response table, text rows): `CONVERT_TO_BINARY` decodes it,
/// `CONVERT_TO_TEXT` keeps it, and unset decodes it only when the first `Accept` type is a binary
/// media type (`binary_accept`). Not base64: a 500.
fn convert_response(
    text: String,
    binary_accept: bool,
    handling: ContentHandling,
) -> Result<Bytes, GatewayError> {
    let decode = match handling {
        ContentHandling::ConvertToBinary => true,
        ContentHandling::ConvertToText => false,
        ContentHandling::Passthrough => binary_accept,
    };
    if !decode {
        return Ok(Bytes::from(text));
    }
    decode_base64(text.as_bytes())
        .map(Bytes::from)
        .ok_or_else(|| {
            GatewayError::MappingFailed(
                "the integration response is not base64, so it cannot be converted to binary"
                    .into(),
            )
        })
}

/// Base64 decoding that skips characters outside the alphabet, as the MIME decoders of Java and
/// Python do (LocalStack's `convert_body` uses Python's `b64decode`): a Lambda's JSON string
/// output `"aGk="` decodes without its quotes, line-wrapped base64 without its line breaks.
/// `None` when what remains is not base64 (wrong length or padding).
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let kept: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(kept).ok()
}

/// MOCK: the integer `statusCode` the rendered request template names, as text; `None` when it
/// names none, or not as an integer. AWS answers that 500 ("Unable to parse statusCode. It should
/// be an integer that is defined in the request template."): a string `"200"` is refused
/// (aws-cdk#5997), an empty payload too (CDK's template-less MOCK), any integer is taken
/// (localstack#11148), and the key may be unquoted, as CDK's CORS template `{statusCode: 200}` is
/// (localstack#11967, checked against AWS).
fn mock_status(payload: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(document) => document
            .get("statusCode")
            .and_then(serde_json::Value::as_i64)
            .map(|code| code.to_string()),
        Err(_) => lenient_status(payload),
    }
}

/// `statusCode` from an object that is not JSON but reads like one (`{statusCode: 200}`,
/// `{'statusCode': 200, ...}`): only its top-level `key: value` pairs are looked at.
fn lenient_status(payload: &str) -> Option<String> {
    let inner = payload.trim().strip_prefix('{')?.strip_suffix('}')?;
    inner.split(',').find_map(|pair| {
        let (key, value) = pair.split_once(':')?;
        let key = key.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| key.strip_prefix(*q).and_then(|k| k.strip_suffix(*q)))
            .unwrap_or(key);
        (unquoted == "statusCode")
            .then(|| value.trim().parse::<i64>().ok())
            .flatten()
            .map(|code| code.to_string())
    })
}

/// The integration response whose selection pattern full-matches `selector` (Java's
/// `String.matches`), else the default one (no pattern).
fn select<'r>(
    responses: &'r [IntegrationResponse],
    selector: Option<&str>,
) -> Option<&'r IntegrationResponse> {
    let matched = selector.and_then(|text| {
        responses.iter().find(|r| {
            r.selection_pattern.as_deref().is_some_and(|pattern| {
                // Java's `matches`: the whole message, `.` not matching line breaks.
                regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(text))
            })
        })
    });
    matched.or_else(|| responses.iter().find(|r| r.selection_pattern.is_none()))
}

/// The response template for the client's `Accept` (exact), else `application/json`, else the first.
fn response_template<'r>(
    ex: &Exchange,
    response: &'r IntegrationResponse,
) -> Option<(String, &'r String)> {
    let templates = &response.response_templates;
    let accept = ex.header("accept").map(|a| media_type(&a));
    accept
        .and_then(|a| templates.get_key_value(&a))
        .or_else(|| templates.get_key_value("application/json"))
        .or_else(|| templates.iter().next())
        .map(|(k, v)| (k.clone(), v))
}

/// `responseParameters` as header pairs: `'literal'`, `integration.response.body[.path]`,
/// `stageVariables.name`, `context.name` (AWS docs, "Parameter mapping source reference for REST
/// APIs"), and `integration.response.header.NAME` from the integration's headers (names match in
/// any case; Lambda and MOCK integrations have none).
fn response_headers(
    response: &IntegrationResponse,
    body: &str,
    integration_headers: &[(String, String)],
    stage_variables: &std::collections::BTreeMap<String, String>,
    context: &serde_json::Value,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (target, source) in &response.response_parameters {
        let Some(name) = target.strip_prefix("method.response.header.") else {
            continue;
        };
        let value = if source == "integration.response.body" {
            Some(body.to_owned())
        } else if let Some(path) = source.strip_prefix("integration.response.body.") {
            serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|doc| {
                    crate::json_path::select(&doc, &format!("$.{path}"))
                        .ok()
                        .flatten()
                })
                .map(|v| match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
        } else if let Some(wanted) = source.strip_prefix("integration.response.header.") {
            integration_headers
                .iter()
                .rev()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| value.clone())
        } else {
            static_parameter(source, stage_variables, context)
        };
        if let Some(value) = value {
            out.push((name.to_owned(), value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(pattern: Option<&str>, status: u16) -> IntegrationResponse {
        IntegrationResponse {
            selection_pattern: pattern.map(str::to_owned),
            status_code: status,
            ..IntegrationResponse::default()
        }
    }

    #[test]
    fn selection_patterns_match_whole_messages_else_the_default() {
        let responses = [
            response(Some("Bad.*"), 400),
            response(None, 200),
            response(Some(".*not found.*"), 404),
            response(Some("5\\d{2}"), 500),
        ];
        for (selector, status) in [
            (None, 200),
            (Some("Bad name"), 400),
            // Full match: `Bad.*` does not match a message that only contains it.
            (Some("Very Bad name"), 200),
            (Some("item not found"), 404),
            // Java's `.` stops at a line break, so a multi-line message needs `(?s)`.
            (Some("line one\nnot found"), 200),
            (Some("503"), 500),
            (Some("5031"), 200),
        ] {
            let chosen = select(&responses, selector).expect("a default exists");
            assert_eq!(chosen.status_code, status, "{selector:?}");
        }
        assert!(select(&[response(Some("x"), 400)], Some("y")).is_none());
    }

    #[test]
    fn the_invocation_type_comes_from_the_x_amz_invocation_type_request_parameter() {
        let mapping = |source: &str| Mapping {
            request_parameters: [(
                "integration.request.header.x-amz-invocation-type".to_owned(),
                source.to_owned(),
            )]
            .into(),
            ..Mapping::default()
        };
        let headers = http::HeaderMap::from_iter([(
            http::HeaderName::from_static("invocationtype"),
            http::HeaderValue::from_static("Event"),
        )]);
        let path = [("kind".to_owned(), "DryRun".to_owned())];
        let request = MethodRequest::new(&headers, Some("mode=Event"), &path);
        let vars = [("mode".to_owned(), "RequestResponse".to_owned())].into();
        let context = serde_json::json!({"stage": "Event"});
        for (source, expected) in [
            ("'Event'", Some("Event")),
            // Header names are matched whatever their case.
            ("method.request.header.InvocationType", Some("Event")),
            ("method.request.header.Missing", None),
            // The multi-value sources, which the one reader gives every mapping.
            (
                "method.request.multivalueheader.invocationtype",
                Some("Event"),
            ),
            ("method.request.multivaluequerystring.mode", Some("Event")),
            ("method.request.querystring.mode", Some("Event")),
            ("method.request.path.kind", Some("DryRun")),
            ("stageVariables.mode", Some("RequestResponse")),
            ("context.stage", Some("Event")),
            // An empty value sends no header: Lambda's default, RequestResponse.
            ("''", None),
        ] {
            assert_eq!(
                invocation_type(&mapping(source), &request, &vars, &context).as_deref(),
                expected,
                "{source}"
            );
        }
        let other = Mapping {
            request_parameters: [(
                "integration.request.header.X-Other".to_owned(),
                "'Event'".to_owned(),
            )]
            .into(),
            ..Mapping::default()
        };
        assert_eq!(invocation_type(&other, &request, &vars, &context), None);
    }

    #[test]
    fn request_bodies_convert_as_the_docs_table_says() {
        use ContentHandling::{ConvertToBinary, ConvertToText, Passthrough};
        let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n");
        let text = Bytes::from_static(b"iVBORw0KGgo=");
        // (body, its content type is binary, contentHandling) → (integration body, binary)
        let rows = [
            (&text, false, Passthrough, Ok((text.clone(), false))),
            (&text, false, ConvertToText, Ok((text.clone(), false))),
            (&text, false, ConvertToBinary, Ok((png.clone(), true))),
            (&png, true, Passthrough, Ok((png.clone(), true))),
            (&png, true, ConvertToBinary, Ok((png.clone(), true))),
            (&png, true, ConvertToText, Ok((text.clone(), false))),
            // Text that is not base64 cannot become binary: a configuration error, 500.
            (
                &Bytes::from_static(b"not base64!"),
                false,
                ConvertToBinary,
                Err(()),
            ),
        ];
        for (body, binary, handling, expected) in rows {
            let got = convert_request(body, binary, handling).map_err(|_| ());
            assert_eq!(got, expected, "{body:?} binary={binary} {handling:?}");
        }
    }

    #[test]
    fn response_payloads_convert_as_the_docs_table_says() {
        use ContentHandling::{ConvertToBinary, ConvertToText, Passthrough};
        let decoded = |payload: &str, accept: bool, handling| {
            convert_response(payload.to_owned(), accept, handling)
                .map(|body| (body != payload.as_bytes()).then_some(body))
        };
        let hi = Some(Bytes::from_static(b"hi"));
        // A text Accept: only CONVERT_TO_BINARY decodes.
        assert_eq!(decoded("aGk=", false, Passthrough).ok(), Some(None));
        assert_eq!(decoded("aGk=", false, ConvertToText).ok(), Some(None));
        assert_eq!(
            decoded("aGk=", false, ConvertToBinary).ok(),
            Some(hi.clone())
        );
        // A binary Accept: decoded unless CONVERT_TO_TEXT.
        assert_eq!(decoded("aGk=", true, Passthrough).ok(), Some(hi.clone()));
        assert_eq!(
            decoded("aGk=", true, ConvertToBinary).ok(),
            Some(hi.clone())
        );
        assert_eq!(decoded("aGk=", true, ConvertToText).ok(), Some(None));
        // A Lambda's JSON string output decodes without its quotes; wrapped lines too.
        assert_eq!(decoded("\"aGk=\"", false, ConvertToBinary).ok(), Some(hi));
        assert_eq!(
            decode_base64(b"aGVs\nbG8=").as_deref(),
            Some(b"hello".as_slice())
        );
        // Not base64: a 500.
        assert!(decoded(r#"{"a": 1}"#, false, ConvertToBinary).is_err());
        assert!(decoded("abc", true, Passthrough).is_err());
    }

    #[test]
    fn mock_status_codes() {
        for (payload, status) in [
            (r#"{"statusCode": 404}"#, Some("404")),
            ("{\n  \"statusCode\" : 200\n}\n", Some("200")),
            (r#"{"statusCode": -1}"#, Some("-1")),
            // CDK's CORS template, not JSON, which AWS reads.
            ("{statusCode: 200}", Some("200")),
            ("{ 'statusCode' : 204, other: 'x' }", Some("204")),
            // AWS refuses a string, a missing code and an empty payload.
            (r#"{"statusCode": "201"}"#, None),
            (r#"{"other": 1}"#, None),
            ("", None),
            ("not json", None),
            ("{statusCode: '200'}", None),
        ] {
            assert_eq!(mock_status(payload).as_deref(), status, "{payload:?}");
        }
    }

    #[test]
    fn response_parameters() {
        let mut r = response(None, 200);
        r.response_parameters = [
            (
                "method.response.header.X-Literal".to_owned(),
                "'v'".to_owned(),
            ),
            (
                "method.response.header.X-Id".to_owned(),
                "integration.response.body.item.id".to_owned(),
            ),
            (
                "method.response.header.X-Env".to_owned(),
                "stageVariables.env".to_owned(),
            ),
            (
                "method.response.header.X-None".to_owned(),
                "integration.response.header.x".to_owned(),
            ),
            (
                "method.response.header.X-Request-Id".to_owned(),
                "context.requestId".to_owned(),
            ),
            (
                "method.response.header.X-Source".to_owned(),
                "context.identity.sourceIp".to_owned(),
            ),
            (
                "method.response.header.X-Unknown".to_owned(),
                "context.identity.apiKey".to_owned(),
            ),
        ]
        .into();
        let vars = [("env".to_owned(), "dev".to_owned())].into();
        let context = serde_json::json!({
            "requestId": "req-1", "identity": {"sourceIp": "192.0.2.1", "apiKey": null},
        });
        let mut headers = response_headers(&r, r#"{"item": {"id": 7}}"#, &[], &vars, &context);
        headers.sort();
        assert_eq!(
            headers,
            [
                ("X-Env".to_owned(), "dev".to_owned()),
                ("X-Id".to_owned(), "7".to_owned()),
                ("X-Literal".to_owned(), "v".to_owned()),
                ("X-Request-Id".to_owned(), "req-1".to_owned()),
                ("X-Source".to_owned(), "192.0.2.1".to_owned()),
            ]
        );
    }

    #[test]
    fn a_method_response_header_maps_an_integration_response_header_in_any_case() {
        let mut r = response(None, 200);
        r.response_parameters = [
            (
                "method.response.header.cache-timestamp".to_owned(),
                "integration.response.header.Date".to_owned(),
            ),
            (
                "method.response.header.X-Crc".to_owned(),
                "integration.response.header.X-AMZ-CRC32".to_owned(),
            ),
            (
                "method.response.header.X-Gone".to_owned(),
                "integration.response.header.Etag".to_owned(),
            ),
        ]
        .into();
        let at = time::macros::datetime!(2026-11-30 08:24:26 UTC);
        let integration = dynamodb_headers(b"{}", at);
        let mut headers = response_headers(
            &r,
            "{}",
            &integration,
            &Default::default(),
            &serde_json::json!({}),
        );
        headers.sort();
        assert_eq!(
            headers,
            [
                ("X-Crc".to_owned(), crc32fast::hash(b"{}").to_string()),
                (
                    "cache-timestamp".to_owned(),
                    "Mon, 30 Nov 2026 08:24:26 GMT".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn dynamodb_answers_with_the_headers_of_its_http_response() {
        let at = time::macros::datetime!(2024-01-05 09:03:07 UTC);
        let headers = dynamodb_headers(br#"{"Item":{}}"#, at);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "x-amzn-RequestId",
                "x-amz-crc32",
                "Content-Type",
                "Content-Length",
                "Date"
            ]
        );
        assert_eq!(headers[2].1, "application/x-amz-json-1.0");
        assert_eq!(headers[3].1, "11");
        assert_eq!(headers[4].1, "Fri, 05 Jan 2024 09:03:07 GMT");
    }
}
