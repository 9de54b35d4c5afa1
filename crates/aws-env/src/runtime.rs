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

#[cfg(test)]
mod tests {
    use super::RuntimeFamily;

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
