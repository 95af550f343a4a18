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
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(n),
        Json::String(s) => write_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_compact(item, out);
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
    out.push('"');
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

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> JsonError {
        let (line, column) = line_column(self.text, offset);
        JsonError {
            line,
            column,
            message: message.into(),
        }
    }

    fn error_here(&self, message: &str) -> JsonError {
        let found = match self.text[self.pos.min(self.text.len())..].chars().next() {
            None => "the end of the input".to_string(),
            Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
            Some(c) => format!("'{c}'"),
        };
        self.error_at(self.pos, format!("{message}, found {found}"))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            _ => Err(self.error_here("expected a JSON value")),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error_at(
                self.pos,
                format!("nesting is deeper than the limit of {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error_here("expected a JSON value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.check_depth(depth)?;
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error_here("expected a member name in double quotes"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error_here("expected ':' after the member name"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error_here("expected ',' or '}' in the object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.check_depth(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error_here("expected ',' or ']' in the array")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error_here("a number may not have a leading zero"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error_here("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error_here("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error_here("expected a digit in the exponent"));
            }
        }
        Ok(Json::Number(self.text[start..self.pos].to_string()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.error_here("expected four hex digits after \\u")),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let open = self.pos;
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one step.
            let run_start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.error_at(open, "this string is never closed")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let escape_at = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape(escape_at)?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error_here("unknown escape sequence")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(self.error_here("control characters must be escaped in strings"))
                }
            }
        }
    }

    fn unicode_escape(&mut self, escape_at: usize) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.pos..].starts_with(b"\\u") {
                return Err(self.error_at(escape_at, "a lone UTF-16 surrogate is not text"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error_at(escape_at, "a lone UTF-16 surrogate is not text"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else if (0xDC00..0xE000).contains(&first) {
            return Err(self.error_at(escape_at, "a lone UTF-16 surrogate is not text"));
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error_at(escape_at, "not a Unicode scalar value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> JsonError {
        parse(text).expect_err("should be refused")
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
