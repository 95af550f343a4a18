//! Mapping rules: which input names feed which canonical field.
//!
//! Contract: a [`Rules`] value is data, not code. It lists the aliases of each
//! canonical field, the envelopes (`payload`, `data`, …) that may wrap them,
//! and per-client overrides: extra aliases, explicit defaults and the
//! day/month order. The app edits and persists it as JSON; [`Rules::from_json`]
//! validates that JSON and says which entry is wrong and why.

use crate::pipeline::amount::Amount;
use crate::pipeline::timestamp::{self, DateOrder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The version of the rules document format this build reads.
pub const RULES_VERSION: u32 = 1;

/// A field of the canonical event that input names map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Which client sent the event.
    ClientId,
    /// What was measured.
    Metric,
    /// The exact amount.
    Amount,
    /// When it happened.
    Timestamp,
    /// The client's own identity for the event (optional).
    IdempotencyKey,
}

impl Field {
    /// Every field, in the order they are resolved and shown.
    pub const ALL: [Field; 5] = [
        Field::ClientId,
        Field::Metric,
        Field::Amount,
        Field::Timestamp,
        Field::IdempotencyKey,
    ];

    /// The canonical name, as in the rules document and the canonical event.
    pub fn name(self) -> &'static str {
        match self {
            Field::ClientId => "client_id",
            Field::Metric => "metric",
            Field::Amount => "amount",
            Field::Timestamp => "timestamp",
            Field::IdempotencyKey => "idempotency_key",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Aliases of each canonical field, in lookup order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aliases {
    #[serde(default)]
    /// Names of the client id.
    pub client_id: Vec<String>,
    #[serde(default)]
    /// Names of the metric.
    pub metric: Vec<String>,
    #[serde(default)]
    /// Names of the amount.
    pub amount: Vec<String>,
    #[serde(default)]
    /// Names of the timestamp.
    pub timestamp: Vec<String>,
    #[serde(default)]
    /// Names of the idempotency key.
    pub idempotency_key: Vec<String>,
}

impl Aliases {
    /// The aliases of one field.
    pub fn of(&self, field: Field) -> &[String] {
        match field {
            Field::ClientId => &self.client_id,
            Field::Metric => &self.metric,
            Field::Amount => &self.amount,
            Field::Timestamp => &self.timestamp,
            Field::IdempotencyKey => &self.idempotency_key,
        }
    }
}

/// Explicit values a client's events may fall back to. There is deliberately
/// no implicit default: a timestamp defaulted to "now" would give every retry
/// a new fingerprint and count it twice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// A metric name, e.g. `"sale"`.
    pub metric: Option<String>,
    /// An amount as text, e.g. `"0"`, parsed exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// A fixed instant, e.g. `"2024-01-01T00:00:00Z"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// Overrides for one client, keyed by its `client_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRule {
    /// Looked up before the global aliases. `client_id` aliases are ignored
    /// here: the client must be known before its rule can apply.
    #[serde(default)]
    pub aliases: Aliases,
    #[serde(default)]
    /// Values for fields the client leaves out.
    pub defaults: Defaults,
    /// How to read this client's undecidable year-last dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_order: Option<DateOrder>,
}

/// The whole rules document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The document format version; must be [`RULES_VERSION`].
    pub version: u32,
    /// Object members that may wrap the fields, searched one level deep.
    pub envelopes: Vec<String>,
    /// The aliases every client's events are read with.
    pub aliases: Aliases,
    #[serde(default)]
    /// Overrides per client id.
    pub clients: BTreeMap<String, ClientRule>,
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

impl Default for Rules {
    /// Covers every shape in the seed write-ups and the common SDK spellings.
    fn default() -> Self {
        Rules {
            version: RULES_VERSION,
            envelopes: strings(&["payload", "data", "event", "body", "properties"]),
            aliases: Aliases {
                client_id: strings(&["client_id", "clientId", "client", "source"]),
                metric: strings(&["metric", "metric_name", "metricName", "type", "event"]),
                amount: strings(&["amount", "amt", "value", "cost", "sum", "price"]),
                timestamp: strings(&["timestamp", "time", "ts", "created_at", "createdAt", "date"]),
                idempotency_key: strings(&[
                    "event_id",
                    "eventId",
                    "message_id",
                    "messageId",
                    "idempotency_key",
                    "idempotencyKey",
                ]),
            },
            clients: BTreeMap::new(),
        }
    }
}

/// What is wrong with a rules document, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    /// Dotted path of the offending entry, e.g. `clients.acme.defaults.amount`.
    pub path: String,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for RulesError {}

/// serde_json's message in words for people, not the parser's: quotes
/// instead of backticks, and the kinds of values as the document shows them.
fn in_words(message: &str) -> String {
    if message.starts_with("EOF while parsing") {
        return "the document ends too early: a closing '}', ']' or '\"' is missing".to_string();
    }
    let kind = |text: &str| -> String {
        match text {
            "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number".into(),
            "a sequence" => "a list [ … ]".into(),
            "a string" => "a text in quotes".into(),
            "a map" => "an object { … }".into(),
            "a boolean" => "true or false".into(),
            t if t.starts_with("struct ") => "an object { … }".into(),
            t => t.replace('`', "'"),
        }
    };
    if let Some((found, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        return format!("{} is here, where {} belongs", kind(found), kind(expected));
    }
    if let Some((variant, expected)) = message
        .strip_prefix("unknown variant ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        return format!(
            "{} is not one of the choices, which are {}",
            variant.replace('`', "'"),
            expected.replace('`', "'")
        );
    }
    message
        .replace('`', "'")
        .replace("unknown field", "unknown setting")
}

impl Rules {
    /// Reads and validates a rules document.
    pub fn from_json(text: &str) -> Result<Rules, RulesError> {
        if text.trim().is_empty() {
            return Err(RulesError {
                path: String::new(),
                message: "the rules document is empty: write one, or press Reset to start from the defaults".into(),
            });
        }
        let rules: Rules = serde_json::from_str(text).map_err(|e| {
            // serde_json ends its message with the position; say it once, first.
            let full = e.to_string();
            let what = full
                .rsplit_once(" at line ")
                .map_or(full.as_str(), |(m, _)| m);
            let what = in_words(what);
            RulesError {
                path: String::new(),
                message: format!("line {}, column {}: {what}", e.line(), e.column()),
            }
        })?;
        rules.validate()?;
        Ok(rules)
    }

    /// The document as pretty JSON, the form the app shows and stores.
    pub fn to_json(&self) -> String {
        // Serializing plain strings, vectors and maps cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks everything `from_json`'s types cannot.
    pub fn validate(&self) -> Result<(), RulesError> {
        let err = |path: String, message: &str| RulesError {
            path,
            message: message.to_string(),
        };
        if self.version != RULES_VERSION {
            return Err(err(
                "version".into(),
                &format!("unsupported version; this build reads version {RULES_VERSION}"),
            ));
        }
        check_names(&self.envelopes, "envelopes")?;
        for field in Field::ALL {
            let path = format!("aliases.{field}");
            check_names(self.aliases.of(field), &path)?;
            if self.aliases.of(field).is_empty() && field != Field::IdempotencyKey {
                return Err(err(path, "needs at least one alias"));
            }
        }
        check_disjoint(&self.aliases, "aliases")?;
        for (client, rule) in &self.clients {
            let base = format!("clients.{client}");
            if client.trim().is_empty() {
                return Err(err("clients".into(), "a client name is empty"));
            }
            for field in Field::ALL {
                check_names(rule.aliases.of(field), &format!("{base}.aliases.{field}"))?;
            }
            if !rule.aliases.client_id.is_empty() {
                return Err(err(
                    format!("{base}.aliases.client_id"),
                    "client_id aliases can only be global: the client must be known before its rule applies",
                ));
            }
            if let Some(m) = &rule.defaults.metric {
                if m.trim().is_empty() {
                    return Err(err(format!("{base}.defaults.metric"), "is empty"));
                }
            }
            if let Some(a) = &rule.defaults.amount {
                Amount::from_text(a)
                    .map_err(|e| err(format!("{base}.defaults.amount"), &e.to_string()))?;
            }
            if let Some(t) = &rule.defaults.timestamp {
                timestamp::parse_text(t, rule.date_order)
                    .map_err(|e| err(format!("{base}.defaults.timestamp"), &e.to_string()))?;
            }
        }
        Ok(())
    }

    /// The rule of `client`, if it has one.
    pub fn client(&self, client: &str) -> Option<&ClientRule> {
        self.clients.get(client)
    }
}

fn check_names(names: &[String], path: &str) -> Result<(), RulesError> {
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(RulesError {
                path: format!("{path}[{i}]"),
                message: "an alias is empty".into(),
            });
        }
        if names[..i].contains(name) {
            return Err(RulesError {
                path: format!("{path}[{i}]"),
                message: format!("'{name}' is listed twice"),
            });
        }
    }
    Ok(())
}

/// One input name may not feed two canonical fields: that would make the
/// mapping itself ambiguous.
fn check_disjoint(aliases: &Aliases, path: &str) -> Result<(), RulesError> {
    for (i, a) in Field::ALL.iter().enumerate() {
        for b in &Field::ALL[i + 1..] {
            if let Some(name) = aliases.of(*a).iter().find(|n| aliases.of(*b).contains(n)) {
                return Err(RulesError {
                    path: format!("{path}.{b}"),
                    message: format!("'{name}' is already an alias of {a}"),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let rules = Rules::default();
        rules.validate().unwrap();
        assert_eq!(Rules::from_json(&rules.to_json()).unwrap(), rules);
    }

    #[test]
    fn defaults_cover_the_seed_spellings() {
        let r = Rules::default();
        for (field, names) in [
            (
                Field::ClientId,
                &["source", "client", "client_id", "clientId"][..],
            ),
            (
                Field::Metric,
                &["metric", "type", "metricName", "metric_name", "event"],
            ),
            (
                Field::Amount,
                &["amount", "amt", "value", "cost", "sum", "price"],
            ),
            (
                Field::Timestamp,
                &["timestamp", "time", "ts", "created_at", "createdAt", "date"],
            ),
            (
                Field::IdempotencyKey,
                &[
                    "event_id",
                    "eventId",
                    "message_id",
                    "messageId",
                    "idempotency_key",
                    "idempotencyKey",
                ],
            ),
        ] {
            for n in names {
                assert!(
                    r.aliases.of(field).iter().any(|a| a == n),
                    "{field} lacks {n}"
                );
            }
        }
    }

    #[test]
    fn a_client_rule_parses() {
        let text = r#"{
          "version": 1, "envelopes": ["payload"],
          "aliases": {"client_id": ["source"], "metric": ["metric"], "amount": ["amount"], "timestamp": ["ts"]},
          "clients": {"acme": {"aliases": {"amount": ["total"]}, "defaults": {"metric": "sale", "amount": "0"}, "date_order": "day_first"}}
        }"#;
        let rules = Rules::from_json(text).unwrap();
        let acme = rules.client("acme").unwrap();
        assert_eq!(acme.date_order, Some(DateOrder::DayFirst));
        assert_eq!(acme.aliases.amount, vec!["total".to_string()]);
    }

    fn error_of(mutate: impl FnOnce(&mut Rules)) -> RulesError {
        let mut rules = Rules::default();
        mutate(&mut rules);
        let err = rules.validate().expect_err("should be refused");
        // Every refusal is also reported when read from JSON.
        assert_eq!(Rules::from_json(&rules.to_json()).unwrap_err(), err);
        err
    }

    #[test]
    fn invalid_documents_say_where() {
        assert_eq!(error_of(|r| r.version = 2).path, "version");
        assert_eq!(
            error_of(|r| r.aliases.amount.clear()).path,
            "aliases.amount"
        );
        assert_eq!(
            error_of(|r| r.aliases.amount.push("value".into())).path,
            "aliases.amount[6]"
        );
        let shared = error_of(|r| r.aliases.metric.push("sum".into()));
        assert_eq!(shared.path, "aliases.amount");
        assert!(
            shared.message.contains("already an alias of metric"),
            "{shared}"
        );
        let bad_amount = error_of(|r| {
            let mut rule = ClientRule::default();
            rule.defaults.amount = Some("1.200,50".into());
            r.clients.insert("acme".into(), rule);
        });
        assert_eq!(bad_amount.path, "clients.acme.defaults.amount");
        let bad_client_alias = error_of(|r| {
            let mut rule = ClientRule::default();
            rule.aliases.client_id.push("who".into());
            r.clients.insert("acme".into(), rule);
        });
        assert_eq!(bad_client_alias.path, "clients.acme.aliases.client_id");
    }

    #[test]
    fn typos_and_bad_json_are_refused() {
        let typo = Rules::from_json(r#"{"version":1,"envelopes":[],"aliases":{"amout":["a"]}}"#)
            .unwrap_err();
        assert!(typo.message.contains("unknown setting '"), "{typo}");
        let broken = Rules::from_json("{").unwrap_err();
        assert!(broken.message.starts_with("line 1, column 1: "), "{broken}");
        assert!(broken.message.contains("ends too early"), "{broken}");
        let kind = Rules::from_json(r#"{"version":"one"}"#).unwrap_err();
        assert!(
            kind.message
                .ends_with("string \"one\" is here, where a whole number belongs"),
            "{kind}"
        );
        let list = Rules::from_json(r#"{"version":1,"envelopes":"payload"}"#).unwrap_err();
        assert!(
            list.message.contains("where a list [ … ] belongs"),
            "{list}"
        );
        let empty = Rules::from_json("  ").unwrap_err();
        assert!(
            empty.message.starts_with("the rules document is empty"),
            "{empty}"
        );
        assert!(!typo.message.contains('`'), "{typo}");
        assert!(
            !typo.message.contains(" at line "),
            "the position is said once: {typo}"
        );
    }
}
