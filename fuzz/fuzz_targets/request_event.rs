//! The event builders (REST, HTTP API 1.0 and 2.0, Function URL) for any request hyper would accept.
#![no_main]

use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sluice_apigw::fuzzing::{request_event, FuzzDialect};

#[derive(Debug, Arbitrary)]
struct Input {
    method: String,
    uri: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    route_path: String,
    binary_media_types: Vec<String>,
    dialect: u8,
}

fuzz_target!(|input: Input| {
    let mut builder = http::Request::builder()
        .method(input.method.as_str())
        .uri(input.uri.as_str());
    for (name, value) in &input.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    // What `http` refuses hyper refuses too: such requests never reach the gateway.
    let Ok(request) = builder.body(Bytes::from(input.body)) else {
        return;
    };
    let dialect = match input.dialect % 4 {
        0 => FuzzDialect::Rest,
        1 => FuzzDialect::HttpV1,
        2 => FuzzDialect::HttpV2,
        _ => FuzzDialect::FunctionUrl,
    };
    let _ = request_event(
        request,
        &input.route_path,
        &input.binary_media_types,
        dialect,
    );
});
