//! `sluice`: AWS API Gateway + Lambda from a SAM template, on one machine.

mod args;
mod auth_commands;
mod commands;
mod route_table;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Args::parse();
    match commands::run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::from(1)
        }
    }
}
