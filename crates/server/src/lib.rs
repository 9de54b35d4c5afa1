//! Composition: builds the Lambda service, the DynamoDB store and the gateway from a `Config` and a
//! template `Model`, serves them on bound listeners, and shuts everything down.

pub mod auth_setup;
mod config;
mod env_vars;
mod error;
mod function_spec;
pub mod header_case;
mod http_listener;
mod invoke_adapter;
mod python_host;
mod services_endpoint;
mod terminal_log;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use sluice_apigw::{Gateway, GatewayOptions};
use sluice_dynamodb::{DynamoDb, EnsureOutcome, StoreLocation};
use sluice_lambda::{Invocation, InvokeError, Lambda, LambdaConfig};
use sluice_template::{LoadOptions, Model};
use tokio::net::TcpListener;

pub use config::{Config, WarmContainers};
pub use env_vars::EnvVarOverrides;
pub use error::ServerError;
pub use terminal_log::TerminalLog;

/// Sends the libraries' `tracing` events (gateway 502 reasons, store warnings) to stderr.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Loads the template a `Config` names.
pub fn load_model(config: &Config) -> Result<Model, ServerError> {
    let options = LoadOptions {
        parameter_overrides: config.parameter_overrides.clone(),
        aws: config.aws.clone(),
        ..LoadOptions::default()
    };
    Ok(sluice_template::load(&config.template, &options)?)
}

/// Opens the DynamoDB store a `Config` names (`.sluice/dynamodb/`, or memory).
pub fn open_dynamodb(config: &Config) -> Result<Arc<DynamoDb>, ServerError> {
    let location = if config.in_memory {
        StoreLocation::InMemory
    } else {
        StoreLocation::Dir(config.state_dir().join("dynamodb"))
    };
    Ok(DynamoDb::open(location)?)
}

/// Opens the store and creates the template's tables that are missing; what it did goes to `notes`.
pub fn open_dynamodb_with_tables(
    config: &Config,
    model: &Model,
    notes: &mut Vec<String>,
) -> Result<Arc<DynamoDb>, ServerError> {
    let dynamodb = open_dynamodb(config)?;
    for table in &model.tables {
        let mut request = table.create_table.clone();
        if let Some(attribute) = &table.ttl_attribute {
            // The store accepts TTL with the table, so template tables expire items from the start.
            request["TimeToLiveSpecification"] =
                serde_json::json!({ "AttributeName": attribute, "Enabled": true });
        }
        match dynamodb.ensure_table(&request)? {
            EnsureOutcome::Created => notes.push(format!("Created DynamoDB table {}", table.name)),
            EnsureOutcome::Unchanged => {}
            EnsureOutcome::SchemaDiffers { differences } => notes.push(format!(
                "Warning: DynamoDB table {} already exists with another schema ({}); it is kept as it is — delete it to recreate",
                table.name,
                differences.join("; ")
            )),
        }
    }
    Ok(dynamodb)
}

/// A running application: its model, functions, tables and gateway.
pub struct Application {
    model: Model,
    lambda: Arc<Lambda>,
    gateway: Arc<Gateway>,
    services: Arc<services_endpoint::Services>,
    notes: Vec<String>,
}

impl Application {
    /// Builds the functions, tables and routes of `model`; handlers reach the services endpoint at
    /// `services_addr`. No function process starts until `prewarm` or an invocation.
    pub fn build(
        config: &Config,
        model: Model,
        services_addr: SocketAddr,
    ) -> Result<Self, ServerError> {
        let state_dir = config.state_dir();
        let overrides = match &config.env_vars_file {
            Some(path) => EnvVarOverrides::load(path)?,
            None => EnvVarOverrides::default(),
        };
        let mut notes = Vec::new();
        let specs = model
            .functions
            .iter()
            .map(|f| function_spec::function_spec(f, &overrides, &state_dir, &mut notes))
            .collect::<Result<Vec<_>, _>>()?;

        let dynamodb = open_dynamodb_with_tables(config, &model, &mut notes)?;

        let extra_env = services_env(services_addr, &model, &mut notes);
        // After the Generation refactor this state is opened once by `run` and handed to each
        // generation; today one Application lives for the whole process, so opening it here is
        // the same thing.
        let guard_state = auth_setup::open_guard_state(config)?;
        let issuers = auth_setup::local_issuers(config, &model)?;
        for (logical_id, issuer) in &issuers {
            notes.push(format!(
                "Cognito user pool {logical_id} ({}): JWKS at http://{services_addr}/{}/.well-known/jwks.json",
                issuer.pool_id(),
                issuer.pool_id()
            ));
        }
        let guards = auth_setup::guards(config, &model, &issuers, guard_state, &mut notes)?;
        for line in guards.unenforceable() {
            notes.push(format!(
                "Warning: {line}: this route answers 500 (Sluice fails closed)"
            ));
        }
        let log = Arc::new(TerminalLog::new());
        let lambda = Lambda::new(
            specs,
            LambdaConfig {
                default_concurrency: config.default_concurrency,
                idle_timeout: config.idle_timeout,
                aws: config.aws.clone(),
                extra_env,
                cache_dir: state_dir.join("runtime"),
                log_sink: log.clone(),
                event_retry_delays: sluice_lambda::AWS_EVENT_RETRY_DELAYS.to_vec(),
            },
        )?;
        let gateway = Gateway::new(
            &model.rest_apis,
            Arc::new(invoke_adapter::LambdaIntegration {
                lambda: lambda.clone(),
                names: model
                    .functions
                    .iter()
                    .map(|f| (f.logical_id.clone(), f.name.clone()))
                    .collect(),
            }),
            GatewayOptions {
                aws: config.aws.clone(),
                ..GatewayOptions::default()
            },
        )?
        .with_access_log(log.clone())
        .with_guards(Arc::new(guards));
        Ok(Self {
            model,
            services: Arc::new(services_endpoint::Services {
                lambda: lambda.clone(),
                dynamodb,
                cognito: auth_setup::well_known(&issuers),
            }),
            lambda,
            gateway: Arc::new(gateway),
            notes,
        })
    }

    /// The loaded template.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// What composing did or found (tables created, overrides ignored), one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Starts one sandbox per function (`--warm-containers EAGER`).
    pub async fn prewarm(&self) -> Result<(), ServerError> {
        Ok(self.lambda.prewarm().await?)
    }

    /// Serves the REST APIs on `listener` until `shutdown` resolves.
    pub async fn serve_api(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        http_listener::serve_gateway(listener, self.gateway.clone(), shutdown).await;
    }

    /// Serves the services endpoint (DynamoDB, Lambda Invoke API) until `shutdown` resolves.
    pub async fn serve_services(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        services_endpoint::serve(listener, self.services.clone(), shutdown).await;
    }

    /// One synchronous invocation (`sluice invoke`).
    pub async fn invoke(&self, function: &str, payload: Bytes) -> Result<Invocation, InvokeError> {
        let name = self
            .model
            .function(function)
            .map(|f| f.name.as_str())
            .unwrap_or(function);
        self.lambda.invoke(name, payload).await
    }

    /// Stops every sandbox.
    pub async fn shutdown(&self) {
        self.lambda.shutdown().await;
    }
}

/// The environment that points every SDK in a handler at the services endpoint, as on AWS the
/// runtime points them at the region's real endpoints.
fn services_env(
    services_addr: SocketAddr,
    model: &Model,
    notes: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let url = format!("http://{services_addr}");
    let mut env = BTreeMap::from([
        ("AWS_ENDPOINT_URL".to_owned(), url.clone()),
        ("AWS_ENDPOINT_URL_DYNAMODB".to_owned(), url.clone()),
        ("AWS_ENDPOINT_URL_LAMBDA".to_owned(), url),
    ]);
    let python: Vec<&str> = model
        .functions
        .iter()
        .map(|f| f.runtime.as_str())
        .filter(|r| r.starts_with("python"))
        .collect();
    if !python.is_empty() {
        let host = python_host::probe();
        notes.extend(python_host::version_note(
            python.iter().copied(),
            host.version.as_deref(),
        ));
        match python_host::boto3_path(&host, &python_host::cache_root()) {
            Ok(Some(path)) => {
                env.insert("PYTHONPATH".to_owned(), path.display().to_string());
            }
            Ok(None) => {}
            Err(message) => notes.push(message),
        }
    }
    env
}
