//! The response mappers: a function's payload (any bytes) to the HTTP response, per dialect.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sluice_apigw::fuzzing::{map_response, FuzzDialect};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    dialect: u8,
    accept: Option<String>,
    binary_media_types: Vec<String>,
    payload: &'a [u8],
}

fuzz_target!(|input: Input| {
    let dialect = match input.dialect % 4 {
        0 => FuzzDialect::Rest,
        1 => FuzzDialect::HttpV1,
        2 => FuzzDialect::HttpV2,
        _ => FuzzDialect::FunctionUrl,
    };
    let _ = map_response(
        input.payload,
        input.accept.as_deref(),
        &input.binary_media_types,
        dialect,
    );
});
