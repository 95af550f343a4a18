//! A strict RFC 8259 JSON reader for untrusted submissions.
//!
//! Contract: input text in, a [`Json`] tree out, or a [`JsonError`] that says
//! what is wrong and where (line and column, both 1-based, columns counted in
//! characters). Nothing else in Tally parses user input.
//!
//! Why not `serde_json::Value`:
//! - numbers must keep their exact text, so that `0.1` is never routed through
//!   an `f64` on the way to the decimal amount;
//! - objects must keep every member, duplicates included, so that
//!   `{"amount": 1, "amount": 2}` can be refused as ambiguous instead of
//!   silently keeping the last value;
//! - the size and nesting limits must be enforced before the work explodes,
//!   with a message a user can act on.

pub mod document;
mod parser;

use parser::Parser;
use std::fmt;

/// The largest submission, in bytes, that one event may take. Larger
/// payloads are refused before any parsing work is done.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// The deepest nesting of arrays and objects an event may have.
pub const MAX_DEPTH: usize = 32;

/// A parsed JSON value that keeps what Tally needs for exactness and audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number exactly as written, validated against the RFC 8259 grammar.
    Number(String),
    /// A string, escapes decoded.
    String(String),
    /// An array, in order.
    Array(Vec<Json>),
    /// Members in document order; duplicate names are kept so callers can
    /// refuse them rather than guess.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The members named `key`, in document order.
    pub fn members<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Json> + 'a {
        let members: &[(String, Json)] = match self {
            Json::Object(m) => m,
            _ => &[],
        };
        members
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The members whose key equals `key` ignoring ASCII case, with each
    /// key exactly as written.
    pub fn members_ignoring_case<'a>(
        &'a self,
        key: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Json)> + 'a {
        let members: &[(String, Json)] = match self {
            Json::Object(m) => m,
            _ => &[],
        };
        members
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// A short name of the value's type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// Compact JSON text of this value, used to show an original value in
    /// provenance. Numbers keep their exact text.
    pub fn to_compact(&self) -> String {
        let mut out = String::new();
        write_compact(self, &mut out);
        out
    }
}

fn write_compact(v: &Json, out: &mut String) {
    write_as(v, &Compact, out);
}

/// What tells one compact form of a tree from another: how a number is
/// written, and in which order an object's members go. The compact text
/// keeps both as written; RFC 8785 (`jcs`) rewrites numbers and sorts.
pub(crate) trait Style {
    /// Writes the number written as `text`.
    fn number(&self, text: &str, out: &mut String);
    /// Puts an object's members in the order they are written.
    fn order(&self, _members: &mut [&(String, Json)]) {}
}

struct Compact;

impl Style for Compact {
    fn number(&self, text: &str, out: &mut String) {
        out.push_str(text);
    }
}

/// Writes `v` without whitespace, numbers and member order as `style` says.
/// The style is dynamic: a copy of the writer per style was 3 KB of wasm,
/// and its two calls per number or object cost nothing measurable.
pub(crate) fn write_as(v: &Json, style: &dyn Style, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => style.number(n, out),
        Json::String(s) => write_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_as(item, style, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            let mut members: Vec<&(String, Json)> = members.iter().collect();
            style.order(&mut members);
            out.push('{');
            for (i, (k, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_as(item, style, out);
            }
            out.push('}');
        }
    }
}

/// `s` as a JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(s, &mut out);
    out
}

/// Writes `s` as a JSON string literal with the minimal escaping RFC 8785
/// prescribes (so the same function serves display and canonical form).
pub(crate) fn write_string(s: &str, out: &mut String) {
    // Copies the runs between escapes whole: character by character this
    // was a tenth of an import (every event is written canonically, and
    // its provenance for display). Escapes are ASCII, so a byte below 0x80
    // is a whole character and the runs end on character boundaries.
    out.reserve(s.len() + 2);
    out.push('"');
    let mut run = 0;
    for (i, &byte) in s.as_bytes().iter().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        run = i + 1;
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Why a text is not acceptable JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line of the offending character.
    pub line: usize,
    /// 1-based column, in characters, of the offending character.
    pub column: usize,
    /// What was wrong, in words a user can act on.
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid JSON at line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for JsonError {}

/// Parses one JSON document of at most [`MAX_EVENT_BYTES`] bytes.
pub fn parse(text: &str) -> Result<Json, JsonError> {
    parse_with_limit(text, MAX_EVENT_BYTES)
}

/// Parses one JSON document of at most `max_bytes` bytes.
pub fn parse_with_limit(text: &str, max_bytes: usize) -> Result<Json, JsonError> {
    if text.len() > max_bytes {
        return Err(JsonError {
            line: 1,
            column: 1,
            message: format!(
                "the submission is {} bytes; the limit is {} bytes",
                text.len(),
                max_bytes
            ),
        });
    }
    let mut p = Parser::new(text);
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error_here("unexpected text after the JSON value"));
    }
    Ok(value)
}

/// Splits the text of a top-level JSON array into the exact source text of
/// each element, validating every element as it goes. Bulk import uses this
/// so each event keeps its raw text for the audit trail.
pub fn split_array(text: &str) -> Result<Vec<&str>, JsonError> {
    let mut p = Parser::new(text);
    p.skip_ws();
    if p.peek() != Some(b'[') {
        return Err(p.error_here("expected a JSON array"));
    }
    p.pos += 1;
    let mut parts = Vec::new();
    p.skip_ws();
    if p.peek() == Some(b']') {
        p.pos += 1;
    } else {
        loop {
            p.skip_ws();
            let start = p.pos;
            p.value(1)?;
            parts.push(&text[start..p.pos]);
            p.skip_ws();
            match p.peek() {
                Some(b',') => p.pos += 1,
                Some(b']') => {
                    p.pos += 1;
                    break;
                }
                _ => return Err(p.error_here("expected ',' or ']' in the array")),
            }
        }
    }
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error_here("unexpected text after the JSON array"));
    }
    Ok(parts)
}

/// Computes the 1-based line and character column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    // Step back to a char boundary so a multi-byte character is not split.
    let mut end = offset;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> JsonError {
        parse(text).expect_err("should be refused")
    }

    #[test]
    fn strings_are_escaped_as_rfc_8785_says_whatever_they_hold() {
        // The reference: character by character, as RFC 8785 words it.
        fn reference(s: &str) -> String {
            let mut out = String::from('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        let alphabet: Vec<char> = (0u32..0x20)
            .filter_map(char::from_u32)
            .chain("\"\\/aZ ~\u{7f}é€😀\u{2028}".chars())
            .collect();
        let mut rng = crate::rng::SeededRng::new(8785);
        for len in 0..200 {
            let s: String = (0..len % 23)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect();
            let mut out = String::new();
            write_string(&s, &mut out);
            assert_eq!(out, reference(&s), "{s:?}");
            assert_eq!(parse(&out).unwrap(), Json::String(s));
        }
    }

    #[test]
    fn keeps_exact_number_text() {
        let v = parse(r#"{"a": 0.1, "b": 1.2e3, "c": -0}"#).unwrap();
        assert_eq!(
            v,
            Json::Object(vec![
                ("a".into(), Json::Number("0.1".into())),
                ("b".into(), Json::Number("1.2e3".into())),
                ("c".into(), Json::Number("-0".into())),
            ])
        );
    }

    #[test]
    fn keeps_duplicate_members_in_order() {
        let v = parse(r#"{"amount": 1, "amount": 2}"#).unwrap();
        let found: Vec<_> = v.members("amount").cloned().collect();
        assert_eq!(
            found,
            vec![Json::Number("1".into()), Json::Number("2".into())]
        );
    }

    #[test]
    fn reports_line_and_column() {
        let e = err("{\n  \"a\": 1,\n  \"b\": tru\n}");
        assert_eq!((e.line, e.column), (3, 8));
        assert!(e.message.contains("expected a JSON value"), "{}", e.message);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = err("{\"é\": x}");
        assert_eq!((e.line, e.column), (1, 7));
    }

    #[test]
    fn refuses_bad_grammar() {
        for bad in [
            "",
            "01",
            "1.",
            ".5",
            "+1",
            "1e",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "'a'",
            "NaN",
            "Infinity",
            "0x10",
            "[1 2]",
            "\"\\x\"",
            "\"a\tb\"",
            "1 2",
            "{\"a\" 1}",
            "tru",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let v = parse(r#""a\n\u00e9\ud83d\ude00\/""#).unwrap();
        assert_eq!(v, Json::String("a\né😀/".into()));
        assert!(err(r#""\ud800""#).message.contains("surrogate"));
        assert!(err(r#""\udc00x""#).message.contains("surrogate"));
    }

    #[test]
    fn enforces_size_and_depth_limits() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(err(&deep).message.contains("nesting"));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let big = format!("\"{}\"", "a".repeat(MAX_EVENT_BYTES));
        assert!(err(&big).message.contains("limit"));
    }

    #[test]
    fn unclosed_string_points_at_its_start() {
        let e = err("{\"a\": \"abc");
        assert_eq!((e.line, e.column), (1, 7));
        assert!(e.message.contains("never closed"));
        // Closed on a later line: the quote forgotten at the line's end.
        let e = err("{\"a\": \"abc\n, \"b\": \"x\"}");
        assert_eq!((e.line, e.column), (1, 7));
        assert_eq!(
            e.message,
            "this string is not closed before the end of its line (a line break inside one is written \\n)"
        );
        let tab = err("[\"a\tb\"]");
        assert!(
            tab.message
                .starts_with("control characters must be escaped"),
            "{tab:?}"
        );
    }

    #[test]
    fn splits_arrays_into_exact_element_text() {
        let parts = split_array(" [ {\"a\": 1.50} ,2, \"x,y\" ] ").unwrap();
        assert_eq!(parts, vec!["{\"a\": 1.50}", "2", "\"x,y\""]);
        assert_eq!(split_array("[]").unwrap(), Vec::<&str>::new());
        assert!(split_array("{}").is_err());
        assert!(split_array("[1,]").is_err());
    }

    #[test]
    fn compact_form_round_trips() {
        let text = r#"{"a":[1,2.50,{"b":"q\"uote\n"}],"c":null,"d":true}"#;
        assert_eq!(parse(text).unwrap().to_compact(), text);
    }
}
