//! Order-preserving byte encoding of key values (S, N, B) so SQLite's BLOB order (memcmp) is DynamoDB's
//! order: numbers numerically, binary bytewise, strings by their UTF-8 bytes.

use crate::attribute_value::AttributeValue;
use crate::number::Number;

/// Encodes a key attribute value; `None` for types that cannot be keys.
pub fn encode(v: &AttributeValue) -> Option<Vec<u8>> {
    match v {
        // UTF-8 byte order is DynamoDB's string order; each key sits in its own column, so no terminator.
        AttributeValue::S(s) => Some(s.as_bytes().to_vec()),
        AttributeValue::B(b) => Some(b.clone()),
        AttributeValue::N(n) => Some(encode_number(n)),
        _ => None,
    }
}

/// The position of a partition in scan order: a hash of its encoded partition key, 8 bytes
/// big-endian so that byte order is numeric order. AWS: a Scan walks partitions in the order of an
/// internal hash of the partition key, not in key order; Sluice orders by this hash so that code
/// which relies on sorted scans fails here as it would there. Stored on disk: never change it.
pub fn partition_hash(hk: &[u8]) -> [u8; 8] {
    // FNV-1a over the bytes, then MurmurHash3's 64-bit finaliser, so that keys differing in their
    // last byte (item-1, item-2) land far apart rather than in key order.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in hk {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h.to_be_bytes()
}

/// The parallel-scan segment (of `total`) a partition belongs to: segments are contiguous slices
/// of the hash space, as DynamoDB's are, so each segment is a run of the scan order.
pub fn segment_of(hk: &[u8], total: u32) -> u32 {
    let h = u64::from_be_bytes(partition_hash(hk));
    ((u128::from(h) * u128::from(total)) >> 64) as u32
}

/// Encodes the values of a multi-attribute key as one order-preserving string: tuples compare
/// attribute by attribute. Strings and binaries escape `0x00` as `0x00 0xFF` and end with `0x00 0x00`;
/// numbers (which never hold `0x00` bytes) end with `0x00`, so a shorter value sorts first.
pub fn encode_tuple(values: &[&AttributeValue]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for v in values {
        match v {
            AttributeValue::S(_) | AttributeValue::B(_) => {
                let bytes = match v {
                    AttributeValue::S(s) => s.as_bytes(),
                    AttributeValue::B(b) => b.as_slice(),
                    _ => return None,
                };
                for b in bytes {
                    out.push(*b);
                    if *b == 0 {
                        out.push(0xFF);
                    }
                }
                out.extend_from_slice(&[0, 0]);
            }
            AttributeValue::N(n) => {
                out.extend(encode_number(n));
                out.push(0);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Numbers: a sign class byte (negative < zero < positive), then the biased exponent and the digits;
/// negatives complement both so that larger magnitudes sort first.
pub fn encode_number(n: &Number) -> Vec<u8> {
    if n.digits().is_empty() {
        return vec![0x80];
    }
    // Exponent is within -129..=126; bias it into u16 so big-endian bytes sort numerically.
    let biased = (n.exponent() + 0x8000) as u16;
    let mut out = Vec::with_capacity(4 + n.digits().len());
    if n.is_negative() {
        out.push(0x40);
        out.extend_from_slice(&(!biased).to_be_bytes());
        // Digits map 0..9 → 10..1 and a 0xFF terminator follows, so a shorter (smaller-magnitude)
        // negative sorts after a longer one sharing its prefix.
        out.extend(n.digits().iter().map(|d| 10 - d));
        out.push(0xFF);
    } else {
        out.push(0xC0);
        out.extend_from_slice(&biased.to_be_bytes());
        // Digits as 1..10; a shorter prefix is a smaller value, which memcmp gives for free.
        out.extend(n.digits().iter().map(|d| d + 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn tuples_sort_attribute_by_attribute() {
        let s = |x: &str| AttributeValue::S(x.into());
        let n = |x: &str| AttributeValue::N(num(x));
        let mut tuples = [
            (s("b"), n("1")),
            (s("a"), n("12")),
            (s("a"), n("2")),
            (s("a\u{0}"), n("1")),
            (s("ab"), n("-5")),
            (s("a"), n("-3")),
        ];
        tuples.sort_by_key(|(a, b)| encode_tuple(&[a, b]).expect("scalars"));
        let order: Vec<String> = tuples
            .iter()
            .map(|(a, b)| match (a, b) {
                (AttributeValue::S(a), AttributeValue::N(b)) => format!("{a}/{b}"),
                _ => String::new(),
            })
            .collect();
        assert_eq!(order, ["a/-3", "a/2", "a/12", "a\u{0}/1", "ab/-5", "b/1"]);
    }

    #[test]
    fn numbers_sort_numerically() {
        let mut vals = [
            "10", "-10", "0", "2", "-2.5", "-2.55", "0.001", "-0.001", "1E+100", "-1E+100",
            "1E-130", "9.5",
        ];
        vals.sort_by_key(|s| encode_number(&num(s)));
        assert_eq!(
            vals,
            [
                "-1E+100", "-10", "-2.55", "-2.5", "-0.001", "0", "1E-130", "0.001", "2", "9.5",
                "10", "1E+100"
            ]
        );
    }

    proptest! {
        #[test]
        fn number_encoding_matches_numeric_order(a in -1e30f64..1e30, b in -1e30f64..1e30, ea in -90i32..90, eb in -90i32..90) {
            let sa = format!("{a}E{ea}");
            let sb = format!("{b}E{eb}");
            // Rust prints f64 with up to 17 digits, well within 38, and exponents stay in range.
            let (x, y) = (num(&sa), num(&sb));
            prop_assert_eq!(encode_number(&x).cmp(&encode_number(&y)), x.cmp(&y));
            // Number's own order agrees with the real values (compare via exact decimal strings as f64 where distinct).
            let (fx, fy) = (a * 10f64.powi(ea), b * 10f64.powi(eb));
            if (fx - fy).abs() > 1e-6 * fx.abs().max(fy.abs()) {
                prop_assert_eq!(x < y, fx < fy);
            }
        }

        #[test]
        fn string_encoding_is_utf8_byte_order(a in ".{0,12}", b in ".{0,12}") {
            let ea = encode(&AttributeValue::S(a.clone())).unwrap();
            let eb = encode(&AttributeValue::S(b.clone())).unwrap();
            prop_assert_eq!(ea.cmp(&eb), a.as_bytes().cmp(b.as_bytes()));
        }

        #[test]
        fn binary_encoding_is_bytewise(a in proptest::collection::vec(any::<u8>(), 0..16), b in proptest::collection::vec(any::<u8>(), 0..16)) {
            let ea = encode(&AttributeValue::B(a.clone())).unwrap();
            let eb = encode(&AttributeValue::B(b.clone())).unwrap();
            prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
        }

        #[test]
        fn integer_encoding_matches_integer_order(a in any::<i64>(), b in any::<i64>()) {
            let x = num(&a.to_string());
            let y = num(&b.to_string());
            prop_assert_eq!(encode_number(&x).cmp(&encode_number(&y)), a.cmp(&b));
        }
    }
}
