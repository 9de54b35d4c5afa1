//! What building one function does, and whether its output is there: the leaf that both deciding
//! (`build`) and running (`steps`) a build read.

use std::path::PathBuf;

/// Written last into a finished output folder; its presence means "built".
pub(super) const DONE_MARKER: &str = ".sluice-build-done";

/// What building one function does, decided from the template and the files in its code folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildPlan {
    /// `requirements.txt`: pip installs into `target`.
    Pip {
        /// The requirements file.
        requirements: PathBuf,
        /// The shared folder for this hash.
        target: PathBuf,
    },
    /// `package.json`: npm installs into `target/node_modules`.
    Npm {
        /// The code folder holding `package.json` (and maybe `package-lock.json`).
        dir: PathBuf,
        /// The shared folder for this hash.
        target: PathBuf,
    },
    /// `BuildMethod: makefile`: `make build-<LogicalId>` in `dir`, output in `artifacts`.
    Make {
        /// The code folder holding the `Makefile`.
        dir: PathBuf,
        /// `ARTIFACTS_DIR`.
        artifacts: PathBuf,
    },
    /// `BuildMethod: esbuild`: `package.json`'s dependencies installed into `deps` (dev ones too:
    /// esbuild itself is usually one), then esbuild bundles the entry points into `artifacts`,
    /// which becomes the task root.
    Esbuild {
        /// The code folder (esbuild's working folder, entry points relative to it).
        dir: PathBuf,
        /// The shared folder for this `package.json`'s hash; `None` without a `package.json`.
        deps: Option<PathBuf>,
        /// Where the bundle goes: `<state>/build/functions/<LogicalId>`.
        artifacts: PathBuf,
    },
    /// `BuildMethod: rust-cargolambda`: `cargo build --release` in `dir`.
    Cargo {
        /// The package folder.
        dir: PathBuf,
    },
    /// A layer with a runtime `BuildMethod` (`nodejs20.x`, `python3.12`): its files linked into
    /// `out/<folder>` and its manifest's dependencies installed beside them, where `sam build`
    /// copies and installs them (so a change to a layer file shows without a rebuild).
    Layer {
        /// The layer's `ContentUri` folder.
        dir: PathBuf,
        /// `python` or `nodejs`: the folder of `/opt` the runtime searches.
        folder: &'static str,
        /// The built layer, what Lambda unpacks into `/opt`: `<state>/build/layers/<LogicalId>/<hash>`.
        out: PathBuf,
    },
}

/// Whether the plan's output is there (a completed install or make run).
pub fn is_built(plan: &BuildPlan) -> bool {
    match plan {
        BuildPlan::Pip { target, .. } => target.join(DONE_MARKER).is_file(),
        BuildPlan::Npm { target, .. } => target.join(DONE_MARKER).is_file(),
        BuildPlan::Make { artifacts, .. } | BuildPlan::Esbuild { artifacts, .. } => {
            artifacts.join(DONE_MARKER).is_file()
        }
        BuildPlan::Layer { out, .. } => out.join(DONE_MARKER).is_file(),
        // Cargo's own freshness check decides; Sluice finds the binary either way.
        BuildPlan::Cargo { .. } => true,
    }
}
