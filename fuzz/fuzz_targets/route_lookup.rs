//! Route table compilation and lookup: templates with `{param}` and `{proxy+}`, any request path.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    routes: Vec<(String, String)>,
    method: String,
    path: String,
}

fuzz_target!(|input: Input| {
    // A template has a handful of routes per path shape; more only slows each run down.
    let routes = &input.routes[..input.routes.len().min(16)];
    let _ = sluice_apigw::fuzzing::route_lookup(routes, &input.method, &input.path);
});
