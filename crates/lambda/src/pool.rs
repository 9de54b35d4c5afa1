//! One function's warm pool: idle sandboxes are reused, new ones start on demand up to the
//! concurrency limit, one more starts ahead of demand when every warm sandbox is busy, and
//! provisioned concurrency is kept initialised.
//!
//! AWS: reserved concurrency is a hard limit (excess invokes are throttled at once); without it
//! a function scales out. Sluice: with `ReservedConcurrentExecutions` the same hard limit;
//! without it at most `default_concurrency` sandboxes, and callers beyond that wait for one.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::bootstrap::Launcher;
use crate::config::LambdaConfig;
use crate::detach::run_to_end;
use crate::error::LambdaError;
use crate::extensions::{FunctionInfo, ShutdownReason, SHUTDOWN_LIMIT_EXTERNAL};
use crate::invocation::{Invocation, InvokeError, InvokeOptions, InvokeResponse};
use crate::invocation_log::{
    self, init_report_line, FunctionLog, InitPhase, Report, ReportStatus, RuntimeVersion,
};
use crate::lock::lock;
use crate::sandbox::{
    Announce, Containment, InitType, PendingReport, Readiness, Sandbox, SandboxHost,
    SandboxTemplate, StartError, StreamHead,
};
use crate::sandbox_env::sandbox_env;
use crate::spec::FunctionSpec;

/// A function's sandboxes at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SandboxCount {
    /// Warm, waiting for an invocation.
    pub idle: usize,
    /// Running an invocation.
    pub busy: usize,
}

/// The concurrency a function's versions share: AWS counts (and reserves) it per function.
#[derive(Clone)]
pub(crate) struct Concurrency {
    /// One permit per invocation that may run at once.
    permits: Arc<Semaphore>,
    /// How many permits there are.
    limit: usize,
    /// Reserved concurrency: throttle instead of waiting.
    reserved: bool,
}

impl Concurrency {
    /// The concurrency of the function `spec` configures.
    pub fn of(spec: &FunctionSpec, config: &LambdaConfig) -> Concurrency {
        // AWS refuses provisioned concurrency above the reserved one; without reserved
        // concurrency the account's limit is far above both.
        let (limit, reserved) = match spec.reserved_concurrency {
            Some(n) => (n as usize, true),
            None => (
                config
                    .default_concurrency
                    .max(1)
                    .max(spec.provisioned_concurrency as usize),
                false,
            ),
        };
        Concurrency {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            reserved,
        }
    }
}

/// The sandboxes of one version of one function.
pub(crate) struct FunctionPool {
    template: Arc<SandboxTemplate>,
    /// Warm sandboxes waiting for work; the most recently used is reused first.
    idle: Mutex<Vec<Sandbox>>,
    /// One permit per invocation that may run at once.
    permits: Arc<Semaphore>,
    /// How many permits there are.
    limit: usize,
    /// Reserved concurrency: throttle instead of waiting.
    reserved: bool,
    /// Sandboxes currently running an invocation (by pid), for `shutdown` to kill.
    busy: Mutex<BTreeMap<u32, Arc<Containment>>>,
    /// Invocations answered whose extensions are still at work (counted, for `shutdown` to await).
    finishing: tokio::sync::watch::Sender<BTreeMap<u32, Arc<Containment>>>,
    /// Whether stopping a sandbox runs Lambda's Shutdown phase.
    shutdown_events: bool,
    /// Turns true at `shutdown`; background starts waiting to retry watch it (and see it
    /// dropped when a reload replaces the pool).
    closed: tokio::sync::watch::Sender<bool>,
    /// A provisioned sandbox failed to start and none has started since: the failure streak
    /// was already reported.
    provisioning_failing: AtomicBool,
    /// Sandboxes being started ahead of demand (at most one at a time).
    starting_ahead: AtomicUsize,
    /// Provisioned concurrency: provisioned sandboxes to keep, at most the concurrency limit.
    provisioned: usize,
    /// Provisioned sandboxes alive or starting.
    provisioned_live: AtomicUsize,
    /// Sandboxes (by pid) whose runtime's exit a task watches ([`FunctionPool::watch_while_idle`]).
    watched: Mutex<std::collections::BTreeSet<u32>>,
    /// Tenant isolation (`PER_TENANT`): each invocation names a tenant, and a sandbox runs the
    /// invocations of the first tenant it served only.
    tenant_isolation: bool,
}

impl FunctionPool {
    /// The pool of `version` (`$LATEST` or a published one) of `spec`'s function, counted in
    /// the function's `concurrency`, keeping `provisioned` sandboxes initialised.
    pub fn new(
        spec: FunctionSpec,
        version: &'static str,
        launcher: Launcher,
        config: &LambdaConfig,
        host: Arc<SandboxHost>,
        concurrency: Concurrency,
        provisioned: usize,
    ) -> FunctionPool {
        let env = sandbox_env(&spec, version, &launcher, config);
        let tenant_isolation = spec.tenant_isolation;
        let Concurrency {
            permits,
            limit,
            reserved,
        } = concurrency;
        let function_info = FunctionInfo {
            name: spec.name.clone(),
            handler: spec.handler.clone(),
            version,
            account_id: config.aws.account_id.clone(),
        };
        let template = SandboxTemplate {
            extensions: spec.extensions.clone(),
            function_info,
            runtime_version: RuntimeVersion::of(&spec.runtime, &config.aws),
            function_arn: config.function_arn(&spec.name),
            function: spec.name,
            launcher,
            memory_mb: spec.memory_mb,
            timeout: spec.timeout,
            env,
            sink: config.log_sink.clone(),
            host,
            said_privileged: std::sync::atomic::AtomicBool::new(false),
        };
        FunctionPool {
            template: Arc::new(template),
            idle: Mutex::new(Vec::new()),
            permits,
            limit,
            reserved,
            busy: Mutex::new(BTreeMap::new()),
            finishing: tokio::sync::watch::channel(BTreeMap::new()).0,
            shutdown_events: config.shutdown_events,
            closed: tokio::sync::watch::channel(false).0,
            provisioning_failing: AtomicBool::new(false),
            starting_ahead: AtomicUsize::new(0),
            provisioned: provisioned.min(limit),
            provisioned_live: AtomicUsize::new(0),
            watched: Mutex::new(std::collections::BTreeSet::new()),
            tenant_isolation,
        }
    }

    /// Refuses an invocation whose tenant id does not suit the function, as Lambda's Invoke does.
    ///
    /// AWS (Lambda docs, "Troubleshooting tenant isolation"): InvalidParameterValueException
    /// "occurs when invoking a tenant-isolated function without a tenant ID, or invoking a
    /// non-tenant-isolated function with a tenant ID". The messages are Sluice's (none recorded).
    pub fn check_tenant(&self, options: &InvokeOptions) -> Result<(), InvokeError> {
        match (self.tenant_isolation, options.tenant_id.as_deref()) {
            (true, None | Some("")) => Err(InvokeError::InvalidTenant {
                message: format!(
                    "Function {} has tenant isolation enabled: the invocation must name a tenant (X-Amz-Tenant-Id)",
                    self.template.function
                ),
            }),
            (false, Some(_)) => Err(InvokeError::InvalidTenant {
                message: format!(
                    "Function {} does not have tenant isolation enabled: the invocation must not name a tenant",
                    self.template.function
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Start, in the background, the template process this function's sandboxes fork from (if
    /// they do), so the first request does not wait for it.
    pub fn warm_fork_server(&self) {
        if self.template.host.forks.is_none() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let template = self.template.clone();
            runtime.spawn(async move { template.warm_fork_server().await });
        }
    }

    /// Run one invocation on a warm or new sandbox.
    ///
    /// AWS: an invocation, once asked for, runs to its end whatever its caller does; a client
    /// that disconnects from API Gateway, or an integration timeout, leaves the function running
    /// and its sandbox warm. So a caller dropped mid-invocation leaves the work to a task of its
    /// own ([`run_to_end`]) instead of dropping the sandbox with it (which killed a warm sandbox
    /// and lost the invocation's END and REPORT).
    pub async fn invoke(
        self: &Arc<Self>,
        payload: Bytes,
        options: InvokeOptions,
    ) -> Result<Invocation, InvokeError> {
        let pool = self.clone();
        run_to_end(async move {
            let (permit, sandbox) = match pool.checkout(&options).await? {
                Checkout::Ready(permit, sandbox) => (permit, *sandbox),
                Checkout::Failed(invocation) => return Ok(invocation),
            };
            pool.run_on(sandbox, permit, payload, options, None).await
        })
        .await
    }

    /// Like [`FunctionPool::invoke`] for a caller that takes a streamed response: resolves as
    /// soon as the runtime starts streaming. The invocation then runs on in a task of its own,
    /// holding its sandbox and its concurrency permit until the stream ends, and past it while
    /// extensions are still at work on the invocation (as [`FunctionPool::invoke`] does). A
    /// caller dropped before that (during a cold start, say) leaves the invocation running too.
    pub async fn invoke_streaming(
        self: &Arc<Self>,
        payload: Bytes,
        options: InvokeOptions,
    ) -> Result<InvokeResponse, InvokeError> {
        let pool = self.clone();
        run_to_end(async move {
            let (permit, sandbox) = match pool.checkout(&options).await? {
                Checkout::Ready(permit, sandbox) => (permit, *sandbox),
                Checkout::Failed(invocation) => return Ok(InvokeResponse::Buffered(invocation)),
            };
            let (head, headed) = tokio::sync::oneshot::channel();
            let runner = pool.clone();
            let task = tokio::spawn(async move {
                runner
                    .run_on(sandbox, permit, payload, options, Some(head))
                    .await
            });
            match headed.await {
                Ok(stream) => Ok(InvokeResponse::Streaming(stream)),
                // The head was dropped unused: the runtime answered without streaming.
                Err(_) => task
                    .await
                    .map_err(|e| InvokeError::Service {
                        message: format!("the invocation stopped: {e}"),
                    })?
                    .map(InvokeResponse::Buffered),
            }
        })
        .await
    }

    /// A concurrency permit and a warm or new sandbox, or the invocation (as `options` asks
    /// for it) a failed start gives.
    async fn checkout(self: &Arc<Self>, options: &InvokeOptions) -> Result<Checkout, InvokeError> {
        let throttled = || InvokeError::TooManyRequests {
            function: self.template.function.clone(),
        };
        let permit = if self.reserved {
            self.permits
                .clone()
                .try_acquire_owned()
                .map_err(|_| throttled())?
        } else {
            self.permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| throttled())?
        };
        let warm = self.take_warm(options.tenant_id.as_deref());
        self.start_ahead_if_all_busy();
        let sandbox = match warm {
            Some(sandbox) => sandbox,
            // Boxed, as a cold start is rare: inline, its state would be in every invocation's
            // future.
            None => match Box::pin(self.start_on_demand(options)).await? {
                Ok(sandbox) => sandbox,
                Err(failure) => return Ok(Checkout::Failed(failure)),
            },
        };
        Ok(Checkout::Ready(permit, Box::new(sandbox)))
    }

    /// The idle sandbox to run on next ([`take_idle`]), once every idle one whose runtime or
    /// extension died while it idled is cleared away ([`FunctionPool::clear_dead`]).
    fn take_warm(self: &Arc<Self>, tenant: Option<&str>) -> Option<Sandbox> {
        let (dead, warm) = {
            let mut idle = lock(&self.idle);
            (take_dead(&mut idle), take_idle(&mut idle, tenant))
        };
        self.clear_dead(dead);
        warm
    }

    /// Reset idle sandboxes whose runtime or extension died, aside: through the Shutdown phase
    /// (reason `failure`) when extensions are registered, and a provisioned one replaced.
    ///
    /// AWS: an environment whose runtime dies is reset, and Lambda keeps provisioned
    /// environments initialised ahead of invocations; a dead one is never waited on nor
    /// counted warm.
    fn clear_dead(self: &Arc<Self>, dead: Vec<Sandbox>) {
        for sandbox in dead {
            let pool = self.clone();
            tokio::spawn(async move { pool.put_back(sandbox).await });
        }
    }

    /// Clear away the idle sandbox of the runtime that just exited, without waiting for the next
    /// invocation to find it: one watcher per warm sandbox, ending with its runtime.
    fn watch_while_idle(self: &Arc<Self>, sandbox: &Sandbox) {
        let Some(mut gone) = sandbox.runtime_gone() else {
            return;
        };
        if *gone.borrow() || !lock(&self.watched).insert(sandbox.pid()) {
            return;
        }
        let pid = sandbox.pid();
        let pool = Arc::downgrade(self);
        tokio::spawn(async move {
            // A dropped sender is a process no one watches any more: gone too.
            let _ = gone.wait_for(|gone| *gone).await;
            let Some(pool) = pool.upgrade() else {
                return;
            };
            lock(&pool.watched).remove(&pid);
            let dead = take_dead(&mut lock(&pool.idle));
            pool.clear_dead(dead);
        });
    }

    /// Start a sandbox for the invocation `options` describes, waiting on it; a start that
    /// fails for the function's sake gives the invocation's failure (`Err` inside), one Sluice
    /// caused a service error.
    ///
    /// AWS (recorded 2024-2026): a runtime that cannot start fails its Init, which Lambda runs
    /// again inside the invocation (a "suppressed init"); so a second attempt follows the
    /// first, each with its `INIT_REPORT`, as for any failed Init ([`FunctionPool::start_failure`]).
    async fn start_on_demand(
        &self,
        options: &InvokeOptions,
    ) -> Result<Result<Sandbox, Invocation>, InvokeError> {
        let log = self.fresh_log();
        let began = Instant::now();
        let mut announce = Announce::InitStart;
        let mut phase = InitPhase::Init;
        loop {
            let started = Sandbox::start_logging_to(
                self.template.clone(),
                InitType::OnDemand,
                log.clone(),
                announce,
            )
            .await;
            match started {
                Ok(sandbox) => return Ok(Ok(sandbox)),
                Err(StartError::Function(why)) => {
                    let took = began.elapsed();
                    let failed = init_report_line(took, phase, &invalid_entrypoint());
                    log.init_line(&failed, InitType::OnDemand.env_value(), true);
                    if phase == InitPhase::Invoke {
                        let failure = self.start_failure(&log, &why, began, options);
                        self.template
                            .sink
                            .invoked(&self.template.function, &failure);
                        return Ok(Err(failure));
                    }
                    announce = Announce::Nothing;
                    phase = InitPhase::Invoke;
                }
                Err(host @ StartError::Host { .. }) => {
                    tracing::error!(function = %self.template.function, "cannot start a sandbox: {host}");
                    return Err(InvokeError::Service {
                        message: format!("Sluice could not start a sandbox: {host}"),
                    });
                }
            }
        }
    }

    /// A new sandbox's log stream.
    fn fresh_log(&self) -> FunctionLog {
        FunctionLog::new(
            &self.template.function,
            self.template.function_info.version,
            self.template.sink.clone(),
        )
    }

    /// Run one invocation on `sandbox`, killable by `shutdown` while it runs, report it to the
    /// log sink, then release the sandbox and its `permit` ([`FunctionPool::release`]).
    ///
    /// A warm sandbox whose runtime exits before it asks for the invocation, or is still busy
    /// after its last answer, is replaced by an idle one now waiting for work or by a fresh one,
    /// which runs the invocation after its own Init (once: a fresh sandbox's runtime asks for
    /// work to end its Init, so it is never replaced in turn).
    async fn run_on(
        self: &Arc<Self>,
        mut sandbox: Sandbox,
        permit: OwnedSemaphorePermit,
        payload: Bytes,
        options: InvokeOptions,
        head: Option<StreamHead>,
    ) -> Result<Invocation, InvokeError> {
        let mut pid = sandbox.pid();
        lock(&self.busy).insert(pid, sandbox.containment());
        if !matches!(sandbox.runtime_readiness().await, Readiness::Asked) {
            lock(&self.busy).remove(&pid);
            // A dead one is reset through the Shutdown phase with extensions, aside; a busy one
            // goes back to the pool, for when its runtime asks for work. The invocation runs on
            // a sandbox that is waiting by now, else on a fresh one.
            let pool = self.clone();
            tokio::spawn(async move { pool.put_back(sandbox).await });
            sandbox = match self.take_waiting(options.tenant_id.as_deref()) {
                Some(waiting) => waiting,
                None => match Box::pin(self.start_on_demand(&options)).await? {
                    Ok(fresh) => fresh,
                    Err(failure) => return Ok(failure),
                },
            };
            pid = sandbox.pid();
            lock(&self.busy).insert(pid, sandbox.containment());
        }
        let answered = sandbox.invoke(payload, options, head).await;
        lock(&self.busy).remove(&pid);
        // Every invocation is counted once it has ended (a streamed one, when its stream has).
        self.template
            .sink
            .invoked(&self.template.function, &answered.invocation);
        self.release(sandbox, answered.pending, permit).await;
        Ok(answered.invocation)
    }

    /// Release `sandbox` and its `permit` after the runtime answered (for a streamed response,
    /// once its stream ended): at once when no extension is still at work on the invocation,
    /// otherwise from a task of its own, so the caller does not wait for the extensions.
    ///
    /// AWS: the sandbox (and its concurrency slot) stays taken until every extension is done
    /// with the invocation, or the sandbox is reset.
    async fn release(
        self: &Arc<Self>,
        mut sandbox: Sandbox,
        pending: Option<PendingReport>,
        permit: OwnedSemaphorePermit,
    ) {
        if pending.is_none() && sandbox.reset_reason().is_none() {
            if let Some(spent) = self.keep_warm(sandbox) {
                Box::pin(self.retire(spent)).await;
            }
            drop(permit);
            return;
        }
        let pid = sandbox.pid();
        let containment = sandbox.containment();
        self.finishing.send_modify(|f| {
            f.insert(pid, containment);
        });
        let pool = self.clone();
        tokio::spawn(async move {
            if let Some(pending) = pending {
                sandbox.complete(pending).await;
            }
            pool.put_back(sandbox).await;
            drop(permit);
            pool.finishing.send_modify(|f| {
                f.remove(&pid);
            });
        });
    }

    /// An idle sandbox whose runtime is waiting for work, if there is one.
    fn take_waiting(&self, tenant: Option<&str>) -> Option<Sandbox> {
        let mut idle = lock(&self.idle);
        let at = idle
            .iter()
            .rposition(|s| s.runtime_waiting() && s.serves(tenant))?;
        Some(idle.remove(at))
    }

    /// Keep a sandbox warm after an invocation, or stop it.
    async fn put_back(self: &Arc<Self>, sandbox: Sandbox) {
        if let Some(spent) = self.keep_warm(sandbox) {
            // Boxed: inline, the Shutdown phase's state would sit in every invocation's future,
            // which is moved and kept alive per request although a reset is rare.
            Box::pin(self.retire(spent)).await;
        }
    }

    /// Put a reusable sandbox among the idle ones; one that is not, or any once the pool is
    /// closed, is handed back to be retired ([`FunctionPool::retire`]).
    fn keep_warm(self: &Arc<Self>, mut sandbox: Sandbox) -> Option<Sandbox> {
        if !sandbox.is_reusable() || self.is_closed() {
            return Some(sandbox);
        }
        self.watch_while_idle(&sandbox);
        lock(&self.idle).push(sandbox);
        None
    }

    /// Stop a sandbox [`FunctionPool::keep_warm`] handed back: a spent one through the Shutdown
    /// phase with its reset reason (a provisioned one replaced), a reusable one of a closed pool
    /// as a spin-down.
    async fn retire(self: &Arc<Self>, mut sandbox: Sandbox) {
        if sandbox.is_reusable() {
            self.stop(sandbox).await;
            return;
        }
        let provisioned = sandbox.init_type() == InitType::Provisioned;
        match sandbox.reset_reason().filter(|_| self.shutdown_events) {
            Some(reason) => sandbox.shutdown(reason).await,
            // Dropping it kills its processes.
            None => drop(sandbox),
        }
        if provisioned {
            self.lost_provisioned();
        }
    }

    /// A provisioned sandbox crashed, timed out or was reset: start its replacement, as Lambda
    /// keeps the configured number of provisioned environments.
    fn lost_provisioned(self: &Arc<Self>) {
        self.provisioned_live.fetch_sub(1, Ordering::AcqRel);
        self.provision();
    }

    /// Start provisioned sandboxes in the background until the configured number are alive or
    /// starting ([`FunctionPool::start_provisioned`]). Idempotent: a reload that keeps this pool
    /// calls it again to no effect.
    pub fn provision(self: &Arc<Self>) {
        loop {
            let live = self.provisioned_live.load(Ordering::Acquire);
            if live >= self.provisioned || self.is_closed() {
                return;
            }
            if self
                .provisioned_live
                .compare_exchange(live, live + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                tokio::spawn(FunctionPool::start_provisioned(
                    Arc::downgrade(self),
                    self.closed.subscribe(),
                ));
            }
        }
    }

    /// Start one provisioned sandbox (its slot in `provisioned_live` already counted), trying
    /// again after each failed start, with [`Backoff`], until one is ready or the pool is shut
    /// down (`closed`) or dropped (a reload replaced it), when the slot is given back.
    ///
    /// AWS keeps the configured number of provisioned environments: it allocates them again
    /// when allocation fails, and a function whose Init fails keeps its configuration
    /// `IN_PROGRESS` while Lambda tries, until it gives up with `FAILED` and `StatusReason`
    /// `FUNCTION_ERROR_INIT_FAILURE` (observed: sst#4713, serverless#11878, aws-cdk#6016).
    /// Sluice has no such status to report, and a function whose code changes gets a new pool:
    /// so both a host failure (a cgroup, a listener) and the function's own failed Init are
    /// tried again, never in a hot loop ([`Backoff`]), and invocations meanwhile start on
    /// demand. A start runs at a time per slot, so never more sandboxes start than are
    /// provisioned, which is at most the concurrency limit.
    async fn start_provisioned(
        pool: Weak<FunctionPool>,
        mut closed: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut backoff = Backoff::default();
        loop {
            let Some(this) = pool.upgrade() else {
                return;
            };
            if this.is_closed() {
                this.provisioned_live.fetch_sub(1, Ordering::AcqRel);
                return;
            }
            let failed = match this.start_ready(InitType::Provisioned).await {
                Ok(sandbox) => {
                    if this.provisioning_failing.swap(false, Ordering::AcqRel) {
                        tracing::info!(function = %this.template.function, "a provisioned sandbox started after failed attempts");
                    }
                    this.keep_started(sandbox).await;
                    return;
                }
                Err(e) => e,
            };
            let most = failed.most_between_retries();
            // One warning per streak of failures, however many attempts and slots fail.
            if !this.provisioning_failing.swap(true, Ordering::AcqRel) {
                let whose = if failed.is_host() {
                    "Sluice could not start a provisioned sandbox"
                } else {
                    "a provisioned sandbox's Init failed"
                };
                tracing::warn!(function = %this.template.function, "{whose} ({failed}); trying again, less and less often (up to every {} s)", most.as_secs());
            } else {
                tracing::debug!(function = %this.template.function, "a provisioned sandbox failed to start again: {failed}");
            }
            // Not kept alive while it waits: a reload drops it, which ends the wait at once.
            drop(this);
            tokio::select! {
                () = tokio::time::sleep(backoff.next_delay(most)) => {}
                _ = closed.wait_for(|closed| *closed) => {}
            }
        }
    }

    /// Add a sandbox started ahead of demand to the idle ones, or stop it if the pool closed.
    async fn keep_started(self: &Arc<Self>, sandbox: Sandbox) {
        if self.is_closed() {
            self.stop(sandbox).await;
            return;
        }
        // Fresh sandboxes go to the bottom: a recently used one is taken first, so a spare
        // stays spare until the load needs it.
        self.watch_while_idle(&sandbox);
        lock(&self.idle).insert(0, sandbox);
    }

    /// When every warm sandbox is busy and more than one invocation is in flight, start one more
    /// in the background (up to the concurrency limit), so a growing load finds it warm instead
    /// of waiting for a cold start. It reports `Init Duration` on its first invocation, as a
    /// sandbox Lambda starts ahead does.
    ///
    /// A lone caller gets no spare: its sandbox is back in the pool before its next request.
    /// A burst arriving while the spare starts may briefly leave one idle sandbox beyond the
    /// limit (the concurrency limit itself is never exceeded: it counts invocations).
    fn start_ahead_if_all_busy(self: &Arc<Self>) {
        let in_flight = self.limit - self.permits.available_permits();
        if in_flight < 2 || self.is_closed() {
            return;
        }
        let idle = lock(&self.idle).len();
        if idle > 0 || in_flight + idle >= self.limit {
            return;
        }
        if self
            .starting_ahead
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.spawn_spare();
        }
    }

    /// Start a spare sandbox in the background and, once it is ready, add it to the idle ones.
    /// A failed one is not tried again: the next invocation that finds every sandbox busy
    /// starts another (it reserved no permit; its `starting_ahead` mark is cleared either way).
    fn spawn_spare(self: &Arc<Self>) {
        let pool = self.clone();
        tokio::spawn(async move {
            let started = pool.start_ready(InitType::OnDemand).await;
            pool.starting_ahead.fetch_sub(1, Ordering::AcqRel);
            match started {
                Ok(sandbox) => pool.keep_started(sandbox).await,
                Err(e) => {
                    tracing::warn!(function = %pool.template.function, "a sandbox started ahead of demand failed: {e}");
                }
            }
        });
    }

    /// Start one sandbox and wait until it is ready for its first invocation.
    async fn start_ready(&self, init_type: InitType) -> Result<Sandbox, AheadError> {
        let log = self.fresh_log();
        let began = Instant::now();
        let started = Sandbox::start_logging_to(
            self.template.clone(),
            init_type,
            log.clone(),
            Announce::InitStart,
        )
        .await;
        if let Err(StartError::Function(_)) = &started {
            // AWS: an Init ahead of invocations that fails is reported as any failed Init.
            let failed = init_report_line(began.elapsed(), InitPhase::Init, &invalid_entrypoint());
            log.init_line(&failed, init_type.env_value(), false);
        }
        let mut sandbox = started?;
        sandbox.init_ahead().await.map_err(|failure| {
            AheadError::Init(String::from_utf8_lossy(&failure.payload).into_owned())
        })?;
        Ok(sandbox)
    }

    /// Stop one sandbox: Lambda's Shutdown phase, unless this service kills at once.
    async fn stop(&self, sandbox: Sandbox) {
        if self.shutdown_events {
            sandbox.shutdown(ShutdownReason::Spindown).await;
        }
    }

    /// Start one sandbox and wait until it is ready, unless one is already warm.
    pub async fn prewarm(self: &Arc<Self>) -> Result<(), LambdaError> {
        if self.permits.available_permits() == 0 || !lock(&self.idle).is_empty() {
            return Ok(());
        }
        let sandbox =
            self.start_ready(InitType::OnDemand)
                .await
                .map_err(|e| LambdaError::Start {
                    function: self.template.function.clone(),
                    message: e.to_string(),
                })?;
        if !self.is_closed() {
            self.watch_while_idle(&sandbox);
            lock(&self.idle).push(sandbox);
        }
        Ok(())
    }

    /// Whether `shutdown` has begun.
    fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// How many sandboxes are warm and waiting, and how many are running an invocation.
    pub fn sandbox_count(&self) -> SandboxCount {
        SandboxCount {
            idle: lock(&self.idle).len(),
            busy: lock(&self.busy).len(),
        }
    }

    /// Stop sandboxes idle for longer than `idle_timeout` (provisioned ones are kept).
    pub async fn reap_idle(&self, idle_timeout: Duration) {
        let stale: Vec<Sandbox> = {
            let mut idle = lock(&self.idle);
            let (keep, stale) = std::mem::take(&mut *idle).into_iter().partition(|s| {
                s.init_type() == InitType::Provisioned || s.last_used.elapsed() < idle_timeout
            });
            *idle = keep;
            stale
        };
        // Stopped outside the lock, side by side.
        self.stop_all(stale).await;
    }

    /// Stop sandboxes side by side (each bounded by Lambda's 2 s Shutdown limit).
    async fn stop_all(&self, sandboxes: Vec<Sandbox>) {
        if !self.shutdown_events {
            // Dropped: killed at once.
            return;
        }
        let mut stops = tokio::task::JoinSet::new();
        for sandbox in sandboxes {
            stops.spawn(sandbox.shutdown(ShutdownReason::Spindown));
        }
        while stops.join_next().await.is_some() {}
    }

    /// Wait until no answered invocation has extensions still at work on it (each ends by
    /// its function's timeout at the latest).
    pub async fn settled(&self) {
        let mut finishing = self.finishing.subscribe();
        let _ = finishing.wait_for(BTreeMap::is_empty).await;
    }

    /// Stop every sandbox: running invocations are killed, those whose extensions are still at
    /// work get as long as a Shutdown phase to finish (then are killed), idle ones go through
    /// Lambda's Shutdown phase. Later invocations start fresh ones.
    pub async fn shutdown(&self) {
        self.closed.send_replace(true);
        for containment in lock(&self.busy).values() {
            containment.kill_all();
        }
        let _ = tokio::time::timeout(SHUTDOWN_LIMIT_EXTERNAL, self.settled()).await;
        for containment in self.finishing.borrow().values() {
            containment.kill_all();
        }
        let idle = std::mem::take(&mut *lock(&self.idle));
        self.stop_all(idle).await;
    }

    /// The invocation a runtime that could not even start fails (missing `bootstrap` or code
    /// folder, no interpreter, a runtime Sluice does not run, `why`), after both its Inits
    /// failed on `log`; its invoke phase began at `invoke_began`.
    ///
    /// AWS (recorded 2024-2026, CloudWatch and the Invoke API): after the two `INIT_REPORT`s,
    /// `START`, `RequestId: … Error: Couldn't find valid bootstrap(s): […]`, then
    /// `Runtime.InvalidEntrypoint` on a line of its own, `END`, and a REPORT with `Status: error`
    /// and `Error Type: Runtime.InvalidEntrypoint` but no `Init Duration`; the caller gets
    /// `Unhandled` and `{"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: … Error: …"}`.
    fn start_failure(
        &self,
        log: &FunctionLog,
        why: &str,
        invoke_began: Instant,
        options: &InvokeOptions,
    ) -> Invocation {
        let request_id = options
            .request_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let message = format!("RequestId: {request_id} Error: {why}");
        log.line(&invocation_log::start_line_of(
            &request_id,
            options.executed_version(),
        ));
        log.line(&message);
        log.line(INVALID_ENTRYPOINT);
        log.line(&invocation_log::end_line(&request_id));
        let report = Report {
            request_id: &request_id,
            duration: invoke_began.elapsed(),
            memory_size_mb: self.template.memory_mb,
            // No process ran, so none used memory.
            max_memory_used_mb: 0,
            init_duration: None,
            status: invalid_entrypoint(),
        };
        log.line(&invocation_log::report_line(&report));
        let figures = report.figures();
        Invocation {
            payload: crate::sandbox::error_document(INVALID_ENTRYPOINT, &message),
            function_error: Some("Unhandled".to_owned()),
            log_tail: log.take_tail(),
            trace_id: String::new(),
            report: Some(figures),
            request_id,
        }
    }
}

/// Lambda's error type for a runtime that cannot be started.
const INVALID_ENTRYPOINT: &str = "Runtime.InvalidEntrypoint";

/// How a start that failed for the function's sake is reported.
fn invalid_entrypoint() -> ReportStatus {
    ReportStatus::Error(INVALID_ENTRYPOINT.to_owned())
}

/// Why a sandbox started ahead of an invocation is not ready for one.
#[derive(Debug, thiserror::Error)]
enum AheadError {
    /// It did not start: Sluice's fault (a cgroup, a listener) or the function's (no
    /// `bootstrap`), as [`StartError`] tells.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The function's Init failed (its runtime exited, reported an init error, or timed out).
    #[error("initialisation failed: {0}")]
    Init(String),
}

impl AheadError {
    /// Whether Sluice, not the function, failed.
    fn is_host(&self) -> bool {
        matches!(self, AheadError::Start(StartError::Host { .. }))
    }

    /// The longest wait before a provisioned start that failed so is tried again.
    fn most_between_retries(&self) -> Duration {
        if self.is_host() {
            // Transient (a host short of processes, descriptors or memory): soon back.
            Backoff::HOST_MAX
        } else {
            // Usually lasts until the code changes (which makes a new pool): tried now and
            // then, so the same failure does not fill the log.
            Backoff::FUNCTION_MAX
        }
    }
}

/// The waits between attempts to start a provisioned sandbox: 100 ms, doubling up to a cap,
/// so even a runtime that crashes at once never spins the CPU.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    /// The cap after Sluice's own failures.
    const HOST_MAX: Duration = Duration::from_secs(10);
    /// The cap after the function's own failed Init.
    const FUNCTION_MAX: Duration = Duration::from_secs(60);

    /// How long to wait before the next attempt, at most `most`.
    fn next_delay(&mut self, most: Duration) -> Duration {
        let delay = self.next.min(most);
        self.next = (delay * 2).min(most);
        delay
    }
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            next: Backoff::FIRST,
        }
    }
}

/// What [`FunctionPool::checkout`] found.
enum Checkout {
    /// A sandbox to run on, and the permit that counts it.
    Ready(OwnedSemaphorePermit, Box<Sandbox>),
    /// No sandbox could start; the invocation already failed.
    Failed(Invocation),
}

impl Drop for FunctionPool {
    fn drop(&mut self) {
        // A reload replaced this pool: its warm sandboxes go through Lambda's Shutdown phase
        // (bounded by 2 s each) on the runtime, if there is one; otherwise they are killed here.
        let idle = std::mem::take(&mut *lock(&self.idle));
        if idle.is_empty() || !self.shutdown_events {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            for sandbox in idle {
                runtime.spawn(sandbox.shutdown(ShutdownReason::Spindown));
            }
        }
    }
}

/// Take out of `idle` every sandbox whose runtime or extension died.
fn take_dead(idle: &mut Vec<Sandbox>) -> Vec<Sandbox> {
    let mut dead = Vec::new();
    let mut at = 0;
    while at < idle.len() {
        let sandbox = &mut idle[at];
        if sandbox.extension_failed() || !sandbox.is_reusable() {
            dead.push(idle.remove(at));
        } else {
            at += 1;
        }
    }
    dead
}

/// The idle sandbox to run on next: one whose runtime is waiting for work, provisioned first
/// (Lambda serves from provisioned concurrency first), else the most recently used; failing
/// that, one that answered a moment ago and is about to ask. One whose runtime has not asked
/// for work since is busy (in the background, or hung) and stays where it is. Only a sandbox
/// that may serve `tenant` ([`Sandbox::serves`]) is taken, the tenant's own before one that has
/// served nobody yet.
fn take_idle(idle: &mut Vec<Sandbox>, tenant: Option<&str>) -> Option<Sandbox> {
    let pick = |idle: &[Sandbox], serves: &dyn Fn(&Sandbox) -> bool| {
        idle.iter()
            .rposition(|s| {
                serves(s) && s.runtime_waiting() && s.init_type() == InitType::Provisioned
            })
            .or_else(|| idle.iter().rposition(|s| serves(s) && s.runtime_waiting()))
            .or_else(|| {
                idle.iter()
                    .rposition(|s| serves(s) && s.answered_a_moment_ago())
            })
    };
    let at = match tenant {
        Some(_) => {
            pick(idle, &|s| s.runs_for(tenant)).or_else(|| pick(idle, &|s| s.serves(tenant)))
        }
        None => pick(idle, &|s| s.serves(tenant)),
    }?;
    Some(idle.remove(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;
    impl crate::LogSink for Quiet {
        fn line(&self, _: &str, _: &str) {}
    }

    /// The pool of an inline node function on `host` keeping `provisioned` sandboxes, and the
    /// cache folder to remove after.
    fn node_pool(host: SandboxHost, provisioned: u32) -> (Arc<FunctionPool>, std::path::PathBuf) {
        let cache = std::env::temp_dir().join(format!(
            "sluice-pool-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let spec = FunctionSpec {
            name: "Fn".to_owned(),
            runtime: "nodejs20.x".to_owned(),
            handler: "index.handler".to_owned(),
            code: crate::CodeSource::Inline("exports.handler = async () => 1;".to_owned()),
            memory_mb: 128,
            timeout: Duration::from_secs(3),
            environment: BTreeMap::new(),
            reserved_concurrency: None,
            provisioned_concurrency: provisioned,
            aliases: Vec::new(),
            local_names: Vec::new(),
            extensions: Vec::new(),
            event_invoke: Default::default(),
            tenant_isolation: false,
        };
        let config = LambdaConfig::new(cache.clone(), Arc::new(Quiet));
        let launchers =
            crate::bootstrap::Launchers::new(&cache, std::slice::from_ref(&spec)).unwrap();
        let launcher = launchers.launcher_for(&spec, &cache).unwrap();
        let concurrency = Concurrency::of(&spec, &config);
        let pool = Arc::new(FunctionPool::new(
            spec,
            "$LATEST",
            launcher,
            &config,
            Arc::new(host),
            concurrency,
            provisioned as usize,
        ));
        (pool, cache)
    }

    /// Wait (generously: the machine may be loaded) until `condition` holds.
    async fn wait_until(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sluice's own failure to set a sandbox up is its fault (ServiceException), never the
    /// function's `Runtime.InvalidEntrypoint`.
    #[tokio::test]
    async fn a_host_failure_is_a_service_error_not_the_functions() {
        let (pool, cache) = node_pool(SandboxHost::broken_for_tests(), 0);
        let err = pool
            .invoke(Bytes::from_static(b"{}"), InvokeOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, InvokeError::Service { .. }), "{err:?}");
        assert!(err.to_string().contains("cgroup"), "{err}");
        let _ = std::fs::remove_dir_all(&cache);
    }

    /// AWS keeps the configured number of provisioned environments: a provisioned sandbox
    /// Sluice itself failed to set up (a transient host failure) is started again until it is
    /// up, instead of leaving the pool short until a restart.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_provisioned_sandbox_the_host_failed_to_start_is_started_again() {
        let (pool, cache) = node_pool(SandboxHost::failing_for_tests(3), 1);
        pool.provision();
        wait_until("the provisioned sandbox is up", || {
            pool.sandbox_count().idle == 1
        })
        .await;
        assert_eq!(pool.template.host.containment.failures_left(), 0);
        let inv = pool
            .invoke(Bytes::from_static(b"{}"), InvokeOptions::default())
            .await
            .unwrap();
        assert_eq!(inv.function_error, None, "{}", inv.log_tail);
        assert_eq!(&inv.payload[..], b"1");
        // It ran on the provisioned sandbox: no cold start.
        assert!(!inv.log_tail.contains("Init Duration"), "{}", inv.log_tail);
        pool.shutdown().await;
        let _ = std::fs::remove_dir_all(&cache);
    }

    /// A pool that shuts down stops trying to start its provisioned sandboxes: each waiting
    /// retry ends and gives its slot back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_pool_stops_starting_provisioned_sandboxes_again() {
        let (pool, cache) = node_pool(SandboxHost::failing_for_tests(usize::MAX), 2);
        pool.provision();
        let host = pool.template.host.clone();
        // Both slots failed, and at least one of them tried again.
        wait_until("both provisioned slots failed, and one again", || {
            host.containment.failures_left() <= usize::MAX - 3
        })
        .await;
        pool.shutdown().await;
        wait_until("every retry gave its slot back", || {
            pool.provisioned_live.load(Ordering::Acquire) == 0
        })
        .await;
        // Nothing is left to try again, and provisioning a closed pool starts nothing.
        let left = host.containment.failures_left();
        pool.provision();
        assert_eq!(pool.provisioned_live.load(Ordering::Acquire), 0);
        assert_eq!(host.containment.failures_left(), left);
        assert_eq!(pool.sandbox_count(), SandboxCount::default());
        let _ = std::fs::remove_dir_all(&cache);
    }

    #[test]
    fn the_backoff_doubles_from_100_ms_up_to_its_cap() {
        let mut backoff = Backoff::default();
        let delays: Vec<u128> = (0..10)
            .map(|_| backoff.next_delay(Backoff::HOST_MAX).as_millis())
            .collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
        let mut backoff = Backoff::default();
        let delays: Vec<u128> = (0..12)
            .map(|_| backoff.next_delay(Backoff::FUNCTION_MAX).as_millis())
            .collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000]
        );
        // A streak whose failures change kind keeps the lower cap.
        assert_eq!(backoff.next_delay(Backoff::HOST_MAX).as_millis(), 10_000);
    }

    #[test]
    fn only_sluices_own_start_failures_count_as_the_hosts() {
        let host = AheadError::Start(StartError::host("cannot bind the Runtime API listener")(
            std::io::Error::from_raw_os_error(nix::libc::EADDRINUSE),
        ));
        assert!(host.is_host());
        assert_eq!(host.most_between_retries(), Backoff::HOST_MAX);
        for function in [
            AheadError::Start(StartError::Function("no bootstrap".to_owned())),
            AheadError::Init("Runtime.ExitError".to_owned()),
        ] {
            assert!(!function.is_host(), "{function}");
            assert_eq!(function.most_between_retries(), Backoff::FUNCTION_MAX);
        }
    }
}
