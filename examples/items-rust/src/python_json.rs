//! JSON text exactly as the Python handler's `json.dumps(body, cls=DecimalEncoder)` writes it, so both
//! apps answer byte for byte the same: `", "` and `": "` separators, non-ASCII escaped as `\uXXXX`
//! (`ensure_ascii`), integral numbers as integers and the rest as Python's float `repr`.

use serde_json::Value;

/// Serializes a value the way Python's `json.dumps` with the handler's `DecimalEncoder` does.
pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // arbitrary_precision: the number's text is exactly what the client or DynamoDB sent.
        Value::Number(n) => out.push_str(&python_number(&n.to_string())),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string with `ensure_ascii`: only printable ASCII stays as is.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                // Outside the BMP Python writes the UTF-16 surrogate pair.
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// A decimal number as `DecimalEncoder` writes it: `int(d)` when integral, else `float(d)`.
///
/// Python ints parsed from the body (`3`, `-0`) take the same path: integral, written as an int.
pub fn python_number(text: &str) -> String {
    match Decimal::parse(text) {
        Some(decimal) => match decimal.integral_digits() {
            Some(int) => int,
            None => python_float_repr(text.parse::<f64>().unwrap_or(f64::NAN)),
        },
        // Not decimal text: cannot come from JSON or DynamoDB; keep it rather than invent one.
        None => text.to_owned(),
    }
}

/// A decimal as sign, significant digits and a power of ten: `-12.50` is (-, "1250", -2).
struct Decimal {
    negative: bool,
    digits: String,
    scale: i64,
}

impl Decimal {
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = format!("{int}{frac}");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let scale = exponent.checked_sub(i64::try_from(frac.len()).ok()?)?;
        Some(Decimal {
            negative,
            digits,
            scale,
        })
    }

    /// The integer's digits when the value is integral (Python's `int(d)`), else None.
    fn integral_digits(&self) -> Option<String> {
        let significant = self.digits.trim_start_matches('0');
        if significant.is_empty() {
            return Some("0".to_owned());
        }
        let int = if self.scale >= 0 {
            // DynamoDB keeps numbers below 1E+126; a larger scale means text DynamoDB refused
            // before this is ever called. Refuse to build a giant string rather than trust that.
            if self.scale > 10_000 {
                return None;
            }
            let zeros = "0".repeat(usize::try_from(self.scale).ok()?);
            format!("{significant}{zeros}")
        } else {
            let fraction = usize::try_from(self.scale.unsigned_abs()).ok()?;
            if fraction >= significant.len() {
                return None; // nonzero digits below the decimal point
            }
            let (int, frac) = significant.split_at(significant.len() - fraction);
            if frac.bytes().any(|b| b != b'0') {
                return None;
            }
            int.to_owned()
        };
        Some(if self.negative {
            format!("-{int}")
        } else {
            int
        })
    }
}

/// Python's `repr(float)`: the shortest round-tripping digits, fixed notation for exponents from
/// -4 to 15, scientific (`1e-05`, `1.5e+16`) beyond.
fn python_float_repr(x: f64) -> String {
    if !x.is_finite() {
        // Python writes these, though JSON has no such literals; unreachable from DynamoDB.
        return if x.is_nan() {
            "NaN".to_owned()
        } else if x > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    // Rust's `{:e}` prints the same shortest round-trip digits Python's repr chooses.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let point = exponent + 1; // where the decimal point falls after the first `point` digits
    let len = digits.len() as i64;
    let body = if point <= -4 || point > 16 {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}{fraction}e{sign}{:02}", exponent.abs())
    } else if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point >= len {
        format!("{digits}{}.0", "0".repeat((point - len) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    if x.is_sign_negative() {
        format!("-{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_decimal_encoder() {
        let cases = [
            ("3", "3"),
            ("-0", "0"),
            ("12.5", "12.5"),
            ("12.50", "12.5"),
            ("3.0", "3"),
            ("1E+2", "100"),
            ("1e30", "1000000000000000000000000000000"),
            ("12345678901234567890123", "12345678901234567890123"),
            ("0.1", "0.1"),
            ("-2.25", "-2.25"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("1.5E-130", "1.5e-130"),
            ("123456789012345678901.5", "1.2345678901234568e+20"),
            ("1234567890123456.5", "1234567890123456.5"),
            ("0.99999999999999999999", "1.0"),
            ("-0.0", "0"),
        ];
        for (text, python) in cases {
            assert_eq!(python_number(text), python, "{text}");
        }
    }

    #[test]
    fn text_is_written_like_json_dumps() {
        let value: Value = serde_json::from_str(
            r#"{"b": [1, 2.50, true, null], "a": "caf\u00e9 \ud83d\ude00\u007f\"\\\n"}"#,
        )
        .unwrap();
        assert_eq!(
            dumps(&value),
            r#"{"b": [1, 2.5, true, null], "a": "caf\u00e9 \ud83d\ude00\u007f\"\\\n"}"#
        );
        assert_eq!(dumps(&serde_json::json!([])), "[]");
        assert_eq!(dumps(&serde_json::json!({})), "{}");
    }
}
