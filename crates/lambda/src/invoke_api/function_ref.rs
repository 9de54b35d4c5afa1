//! Which function a request names: the path's `FunctionName` (a name, a partial or full ARN, any
//! of them with a qualifier) and the `Qualifier` parameter, checked in the order Lambda checks
//! them before it looks the function up.

use std::sync::LazyLock;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;

use super::error;
use crate::Lambda;

/// The pattern Lambda's model gives Invoke's `FunctionName`, as AWS quotes it in the
/// ValidationException (recorded 2024, LocalStack `test_lambda_api.py::test_invalid_invoke`).
const INVOKE_FUNCTION_NAME_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?";

/// [`INVOKE_FUNCTION_NAME_PATTERN`] matched as Java matches it: the whole value, ASCII `\d`.
static INVOKE_FUNCTION_NAME: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::RegexBuilder::new(&format!("^(?:{INVOKE_FUNCTION_NAME_PATTERN})$"))
        .unicode(false)
        .build()
        // The pattern is a constant; `invoke_pattern_compiles` below builds it in every test run.
        .expect("the FunctionName pattern compiles")
});

/// The operation naming the function: Invoke checks Lambda's pattern first and names the version
/// it looked for when the function is missing; the reads (`GetFunction`,
/// `GetFunctionConfiguration`) do neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operation {
    /// `Invoke` and `InvokeWithResponseStream`.
    Invoke,
    /// `GetFunction` and `GetFunctionConfiguration`.
    Read,
}

/// Why a request's function reference names no function Sluice can run.
#[derive(Debug, thiserror::Error)]
pub(super) enum RefError {
    /// The name fails Lambda's pattern (a client mistake, caught before any lookup).
    #[error("1 validation error detected: Value '{value}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: {INVOKE_FUNCTION_NAME_PATTERN}")]
    Pattern {
        /// The name as the caller wrote it.
        value: String,
    },
    /// A full ARN in another region: Lambda serves only its own region's functions.
    #[error("Functions from '{arn_region}' are not reachable in this region ('{region}')")]
    OtherRegion {
        /// The ARN's region.
        arn_region: String,
        /// The region Sluice serves.
        region: String,
    },
    /// `name:q1` with `Qualifier=q2`.
    #[error(
        "The derived qualifier from the function name does not match the specified qualifier."
    )]
    QualifierMismatch,
    /// No such function, or no such version or alias of it.
    #[error("Function not found: {arn}")]
    NotFound {
        /// The function's unqualified ARN.
        arn: String,
        /// The version or alias asked for, if one was.
        qualifier: Option<String>,
    },
}

impl RefError {
    /// The answer `operation` gives.
    pub(super) fn response(&self, operation: Operation) -> Response<Full<Bytes>> {
        match self {
            // AWS (recorded 2024): a ValidationException, 400.
            RefError::Pattern { .. } => error(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                &self.to_string(),
            ),
            // AWS (recorded 2024, CreateFunction; the Go SDK quotes the same for Invoke):
            // ResourceNotFoundException, 404.
            RefError::OtherRegion { .. } => error(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                &self.to_string(),
            ),
            // AWS (EventBridge Scheduler User Guide, troubleshooting a Lambda Invoke target):
            // InvalidParameterValueException.
            RefError::QualifierMismatch => error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                &self.to_string(),
            ),
            RefError::NotFound { arn, qualifier } => {
                // AWS (recorded 2025): Invoke names the version it looked for, `$LATEST` when the
                // caller gave none; the reads name the ARN as asked for.
                let looked_for = match (operation, qualifier) {
                    (_, Some(q)) => format!("{arn}:{q}"),
                    (Operation::Invoke, None) => format!("{arn}:$LATEST"),
                    (Operation::Read, None) => arn.clone(),
                };
                not_found(&looked_for)
            }
        }
    }
}

/// Lambda's answer for a function it does not have.
pub(super) fn not_found(arn: &str) -> Response<Full<Bytes>> {
    error(
        StatusCode::NOT_FOUND,
        "ResourceNotFoundException",
        &format!("Function not found: {arn}"),
    )
}

/// A reference as written, split into its parts; nothing looked up yet.
#[derive(Debug, PartialEq, Eq)]
struct Written<'a> {
    /// The function name (or, SAM CLI's extension, a logical id).
    name: &'a str,
    /// The region of a full ARN.
    region: Option<&'a str>,
    /// The qualifier written after the name.
    qualifier: Option<&'a str>,
}

/// Splits a decoded reference: `name`, `name:q`, `account:function:name[:q]` or
/// `arn:partition:lambda:region:account:function:name[:q]`.
fn split(decoded: &str) -> Written<'_> {
    let parts: Vec<&str> = decoded.split(':').collect();
    let (name, region, qualifier) = match parts.as_slice() {
        ["arn", _, "lambda", region, _, "function", name] => (*name, Some(*region), None),
        ["arn", _, "lambda", region, _, "function", name, q] => (*name, Some(*region), Some(*q)),
        [_, "function", name] => (*name, None, None),
        [_, "function", name, q] => (*name, None, Some(*q)),
        [name, q] => (*name, None, Some(*q)),
        _ => (decoded, None, None),
    };
    Written {
        name,
        region,
        qualifier,
    }
}

/// Checks the parts of a reference that need no lookup, in Lambda's order: the pattern (Invoke
/// only), the region, then the two qualifiers; gives the name and the qualifier that applies.
fn check<'a>(
    decoded: &'a str,
    qualifier: Option<String>,
    region: &str,
    operation: Operation,
    known: impl Fn(&str) -> bool,
) -> Result<(&'a str, Option<String>), RefError> {
    // SAM CLI: a logical id names its function too, a nested stack's as `Child/Id`, which the
    // pattern would refuse for its slash; a name Sluice knows is never a client mistake.
    if operation == Operation::Invoke && !INVOKE_FUNCTION_NAME.is_match(decoded) && !known(decoded)
    {
        return Err(RefError::Pattern {
            value: decoded.to_owned(),
        });
    }
    let written = split(decoded);
    if let Some(arn_region) = written.region.filter(|r| *r != region) {
        return Err(RefError::OtherRegion {
            arn_region: arn_region.to_owned(),
            region: region.to_owned(),
        });
    }
    let qualifier = match (written.qualifier, qualifier) {
        (Some(derived), Some(given)) if derived != given => {
            return Err(RefError::QualifierMismatch)
        }
        (derived, given) => given.or(derived.map(str::to_owned)),
    };
    Ok((written.name, qualifier))
}

/// Resolves a path's function reference (percent-encoded) to a known function and the qualifier
/// that applies; only `$LATEST` and the function's aliases exist locally.
pub(super) fn resolve(
    lambda: &Lambda,
    raw: &str,
    qualifier: Option<String>,
    operation: Operation,
) -> Result<(String, Option<String>), RefError> {
    let decoded = percent_decode(raw);
    let known = |name: &str| lambda.spec(lambda.canonical_name(name)).is_some();
    let (name, qualifier) = check(
        &decoded,
        qualifier,
        &lambda.config.aws.region,
        operation,
        known,
    )?;
    // SAM CLI: a logical id invokes its function too (Lambda knows only names).
    let name = lambda.canonical_name(name);
    let not_found = |qualifier: Option<String>| RefError::NotFound {
        arn: lambda.arn(name),
        qualifier,
    };
    if lambda.spec(name).is_none() {
        return Err(not_found(qualifier));
    }
    match qualifier.as_deref() {
        None => Ok((name.to_owned(), qualifier)),
        // `$LATEST` and the function's aliases run the code on disk; published versions do not
        // exist locally.
        Some(q) if lambda.accepts_qualifier(name, q) => Ok((name.to_owned(), qualifier)),
        Some(_) => Err(not_found(qualifier)),
    }
}

/// A path segment or query value, percent-decoded.
pub(super) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(
        name: &str,
        qualifier: Option<&str>,
        operation: Operation,
    ) -> Result<(String, Option<String>), RefError> {
        check(
            name,
            qualifier.map(str::to_owned),
            "us-east-1",
            operation,
            |n| n == "Child/Fn",
        )
        .map(|(n, q)| (n.to_owned(), q))
    }

    #[test]
    fn invoke_pattern_compiles() {
        assert!(INVOKE_FUNCTION_NAME.is_match("my-function"));
    }

    #[test]
    fn every_name_form_lambda_accepts_passes_with_its_qualifier() {
        let ok = |name, qualifier| checked(name, qualifier, Operation::Invoke).unwrap();
        assert_eq!(ok("fn.v2", None), ("fn.v2".into(), None));
        assert_eq!(ok("fn:live", None), ("fn".into(), Some("live".into())));
        assert_eq!(ok("fn", Some("live")), ("fn".into(), Some("live".into())));
        assert_eq!(
            ok("fn:live", Some("live")),
            ("fn".into(), Some("live".into()))
        );
        assert_eq!(
            ok("123456789012:function:fn:$LATEST", None),
            ("fn".into(), Some("$LATEST".into()))
        );
        assert_eq!(
            ok(
                "arn:aws:lambda:us-east-1:123456789012:function:fn",
                Some("1")
            ),
            ("fn".into(), Some("1".into()))
        );
        // SAM CLI's nested-stack logical id, which Lambda's pattern would refuse.
        assert_eq!(ok("Child/Fn", None), ("Child/Fn".into(), None));
    }

    #[test]
    fn a_name_outside_lambdas_pattern_is_a_validation_error_on_invoke_only() {
        let name = "arn:aws:lambda:us-east-1:123400000000@function:myfn";
        let err = checked(name, None, Operation::Invoke).unwrap_err();
        // AWS (recorded 2024), byte for byte.
        assert_eq!(
            err.to_string(),
            r"1 validation error detected: Value 'arn:aws:lambda:us-east-1:123400000000@function:myfn' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
        );
        for bad in ["   ", "fn with space", "fn:", "a:b:c:d"] {
            assert!(
                matches!(
                    checked(bad, None, Operation::Invoke),
                    Err(RefError::Pattern { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(checked(name, None, Operation::Read).is_ok());
    }

    #[test]
    fn an_arn_from_another_region_is_not_reachable() {
        let err = checked(
            "arn:aws:lambda:eu-central-1:123456789012:function:fn",
            None,
            Operation::Invoke,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Functions from 'eu-central-1' are not reachable in this region ('us-east-1')"
        );
    }

    #[test]
    fn two_different_qualifiers_are_refused() {
        for operation in [Operation::Invoke, Operation::Read] {
            let err = checked("fn:2", Some("1"), operation).unwrap_err();
            assert!(matches!(err, RefError::QualifierMismatch), "{err:?}");
            assert_eq!(
                err.to_string(),
                "The derived qualifier from the function name does not match the specified qualifier."
            );
        }
    }
}
