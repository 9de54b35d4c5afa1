//! SAM CLI's configuration file (`samconfig.toml`, `.yaml` or `.yml`), read as SAM CLI reads it so a
//! project's existing file works unchanged.
//!
//! SAM's rules: the file sits next to the template (else in the current folder); `--config-file`
//! names another, relative to that same folder; `--config-env` picks the environment (`default`);
//! `[env.global.parameters]` applies to every command and `[env.<command>.parameters]` wins over it
//! (`local_start_api`, `local_invoke`, `local_start_lambda`, `validate`); keys are flag names with
//! `_` for `-`; a flag given on the command line (or by its environment variable) wins over both.
//!
//! The values become command-line arguments appended to the user's, parsed by the same clap
//! definitions, so a samconfig value is checked exactly as the flag would be.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory};
use serde_json::Value;

use crate::args::Args;

/// SAM's default file names, in the order SAM looks for them.
const DEFAULT_FILES: [&str; 3] = ["samconfig.toml", "samconfig.yaml", "samconfig.yml"];

/// The command line with the samconfig values that apply appended, and one line saying what was
/// read (`None` when no configuration file applies).
pub fn apply(argv: Vec<OsString>) -> Result<(Vec<OsString>, Option<String>)> {
    let matches = Args::command().get_matches_from(&argv);
    let Some((path, sub)) = subcommand(&matches) else {
        return Ok((argv, None));
    };
    let Some(section) = sam_section(&path) else {
        return Ok((argv, None));
    };
    let config_file = sub.get_one::<PathBuf>("config_file").cloned();
    let config_env = sub.get_one::<String>("config_env").cloned();
    let template = sub.get_one::<PathBuf>("template").cloned();
    let dir = config_dir(template.as_deref());
    let file = match &config_file {
        Some(given) => {
            let file = dir.join(given);
            if !file.is_file() {
                bail!("--config-file: {} does not exist", file.display());
            }
            file
        }
        None => match DEFAULT_FILES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
        {
            Some(file) => file,
            None if config_env.is_some() => {
                bail!(
                    "--config-env: there is no samconfig.toml (or .yaml/.yml) in {}",
                    dir.display()
                )
            }
            None => return Ok((argv, None)),
        },
    };
    let document = read(&file)?;
    let env_name = config_env.as_deref().unwrap_or("default");
    let Some(env) = document.get(env_name) else {
        if config_env.is_some() {
            bail!(
                "--config-env: {} has no environment {env_name:?}",
                file.display()
            );
        }
        return Ok((argv, None));
    };
    let parameters = |command: &str| {
        env.get(command)
            .and_then(|c| c.get("parameters"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    // Command parameters win over global ones: insert global first, then overwrite.
    let mut values = parameters("global");
    values.extend(parameters(section));

    let command = subcommand_definition(&path);
    let mut extra = Vec::new();
    let mut used = Vec::new();
    for (key, value) in &values {
        let id = match key.as_str() {
            "template_file" => "template",
            other => other,
        };
        let Some(arg) = command.get_arguments().find(|a| a.get_id() == id) else {
            // SAM ignores keys a command does not take (a global stack_name, deploy's settings).
            continue;
        };
        if matches!(
            sub.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        let Some(long) = arg.get_long() else {
            continue;
        };
        let takes_values = arg.get_action().takes_values();
        match value {
            Value::Bool(true) if !takes_values => extra.push(format!("--{long}").into()),
            Value::Bool(false) if !takes_values => continue,
            Value::Array(items) => {
                extra.push(format!("--{long}").into());
                extra.extend(items.iter().map(|v| text(v).into()));
            }
            other => extra.push(format!("--{long}={}", text(other)).into()),
        }
        used.push(key.clone());
    }
    let note = format!(
        "Using {} (environment {env_name}){}",
        file.display(),
        if used.is_empty() {
            String::new()
        } else {
            format!(": {}", used.join(", "))
        }
    );
    let mut argv = argv;
    argv.extend(extra);
    Ok((argv, Some(note)))
}

/// The subcommand path (`["local", "start-api"]`) and the innermost matches.
fn subcommand(matches: &ArgMatches) -> Option<(Vec<String>, &ArgMatches)> {
    let mut path = Vec::new();
    let mut current = matches;
    while let Some((name, sub)) = current.subcommand() {
        path.push(name.to_owned());
        current = sub;
    }
    (!path.is_empty()).then_some((path, current))
}

/// SAM's table name for a command (`sam local start-api` → `local_start_api`).
fn sam_section(path: &[String]) -> Option<&'static str> {
    match path.last().map(String::as_str)? {
        "start-api" => Some("local_start_api"),
        "invoke" => Some("local_invoke"),
        "start-lambda" => Some("local_start_lambda"),
        "start-function-urls" => Some("local_start_function_urls"),
        "validate" => Some("validate"),
        "logs" => Some("logs"),
        "build" => Some("build"),
        _ => None,
    }
}

/// The clap definition of the subcommand at `path`.
fn subcommand_definition(path: &[String]) -> clap::Command {
    let mut command = Args::command();
    for name in path {
        match command.find_subcommand(name) {
            Some(sub) => command = sub.clone(),
            None => break,
        }
    }
    command
}

/// Where SAM looks for samconfig: the template's folder when `-t` is given, else the current one.
fn config_dir(template: Option<&Path>) -> PathBuf {
    match template {
        Some(t) if t.is_dir() => t.to_owned(),
        Some(t) => t
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned),
        None => PathBuf::from("."),
    }
}

/// A samconfig value as command-line text.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads a samconfig file (TOML, or YAML by extension) into JSON values.
fn read(file: &Path) -> Result<Value> {
    let source =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let is_yaml = matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    if is_yaml {
        Ok(sluice_template::yaml_to_json(&source, file)?)
    } else {
        let table: toml::Table = toml::from_str(&source)
            .with_context(|| format!("{} is not valid TOML", file.display()))?;
        serde_json::to_value(table).with_context(|| format!("reading {}", file.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_config(name: &str, body: &str, args: &[&str]) -> Result<(Vec<String>, Option<String>)> {
        // Tests run in parallel and several use the same file name: one folder per call.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "sluice-samconfig-{}-{n}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), body).unwrap();
        let template = dir.join("template.yaml");
        std::fs::write(&template, "Resources: {}\n").unwrap();
        let mut argv: Vec<OsString> = vec!["sluice".into()];
        argv.extend(args.iter().map(OsString::from));
        argv.push("-t".into());
        argv.push(template.into());
        let result = apply(argv);
        std::fs::remove_dir_all(&dir).unwrap();
        result.map(|(argv, note)| {
            let extra = argv[3 + args.len()..].iter();
            (
                extra.map(|a| a.to_string_lossy().into_owned()).collect(),
                note,
            )
        })
    }

    const TWO_ENVS: &str = r#"
version = 0.1
[default.global.parameters]
stack_name = "app"
parameter_overrides = "Stage=global"
[default.local_start_api.parameters]
port = 3100
warm_containers = "EAGER"
skip_pull_image = true
parameter_overrides = ["Stage=dev", "Other=x"]
[prod.local_start_api.parameters]
port = 3200
"#;

    #[test]
    fn command_section_wins_over_global_and_unknown_keys_are_skipped() {
        let (extra, note) = with_config("samconfig.toml", TWO_ENVS, &["start-api"]).unwrap();
        assert!(extra.contains(&"--port=3100".to_string()), "{extra:?}");
        assert!(extra.contains(&"--warm-containers=EAGER".to_string()));
        assert!(extra.contains(&"--skip-pull-image".to_string()));
        let at = extra
            .iter()
            .position(|a| a == "--parameter-overrides")
            .unwrap();
        assert_eq!(extra[at + 1..at + 3], ["Stage=dev", "Other=x"]);
        assert!(!extra.iter().any(|a| a.contains("stack")), "{extra:?}");
        assert!(note.unwrap().contains("(environment default)"));
    }

    #[test]
    fn config_env_picks_the_environment_and_the_command_line_wins() {
        let (extra, _) = with_config(
            "samconfig.toml",
            TWO_ENVS,
            &["local", "start-api", "--config-env", "prod"],
        )
        .unwrap();
        assert!(extra.contains(&"--port=3200".to_string()), "{extra:?}");
        let (extra, _) =
            with_config("samconfig.toml", TWO_ENVS, &["start-api", "-p", "9"]).unwrap();
        assert!(!extra.iter().any(|a| a.starts_with("--port")), "{extra:?}");
    }

    #[test]
    fn missing_environment_named_on_the_command_line_is_an_error() {
        let err = with_config(
            "samconfig.toml",
            TWO_ENVS,
            &["start-api", "--config-env", "staging"],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("no environment \"staging\""),
            "{err}"
        );
    }

    #[test]
    fn yaml_files_are_read_too() {
        let yaml = "version: 0.1\ndefault:\n  local_invoke:\n    parameters:\n      no_event: true\n      env_vars: env.json\n";
        let (extra, _) = with_config("samconfig.yaml", yaml, &["invoke"]).unwrap();
        assert!(extra.contains(&"--no-event".to_string()), "{extra:?}");
        assert!(
            extra.contains(&"--env-vars=env.json".to_string()),
            "{extra:?}"
        );
    }
}
