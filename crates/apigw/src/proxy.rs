//! The Lambda proxy integration in each [`Dialect`]: the event the function gets, how its answer
//! becomes a response, the headers the API adds, and how long the gateway waits.

use crate::api::Api;
use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;
use crate::options::GatewayOptions;
use crate::response_mapping::{map_http_api_v1_response, map_response};
use crate::route_table::RouteMatch;
use crate::{http_api_event, http_api_response, request_event};
use bytes::Bytes;
use http::{HeaderValue, Response};
use http_body_util::Full;
use sluice_aws_env::AwsEnv;
use sluice_template::PayloadFormat;
use std::time::Duration;

use crate::dialect::Dialect;

/// HTTP API's integration timeout when the route sets none (AWS: 30 s, also the maximum).
const HTTP_API_TIMEOUT: Duration = Duration::from_secs(30);

/// AWS: a Function URL waits as long as the function may run (15 minutes); Lambda's own timeout
/// ends the invocation first, so the gateway's only guards against a hung integration.
const FUNCTION_URL_TIMEOUT: Duration = Duration::from_secs(15 * 60 + 30);

impl Dialect {
    /// How long the gateway waits for the function before answering with a timeout.
    pub(crate) fn integration_timeout(
        self,
        options: &GatewayOptions,
        route: &RouteMatch,
    ) -> Duration {
        match self {
            Dialect::Rest => route.entry.timeout.unwrap_or(options.integration_timeout),
            Dialect::HttpApi(_) => route.entry.timeout.unwrap_or(HTTP_API_TIMEOUT),
            Dialect::FunctionUrl => FUNCTION_URL_TIMEOUT,
        }
    }

    /// The event (JSON bytes) the function is invoked with.
    pub(crate) fn event(
        self,
        ex: &Exchange,
        route: &RouteMatch,
        api: &Api,
        aws: &AwsEnv,
    ) -> Result<Bytes, GatewayError> {
        // Sized for a typical event up front: grown from empty, the buffer is reallocated and
        // copied a dozen times per request (a REST event for a bare GET is ~3 KB; a body is
        // escaped or base64-encoded, so counted twice).
        let mut serialized = Vec::with_capacity(4096 + 2 * ex.body.len());
        let written = match self {
            Dialect::Rest => {
                let event = request_event::build(ex, route, &api.stage, &api.logical_id, aws);
                serde_json::to_writer(&mut serialized, &event)
            }
            Dialect::HttpApi(PayloadFormat::V2) => serde_json::to_writer(
                &mut serialized,
                &http_api_event::build_v2(ex, route, api, aws),
            ),
            Dialect::HttpApi(PayloadFormat::V1) => serde_json::to_writer(
                &mut serialized,
                &http_api_event::build_v1(ex, route, api, aws),
            ),
            Dialect::FunctionUrl => serde_json::to_writer(
                &mut serialized,
                &http_api_event::build_function_url(ex, api, aws),
            ),
        };
        written
            .map(|()| Bytes::from(serialized))
            .map_err(|e| GatewayError::Internal(format!("event serialization failed: {e}")))
    }

    /// The HTTP response for the function's answer, or why the API refuses that answer.
    pub(crate) fn response(
        self,
        ex: &Exchange,
        api: &Api,
        payload: &[u8],
    ) -> Result<Response<Full<Bytes>>, GatewayError> {
        match self {
            Dialect::Rest => {
                let decode_base64 = api
                    .stage
                    .binary_media_types
                    .matches_accept(ex.header("accept").as_deref());
                map_response(payload, decode_base64)
                    .map_err(|reason| GatewayError::MalformedResponse(reason.to_string()))
            }
            // AWS: HTTP APIs have no binary media types; an `isBase64Encoded` body is always decoded.
            Dialect::HttpApi(PayloadFormat::V1) => map_http_api_v1_response(payload)
                .map_err(|reason| GatewayError::MalformedResponse(reason.to_string())),
            Dialect::HttpApi(PayloadFormat::V2) => {
                http_api_response::map(payload, http_api_response::Reader::HttpApi)
                    .map_err(|reason| GatewayError::MalformedResponse(reason.to_string()))
            }
            // A RESPONSE_STREAM URL whose handler answered without streaming sends that answer
            // as it is: Lambda reads an HTTP response only from a streamed prelude (AWS-validated
            // in LocalStack's test_lambda_url_echo_invoke[RESPONSE_STREAM]: the client decodes
            // the returned object, `body` and all).
            Dialect::FunctionUrl if api.streams => Ok(http_api_response::json_body(
                Bytes::copy_from_slice(payload),
            )),
            Dialect::FunctionUrl => {
                http_api_response::map(payload, http_api_response::Reader::FunctionUrl)
                    .map_err(|reason| GatewayError::MalformedResponse(reason.to_string()))
            }
        }
    }

    /// How this kind of API reads a streamed answer's HTTP prelude: a REST API with its payload
    /// 1.0 keys and remapping, a Function URL as Lambda does.
    pub(crate) fn prelude_reader(self) -> crate::streamed_response::PreludeReader {
        match self {
            Dialect::Rest => |prelude| {
                crate::response_mapping::map_rest_prelude(prelude).map_err(|e| e.to_string())
            },
            Dialect::HttpApi(_) | Dialect::FunctionUrl => {
                |prelude| http_api_response::map_prelude(prelude).map_err(|e| e.to_string())
            }
        }
    }

    /// Headers this kind of API adds to every response, its own errors included; a REST API's
    /// trace id only when `traced` (see `gateway::traced`).
    pub(crate) fn stamp(self, response: &mut Response<Full<Bytes>>, ex: &Exchange, traced: bool) {
        let stamps: &[(&str, &str)] = match self {
            Dialect::Rest if traced => &[
                ("x-amzn-requestid", &ex.request_id),
                ("x-amz-apigw-id", &ex.extended_request_id),
                ("x-amzn-trace-id", &ex.trace_id),
            ],
            Dialect::Rest => &[
                ("x-amzn-requestid", &ex.request_id),
                ("x-amz-apigw-id", &ex.extended_request_id),
            ],
            // AWS: HTTP APIs answer with `apigw-requestid` (the short id the event carries as
            // `requestContext.requestId`) and none of the REST headers.
            Dialect::HttpApi(_) => &[("apigw-requestid", &ex.extended_request_id)],
            Dialect::FunctionUrl => &[
                ("x-amzn-requestid", &ex.request_id),
                ("x-amzn-trace-id", &ex.trace_id),
            ],
        };
        let headers = response.headers_mut();
        for (name, value) in stamps {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(*name, value);
            }
        }
    }
}
