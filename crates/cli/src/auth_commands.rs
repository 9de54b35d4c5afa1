//! `sluice token` and `sluice api-keys`: what a developer needs to call a protected API by hand.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use sluice_server::auth_setup::{self, TokenOptions};

use crate::args::{ApiKeysArgs, TokenArgs};

/// Prints a signed token for a pool of the template.
pub fn token(args: TokenArgs) -> Result<ExitCode> {
    let mut config = crate::setup::base_config(&args.template)?;
    config.state_dir = args.state_dir.clone();
    let model = sluice_server::load_model(&config)?;
    let claims = args
        .claims
        .iter()
        .map(|c| {
            c.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .with_context(|| format!("--claim {c:?} is not KEY=VALUE"))
        })
        .collect::<Result<Vec<_>>>()?;
    let options = TokenOptions {
        pool: args.pool,
        client: args.client,
        sub: args.sub,
        username: args.username,
        groups: args.groups.into_iter().filter(|g| !g.is_empty()).collect(),
        scopes: args
            .scopes
            .iter()
            .flat_map(|s| s.split_whitespace().map(str::to_owned))
            .collect(),
        claims,
        expires_in: parse_duration(&args.expires_in)?,
    };
    let token = auth_setup::mint_token(&config, &model, &options)?;
    writeln!(std::io::stdout().lock(), "{token}")?;
    Ok(ExitCode::SUCCESS)
}

/// Lists the template's API keys and their values.
pub fn api_keys(args: ApiKeysArgs) -> Result<ExitCode> {
    let mut config = crate::setup::base_config(&args.template)?;
    config.state_dir = args.state_dir.clone();
    let model = sluice_server::load_model(&config)?;
    let mut out = std::io::stdout().lock();
    for (id, value, enabled) in auth_setup::list_api_keys(&config, &model)? {
        let value = value.unwrap_or_else(|| "(generated at the first start-api)".into());
        let state = if enabled { "" } else { " (disabled)" };
        writeln!(out, "{id}\t{value}{state}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `90`, `90s`, `15m`, `1h`, `2d`, optionally negative, in seconds.
fn parse_duration(text: &str) -> Result<i64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (number, unit) = rest.split_at(
        rest.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len()),
    );
    let Ok(n) = number.parse::<i64>() else {
        bail!("--expires-in {text:?}: expected e.g. 3600, 90s, 15m, 1h or 2d");
    };
    let seconds = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("--expires-in {text:?}: the unit must be s, m, h or d"),
    };
    Ok(if negative { -seconds } else { seconds })
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h").ok(), Some(3600));
        assert_eq!(parse_duration("90").ok(), Some(90));
        assert_eq!(parse_duration("-5m").ok(), Some(-300));
        assert!(parse_duration("1y").is_err());
        assert!(parse_duration("h").is_err());
    }
}
