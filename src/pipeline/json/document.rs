//! Tally's own JSON documents: backups, the rules, outbox items, and the
//! records of segment format 1.
//!
//! Contract: [`Fields`] reads one object strictly. Every member is named at
//! most once, each has the type its document declares, a missing optional
//! member or `null` reads as absent, and [`Fields::only`] refuses members a
//! document does not know. An error is a [`DocError`] naming the member's
//! path (`records[3].verdict.event.amount`) and what is wrong with it.
//! Writing builds a [`Json`] value; [`Json::to_compact`] and
//! [`Json::to_pretty`] write it with members in the order given.
//!
//! Why not serde: its derives and serde_json were an eighth of the browser
//! build's code, for five small documents. These documents were written by
//! serde_json until then; `tests/documents.rs` holds some it wrote and
//! checks that each reads back and is written again byte for byte.

use super::{write_string, Json};
use std::fmt;
use std::str::FromStr;

/// Why a document, or one of its members, does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError {
    /// Where: member names and list positions from the document's root,
    /// empty for the root itself.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl DocError {
    /// An error at the value being read.
    pub fn new(message: impl Into<String>) -> DocError {
        DocError {
            path: String::new(),
            message: message.into(),
        }
    }

    /// The same error, seen from the object that holds the value as `name`.
    /// A name that is not a plain word (a client's, say) is quoted, so
    /// `clients["a.b"].defaults` cannot read as three levels.
    pub fn within(self, name: &str) -> DocError {
        let plain = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        match plain {
            true => self.prefixed(name.to_string()),
            false => self.prefixed(format!("[{}]", super::quote(name))),
        }
    }

    /// The same error, seen from the list that holds the value at `index`.
    pub fn at(self, index: usize) -> DocError {
        self.prefixed(format!("[{index}]"))
    }

    fn prefixed(mut self, step: String) -> DocError {
        self.path = if self.path.is_empty() || self.path.starts_with('[') {
            step + &self.path
        } else {
            format!("{step}.{}", self.path)
        };
        self
    }
}

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DocError {}

/// How a value is named in an error: as a reader of the document sees it,
/// with the value itself when it is short.
fn found(value: &Json) -> String {
    match value {
        Json::String(s) if s.chars().count() <= 40 => format!("the text {}", super::quote(s)),
        Json::String(_) => "a text".into(),
        Json::Number(n) if n.len() <= 40 => format!("the number {n}"),
        Json::Number(_) => "a number".into(),
        Json::Array(_) => "a list [ … ]".into(),
        Json::Object(_) => "an object { … }".into(),
        scalar => scalar.to_compact(),
    }
}

fn wrong(value: &Json, expected: &str) -> DocError {
    DocError::new(format!(
        "{} is here, where {expected} belongs",
        found(value)
    ))
}

/// `value` as text.
pub fn text(value: &Json) -> Result<&str, DocError> {
    match value {
        Json::String(s) => Ok(s),
        other => Err(wrong(other, "a text in quotes")),
    }
}

/// `value` as a whole number of type `T`.
pub fn whole<T: FromStr>(value: &Json) -> Result<T, DocError> {
    match value {
        Json::Number(n) if n.bytes().all(|b| b.is_ascii_digit()) => n
            .parse()
            .map_err(|_| DocError::new(format!("{n} is too large here"))),
        other => Err(wrong(other, "a whole number")),
    }
}

/// Reads a whole document from its text with `read`. A text that is not
/// JSON is an error saying where; no size limit applies, as to Tally's own
/// documents none should.
pub fn read_text<T>(
    text: &str,
    read: impl FnOnce(&Json) -> Result<T, DocError>,
) -> Result<T, DocError> {
    let value =
        super::parse_with_limit(text, usize::MAX).map_err(|e| DocError::new(e.to_string()))?;
    read(&value)
}

/// `value` as one of `all`, by the name `name` gives each.
pub fn one_of<T: Copy>(
    value: &Json,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, DocError> {
    let found = text(value)?;
    all.iter()
        .copied()
        .find(|&t| name(t) == found)
        .ok_or_else(|| {
            DocError::new(format!(
                "'{found}' is not one of the choices, which are {}",
                all.iter()
                    .map(|&t| format!("'{}'", name(t)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// `value` as a list of texts.
pub fn texts(value: &Json) -> Result<Vec<String>, DocError> {
    each(value, |item| text(item).map(str::to_string))
}

/// `value` as a list.
pub fn list(value: &Json) -> Result<&[Json], DocError> {
    match value {
        Json::Array(items) => Ok(items),
        other => Err(wrong(other, "a list [ … ]")),
    }
}

/// Reads every item of a list with `read`, naming the position of the
/// first that does not read.
pub fn each<T>(
    value: &Json,
    read: impl Fn(&Json) -> Result<T, DocError>,
) -> Result<Vec<T>, DocError> {
    list(value)?
        .iter()
        .enumerate()
        .map(|(i, item)| read(item).map_err(|e| e.at(i)))
        .collect()
}

/// The members of one object, read by name.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    members: &'a [(String, Json)],
}

impl<'a> Fields<'a> {
    /// The members of `value`, which must be an object naming each member
    /// once: a second value for a name is refused, never one of them kept.
    pub fn of(value: &'a Json) -> Result<Fields<'a>, DocError> {
        let Json::Object(members) = value else {
            return Err(wrong(value, "an object { … }"));
        };
        for (i, (name, _)) in members.iter().enumerate() {
            if members[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(DocError::new(format!("'{name}' is given twice")));
            }
        }
        Ok(Fields { members })
    }

    /// Refuses a member whose name is not in `known`, so a misspelt name
    /// is reported instead of ignored.
    pub fn only(self, known: &[&str]) -> Result<Fields<'a>, DocError> {
        match self
            .members
            .iter()
            .find(|(name, _)| !known.contains(&name.as_str()))
        {
            Some((name, _)) => Err(DocError::new(format!(
                "unknown name '{name}'; the names allowed here are {}",
                known
                    .iter()
                    .map(|k| format!("'{k}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            None => Ok(self),
        }
    }

    /// Every member, in document order.
    pub fn members(&self) -> &'a [(String, Json)] {
        self.members
    }

    /// The member `name`, if present and not `null`.
    pub fn optional(&self, name: &str) -> Option<&'a Json> {
        self.members
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .filter(|v| **v != Json::Null)
    }

    /// The member `name`, which must be present.
    pub fn value(&self, name: &str) -> Result<&'a Json, DocError> {
        self.optional(name)
            .ok_or_else(|| DocError::new(format!("'{name}' is missing")))
    }

    /// Reads the member `name` with `read`, naming it in any error.
    pub fn read<T>(
        &self,
        name: &str,
        read: impl FnOnce(&'a Json) -> Result<T, DocError>,
    ) -> Result<T, DocError> {
        read(self.value(name)?).map_err(|e| e.within(name))
    }

    /// Reads the member `name` with `read` if present, naming it in any error.
    pub fn read_optional<T>(
        &self,
        name: &str,
        read: impl FnOnce(&'a Json) -> Result<T, DocError>,
    ) -> Result<Option<T>, DocError> {
        self.optional(name)
            .map(|v| read(v).map_err(|e| e.within(name)))
            .transpose()
    }

    /// The text member `name`.
    pub fn text(&self, name: &str) -> Result<&'a str, DocError> {
        self.read(name, text)
    }

    /// The text member `name`, if present.
    pub fn optional_text(&self, name: &str) -> Result<Option<String>, DocError> {
        self.read_optional(name, |v| text(v).map(str::to_string))
    }

    /// The whole-number member `name`.
    pub fn whole<T: FromStr>(&self, name: &str) -> Result<T, DocError> {
        self.read(name, whole)
    }

    /// The `true` or `false` member `name`.
    pub fn flag(&self, name: &str) -> Result<bool, DocError> {
        self.read(name, |v| match v {
            Json::Bool(b) => Ok(*b),
            other => Err(wrong(other, "true or false")),
        })
    }

    /// The list of texts `name`; empty when absent.
    pub fn texts(&self, name: &str) -> Result<Vec<String>, DocError> {
        Ok(self.read_optional(name, texts)?.unwrap_or_default())
    }
}

/// An object's members, for writing: `("name", value)` in document order.
pub fn object<const N: usize>(members: [(&str, Json); N]) -> Json {
    Json::Object(
        members
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect(),
    )
}

/// Text, for writing.
pub fn string(s: impl Into<String>) -> Json {
    Json::String(s.into())
}

/// A whole number, for writing.
pub fn number(n: impl fmt::Display) -> Json {
    Json::Number(n.to_string())
}

/// A list of texts, for writing.
pub fn strings(items: &[String]) -> Json {
    Json::Array(items.iter().cloned().map(Json::String).collect())
}

impl Json {
    /// Pretty JSON text of this value, two spaces a level, `"name": value`,
    /// as serde_json's pretty printer wrote backups and the rules.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        write_pretty(self, 0, &mut out);
        out
    }

    /// Adds a member to an object, for writing one whose members depend on
    /// its values (an optional member is left out when absent).
    pub fn with(mut self, name: &str, value: Json) -> Json {
        if let Json::Object(members) = &mut self {
            members.push((name.to_string(), value));
        }
        self
    }
}

fn write_pretty(value: &Json, level: usize, out: &mut String) {
    let indent = |out: &mut String, level: usize| {
        out.push('\n');
        (0..level).for_each(|_| out.push_str("  "));
    };
    match value {
        Json::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_pretty(item, level + 1, out);
            }
            indent(out, level);
            out.push(']');
        }
        Json::Object(members) if !members.is_empty() => {
            out.push('{');
            for (i, (name, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_string(name, out);
                out.push_str(": ");
                write_pretty(item, level + 1, out);
            }
            indent(out, level);
            out.push('}');
        }
        other => out.push_str(&other.to_compact()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::json::parse;

    fn doc(text: &str) -> Json {
        parse(text).unwrap()
    }

    #[test]
    fn an_error_names_the_member_path() {
        let value = doc(r#"{"records":[{"id":{"seq":1}},{"id":{"seq":"2"}}]}"#);
        let read = |v: &Json| -> Result<Vec<u64>, DocError> {
            Fields::of(v)?.read("records", |r| {
                each(r, |item| {
                    Fields::of(item)?.read("id", |id| Fields::of(id)?.whole("seq"))
                })
            })
        };
        let e = read(&value).unwrap_err();
        assert_eq!(e.path, "records[1].id.seq");
        let odd = DocError::new("x")
            .within("amount")
            .within("a.b")
            .within("clients");
        assert_eq!(odd.path, r#"clients["a.b"].amount"#);
        assert_eq!(
            DocError::new("x").within("").within("clients").path,
            r#"clients[""]"#
        );
        assert_eq!(
            e.to_string(),
            "records[1].id.seq: the text \"2\" is here, where a whole number belongs"
        );
    }

    #[test]
    fn members_are_named_once_known_and_typed() {
        let twice = Fields::of(&doc(r#"{"a":1,"a":2}"#)).unwrap_err();
        assert_eq!(twice.message, "'a' is given twice");
        let unknown = Fields::of(&doc(r#"{"a":1,"b":2}"#))
            .unwrap()
            .only(&["a"])
            .unwrap_err();
        assert_eq!(
            unknown.message,
            "unknown name 'b'; the names allowed here are 'a'"
        );
        let v = doc(r#"{"n":null,"t":"x","f":true,"w":-1,"d":1.5,"big":99999999999999999999}"#);
        let f = Fields::of(&v).unwrap();
        assert_eq!(f.optional_text("n").unwrap(), None);
        assert_eq!(f.optional_text("absent").unwrap(), None);
        assert_eq!(f.text("n").unwrap_err().message, "'n' is missing");
        assert_eq!(f.text("t").unwrap(), "x");
        assert!(f.flag("f").unwrap());
        assert!(f.flag("t").is_err());
        assert!(f.whole::<u64>("w").is_err(), "negative");
        assert!(f.whole::<u64>("d").is_err(), "fraction");
        assert_eq!(
            f.whole::<u64>("big").unwrap_err().message,
            "99999999999999999999 is too large here"
        );
        assert_eq!(f.texts("absent").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn pretty_text_is_serde_jsons() {
        let v = object([
            ("a", strings(&["x\"y".into()])),
            ("e", Json::Array(vec![])),
            ("o", Json::Object(vec![])),
            ("n", Json::Null),
            ("m", object([("k", number(1))])),
        ]);
        assert_eq!(
            v.to_pretty(),
            "{\n  \"a\": [\n    \"x\\\"y\"\n  ],\n  \"e\": [],\n  \"o\": {},\n  \"n\": null,\n  \"m\": {\n    \"k\": 1\n  }\n}"
        );
    }
}
