//! Template functions → the Lambda service's function specs: environment overrides applied and a
//! `provided` function's executable located.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sluice_aws_env::RuntimeFamily;
use sluice_lambda::{CodeSource, FunctionSpec};
use sluice_template::{Code, Function};

use crate::env_vars::EnvVarOverrides;
use crate::ServerError;

/// Builds the spec for one function; `state_dir` holds links Sluice makes to built executables.
pub fn function_spec(
    function: &Function,
    overrides: &EnvVarOverrides,
    state_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<FunctionSpec, ServerError> {
    let mut environment = function.environment.clone();
    let ignored = overrides.apply(&function.logical_id, &function.name, &mut environment);
    if !ignored.is_empty() {
        warnings.push(format!(
            "--env-vars: {} not declared by function {} in the template, so not set (as in SAM CLI)",
            ignored.join(", "),
            function.logical_id
        ));
    }
    let code = match &function.code {
        Code::Inline(source) => CodeSource::Inline(source.clone()),
        Code::Dir(dir) if RuntimeFamily::of(&function.runtime) == Some(RuntimeFamily::Provided) => {
            CodeSource::Dir(provided_code_dir(function, dir, state_dir)?)
        }
        Code::Dir(dir) => CodeSource::Dir(dir.clone()),
    };
    Ok(FunctionSpec {
        name: function.name.clone(),
        runtime: function.runtime.clone(),
        handler: function.handler.clone(),
        code,
        memory_mb: function.memory_mb,
        timeout: Duration::from_secs(u64::from(function.timeout_secs)),
        environment,
        reserved_concurrency: function.reserved_concurrency,
    })
}

/// The folder whose `bootstrap` a `provided` runtime runs.
///
/// AWS runs the `bootstrap` that `sam build` put in the artifact. Locally, a folder with its own
/// `bootstrap` is used as is; a Rust function built with cargo-lambda (`BuildMethod:
/// rust-cargolambda`) is a Cargo package, so we look for the binary cargo built and link it as
/// `bootstrap` in Sluice's state folder — the user runs `cargo build`, nothing else.
fn provided_code_dir(
    function: &Function,
    dir: &Path,
    state_dir: &Path,
) -> Result<PathBuf, ServerError> {
    if dir.join("bootstrap").is_file() {
        return Ok(dir.to_owned());
    }
    let fail = |message: String| ServerError::Bootstrap {
        function: function.logical_id.clone(),
        message,
    };
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(fail(format!(
            "runtime {} runs {}/bootstrap, which does not exist; build it first",
            function.runtime,
            dir.display()
        )));
    }
    let package = cargo_package_name(&manifest)
        .ok_or_else(|| fail(format!("{} has no [package] name", manifest.display())))?;
    let candidates = cargo_binary_candidates(dir, &package);
    let binary = candidates
        .iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .ok_or_else(|| {
            fail(format!(
                "no built binary for Rust package {package:?}; run `cargo build --release` in {} (looked for {})",
                dir.display(),
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let link_dir = state_dir.join("functions").join(&function.logical_id);
    let io = |context: String| move |source| ServerError::Io { context, source };
    std::fs::create_dir_all(&link_dir).map_err(io(format!("creating {}", link_dir.display())))?;
    let link = link_dir.join("bootstrap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(binary, &link).map_err(io(format!(
        "linking {} to {}",
        link.display(),
        binary.display()
    )))?;
    Ok(link_dir)
}

/// `name` from the `[package]` table of a Cargo manifest (a line scan: that one key is all we need).
fn cargo_package_name(manifest: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("name").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    return Some(value.trim().trim_matches('"').to_owned());
                }
            }
        }
    }
    None
}

/// Where cargo and cargo-lambda put the package's binary, from the package folder up to the
/// workspace root's `target/`.
fn cargo_binary_candidates(dir: &Path, package: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let target_dirs = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain(dir.ancestors().map(|d| d.join("target")));
    for target in target_dirs {
        out.push(target.join("lambda").join(package).join("bootstrap"));
        out.push(target.join("release").join(package));
        out.push(target.join("debug").join(package));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_name_only_from_package_table() {
        let dir = std::env::temp_dir().join(format!("sluice-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[workspace]\nname = \"no\"\n[package]\nname = \"hello-rust\"\n",
        )
        .unwrap();
        assert_eq!(cargo_package_name(&manifest).as_deref(), Some("hello-rust"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
