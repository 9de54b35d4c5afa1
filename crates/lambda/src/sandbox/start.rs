//! Starting a sandbox: its containment, Runtime API listener, extensions and runtime process.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::bootstrap::{check_startable, Launcher};
use crate::extensions::api::Endpoint;
use crate::extensions::telemetry::{Category, Platform};
use crate::extensions::{wrapper, Registry, Telemetry};
use crate::invocation_log::{init_start_line, FunctionLog, InitPhase};
use crate::runtime_api::{AnyPeer, PeerCheck, RuntimeApi};

use super::extension_phases;
use super::extension_processes::{extension_name, ExtensionProcesses};
use super::output::PipeReader;
use super::peer;
use super::process::{SandboxProcess, Spawned};
use super::user::SandboxUser;
use super::{InitType, Sandbox, SandboxTemplate, StartError};

impl SandboxTemplate {
    /// The user sandboxes of `launcher` run as (`None`: Sluice's own), with `env` made theirs.
    fn user_for(
        &self,
        launcher: &Launcher,
        env: &mut BTreeMap<String, String>,
    ) -> Option<&SandboxUser> {
        let user = self
            .host
            .user_for(&self.function, launcher, &self.said_privileged, env);
        if user.is_some() && env.get("HOME") == std::env::var("HOME").ok().as_ref() {
            // Sluice's own home is not the sandbox user's to read; /tmp is, as on Lambda.
            env.insert("HOME".to_owned(), "/tmp".to_owned());
        }
        user
    }

    /// Start the template process this function's sandboxes would be forked from, if they can
    /// be, so the first cold start does not wait for it.
    pub async fn warm_fork_server(&self) {
        let Some(forks) = &self.host.forks else {
            return;
        };
        // As `Sandbox::start_logging_to`: the user is decided on the launcher, the wrapper applied after.
        let launcher = self.launcher.resolved().await;
        let mut env = self.env.clone();
        let user = self.user_for(&launcher, &mut env);
        forks.warm(&wrapper::wrapped(&launcher, &env), &env, user);
    }
}

/// Whether a sandbox's start opens its Init with `INIT_START`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Announce {
    /// A new execution environment: Lambda writes `INIT_START`.
    InitStart,
    /// The suppressed Init after a failed one, in the same environment: Lambda writes none
    /// (recorded 2024-2026: one INIT_START before both INIT_REPORTs).
    Nothing,
}

impl Sandbox {
    /// Start the runtime process, writing to `log`; it initialises in the background. A
    /// sandbox Lambda resets to run Init again keeps its log stream (and `announce`s nothing).
    pub(crate) async fn start_logging_to(
        template: Arc<SandboxTemplate>,
        init_type: InitType,
        log: FunctionLog,
        announce: Announce,
    ) -> Result<Sandbox, StartError> {
        if announce == Announce::InitStart {
            // AWS: at every Init of a new execution environment, before anything it runs
            // writes, even one whose bootstrap is missing (recorded 2024: INIT_START, then
            // INIT_REPORT `Runtime.InvalidEntrypoint`); CloudWatch gets it, the invocation's
            // log tail does not ("not visible in the console").
            log.init_line(
                &init_start_line(&template.runtime_version),
                init_type.env_value(),
                false,
            );
        }
        let launcher = template.launcher.resolved().await;
        check_startable(&launcher).map_err(StartError::Function)?;
        let host = &template.host;
        let containment = Arc::new(
            host.containment
                .prepare(template.memory_mb)
                .map_err(StartError::host("cannot create the sandbox's cgroup"))?,
        );
        let peers: Arc<dyn PeerCheck> = if host.isolate_runtime_api {
            Arc::new(peer::SandboxPeers::new(containment.clone()))
        } else {
            Arc::new(AnyPeer)
        };
        let names = template
            .extensions
            .iter()
            .map(|p| extension_name(p))
            .collect();
        let registry = Arc::new(Registry::new(names));
        let json_logs = template
            .env
            .get("AWS_LAMBDA_LOG_FORMAT")
            .is_some_and(|f| f.eq_ignore_ascii_case("JSON"));
        let telemetry = Arc::new(Telemetry::new(json_logs));
        let init_phase = match announce {
            Announce::InitStart => InitPhase::Init,
            Announce::Nothing => InitPhase::Invoke,
        };
        telemetry.platform(|| Platform::InitStart {
            init_type: init_type.env_value(),
            phase: init_phase.as_str(),
            function: template.function.clone(),
            version: template.function_info.version,
            runtime_version: template.runtime_version.version.clone(),
            runtime_version_arn: template.runtime_version.arn.clone(),
        });
        let endpoint = Arc::new(Endpoint {
            registry: registry.clone(),
            function: template.function_info.clone(),
            telemetry: telemetry.clone(),
        });
        let (api, channels) = RuntimeApi::start(template.function_arn.clone(), peers, endpoint)
            .await
            .map_err(StartError::host("cannot bind the Runtime API listener"))?;
        let mut env = template.env.clone();
        env.insert(
            "AWS_LAMBDA_LOG_STREAM_NAME".to_owned(),
            log.stream().to_owned(),
        );
        // Reserved: the function's own variables cannot redirect the Runtime API.
        env.insert("AWS_LAMBDA_RUNTIME_API".to_owned(), api.address());
        env.insert(
            "AWS_LAMBDA_INITIALIZATION_TYPE".to_owned(),
            init_type.env_value().to_owned(),
        );
        let user = template.user_for(&launcher, &mut env);
        let started = Instant::now();
        // AWS: external extensions start first, and the runtime once each has registered.
        let extensions = ExtensionProcesses::spawn(
            &template.extensions,
            registry,
            telemetry.clone(),
            &env,
            &containment,
            user,
            &log,
        )?;
        let init_failure = if template.extensions.is_empty() {
            None
        } else {
            let limit = init_type.init_limit(template.timeout);
            let deadline = tokio::time::Instant::from_std(started) + limit;
            extension_phases::wait_registered(&extensions.registry, deadline)
                .await
                .err()
        };
        let mut process = None;
        let mut output = Vec::new();
        if init_failure.is_none() {
            let launcher = wrapper::wrapped(&launcher, &env);
            let forked = match &host.forks {
                Some(forks) => forks.spawn(&launcher, &env, &containment, user).await,
                None => None,
            };
            let Spawned {
                process: runtime,
                stdout,
                stderr,
            } = match forked {
                Some(forked) => forked?,
                None => SandboxProcess::spawn(&launcher, &env, containment.clone(), user)?,
            };
            process = Some(runtime);
            let tap = telemetry.clone();
            let runtime_log = log.tapped(move |line| tap.line(Category::Function, line));
            for fd in [stdout, stderr] {
                output.push(
                    PipeReader::spawn(fd, runtime_log.clone())
                        .map_err(StartError::host("cannot watch the runtime's output"))?,
                );
            }
        }
        Ok(Sandbox {
            template,
            process,
            containment,
            extensions,
            init_failure,
            reset: None,
            _api: api,
            channels,
            output,
            log,
            started,
            init_duration: None,
            ready: false,
            reported_init: init_type == InitType::Provisioned,
            init_type,
            healthy: true,
            last_memory_mb: 0,
            memory_read_at: None,
            response_read: None,
            init_phase,
            last_used: Instant::now(),
            // Set to each invocation's deadline before it is polled.
            timeout_timer: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
            tenant: None,
        })
    }
}
