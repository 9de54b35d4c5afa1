//! Errors from building and running the server.

use std::path::PathBuf;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The template could not be loaded.
    #[error(transparent)]
    Template(#[from] sluice_template::TemplateError),
    /// The functions could not be set up.
    #[error(transparent)]
    Lambda(#[from] sluice_lambda::LambdaError),
    /// The routes could not be built.
    #[error(transparent)]
    Route(#[from] sluice_apigw::RouteError),
    /// The DynamoDB store could not be opened.
    #[error(transparent)]
    Store(#[from] sluice_dynamodb::StoreError),
    /// A template table could not be created (an invalid definition, or storage failed).
    #[error(transparent)]
    Table(#[from] sluice_dynamodb::EnsureTableError),
    /// The `--env-vars` file is unreadable or not SAM's format.
    #[error("{path}: {message}")]
    EnvVars {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A `provided` function's executable could not be found.
    #[error("function {function}: {message}")]
    Bootstrap {
        /// The function's logical id.
        function: String,
        /// What is missing and how to build it.
        message: String,
    },
    /// A function's `.zip` layer could not be unpacked.
    #[error("function {function}: cannot unpack the layer {layer}: {message}")]
    Layer {
        /// The function's logical id.
        function: String,
        /// The archive.
        layer: PathBuf,
        /// Why not.
        message: String,
    },
    /// Several functions cannot run: each one's reason, one after another (`validate` reports
    /// them all, as start-up warns about each).
    #[error("{} functions cannot run:\n{}", .0.len(), list(.0))]
    BrokenFunctions(Vec<ServerError>),
    /// Authorizers, API keys or limits could not be set up.
    #[error(transparent)]
    Auth(#[from] crate::auth_setup::AuthSetupError),
    /// `--dynamodb-endpoint` cannot be used.
    #[error(transparent)]
    RemoteDynamoDb(#[from] crate::remote_dynamodb::RemoteError),
    /// A stream event source mapping cannot be set up (a filter pattern Lambda would refuse).
    #[error("stream mapping {mapping}: {message}")]
    StreamMapping {
        /// The mapping (`Function/Event`, or its logical id).
        mapping: String,
        /// What is wrong.
        message: String,
    },
    /// Listening or serving failed.
    #[error("{context}: {source}")]
    Io {
        /// What Sluice was doing.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Errors one per line (a template error's hint stays on its own indented line).
fn list(errors: &[ServerError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
