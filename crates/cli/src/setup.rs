//! Flags → the validated `Config` and the loaded `Model` every command starts from.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sluice_server::Config;
use sluice_template::Model;

use crate::args::{RunArgs, SamRunArgs, TemplateArgs};
use crate::sam_flags;

/// Prints the line for each given flag that does not apply.
pub(crate) fn say_not_applied(template: &TemplateArgs, run: Option<&SamRunArgs>) {
    for line in sam_flags::not_applied(template, run) {
        eprintln!("{line}");
    }
}

/// Whether stderr may carry ANSI colours: only on a terminal, and never when `NO_COLOR` is set
/// to a non-empty value (<https://no-color.org>), so redirected logs stay plain.
pub(crate) fn stderr_wants_color() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

/// `template.yaml`, else `template.yml`, in `dir` (SAM's names, in SAM's order).
pub(crate) fn find_template(dir: &Path) -> Option<PathBuf> {
    ["template.yaml", "template.yml"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// The template path, absolute: `-t FILE`; `-t DIR` or no `-t` look for `template.yaml` or
/// `template.yml` in that folder (the current one), as SAM CLI does.
fn template_path(flag: Option<&Path>) -> Result<PathBuf> {
    let path = match flag {
        Some(dir) if dir.is_dir() => find_template(dir).with_context(|| {
            format!(
                "no template.yaml or template.yml in {}; pass the template file with -t",
                dir.display()
            )
        })?,
        Some(p) => p.to_owned(),
        None => find_template(Path::new("")).with_context(|| {
            "no template.yaml or template.yml in the current folder; pass one with -t"
        })?,
    };
    if !path.is_file() {
        bail!("template {} does not exist", path.display());
    }
    std::path::absolute(&path).with_context(|| format!("resolving {}", path.display()))
}

pub(crate) fn base_config(args: &TemplateArgs) -> Result<Config> {
    let mut config = Config::new(template_path(args.template.as_deref())?);
    if !args.parameter_overrides.is_empty() {
        config.parameter_overrides =
            sluice_template::parse_parameter_overrides(&args.parameter_overrides.join(" "))?;
    }
    config.aws = sluice_aws_env::AwsEnv::in_region(args.region());
    config.color = stderr_wants_color();
    Ok(config)
}

pub(crate) fn run_config(
    template: &TemplateArgs,
    run: &RunArgs,
    sam: Option<&SamRunArgs>,
) -> Result<Config> {
    let mut config = base_config(template)?;
    config.env_vars_file = run.env_vars.clone();
    config.state_dir = run.state_dir.clone();
    config.in_memory = run.in_memory;
    config.dynamodb_endpoint = run.dynamodb_endpoint.clone();
    if config.dynamodb_endpoint.is_some() {
        config.dynamodb_signing_key = signing_key_from_env();
    }
    config.default_concurrency = run.default_concurrency.max(1);
    config.sandbox_limits = !(run.no_sandbox_limits || sam.is_some_and(|s| s.no_memory_limit));
    config.sandbox_user = run.sandbox_user.clone();
    config.fork_sandboxes = !run.no_fork_server;
    config.log_file = sam.and_then(|s| s.log_file.clone());
    config.max_connections = run.max_connections;
    Ok(config)
}

/// The standard AWS credential variables, when both parts are set.
fn signing_key_from_env() -> Option<sluice_server::SigningKey> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    Some(sluice_server::SigningKey {
        access_key_id: var("AWS_ACCESS_KEY_ID")?,
        secret_access_key: var("AWS_SECRET_ACCESS_KEY")?,
        session_token: var("AWS_SESSION_TOKEN"),
    })
}

/// Loads the template, printing its warnings.
pub(crate) fn load(config: &Config) -> Result<Model> {
    let model = sluice_server::load_model(config)?;
    for warning in &model.warnings {
        eprintln!("Warning: {warning}");
    }
    Ok(model)
}
