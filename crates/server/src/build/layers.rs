//! Local layers that `sam build` builds (`Metadata.BuildMethod`), built the same way: a python or
//! node layer becomes `python/` or `nodejs/` (SAM CLI's `get_layer_subfolder`) holding the
//! layer's files and its `requirements.txt` or `package.json` dependencies, as Lambda unpacks
//! the built layer into `/opt`; a makefile layer is whatever `make build-<LogicalId>` writes into
//! `ARTIFACTS_DIR`. Functions then see the built folder in place of `ContentUri`.
//!
//! The files are linked, not copied, so an edit to one shows without building again; the folder
//! is keyed by the layer's file names and manifests, so a new file or a changed manifest is a
//! new build (which `start-api` runs before serving, as it installs a function's changed
//! manifest).

use std::path::{Path, PathBuf};
use std::process::Command;

use sluice_template::{Function, LayerBuild};

use super::build_plan::{is_built, BuildPlan};
use super::steps::{into_place, io, make, npm_install, tool, BuildError};

/// What Lambda's python and node runtimes search in `/opt`, and the manifest each builds from.
const RUNTIME_FOLDERS: &[(&str, &str, &str)] = &[
    ("python3", "python", "requirements.txt"),
    ("nodejs", "nodejs", "package.json"),
];

/// Entries of a layer's folder that are no part of the built layer: what a build makes again
/// (`node_modules`) and tools' own folders.
const LEFT_OUT: &[&str] = &["node_modules", ".git", ".aws-sam", ".sluice", "__pycache__"];

/// How to build `layer`, or `None` for a `BuildMethod` Sluice does not build (the template
/// already said so).
pub fn layer_plan(layer: &LayerBuild, state_dir: &Path) -> Option<BuildPlan> {
    let root = super::build_root(state_dir).join("layers");
    if layer.build_method == "makefile" {
        return Some(BuildPlan::Make {
            dir: layer.content.clone(),
            artifacts: root.join(&layer.logical_id),
        });
    }
    let (family, folder, _) = RUNTIME_FOLDERS
        .iter()
        .find(|(prefix, _, _)| layer.build_method.starts_with(prefix))?;
    let mut names = entries(&layer.content);
    names.sort();
    let manifests = ["requirements.txt", "package.json", "package-lock.json"]
        .map(|file| std::fs::read(layer.content.join(file)).unwrap_or_default());
    let key = super::stable_key(
        [family.as_bytes().to_vec(), names.join("\n").into_bytes()]
            .into_iter()
            .chain(manifests),
    );
    Some(BuildPlan::Layer {
        dir: layer.content.clone(),
        folder,
        out: root.join(&layer.logical_id).join(key),
    })
}

/// Builds `layer` as `plan` says; one line saying what was done or reused.
pub fn build_layer(layer: &LayerBuild, plan: &BuildPlan) -> Result<String, BuildError> {
    let id = &layer.logical_id;
    match plan {
        BuildPlan::Layer { out, .. } if is_built(plan) => {
            Ok(format!("{id}: layer unchanged, reusing {}", out.display()))
        }
        BuildPlan::Layer { dir, folder, out } => run(id, dir, folder, out),
        BuildPlan::Make { dir, artifacts } => make(id, dir, artifacts),
        _ => Ok(format!("{id}: nothing to build")),
    }
}

/// Builds a runtime layer into `out/<folder>`: the dependencies first (pip `--target`, or npm
/// with copies of the manifests, so npm never writes into the layer's own files), then a link to
/// each of the layer's files that a dependency did not take.
pub(super) fn run(id: &str, dir: &Path, folder: &str, out: &Path) -> Result<String, BuildError> {
    into_place(out, |scratch| {
        let built = scratch.join(folder);
        std::fs::create_dir_all(&built).map_err(io(format!("creating {}", built.display())))?;
        let requirements = dir.join("requirements.txt");
        if folder == "python" && requirements.is_file() {
            let mut command = Command::new("python3");
            command
                .args(["-m", "pip", "install", "--disable-pip-version-check"])
                .args(["--no-input", "--quiet", "-r"])
                .arg(&requirements)
                .arg("--target")
                .arg(&built);
            tool(id, command)?;
        }
        if folder == "nodejs" && dir.join("package.json").is_file() {
            npm_install(id, dir, &built, true)?;
        }
        for name in entries(dir) {
            let link = built.join(&name);
            if !link.exists() {
                std::os::unix::fs::symlink(dir.join(&name), &link)
                    .map_err(io(format!("linking {}", link.display())))?;
            }
        }
        Ok(())
    })?;
    Ok(format!(
        "{id}: layer built into {} (files linked, dependencies installed)",
        out.join(folder).display()
    ))
}

/// The names of the layer folder's entries that belong in the built layer.
fn entries(dir: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    read.flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !LEFT_OUT.contains(&name.as_str()))
        .collect()
}

/// `function` with each built layer's folder in place of its `ContentUri`, or `None` when none of
/// its layers has a build. A layer not built yet stays its folder, said once in `notes`.
pub fn with_built_layers(
    function: &Function,
    state_dir: &Path,
    notes: &mut Vec<String>,
) -> Option<Function> {
    if function.layer_builds.is_empty() {
        return None;
    }
    let mut built = function.clone();
    for layer in &function.layer_builds {
        let Some(plan) = layer_plan(layer, state_dir) else {
            continue;
        };
        let output: PathBuf = match &plan {
            BuildPlan::Layer { out, .. } => out.clone(),
            BuildPlan::Make { artifacts, .. } => artifacts.clone(),
            _ => continue,
        };
        if !is_built(&plan) {
            let note = format!(
                "layer {} (BuildMethod {}) is not built, or changed since it was: run `sluice build`; until then functions see {} as it is",
                layer.logical_id,
                layer.build_method,
                layer.content.display()
            );
            if !notes.contains(&note) {
                notes.push(note);
            }
            continue;
        }
        for folder in &mut built.layers {
            if *folder == layer.content {
                *folder = output.clone();
            }
        }
    }
    Some(built)
}
