//! The subcommands: flags → `Config` → server calls. Everything a person reads is printed here.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use sluice_server::{Application, Config, Listeners, ReloadEvent, WarmContainers};

use crate::args::{
    Args, Command, DdbCommand, InvokeArgs, LocalCommand, RunArgs, StartApiArgs, TemplateArgs, Warm,
};
use crate::route_table;

/// Runs the chosen subcommand.
pub fn run(args: Args) -> Result<ExitCode> {
    sluice_server::init_logging();
    match args.command {
        Command::StartApi(a) | Command::Local(LocalCommand::StartApi(a)) => start_api(a),
        Command::Invoke(a) | Command::Local(LocalCommand::Invoke(a)) => invoke(a),
        Command::StartLambda(a) | Command::Local(LocalCommand::StartLambda(a)) => {
            let warm = a.warm_containers;
            serve_services_only(a.template, a.run, &a.host, a.port, warm, "Lambda")
        }
        Command::StartServices(a) => serve_services_only(
            a.template,
            a.run,
            &a.host,
            a.services_port,
            Warm::Lazy,
            "services",
        ),
        Command::Validate(a) => validate(a),
        Command::Ddb(DdbCommand::Export(a)) => ddb_export(a),
        Command::Ddb(DdbCommand::Import(a)) => ddb_import(a),
        Command::Token(a) => crate::auth_commands::token(a),
        Command::ApiKeys(a) => crate::auth_commands::api_keys(a),
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

pub(crate) fn base_config(args: &TemplateArgs) -> Result<Config> {
    let mut config = Config::new(template_path(args.template.as_deref())?);
    if !args.parameter_overrides.is_empty() {
        config.parameter_overrides =
            sluice_template::parse_parameter_overrides(&args.parameter_overrides.join(" "))?;
    }
    config.aws = sluice_aws_env::AwsEnv::in_region(args.region.clone());
    Ok(config)
}

fn run_config(template: &TemplateArgs, run: &RunArgs) -> Result<Config> {
    let mut config = base_config(template)?;
    config.env_vars_file = run.env_vars.clone();
    config.state_dir = run.state_dir.clone();
    config.in_memory = run.in_memory;
    config.default_concurrency = run.default_concurrency.max(1);
    Ok(config)
}

fn socket_addr(host: &str, port: u16) -> Result<SocketAddr> {
    let ip = host
        .parse()
        .with_context(|| format!("--host {host:?} is not an IP address"))?;
    Ok(SocketAddr::new(ip, port))
}

/// Loads the template and composes the application; handlers reach the services at `services`.
fn build(config: &Config, services: SocketAddr) -> Result<Application> {
    let model = sluice_server::load_model(config)?;
    for warning in &model.warnings {
        eprintln!("Warning: {warning}");
    }
    let app = Application::build(config, model, services)?;
    for note in app.notes() {
        eprintln!("{note}");
    }
    Ok(app)
}

async fn bind(addr: SocketAddr, what: &str) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr} for the {what}"))
}

/// `start-lambda` and `start-services`: the services endpoint alone.
fn serve_services_only(
    template: TemplateArgs,
    run: RunArgs,
    host: &str,
    port: u16,
    warm: Warm,
    what: &str,
) -> Result<ExitCode> {
    let config = run_config(&template, &run)?;
    let addr = socket_addr(host, port)?;
    runtime()?.block_on(async move {
        let listener = bind(addr, "services endpoint").await?;
        let local = listener.local_addr()?;
        let app = build(&config, local)?;
        eprintln!(
            "Sluice {what} endpoint (Lambda Invoke API, DynamoDB) is serving http://{local} (Ctrl-C to stop)"
        );
        write_ready_file(run.ready_file.as_deref(), None, local)?;
        if let Warm::Eager = warm {
            if let Err(e) = app.prewarm().await {
                // A function that cannot start fails its own requests; the others still serve.
                eprintln!("Warning: {e:#}");
            }
        }
        let listeners = Listeners {
            api: None,
            services: listener,
        };
        app.run(listeners, shutdown_signal()).await;
        Ok(ExitCode::SUCCESS)
    })
}

fn start_api(args: StartApiArgs) -> Result<ExitCode> {
    let mut config = run_config(&args.template, &args.run)?;
    config.warm_containers = match args.warm_containers {
        Warm::Eager => WarmContainers::Eager,
        Warm::Lazy => WarmContainers::Lazy,
    };
    config.api_addr = socket_addr(&args.host, args.port)?;
    config.services_addr = socket_addr(&args.host, args.services_port)?;
    config.limits_store = args.limits_store.clone();

    runtime()?.block_on(async move {
        let services = bind(config.services_addr, "services endpoint").await?;
        let services_addr = services.local_addr()?;
        let app = build(&config, services_addr)?;
        let listener = bind(config.api_addr, "API").await?;
        let local = listener.local_addr()?;
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "Services endpoint (DynamoDB, Lambda Invoke API): http://{services_addr}"
        )?;
        route_table::print(&mut err, &app.model(), local)?;
        drop(err);
        write_ready_file(args.run.ready_file.as_deref(), Some(local), services_addr)?;
        if config.warm_containers == WarmContainers::Eager {
            if let Err(e) = app.prewarm().await {
                // A function that cannot start fails its own requests; the others still serve.
                eprintln!("Warning: {e:#}");
            }
        }
        let app = std::sync::Arc::new(app);
        let (stop_watch, watch_stopped) = tokio::sync::oneshot::channel::<()>();
        let watcher = (!args.no_reload).then(|| {
            let app = app.clone();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = watch_stopped.await;
                };
                if let Err(error) = app.watch(report_reload, stopped).await {
                    eprintln!("Warning: {error}; reload is off");
                }
            })
        });
        let listeners = Listeners {
            api: Some(listener),
            services,
        };
        app.run(listeners, async {
            shutdown_signal().await;
            eprintln!("Shutting down: stopping function sandboxes");
        })
        .await;
        let _ = stop_watch.send(());
        if let Some(watcher) = watcher {
            let _ = watcher.await;
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints what a reload did: one line, then its notes.
fn report_reload(event: ReloadEvent) {
    match event {
        ReloadEvent::Building { function } => {
            eprintln!("Building {function} (cargo build --release)…");
        }
        ReloadEvent::Reloaded { summary, notes } => {
            eprintln!("{summary}");
            for note in notes {
                eprintln!("{note}");
            }
        }
        ReloadEvent::Failed { what, error } => {
            eprintln!("Reload failed after a change to {what}: {error}\nStill serving the previous version.");
        }
    }
}

/// Writes `--ready-file`: the addresses Sluice listens on, as JSON, written whole (a temporary
/// file renamed into place) so a reader never sees half of it.
fn write_ready_file(
    path: Option<&Path>,
    api: Option<SocketAddr>,
    services: SocketAddr,
) -> Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    let mut ready = serde_json::json!({ "services": format!("http://{services}") });
    if let Some(api) = api {
        ready["api"] = serde_json::json!(format!("http://{api}"));
    }
    let partial = path.with_extension("partial");
    std::fs::write(&partial, ready.to_string())
        .and_then(|()| std::fs::rename(&partial, path))
        .with_context(|| format!("writing --ready-file {}", path.display()))
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
    let config = run_config(&args.template, &args.run)?;
    let rt = runtime()?;
    // The handler may call DynamoDB or Lambda: serve the endpoint for the invocation's duration.
    let services = rt.block_on(bind(
        socket_addr("127.0.0.1", args.services_port)?,
        "services endpoint",
    ))?;
    // Building starts the application's background work: inside the runtime.
    let app = std::sync::Arc::new(rt.block_on(async { build(&config, services.local_addr()?) })?);
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
            if buf.iter().all(u8::is_ascii_whitespace) {
                b"{}".to_vec()
            } else {
                buf
            }
        }
        Some(p) => std::fs::read(p).with_context(|| format!("reading event {}", p.display()))?,
    };
    rt.block_on(async move {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = app.clone();
        let endpoint = tokio::spawn(async move {
            server
                .serve_services(services, async move {
                    let _ = stopped.await;
                })
                .await;
        });
        let outcome = app.invoke(&function, event.into()).await;
        let _ = stop.send(());
        let _ = endpoint.await;
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
    for line in sluice_server::auth_setup::unenforceable(&config, &model) {
        eprintln!(
            "Warning: {line}: Sluice cannot enforce this; the route answers 500 (fails closed)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the store a `ddb` command names, with the template's tables created.
fn open_store(args: &crate::args::StoreArgs) -> Result<std::sync::Arc<sluice_dynamodb::DynamoDb>> {
    let mut config = base_config(&args.template)?;
    config.state_dir = args.state_dir.clone();
    let model = sluice_server::load_model(&config)?;
    let mut notes = Vec::new();
    let db = sluice_server::open_dynamodb_with_tables(&config, &model, &mut notes)?;
    for note in notes {
        eprintln!("{note}");
    }
    Ok(db)
}

fn ddb_export(args: crate::args::DdbExportArgs) -> Result<ExitCode> {
    let db = open_store(&args.store)?;
    runtime()?.block_on(async move {
        let summary = match &args.output {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                sluice_dynamodb::backup::export(&db, &args.tables, &mut out).await?
            }
            None => {
                let mut out = std::io::stdout().lock();
                sluice_dynamodb::backup::export(&db, &args.tables, &mut out).await?
            }
        };
        eprintln!(
            "Exported {} tables, {} items.",
            summary.tables, summary.items
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn ddb_import(args: crate::args::DdbImportArgs) -> Result<ExitCode> {
    let db = open_store(&args.store)?;
    let input: Box<dyn std::io::BufRead> = if args.input == Path::new("-") {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(&args.input)
            .with_context(|| format!("opening {}", args.input.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    runtime()?.block_on(async move {
        let summary = sluice_dynamodb::backup::import(&db, input)
            .await
            .with_context(|| format!("importing {}", args.input.display()))?;
        eprintln!(
            "Imported {} tables, {} items.",
            summary.tables, summary.items
        );
        Ok(ExitCode::SUCCESS)
    })
}
