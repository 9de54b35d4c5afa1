//! One generation of the application: the model of one template load, with the functions and the
//! gateway built from it. Requests read the current generation; a reload swaps in a new one whole.
//!
//! What must outlive a reload (the DynamoDB store, the host probes, the log) is opened once, in
//! [`Shared`], and only borrowed here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use sluice_apigw::auth::issuer::LocalIssuer;
use sluice_apigw::GuardState;
use sluice_apigw::{Apis, Gateway, GatewayOptions};
use sluice_aws_env::RuntimeFamily;
use sluice_dynamodb::DynamoDb;
use sluice_lambda::stream_poller::{StreamMappingSpec, StreamPollers, StreamSource};
use sluice_lambda::{BackgroundWork, Lambda, LambdaConfig};
use sluice_template::{Code, Model};

use crate::build::BuildPlan;
use crate::config::Config;
use crate::connections::ConnectionLimit;
use crate::cost::{RunCosts, TableTraffic};
use crate::env_vars::EnvVarOverrides;
use crate::error::ServerError;
use crate::logs::{FunctionLogs, LogStore};
use crate::static_files::StaticFiles;
use crate::terminal_log::TerminalLog;
use crate::traffic::{ObservedAccessLog, SavedTraffic, Traffic};
use crate::{auth_setup, function_spec, invoke_adapter, node_host, python_host, service_adapter};

/// What is opened once per process and kept across generations.
pub(crate) struct Shared {
    /// The validated configuration.
    pub config: Config,
    /// The DynamoDB store (reopening it would start a second writer).
    pub dynamodb: Arc<DynamoDb>,
    /// `--dynamodb-endpoint`: the service DynamoDB calls go to instead of `dynamodb`.
    pub remote: Option<Arc<crate::remote_dynamodb::RemoteDynamoDb>>,
    /// The client `HTTP` and `HTTP_PROXY` integrations call their endpoints with (its
    /// connections pooled across reloads).
    pub http_endpoints: Arc<crate::http_endpoints::HttpEndpoints>,
    /// What stream pollers read and checkpoint in.
    pub stream_source: Arc<dyn StreamSource>,
    /// Held while one generation's stream pollers stop and the next one's start, so two never
    /// read one mapping at once (reloads queue on it in order).
    pub streams_switch: tokio::sync::Mutex<()>,
    /// Where function output and access lines go (the terminal, or `--log-file`).
    pub log: Arc<TerminalLog>,
    /// Function logs kept per group and stream (read by `sluice logs` and the CloudWatch Logs API).
    pub logs: Arc<LogStore>,
    /// The run's requests and invocations (the console, metrics and cost report read it).
    pub traffic: Arc<Traffic>,
    /// The sink sandboxes write to: `log` and `logs`.
    function_logs: Arc<FunctionLogs>,
    /// `--static-dir` files served before routing, when the folder exists.
    pub static_files: Option<Arc<StaticFiles>>,
    /// Where handlers reach the services endpoint.
    pub services_addr: SocketAddr,
    /// Authorizer cache and rate/quota counters: kept across reloads, as a stage keeps them.
    pub guard_state: GuardState,
    /// The connections both listeners may hold at once.
    pub connections: Arc<ConnectionLimit>,
    /// The host's python is probed (in the background: it may install boto3) the first time a
    /// generation has a python function; once per process is enough.
    python: Once,
    /// The host's node version, probed (in the background) the first time a generation has a
    /// node function.
    node: Once,
}

impl Shared {
    /// The shared parts for `config`; nothing is probed yet.
    pub fn new(
        config: Config,
        dynamodb: Arc<DynamoDb>,
        remote: Option<Arc<crate::remote_dynamodb::RemoteDynamoDb>>,
        services_addr: SocketAddr,
        guard_state: GuardState,
    ) -> Result<Shared, ServerError> {
        let log = match &config.log_file {
            Some(path) => {
                TerminalLog::to_file(path, config.color).map_err(|source| ServerError::Io {
                    context: format!("opening --log-file {}", path.display()),
                    source,
                })?
            }
            None => TerminalLog::new(config.color),
        };
        let static_files = config
            .static_dir
            .as_deref()
            .and_then(StaticFiles::new)
            .map(Arc::new);
        let log = Arc::new(log);
        let logs = Arc::new(LogStore::in_state_dir(&config.state_dir()));
        let traffic = Arc::new(Traffic::new(crate::traffic::DEFAULT_RECENT));
        let function_logs = Arc::new(FunctionLogs::new(
            log.clone(),
            logs.clone(),
            traffic.clone(),
        ));
        let connections = match config.max_connections {
            Some(max) => ConnectionLimit::new(max),
            None => ConnectionLimit::from_descriptor_limit(),
        };
        let embedded = crate::stream_mappings::EmbeddedStreams {
            dynamodb: dynamodb.clone(),
        };
        let stream_source: Arc<dyn StreamSource> = match &remote {
            Some(remote) => Arc::new(crate::remote_dynamodb::RemoteStreams {
                remote: remote.clone(),
                checkpoints: embedded,
            }),
            None => Arc::new(embedded),
        };
        let http_endpoints = Arc::new(crate::http_endpoints::HttpEndpoints::new(
            hyper_util::client::proxy::matcher::Matcher::from_env(),
        ));
        Ok(Shared {
            config,
            dynamodb,
            remote,
            http_endpoints,
            stream_source,
            streams_switch: tokio::sync::Mutex::new(()),
            log,
            logs,
            traffic,
            function_logs,
            static_files,
            services_addr,
            guard_state,
            connections,
            python: Once::new(),
            node: Once::new(),
        })
    }

    /// What the run's routed traffic and DynamoDB units would cost on AWS, with `model`'s
    /// architectures.
    pub fn run_costs(&self, model: &Model) -> RunCosts {
        let saved = self.saved_traffic();
        RunCosts::new(
            &saved.routes,
            &saved.tables,
            |function| {
                model
                    .function(function)
                    .is_some_and(|f| f.architectures.iter().any(|a| a == "arm64"))
            },
            &self.config.aws.region,
        )
    }

    /// The run's traffic as `sluice report` reads it back.
    pub fn saved_traffic(&self) -> SavedTraffic {
        SavedTraffic {
            routes: self.traffic.route_traffic(),
            tables: self
                .dynamodb
                .consumed_units()
                .into_iter()
                .map(|(table, units)| TableTraffic {
                    table,
                    read_units: units.read,
                    write_units: units.write,
                })
                .collect(),
        }
    }

    /// The environment that points every SDK in a handler at the services endpoint, as on AWS the
    /// runtime points them at the region's real endpoints; python functions also get boto3, node
    /// functions the AWS SDK for JavaScript their runtime ships.
    fn handler_env(&self, model: &Model, notes: &mut Vec<String>) -> HandlerEnv {
        let url = format!("http://{}", self.services_addr);
        let mut env = BTreeMap::from([
            ("AWS_ENDPOINT_URL".to_owned(), url.clone()),
            ("AWS_ENDPOINT_URL_DYNAMODB".to_owned(), url.clone()),
            ("AWS_ENDPOINT_URL_LAMBDA".to_owned(), url),
        ]);
        let of_family = |family| -> Vec<&sluice_template::Function> {
            model
                .functions
                .iter()
                .filter(|f| RuntimeFamily::of(&f.runtime) == Some(family))
                .collect()
        };
        let node = of_family(RuntimeFamily::Node);
        let mut sdk_folders = NodeSdkFolders::default();
        if !node.is_empty() {
            self.node.call_once(|| {
                node_host::probe_in_background(node.iter().map(|f| f.runtime.clone()).collect())
            });
            // Which AWS SDK packages the code needs depends on the code: looked at per generation.
            // A built function (esbuild bundle, makefile artifacts) runs from the state folder.
            let state_dir = self.config.state_dir();
            let node_code: Vec<(&str, &Path, PathBuf)> = node
                .iter()
                .filter_map(|f| match &f.code {
                    Code::Dir(dir) => {
                        let task_root = match crate::build::plan(f, &state_dir) {
                            Some(
                                BuildPlan::Esbuild { artifacts, .. }
                                | BuildPlan::Make { artifacts, .. },
                            ) => artifacts,
                            _ => dir.clone(),
                        };
                        Some((f.runtime.as_str(), dir.as_path(), task_root))
                    }
                    Code::Inline(_) => None,
                })
                .collect();
            let mut packages = node_host::missing_sdk_packages(
                node_code
                    .iter()
                    .map(|(runtime, dir, root)| (*runtime, *dir, root.as_path())),
            );
            packages.extend(node_host::missing_inline_sdk_packages(
                node.iter().filter_map(|f| match &f.code {
                    Code::Inline(source) => Some((f.runtime.as_str(), source.as_str())),
                    Code::Dir(_) => None,
                }),
            ));
            let layers: BTreeSet<(&str, &Path)> = node
                .iter()
                .flat_map(|f| {
                    f.layers
                        .iter()
                        .map(|layer| (f.runtime.as_str(), layer.as_path()))
                })
                .collect();
            packages.extend(node_host::missing_layer_sdk_packages(layers.into_iter()));
            let cache_root = python_host::cache_root();
            let wants_v2 = packages.remove(node_host::SDK_V2);
            match node_host::sdk_path(&packages, &cache_root) {
                Ok(path) => sdk_folders.v3 = path.map(|p| p.display().to_string()),
                Err(message) => notes.push(message),
            }
            if wants_v2 {
                match node_host::sdk_v2_path(&cache_root) {
                    Ok(path) => sdk_folders.v2 = Some(path.display().to_string()),
                    Err(message) => notes.push(message),
                }
            }
        }
        let python: Vec<&str> = of_family(RuntimeFamily::Python)
            .iter()
            .map(|f| f.runtime.as_str())
            .collect();
        if !python.is_empty() {
            // What the probe finds is said once per process, not at every reload.
            self.python.call_once(|| {
                python_host::probe_in_background(python.iter().map(|r| (*r).to_owned()).collect())
            });
            let packages = python_host::packages_dir(&python_host::cache_root());
            env.insert("PYTHONPATH".to_owned(), packages.display().to_string());
        }
        // Each SDK's folder stands where Lambda's runtime folder does on `NODE_PATH`, on the
        // runtimes that ship that SDK only.
        let with_sdk = |folder: Option<String>| {
            let mut with = env.clone();
            if let Some(folder) = folder {
                with.insert("NODE_PATH".to_owned(), folder);
            }
            with
        };
        HandlerEnv {
            node_v3: with_sdk(sdk_folders.v3),
            node_v2: with_sdk(sdk_folders.v2),
            shared: env,
        }
    }
}

/// The `node_modules` folders holding the AWS SDK for JavaScript packages the handlers need.
#[derive(Default)]
struct NodeSdkFolders {
    /// v3's packages (`@aws-sdk/*`), for `nodejs18.x` and later.
    v3: Option<String>,
    /// v2 (`aws-sdk`), for `nodejs16.x` and older.
    v2: Option<String>,
}

/// What Sluice adds to the handlers' environment.
struct HandlerEnv {
    /// What every sandbox gets (search paths that layers extend).
    shared: BTreeMap<String, String>,
    /// The same with the AWS SDK for JavaScript v3 on `NODE_PATH`, for node functions on the
    /// runtimes that ship it (`nodejs18.x` and later), when code of theirs needs it.
    node_v3: BTreeMap<String, String>,
    /// The same with v2 on `NODE_PATH` instead, for `nodejs16.x` and older: Lambda's runtimes
    /// ship one SDK, so there `require('@aws-sdk/client-s3')` fails as `require('aws-sdk')`
    /// does on the newer ones.
    node_v2: BTreeMap<String, String>,
}

impl HandlerEnv {
    /// What `function` starts from.
    fn of(&self, function: &sluice_template::Function) -> &BTreeMap<String, String> {
        if RuntimeFamily::of(&function.runtime) != Some(RuntimeFamily::Node) {
            &self.shared
        } else if node_host::ships_sdk_v2(&function.runtime) {
            &self.node_v2
        } else {
            &self.node_v3
        }
    }
}

/// The model of one template load and everything built from it.
pub(crate) struct Generation {
    /// The loaded template.
    pub model: Arc<Model>,
    /// The functions.
    pub lambda: Arc<Lambda>,
    /// The API Gateway in front of them.
    pub gateway: Arc<Gateway>,
    /// Local Cognito issuers by pool id (their JWKS is served on the services endpoint).
    pub cognito: HashMap<String, Arc<LocalIssuer>>,
    /// The functions' idle reaper and Event worker; dropping the generation stops them.
    _background: BackgroundWork,
    /// The template's stream mappings, compiled.
    stream_specs: Vec<StreamMappingSpec>,
    /// Their pollers, once [`Generation::start_streams`] ran; taken to stop them before the next
    /// generation's pollers start, so two never read one mapping at once.
    streams: std::sync::Mutex<Option<StreamPollers>>,
}

impl Generation {
    /// Builds the functions and routes of `model`; what it did or found goes to `notes`. Must run
    /// inside a tokio runtime: the generation's background work starts here and is owned by it.
    /// After a `previous` generation, functions that did not change (same spec, not named in
    /// `code_changed`) keep their warm sandboxes.
    pub fn build(
        shared: &Shared,
        previous: Option<&Generation>,
        model: Model,
        code_changed: &BTreeSet<String>,
        notes: &mut Vec<String>,
    ) -> Result<Generation, ServerError> {
        let config = &shared.config;
        let state_dir = config.state_dir();
        let overrides = match &config.env_vars_file {
            Some(path) => EnvVarOverrides::load(path)?,
            None => EnvVarOverrides::default(),
        };
        // `--debug-function` may name a logical id; the Lambda service knows functions by name.
        let debug = config.debug.clone().map(|mut debug| {
            if let Some(found) = debug.function.as_deref().and_then(|f| model.function(f)) {
                debug.function = Some(found.name.clone());
            }
            debug
        });
        // Computed first: layers extend its search paths (`PYTHONPATH` with Sluice's boto3).
        let handler_env = shared.handler_env(&model, notes);
        let specs = model
            .functions
            .iter()
            .map(|f| {
                let debug = debug.as_ref();
                let mut spec = function_spec::function_spec(
                    f,
                    &overrides,
                    &state_dir,
                    debug,
                    handler_env.of(f),
                    notes,
                )?;
                spec.local_names = model.local_names(f);
                spec.event_invoke = function_spec::event_invoke(f, &model.functions, notes);
                Ok(spec)
            })
            .collect::<Result<Vec<_>, ServerError>>()?;
        let system_levels = model
            .functions
            .iter()
            .filter_map(|f| Some((f.name.clone(), f.system_log_level.clone()?)))
            .collect();
        let json_logs = crate::logs::json_format_functions(&specs, &system_levels);
        let lambda = Lambda::succeeding(
            previous.map(|p| p.lambda.as_ref()),
            specs,
            LambdaConfig {
                default_concurrency: config.default_concurrency,
                idle_timeout: config.idle_timeout,
                aws: config.aws.clone(),
                extra_env: handler_env.shared,
                cache_dir: state_dir.join("runtime"),
                log_sink: shared.function_logs.clone(),
                event_retry_delays: sluice_lambda::AWS_EVENT_RETRY_DELAYS.to_vec(),
                sandbox_limits: config.sandbox_limits,
                cgroups: sluice_lambda::SandboxCgroups::Auto,
                sandbox_user: config.sandbox_user.clone(),
                fork_sandboxes: config.fork_sandboxes,
                debug,
                shutdown_events: config.shutdown_events,
            },
            code_changed,
        )?;
        shared.function_logs.set_json_functions(json_logs);
        let issuers = auth_setup::local_issuers(config, &model)?;
        for (logical_id, issuer) in &issuers {
            notes.push(format!(
                "Cognito user pool {logical_id} ({}): JWKS at http://{}/{}/.well-known/jwks.json",
                issuer.pool_id(),
                shared.services_addr,
                issuer.pool_id()
            ));
        }
        let guards =
            auth_setup::guards(config, &model, &issuers, shared.guard_state.clone(), notes)?;
        for line in guards.unenforceable() {
            notes.push(format!(
                "Warning: {line}: this route answers 500 (Sluice fails closed)"
            ));
        }
        if previous.is_none() {
            // Probed once per process; a reload's service inherits what was said.
            notes.extend(lambda.notes());
        }
        let model = Arc::new(model);
        let gateway = Gateway::serving(
            Apis {
                rest: &model.rest_apis,
                http: &model.http_apis,
                function_urls: &model.function_urls,
            },
            Arc::new(invoke_adapter::LambdaIntegration {
                lambda: lambda.clone(),
                model: model.clone(),
            }),
            GatewayOptions {
                aws: config.aws.clone(),
                ..GatewayOptions::default()
            },
        )?
        .with_stage_access_logs(&model.access_logs)
        .with_execution_logs(&model.auth, &model.functions)
        .with_access_log(Arc::new(ObservedAccessLog {
            terminal: shared.log.clone(),
            traffic: shared.traffic.clone(),
            logs: shared.logs.clone(),
        }))
        .with_guards(Arc::new(guards))
        .with_services(Arc::new(service_adapter::DynamoDbService {
            dynamodb: shared.dynamodb.clone(),
            remote: shared.remote.clone(),
        }))
        .with_http(shared.http_endpoints.clone());
        let stream_specs = crate::stream_mappings::specs(&model, notes)?;
        let background = lambda.start_background();
        Ok(Generation {
            model,
            lambda,
            gateway: Arc::new(gateway),
            cognito: auth_setup::well_known(&issuers),
            _background: background,
            stream_specs,
            streams: std::sync::Mutex::new(None),
        })
    }

    /// Starts a poller per stream mapping, reading through `source`. Must run inside a tokio
    /// runtime; the generation owns the pollers until [`Generation::stop_streams`].
    pub fn start_streams(&self, source: Arc<dyn StreamSource>) {
        if self.stream_specs.is_empty() {
            return;
        }
        let work = self
            .lambda
            .start_stream_pollers(self.stream_specs.clone(), source);
        *self.streams.lock().unwrap_or_else(|p| p.into_inner()) = Some(work);
    }

    /// Takes the stream pollers, for the caller to stop.
    pub fn stop_streams(&self) -> Option<StreamPollers> {
        self.streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}
