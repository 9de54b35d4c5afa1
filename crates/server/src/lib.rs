//! Composition: builds the Lambda service and the gateway from a `Config` and a template `Model`,
//! serves them on bound listeners, and shuts everything down.

mod config;
mod env_vars;
mod error;
mod function_spec;
pub mod header_case;
mod http_listener;
mod invoke_adapter;
mod terminal_log;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use sluice_apigw::{Gateway, GatewayOptions};
use sluice_lambda::{Invocation, InvokeError, Lambda, LambdaConfig};
use sluice_template::{LoadOptions, Model};
use tokio::net::TcpListener;

pub use config::{Config, WarmContainers};
pub use env_vars::EnvVarOverrides;
pub use error::ServerError;
pub use terminal_log::TerminalLog;

/// Loads the template a `Config` names.
pub fn load_model(config: &Config) -> Result<Model, ServerError> {
    let options = LoadOptions {
        parameter_overrides: config.parameter_overrides.clone(),
        region: config.region.clone(),
        account_id: config.account_id.clone(),
        ..LoadOptions::default()
    };
    Ok(sluice_template::load(&config.template, &options)?)
}

/// A running application: its model, its functions and its gateway.
pub struct Application {
    model: Model,
    lambda: Arc<Lambda>,
    gateway: Arc<Gateway>,
    log: Arc<TerminalLog>,
    warnings: Vec<String>,
}

impl Application {
    /// Builds the functions and routes of `model` (no process starts until `start` or an invoke).
    pub fn build(config: &Config, model: Model) -> Result<Self, ServerError> {
        let state_dir = config.state_dir();
        let overrides = match &config.env_vars_file {
            Some(path) => EnvVarOverrides::load(path)?,
            None => EnvVarOverrides::default(),
        };
        let mut warnings = Vec::new();
        let specs = model
            .functions
            .iter()
            .map(|f| function_spec::function_spec(f, &overrides, &state_dir, &mut warnings))
            .collect::<Result<Vec<_>, _>>()?;
        let log = Arc::new(TerminalLog::new());
        let lambda = Lambda::new(
            specs,
            LambdaConfig {
                default_concurrency: config.default_concurrency,
                idle_timeout: config.idle_timeout,
                region: config.region.clone(),
                account_id: config.account_id.clone(),
                extra_env: BTreeMap::new(),
                cache_dir: state_dir.join("runtime"),
                log_sink: log.clone(),
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
                account_id: config.account_id.clone(),
                region: config.region.clone(),
                ..GatewayOptions::default()
            },
        )?;
        Ok(Self {
            model,
            lambda,
            gateway: Arc::new(gateway),
            log,
            warnings,
        })
    }

    /// The loaded template.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Warnings found while composing (beyond the template's own).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Starts one sandbox per function (`--warm-containers EAGER`).
    pub async fn prewarm(&self) -> Result<(), ServerError> {
        Ok(self.lambda.prewarm().await?)
    }

    /// Serves the REST APIs on `listener` until `shutdown` resolves.
    pub async fn serve_api(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        http_listener::serve_gateway(listener, self.gateway.clone(), self.log.clone(), shutdown)
            .await;
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
