//! `sluice generate-event SERVICE EVENT [--flag VALUE …]`: prints a sample event as the AWS
//! service would send it to a function, with SAM CLI's names, flags and defaults, so
//! `sluice generate-event s3 put | sluice invoke -e -` works as `sam local generate-event` does.

mod apigateway;
mod catalog;
mod md5;
mod sources;
mod values;

use std::process::ExitCode;

use anyhow::Result;
use base64::Engine as _;
use clap::{Arg, ArgAction, ArgMatches, Command};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use catalog::{Encoding, EventKind, Values, EVENTS};

/// What Python's `urllib.parse.quote` (SAM's encoder for S3 keys) leaves alone: letters, digits,
/// `_.-~` and `/`.
const S3_KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

/// The clap definition: one subcommand per service, one per event under it, one flag per value.
pub fn command(name: &'static str) -> Command {
    let mut root = Command::new(name)
        .about("Print a sample event an AWS service sends to a function (like `sam local generate-event`)")
        .subcommand_required(true)
        .arg_required_else_help(true);
    let mut services: Vec<&str> = EVENTS.iter().map(|e| e.service).collect();
    services.dedup();
    for service in services {
        let mut sub = Command::new(service)
            .about(format!("Events from {service}"))
            .subcommand_required(true)
            .arg_required_else_help(true);
        for kind in EVENTS.iter().filter(|e| e.service == service) {
            sub = sub.subcommand(event_command(kind));
        }
        root = root.subcommand(sub);
    }
    root
}

fn event_command(kind: &EventKind) -> Command {
    let mut command = Command::new(kind.event).about(kind.help);
    for flag in kind.flags {
        command = command.arg(
            Arg::new(flag.name)
                .long(flag.name)
                .value_name("VALUE")
                .allow_hyphen_values(true)
                .default_value(flag.default)
                .help(format!(
                    "The {} for the event (default: {:?})",
                    flag.name, flag.default
                )),
        );
    }
    // SAM's event commands take --debug; there is nothing to debug in printing JSON.
    command.arg(
        Arg::new("debug")
            .long("debug")
            .action(ArgAction::SetTrue)
            .hide(true),
    )
}

/// Parses `args` (what follows `generate-event`) and prints the event on stdout.
pub fn run(name: &'static str, args: &[String]) -> Result<ExitCode> {
    let matches = match command(name)
        .try_get_matches_from(std::iter::once(name.to_owned()).chain(args.iter().cloned()))
    {
        Ok(matches) => matches,
        // Help, a usage error or a missing subcommand: clap prints it and picks the exit code.
        Err(error) => error.exit(),
    };
    let Some((service, service_matches)) = matches.subcommand() else {
        return Ok(ExitCode::from(2));
    };
    let Some((event, event_matches)) = service_matches.subcommand() else {
        return Ok(ExitCode::from(2));
    };
    let Some(kind) = catalog::find(service, event) else {
        return Ok(ExitCode::from(2));
    };
    println!("{}", render(kind, &values(kind, event_matches))?);
    Ok(ExitCode::SUCCESS)
}

/// Each flag's value (given or default), encoded as the event carries it.
fn values(kind: &EventKind, matches: &ArgMatches) -> Values {
    kind.flags
        .iter()
        .map(|flag| {
            let given = matches
                .get_one::<String>(flag.name)
                .map_or(flag.default, String::as_str);
            (flag.name, encode(given, flag.encoding))
        })
        .collect()
}

fn encode(value: &str, encoding: Encoding) -> String {
    match encoding {
        Encoding::Plain => value.to_owned(),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(value),
        Encoding::Url => utf8_percent_encode(value, S3_KEY).to_string(),
    }
}

/// The event as SAM prints it: JSON indented by two spaces.
fn render(kind: &EventKind, values: &Values) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&(kind.build)(values))
}

#[cfg(test)]
mod tests;
