//! DynamoDB's expression grammars (condition, projection, update), then evaluation of what parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_dynamodb::fuzzing::{expression, ExpressionKind};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(source) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = match selector % 3 {
        0 => ExpressionKind::Condition,
        1 => ExpressionKind::Projection,
        _ => ExpressionKind::Update,
    };
    let _ = expression(kind, source);
});
