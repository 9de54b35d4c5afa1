//! One function's warm pool: idle sandboxes are reused, new ones start on demand up to the
//! concurrency limit, one more starts ahead of demand when every warm sandbox is busy, and
//! provisioned concurrency is kept initialised.
//!
//! AWS: reserved concurrency is a hard limit (excess invokes are throttled at once); without it
//! a function scales out. Sluice: with `ReservedConcurrentExecutions` the same hard limit;
//! without it at most `default_concurrency` sandboxes, and callers beyond that wait for one.
//!
//! This module holds the request path (check out a sandbox and a permit, run, release); the
//! idle set and its selection rules are in [`idle`], cold starts in [`cold_start`], background
//! starts in [`start_ahead`], and stopping sandboxes in [`stop`].

mod cold_start;
mod idle;
mod start_ahead;
mod stop;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::bootstrap::Launcher;
use crate::config::LambdaConfig;
use crate::detach::run_to_end;
use crate::extensions::FunctionInfo;
use crate::invocation::{Invocation, InvokeError, InvokeOptions, InvokeResponse};
use crate::invocation_log::{FunctionLog, RuntimeVersion};
use crate::lock::lock;
use crate::sandbox::{
    Containment, InitType, PendingReport, Readiness, Sandbox, SandboxHost, SandboxTemplate,
    StreamHead,
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

/// A sandbox as the pool holds it: boxed once when it starts, so taking it out, running an
/// invocation on it and putting it back move a pointer, not the sandbox (over 500 bytes).
type Held = Box<Sandbox>;

/// The sandboxes of one version of one function.
pub(crate) struct FunctionPool {
    template: Arc<SandboxTemplate>,
    /// Warm sandboxes waiting for work; the most recently used is reused first.
    idle: Mutex<Vec<Held>>,
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
                Checkout::Ready(permit, sandbox) => (permit, sandbox),
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
                Checkout::Ready(permit, sandbox) => (permit, sandbox),
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
        Ok(Checkout::Ready(permit, sandbox))
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
        mut sandbox: Held,
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
        mut sandbox: Held,
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

    /// Keep a sandbox warm after an invocation, or stop it.
    async fn put_back(self: &Arc<Self>, sandbox: Held) {
        if let Some(spent) = self.keep_warm(sandbox) {
            // Boxed: inline, the Shutdown phase's state would sit in every invocation's future,
            // which is moved and kept alive per request although a reset is rare.
            Box::pin(self.retire(spent)).await;
        }
    }

    /// Put a reusable sandbox among the idle ones; one that is not, or any once the pool is
    /// closed, is handed back to be retired ([`FunctionPool::retire`]).
    fn keep_warm(self: &Arc<Self>, mut sandbox: Held) -> Option<Held> {
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
    async fn retire(self: &Arc<Self>, mut sandbox: Held) {
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
}

/// What [`FunctionPool::checkout`] found.
enum Checkout {
    /// A sandbox to run on, and the permit that counts it.
    Ready(OwnedSemaphorePermit, Held),
    /// No sandbox could start; the invocation already failed.
    Failed(Invocation),
}
