//! One stored log event as a line of JSON, written by hand: the log store writes three of them
//! per invocation (START, END, REPORT), and through serde_json their keys, id and message cost
//! about 4,000 instructions each, a tenth of Sluice's own work per request (bench/instructions).
//! The bytes are exactly serde_json's for a [`super::store::LogEvent`]; the tests compare them.

/// Appends `{"timestamp":…,"ingestionTime":…,"eventId":"…","message":"…"}` for one event.
/// `eventId` is the time, the process and the sequence, zero-padded to 20, 10 and 10 digits, so
/// ids sort as the events were appended.
pub(super) fn push(out: &mut Vec<u8>, timestamp: i64, pid: u32, sequence: u64, message: &str) {
    let mut number = itoa::Buffer::new();
    let timestamp_text = number.format(timestamp).as_bytes();
    out.extend_from_slice(b"{\"timestamp\":");
    out.extend_from_slice(timestamp_text);
    out.extend_from_slice(b",\"ingestionTime\":");
    out.extend_from_slice(timestamp_text);
    out.extend_from_slice(b",\"eventId\":\"");
    let mut id = [b'0'; 40];
    match u64::try_from(timestamp) {
        Ok(t)
            if zero_padded(t, &mut id[..20])
                && zero_padded(u64::from(pid), &mut id[20..30])
                && zero_padded(sequence, &mut id[30..]) =>
        {
            out.extend_from_slice(&id);
        }
        // A value too wide for its field (never, in practice): wider, as `format!` pads.
        _ => out.extend_from_slice(format!("{timestamp:020}{pid:010}{sequence:010}").as_bytes()),
    }
    out.extend_from_slice(b"\",\"message\":\"");
    push_escaped(out, message);
    out.extend_from_slice(b"\"}");
}

/// Writes `n` into `out` right-aligned, zero-padded; false when it has more digits than `out`.
fn zero_padded(mut n: u64, out: &mut [u8]) -> bool {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
    n == 0
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether any byte of `word` is below 0x20, `"` or `\`: the bytes a JSON string escapes.
fn any_special(word: u64) -> bool {
    // "Determine if a word has a byte less than n" and "has a zero byte" (Sean Anderson's bit
    // hacks): exact as a yes/no for n ≤ 128, and bytes ≥ 0x80 (UTF-8) never count.
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_in = |v: u64| v.wrapping_sub(ONES) & !v;
    (below_space | zero_in(quote) | zero_in(backslash)) & HIGHS != 0
}

/// Appends `text` escaped as serde_json escapes a string's contents: `"`, `\`, and control
/// characters (`\b \t \n \f \r`, else `\u00XX` in lower-case hex); everything else verbatim.
fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs escaping (almost all of a log line).
        if let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
            if !any_special(word) {
                i += 8;
                continue;
            }
        }
        let byte = bytes[i];
        if byte < 0x20 || byte == b'"' || byte == b'\\' {
            out.extend_from_slice(&bytes[run..i]);
            push_escape(out, byte);
            run = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[run..]);
}

fn push_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::store::LogEvent;

    fn line(timestamp: i64, pid: u32, sequence: u64, message: &str) -> String {
        let mut out = Vec::new();
        push(&mut out, timestamp, pid, sequence, message);
        String::from_utf8(out).unwrap()
    }

    fn serde_line(timestamp: i64, pid: u32, sequence: u64, message: &str) -> String {
        serde_json::to_string(&LogEvent {
            timestamp,
            ingestion_time: timestamp,
            event_id: format!("{timestamp:020}{pid:010}{sequence:010}"),
            message: message.to_owned(),
        })
        .unwrap()
    }

    #[test]
    fn every_byte_is_escaped_as_serde_json_escapes_it() {
        // Every ASCII byte, alone and at each offset of an 8-byte word, and runs of them.
        let mut messages: Vec<String> = Vec::new();
        for b in 0u8..0x80 {
            let c = char::from(b);
            for pad in 0..9 {
                messages.push(format!("{}{c}{}", "x".repeat(pad), "y".repeat(8 - pad)));
            }
            messages.push(c.to_string().repeat(17));
        }
        messages.extend(
            [
                "",
                "START RequestId: 8f5c Version: $LATEST",
                "REPORT RequestId: 8f5c\tDuration: 1.23 ms\tBilled Duration: 2 ms\t",
                "naïve café \u{1F600} \u{7f} \u{80} \u{2028} 日本語\"\\\n",
                "\u{0}\u{1f}\u{20}",
            ]
            .map(str::to_owned),
        );
        for message in &messages {
            assert_eq!(
                line(1_764_400_000_123, 4242, 7, message),
                serde_line(1_764_400_000_123, 4242, 7, message),
                "{message:?}"
            );
        }
    }

    #[test]
    fn ids_are_zero_padded_and_wider_only_when_a_field_overflows() {
        for (timestamp, pid, sequence) in [
            (1_764_400_000_123, 42, 7),
            (0, 0, 0),
            (5, 1, 12_345_678_901),
            (-1, 1, 1),
            (i64::MAX, u32::MAX, u64::MAX),
        ] {
            assert_eq!(
                line(timestamp, pid, sequence, "m"),
                serde_line(timestamp, pid, sequence, "m")
            );
        }
        assert!(line(0, 0, 0, "").contains(&format!("\"eventId\":\"{}\"", "0".repeat(40))));
    }
}
