//! The tables printed at start-up and by `validate`.

use std::io::{self, Write};
use std::net::SocketAddr;

use sluice_template::Model;

/// Prints each route (method, path, function), each Function URL's two addresses, then where the
/// API listens.
pub fn print(
    out: &mut impl Write,
    model: &Model,
    addr: SocketAddr,
    region: &str,
) -> io::Result<()> {
    let rows: Vec<(&str, &str, String)> = model
        .rest_apis
        .iter()
        .flat_map(|api| api.routes.iter())
        .map(|r| (r.method.as_str(), r.path.as_str(), r.target()))
        .chain(
            model
                .http_apis
                .iter()
                .flat_map(|api| api.routes.iter())
                .map(|r| (r.method.as_str(), r.path.as_str(), r.target())),
        )
        .collect();
    for url in &model.function_urls {
        let (by_host, by_path) = sluice_server::function_url_addresses(url, region, addr);
        writeln!(out, "Function URL of {}: {by_host}", url.target())?;
        writeln!(out, "  also at {by_path}")?;
    }
    if rows.is_empty() && !model.function_urls.is_empty() {
        // Function URLs only: their addresses above are the whole story.
    } else if rows.is_empty() {
        writeln!(out, "The template defines no API routes.")?;
    } else {
        let width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
        writeln!(out, "Routes:")?;
        for (method, path, function) in &rows {
            writeln!(out, "  {method:<7} {path:<width$}  -> {function}")?;
        }
    }
    writeln!(out, "Sluice is serving http://{addr} (Ctrl-C to stop)")?;
    out.flush()
}

/// Functions and routes, for `validate`.
pub fn summary(out: &mut impl Write, model: &Model) -> io::Result<()> {
    writeln!(out, "Functions:")?;
    for f in &model.functions {
        writeln!(
            out,
            "  {} ({}, {}, {} MB, {} s)",
            f.logical_id, f.runtime, f.handler, f.memory_mb, f.timeout_secs
        )?;
    }
    for api in &model.rest_apis {
        writeln!(
            out,
            "REST API {} (stage {}):",
            api.logical_id, api.stage_name
        )?;
        for r in &api.routes {
            writeln!(out, "  {:<7} {}  -> {}", r.method, r.path, r.target())?;
        }
    }
    for api in &model.http_apis {
        writeln!(
            out,
            "HTTP API {} (stage {}):",
            api.logical_id, api.stage_name
        )?;
        for r in &api.routes {
            writeln!(out, "  {:<7} {}  -> {}", r.method, r.path, r.target())?;
        }
    }
    for url in &model.function_urls {
        let auth = match url.auth {
            sluice_template::FunctionUrlAuth::None => "NONE",
            sluice_template::FunctionUrlAuth::AwsIam => "AWS_IAM",
        };
        writeln!(out, "Function URL of {} (AuthType {auth})", url.target())?;
    }
    Ok(())
}
