//! What loading found besides good data, and how unreadable data is set
//! aside instead of being lost.
//!
//! Contract: nothing unreadable is ever deleted or reset. It is copied under
//! a quarantine key first and only then removed from its place; if the copy
//! cannot be written (storage full), the data is left exactly where it is.
//! Either way the [`LoadReport`] says so, in words a user can act on.

use super::error::StoreError;
use super::keys::quarantine_key;
use super::kv::KeyValue;
use chrono::{DateTime, Utc};

/// What loading found besides good records. Shown to the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Unreadable keys moved aside: (original key, quarantine key, reason).
    pub quarantined: Vec<(String, String, String)>,
    /// Unreadable keys that could not be moved and were left as they are.
    pub left_in_place: Vec<(String, String)>,
    /// Keys of another Tally format version, not read.
    pub other_versions: Vec<String>,
    /// Segments a head counts on that are missing.
    pub missing: Vec<String>,
    /// Segments no head counts: left where they are, not counted.
    pub unclaimed: Vec<String>,
}

impl LoadReport {
    /// Whether anything needs the user's attention.
    pub fn is_clean(&self) -> bool {
        self.quarantined.is_empty()
            && self.left_in_place.is_empty()
            && self.other_versions.is_empty()
            && self.missing.is_empty()
            && self.unclaimed.is_empty()
    }

    /// One line per finding, in words a user can act on.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (from, to, why) in &self.quarantined {
            out.push(format!("Unreadable data in {from} ({why}) was moved aside to {to}; it was not counted. Export a backup before clearing it."));
        }
        for (key, why) in &self.left_in_place {
            out.push(format!("Unreadable data in {key} ({why}) could not be moved aside and was left untouched; it was not counted."));
        }
        for key in &self.other_versions {
            out.push(format!(
                "{key} belongs to another version of Tally and was not read."
            ));
        }
        for key in &self.missing {
            out.push(format!(
                "{key} is missing; the events it held cannot be shown."
            ));
        }
        for key in &self.unclaimed {
            out.push(format!(
                "{key} is a journal segment that no head counts (a write or a clear was interrupted, or its head was damaged or removed); it was left in place and not counted."
            ));
        }
        out
    }

    /// Adds another report's findings to this one.
    pub fn merge(&mut self, other: LoadReport) {
        self.quarantined.extend(other.quarantined);
        self.left_in_place.extend(other.left_in_place);
        self.other_versions.extend(other.other_versions);
        self.missing.extend(other.missing);
        self.unclaimed.extend(other.unclaimed);
    }
}

/// Moves an unreadable key aside under `tally:v1:quarantine:…`, or leaves it
/// untouched if it cannot be moved (storage full); never deletes data that
/// was not copied first. What happened goes into `report`.
pub fn quarantine(
    kv: &impl KeyValue,
    key: &str,
    text: &str,
    why: &str,
    now: DateTime<Utc>,
    report: &mut LoadReport,
) -> Result<(), StoreError> {
    let mut target = quarantine_key(now, 0, key);
    let mut n = 1;
    while kv.get(&target)?.is_some() {
        target = quarantine_key(now, n, key);
        n += 1;
    }
    let moved = kv.set(&target, text).is_ok() && kv.remove(key).is_ok();
    if moved {
        report
            .quarantined
            .push((key.to_string(), target, why.to_string()));
    } else {
        let _ = kv.remove(&target);
        report
            .left_in_place
            .push((key.to_string(), why.to_string()));
    }
    Ok(())
}
