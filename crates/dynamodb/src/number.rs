//! DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 ..= 9.99…E+125, normalized on input
//! ("1.0" → "1", "01" → "1", "-0" → "0", "1e2" → "100") and compared numerically.

use std::cmp::Ordering;

/// Most significant digits DynamoDB keeps.
const MAX_DIGITS: usize = 38;
/// Smallest allowed exponent in `0.d1d2… × 10^exp` form (1E-130 = 0.1E-129).
const MIN_EXP: i32 = -129;
/// Largest allowed exponent in `0.d1d2… × 10^exp` form (9.99…E+125 = 0.999…E+126).
const MAX_EXP: i32 = 126;

/// Why a string is not a DynamoDB number; the `Display` text is DynamoDB's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not numeric text at all (DynamoDB's words, as its clients report them: "The parameter
    /// cannot be converted to a numeric value: NaN").
    #[error("The parameter cannot be converted to a numeric value")]
    NotANumber,
    /// More than 38 significant digits.
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooManyDigits,
    /// Magnitude above 9.9999999999999999999999999999999999999E+125.
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    /// Non-zero magnitude below 1E-130.
    #[error("Number underflow. Attempting to store a number with magnitude smaller than supported range")]
    Underflow,
}

/// A validated DynamoDB number, value = sign × 0.d1d2…dn × 10^exp with d1 ≠ 0 and dn ≠ 0 (zero has no digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: Vec<u8>,
    exp: i32,
}

impl Number {
    /// Parses DynamoDB's number text (optional sign, digits, optional fraction and exponent).
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        // No trimming: DynamoDB refuses " 1" and "1 " (Alternator's test_invalid_numbers).
        let bytes = text.as_bytes();
        let (negative, rest) = match bytes.first() {
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        let mut mantissa: Vec<u8> = Vec::new();
        let mut point_pos: Option<usize> = None;
        let mut i = 0;
        let mut seen_digit = false;
        while i < rest.len() {
            match rest[i] {
                c @ b'0'..=b'9' => {
                    mantissa.push(c - b'0');
                    seen_digit = true;
                }
                b'.' if point_pos.is_none() => point_pos = Some(mantissa.len()),
                b'e' | b'E' => break,
                _ => return Err(NumberError::NotANumber),
            }
            i += 1;
        }
        if !seen_digit {
            return Err(NumberError::NotANumber);
        }
        let mut exp10: i64 = 0;
        if i < rest.len() {
            // Exponent part.
            let e = &rest[i + 1..];
            let (eneg, edigits) = match e.first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if edigits.is_empty() || !edigits.iter().all(u8::is_ascii_digit) {
                return Err(NumberError::NotANumber);
            }
            for d in edigits {
                exp10 = exp10.saturating_mul(10).saturating_add(i64::from(d - b'0'));
                if exp10 > 1_000_000 {
                    exp10 = 1_000_000;
                }
            }
            if eneg {
                exp10 = -exp10;
            }
        }
        let int_len = point_pos.unwrap_or(mantissa.len()) as i64;
        // Strip leading zeros (each shifts the decimal point left) and trailing zeros.
        let lead = mantissa.iter().take_while(|d| **d == 0).count();
        if lead == mantissa.len() {
            return Ok(Number::zero());
        }
        let trail = mantissa.iter().rev().take_while(|d| **d == 0).count();
        let digits = mantissa[lead..mantissa.len() - trail].to_vec();
        let exp = int_len - lead as i64 + exp10;
        Self::checked(negative, digits, exp)
    }

    fn checked(negative: bool, digits: Vec<u8>, exp: i64) -> Result<Number, NumberError> {
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        if digits.len() > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        if exp > i64::from(MAX_EXP) {
            return Err(NumberError::Overflow);
        }
        if exp < i64::from(MIN_EXP) {
            return Err(NumberError::Underflow);
        }
        // exp is within MIN_EXP..=MAX_EXP, so it fits i32.
        Ok(Number {
            negative,
            digits,
            exp: exp as i32,
        })
    }

    /// Zero.
    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    /// True for negative numbers (zero is not negative).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Significant digits (each 0..=9), first and last non-zero; empty for zero.
    pub fn digits(&self) -> &[u8] {
        &self.digits
    }

    /// Exponent such that value = 0.digits × 10^exponent.
    pub fn exponent(&self) -> i32 {
        self.exp
    }

    /// The bytes the number counts toward an item's size. DynamoDB stores the value as base-100
    /// digit pairs aligned on the decimal point (leading and trailing zero pairs dropped), plus an
    /// exponent byte and, for negatives, one more; so `1.5` (`01.50`) costs 3 where `15` costs 2.
    /// AWS's guide says "1 byte per two significant digits plus 1", which misses both the rounding
    /// up and the pair split at the point.
    pub fn byte_size(&self) -> usize {
        if self.digits.is_empty() {
            return 1;
        }
        // The first digit's power of ten is exp - 1, the last's exp - n; a pair holds powers 2k, 2k+1.
        let exp = i64::from(self.exp);
        let first_pair = (exp - 1).div_euclid(2);
        let last_pair = (exp - self.digits.len() as i64).div_euclid(2);
        // At most 38 digits, so at most 20 pairs.
        let pairs = (first_pair - last_pair + 1) as usize;
        1 + pairs + usize::from(self.negative)
    }

    /// `self + other`, with DynamoDB's precision and range checks on the result.
    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.digits.is_empty() {
            return Ok(other.clone());
        }
        if other.digits.is_empty() {
            return Ok(self.clone());
        }
        // Align both coefficients on the lowest power of ten.
        let low = |n: &Number| n.exp as i64 - n.digits.len() as i64;
        let base = low(self).min(low(other));
        let high = (self.exp as i64).max(other.exp as i64) + 1;
        let width = (high - base) as usize;
        let spread = |n: &Number| -> Vec<i32> {
            // Little-endian digits of the coefficient at scale `base`.
            let mut v = vec![0i32; width];
            for (k, d) in n.digits.iter().enumerate() {
                let pos = (n.exp as i64 - 1 - k as i64 - base) as usize;
                v[pos] = i32::from(*d);
            }
            v
        };
        let a = spread(self);
        let b = spread(other);
        let (neg, mag) = if self.negative == other.negative {
            let mut out = vec![0i32; width];
            let mut carry = 0;
            for k in 0..width {
                let s = a[k] + b[k] + carry;
                out[k] = s % 10;
                carry = s / 10;
            }
            (self.negative, out)
        } else {
            let (big, small, neg) = match cmp_mag(self, other) {
                Ordering::Less => (&b, &a, other.negative),
                _ => (&a, &b, self.negative),
            };
            let mut out = vec![0i32; width];
            let mut borrow = 0;
            for k in 0..width {
                let mut s = big[k] - small[k] - borrow;
                borrow = 0;
                if s < 0 {
                    s += 10;
                    borrow = 1;
                }
                out[k] = s;
            }
            (neg, out)
        };
        // Back to big-endian and normalized form.
        let be: Vec<u8> = mag.iter().rev().map(|d| *d as u8).collect();
        let lead = be.iter().take_while(|d| **d == 0).count();
        if lead == be.len() {
            return Ok(Number::zero());
        }
        let trail = be.iter().rev().take_while(|d| **d == 0).count();
        let digits = be[lead..be.len() - trail].to_vec();
        let exp = high - lead as i64;
        Self::checked(neg, digits, exp)
    }

    /// `-self`.
    pub fn negate(&self) -> Number {
        Number {
            negative: !self.negative && !self.digits.is_empty(),
            digits: self.digits.clone(),
            exp: self.exp,
        }
    }
}

fn cmp_mag(a: &Number, b: &Number) -> Ordering {
    match (a.digits.is_empty(), b.digits.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    a.exp.cmp(&b.exp).then_with(|| a.digits.cmp(&b.digits))
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.digits.is_empty() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if self.negative => cmp_mag(other, self),
            Ordering::Equal => cmp_mag(self, other),
            o => o,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Number {
    /// Plain decimal notation, as DynamoDB returns numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        let mut s = String::new();
        if self.negative {
            s.push('-');
        }
        let n = self.digits.len() as i32;
        let digit = |d: &u8| char::from(b'0' + d);
        if self.exp <= 0 {
            s.push_str("0.");
            for _ in 0..-self.exp {
                s.push('0');
            }
            s.extend(self.digits.iter().map(digit));
        } else if self.exp >= n {
            s.extend(self.digits.iter().map(digit));
            for _ in 0..self.exp - n {
                s.push('0');
            }
        } else {
            let (int, frac) = self.digits.split_at(self.exp as usize);
            s.extend(int.iter().map(digit));
            s.push('.');
            s.extend(frac.iter().map(digit));
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_size_counts_base_100_pairs_aligned_on_the_point() {
        for (text, bytes) in [
            ("0", 1),
            ("-0", 1),
            ("1", 2),
            ("12", 2),
            ("123", 3),
            ("1234", 3),
            ("100", 2),
            ("1010", 3),
            ("0042", 2),
            ("0.0000001", 2),
            ("1E125", 2),
            ("1E-100", 2),
            ("1.5", 3),
            ("15", 2),
            ("1.200", 3),
            ("1.234", 4),
            ("3.14159", 5),
            ("123456", 4),
            ("100.5", 4),
            ("0.15", 2),
            ("-42", 3),
            ("1.05", 3),
            ("0.105", 3),
            ("12345678901234567890123456789012345678", 20),
        ] {
            assert_eq!(Number::parse(text).unwrap().byte_size(), bytes, "{text}");
        }
    }

    fn norm(s: &str) -> String {
        Number::parse(s)
            .map(|n| n.to_string())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn normalizes_like_dynamodb() {
        assert_eq!(norm("1.0"), "1");
        assert_eq!(norm("01"), "1");
        assert_eq!(norm("-0"), "0");
        assert_eq!(norm("1e2"), "100");
        assert_eq!(norm("1E-2"), "0.01");
        assert_eq!(norm("-12.340"), "-12.34");
        assert_eq!(norm("+5"), "5");
        assert_eq!(norm("0.000"), "0");
        assert_eq!(norm(".5"), "0.5");
        assert_eq!(norm("5."), "5");
        assert_eq!(norm("123.456e1"), "1234.56");
    }

    #[test]
    fn rejects_bad_text() {
        for bad in ["", "abc", "1..2", "1e", "--1", "1e+", "0x10", "1 2", "."] {
            assert_eq!(Number::parse(bad), Err(NumberError::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn enforces_precision_and_range() {
        assert!(Number::parse("12345678901234567890123456789012345678").is_ok());
        assert_eq!(
            Number::parse("123456789012345678901234567890123456789"),
            Err(NumberError::TooManyDigits)
        );
        // Trailing zeros are not significant.
        assert!(Number::parse("1234567890123456789012345678901234567800000").is_ok());
        assert!(Number::parse("9.9999999999999999999999999999999999999E+125").is_ok());
        assert_eq!(Number::parse("1E+126"), Err(NumberError::Overflow));
        assert!(Number::parse("1E-130").is_ok());
        assert_eq!(Number::parse("1E-131"), Err(NumberError::Underflow));
        assert_eq!(Number::parse("-1E-131"), Err(NumberError::Underflow));
        assert_eq!(
            NumberError::TooManyDigits.to_string(),
            "Attempting to store more than 38 significant digits in a Number"
        );
    }

    #[test]
    fn compares_numerically() {
        let n = |s| Number::parse(s).unwrap();
        assert!(n("2") > n("10e-1"));
        assert!(n("-2") < n("-1.5"));
        assert!(n("0") > n("-0.0001"));
        assert!(n("100") > n("99.999"));
        assert_eq!(n("1.50"), n("1.5"));
    }

    #[test]
    fn adds_and_subtracts() {
        let sum = |a, b| {
            Number::parse(a)
                .unwrap()
                .add(&Number::parse(b).unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(sum("1", "2"), "3");
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("99", "1"), "100");
        assert_eq!(sum("5", "-7"), "-2");
        assert_eq!(sum("-5", "5"), "0");
        assert_eq!(sum("1e10", "-0.5"), "9999999999.5");
        assert_eq!(sum("-1.25", "-1.75"), "-3");
    }
}
