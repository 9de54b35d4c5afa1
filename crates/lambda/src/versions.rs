//! A function's versions, each with its own sandboxes: `$LATEST`, and the version SAM's
//! `AutoPublishAlias` publishes when the function has an alias.
//!
//! AWS: each version runs in execution environments of its own, which say which version they
//! run (`AWS_LAMBDA_FUNCTION_VERSION`, the context's function version, the log stream's
//! `[1]` prefix); concurrency is counted per function, and provisioned concurrency belongs to
//! the alias (SAM's `ProvisionedConcurrencyConfig` requires `AutoPublishAlias`).

use std::sync::Arc;

use crate::bootstrap::Launcher;
use crate::config::LambdaConfig;
use crate::invocation::{InvokeOptions, PUBLISHED_VERSION};
use crate::pool::{Concurrency, FunctionPool, SandboxCount};
use crate::sandbox::SandboxHost;
use crate::spec::FunctionSpec;

/// The sandbox pools of one function's versions.
pub(crate) struct FunctionVersions {
    /// Unqualified and `$LATEST` invocations.
    latest: Arc<FunctionPool>,
    /// Invocations through an alias or the published version; `None` without an alias.
    published: Option<Arc<FunctionPool>>,
}

impl FunctionVersions {
    /// The pools of `spec`'s function, sharing its concurrency.
    pub fn new(
        spec: &FunctionSpec,
        launcher: &Launcher,
        config: &LambdaConfig,
        host: &Arc<SandboxHost>,
    ) -> FunctionVersions {
        let concurrency = Concurrency::of(spec, config);
        let provisioned = spec.provisioned_concurrency as usize;
        let has_alias = !spec.aliases.is_empty();
        let pool = |version, provisioned| {
            let pool = Arc::new(FunctionPool::new(
                spec.clone(),
                version,
                launcher.clone(),
                config,
                host.clone(),
                concurrency.clone(),
                provisioned,
            ));
            pool.warm_fork_server();
            pool
        };
        // Without an alias (not a template SAM deploys) the provisioned sandboxes stay on
        // `$LATEST`, the only version there is.
        let latest = pool("$LATEST", if has_alias { 0 } else { provisioned });
        let published = has_alias.then(|| pool(PUBLISHED_VERSION, provisioned));
        FunctionVersions { latest, published }
    }

    /// The pool of the version an invocation with `options` runs.
    pub fn for_invocation(&self, options: &InvokeOptions) -> &Arc<FunctionPool> {
        match (&self.published, options.executed_version()) {
            (Some(published), PUBLISHED_VERSION) => published,
            _ => &self.latest,
        }
    }

    /// The version the gateway invokes (through the alias, when there is one).
    pub fn served(&self) -> &Arc<FunctionPool> {
        self.published.as_ref().unwrap_or(&self.latest)
    }

    /// Every version's pool.
    pub fn all(&self) -> impl Iterator<Item = &Arc<FunctionPool>> {
        std::iter::once(&self.latest).chain(&self.published)
    }

    /// The function's sandboxes, all versions together.
    pub fn sandbox_count(&self) -> SandboxCount {
        self.all()
            .map(|pool| pool.sandbox_count())
            .fold(SandboxCount::default(), |a, b| SandboxCount {
                idle: a.idle + b.idle,
                busy: a.busy + b.busy,
            })
    }
}
