//! Lambda's runtime identifiers (`python3.12`, `nodejs20.x`, `provided.al2023`): which family one
//! belongs to, decided here once for the template, the server and the sandboxes.

/// A family of Lambda runtimes that Sluice starts the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuntimeFamily {
    /// `python3.x`: Sluice's embedded bootstrap under the host's python.
    Python,
    /// `nodejsN.x`: Sluice's embedded bootstrap under the host's node.
    Node,
    /// `provided`, `provided.al2`, `provided.al2023`: the function's own `bootstrap` executable.
    Provided,
}

impl RuntimeFamily {
    /// The family of a `Runtime` value, or `None` for one Sluice cannot run (java, dotnet, ruby…).
    pub fn of(runtime: &str) -> Option<RuntimeFamily> {
        if runtime.starts_with("python3") {
            Some(RuntimeFamily::Python)
        } else if runtime.starts_with("nodejs") {
            Some(RuntimeFamily::Node)
        } else if matches!(runtime, "provided" | "provided.al2" | "provided.al2023") {
            Some(RuntimeFamily::Provided)
        } else {
            None
        }
    }
}

/// Every identifier Lambda's `CreateFunction` accepts as `Runtime`, deprecated ones included (the
/// API's enum, as aws-sdk-js-v3's client-lambda lists it after adding python3.14 and java25).
/// Lambda refuses any other value ("Value '…' at 'runtime' failed to satisfy constraint: Member
/// must satisfy enum value set", aws/aws-cli#3229), so CloudFormation fails the deployment.
pub const LAMBDA_RUNTIMES: &[&str] = &[
    "nodejs",
    "nodejs4.3",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "java8",
    "java8.al2",
    "java11",
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "python3.9",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet6",
    "dotnet8",
    "nodejs4.3-edge",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "provided",
    "provided.al2",
    "nodejs18.x",
    "python3.10",
    "java17",
    "ruby3.2",
    "ruby3.3",
    "ruby3.4",
    "python3.11",
    "nodejs20.x",
    "provided.al2023",
    "python3.12",
    "java21",
    "python3.13",
    "nodejs22.x",
    "nodejs24.x",
    "python3.14",
    "java25",
];

/// Whether Lambda accepts `runtime` as a `Runtime` value at all.
pub fn is_lambda_runtime(runtime: &str) -> bool {
    LAMBDA_RUNTIMES.contains(&runtime)
}

/// The Lambda runtime `runtime` most likely misspells (`provided.al2023023` → `provided.al2023`),
/// if one is close: a few edits, fewer for short names.
pub fn closest_lambda_runtime(runtime: &str) -> Option<&'static str> {
    let allowed = (runtime.chars().count() / 4).max(2);
    // Ties go to the longer shared start: `nodejs20` means `nodejs20.x`, not `nodejs`.
    let shared_start = |known: &str| {
        runtime
            .chars()
            .zip(known.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    LAMBDA_RUNTIMES
        .iter()
        .map(|known| (edit_distance(runtime, known), *known))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, known)| (*distance, std::cmp::Reverse(shared_start(known))))
        .map(|(_, known)| known)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{closest_lambda_runtime, is_lambda_runtime, RuntimeFamily};

    #[test]
    fn a_misspelt_runtime_is_no_lambda_runtime_and_its_closest_one_is_named() {
        // serverless-patterns' apigw-lambda-rust sets Runtime: provided.al2023023 in its Globals.
        assert!(!is_lambda_runtime("provided.al2023023"));
        assert_eq!(
            closest_lambda_runtime("provided.al2023023"),
            Some("provided.al2023")
        );
        assert_eq!(closest_lambda_runtime("pyhton3.12"), Some("python3.12"));
        assert_eq!(closest_lambda_runtime("nodejs20"), Some("nodejs20.x"));
        assert!(is_lambda_runtime("java21") && is_lambda_runtime("python2.7"));
        assert_eq!(closest_lambda_runtime("cobol"), None);
    }

    #[test]
    fn families_of_lambda_runtime_ids() {
        assert_eq!(RuntimeFamily::of("python3.12"), Some(RuntimeFamily::Python));
        assert_eq!(RuntimeFamily::of("nodejs20.x"), Some(RuntimeFamily::Node));
        assert_eq!(
            RuntimeFamily::of("provided.al2023"),
            Some(RuntimeFamily::Provided)
        );
        assert_eq!(RuntimeFamily::of("provided.al3"), None);
        assert_eq!(RuntimeFamily::of("java21"), None);
        assert_eq!(RuntimeFamily::of("python2.7"), None);
    }
}
