//! `Lambda-Runtime-Function-Error-Type`, as Lambda takes it from a runtime.

/// The error type Lambda records for a runtime's `Lambda-Runtime-Function-Error-Type` (REPORT's
/// `Error Type`): kept when it names a `Runtime.` or `Function.` error, else `Function.Unknown`
/// for a `Function.` prefix and `Runtime.Unknown` for anything else, a missing header included.
///
/// AWS (RIE lambda/fatalerror, GetValidRuntimeOrFunctionErrorType): the pattern
/// `(Runtime|Function)\.[A-Z][a-zA-Z]+` is matched unanchored, so it may occur anywhere in the
/// value (`MyRuntime.Foo` passes); Sluice matches it the same way.
pub(crate) fn valid_error_type(header: Option<&str>) -> String {
    let value = header.unwrap_or("");
    if names_runtime_or_function_error(value) {
        value.to_owned()
    } else if value.starts_with("Function.") {
        "Function.Unknown".to_owned()
    } else {
        "Runtime.Unknown".to_owned()
    }
}

/// Whether `Runtime.` or `Function.`, an upper-case letter and at least one more letter occur
/// somewhere in `value`.
fn names_runtime_or_function_error(value: &str) -> bool {
    let bytes = value.as_bytes();
    (0..bytes.len()).any(|start| {
        let rest = &bytes[start..];
        let Some(after) = rest
            .strip_prefix(b"Runtime.")
            .or_else(|| rest.strip_prefix(b"Function."))
        else {
            return false;
        };
        matches!(after, [first, second, ..] if first.is_ascii_uppercase() && second.is_ascii_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_runtime_and_function_types_and_maps_the_rest_to_unknown() {
        assert_eq!(
            valid_error_type(Some("Runtime.ImportModuleError")),
            "Runtime.ImportModuleError"
        );
        assert_eq!(valid_error_type(Some("Function.Boom")), "Function.Boom");
        assert_eq!(valid_error_type(None), "Runtime.Unknown");
        assert_eq!(valid_error_type(Some("")), "Runtime.Unknown");
        assert_eq!(valid_error_type(Some("Unhandled")), "Runtime.Unknown");
        assert_eq!(valid_error_type(Some("ValueError")), "Runtime.Unknown");
        // One letter after the upper-case one at least; lower case first is refused.
        assert_eq!(valid_error_type(Some("Runtime.A")), "Runtime.Unknown");
        assert_eq!(valid_error_type(Some("Runtime.foo")), "Runtime.Unknown");
        assert_eq!(valid_error_type(Some("Function.foo")), "Function.Unknown");
        assert_eq!(valid_error_type(Some("Function.")), "Function.Unknown");
        // Unanchored, as AWS matches it.
        assert_eq!(valid_error_type(Some("MyRuntime.Foo")), "MyRuntime.Foo");
        assert_eq!(valid_error_type(Some("Runtime.Foo bar")), "Runtime.Foo bar");
    }
}
