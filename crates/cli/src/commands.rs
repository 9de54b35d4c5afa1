//! The subcommands: flags → `Config` → server calls. Everything a person reads is printed here.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use sluice_server::{Application, Config, Listeners, ReloadEvent, Reloader, WarmContainers};
use sluice_template::Model;

use crate::args::{
    Args, Command, DdbCommand, InvokeArgs, LocalCommand, SamRunArgs, StartApiArgs, TemplateArgs,
    Warm,
};
use crate::setup::{
    base_config, find_template, load, run_config, say_not_applied, stderr_wants_color,
};
use crate::{build_command, generate_event, logs_command, report_command, route_table, sam_flags};

/// Runs the chosen subcommand; `samconfig` says which configuration file was read, if any.
pub fn run(args: Args, samconfig: Option<String>) -> Result<ExitCode> {
    let debug = template_args(&args.command).is_some_and(|t| t.debug);
    sluice_server::init_logging(debug, stderr_wants_color());
    if let Some(line) = samconfig {
        eprintln!("{line}");
    }
    match args.command {
        Command::StartApi(a) | Command::Local(LocalCommand::StartApi(a)) => start_api(a),
        Command::Invoke(a) | Command::Local(LocalCommand::Invoke(a)) => invoke(a),
        Command::StartFunctionUrls(a) | Command::Local(LocalCommand::StartFunctionUrls(a)) => {
            crate::function_urls_command::command(a)
        }
        Command::StartLambda(a) | Command::Local(LocalCommand::StartLambda(a)) => {
            let config = serving_config(&a.template, &a.run, &a.serve)?;
            let ready_file = a.run.ready_file.as_deref();
            let reload = !a.serve.no_reload;
            serve_services_only(config, None, &a.host, a.port, "Lambda", ready_file, reload)
        }
        Command::StartServices(a) => {
            say_not_applied(&a.template, None);
            let (config, model) = match a.template.template {
                // A standalone local DynamoDB is a common need: no template, an empty store.
                None if find_template(Path::new(".")).is_none() => {
                    let mut config = Config::new(std::path::absolute("template.yaml")?);
                    config.state_dir = Some(match &a.run.state_dir {
                        Some(dir) => dir.clone(),
                        None => std::path::absolute(".sluice")?,
                    });
                    config.in_memory = a.run.in_memory;
                    config.aws = sluice_aws_env::AwsEnv::in_region(a.template.region());
                    config.color = stderr_wants_color();
                    eprintln!(
                        "No template here: serving an empty DynamoDB store ({})",
                        if config.in_memory {
                            "in memory".to_owned()
                        } else {
                            config.state_dir().join("dynamodb").display().to_string()
                        }
                    );
                    (config, Some(Model::default()))
                }
                _ => (run_config(&a.template, &a.run, None)?, None),
            };
            let ready_file = a.run.ready_file.as_deref();
            // Without a template there is nothing to watch.
            let reload = model.is_none() && !a.no_reload;
            serve_services_only(
                config,
                model,
                &a.host,
                a.services_port,
                "services",
                ready_file,
                reload,
            )
        }
        Command::Validate(a) => validate(a),
        Command::Ddb(DdbCommand::Export(a)) => ddb_export(a),
        Command::Ddb(DdbCommand::Import(a)) => ddb_import(a),
        Command::GenerateEvent(a) | Command::Local(LocalCommand::GenerateEvent(a)) => {
            generate_event::run("generate-event", &a.args)
        }
        Command::Logs(a) => logs_command::command(&a),
        Command::Build(a) => build_command::command(&a),
        Command::Report(a) => report_command::command(&a),
        Command::Token(a) => crate::auth_commands::token(a),
        Command::ApiKeys(a) => crate::auth_commands::api_keys(a),
    }
}

/// The template flags of any command (`--debug` is read before anything else runs).
fn template_args(command: &Command) -> Option<&TemplateArgs> {
    Some(match command {
        Command::StartApi(a) | Command::Local(LocalCommand::StartApi(a)) => &a.template,
        Command::Invoke(a) | Command::Local(LocalCommand::Invoke(a)) => &a.template,
        Command::StartLambda(a) | Command::Local(LocalCommand::StartLambda(a)) => &a.template,
        Command::StartFunctionUrls(a) | Command::Local(LocalCommand::StartFunctionUrls(a)) => {
            &a.template
        }
        Command::StartServices(a) => &a.template,
        Command::Validate(a) => a,
        Command::Ddb(DdbCommand::Export(a)) => &a.store.template,
        Command::Ddb(DdbCommand::Import(a)) => &a.store.template,
        Command::Logs(a) => &a.store.template,
        Command::Build(a) => &a.store.template,
        Command::Report(a) => &a.template,
        Command::Token(a) => &a.template,
        Command::ApiKeys(a) => &a.template,
        // Takes no template.
        Command::GenerateEvent(_) | Command::Local(LocalCommand::GenerateEvent(_)) => return None,
    })
}

/// `--debug-port`: functions start under a debugger, one sandbox each (requests wait for it).
pub(crate) fn debugging(config: &mut Config, sam: &SamRunArgs, function: Option<&str>) {
    let Some(debug) = sam_flags::debug_options(sam, function) else {
        return;
    };
    eprintln!("{}", sam_flags::debug_line(&debug));
    if debug.args.is_empty() && !python_imports("debugpy") {
        eprintln!(
            "Note: python3 here lacks debugpy, so python functions cannot start under the debugger: `python3 -m pip install debugpy`, or pass your own interpreter arguments with --debug-args"
        );
    }
    config.default_concurrency = 1;
    config.debug = Some(debug);
}

/// Whether the host's python3 imports `module`.
fn python_imports(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn warm(flag: Warm) -> WarmContainers {
    match flag {
        Warm::Eager => WarmContainers::Eager,
        Warm::Lazy => WarmContainers::Lazy,
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

impl crate::args::ServicesEndpointArgs {
    /// `--services-host` and `--services-port` as one address.
    pub(crate) fn addr(&self) -> Result<SocketAddr> {
        socket_addr("--services-host", &self.services_host, self.services_port)
    }
}

pub(crate) fn socket_addr(flag: &str, host: &str, port: u16) -> Result<SocketAddr> {
    let ip = host
        .parse()
        .with_context(|| format!("{flag} {host:?} is not an IP address"))?;
    Ok(SocketAddr::new(ip, port))
}

/// Says once that a services endpoint reachable from other machines trusts any caller.
pub(crate) fn warn_if_services_exposed(addr: SocketAddr) {
    if !addr.ip().is_loopback() {
        eprintln!(
            "Warning: the services endpoint (DynamoDB, Lambda Invoke API) listens on {addr}, beyond this machine, and accepts any credentials: whoever reaches it can read and write the tables and invoke the functions"
        );
    }
}

/// Loads the template and composes the application; handlers reach the services at `services`.
pub(crate) fn build(config: &Config, services: SocketAddr) -> Result<Application> {
    let model = load(config)?;
    build_command::rebuild_changed(&model, &config.state_dir());
    build_command::bundle_esbuild_functions(&model.functions, &config.state_dir());
    build_with(config, model, services)
}

/// Composes the application from a loaded model.
fn build_with(config: &Config, model: Model, services: SocketAddr) -> Result<Application> {
    let app = Application::build(config, model, services)?;
    for note in app.notes() {
        eprintln!("{note}");
    }
    Ok(app)
}

pub(crate) async fn bind(addr: SocketAddr, what: &str) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr} for the {what}"))
}

/// `start-lambda` and `start-services`: the services endpoint alone (`model` when it is not the
/// template's).
fn serve_services_only(
    config: Config,
    model: Option<Model>,
    host: &str,
    port: u16,
    what: &str,
    ready_file: Option<&Path>,
    reload: bool,
) -> Result<ExitCode> {
    let addr = socket_addr("--host", host, port)?;
    warn_if_services_exposed(addr);
    runtime()?.block_on(async move {
        let listener = bind(addr, "services endpoint").await?;
        let local = listener.local_addr()?;
        let app = std::sync::Arc::new(match model {
            Some(model) => build_with(&config, model, local)?,
            None => build(&config, local)?,
        });
        // Watching starts before Sluice says it is ready, so no save after that is missed.
        let reloader = watch_unless(&app, !reload);
        eprintln!(
            "Sluice {what} endpoint (Lambda Invoke API, DynamoDB) is serving http://{local} (Ctrl-C to stop)"
        );
        write_ready_file(ready_file, None, local)?;
        let listeners = Listeners {
            api: None,
            function_urls: Vec::new(),
            services: listener,
        };
        serve(&app, &config, reloader, listeners).await;
        Ok(ExitCode::SUCCESS)
    })
}

/// The configuration a serving command starts from: SAM's flags that do not apply reported, the
/// run options read, the debugger and `--warm-containers` applied.
pub(crate) fn serving_config(
    template: &TemplateArgs,
    run: &crate::args::RunArgs,
    serve: &crate::args::ServeArgs,
) -> Result<Config> {
    say_not_applied(template, Some(&serve.sam));
    let mut config = run_config(template, run, Some(&serve.sam))?;
    debugging(&mut config, &serve.sam, serve.debug_function.as_deref());
    config.warm_containers = warm(serve.warm_containers);
    Ok(config)
}

fn start_api(args: StartApiArgs) -> Result<ExitCode> {
    if args.ssl_cert_file.is_some() || args.ssl_key_file.is_some() {
        eprintln!(
            "--ssl-cert-file/--ssl-key-file: not supported yet: Sluice serves plain HTTP (ignored)"
        );
    }
    let mut config = serving_config(&args.template, &args.run, &args.serve)?;
    // SAM resolves --static-dir against the template's folder (its "cwd" for local commands).
    config.static_dir = config
        .template
        .parent()
        .map(|dir| dir.join(&args.static_dir));
    config.disable_authorizer = args.disable_authorizer;
    config.api_addr = socket_addr("--host", &args.host, args.port)?;
    // AWS: the services are reached with signed requests. Sluice: any credentials pass, so the
    // endpoint is not exposed along with the API unless asked for.
    config.services_addr = args.services.addr()?;
    warn_if_services_exposed(config.services_addr);
    config.limits_store = args.limits_store.clone();
    config.account_throttle = args.account_throttle;
    config.console = console_prefix(&args)?;

    runtime()?.block_on(async move {
        let services = bind(config.services_addr, "services endpoint").await?;
        let services_addr = services.local_addr()?;
        let app = std::sync::Arc::new(build(&config, services_addr)?);
        let listener = bind(config.api_addr, "API").await?;
        let local = listener.local_addr()?;
        // Watching starts before Sluice says it is ready, so no save after that is missed.
        let reloader = watch_unless(&app, args.serve.no_reload);
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "Services endpoint (DynamoDB, Lambda Invoke API): http://{services_addr}"
        )?;
        route_table::print(&mut err, &app.model(), local, &config.aws.region)?;
        if let Some(prefix) = &config.console {
            writeln!(
                err,
                "Console: http://{local}{prefix}/ (Prometheus metrics at {prefix}/metrics)"
            )?;
        }
        drop(err);
        write_ready_file(args.run.ready_file.as_deref(), Some(local), services_addr)?;
        let listeners = Listeners {
            api: Some(listener),
            function_urls: Vec::new(),
            services,
        };
        serve(&app, &config, reloader, listeners).await;
        for line in app.cost_table() {
            eprintln!("{line}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The console's prefix: `--console-path` as one absolute path without a trailing slash, or
/// `None` with `--no-console`.
fn console_prefix(args: &StartApiArgs) -> Result<Option<String>> {
    if args.no_console {
        return Ok(None);
    }
    let asked = args
        .console_path
        .as_deref()
        .unwrap_or(sluice_server::CONSOLE_PREFIX);
    let prefix = asked.trim_end_matches('/');
    if !prefix.starts_with('/') || prefix.contains(['?', '#']) {
        bail!("--console-path {asked:?}: give an absolute path such as /_sluice");
    }
    Ok(Some(prefix.to_owned()))
}

/// Starts watching the template and code for saves, unless `--no-reload`; a watcher that cannot
/// start turns reload off with a warning rather than stopping the server.
pub(crate) fn watch_unless(app: &Arc<Application>, no_reload: bool) -> Option<Reloader> {
    if no_reload {
        return None;
    }
    match app.start_watching() {
        Ok(reloader) => Some(reloader),
        Err(error) => {
            eprintln!("Warning: {error}; reload is off");
            None
        }
    }
}

/// Starts the sandboxes `--warm-containers EAGER` asks for, then serves `listeners` (with the
/// reloader beside them) until Ctrl-C, and waits for the reloader to stop.
pub(crate) async fn serve(
    app: &Arc<Application>,
    config: &Config,
    reloader: Option<Reloader>,
    listeners: Listeners,
) {
    if config.warm_containers == WarmContainers::Eager {
        if let Err(e) = app.prewarm().await {
            // A function that cannot start fails its own requests; the others still serve.
            eprintln!("Warning: {e:#}");
        }
    }
    let (stop_watch, watch_stopped) = tokio::sync::oneshot::channel::<()>();
    let watcher = reloader.map(|reloader| {
        tokio::spawn(reloader.run(report_reload, async move {
            let _ = watch_stopped.await;
        }))
    });
    app.run(listeners, async {
        shutdown_signal().await;
        eprintln!("Shutting down: stopping function sandboxes");
    })
    .await;
    let _ = stop_watch.send(());
    if let Some(watcher) = watcher {
        let _ = watcher.await;
    }
}

/// Prints what a reload did: one line, then its notes.
fn report_reload(event: ReloadEvent) {
    match event {
        ReloadEvent::Building { function, command } => {
            eprintln!("Building {function} ({command})…");
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
    write_ready_json(path, &ready)
}

/// Writes `ready` to the `--ready-file` at `path`, whole (a temporary file renamed into place).
pub(crate) fn write_ready_json(path: &Path, ready: &serde_json::Value) -> Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, ready.to_string())
        .and_then(|()| std::fs::rename(&partial, path))
        .with_context(|| format!("writing --ready-file {}", path.display()))
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
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
    say_not_applied(&args.template, Some(&args.sam));
    let mut config = run_config(&args.template, &args.run, Some(&args.sam))?;
    // Only the invoked function starts, so the debugger needs no function filter.
    debugging(&mut config, &args.sam, None);
    // SAM: `--shutdown` sends extensions the SHUTDOWN event after the invocation, and waits.
    config.shutdown_events = args.sam.shutdown;
    // One cold start: a template process would start an interpreter anyway, then fork.
    config.fork_sandboxes = false;
    // A malformed event is the caller's mistake: report it before any function starts.
    let event = read_event(if args.no_event {
        None
    } else {
        args.event.as_deref()
    })?;
    let mut model = load(&config)?;
    if let Some(runtime) = &args.runtime {
        // SAM's --runtime: run the function on another runtime than the template names.
        for function in &mut model.functions {
            function.runtime = runtime.clone();
        }
    }
    build_command::bundle_esbuild_functions(
        model.functions.iter().filter(|f| {
            args.function
                .as_deref()
                .is_none_or(|n| f.logical_id == n || f.name == n)
        }),
        &config.state_dir(),
    );
    let rt = runtime()?;
    // The handler may call DynamoDB or Lambda: serve the endpoint for the invocation's duration.
    let services = rt.block_on(bind(
        socket_addr("--services-port", "127.0.0.1", args.services_port)?,
        "services endpoint",
    ))?;
    // Building starts the application's background work: inside the runtime.
    let app = std::sync::Arc::new(
        rt.block_on(async { build_with(&config, model, services.local_addr()?) })?,
    );
    let function = match &args.function {
        Some(name) => match app.model().function(name) {
            Some(f) => f.logical_id.clone(),
            None => bail!(
                // SAM CLI's words, which scripts may look for.
                "function {name:?} not found in template {}; functions: {}",
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
        // Extensions may still be at work on the invocation: its REPORT comes when they are done.
        app.settle().await;
        let _ = stop.send(());
        let _ = endpoint.await;
        app.shutdown().await;
        let invocation = outcome.with_context(|| format!("invoking {function}"))?;
        let mut out = std::io::stdout().lock();
        out.write_all(&invocation.payload)?;
        // Piped or redirected, the payload's bytes alone (as SAM CLI and `aws lambda invoke`
        // write them); a terminal gets a newline so the prompt starts on a line of its own.
        if out.is_terminal() {
            out.write_all(b"\n")?;
        }
        Ok(match invocation.function_error {
            Some(_) => ExitCode::from(1),
            None => ExitCode::SUCCESS,
        })
    })
}

/// The event: `{}` when none is given, else the file (or standard input for `-`), which must be
/// JSON; a syntax error names the file, line and column.
fn read_event(path: Option<&Path>) -> Result<Vec<u8>> {
    let (bytes, name) = match path {
        None => return Ok(b"{}".to_vec()),
        Some(p) if p == Path::new("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading the event from standard input")?;
            if buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(b"{}".to_vec());
            }
            (buf, "standard input".to_owned())
        }
        Some(p) => (
            std::fs::read(p).with_context(|| format!("reading event {}", p.display()))?,
            p.display().to_string(),
        ),
    };
    if let Err(error) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        bail!(
            "event {name}:{}:{}: not valid JSON: {}",
            error.line(),
            error.column(),
            without_position(&error)
        );
    }
    Ok(bytes)
}

/// serde_json's message without its trailing " at line L column C" (we print the position first).
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
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
    say_not_applied(&args, None);
    let config = base_config(&args)?;
    let model = load(&config)?;
    // The very checks start-api makes before serving: a missing folder, module or binary fails here.
    let runs = sluice_server::check_application(&model)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} is a valid SAM template.",
        config.template.display()
    )?;
    route_table::summary(&mut out, &model)?;
    for line in runs {
        writeln!(out, "{line}")?;
    }
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
