//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs and not part of the API).
//!
//! The phases they reach are crate-private; these wrappers take plain data so a fuzzer can drive
//! them without the crate widening its real interface. Each must return, never panic, whatever it
//! is given: that is what the targets check.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use sluice_aws_env::AwsEnv;
use sluice_template::PayloadFormat;

use crate::api::{Api, ApiStage};
use crate::binary_media::BinaryMediaTypes;
use crate::dialect::Dialect;
use crate::exchange::Exchange;
use crate::route_table::{RouteEntry, RouteMatch, RouteSpec, RouteTable};

/// Compiles `routes` (method, path template) into one table, leaving out each route the table
/// refuses (bad path, duplicate), then looks up `method raw_path`. Returns the matched resource and
/// the path parameters it bound.
pub fn route_lookup(
    routes: &[(String, String)],
    method: &str,
    raw_path: &str,
) -> Option<(String, Vec<(String, String)>)> {
    let mut accepted: Vec<RouteSpec> = Vec::new();
    for (index, (route_method, path)) in routes.iter().enumerate() {
        let spec = RouteSpec {
            api: 0,
            method: route_method.clone(),
            path: path.clone(),
            function: format!("Function{index}"),
            event_name: format!("Event{index}"),
            dialect: Dialect::Rest,
            route_key: format!("{route_method} {path}"),
            timeout: None,
            integration: Default::default(),
            validation: None,
            operation_name: None,
            streams: false,
            parameter_mapping: None,
            tenant_id_parameter: None,
            qualifier: None,
        };
        let mut candidate = accepted.clone();
        candidate.push(spec);
        if RouteTable::from_specs(candidate.clone()).is_ok() {
            accepted = candidate;
        }
    }
    let table = RouteTable::from_specs(accepted).ok()?;
    // Both lookups the gateway makes: by method, and the resource an OPTIONS would sit on.
    let _ = table.resource(raw_path);
    let found = table.find(method, raw_path)?;
    Some((found.entry.resource.clone(), found.path_parameters))
}

/// Which event and response mapping to exercise.
#[derive(Debug, Clone, Copy)]
pub enum FuzzDialect {
    /// REST API, payload 1.0.
    Rest,
    /// HTTP API, payload 1.0.
    HttpV1,
    /// HTTP API, payload 2.0.
    HttpV2,
    /// Function URL.
    FunctionUrl,
}

impl FuzzDialect {
    fn dialect(self) -> Dialect {
        match self {
            FuzzDialect::Rest => Dialect::Rest,
            FuzzDialect::HttpV1 => Dialect::HttpApi(PayloadFormat::V1),
            FuzzDialect::HttpV2 => Dialect::HttpApi(PayloadFormat::V2),
            FuzzDialect::FunctionUrl => Dialect::FunctionUrl,
        }
    }
}

/// Builds the event a function would be invoked with for `request`, routed on `route_path` (any
/// method; a catch-all route when the path is refused or does not match), with these binary media
/// types. Returns the serialized event, or the gateway's error text.
pub fn request_event(
    request: http::Request<Bytes>,
    route_path: &str,
    binary_media_types: &[String],
    dialect: FuzzDialect,
) -> Result<Vec<u8>, String> {
    let dialect = dialect.dialect();
    let (parts, body) = request.into_parts();
    let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, 40000));
    let mut ex = Exchange::new(parts, remote, dialect);
    ex.body = body;
    let route = routed(route_path, &ex.method, &ex.raw_path, dialect);
    let api = api(dialect, binary_media_types);
    ex.route = Some(route.clone());
    dialect
        .event(&ex, &route, &api, &AwsEnv::default())
        .map(|event| event.to_vec())
        .map_err(|error| format!("{error:?}"))
}

/// Maps a function's `payload` to the HTTP response as `dialect` would, for a request with this
/// `Accept` header. Returns the status code, or why the payload is malformed.
pub fn map_response(
    payload: &[u8],
    accept: Option<&str>,
    binary_media_types: &[String],
    dialect: FuzzDialect,
) -> Result<u16, String> {
    let dialect = dialect.dialect();
    let mut builder = http::Request::builder().uri("/");
    if let Some(accept) = accept {
        builder = builder.header("accept", accept);
    }
    let Ok(request) = builder.body(()) else {
        return Err("accept header not representable".into());
    };
    let (parts, ()) = request.into_parts();
    let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, 40000));
    let ex = Exchange::new(parts, remote, dialect);
    dialect
        .response(&ex, &api(dialect, binary_media_types), payload)
        .map(|response| response.status().as_u16())
        .map_err(|error| format!("{error:?}"))
}

/// The route `method raw_path` selects in a table of one `ANY route_path` route, else a catch-all.
fn routed(route_path: &str, method: &str, raw_path: &str, dialect: Dialect) -> RouteMatch {
    let spec = RouteSpec {
        api: 0,
        method: "ANY".into(),
        path: route_path.to_owned(),
        function: "Function".into(),
        event_name: "Event".into(),
        dialect,
        route_key: format!("ANY {route_path}"),
        timeout: None,
        integration: Default::default(),
        validation: None,
        operation_name: None,
        streams: false,
        parameter_mapping: None,
        tenant_id_parameter: None,
        qualifier: None,
    };
    RouteTable::from_specs([spec])
        .ok()
        .and_then(|table| table.find(method, raw_path))
        .unwrap_or_else(|| RouteMatch {
            entry: std::sync::Arc::new(RouteEntry::catch_all(0, "Function", dialect)),
            path_parameters: Vec::new(),
        })
}

/// One API of this dialect with a `Prod` stage and a stage variable.
fn api(dialect: Dialect, binary_media_types: &[String]) -> Api {
    Api {
        logical_id: "FuzzApi".into(),
        dialect,
        stage: ApiStage {
            api_id: "fuzzapi000".into(),
            deployment_id: "dep000".into(),
            stage: "Prod".into(),
            stage_variables: BTreeMap::from([("name".to_owned(), "value".to_owned())]),
            binary_media_types: BinaryMediaTypes::new(binary_media_types),
        },
        cors: None,
        requires_iam: false,
        streams: false,
        gateway_responses: Vec::new(),
        resource_policy: None,
        access_log: None,
        execution_log: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_answer_plain_input() {
        let routes = [("GET".to_owned(), "/items/{id}".to_owned())];
        let (resource, params) = route_lookup(&routes, "GET", "/items/7").expect("routed");
        assert_eq!(resource, "/items/{id}");
        assert_eq!(params, vec![("id".to_owned(), "7".to_owned())]);

        let request = http::Request::builder()
            .method("POST")
            .uri("/items/7?a=1")
            .body(Bytes::from_static(b"{}"))
            .expect("valid request");
        let event = request_event(request, "/items/{id}", &[], FuzzDialect::Rest).expect("event");
        let event: serde_json::Value = serde_json::from_slice(&event).expect("JSON event");
        assert_eq!(event["pathParameters"]["id"], "7");

        let status = map_response(br#"{"statusCode":201}"#, None, &[], FuzzDialect::Rest);
        assert_eq!(status, Ok(201));
    }
}
