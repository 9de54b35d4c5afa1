//! `sluice`: AWS API Gateway + Lambda from a SAM template, on one machine.

mod args;
mod auth_commands;
mod build_command;
mod build_progress;
mod commands;
mod generate_event;
mod logs_command;
mod report_command;
mod route_table;
mod sam_flags;
mod samconfig;
mod setup;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let result = samconfig::apply(std::env::args_os().collect()).and_then(|(argv, samconfig)| {
        let args = args::Args::parse_from(argv);
        commands::run(args, samconfig)
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::from(1)
        }
    }
}
