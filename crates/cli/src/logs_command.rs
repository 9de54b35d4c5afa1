//! `sluice logs`: a function's logs as CloudWatch keeps them, read from the state folder (a running
//! `start-api` may be writing them), with `sam logs`'s flags: `-n`, `--filter`, `-s`, `-e`, `--tail`.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use sluice_server::logs::api::{query_events, EventQuery};
use sluice_server::logs::{now_millis, FilterPattern, LogEvent, LogStore};
use time::macros::format_description;
use time::OffsetDateTime;

use crate::args::{LogsArgs, LogsOutput};
use crate::setup::{base_config, say_not_applied};

/// How often `--tail` looks for new events (SAM polls too; the store is local, so often is cheap).
const TAIL_INTERVAL: Duration = Duration::from_millis(500);

/// SAM's default window: the last ten minutes.
const DEFAULT_SINCE_MS: i64 = 10 * 60 * 1000;

/// `sluice logs`: the template names the functions, the state folder holds their logs.
pub fn command(args: &crate::args::LogsArgs) -> Result<ExitCode> {
    say_not_applied(&args.store.template, None);
    if args.stack_name.is_some() {
        eprintln!("--stack-name does not apply: Sluice reads the logs its own functions wrote");
    }
    if args.include_traces {
        eprintln!("--include-traces is not supported yet: X-Ray traces are not emulated");
    }
    let mut config = base_config(&args.store.template)?;
    config.state_dir = args.store.state_dir.clone();
    let model = sluice_server::load_model(&config)?;
    let functions: Vec<(String, String)> = model
        .functions
        .iter()
        .map(|f| (f.logical_id.clone(), f.name.clone()))
        .collect();
    let groups = groups(args, &functions)?;
    let store = LogStore::in_state_dir(&config.state_dir());
    run(args, groups, &store)
}

/// Prints the chosen functions' events; with `--tail`, keeps printing new ones until interrupted.
pub fn run(args: &LogsArgs, groups: Vec<String>, store: &LogStore) -> Result<ExitCode> {
    let now = now_millis();
    let start = match &args.start_time {
        Some(text) => parse_time(text, now).with_context(|| {
            format!("-s {text:?}: expected e.g. 10m, \"5mins ago\", 2h, 2026-01-31 10:00:00")
        })?,
        None => now - DEFAULT_SINCE_MS,
    };
    let end = match &args.end_time {
        Some(text) => {
            Some(parse_time(text, now).with_context(|| format!("-e {text:?}: not a time"))?)
        }
        None => None,
    };
    let pattern = args
        .filter
        .as_deref()
        .map(FilterPattern::parse)
        .transpose()?;
    let several = groups.len() > 1;
    let mut since = start;
    // Events already printed at the newest timestamp seen (a later poll starts at that
    // millisecond again, as `aws logs tail --follow` does, and must not repeat them).
    let mut printed_at_since: BTreeSet<String> = BTreeSet::new();
    let mut out = std::io::stdout().lock();
    loop {
        let mut batch: Vec<(&str, String, LogEvent)> = Vec::new();
        for group in &groups {
            let query = EventQuery {
                start: Some(since),
                end,
                pattern: pattern.as_ref(),
                ..EventQuery::default()
            };
            let events = query_events(store, group, &query).unwrap_or_default();
            batch.extend(
                events
                    .into_iter()
                    .map(|(stream, e)| (group.as_str(), stream, e)),
            );
        }
        batch.sort_by(|a, b| (a.2.timestamp, &a.2.event_id).cmp(&(b.2.timestamp, &b.2.event_id)));
        for (group, stream, event) in batch {
            if event.timestamp == since && printed_at_since.contains(&event.event_id) {
                continue;
            }
            if event.timestamp > since {
                since = event.timestamp;
                printed_at_since.clear();
            }
            printed_at_since.insert(event.event_id.clone());
            let line = format_event(args.output, several.then_some(group), &stream, &event);
            // A closed pipe (`sluice logs | head`) ends the command quietly.
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return Ok(ExitCode::SUCCESS);
            }
        }
        if !args.tail {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(TAIL_INTERVAL);
    }
}

/// The log groups to read: each named function's (`-n`, logical id or function name) and each
/// `--cw-log-group`; with neither, every function of the template.
pub fn groups(args: &LogsArgs, functions: &[(String, String)]) -> Result<Vec<String>> {
    let mut groups = Vec::new();
    for name in &args.names {
        let Some((_, function)) = functions.iter().find(|(id, f)| id == name || f == name) else {
            let known: Vec<&str> = functions.iter().map(|(id, _)| id.as_str()).collect();
            bail!(
                "-n {name}: the template has no such function (it has {})",
                known.join(", ")
            );
        };
        groups.push(LogStore::group_for_function(function));
    }
    groups.extend(args.log_groups.iter().cloned());
    if groups.is_empty() {
        groups = functions
            .iter()
            .map(|(_, f)| LogStore::group_for_function(f))
            .collect();
    }
    groups.dedup();
    Ok(groups)
}

/// SAM's text line (`<stream> <time> <message>`, the function first when several are shown), or
/// one JSON object per event.
fn format_event(output: LogsOutput, group: Option<&str>, stream: &str, event: &LogEvent) -> String {
    match output {
        LogsOutput::Json => serde_json::json!({
            "logGroupName": group,
            "logStreamName": stream,
            "timestamp": event.timestamp,
            "message": event.message,
            "ingestionTime": event.ingestion_time,
            "eventId": event.event_id,
        })
        .to_string(),
        LogsOutput::Text => {
            let prefix = group
                .map(|g| format!("[{}] ", g.trim_start_matches("/aws/lambda/")))
                .unwrap_or_default();
            format!(
                "{prefix}{stream} {} {}",
                iso_millis(event.timestamp),
                event.message
            )
        }
    }
}

fn iso_millis(ms: i64) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(fmt).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// A start or end time as `sam logs` takes it: relative (`10m`, `10 minutes ago`, `2h`, `1d`,
/// `now`, `yesterday`), a date and time (`2026-01-31 10:00[:00]`, `T` and `Z` allowed; UTC, the
/// zone Sluice's functions run in), or milliseconds since the epoch.
pub fn parse_time(text: &str, now_ms: i64) -> Option<i64> {
    let text = text.trim().to_ascii_lowercase();
    match text.as_str() {
        "now" => return Some(now_ms),
        "yesterday" => return Some(now_ms - 86_400_000),
        _ => {}
    }
    let relative = text.strip_suffix("ago").unwrap_or(&text).trim();
    let digits_end = relative
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(relative.len());
    if digits_end > 0 && digits_end < relative.len() {
        let unit_ms: Option<i64> = match relative[digits_end..].trim() {
            "s" | "sec" | "secs" | "second" | "seconds" => Some(1_000),
            "m" | "min" | "mins" | "minute" | "minutes" => Some(60_000),
            "h" | "hr" | "hrs" | "hour" | "hours" => Some(3_600_000),
            "d" | "day" | "days" => Some(86_400_000),
            "w" | "week" | "weeks" => Some(604_800_000),
            // Not a unit: maybe a date (`2026-01-31`), tried below.
            _ => None,
        };
        if let Some(unit_ms) = unit_ms {
            let amount: i64 = relative[..digits_end].parse().ok()?;
            return Some(now_ms - amount.checked_mul(unit_ms)?);
        }
    }
    if digits_end == text.len() {
        return text.parse().ok();
    }
    absolute(&text)
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z]` in UTC, as milliseconds since the epoch.
fn absolute(text: &str) -> Option<i64> {
    let text = text.trim_end_matches('z');
    let (date, clock) = match text.split_once([' ', 't']) {
        Some((d, c)) => (d, c),
        None => (text, "00:00:00"),
    };
    let mut ymd = date.split('-').map(str::parse::<i32>);
    let (year, month, day) = (ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    let (clock, millis) = clock.split_once('.').unwrap_or((clock, "0"));
    let mut hms = clock.split(':').map(str::parse::<u8>);
    let (hour, minute) = (hms.next()?.ok()?, hms.next()?.ok()?);
    let second = hms.next().transpose().ok()?.unwrap_or(0);
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
    let time = time::Time::from_hms(hour, minute, second).ok()?;
    let seconds = date.with_time(time).assume_utc().unix_timestamp();
    let fraction: i64 = format!("{millis:0<3}").get(..3)?.parse().ok()?;
    Some(seconds * 1000 + fraction)
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_as_sam_logs_takes_them() {
        let now = 1_800_000_000_000;
        assert_eq!(parse_time("10m", now), Some(now - 600_000));
        assert_eq!(parse_time("10mins ago", now), Some(now - 600_000));
        assert_eq!(parse_time("2 hours ago", now), Some(now - 7_200_000));
        assert_eq!(parse_time("1d", now), Some(now - 86_400_000));
        assert_eq!(parse_time("now", now), Some(now));
        assert_eq!(
            parse_time("2026-01-31 10:00:00", now),
            Some(1_769_853_600_000)
        );
        assert_eq!(
            parse_time("2026-01-31T10:00:00.250Z", now),
            Some(1_769_853_600_250)
        );
        assert_eq!(parse_time("2026-01-31", now), Some(1_769_817_600_000));
        assert_eq!(parse_time("1769853600000", now), Some(1_769_853_600_000));
        assert_eq!(parse_time("10 parsecs", now), None);
        assert_eq!(parse_time("2026-13-01", now), None);
    }
}
