//! The template loader: YAML (anchors, tags, flow and block styles) and every intrinsic it resolves.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sluice_template::{load_str, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    // A folder that does not exist: nested stacks and `DefinitionUri` files resolve against it and
    // fail to read, so the target stays a function of its input.
    let file = Path::new("/nonexistent/sluice-fuzz/template.yaml");
    let _ = load_str(source, file, &LoadOptions::default());
});
