//! Composition: builds the Lambda service, the DynamoDB store and the gateway from a `Config` and a
//! template `Model`, serves them on bound listeners, swaps in a new template generation on reload,
//! and shuts everything down.

pub mod auth_setup;
mod batch_writer;
mod bounded_install;
pub mod build;
mod cargo_build;
mod cargo_manifest;
mod code_archive;
mod config;
mod connections;
mod console;
pub mod cost;
mod env_vars;
mod error;
mod front_end_status;
mod function_spec;
mod generation;
pub mod header_case;
mod http_endpoints;
mod http_listener;
mod invoke_adapter;
mod limits_redis;
pub mod logs;
mod node_host;
mod python_host;
mod remote_dynamodb;
mod runtime_notes;
mod service_adapter;
mod services_endpoint;
mod state_files;
mod static_files;
mod stream_mappings;
mod terminal_log;
pub mod traffic;
mod watch;

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use sluice_dynamodb::{DynamoDb, EnsureOutcome, StoreLocation, Sweeper, SweeperError};
use sluice_lambda::{Invocation, InvokeError};
use sluice_template::{LoadOptions, Model};
use tokio::net::TcpListener;

use crate::generation::{Generation, Shared};

pub use cargo_build::CargoBuildError;
pub use config::{Config, WarmContainers};
pub use console::DEFAULT_PREFIX as CONSOLE_PREFIX;
pub use env_vars::EnvVarOverrides;
pub use error::ServerError;
pub use function_spec::check_application;
pub use sluice_apigw::auth::sigv4::SigningKey;
pub use sluice_apigw::function_url_addresses;
pub use terminal_log::TerminalLog;
pub use watch::{ReloadError, ReloadEvent, Reloader, WatchError};

/// Sends the libraries' `tracing` events (gateway 502 reasons, store warnings) to stderr, coloured
/// when `color`; `verbose` (`--debug`) adds Sluice's debug lines unless `SLUICE_LOG` chooses otherwise.
pub fn init_logging(verbose: bool, color: bool) {
    let default = if verbose { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
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
    if config.in_memory {
        return Ok(DynamoDb::open(StoreLocation::InMemory, config.aws.clone())?);
    }
    let dir = config.state_dir().join("dynamodb");
    let dynamodb = DynamoDb::open(StoreLocation::Dir(dir.clone()), config.aws.clone())?;
    if let Err(err) = state_files::make_private(&dir) {
        tracing::warn!(%err, "cannot make {} private to Sluice", dir.display());
    }
    Ok(dynamodb)
}

/// Opens the store and creates the template's tables that are missing; what it did goes to `notes`.
pub fn open_dynamodb_with_tables(
    config: &Config,
    model: &Model,
    notes: &mut Vec<String>,
) -> Result<Arc<DynamoDb>, ServerError> {
    let dynamodb = open_dynamodb(config)?;
    ensure_tables(&dynamodb, model, notes)?;
    Ok(dynamodb)
}

/// Creates the template's tables that are missing; a table whose schema changed is reported and
/// kept, never dropped.
fn ensure_tables(
    dynamodb: &DynamoDb,
    model: &Model,
    notes: &mut Vec<String>,
) -> Result<(), ServerError> {
    for table in &model.tables {
        match dynamodb.ensure_table(&table.spec)? {
            EnsureOutcome::Created => notes.push(format!("Created DynamoDB table {}", table.name)),
            EnsureOutcome::Unchanged => {}
            EnsureOutcome::SchemaDiffers { differences } => notes.push(format!(
                "Warning: DynamoDB table {} already exists with another schema ({}); it is kept as it is — delete it to recreate",
                table.name,
                differences.join("; ")
            )),
        }
    }
    Ok(())
}

/// How long stream pollers get to finish the batch they are delivering when they are stopped.
const STREAM_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The listeners an application serves: the API (absent for `start-lambda`), Function URLs on
/// ports of their own, and the services endpoint.
#[derive(Debug)]
pub struct Listeners {
    /// API Gateway's port.
    pub api: Option<TcpListener>,
    /// `start-function-urls`: one port per Function URL, serving it at its root (the URL's
    /// target, `MyFn` or `MyFn:live`, and its listener).
    pub function_urls: Vec<(String, TcpListener)>,
    /// The services endpoint (DynamoDB, Lambda Invoke API).
    pub services: TcpListener,
}

/// A running application: the parts opened once, and the current template generation.
pub struct Application {
    shared: Arc<Shared>,
    /// Read per request; a reload stores a new generation and the old one ends when its last
    /// in-flight request does.
    current: Arc<ArcSwap<Generation>>,
    notes: Vec<String>,
    /// Every note said so far, so a reload reports only what is new.
    said: std::sync::Mutex<BTreeSet<String>>,
    /// The store's TTL sweeper, owned here and stopped by [`Application::shutdown`].
    sweeper: std::sync::Mutex<Option<Sweeper>>,
}

impl Application {
    /// Opens the store and builds the functions, tables and routes of `model`; handlers reach the
    /// services endpoint at `services_addr`. No function process starts until `prewarm` or an
    /// invocation. Must run inside a tokio runtime (background work starts here, owned by the
    /// application).
    pub fn build(
        config: &Config,
        model: Model,
        services_addr: SocketAddr,
    ) -> Result<Self, ServerError> {
        // Interpreter processes (through version managers' shims) are the slowest part of
        // startup: they run while the store opens and the routes compile.
        sluice_lambda::resolve_interpreters_in_background(
            model.functions.iter().map(|f| f.runtime.as_str()),
        );
        let mut notes = Vec::new();
        let remote = remote_dynamodb(config, &model)?;
        // With a remote service the local store still keeps the stream mappings' checkpoints.
        let dynamodb = match &remote {
            Some(remote) => {
                let via = match remote.proxy() {
                    Some(proxy) => format!(" through the proxy {proxy} (NO_PROXY skips it)"),
                    None => String::new(),
                };
                notes.push(format!(
                    "DynamoDB: calls go to {}{via}; the template's tables are created there",
                    remote.url()
                ));
                open_dynamodb(config)?
            }
            None => open_dynamodb_with_tables(config, &model, &mut notes)?,
        };
        let sweeper = start_sweeper(&dynamodb, &mut notes);
        let guard_state = auth_setup::open_guard_state(config)?;
        let shared = Shared::new(config.clone(), dynamodb, remote, services_addr, guard_state)?;
        let generation = Generation::build(&shared, None, model, &BTreeSet::new(), &mut notes)?;
        if let Some(prefix) = &config.console {
            notes.extend(console::shadow_notes(&generation.model, prefix));
        }
        generation.start_streams(shared.stream_source.clone());
        Ok(Self {
            shared: Arc::new(shared),
            current: Arc::new(ArcSwap::from_pointee(generation)),
            said: std::sync::Mutex::new(notes.iter().cloned().collect()),
            notes,
            sweeper: std::sync::Mutex::new(sweeper),
        })
    }

    /// The loaded template of the current generation.
    pub fn model(&self) -> Arc<Model> {
        self.current.load().model.clone()
    }

    /// What composing did or found (tables created, overrides ignored), one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Builds a generation from `model` and swaps it in: new requests use it at once, requests in
    /// flight finish on the old one. Functions whose configuration is unchanged and whose name
    /// (the Lambda function name) is not in `code_changed` keep their warm sandboxes; the others'
    /// old sandboxes stop when their last invocation ends. The store is kept; the template's
    /// missing tables are created (never dropped). On error the current generation keeps
    /// serving. Returns what building did or found that was not said before.
    pub fn reload(
        &self,
        model: Model,
        code_changed: &BTreeSet<String>,
    ) -> Result<Vec<String>, ServerError> {
        let mut notes = Vec::new();
        match &self.shared.remote {
            Some(remote) => {
                let remote = remote.clone();
                let tables: Vec<_> = model.tables.iter().map(|t| t.spec.clone()).collect();
                tokio::spawn(async move {
                    for note in remote.ensure_tables(&tables).await {
                        tracing::info!("{note}");
                    }
                });
            }
            None => ensure_tables(&self.shared.dynamodb, &model, &mut notes)?,
        }
        let previous = self.current.load_full();
        let generation = Generation::build(
            &self.shared,
            Some(&previous),
            model,
            code_changed,
            &mut notes,
        )?;
        if let Some(prefix) = &self.shared.config.console {
            notes.extend(console::shadow_notes(&generation.model, prefix));
        }
        let generation = Arc::new(generation);
        self.current.store(generation.clone());
        // The old pollers finish their batch and stop before the new ones read the checkpoints.
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let _switch = shared.streams_switch.lock().await;
            if let Some(pollers) = previous.stop_streams() {
                pollers.stop(STREAM_STOP_GRACE).await;
            }
            generation.start_streams(shared.stream_source.clone());
        });
        let mut said = self.said.lock().unwrap_or_else(|p| p.into_inner());
        Ok(notes
            .into_iter()
            .filter(|n| said.insert(n.clone()))
            .collect())
    }

    /// Starts one sandbox per function (`--warm-containers EAGER`).
    pub async fn prewarm(&self) -> Result<(), ServerError> {
        let lambda = self.current.load().lambda.clone();
        Ok(lambda.prewarm().await?)
    }

    /// Serves the API, the Function URLs' own ports and the services endpoint until `shutdown`
    /// resolves (the services endpoint stays up until the others have drained, so handlers
    /// finishing their last requests still reach DynamoDB), then stops every sandbox.
    pub async fn run(&self, listeners: Listeners, shutdown: impl Future<Output = ()>) {
        let (stop_front, front_stopped) = tokio::sync::watch::channel(false);
        let (stop_services, services_stopped) = tokio::sync::watch::channel(false);
        let signalled = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let services = self.serve_services(listeners.services, signalled(services_stopped));
        let api = async {
            if let Some(api) = listeners.api {
                self.serve_api(api, signalled(front_stopped.clone())).await;
            }
        };
        let urls = futures_util::future::join_all(listeners.function_urls.into_iter().map(
            |(function, listener)| {
                self.serve_function_url(listener, function, signalled(front_stopped.clone()))
            },
        ));
        // With no front door (`start-lambda`) the services still wait for the signal.
        let front = async {
            tokio::join!(api, urls, signalled(front_stopped.clone()));
            let _ = stop_services.send(true);
        };
        let trigger = async {
            shutdown.await;
            let _ = stop_front.send(true);
        };
        tokio::join!(trigger, front, services);
        self.shutdown().await;
    }

    /// Serves the APIs and Function URLs on `listener` until `shutdown` resolves.
    pub async fn serve_api(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        self.serve_front_door(listener, None, shutdown).await;
    }

    /// Serves the URL of `target` (`MyFn`, or `MyFn:live` for an alias's URL) alone on
    /// `listener`, at its root, until `shutdown` resolves.
    pub async fn serve_function_url(
        &self,
        listener: TcpListener,
        target: String,
        shutdown: impl Future<Output = ()>,
    ) {
        self.serve_front_door(listener, Some(target), shutdown)
            .await;
    }

    /// The gateway on `listener`: every API and URL, or only the URL of `pinned`.
    async fn serve_front_door(
        &self,
        listener: TcpListener,
        pinned: Option<String>,
        shutdown: impl Future<Output = ()>,
    ) {
        let current = self.current.clone();
        let gateway = move || current.load().gateway.clone();
        let log = self.shared.log.clone();
        let statics = self.shared.static_files.clone();
        let limit = self.shared.connections.clone();
        let console = self.shared.config.console.as_deref().map(|prefix| {
            Arc::new(console::Console::new(
                prefix,
                self.current.clone(),
                self.shared.clone(),
            ))
        });
        let served = http_listener::Served {
            log,
            // A URL's own port serves the function alone, as its own host does on AWS.
            static_files: statics.filter(|_| pinned.is_none()),
            console: console.filter(|_| pinned.is_none()),
            pinned,
        };
        http_listener::serve_gateway(listener, limit, gateway, served, shutdown).await;
    }

    /// Serves the services endpoint (DynamoDB, Lambda Invoke API) until `shutdown` resolves.
    pub async fn serve_services(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        let services = Arc::new(services_endpoint::Services {
            current: self.current.clone(),
            dynamodb: self.shared.dynamodb.clone(),
            remote: self.shared.remote.clone(),
            logs: self.shared.logs.clone(),
            aws: self.shared.config.aws.clone(),
            traffic: self.shared.traffic.clone(),
        });
        let limit = self.shared.connections.clone();
        services_endpoint::serve(listener, limit, services, shutdown).await;
    }

    /// One synchronous invocation (`sluice invoke`).
    pub async fn invoke(&self, function: &str, payload: Bytes) -> Result<Invocation, InvokeError> {
        let generation = self.current.load_full();
        let name = generation
            .model
            .function(function)
            .map(|f| f.name.as_str())
            .unwrap_or(function);
        generation.lambda.invoke(name, payload).await
    }

    /// Waits until every answered invocation has ended (extensions done with it, or timed out).
    pub async fn settle(&self) {
        self.current.load_full().lambda.settle().await;
    }

    /// What the run's traffic would cost on AWS, as the short table printed at shutdown.
    pub fn cost_table(&self) -> Vec<String> {
        self.shared
            .run_costs(&self.current.load().model)
            .short_table()
    }

    /// Stops the stream pollers and every sandbox of the current generation and the store's
    /// sweeper, and keeps the run's traffic in the state folder for `sluice report` (a run that served no API request,
    /// such as `start-lambda`, leaves the last API run's file as it was).
    pub async fn shutdown(&self) {
        {
            let _switch = self.shared.streams_switch.lock().await;
            if let Some(pollers) = self.current.load().stop_streams() {
                pollers.stop(STREAM_STOP_GRACE).await;
            }
        }
        self.current.load().lambda.shutdown().await;
        // The sandboxes' last lines (their Shutdown phase included) are queued: write them now,
        // before anything Sluice prints after shutdown.
        self.shared.logs.flush();
        self.shared.log.flush();
        let saved = self.shared.saved_traffic();
        if !saved.routes.is_empty() {
            let dir = self.shared.config.state_dir();
            if let Err(err) = saved.save(&dir) {
                tracing::warn!(%err, "cannot keep the run's traffic in {} for sluice report", dir.display());
            }
        }
        let sweeper = self
            .sweeper
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(sweeper) = sweeper {
            // Joining waits for a sweep in progress, which blocks on SQLite.
            let _ = tokio::task::spawn_blocking(move || sweeper.stop()).await;
        }
    }
}

/// The `--dynamodb-endpoint` service, if one is configured, with the template's tables to create
/// there; creating them starts at once, and calls wait for it.
fn remote_dynamodb(
    config: &Config,
    model: &Model,
) -> Result<Option<Arc<remote_dynamodb::RemoteDynamoDb>>, ServerError> {
    let Some(url) = &config.dynamodb_endpoint else {
        return Ok(None);
    };
    let tables = model.tables.iter().map(|t| t.spec.clone()).collect();
    let remote = Arc::new(remote_dynamodb::RemoteDynamoDb::new(
        url,
        &config.aws.region,
        config.dynamodb_signing_key.clone(),
        tables,
        hyper_util::client::proxy::matcher::Matcher::from_env(),
    )?);
    let early = remote.clone();
    tokio::spawn(async move { early.ready().await });
    Ok(Some(remote))
}

/// Starts the store's TTL sweeper; `None` when the store already has one (its owner keeps it) or the
/// thread cannot start (expired items then stay until the next start, which `notes` says).
fn start_sweeper(dynamodb: &DynamoDb, notes: &mut Vec<String>) -> Option<Sweeper> {
    match dynamodb.start_sweeper(sluice_dynamodb::DEFAULT_SWEEP_INTERVAL) {
        Ok(sweeper) => Some(sweeper),
        Err(SweeperError::AlreadyRunning) => None,
        Err(SweeperError::Spawn(cause)) => {
            notes.push(format!(
                "Warning: cannot start the DynamoDB TTL sweeper ({cause}); expired items stay until the next start"
            ));
            None
        }
    }
}
