//! The kind of API a request is for, and everything that differs between kinds: the event the
//! function gets, how its answer becomes a response, the error bodies and the integration timeout.
//!
//! Chosen once, at routing (the matched API's kind; before routing, the gateway's default), so REST
//! APIs, HTTP APIs and Function URLs walk the same phases instead of each having a pipeline.

use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use sluice_aws_env::AwsEnv;

use crate::api::Api;
use crate::exchange::Exchange;
use crate::gateway::GatewayOptions;
use crate::gateway_error::GatewayError;
use crate::request_event;
use crate::response_mapping::map_response;
use crate::route_table::RouteMatch;

/// One kind of API: REST (payload 1.0) today; HTTP API (payload 2.0) and Function URLs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// API Gateway REST API with Lambda proxy integration (payload format 1.0).
    #[default]
    Rest,
}

impl Dialect {
    /// How long the gateway waits for the function before answering with a timeout.
    pub(crate) fn integration_timeout(self, options: &GatewayOptions) -> Duration {
        match self {
            Dialect::Rest => options.integration_timeout,
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
        match self {
            Dialect::Rest => {
                let event = request_event::build(ex, route, &api.stage, &api.logical_id, aws);
                serde_json::to_vec(&event)
                    .map(Bytes::from)
                    .map_err(|e| GatewayError::Internal(format!("event serialization failed: {e}")))
            }
        }
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
        }
    }
}
