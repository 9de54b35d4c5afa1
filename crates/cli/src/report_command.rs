//! `sluice report`: what the functions' logged traffic would cost on AWS, Lambda plus each front
//! door, from the REPORT lines in the log store; then the last `start-api` run per route (as
//! served and through each front door) and DynamoDB's request units, from its traffic file.

use std::process::ExitCode;

use anyhow::Result;
use sluice_server::cost::RunCosts;
use sluice_server::cost::{self, dollars, FunctionCost, PRICES_AS_OF};
use sluice_server::logs::LogStore;
use sluice_server::traffic::SavedTraffic;
use sluice_template::Model;

use crate::setup::{base_config, load};

/// `sluice report`: the template names the functions, the state folder holds their REPORT lines.
pub fn command(args: &crate::args::StoreArgs) -> Result<ExitCode> {
    let mut config = base_config(&args.template)?;
    config.state_dir = args.state_dir.clone();
    let model = load(&config)?;
    let store = LogStore::in_state_dir(&config.state_dir());
    let code = run(&model, &store, &config.aws.region)?;
    print_last_run(&model, &config.state_dir(), &config.aws.region);
    Ok(code)
}

/// The last run's routes and tables, priced (nothing when no run saved its traffic).
fn print_last_run(model: &Model, state_dir: &std::path::Path, region: &str) {
    let Some(saved) = SavedTraffic::load(state_dir) else {
        return;
    };
    let arm64 = |logical_id: &str| {
        model
            .function(logical_id)
            .is_some_and(|f| f.architectures.iter().any(|a| a == "arm64"))
    };
    let costs = RunCosts::new(&saved.routes, &saved.tables, arm64, region);
    println!();
    println!("The last start-api run, per route:");
    println!(
        "{:<36} {:<13} {:>8} {:>8} {:>12} {:>14} {:>14} {:>14} {:>14}",
        "route",
        "served by",
        "requests",
        "refused",
        "DynamoDB",
        "as served",
        "via REST API",
        "via HTTP API",
        "via Fn URL"
    );
    for r in &costs.routes {
        println!(
            "{:<36} {:<13} {:>8} {:>8} {:>12} {:>14} {:>14} {:>14} {:>14}",
            r.traffic.route,
            r.traffic.front_door.label(),
            r.traffic.requests,
            r.traffic.rejected,
            format!("{}/{}", r.traffic.read_units, r.traffic.write_units),
            dollars(r.as_served),
            dollars(r.through[0].1),
            dollars(r.through[1].1),
            dollars(r.through[2].1)
        );
    }
    println!(
        "(refused: by an authorizer, API key or throttle, which API Gateway does not bill; \
         DynamoDB: read/write request units the route's invocations consumed, in its costs)"
    );
    for (t, cost) in &costs.tables {
        println!(
            "DynamoDB table {}: {} read and {} write request units, {} on demand",
            t.table,
            t.read_units,
            t.write_units,
            dollars(*cost)
        );
    }
    let outside = costs.unattributed_dynamodb();
    if outside > 0.0 {
        println!(
            "Of those, {} were consumed outside any request",
            dollars(outside)
        );
    }
}

/// Prints one row per function with traffic, a total, and the cost per million such requests.
pub fn run(model: &Model, store: &LogStore, region: &str) -> Result<ExitCode> {
    let (prices, stand_in) = cost::prices::for_region(region);
    let mut lines: Vec<(String, String)> = Vec::new();
    for function in &model.functions {
        let group = LogStore::group_for_function(&function.name);
        for stream in store.streams(&group).unwrap_or_default() {
            for event in store.events(&group, &stream.name).unwrap_or_default() {
                lines.push((function.name.clone(), event.message));
            }
        }
    }
    let arm64 = |name: &str| {
        model
            .function(name)
            .is_some_and(|f| f.architectures.iter().any(|a| a == "arm64"))
    };
    let costs = cost::function_costs(
        lines.iter().map(|(f, l)| (f.as_str(), l.as_str())),
        arm64,
        &prices,
    );
    println!(
        "What this traffic would cost on AWS ({}, list prices of {PRICES_AS_OF}, no free tier):",
        if stand_in {
            format!("{region}, priced as {}", prices.region)
        } else {
            region.to_owned()
        }
    );
    if costs.is_empty() {
        println!("No invocations logged yet: run some traffic through `sluice start-api` first.");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<28} {:>11} {:>10} {:>14} {:>14} {:>14} {:>14}",
        "function", "invocations", "GB-s", "Lambda", "+ REST API", "+ HTTP API", "+ Function URL"
    );
    for c in &costs {
        row(&c.function, c);
    }
    let total = costs.iter().fold(
        FunctionCost {
            function: "total".to_owned(),
            invocations: 0,
            gb_seconds: 0.0,
            lambda: 0.0,
            rest_api: 0.0,
            http_api: 0.0,
            function_url: 0.0,
        },
        |mut t, c| {
            t.invocations += c.invocations;
            t.gb_seconds += c.gb_seconds;
            t.lambda += c.lambda;
            t.rest_api += c.rest_api;
            t.http_api += c.http_api;
            t.function_url += c.function_url;
            t
        },
    );
    row("total", &total);
    let per_million = 1e6 / total.invocations as f64;
    let [(_, rest), (_, http), (_, url)] = total.totals();
    println!(
        "Per million requests like these: REST API {}, HTTP API {}, Function URL {}.",
        dollars(rest * per_million),
        dollars(http * per_million),
        dollars(url * per_million)
    );
    Ok(ExitCode::SUCCESS)
}

fn row(name: &str, c: &FunctionCost) {
    let [(_, rest), (_, http), (_, url)] = c.totals();
    println!(
        "{:<28} {:>11} {:>10.3} {:>14} {:>14} {:>14} {:>14}",
        name,
        c.invocations,
        c.gb_seconds,
        dollars(c.lambda),
        dollars(rest),
        dollars(http),
        dollars(url)
    );
}
