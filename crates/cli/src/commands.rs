//! The subcommands: flags → `Config` → server calls. Everything a person reads is printed here.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use sluice_server::{Application, Config, WarmContainers};

use crate::args::{Args, Command, InvokeArgs, LocalCommand, StartApiArgs, TemplateArgs, Warm};
use crate::route_table;

/// Runs the chosen subcommand.
pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::StartApi(a) | Command::Local(LocalCommand::StartApi(a)) => start_api(a),
        Command::Invoke(a) | Command::Local(LocalCommand::Invoke(a)) => invoke(a),
        Command::Validate(a) => validate(a),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The template path: `-t`, else `template.yaml`/`template.yml` in the current folder; absolute.
fn template_path(flag: Option<&Path>) -> Result<PathBuf> {
    let path = match flag {
        Some(p) => p.to_owned(),
        None => ["template.yaml", "template.yml"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .with_context(|| {
                "no template.yaml or template.yml in the current folder; pass one with -t"
            })?,
    };
    if !path.is_file() {
        bail!("template {} does not exist", path.display());
    }
    std::path::absolute(&path).with_context(|| format!("resolving {}", path.display()))
}

fn base_config(args: &TemplateArgs) -> Result<Config> {
    let mut config = Config::new(template_path(args.template.as_deref())?);
    if !args.parameter_overrides.is_empty() {
        config.parameter_overrides =
            sluice_template::parse_parameter_overrides(&args.parameter_overrides.join(" "))?;
    }
    config.region = args.region.clone();
    Ok(config)
}

fn build(config: &Config) -> Result<Application> {
    let model = sluice_server::load_model(config)?;
    for warning in &model.warnings {
        eprintln!("Warning: {warning}");
    }
    let app = Application::build(config, model)?;
    for warning in app.warnings() {
        eprintln!("Warning: {warning}");
    }
    Ok(app)
}

fn start_api(args: StartApiArgs) -> Result<ExitCode> {
    let mut config = base_config(&args.template)?;
    config.env_vars_file = args.run.env_vars.clone();
    config.state_dir = args.run.state_dir.clone();
    config.warm_containers = match args.warm_containers {
        Warm::Eager => WarmContainers::Eager,
        Warm::Lazy => WarmContainers::Lazy,
    };
    config.default_concurrency = args.default_concurrency.max(1);
    let ip = args
        .host
        .parse()
        .with_context(|| format!("--host {:?} is not an IP address", args.host))?;
    config.api_addr = SocketAddr::new(ip, args.port);

    let app = build(&config)?;
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.api_addr)
            .await
            .with_context(|| format!("listening on {}", config.api_addr))?;
        let local = listener.local_addr()?;
        let mut err = std::io::stderr().lock();
        route_table::print(&mut err, app.model(), local)?;
        drop(err);
        if config.warm_containers == WarmContainers::Eager {
            app.prewarm().await?;
        }
        app.serve_api(listener, shutdown_signal()).await;
        eprintln!("Shutting down: stopping function sandboxes");
        app.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = term => {},
    }
}

fn invoke(args: InvokeArgs) -> Result<ExitCode> {
    let mut config = base_config(&args.template)?;
    config.env_vars_file = args.run.env_vars.clone();
    config.state_dir = args.run.state_dir.clone();
    let app = build(&config)?;
    let function = match &args.function {
        Some(name) => match app.model().function(name) {
            Some(f) => f.logical_id.clone(),
            None => bail!(
                "no function {name:?} in {}; functions: {}",
                config.template.display(),
                function_list(&app)
            ),
        },
        None => match app.model().functions.as_slice() {
            [only] => only.logical_id.clone(),
            _ => bail!(
                "the template has several functions; name one: {}",
                function_list(&app)
            ),
        },
    };
    let event = match args.event.as_deref() {
        None => b"{}".to_vec(),
        Some(p) if p == Path::new("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading the event from standard input")?;
            buf
        }
        Some(p) => std::fs::read(p).with_context(|| format!("reading event {}", p.display()))?,
    };
    runtime()?.block_on(async move {
        let outcome = app.invoke(&function, event.into()).await;
        app.shutdown().await;
        let invocation = outcome.with_context(|| format!("invoking {function}"))?;
        let mut out = std::io::stdout().lock();
        out.write_all(&invocation.payload)?;
        out.write_all(b"\n")?;
        Ok(match invocation.function_error {
            Some(_) => ExitCode::from(1),
            None => ExitCode::SUCCESS,
        })
    })
}

fn function_list(app: &Application) -> String {
    app.model()
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn validate(args: TemplateArgs) -> Result<ExitCode> {
    let config = base_config(&args)?;
    let model = sluice_server::load_model(&config)?;
    for warning in &model.warnings {
        eprintln!("Warning: {warning}");
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} is a valid SAM template.",
        config.template.display()
    )?;
    route_table::summary(&mut out, &model)?;
    Ok(ExitCode::SUCCESS)
}
