//! `BuildMethod: esbuild`, as `sam build` runs it (aws-lambda-builders' `nodejs_npm_esbuild`
//! workflow): the same esbuild command line built from `Metadata.BuildProperties`, the bundle in
//! its own folder that becomes the task root, and the handler and `NODE_OPTIONS` adjusted after
//! the build as SAM CLI adjusts the built template.
//!
//! AWS (SAM): the code is copied to a scratch folder, `npm install --omit=dev` runs there, and
//! esbuild is taken from that `node_modules/.bin`, else `PATH`. Sluice: esbuild runs in the code
//! folder itself (so reload on save bundles what was saved), finding packages in its
//! `node_modules` and then in `sluice build`'s install (on esbuild's `NODE_PATH`); esbuild is taken
//! from the code folder's `node_modules/.bin`, that install's, else `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sluice_template::Function;

use super::build_plan::DONE_MARKER;
use super::steps::{into_place, tool, BuildError};

/// The `BuildMethod` value.
pub const BUILD_METHOD: &str = "esbuild";

/// Whether `function` is bundled with esbuild.
pub fn is_esbuild(function: &Function) -> bool {
    function.build_method.as_deref() == Some(BUILD_METHOD)
}

/// `BuildProperties` passed as `--name` when `true` (SAM's boolean flags).
const BOOLEAN: &[(&str, &str)] = &[("Minify", "minify"), ("Sourcemap", "sourcemap")];
/// `BuildProperties` passed as `--name=value`.
const SINGLE_VALUE: &[(&str, &str)] = &[
    ("Target", "target"),
    ("Format", "format"),
    ("MainFields", "main-fields"),
    ("SourcesContent", "sources-content"),
];
/// `BuildProperties` lists passed as one `--name:item` per item.
const MULTI_VALUE: &[(&str, &str)] = &[
    ("External", "external"),
    ("Loader", "loader"),
    ("OutExtension", "out-extension"),
    ("Banner", "banner"),
];

/// The esbuild executable for a function in `dir`: its own `node_modules/.bin/esbuild`, then the
/// one `sluice build` installed into `deps`, then `PATH`'s.
pub fn find(dir: &Path, deps: Option<&Path>) -> Option<PathBuf> {
    std::iter::once(dir.join("node_modules/.bin/esbuild"))
        .chain(deps.map(|d| d.join("node_modules/.bin/esbuild")))
        .find(|candidate| sluice_lambda::is_executable(candidate))
        .or_else(|| {
            let path = std::env::var_os("PATH").unwrap_or_default();
            sluice_lambda::find_on_path(Path::new("esbuild"), &path)
        })
}

/// esbuild's arguments for `function`, as aws-lambda-builders' `EsbuildCommandBuilder` builds
/// them (entry points, then the defaults, then `BuildProperties`), writing into `outdir`.
pub fn arguments(function: &Function, dir: &Path, outdir: &Path) -> Result<Vec<String>, String> {
    let props = function
        .build_properties
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut args = Vec::new();
    let mut externals: Vec<Value> = match props.get("External") {
        Some(Value::Array(items)) => items.clone(),
        Some(other) => {
            return Err(format!(
                "BuildProperties.External must be a list, not {other}"
            ))
        }
        None => Vec::new(),
    };
    // SAM: `./node_modules/*` among the externals marks every `dependencies` entry external.
    if externals
        .iter()
        .any(|e| e.as_str() == Some("./node_modules/*"))
    {
        let manifest = dir.join("package.json");
        let package: Value = std::fs::read(&manifest)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null);
        if let Some(dependencies) = package.get("dependencies").and_then(Value::as_object) {
            args.extend(dependencies.keys().map(|d| format!("--external:{d}")));
        }
        externals.clear();
    }
    for entry in entry_points(function, &props)? {
        args.push(explicit_entry(dir, &entry)?);
    }
    args.extend([
        "--bundle".to_owned(),
        "--platform=node".to_owned(),
        format!("--outdir={}", outdir.display()),
    ]);
    // SAM's defaults, each only when the property is absent.
    if !props.contains_key("Target") {
        args.push("--target=es2020".to_owned());
    }
    if !props.contains_key("Format") {
        args.push("--format=cjs".to_owned());
    }
    if !props.contains_key("Minify") {
        args.push("--minify".to_owned());
    }
    for (key, flag) in BOOLEAN {
        let from_env = *key == "Sourcemap" && sourcemaps_from_env(function, &props);
        if props.get(*key) == Some(&Value::Bool(true)) || from_env {
            args.push(format!("--{flag}"));
        }
    }
    for (key, flag) in SINGLE_VALUE {
        if let Some(value) = props.get(*key) {
            args.push(format!("--{flag}={}", scalar(value)));
        }
    }
    for (key, flag) in MULTI_VALUE {
        let items = if *key == "External" {
            externals.clone()
        } else {
            match props.get(*key) {
                Some(Value::Array(items)) => items.clone(),
                Some(other) => {
                    return Err(format!("BuildProperties.{key} must be a list, not {other}"))
                }
                None => continue,
            }
        };
        args.extend(
            items
                .iter()
                .map(|item| format!("--{flag}:{}", scalar(item))),
        );
    }
    Ok(args)
}

/// `EntryPoints`, else (as SAM CLI passes them) the handler's module.
fn entry_points(
    function: &Function,
    props: &serde_json::Map<String, Value>,
) -> Result<Vec<String>, String> {
    match props.get("EntryPoints") {
        Some(Value::Array(items)) if !items.is_empty() => Ok(items.iter().map(scalar).collect()),
        Some(Value::Array(_)) => Err("BuildProperties.EntryPoints must not be empty".to_owned()),
        Some(other) => Err(format!(
            "BuildProperties.EntryPoints must be a list, not {other}"
        )),
        None => match function.handler.rsplit_once('.') {
            Some((module, _)) => Ok(vec![module.to_owned()]),
            None => Err(format!(
                "Handler {:?} is not module.function",
                function.handler
            )),
        },
    }
}

/// An entry point as esbuild is given it: as written when it has an extension (and exists), else
/// with `.ts`, then `.js`, whichever exists.
fn explicit_entry(dir: &Path, entry: &str) -> Result<String, String> {
    if Path::new(entry).extension().is_some() {
        if dir.join(entry).is_file() {
            return Ok(entry.to_owned());
        }
    } else if let Some(ext) = ["ts", "js"]
        .iter()
        .find(|ext| dir.join(format!("{entry}.{ext}")).is_file())
    {
        return Ok(format!("{entry}.{ext}"));
    }
    Err(format!(
        "entry point {} does not exist",
        dir.join(entry).display()
    ))
}

/// A property value as SAM writes it into the flag (`true`, `es2020`, `main,module`).
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// SAM CLI: `NODE_OPTIONS` with `--enable-source-maps` and no `Sourcemap` property bundles with
/// source maps.
fn sourcemaps_from_env(function: &Function, props: &serde_json::Map<String, Value>) -> bool {
    !props.contains_key("Sourcemap")
        && function
            .environment
            .get("NODE_OPTIONS")
            .is_some_and(|o| o.split_whitespace().any(|o| o == "--enable-source-maps"))
}

/// SAM CLI: `Sourcemap: true` adds `--enable-source-maps` to the function's `NODE_OPTIONS`
/// (unless already there), so stack traces point into the TypeScript.
pub fn node_options(function: &Function, current: Option<&str>) -> Option<String> {
    let on = function.build_properties.get("Sourcemap") == Some(&Value::Bool(true));
    let current = current.unwrap_or("");
    if !on
        || current
            .split_whitespace()
            .any(|o| o == "--enable-source-maps")
    {
        return None;
    }
    Some(
        format!("{current} --enable-source-maps")
            .trim_start()
            .to_owned(),
    )
}

/// The handler to run from the bundle: SAM CLI keeps the template's when `<module>.js` is in
/// the bundle at that path, else keeps only its last segment (`src/handlers/app.handler` →
/// `app.handler`), since esbuild writes one entry point straight into the output folder.
pub fn bundled_handler(handler: &str, artifacts: &Path) -> String {
    let Some((module, _)) = handler.rsplit_once('.') else {
        return handler.to_owned();
    };
    if artifacts.join(format!("{module}.js")).is_file() {
        return handler.to_owned();
    }
    Path::new(handler)
        .file_name()
        .map_or_else(|| handler.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Bundles `function` from `dir` into `artifacts` (replaced only when esbuild succeeds), with
/// `deps`' packages on esbuild's `NODE_PATH` when that install is complete.
pub fn bundle(
    function: &Function,
    dir: &Path,
    deps: Option<&Path>,
    artifacts: &Path,
) -> Result<(), BuildError> {
    let deps = deps.filter(|d| d.join(DONE_MARKER).is_file());
    let Some(esbuild) = find(dir, deps) else {
        return Err(BuildError::NoEsbuild {
            function: function.logical_id.clone(),
            dir: dir.to_owned(),
        });
    };
    into_place(artifacts, |scratch| {
        let args = arguments(function, dir, scratch).map_err(|message| BuildError::Properties {
            function: function.logical_id.clone(),
            message,
        })?;
        let mut command = Command::new(esbuild);
        command.args(args).current_dir(dir);
        if let Some(deps) = deps {
            // esbuild's CLI reads NODE_PATH as its `nodePaths`.
            command.env("NODE_PATH", deps.join("node_modules"));
        }
        tool(&function.logical_id, command)?;
        // AWS: the bundle lands in /var/task, under no package.json. Here it sits in the state
        // folder, by default inside the project, whose `"type": "module"` would make node load a
        // CommonJS bundle as an ES module; a package.json without `type` stops that lookup.
        let manifest = scratch.join("package.json");
        if !manifest.exists() {
            std::fs::write(&manifest, b"{}\n").map_err(|source| BuildError::Io {
                context: format!("writing {}", manifest.display()),
                source,
            })?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests;
