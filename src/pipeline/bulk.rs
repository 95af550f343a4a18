//! Bulk input: many events pasted or uploaded at once.
//!
//! Contract: [`split`] accepts a JSON array or NDJSON (one JSON value per
//! line) and returns each item's exact text with the line it starts on, so
//! each event keeps its raw text for the audit trail and every outcome can be
//! traced to its line. A malformed array is refused as a whole with its line
//! and column; malformed NDJSON lines are items like any other, and the
//! ledger rejects them one by one.

use crate::pipeline::json::{self, JsonError};

/// The largest bulk input accepted, in bytes.
pub const MAX_BULK_BYTES: usize = 64 * 1024 * 1024;

/// One item of a bulk input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<'a> {
    /// 1-based line where the item starts.
    pub line: usize,
    /// 1-based position in a JSON array, whose items may share a line;
    /// `None` for an NDJSON line.
    pub element: Option<usize>,
    /// The item's exact source text.
    pub text: &'a str,
}

impl Item<'_> {
    /// Where the item is, in words: `line 3`, or `item 2 (line 1)` for an
    /// array, whose items may share a line.
    pub fn place(&self) -> String {
        match self.element {
            // Grouped as every count the app shows ("line 17,001").
            Some(n) => format!(
                "item {} (line {})",
                crate::report::display::count(n as u64),
                crate::report::display::count(self.line as u64)
            ),
            None => format!("line {}", crate::report::display::count(self.line as u64)),
        }
    }
}

/// Splits bulk input into items.
pub fn split(input: &str) -> Result<Vec<Item<'_>>, JsonError> {
    if input.len() > MAX_BULK_BYTES {
        return Err(JsonError {
            line: 1,
            column: 1,
            message: format!(
                "the input is {} bytes; the limit is {MAX_BULK_BYTES} bytes",
                input.len()
            ),
        });
    }
    // A file saved with a UTF-8 byte-order mark (as some Windows tools do)
    // is the same file: the mark must not make an array look like NDJSON.
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    if input.trim_start().starts_with('[') {
        let parts = json::split_array(input)?;
        let base = input.as_ptr() as usize;
        // Items come in order, so each one's line is the last one's plus
        // the newlines between them: counted from the start for every item,
        // a 30,000-item array on one line froze the page for 29 s (an
        // outside review).
        let (mut counted, mut line) = (0, 1);
        return Ok(parts
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let offset = text.as_ptr() as usize - base;
                line += input.as_bytes()[counted..offset]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                counted = offset;
                Item {
                    line,
                    element: Some(i + 1),
                    text,
                }
            })
            .collect());
    }
    Ok(input
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Item {
            line: i + 1,
            element: None,
            text: l.trim_end_matches('\r'),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_keeps_lines_and_skips_blanks() {
        let items = split("{\"a\":1}\n\n{oops\r\n{\"b\":2}").unwrap();
        let lines: Vec<_> = items.iter().map(|i| (i.line, i.text)).collect();
        assert_eq!(lines, [(1, "{\"a\":1}"), (3, "{oops"), (4, "{\"b\":2}")]);
    }

    #[test]
    fn arrays_keep_each_element_and_its_line() {
        let items = split("[\n  {\"a\": 1},\n  {\"b\":\n 2}\n]").unwrap();
        let lines: Vec<_> = items.iter().map(|i| (i.line, i.text)).collect();
        assert_eq!(lines, [(2, "{\"a\": 1}"), (3, "{\"b\":\n 2}")]);
        let one_line = split(r#"[{"a":1},{"b":2}]"#).unwrap();
        let places: Vec<String> = one_line.iter().map(Item::place).collect();
        assert_eq!(places, ["item 1 (line 1)", "item 2 (line 1)"]);
        assert_eq!(split("{}\n{}").unwrap()[1].place(), "line 2");
    }

    #[test]
    fn each_items_line_is_where_it_starts_however_many_there_are() {
        // Against the reference: the newlines before each item's start.
        let mut input = String::from("[\n");
        for i in 0..3_000 {
            let gap = ["", " ", "\n", "\n\n  "][i % 4];
            input.push_str(&format!("{gap}{{\"n\":{i},\"s\":\"a\\nb\"}},"));
        }
        input.push_str("{}\n]");
        let items = split(&input).unwrap();
        assert_eq!(items.len(), 3_001);
        for item in &items {
            let offset = item.text.as_ptr() as usize - input.as_ptr() as usize;
            assert_eq!(
                item.line,
                json::line_column(&input, offset).0,
                "{}",
                item.text
            );
        }
        // 200,000 items on one line: a second in a debug build; counting
        // each item's line from the start took minutes.
        let one_line = format!("[{}{{}}]", "{\"a\":1},".repeat(200_000));
        assert_eq!(split(&one_line).unwrap().len(), 200_001);
    }

    #[test]
    fn a_broken_array_is_refused_with_its_position() {
        let e = split("[{\"a\":1},\n {\"b\":]").unwrap_err();
        assert_eq!((e.line, e.column), (2, 7));
    }

    #[test]
    fn empty_input_has_no_items() {
        assert!(split("").unwrap().is_empty());
        assert!(split("  \n ").unwrap().is_empty());
        assert!(split("[]").unwrap().is_empty());
    }

    #[test]
    fn a_byte_order_mark_does_not_change_how_a_file_is_read() {
        let array = "\u{feff}[{\"a\":1},\n{\"b\":2}]";
        let items = split(array).expect("an array");
        assert_eq!(
            items.iter().map(|i| i.text).collect::<Vec<_>>(),
            [r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(items[1].line, 2);
        let ndjson = split("\u{feff}{\"a\":1}\n{\"b\":2}").expect("NDJSON");
        assert_eq!(
            ndjson[0].text, r#"{"a":1}"#,
            "the mark is not part of the first event"
        );
    }
}
