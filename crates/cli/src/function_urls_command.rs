//! `start-function-urls`: each Function URL at the root of a port of its own, as SAM CLI's
//! command serves them (on AWS each URL is its own host, so `/` is the function's root).
//! `start-api` serves the same URLs on its one port, by host and by `/lambda-url/<name>/`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use sluice_server::Listeners;
use sluice_template::{FunctionUrl, FunctionUrlAuth, Model};
use tokio::net::TcpListener;

use crate::args::StartFunctionUrlsArgs;
use crate::commands::{
    bind, build, runtime, serve, serving_config, socket_addr, warn_if_services_exposed,
    watch_unless, write_ready_json,
};

/// Runs `start-function-urls`.
pub fn command(args: StartFunctionUrlsArgs) -> Result<ExitCode> {
    if args.disable_authorizer {
        eprintln!(
            "--disable-authorizer: not supported for Function URLs: AWS_IAM URLs still need a SigV4 signature"
        );
    }
    let mut config = serving_config(&args.template, &args.run, &args.serve)?;
    config.services_addr = args.services.addr()?;
    warn_if_services_exposed(config.services_addr);
    let host = socket_addr("--host", &args.host, 0)?.ip();

    runtime()?.block_on(async move {
        let services = bind(config.services_addr, "services endpoint").await?;
        let services_addr = services.local_addr()?;
        let app = Arc::new(build(&config, services_addr)?);
        let model = app.model();
        let urls = chosen(&model, args.function_name.as_deref())?;
        let mut function_urls = Vec::new();
        let mut next = args.port_range.0;
        for url in &urls {
            let listener = match args.port {
                Some(port) => bind(SocketAddr::new(host, port), "Function URL").await?,
                None => {
                    let (listener, port) = first_free(host, next, args.port_range.1).await?;
                    next = port.saturating_add(1);
                    listener
                }
            };
            function_urls.push((url, listener));
        }
        let reloader = watch_unless(&app, args.serve.no_reload);
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "Services endpoint (DynamoDB, Lambda Invoke API): http://{services_addr}"
        )?;
        let mut ready = serde_json::json!({ "services": format!("http://{services_addr}") });
        for (url, listener) in &function_urls {
            let address = format!("http://{}/", listener.local_addr()?);
            let auth = match url.auth {
                FunctionUrlAuth::None => "NONE",
                FunctionUrlAuth::AwsIam => "AWS_IAM",
            };
            let cors = if url.cors.is_some() { ", CORS" } else { "" };
            writeln!(
                err,
                "Function URL of {}: {address} (AuthType {auth}{cors})",
                url.target()
            )?;
            // Keyed by target: a function's unqualified URL and its alias's (`MyFn:live`) both.
            ready["function_urls"][url.target()] = serde_json::json!(address);
        }
        writeln!(err, "Sluice is serving (Ctrl-C to stop)")?;
        drop(err);
        if let Some(path) = args.run.ready_file.as_deref() {
            write_ready_json(path, &ready)?;
        }
        let listeners = Listeners {
            api: None,
            function_urls: function_urls
                .into_iter()
                .map(|(url, listener)| (url.target(), listener))
                .collect(),
            services,
        };
        serve(&app, &config, reloader, listeners).await;
        Ok(ExitCode::SUCCESS)
    })
}

/// The URLs to serve: all of them, or those of `--function-name` (logical id, FunctionName, or a
/// URL's target `MyFn:live`).
fn chosen<'m>(model: &'m Model, function: Option<&str>) -> Result<Vec<&'m FunctionUrl>> {
    if model.function_urls.is_empty() {
        bail!(
            "no function of the template has a FunctionUrlConfig: add one (FunctionUrlConfig: {{AuthType: NONE}}) or serve APIs with start-api"
        );
    }
    let Some(name) = function else {
        return Ok(model.function_urls.iter().collect());
    };
    // A function's URLs (its unqualified one and its alias's), or one by target (`MyFn:live`).
    let urls: Vec<&FunctionUrl> = model
        .function_urls
        .iter()
        .filter(|u| u.function == name || u.function_name == name || u.target() == name)
        .collect();
    match urls.is_empty() {
        false => Ok(urls),
        true => bail!(
            "--function-name {name}: no such function with a FunctionUrlConfig (these have one: {})",
            model
                .function_urls
                .iter()
                .map(|u| u.function.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Binds the first port from `start` to `end` that is free, as SAM CLI assigns them.
async fn first_free(host: std::net::IpAddr, start: u16, end: u16) -> Result<(TcpListener, u16)> {
    for port in start..=end {
        match TcpListener::bind(SocketAddr::new(host, port)).await {
            Ok(listener) => return Ok((listener, port)),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("listening on {host}:{port} for a Function URL"))
            }
        }
    }
    bail!("--port-range: no free port left between {start} and {end} for every Function URL")
}
