//! The typed values IAM's `Numeric…` and `Date…` condition operators compare, read from a policy's
//! text or a context key's ("IAM JSON policy elements: Condition operators": numbers are integers
//! or decimals; dates are "one of the W3C implementations of the ISO 8601 date formats" or epoch
//! seconds).

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

/// An integer or decimal (`-12`, `1.5`): digits only, no exponent, `inf` or `NaN`.
pub(crate) fn number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    text.parse().ok()
}

/// An instant as nanoseconds since the epoch: epoch seconds (`1767225600`), or a W3C date or
/// date-time (`2026`… `2026-01-01`, `2026-01-01T00:00Z`, `2026-01-01T00:00:00.5+01:00`; a time
/// needs its zone, as the W3C profile says).
///
/// Four digits alone are a year in W3C's profile and a second count as epoch time; which one IAM
/// reads is not documented, so Sluice reads neither and the caller fails closed.
pub(crate) fn instant(text: &str) -> Option<i128> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        if text.len() == 4 {
            return None;
        }
        let seconds: i64 = text.parse().ok()?;
        return Some(i128::from(seconds) * 1_000_000_000);
    }
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year = fixed_digits(parts.next()?, 4)?;
    let month = parts
        .next()
        .map(|m| fixed_digits(m, 2))
        .unwrap_or(Some(1))?;
    let day = parts
        .next()
        .map(|d| fixed_digits(d, 2))
        .unwrap_or(Some(1))?;
    // A time needs a full date; nothing may follow the day.
    if parts.next().is_some() || (time.is_some() && date.len() != 10) {
        return None;
    }
    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let (time, offset) = match time {
        None => (Time::MIDNIGHT, UtcOffset::UTC),
        Some(time) => clock(time)?,
    };
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .unix_timestamp_nanos(),
    )
}

/// `hh:mm[:ss[.s…]]` and a zone (`Z`, `+hh:mm`, `-hh:mm`).
fn clock(text: &str) -> Option<(Time, UtcOffset)> {
    let (clock, offset) = match text.strip_suffix('Z') {
        Some(clock) => (clock, UtcOffset::UTC),
        None => {
            let at = text.rfind(['+', '-'])?;
            let (clock, zone) = text.split_at(at);
            let sign: i8 = if zone.starts_with('-') { -1 } else { 1 };
            let (hours, minutes) = zone[1..].split_once(':')?;
            let hours = i8::try_from(fixed_digits(hours, 2)?).ok()?;
            let minutes = i8::try_from(fixed_digits(minutes, 2)?).ok()?;
            (
                clock,
                UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?,
            )
        }
    };
    let mut parts = clock.split(':');
    let hour = u8::try_from(fixed_digits(parts.next()?, 2)?).ok()?;
    let minute = u8::try_from(fixed_digits(parts.next()?, 2)?).ok()?;
    let (second, nanos) = match parts.next() {
        None => (0, 0),
        Some(seconds) => {
            let (whole, fraction) = match seconds.split_once('.') {
                Some((whole, fraction)) => (whole, Some(fraction)),
                None => (seconds, None),
            };
            let second = u8::try_from(fixed_digits(whole, 2)?).ok()?;
            let nanos = match fraction {
                None => 0,
                Some(f) if (1..=9).contains(&f.len()) => {
                    let digits = fixed_digits(f, f.len())?;
                    u32::try_from(digits * 10u64.pow(9 - f.len() as u32)).ok()?
                }
                Some(_) => return None,
            };
            (second, nanos)
        }
    };
    if parts.next().is_some() {
        return None;
    }
    Some((
        Time::from_hms_nano(hour, minute, second, nanos).ok()?,
        offset,
    ))
}

/// Exactly `len` ASCII digits, as a number.
fn fixed_digits(text: &str, len: usize) -> Option<u64> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NANOS: i128 = 1_000_000_000;

    #[test]
    fn numbers_are_integers_or_decimals_only() {
        assert_eq!(number("42"), Some(42.0));
        assert_eq!(number("-1.5"), Some(-1.5));
        assert_eq!(number("+7"), Some(7.0));
        for text in ["", "1e3", "inf", "NaN", "1.", ".5", "abc", "1,5", " 1"] {
            assert_eq!(number(text), None, "{text:?}");
        }
    }

    #[test]
    fn instants_are_w3c_dates_or_epoch_seconds() {
        let new_year = 1_767_225_600 * NANOS; // 2026-01-01T00:00:00Z
        assert_eq!(instant("1767225600"), Some(new_year));
        assert_eq!(instant("2026-01-01"), Some(new_year));
        assert_eq!(instant("2026-01"), Some(new_year));
        assert_eq!(instant("2026-01-01T00:00Z"), Some(new_year));
        assert_eq!(instant("2026-01-01T00:00:00Z"), Some(new_year));
        assert_eq!(instant("2026-01-01T01:00:00+01:00"), Some(new_year));
        assert_eq!(instant("2025-12-31T23:30:00-00:30"), Some(new_year));
        assert_eq!(
            instant("2026-01-01T00:00:00.25Z"),
            Some(new_year + NANOS / 4)
        );
        for text in [
            "2026",
            "2026-01-01T00:00:00",
            "2026-13-01",
            "2026-02-30",
            "2026-1-1",
            "2026-01-01T25:00Z",
            "2026-01T00:00Z",
            "tomorrow",
            "",
        ] {
            assert_eq!(instant(text), None, "{text:?}");
        }
    }
}
