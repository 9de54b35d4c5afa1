//! The Lambda service: a registry of functions, each with its pool of sandboxes, and its
//! background work (the idle reaper and the asynchronous invocation worker).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;

use crate::bootstrap::{self, Launcher};
use crate::config::LambdaConfig;
use crate::error::LambdaError;
use crate::event_queue::{run_events, EventInvocation};
use crate::invocation::{Invocation, InvokeError, InvokeOptions, InvokeResponse};
use crate::limits::MAX_REQUEST_PAYLOAD;
use crate::pool::{FunctionPool, SandboxCount};
use crate::sandbox::SandboxHost;
use crate::spec::FunctionSpec;
use crate::versions::FunctionVersions;

/// The Lambda service: a registry of functions, each with its own pools of sandboxes.
pub struct Lambda {
    functions: BTreeMap<String, Arc<FunctionVersions>>,
    /// What each function was configured with, for the Invoke API's GetFunction/ListFunctions.
    specs: BTreeMap<String, FunctionSpec>,
    /// Each function's [`FunctionSpec::local_names`] → its name.
    local_names: BTreeMap<String, String>,
    /// Service-wide settings (the Invoke API reads the account and partition for ARNs).
    pub(crate) config: LambdaConfig,
    /// What the host allows sandboxes (cgroups, limits, Runtime API isolation, the sandbox
    /// user), probed once and handed on to the services that succeed this one.
    host: Arc<SandboxHost>,
    /// Queued asynchronous (`Event`) invocations, run by the worker [`Lambda::start_background`]
    /// starts.
    events: tokio::sync::mpsc::UnboundedSender<EventInvocation>,
    /// The queue's receiving end, until the background work takes it.
    event_queue: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<EventInvocation>>>,
}

/// The service's background work: the idle reaper and the asynchronous invocation worker (with
/// the retries it is waiting on). Whoever starts it owns it; stopping or dropping it ends it all.
#[derive(Debug)]
pub struct BackgroundWork {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl BackgroundWork {
    /// Stops every task and waits until they have ended.
    pub async fn stop(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for BackgroundWork {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Lambda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lambda")
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .field("config", &self.config)
            .finish()
    }
}

impl Lambda {
    /// Validate the functions, write bootstraps and inline code. No sandbox and no background
    /// work starts here: see [`Lambda::start_background`].
    pub fn new(
        functions: Vec<FunctionSpec>,
        config: LambdaConfig,
    ) -> Result<Arc<Lambda>, LambdaError> {
        Self::succeeding(None, functions, config, &BTreeSet::new())
    }

    /// Like [`Lambda::new`] for a reload: a function whose spec is unchanged and whose name is not
    /// in `code_changed` keeps `previous`'s pool, warm sandboxes included (the two services share
    /// it); every other function gets fresh sandboxes. `previous` keeps serving its in-flight
    /// invocations; its own pools end when it is dropped.
    pub fn succeeding(
        previous: Option<&Lambda>,
        functions: Vec<FunctionSpec>,
        config: LambdaConfig,
        code_changed: &BTreeSet<String>,
    ) -> Result<Arc<Lambda>, LambdaError> {
        let launchers = bootstrap::Launchers::new(&config.cache_dir, &functions)?;
        // Probed once per process: a reload's service inherits it (leftovers were reaped and
        // the notes said at the first start).
        let host = match previous {
            Some(old) => old.host.clone(),
            None => Arc::new(SandboxHost::probe(
                config.sandbox_limits,
                config.cgroups,
                config.sandbox_user.as_deref(),
                config.fork_sandboxes,
            )),
        };
        let mut pools = BTreeMap::new();
        let specs: BTreeMap<String, FunctionSpec> = functions
            .iter()
            .map(|f| (f.name.clone(), f.clone()))
            .collect();
        let mut local_names = BTreeMap::new();
        for spec in &functions {
            for other in spec.local_names.iter().filter(|n| !specs.contains_key(*n)) {
                local_names
                    .entry(other.clone())
                    .or_insert_with(|| spec.name.clone());
            }
        }
        for spec in functions {
            let mut launcher: Launcher = launchers.launcher_for(&spec, &config.cache_dir)?;
            if let Some(debug) = config.debug.as_ref().filter(|d| d.applies_to(&spec.name)) {
                launcher = bootstrap::debugged(launcher, &spec.runtime, debug);
            }
            let name = spec.name.clone();
            let kept = previous
                .filter(|_| !code_changed.contains(&name))
                .filter(|old| old.specs.get(&name) == Some(&spec))
                .and_then(|old| old.functions.get(&name))
                .cloned();
            let pool = match kept {
                Some(pool) => pool,
                None => Arc::new(FunctionVersions::new(&spec, &launcher, &config, &host)),
            };
            if pools.insert(name.clone(), pool).is_some() {
                return Err(LambdaError::DuplicateFunction { function: name });
            }
        }
        let (events, event_queue) = tokio::sync::mpsc::unbounded_channel();
        Ok(Arc::new(Lambda {
            functions: pools,
            specs,
            local_names,
            config,
            host,
            events,
            event_queue: std::sync::Mutex::new(Some(event_queue)),
        }))
    }

    /// Starts the idle reaper and the worker that runs queued `Event` invocations (with Lambda's
    /// retries), and each function's provisioned concurrency (its sandboxes start in the
    /// background and are kept). Call it once, inside a tokio runtime; the caller owns what it
    /// returns. A second call starts only another reaper: the queue has one worker.
    pub fn start_background(self: &Arc<Self>) -> BackgroundWork {
        for pool in self.functions.values().flat_map(|f| f.all()) {
            pool.provision();
        }
        let mut tasks = vec![tokio::spawn(reap_idle(Arc::downgrade(self)))];
        let queue = self.event_queue.lock().ok().and_then(|mut q| q.take());
        if let Some(queue) = queue {
            tasks.push(tokio::spawn(run_events(Arc::downgrade(self), queue)));
        }
        BackgroundWork { tasks }
    }

    /// Accepts an asynchronous (`Event`) invocation as Invoke's 202 does: the function must exist
    /// and the event fit Lambda's limit, then it waits in the queue. Returns the request id the
    /// function will run (and log) under: `options`' own, else a fresh one.
    pub fn invoke_event(
        &self,
        function: &str,
        payload: Bytes,
        options: InvokeOptions,
    ) -> Result<String, InvokeError> {
        if payload.len() > crate::MAX_EVENT_PAYLOAD {
            return Err(InvokeError::EventTooLarge {
                size: payload.len(),
                limit: crate::MAX_EVENT_PAYLOAD,
            });
        }
        let mut options = self.qualified(function, options);
        self.pool(function, &payload, &options)?;
        let request_id = options
            .request_id
            .get_or_insert_with(|| uuid::Uuid::new_v4().to_string())
            .clone();
        self.enqueue_event(function, payload, options);
        Ok(request_id)
    }

    /// Queues an asynchronous invocation for the background worker; every attempt runs with
    /// `options` (the 202's request id among them).
    pub(crate) fn enqueue_event(&self, function: &str, payload: Bytes, options: InvokeOptions) {
        // The receiver lives as long as the worker or the service; a send after both are gone has
        // nobody to run it, as when Lambda itself shuts down.
        let _ = self.events.send(EventInvocation {
            function: function.to_owned(),
            payload,
            options,
            queued_at: std::time::Instant::now(),
        });
    }

    /// What a person should know about sandboxes on this host (isolation or limits that are
    /// off, leftovers reaped), one line each.
    pub fn notes(&self) -> Vec<String> {
        self.host.notes()
    }

    /// Each function's sandboxes right now, by function name.
    pub fn sandbox_counts(&self) -> BTreeMap<String, SandboxCount> {
        self.functions
            .iter()
            .map(|(name, versions)| (name.clone(), versions.sandbox_count()))
            .collect()
    }

    /// Names of the registered functions.
    pub fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// Invoke `function` synchronously (RequestResponse) with `payload`.
    pub async fn invoke(&self, function: &str, payload: Bytes) -> Result<Invocation, InvokeError> {
        self.invoke_with(function, payload, InvokeOptions::default())
            .await
    }

    /// Like [`Lambda::invoke`], with the caller's client context or request id.
    pub async fn invoke_with(
        &self,
        function: &str,
        payload: Bytes,
        options: InvokeOptions,
    ) -> Result<Invocation, InvokeError> {
        let options = self.qualified(function, options);
        self.pool(function, &payload, &options)?
            .invoke(payload, options)
            .await
    }

    /// Invoke `function` synchronously for a caller that takes a streamed response (a Function
    /// URL in `RESPONSE_STREAM` mode, `InvokeWithResponseStream`): resolves as soon as the runtime
    /// starts streaming, else with the whole answer.
    pub async fn invoke_streaming(
        &self,
        function: &str,
        payload: Bytes,
        options: InvokeOptions,
    ) -> Result<InvokeResponse, InvokeError> {
        let options = self.qualified(function, options);
        let pool = self.pool(function, &payload, &options)?;
        pool.invoke_streaming(payload, options).await
    }

    /// `options`, with the qualifier `function` names (`name:live`) if they name none.
    fn qualified(&self, function: &str, mut options: InvokeOptions) -> InvokeOptions {
        if options.qualifier.is_none() && self.unqualified(function) != function {
            options.qualifier = function.rsplit_once(':').map(|(_, q)| q.to_owned());
        }
        options
    }

    /// The pool of the version of `function` that `options` invoke, once the payload is known
    /// to fit.
    fn pool(
        &self,
        function: &str,
        payload: &Bytes,
        options: &InvokeOptions,
    ) -> Result<&Arc<FunctionPool>, InvokeError> {
        let versions = self
            .functions
            .get(self.unqualified(function))
            .ok_or_else(|| InvokeError::ResourceNotFound {
                // AWS: Invoke names the version it looked for, `$LATEST` when none was given.
                arn: if function.contains(':') {
                    self.config.function_arn(function)
                } else {
                    self.config.function_arn(&format!("{function}:$LATEST"))
                },
            })?;
        let pool = versions.for_invocation(options);
        pool.check_tenant(options)?;
        if payload.len() > MAX_REQUEST_PAYLOAD {
            return Err(InvokeError::RequestTooLarge {
                size: payload.len(),
                limit: MAX_REQUEST_PAYLOAD,
            });
        }
        Ok(pool)
    }

    /// Start one sandbox per function (SAM's EAGER warm containers), all at once, and wait until
    /// each is ready. Every function is tried; the first failure is returned.
    pub async fn prewarm(&self) -> Result<(), LambdaError> {
        let mut starts = tokio::task::JoinSet::new();
        for versions in self.functions.values() {
            // The version the gateway invokes: through the alias, when there is one.
            let pool = versions.served().clone();
            starts.spawn(async move { pool.prewarm().await });
        }
        let mut first_error = None;
        while let Some(joined) = starts.join_next().await {
            if let Ok(Err(e)) = joined {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Wait until every answered invocation has ended: extensions still at work on one are
    /// done with it or it timed out (`sam local invoke` prints the REPORT before exiting).
    pub async fn settle(&self) {
        for pool in self.functions.values().flat_map(|f| f.all()) {
            pool.settled().await;
        }
    }

    /// Stop every sandbox (all their processes) and what outlived them. Background work is
    /// stopped by its owner.
    pub async fn shutdown(&self) {
        let mut stops = tokio::task::JoinSet::new();
        for pool in self.functions.values().flat_map(|f| f.all()) {
            let pool = pool.clone();
            stops.spawn(async move { pool.shutdown().await });
        }
        while stops.join_next().await.is_some() {}
        self.host.release();
    }
}

/// Periodically stop sandboxes idle for longer than the configured timeout.
async fn reap_idle(lambda: Weak<Lambda>) {
    let period = match lambda.upgrade() {
        Some(l) => {
            (l.config.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(30))
        }
        None => return,
    };
    loop {
        tokio::time::sleep(period).await;
        let Some(lambda) = lambda.upgrade() else {
            return;
        };
        for pool in lambda.functions.values().flat_map(|f| f.all()) {
            pool.reap_idle(lambda.config.idle_timeout).await;
        }
        lambda.host.reap_orphans();
    }
}

impl Lambda {
    /// The configuration a function was created with.
    pub fn spec(&self, name: &str) -> Option<&FunctionSpec> {
        self.specs.get(name)
    }

    /// The name of the function `name` names: itself, or the function it is a local name of.
    pub fn canonical_name<'n>(&'n self, name: &'n str) -> &'n str {
        self.local_names.get(name).map_or(name, String::as_str)
    }

    /// The ARN Lambda would give this function.
    pub fn arn(&self, name: &str) -> String {
        self.config.function_arn(name)
    }

    /// Whether `qualifier` names this function's code: `$LATEST`, or one of its aliases.
    /// AWS: a published version is a frozen copy; Sluice runs only the code on disk, which is what
    /// `$LATEST` and an `AutoPublishAlias` alias point at right after `sam deploy`.
    pub fn accepts_qualifier(&self, name: &str, qualifier: &str) -> bool {
        self.specs.get(name).is_some_and(|s| {
            qualifier == "$LATEST"
                || s.aliases.iter().any(|a| a == qualifier)
                || (!s.aliases.is_empty() && qualifier == crate::invocation::PUBLISHED_VERSION)
        })
    }

    /// `name:$LATEST` or `name:alias` → `name`; anything else unchanged.
    fn unqualified<'n>(&self, function: &'n str) -> &'n str {
        match function.rsplit_once(':') {
            Some((name, qualifier)) if self.accepts_qualifier(name, qualifier) => name,
            _ => function,
        }
    }
}
