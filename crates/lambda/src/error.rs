//! Why the service or a sandbox could not be set up.

use std::path::PathBuf;

/// Errors building the service or starting sandboxes.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// Two functions share a name.
    #[error("function {function} is defined twice")]
    DuplicateFunction {
        /// Function name.
        function: String,
    },
    /// Inline code for a runtime that has no inline file name.
    #[error("function {function}: InlineCode is only supported for python and nodejs runtimes")]
    InlineNotSupported {
        /// Function name.
        function: String,
    },
    /// A file in the cache dir could not be written.
    #[error("cannot write {path}: {source}")]
    Cache {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A sandbox failed to start or initialise.
    #[error("function {function}: {message}")]
    Start {
        /// Function name.
        function: String,
        /// Why.
        message: String,
    },
}
