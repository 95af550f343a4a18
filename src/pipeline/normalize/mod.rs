//! Normalization: one raw submission in, one strict canonical event out.
//!
//! Contract: [`normalize`] reads JSON text with [`crate::pipeline::json`], finds each
//! canonical field through the [`Rules`] (top level first, then one level
//! inside each envelope), coerces it exactly, and returns a [`Normalized`]
//! event with the provenance of every field, or a [`Rejection`] that lists
//! every problem found, field by field. It never guesses:
//! - two names for one field with different values are refused as ambiguous;
//! - a missing required field is refused unless the client's rule names an
//!   explicit default;
//! - `null` counts as absent, because SDKs send `"event_id": null` routinely.
//!
//! The function is pure: the same text and rules always give the same result.

use crate::pipeline::amount::Amount;
use crate::pipeline::json::document::{each, number, object, string, DocError, Fields};
use crate::pipeline::json::{self, Json, JsonError};
use crate::pipeline::rules::{ClientRule, Field, Rules};
use crate::pipeline::timestamp::{self, DateOrder};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::fmt;

mod find;

pub use find::AliasIndex;
use find::Members;

/// The longest client id, metric or idempotency key accepted, in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// The canonical fields of an event, before it gets an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The client id, trimmed.
    pub client_id: String,
    /// The metric name, trimmed.
    pub metric: String,
    /// The exact amount.
    pub amount: Amount,
    /// The instant, in UTC.
    pub timestamp: DateTime<Utc>,
    /// The client's own identity for the event, if it sent one.
    pub idempotency_key: Option<String>,
    /// How each field was found and converted, in [`Field::ALL`] order;
    /// empty when normalizing was told [`Explain::Nothing`].
    pub provenance: Vec<Provenance>,
}

/// Whether normalizing says how each field was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explain {
    /// With every field's [`Provenance`]: one submission, whose answer
    /// shows it.
    Fields,
    /// Without: a bulk import shows a line per submission and never how its
    /// fields were read, and writing that down (each value's JSON, its
    /// canonical text, the conversion's words) was a fifth of normalizing.
    Nothing,
}

/// Where one canonical field came from, so the UI can explain the result:
/// `amount ← payload.sum: "250.50" → 250.5 (numeric string)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The canonical field this explains.
    pub field: Field,
    /// Dotted path in the submission, or `default (client rule)`.
    pub path: String,
    /// The original value as compact JSON.
    pub original: String,
    /// The canonical value as text.
    pub value: String,
    /// How the original was read.
    pub conversion: String,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ← {}: {} → {} ({})",
            self.field, self.path, self.original, self.value, self.conversion
        )
    }
}

/// One reason a submission cannot be normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The canonical field concerned, or `None` for the event as a whole.
    pub field: Option<Field>,
    /// Where the offending value was found, if anywhere.
    pub path: Option<String>,
    /// The offending value as compact JSON, if there was one.
    pub found: Option<String>,
    /// Why the value was refused, in words a user can act on.
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}")?,
            None => write!(f, "event")?,
        }
        match (&self.path, &self.found) {
            (Some(p), Some(v)) => write!(f, " (at {p}, found {v})")?,
            (Some(p), None) => write!(f, " (at {p})")?,
            _ => {}
        }
        write!(f, ": {}", self.reason)
    }
}

/// Why a submission was refused. Serializable because the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The text is not JSON.
    InvalidJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error, in characters.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// JSON, but not an object (an array belongs in bulk import).
    NotAnObject {
        /// The kind of value found instead of an object.
        found: String,
    },
    /// An object whose fields cannot be normalized; every problem is listed.
    Fields {
        /// Every field-level problem.
        errors: Vec<FieldError>,
    },
}

impl From<JsonError> for Rejection {
    fn from(e: JsonError) -> Self {
        Rejection::InvalidJson {
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::InvalidJson {
                line,
                column,
                message,
            } => write!(f, "invalid JSON at line {line}, column {column}: {message}"),
            Rejection::NotAnObject { found } => {
                write!(f, "an event must be a JSON object, found {found}")
            }
            Rejection::Fields { errors } => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
        }
    }
}

impl FieldError {
    /// The reason as the ledger records it, inside a [`Rejection`].
    pub fn to_json(&self) -> Json {
        let optional = |text: &Option<String>| text.clone().map_or(Json::Null, Json::String);
        object([
            ("field", self.field.map_or(Json::Null, |f| string(f.name()))),
            ("path", optional(&self.path)),
            ("found", optional(&self.found)),
            ("reason", string(self.reason.clone())),
        ])
    }

    /// Reads what [`FieldError::to_json`] writes.
    pub fn from_json(value: &Json) -> Result<FieldError, DocError> {
        let f = Fields::of(value)?;
        Ok(FieldError {
            field: f.read_optional("field", Field::from_json)?,
            path: f.optional_text("path")?,
            found: f.optional_text("found")?,
            reason: f.text("reason")?.to_string(),
        })
    }
}

impl Rejection {
    /// The refusal as the ledger records it: `kind` names the variant.
    pub fn to_json(&self) -> Json {
        match self {
            Rejection::InvalidJson {
                line,
                column,
                message,
            } => object([
                ("kind", string("invalid_json")),
                ("line", number(line)),
                ("column", number(column)),
                ("message", string(message.clone())),
            ]),
            Rejection::NotAnObject { found } => object([
                ("kind", string("not_an_object")),
                ("found", string(found.clone())),
            ]),
            Rejection::Fields { errors } => object([
                ("kind", string("fields")),
                (
                    "errors",
                    Json::Array(errors.iter().map(FieldError::to_json).collect()),
                ),
            ]),
        }
    }

    /// Reads what [`Rejection::to_json`] writes.
    pub fn from_json(value: &Json) -> Result<Rejection, DocError> {
        let f = Fields::of(value)?;
        match f.text("kind")? {
            "invalid_json" => Ok(Rejection::InvalidJson {
                line: f.whole("line")?,
                column: f.whole("column")?,
                message: f.text("message")?.to_string(),
            }),
            "not_an_object" => Ok(Rejection::NotAnObject {
                found: f.text("found")?.to_string(),
            }),
            "fields" => Ok(Rejection::Fields {
                errors: f.read("errors", |v| each(v, FieldError::from_json))?,
            }),
            other => {
                Err(DocError::new(format!(
                    "'{other}' is not a kind of refusal; the kinds are 'invalid_json', 'not_an_object', 'fields'"
                ))
                .within("kind"))
            }
        }
    }

    /// Whether the text was a JSON array: many events, most often, sent as
    /// one. (`found` holds [`Json::kind`]'s words.)
    pub fn found_an_array(&self) -> bool {
        matches!(self, Rejection::NotAnObject { found } if found == Json::Array(Vec::new()).kind())
    }

    /// Every reason on its own line, for a page that lists them.
    pub fn reasons(&self) -> Vec<String> {
        match self {
            Rejection::Fields { errors } => errors.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// Normalizes one submission's text.
pub fn normalize(text: &str, rules: &Rules) -> Result<Normalized, Rejection> {
    let root = json::parse(text)?;
    normalize_value(&root, rules)
}

/// Normalizes an already parsed submission.
pub fn normalize_value(root: &Json, rules: &Rules) -> Result<Normalized, Rejection> {
    normalize_indexed(root, rules, &AliasIndex::new(rules), Explain::Fields)
}

/// Normalizes an already parsed submission with `rules` arranged once for
/// many submissions; `index` must be [`AliasIndex::new`] of `rules`. The
/// event and every refusal are the same whatever `explain` says.
pub fn normalize_indexed(
    root: &Json,
    rules: &Rules,
    index: &AliasIndex,
    explain: Explain,
) -> Result<Normalized, Rejection> {
    if !matches!(root, Json::Object(_)) {
        return Err(Rejection::NotAnObject {
            found: root.kind().to_string(),
        });
    }
    let mut members = Members::of(root, index);
    let mut errors = Vec::new();
    let mut provenance = Vec::new();
    let mut take = |r: Result<Option<(Value, Option<Provenance>)>, FieldError>| match r {
        Ok(Some((v, p))) => {
            provenance.extend(p);
            Some(v)
        }
        Ok(None) => None,
        Err(e) => {
            errors.push(e);
            None
        }
    };

    let client_id = take(resolve(&members, None, Field::ClientId, explain));
    let rule = match &client_id {
        Some(Value::Text(client)) => {
            members.for_client(client, index);
            rules.client(client)
        }
        _ => None,
    };
    let metric = take(resolve(&members, rule, Field::Metric, explain));
    let amount = take(resolve(&members, rule, Field::Amount, explain));
    let timestamp = take(resolve(&members, rule, Field::Timestamp, explain));
    let idempotency_key = take(resolve(&members, rule, Field::IdempotencyKey, explain));

    match (client_id, metric, amount, timestamp, idempotency_key) {
        (
            Some(Value::Text(client_id)),
            Some(Value::Text(metric)),
            Some(Value::Amount(amount)),
            Some(Value::Instant(timestamp)),
            key @ (None | Some(Value::Text(_))),
        ) if errors.is_empty() => Ok(Normalized {
            client_id,
            metric,
            amount,
            timestamp,
            // The pattern leaves a key's text or none.
            idempotency_key: match key {
                Some(Value::Text(key)) => Some(key),
                _ => None,
            },
            provenance,
        }),
        _ => Err(Rejection::Fields { errors }),
    }
}

/// A field's value as its coercion produced it, so it is never read back
/// from its text.
#[derive(Debug, PartialEq)]
enum Value {
    /// A client id, metric or idempotency key.
    Text(String),
    Amount(Amount),
    Instant(DateTime<Utc>),
}

impl Value {
    /// The value's canonical text, as provenance shows it.
    fn text(&self) -> String {
        match self {
            Value::Text(text) => text.clone(),
            Value::Amount(amount) => amount.to_string(),
            Value::Instant(instant) => timestamp::canonical(instant),
        }
    }
}

/// Resolves one field to its value and, if asked, its provenance; `None` if
/// it is absent and optional.
fn resolve(
    members: &Members<'_>,
    rule: Option<&ClientRule>,
    field: Field,
    explain: Explain,
) -> Result<Option<(Value, Option<Provenance>)>, FieldError> {
    let order = rule.and_then(|r| r.date_order);
    let found = members.candidates(field);
    let Some(first) = found.first() else {
        return default_for(rule, field)
            .map(|(value, provenance)| {
                Some((value, (explain == Explain::Fields).then_some(provenance)))
            })
            .or_else(|mut e| {
                if field == Field::IdempotencyKey {
                    return Ok(None);
                }
                // A key no rule reads is most often this field under a name
                // the rules do not know (`total`): say which keys those are.
                let unread = members.unread();
                if !unread.is_empty() && e.path.is_none() {
                    let quoted: Vec<String> = unread.iter().map(|k| json::quote(k)).collect();
                    // "For this client": another client's rule may read it (an
                    // outside review was told no rule did).
                    let whose = if field == Field::ClientId {
                        ""
                    } else {
                        " for this client"
                    };
                    e.reason = format!(
                        "{}; no rule{whose} reads the key{} {} (Rules can add one as an alias)",
                        e.reason,
                        if unread.len() == 1 { "" } else { "s" },
                        quoted.join(", ")
                    );
                }
                Err(e)
            });
    };
    // Every value is read before any two are compared, so that a value that
    // cannot be read is the refusal even beside a disagreement.
    let mut read = Vec::with_capacity(found.len());
    for c in &found {
        match coerce(field, c.value, order) {
            Ok((value, how)) => read.push((value, how)),
            Err(reason) => {
                return Err(FieldError {
                    field: Some(field),
                    path: Some(c.path.clone()),
                    found: Some(c.value.to_compact()),
                    reason,
                })
            }
        }
    }
    // Values, not their texts, are compared: a value's canonical text is
    // one-to-one with it (amounts are nano-units, instants keep every digit).
    if let Some(other) = read.iter().position(|(v, _)| *v != read[0].0) {
        let other = &found[other];
        // One key written twice (JSON allows it; parsers keep either) is
        // not two names: said so, not "at amount and amount".
        let (path, reason) = if first.path == other.path {
            (
                first.path.clone(),
                "this key is written twice, with different values; send it once",
            )
        } else {
            (
                format!("{} and {}", first.path, other.path),
                "two names for this field disagree; send one, or make them equal",
            )
        };
        return Err(FieldError {
            field: Some(field),
            path: Some(path),
            found: Some(format!(
                "{} and {}",
                first.value.to_compact(),
                other.value.to_compact()
            )),
            reason: reason.into(),
        });
    }
    let (value, how) = read.swap_remove(0);
    let provenance = (explain == Explain::Fields).then(|| Provenance {
        field,
        path: first.path.clone(),
        original: first.value.to_compact(),
        value: value.text(),
        conversion: how.into_owned(),
    });
    Ok(Some((value, provenance)))
}

fn default_for(rule: Option<&ClientRule>, field: Field) -> Result<(Value, Provenance), FieldError> {
    let defaults = rule.map(|r| &r.defaults);
    let order = rule.and_then(|r| r.date_order);
    let explicit = match field {
        Field::Metric => defaults.and_then(|d| d.metric.clone()),
        Field::Amount => defaults.and_then(|d| d.amount.clone()),
        Field::Timestamp => defaults.and_then(|d| d.timestamp.clone()),
        Field::ClientId | Field::IdempotencyKey => None,
    };
    let missing = || FieldError {
        field: Some(field),
        path: None,
        found: None,
        reason: match field {
            Field::ClientId => {
                "missing: no client name was found, so no client rule can apply".into()
            }
            _ => "missing, and the client's rule names no default".into(),
        },
    };
    let text = explicit.ok_or_else(missing)?;
    let json = Json::String(text);
    let (value, conversion) = coerce(field, &json, order).map_err(|reason| FieldError {
        field: Some(field),
        path: Some("default (client rule)".into()),
        found: Some(json.to_compact()),
        reason,
    })?;
    let provenance = Provenance {
        field,
        path: "default (client rule)".into(),
        original: json.to_compact(),
        value: value.text(),
        conversion: format!("{conversion}, explicit default"),
    };
    Ok((value, provenance))
}

/// Coerces one value for `field`: the value, and how it was read.
fn coerce(
    field: Field,
    value: &Json,
    order: Option<DateOrder>,
) -> Result<(Value, Cow<'static, str>), String> {
    match field {
        Field::ClientId | Field::Metric | Field::IdempotencyKey => {
            name(value).map(|(text, how)| (Value::Text(text), how.into()))
        }
        Field::Amount => {
            let (amount, how) = match value {
                Json::Number(n) => (Amount::from_json_number(n), "JSON number, exact"),
                Json::String(s) => (Amount::from_text(s), "numeric string"),
                other => {
                    return Err(format!(
                        "expected a number or a numeric string, found {}",
                        other.kind()
                    ))
                }
            };
            let amount = amount.map_err(|e| e.to_string())?;
            Ok((Value::Amount(amount), how.into()))
        }
        Field::Timestamp => {
            let parsed = match value {
                Json::Number(n) => timestamp::parse_number(n),
                Json::String(s) => timestamp::parse_text(s, order),
                other => {
                    return Err(format!(
                        "expected a date string or a Unix epoch number, found {}",
                        other.kind()
                    ))
                }
            };
            let p = parsed.map_err(|e| e.to_string())?;
            Ok((Value::Instant(p.instant), p.how.into()))
        }
    }
}

/// Names (client, metric, key) are non-empty trimmed text; integers are
/// accepted as their decimal text because SDKs often send numeric ids.
fn name(value: &Json) -> Result<(String, &'static str), String> {
    let (text, how) = match value {
        Json::String(s) => {
            let trimmed = s.trim();
            let how = if trimmed.len() == s.len() {
                "text"
            } else {
                "text, surrounding spaces removed"
            };
            (trimmed.to_string(), how)
        }
        // -0 is 0, as it is to RFC 8785: read as "-0", it named another
        // client than 0 in a payload the same as 0's, and the count
        // depended on which came first (an outside review).
        Json::Number(n) if n == "-0" => ("0".to_string(), "integer read as text"),
        Json::Number(n) if n.bytes().all(|b| b.is_ascii_digit() || b == b'-') => {
            (n.clone(), "integer read as text")
        }
        other => return Err(format!("expected text, found {}", other.kind())),
    };
    if text.is_empty() {
        return Err("is empty".into());
    }
    if text.chars().count() > MAX_NAME_CHARS {
        return Err(format!("is longer than {MAX_NAME_CHARS} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("contains control characters".into());
    }
    Ok((text, how))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::rules::ClientRule;

    fn ok(text: &str) -> Normalized {
        normalize(text, &Rules::default()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn rejected(text: &str) -> Vec<FieldError> {
        match normalize(text, &Rules::default()) {
            Err(Rejection::Fields { errors }) => errors,
            other => panic!("expected field errors for {text}, got {other:?}"),
        }
    }

    fn summary(n: &Normalized) -> (String, String, String, String) {
        (
            n.client_id.clone(),
            n.metric.clone(),
            n.amount.to_string(),
            timestamp::canonical(&n.timestamp),
        )
    }

    fn s(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
        (a.into(), b.into(), c.into(), d.into())
    }

    #[test]
    fn the_three_seed_shapes() {
        let a = ok(
            r#"{"source":"client_A","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#,
        );
        assert_eq!(
            summary(&a),
            s("client_A", "sale", "1200", "2024-01-01T00:00:00Z")
        );
        let b = ok(
            r#"{"client":"client_B","payload":{"type":"purchase","value":5000,"time":"2024-12-01"}}"#,
        );
        assert_eq!(
            summary(&b),
            s("client_B", "purchase", "5000", "2024-12-01T00:00:00Z")
        );
        let c = ok(
            r#"{"source":"client_C","payload":{"metricName":"refund","sum":"250.50","created_at":"2024/12/15"}}"#,
        );
        assert_eq!(
            summary(&c),
            s("client_C", "refund", "250.5", "2024-12-15T00:00:00Z")
        );
        let amount = c
            .provenance
            .iter()
            .find(|p| p.field == Field::Amount)
            .unwrap();
        assert_eq!(
            amount.to_string(),
            r#"amount ← payload.sum: "250.50" → 250.5 (numeric string)"#
        );
    }

    #[test]
    fn every_default_alias_and_envelope_is_found() {
        let rules = Rules::default();
        for field in [
            Field::ClientId,
            Field::Metric,
            Field::Amount,
            Field::Timestamp,
        ] {
            for alias in rules.aliases.of(field) {
                for envelope in std::iter::once(None).chain(rules.envelopes.iter().map(Some)) {
                    let mut members = vec![
                        ("client_id", "\"c\""),
                        ("metric", "\"m\""),
                        ("amount", "1"),
                        ("timestamp", "\"2024-01-01\""),
                    ];
                    members.retain(|(k, _)| *k != field.name());
                    let value = match field {
                        Field::Amount => "7",
                        Field::Timestamp => "\"2024-02-02\"",
                        _ => "\"x\"",
                    };
                    let inner = format!("\"{alias}\": {value}");
                    let rest: Vec<String> = members
                        .iter()
                        .map(|(k, v)| format!("\"{k}\": {v}"))
                        .collect();
                    let text = match envelope {
                        None => format!("{{{inner}, {}}}", rest.join(", ")),
                        Some(env) => format!("{{\"{env}\": {{{inner}}}, {}}}", rest.join(", ")),
                    };
                    let n = ok(&text);
                    let p = n.provenance.iter().find(|p| p.field == field).unwrap();
                    let expected_path = match envelope {
                        None => alias.to_string(),
                        Some(env) => format!("{env}.{alias}"),
                    };
                    assert_eq!(p.path, expected_path, "{text}");
                }
            }
        }
        for alias in rules.aliases.of(Field::IdempotencyKey) {
            let n = ok(&format!(
                r#"{{"client":"c","metric":"m","amount":1,"ts":"2024-01-01","{alias}":"k-1"}}"#
            ));
            assert_eq!(n.idempotency_key.as_deref(), Some("k-1"), "{alias}");
        }
    }

    #[test]
    fn keys_that_differ_from_an_alias_only_in_case_are_that_alias() {
        let lone = ok(r#"{"Client":"c","METRIC":"m","Amount":"7","TimeStamp":"2024-01-01"}"#);
        assert_eq!(lone.amount.to_string(), "7");
        let p = lone
            .provenance
            .iter()
            .find(|p| p.field == Field::Amount)
            .unwrap();
        assert_eq!(p.path, "Amount", "the key as sent");
        let enveloped =
            ok(r#"{"client":"c","Payload":{"metric":"m","amount":1,"ts":"2024-01-01"}}"#);
        assert_eq!(enveloped.metric, "m");
        // Two spellings with different values are two names that disagree.
        let errors =
            rejected(r#"{"client":"c","metric":"m","amount":1,"Amount":2,"ts":"2024-01-01"}"#);
        assert!(
            errors
                .iter()
                .any(|e| e.field == Some(Field::Amount) && e.reason.contains("disagree")),
            "{errors:?}"
        );
        // And agreeing spellings are one value.
        assert_eq!(
            ok(r#"{"client":"c","metric":"m","amount":1,"AMOUNT":1,"ts":1700000000}"#)
                .amount
                .to_string(),
            "1"
        );
    }

    #[test]
    fn event_is_a_metric_when_text_and_an_envelope_when_an_object() {
        let as_metric = ok(r#"{"client":"c","event":"signup","amount":0,"ts":1704067200}"#);
        assert_eq!(as_metric.metric, "signup");
        let as_envelope =
            ok(r#"{"client":"c","event":{"type":"signup","amount":0,"ts":1704067200}}"#);
        assert_eq!(as_envelope.metric, "signup");
    }

    #[test]
    fn equal_values_under_two_names_agree() {
        let n = ok(
            r#"{"client":"c","metric":"m","amount":"10.0","payload":{"value":10},"ts":"2024-01-01"}"#,
        );
        assert_eq!(n.amount.to_string(), "10");
    }

    #[test]
    fn disagreeing_names_are_ambiguous() {
        let errors =
            rejected(r#"{"client":"c","metric":"m","amount":10,"value":11,"ts":"2024-01-01"}"#);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, Some(Field::Amount));
        assert_eq!(errors[0].path.as_deref(), Some("amount and value"));
        assert!(errors[0].reason.contains("disagree"));
        let dup =
            rejected(r#"{"client":"c","metric":"m","amount":1,"amount":2,"ts":"2024-01-01"}"#);
        assert_eq!(dup[0].field, Some(Field::Amount));
        assert_eq!(dup[0].path.as_deref(), Some("amount"));
        assert_eq!(
            dup[0].reason,
            "this key is written twice, with different values; send it once"
        );
    }

    #[test]
    fn every_problem_is_listed_with_its_field() {
        let errors = rejected(r#"{"client":"c","amount":"1.200,50","ts":"01/02/2024"}"#);
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                Some(Field::Metric),
                Some(Field::Amount),
                Some(Field::Timestamp)
            ]
        );
        assert!(errors[0].reason.contains("missing"));
        assert_eq!(errors[1].found.as_deref(), Some("\"1.200,50\""));
        assert!(errors[1].reason.contains("ambiguous"));
        assert!(errors[2].reason.contains("day/month"));
        let all_missing = rejected("{}");
        assert_eq!(all_missing.len(), 4);
    }

    #[test]
    fn wrong_types_and_bad_names_are_refused() {
        let e = rejected(r#"{"client":"c","metric":"m","amount":true,"ts":"2024-01-01"}"#);
        assert!(e[0].reason.contains("found a boolean"), "{}", e[0]);
        let e = rejected(r#"{"client":"  ","metric":"m","amount":1,"ts":"2024-01-01"}"#);
        assert!(e[0].reason.contains("empty"));
        let e = rejected(r#"{"client":"c","metric":["m"],"amount":1,"ts":"2024-01-01"}"#);
        assert!(e[0].reason.contains("found an array"));
        let e = rejected(r#"{"client":"c","metric":"m","amount":1,"ts":{"a":1}}"#);
        assert!(e[0].reason.contains("found an object"));
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let e = rejected(&format!(
            r#"{{"client":"{long}","metric":"m","amount":1,"ts":"2024-01-01"}}"#
        ));
        assert!(e[0].reason.contains("longer"));
        let e = rejected(r#"{"client":"a\u0000b","metric":"m","amount":1,"ts":"2024-01-01"}"#);
        assert!(e[0].reason.contains("control"));
        // Values that read two ways, seen counted the wrong way by an
        // outside review: a number that is also a compact date, and one
        // comma before three digits (1234, or 1.234 with a decimal comma).
        let e = rejected(r#"{"client":"c","metric":"m","amount":1,"ts":20240105}"#);
        assert_eq!(
            (e[0].field, e[0].path.as_deref()),
            (Some(Field::Timestamp), Some("ts"))
        );
        assert!(e[0].reason.contains("both a compact date"), "{}", e[0]);
        let e = rejected(r#"{"client":"c","metric":"m","amount":"1,234","ts":"20240105"}"#);
        assert_eq!(
            (e[0].field, e[0].path.as_deref()),
            (Some(Field::Amount), Some("amount"))
        );
        assert!(e[0].reason.contains("reads as 1234"), "{}", e[0]);
    }

    #[test]
    fn not_json_and_not_objects() {
        match normalize("{\"a\":", &Rules::default()) {
            Err(Rejection::InvalidJson { line, column, .. }) => assert_eq!((line, column), (1, 6)),
            other => panic!("{other:?}"),
        }
        // What was found, and nothing on where to send it: the words are
        // shown wherever the refusal is (the Submit form adds the offer).
        let arr = normalize("[]", &Rules::default()).unwrap_err();
        assert_eq!(
            arr.to_string(),
            "an event must be a JSON object, found an array"
        );
        assert!(arr.found_an_array());
        assert!(!normalize("7", &Rules::default())
            .unwrap_err()
            .found_an_array());
    }

    #[test]
    fn null_is_absent_and_numbers_can_be_names() {
        let n = ok(r#"{"client":42,"metric":"m","amount":1,"ts":"2024-01-01","event_id":null}"#);
        assert_eq!(n.client_id, "42");
        assert_eq!(n.idempotency_key, None);
        let e = rejected(r#"{"client":null,"metric":"m","amount":1,"ts":"2024-01-01"}"#);
        assert!(e[0].reason.contains("missing"));
        let n = ok(r#"{"client":-0,"metric":-0,"amount":1,"ts":"2024-01-01","event_id":-0}"#);
        assert_eq!(n.client_id, "0");
        assert_eq!(n.metric, "0");
        assert_eq!(n.idempotency_key.as_deref(), Some("0"));
    }

    /// Rules with one client's own: "acme" reads `total` as its amount,
    /// defaults its metric to "sale" and reads dates day first.
    fn acme_rules() -> Rules {
        let mut rules = Rules::default();
        let mut rule = ClientRule::default();
        rule.aliases.amount.push("total".into());
        rule.defaults.metric = Some("sale".into());
        rule.date_order = Some(DateOrder::DayFirst);
        rules.clients.insert("acme".into(), rule);
        rules
    }

    #[test]
    fn client_rules_add_aliases_defaults_and_date_order() {
        let rules = acme_rules();
        let n = normalize(
            r#"{"client":"acme","total":"9.99","date":"01/02/2024"}"#,
            &rules,
        )
        .unwrap();
        assert_eq!(
            summary(&n),
            s("acme", "sale", "9.99", "2024-02-01T00:00:00Z")
        );
        let metric = n
            .provenance
            .iter()
            .find(|p| p.field == Field::Metric)
            .unwrap();
        assert_eq!(metric.path, "default (client rule)");
        // Another client gets none of it.
        let other = normalize(
            r#"{"client":"other","total":"9.99","date":"01/02/2024"}"#,
            &rules,
        );
        assert!(other.is_err());
    }

    #[test]
    fn a_missing_field_names_the_keys_no_rule_reads() {
        let errors =
            rejected(r#"{"client":"c","metric":"m","total":"7","ts":1700000000,"data":{"x":1}}"#);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].reason,
            r#"missing, and the client's rule names no default; no rule for this client reads the keys "total", "x" (Rules can add one as an alias)"#
        );
        // Every key read: the reason is the plain one.
        let errors = rejected(r#"{"client":"c","metric":"m","ts":1700000000}"#);
        assert_eq!(
            errors[0].reason,
            "missing, and the client's rule names no default"
        );
    }

    #[test]
    fn no_implicit_timestamp() {
        let e = rejected(r#"{"client":"c","metric":"m","amount":1}"#);
        assert_eq!(e[0].field, Some(Field::Timestamp));
        assert!(e[0].reason.contains("no default"));
    }

    /// A bulk import normalizes without explaining: the event and every
    /// refusal must be exactly those of a submission that explains.
    #[test]
    fn explaining_changes_nothing_but_the_provenance() {
        use crate::chaos::{random_event, render, Shape};
        use crate::rng::SeededRng;
        let mut rules = acme_rules();
        if let Some(acme) = rules.clients.get_mut("acme") {
            // A default that cannot be read (a decimal comma).
            acme.defaults.amount = Some("1,5".into());
        }
        let index = AliasIndex::new(&rules);
        let mut texts: Vec<String> = [
            // A default, and a default that cannot be read.
            r#"{"client":"acme","total":"9.99","date":"01/02/2024"}"#,
            r#"{"client":"acme","metric":"m","date":"01/02/2024"}"#,
            // Two names that agree in value, not in spelling; and disagree.
            r#"{"client":"c","metric":"m","amount":"1.50","value":1.5,"ts":"2024-01-01"}"#,
            r#"{"client":"c","metric":"m","amount":"1.50","value":2,"ts":"2024-01-01"}"#,
            r#"{"client":"c","metric":"m","amount":1,"amount":2,"ts":"2024-01-01"}"#,
            r#"{"client":"c","metric":"m","amount":1,"ts":"2024-01-01","time":"2024-01-01T00:00:00+00:00"}"#,
            r#"{"client":"c","metric":"m","amount":1,"ts":"2024-01-01","time":"2024-01-02"}"#,
            // A value that cannot be read beside a disagreement.
            r#"{"client":"c","metric":"m","amount":1,"value":2,"sum":"x","ts":"2024-01-01"}"#,
            r#"{"client":" c ","metric":7,"amount":"$5","ts":1704067200000,"event_id":null}"#,
            r#"{"metric":"m","amount":1,"ts":"2024-01-01","totl":3}"#,
            r#"[1]"#,
        ]
        .map(String::from)
        .to_vec();
        let mut rng = SeededRng::new(12);
        for i in 0..2_000 {
            let event = random_event(&mut rng, &["acme", "c", "web"], &["sale", "refund"]);
            texts.push(render(&event, Shape::ALL[i % Shape::ALL.len()], &mut rng));
        }
        for text in &texts {
            let root = json::parse(text).unwrap();
            let explained = normalize_indexed(&root, &rules, &index, Explain::Fields);
            let quiet = normalize_indexed(&root, &rules, &index, Explain::Nothing);
            if let Ok(n) = &quiet {
                assert!(n.provenance.is_empty(), "{text}");
            }
            let without = explained.map(|n| Normalized {
                provenance: Vec::new(),
                ..n
            });
            assert_eq!(quiet, without, "{text}");
        }
    }

    #[test]
    fn provenance_says_how() {
        let n = ok(r#"{"client":" c ","metric":"m","amount":1.50,"ts":1704067200000}"#);
        let by = |f| n.provenance.iter().find(|p| p.field == f).unwrap().clone();
        assert_eq!(
            by(Field::ClientId).conversion,
            "text, surrounding spaces removed"
        );
        assert_eq!(by(Field::Amount).conversion, "JSON number, exact");
        assert_eq!(by(Field::Amount).value, "1.5");
        assert_eq!(
            by(Field::Timestamp).conversion,
            "Unix epoch in milliseconds"
        );
        assert_eq!(by(Field::Timestamp).value, "2024-01-01T00:00:00Z");
    }
}
