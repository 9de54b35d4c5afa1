//! One generation of the application: the model of one template load, with the functions and the
//! gateway built from it. Requests read the current generation; a reload swaps in a new one whole.
//!
//! What must outlive a reload (the DynamoDB store, the host probes, the log) is opened once, in
//! [`Shared`], and only borrowed here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use sluice_apigw::auth::issuer::LocalIssuer;
use sluice_apigw::{Gateway, GatewayOptions, GuardState};
use sluice_aws_env::RuntimeFamily;
use sluice_dynamodb::DynamoDb;
use sluice_lambda::{BackgroundWork, Lambda, LambdaConfig};
use sluice_template::Model;

use crate::env_vars::EnvVarOverrides;
use crate::terminal_log::TerminalLog;
use crate::{auth_setup, function_spec, invoke_adapter, python_host, Config, ServerError};

/// What is opened once per process and kept across generations.
pub(crate) struct Shared {
    /// The validated configuration.
    pub config: Config,
    /// The DynamoDB store (reopening it would start a second writer).
    pub dynamodb: Arc<DynamoDb>,
    /// Where function output and access lines go.
    pub log: Arc<TerminalLog>,
    /// Where handlers reach the services endpoint.
    pub services_addr: SocketAddr,
    /// Authorizer cache and rate/quota counters: kept across reloads, as a stage keeps them.
    pub guard_state: GuardState,
    /// The host's python and where its boto3 is, probed the first time a generation has a python
    /// function (it runs `python3` and may install boto3: once per process is enough).
    python: OnceLock<(python_host::HostPython, Result<Option<PathBuf>, String>)>,
}

impl Shared {
    /// The shared parts for `config`; nothing is probed yet.
    pub fn new(
        config: Config,
        dynamodb: Arc<DynamoDb>,
        services_addr: SocketAddr,
        guard_state: GuardState,
    ) -> Shared {
        Shared {
            config,
            dynamodb,
            log: Arc::new(TerminalLog::new()),
            services_addr,
            guard_state,
            python: OnceLock::new(),
        }
    }

    /// The environment that points every SDK in a handler at the services endpoint, as on AWS the
    /// runtime points them at the region's real endpoints; python functions also get boto3.
    fn handler_env(&self, model: &Model, notes: &mut Vec<String>) -> BTreeMap<String, String> {
        let url = format!("http://{}", self.services_addr);
        let mut env = BTreeMap::from([
            ("AWS_ENDPOINT_URL".to_owned(), url.clone()),
            ("AWS_ENDPOINT_URL_DYNAMODB".to_owned(), url.clone()),
            ("AWS_ENDPOINT_URL_LAMBDA".to_owned(), url),
        ]);
        let python: Vec<&str> = model
            .functions
            .iter()
            .map(|f| f.runtime.as_str())
            .filter(|r| RuntimeFamily::of(r) == Some(RuntimeFamily::Python))
            .collect();
        if python.is_empty() {
            return env;
        }
        let mut probed_now = false;
        let (host, boto3) = self.python.get_or_init(|| {
            probed_now = true;
            let host = python_host::probe();
            let boto3 = python_host::boto3_path(&host, &python_host::cache_root());
            (host, boto3)
        });
        // What the probe found is said once per process, not at every reload.
        if probed_now {
            notes.extend(python_host::version_note(
                python.iter().copied(),
                host.version.as_deref(),
            ));
            if let Err(message) = boto3 {
                notes.push(message.clone());
            }
        }
        if let Ok(Some(path)) = boto3 {
            env.insert("PYTHONPATH".to_owned(), path.display().to_string());
        }
        env
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
        let specs = model
            .functions
            .iter()
            .map(|f| function_spec::function_spec(f, &overrides, &state_dir, notes))
            .collect::<Result<Vec<_>, _>>()?;
        let extra_env = shared.handler_env(&model, notes);
        let lambda = Lambda::succeeding(
            previous.map(|p| p.lambda.as_ref()),
            specs,
            LambdaConfig {
                default_concurrency: config.default_concurrency,
                idle_timeout: config.idle_timeout,
                aws: config.aws.clone(),
                extra_env,
                cache_dir: state_dir.join("runtime"),
                log_sink: shared.log.clone(),
                event_retry_delays: sluice_lambda::AWS_EVENT_RETRY_DELAYS.to_vec(),
            },
            code_changed,
        )?;
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
        .with_access_log(shared.log.clone())
        .with_guards(Arc::new(guards));
        let background = lambda.start_background();
        Ok(Generation {
            model: Arc::new(model),
            lambda,
            gateway: Arc::new(gateway),
            cognito: auth_setup::well_known(&issuers),
            _background: background,
        })
    }
}
