//! `sluice build`: each function's dependencies installed where Lambda's runtime would find them,
//! as `sam build` does, without copying the code (so reload on save keeps working on the source).
//!
//! - python, `requirements.txt` → `pip install --target` into `<state>/build/python/<hash>`, on
//!   `PYTHONPATH` right after the task root (Lambda has them in the task root itself);
//! - node, `package.json` → `npm ci` (with a lock file) or `npm install`, `--omit=dev`, into
//!   `<state>/build/node/<hash>/node_modules`, on `NODE_PATH`;
//! - `BuildMethod: makefile` → `make build-<LogicalId>` with `ARTIFACTS_DIR` set, as SAM runs it;
//!   the artifacts folder becomes the function's task root;
//! - `BuildMethod: rust-cargolambda` → `cargo build --release` (Sluice then runs the binary);
//! - `BuildMethod: esbuild` → `npm ci`/`npm install` (dev dependencies included) into
//!   `<state>/build/node-dev/<hash>`, then esbuild with SAM's arguments into
//!   `<state>/build/functions/<LogicalId>`, the task root (see [`esbuild`]). `start-api`, `invoke`
//!   and `start-lambda` bundle again at start and on save, esbuild being fast.
//!
//! Local layers with a `Metadata.BuildMethod` are built too (see [`layers`]): a python or node
//! layer's files linked into `<state>/build/layers/<LogicalId>/<hash>/python` (or `nodejs`) beside
//! its dependencies, a makefile layer's `make build-<LogicalId>` output in
//! `<state>/build/layers/<LogicalId>`; functions then see that folder as the layer's `/opt`.
//!
//! Dependency folders are keyed by a hash of the runtime and the manifest's bytes, so functions
//! with the same requirements share one and an unchanged manifest is not installed again.
//! `start-api` looks the folders up by the same hash: a manifest edited since the last build is
//! reported, and the function runs without the stale folder.

mod build_plan;
pub mod esbuild;
mod layers;
mod steps;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sluice_aws_env::RuntimeFamily;
use sluice_template::{Code, Function};

pub use build_plan::{is_built, BuildPlan};
pub use layers::{build_layer, layer_plan, with_built_layers};
pub use steps::BuildError;

/// Where builds go: `<state>/build`.
pub fn build_root(state_dir: &Path) -> PathBuf {
    state_dir.join("build")
}

/// What `sluice build` would do for `function`, or `None` when there is nothing to build (no
/// manifest, inline code).
pub fn plan(function: &Function, state_dir: &Path) -> Option<BuildPlan> {
    let Code::Dir(dir) = &function.code else {
        return None;
    };
    // A `CodeUri` naming one file runs from its folder.
    let dir = if dir.is_file() {
        dir.parent()?
    } else {
        dir.as_path()
    };
    let root = build_root(state_dir);
    match function.build_method.as_deref() {
        Some("makefile") => {
            return Some(BuildPlan::Make {
                dir: dir.to_owned(),
                artifacts: root.join("functions").join(&function.logical_id),
            })
        }
        Some(esbuild::BUILD_METHOD) => {
            let package = dir.join("package.json");
            let deps = manifest_key(
                &function.runtime,
                &[&package, &dir.join("package-lock.json")],
            )
            .map(|key| root.join("node-dev").join(key));
            return Some(BuildPlan::Esbuild {
                dir: dir.to_owned(),
                deps,
                artifacts: root.join("functions").join(&function.logical_id),
            });
        }
        Some("rust-cargolambda") => {
            return Some(BuildPlan::Cargo {
                dir: dir.to_owned(),
            })
        }
        _ => {}
    }
    match RuntimeFamily::of(&function.runtime) {
        Some(RuntimeFamily::Python) => {
            let requirements = dir.join("requirements.txt");
            let key = manifest_key(&function.runtime, &[&requirements])?;
            Some(BuildPlan::Pip {
                target: root.join("python").join(key),
                requirements,
            })
        }
        Some(RuntimeFamily::Node) => {
            let package = dir.join("package.json");
            let key = manifest_key(
                &function.runtime,
                &[&package, &dir.join("package-lock.json")],
            )?;
            Some(BuildPlan::Npm {
                dir: dir.to_owned(),
                target: root.join("node").join(key),
            })
        }
        _ => None,
    }
}

/// A stable hex key for the runtime family and the manifests' bytes (missing files count as
/// empty; `None` when the first, the manifest itself, is missing).
fn manifest_key(runtime: &str, files: &[&Path]) -> Option<String> {
    let first = std::fs::read(files.first()?).ok()?;
    let family = runtime.split('.').next().unwrap_or(runtime);
    let rest = files[1..]
        .iter()
        .map(|file| std::fs::read(file).unwrap_or_default());
    Some(stable_key(
        [family.as_bytes().to_vec(), first].into_iter().chain(rest),
    ))
}

/// A stable hex key for `parts`, each kept apart from the next.
fn stable_key(parts: impl IntoIterator<Item = Vec<u8>>) -> String {
    // FNV-1a, 64-bit: stable across Rust releases (std's hasher is not), enough for a local cache.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (index, part) in parts.into_iter().enumerate() {
        if index > 0 {
            feed(&[0]);
        }
        feed(&part);
    }
    format!("{hash:016x}")
}

/// Runs `plan`, the tool's output shown only when it fails (in the error). Returns one line saying
/// what was done or reused.
pub fn run(function: &Function, plan: &BuildPlan) -> Result<String, BuildError> {
    steps::run(function, plan)
}

/// Bundles an esbuild function again (at start, and on save when reloading), with the
/// dependencies `sluice build` installed, if any; `None` for other functions.
pub fn rebundle(function: &Function, state_dir: &Path) -> Option<Result<String, BuildError>> {
    let Some(BuildPlan::Esbuild {
        dir,
        deps,
        artifacts,
    }) = plan(function, state_dir)
    else {
        return None;
    };
    Some(
        esbuild::bundle(function, &dir, deps.as_deref(), &artifacts).map(|()| {
            format!(
                "{}: esbuild bundled into {}",
                function.logical_id,
                artifacts.display()
            )
        }),
    )
}

/// At start: puts a built dependency folder on the function's search path, or returns the
/// makefile's artifacts folder to run instead of the code folder. `base` gives a variable's value
/// before the function's own (what every sandbox gets). Says in `notes` when a manifest has
/// changed since the last build.
pub fn apply(
    function: &Function,
    state_dir: &Path,
    base: impl Fn(&str) -> Option<String>,
    environment: &mut BTreeMap<String, String>,
    notes: &mut Vec<String>,
) -> Option<PathBuf> {
    let plan = plan(function, state_dir)?;
    let prepend = |environment: &mut BTreeMap<String, String>, name: &str, dir: PathBuf| {
        let rest = environment.get(name).cloned().or_else(|| base(name));
        let value = match rest.filter(|r| !r.is_empty()) {
            Some(rest) => format!("{}:{rest}", dir.display()),
            None => dir.display().to_string(),
        };
        environment.insert(name.to_owned(), value);
    };
    let mut stale = |what: &str| {
        // Only worth saying when some build was done before: a project that never ran
        // `sluice build` gets no nagging.
        if build_root(state_dir).is_dir() {
            notes.push(format!(
                "{}: {what} changed since the last `sluice build` (or was never built); run it to install the dependencies",
                function.logical_id
            ));
        }
    };
    match &plan {
        BuildPlan::Pip { target, .. } if is_built(&plan) => {
            prepend(environment, "PYTHONPATH", target.clone());
            None
        }
        BuildPlan::Npm { target, .. } if is_built(&plan) => {
            prepend(environment, "NODE_PATH", target.join("node_modules"));
            None
        }
        BuildPlan::Make { artifacts, .. } if is_built(&plan) => Some(artifacts.clone()),
        BuildPlan::Esbuild { artifacts, .. } if is_built(&plan) => {
            let current = environment
                .get("NODE_OPTIONS")
                .cloned()
                .or_else(|| base("NODE_OPTIONS"));
            if let Some(options) = esbuild::node_options(function, current.as_deref()) {
                environment.insert("NODE_OPTIONS".to_owned(), options);
            }
            Some(artifacts.clone())
        }
        BuildPlan::Pip { .. } => {
            stale("requirements.txt");
            None
        }
        BuildPlan::Npm { .. } => {
            stale("package.json");
            None
        }
        BuildPlan::Make { .. }
        | BuildPlan::Esbuild { .. }
        | BuildPlan::Cargo { .. }
        | BuildPlan::Layer { .. } => None,
    }
}

#[cfg(test)]
mod tests;
