//! Persisted settings: the rules document.
//!
//! Contract: the rules are stored as JSON under `tally:v1:rules` and
//! validated on every load with [`Rules::from_json`]; a damaged document is
//! quarantined and reported, and the defaults apply until the user saves
//! again. Changing the rules affects new submissions only: committed events
//! keep their canonical fields.

use super::error::StoreError;
use super::keys::rules_key;
use super::kv::KeyValue;
use super::quarantine::{quarantine, LoadReport};
use crate::pipeline::rules::{Rules, RulesError};
use chrono::{DateTime, Utc};

/// The stored rules, or the defaults if none are stored or they are damaged.
pub fn load_rules(
    kv: &impl KeyValue,
    now: DateTime<Utc>,
    report: &mut LoadReport,
) -> Result<Rules, StoreError> {
    let key = rules_key();
    match kv.get(&key)? {
        None => Ok(Rules::default()),
        Some(text) => match Rules::from_json(&text) {
            Ok(rules) => Ok(rules),
            Err(e) => {
                quarantine(kv, &key, &text, &format!("invalid rules: {e}"), now, report)?;
                Ok(Rules::default())
            }
        },
    }
}

/// The stored rules document as it is stored: compared with the text read
/// last, it tells whether another tab saved or reset the rules since.
pub fn stored_rules_text(kv: &impl KeyValue) -> Result<Option<String>, StoreError> {
    kv.get(&rules_key())
}

/// Validates and stores a rules document; returns the parsed rules.
pub fn save_rules(kv: &impl KeyValue, text: &str) -> Result<Rules, SaveError> {
    let rules = Rules::from_edited(text).map_err(SaveError::Invalid)?;
    kv.set(&rules_key(), &rules.to_json())
        .map_err(SaveError::Storage)?;
    Ok(rules)
}

/// Forgets the stored rules so the defaults apply.
pub fn reset_rules(kv: &impl KeyValue) -> Result<Rules, StoreError> {
    kv.remove(&rules_key())?;
    Ok(Rules::default())
}

/// Why rules could not be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveError {
    /// The document does not validate.
    Invalid(RulesError),
    /// Storage refused the write.
    Storage(StoreError),
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SaveError::Invalid(e) => write!(f, "the rules are not valid: {e}"),
            SaveError::Storage(e) => write!(f, "the rules could not be saved: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryKv;
    use crate::test_fixtures::now;

    #[test]
    fn save_load_reset() {
        let kv = MemoryKv::new();
        let mut report = LoadReport::default();
        assert_eq!(
            load_rules(&kv, now(), &mut report).unwrap(),
            Rules::default()
        );
        let mut custom = Rules::default();
        custom.aliases.amount.push("total".into());
        save_rules(&kv, &custom.to_json()).unwrap();
        assert_eq!(load_rules(&kv, now(), &mut report).unwrap(), custom);
        assert!(matches!(
            save_rules(&kv, "{\"version\":1}"),
            Err(SaveError::Invalid(_))
        ));
        assert_eq!(
            load_rules(&kv, now(), &mut report).unwrap(),
            custom,
            "a refused save changes nothing"
        );
        reset_rules(&kv).unwrap();
        assert_eq!(
            load_rules(&kv, now(), &mut report).unwrap(),
            Rules::default()
        );
        assert!(report.is_clean());
    }

    #[test]
    fn damaged_rules_are_quarantined() {
        let kv = MemoryKv::new();
        kv.set("tally:v1:rules", "{\"version\": 9}").unwrap();
        let mut report = LoadReport::default();
        assert_eq!(
            load_rules(&kv, now(), &mut report).unwrap(),
            Rules::default()
        );
        assert_eq!(report.quarantined.len(), 1);
        assert!(kv.get("tally:v1:rules").unwrap().is_none());
    }
}
