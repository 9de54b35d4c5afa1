//! `sluice`: AWS API Gateway + Lambda from a SAM template, on one machine.

mod args;
mod auth_commands;
mod build_command;
mod build_progress;
mod commands;
mod function_urls_command;
mod generate_event;
mod logs_command;
mod report_command;
mod route_table;
mod sam_flags;
mod samconfig;
mod setup;

use std::process::ExitCode;

use clap::Parser;

/// jemalloc, not glibc's malloc: one tokio worker often frees what another allocated (an event
/// built by the gateway's task, written out by the Runtime API's), and under load glibc's arena
/// locks turned that into ~1.3 futex calls a request; jemalloc's thread caches batch those frees
/// (issue 13 point 2, bench/README.md).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
