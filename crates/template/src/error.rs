//! The one error type of template loading, rendered as `file:line:col: property: message`.

use std::fmt;
use std::path::PathBuf;

/// Why a template could not be turned into a [`crate::Model`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The template file could not be read.
    #[error("{}: cannot read the template: {source}", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML.
    #[error("{}:{line}:{col}: YAML syntax error: {message}", file.display())]
    Syntax {
        /// The template file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// The parser's message.
        message: String,
    },
    /// A property has a value Sluice (or AWS) would reject.
    #[error("{}:{line}:{col}: {property}: {message}{}", file.display(), HintSuffix(hint.as_deref()))]
    Invalid {
        /// The template file.
        file: PathBuf,
        /// 1-based line of the offending node.
        line: usize,
        /// 1-based column of the offending node.
        col: usize,
        /// Dotted property path (`Resources.Fn.Properties.Events.E.Properties.Method`).
        property: String,
        /// What is wrong.
        message: String,
        /// The obvious fix, when there is one.
        hint: Option<String>,
    },
    /// `--parameter-overrides` could not be parsed.
    #[error("--parameter-overrides: {message}")]
    ParameterOverrides {
        /// What is wrong with the string.
        message: String,
    },
}

/// Renders an optional hint on its own line, so the first line stays `file:line:col: …`.
struct HintSuffix<'a>(Option<&'a str>);

impl fmt::Display for HintSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(hint) => write!(f, "\n  hint: {hint}"),
            None => Ok(()),
        }
    }
}
