//! RFC 8785 JSON Canonicalization Scheme (JCS) over Tally's [`Json`] tree.
//!
//! Contract: two payloads that differ only in whitespace, member order or
//! number spelling (`1.0` and `1`) get byte-identical canonical text. Tally
//! hashes that text to tell an *exact resend* from the same event sent in
//! another shape.
//!
//! The published JCS crates canonicalize `serde_json::Value`, which Tally does
//! not use for input (see `json.rs`), so this module applies the scheme to
//! [`Json`] directly and delegates the one hard part, ECMAScript number
//! formatting, to the maintained `ryu-js` crate.
//!
//! Deviations, both for inputs that RFC 8785 declares out of scope:
//! - a number outside the range of an IEEE 754 double is written as its
//!   original text, so the fingerprint still distinguishes it;
//! - duplicate member names (not I-JSON) are kept, sorted stably.

mod nearest;

use crate::pipeline::json::{write_as, Json, Style};

/// The canonical text of `value` according to RFC 8785.
pub fn canonicalize(value: &Json) -> String {
    canonicalize_sized(value, 0)
}

/// [`canonicalize`], into room for `capacity` bytes: the length of the
/// text `value` was read from is about right, and growing the text from
/// nothing reallocated it half a dozen times per payload.
pub fn canonicalize_sized(value: &Json, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    write_as(value, &Canonical, &mut out);
    out
}

/// Whether two values are the same payload: what RFC 8785 writes alike,
/// except that numbers are compared by their exact decimal value, not as
/// the nearest doubles (`9007199254740993` is not `9007199254740992`, and
/// `10000000.000000001` is not `10000000.000000002`: a raw fingerprint,
/// made from doubles, cannot tell them apart; an outside review counted
/// such events once).
pub fn same_payload(a: &Json, b: &Json) -> bool {
    exact_form(a) == exact_form(b)
}

/// What [`same_payload`] compares: [`canonicalize`]'s form with each
/// number as its exact value.
pub fn exact_form(value: &Json) -> String {
    let mut out = String::new();
    write_as(value, &Exact, &mut out);
    out
}

/// [`Canonical`]'s member order, with each number as its exact value.
struct Exact;

impl Style for Exact {
    fn number(&self, text: &str, out: &mut String) {
        write_exact(text, out);
    }

    fn order(&self, members: &mut [&(String, Json)]) {
        Canonical.order(members);
    }
}

/// A JSON number as `[-]digits e exponent`, the digits without leading or
/// trailing zeros: one spelling per value (`1.50`, `15e-1` and `0.15e1`
/// alike), exactly.
fn write_exact(text: &str, out: &mut String) {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = unsigned.split_once(['e', 'E']).unwrap_or((unsigned, "0"));
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0');
    let trimmed = significant.trim_end_matches('0');
    let exponent = exponent.parse::<i64>().ok().and_then(|e| {
        e.checked_sub(fraction.len() as i64)?
            .checked_add((significant.len() - trimmed.len()) as i64)
    });
    match exponent {
        _ if trimmed.is_empty() => out.push('0'),
        Some(exponent) => {
            if negative {
                out.push('-');
            }
            out.push_str(trimmed);
            out.push('e');
            out.push_str(&exponent.to_string());
        }
        // An exponent beyond 64 bits: its text, which still tells it apart.
        None => out.push_str(text),
    }
}

/// RFC 8785's form: numbers as ECMAScript writes them, members sorted.
struct Canonical;

impl Style for Canonical {
    fn number(&self, text: &str, out: &mut String) {
        write_number(text, out);
    }

    fn order(&self, members: &mut [&(String, Json)]) {
        // §3.2.3: by the UTF-16 code units of the names, compared as they
        // are encoded (a list of them per name was a tenth of
        // canonicalizing).
        crate::order::sort_by(members, |(a, _), (b, _)| {
            a.encode_utf16().cmp(b.encode_utf16())
        });
    }
}

fn write_number(text: &str, out: &mut String) {
    // A whole number of at most 15 digits is exact as a double, and
    // ECMAScript writes it as its digits (`-0` as `0`): most numbers in
    // events are such counts, and this skips the float round trip.
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()) {
        out.push_str(if digits == "0" { digits } else { text });
        return;
    }
    write_float(text, out);
}

fn write_float(text: &str, out: &mut String) {
    match nearest::nearest(text) {
        Some(n) => {
            let mut buf = ryu_js::Buffer::new();
            out.push_str(buf.format_finite(n));
        }
        None => out.push_str(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::json::parse;

    fn jcs(text: &str) -> String {
        canonicalize(&parse(text).unwrap())
    }

    #[test]
    fn the_same_payload_is_told_by_exact_numbers() {
        let same = |a: &str, b: &str| same_payload(&parse(a).unwrap(), &parse(b).unwrap());
        // Spelling, member order and whitespace are no difference.
        assert!(same(
            r#"{"a":1.50,"b":[15e-1]}"#,
            r#"{ "b": [0.15E1], "a": 1.5 }"#
        ));
        assert!(same("0", "-0.000e7"));
        assert!(same("100", "1e2"));
        assert!(same("1e999999999999999999", "1e999999999999999999"));
        // Values a double cannot tell apart are two payloads.
        for (a, b) in [
            ("9007199254740992", "9007199254740993"),
            ("10000000.000000001", "10000000.000000002"),
            ("1706745600123456789", "1706745600123456790"),
        ] {
            assert_eq!(jcs(a), jcs(b), "RFC 8785 writes {a} and {b} alike");
            assert!(!same(a, b), "{a} {b}");
        }
        assert!(!same("1e999999999999999999", "1e999999999999999998"));
        assert!(!same(r#"{"a":1}"#, r#"{"a":"1"}"#));
        assert!(!same("-1", "1"));
    }

    #[test]
    fn sorts_members_and_drops_whitespace() {
        assert_eq!(
            jcs(r#"{ "b": 2, "a": [ 1, {"d":1,"c":2} ] }"#),
            r#"{"a":[1,{"c":2,"d":1}],"b":2}"#
        );
    }

    #[test]
    fn whole_numbers_skip_the_float_round_trip_with_the_same_text() {
        let mut n: i64 = 1;
        let mut cases = vec![
            "0".to_string(),
            "-0".to_string(),
            "999999999999999".to_string(),
        ];
        while n <= 100_000_000_000_000_000 {
            cases.extend([n.to_string(), (-n).to_string(), (n * 7 + 3).to_string()]);
            n *= 10;
        }
        for text in cases {
            let (mut fast, mut float) = (String::new(), String::new());
            write_number(&text, &mut fast);
            write_float(&text, &mut float);
            assert_eq!(fast, float, "{text}");
        }
    }

    #[test]
    fn formats_numbers_as_ecmascript() {
        assert_eq!(
            jcs("[1.0, 1e3, 0.000001, 1e-7, -0, 1E21, 123456789012345678901]"),
            "[1,1000,0.000001,1e-7,0,1e+21,123456789012345680000]"
        );
    }

    #[test]
    fn rfc8785_sort_example_orders_by_utf16() {
        // From RFC 8785 §3.2.3: "\u20ac" (euro) sorts after "\ud83d\ude00" in UTF-16.
        let text = r#"{"€":1,"😀":2,"\r":3,"1":4,"ö":5}"#;
        assert_eq!(jcs(text), "{\"\\r\":3,\"1\":4,\"ö\":5,\"€\":1,\"😀\":2}");
    }

    #[test]
    fn escapes_minimally() {
        assert_eq!(jcs(r#""\u0041\u001f\/\"""#), r#""A\u001f/\"""#);
    }

    #[test]
    fn keeps_out_of_range_numbers_distinct() {
        assert_eq!(jcs("[1e400]"), "[1e400]");
        assert_ne!(jcs("[1e400]"), jcs("[1e401]"));
    }
}
