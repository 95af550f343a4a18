//! The client's outbox: submissions that failed, kept until they succeed.
//!
//! Contract: like analytics.js's retry queue, the outbox lives apart from the
//! database (its own keys, untouched by the simulated database failure), so
//! closing the tab loses nothing that failed. Each item is its own key,
//! named by a hash of the payload text: failing the same payload twice keeps
//! one item, and two tabs adding or removing items never lose each other's
//! writes (no read-modify-write of a shared list). When an item is added or
//! removed is the service's policy ([`super::Tally::submit_batch`]).

use crate::pipeline::json::document::{self, object, string, DocError, Fields};
use crate::pipeline::json::Json;
use crate::pipeline::timestamp;
use crate::store::keys::outbox_prefix;
use crate::store::{quarantine, KeyValue, LoadReport, StoreError};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One failed submission waiting to be retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Derived from the payload text; also the key suffix.
    pub id: String,
    /// The payload exactly as the user submitted it.
    pub raw: String,
    /// When the payload first failed.
    pub first_failed_at: DateTime<Utc>,
    /// When it last failed.
    pub last_failed_at: DateTime<Utc>,
    /// How many attempts failed so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: String,
}

impl OutboxItem {
    const MEMBERS: [&'static str; 6] = [
        "id",
        "raw",
        "first_failed_at",
        "last_failed_at",
        "attempts",
        "last_error",
    ];

    /// The item as JSON, as stored and in backups.
    pub fn to_json(&self) -> Json {
        object([
            ("id", string(self.id.clone())),
            ("raw", string(self.raw.clone())),
            (
                "first_failed_at",
                string(timestamp::canonical(&self.first_failed_at)),
            ),
            (
                "last_failed_at",
                string(timestamp::canonical(&self.last_failed_at)),
            ),
            ("attempts", document::number(self.attempts)),
            ("last_error", string(self.last_error.clone())),
        ])
    }

    /// Reads what [`OutboxItem::to_json`] writes, and nothing more.
    pub fn from_json(value: &Json) -> Result<OutboxItem, DocError> {
        let f = Fields::of(value)?.only(&OutboxItem::MEMBERS)?;
        Ok(OutboxItem {
            id: f.text("id")?.to_string(),
            raw: f.text("raw")?.to_string(),
            first_failed_at: f.read("first_failed_at", timestamp::from_json)?,
            last_failed_at: f.read("last_failed_at", timestamp::from_json)?,
            attempts: f.whole("attempts")?,
            last_error: f.text("last_error")?.to_string(),
        })
    }

    /// Reads a stored item.
    fn parse(text: &str) -> Result<OutboxItem, String> {
        document::read_text(text, OutboxItem::from_json).map_err(|e| e.to_string())
    }
}

/// The id of a payload: 16 hex digits of its SHA-256.
pub fn item_id(raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The outbox over a key-value store.
#[derive(Debug, Clone, Default)]
pub struct Outbox<K: KeyValue> {
    kv: K,
}

impl<K: KeyValue> Outbox<K> {
    /// An outbox over `kv`.
    pub fn new(kv: K) -> Outbox<K> {
        Outbox { kv }
    }

    /// Every waiting item, oldest first. Unreadable items are quarantined
    /// and reported in `report`, never dropped.
    pub fn items(
        &self,
        now: DateTime<Utc>,
        report: &mut LoadReport,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let prefix = outbox_prefix();
        let mut items = Vec::new();
        for key in self
            .kv
            .keys()?
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
        {
            let Some(text) = self.kv.get(&key)? else {
                continue;
            };
            match OutboxItem::parse(&text) {
                Ok(item) if key[prefix.len()..] == item.id && item.id == item_id(&item.raw) => {
                    items.push(item)
                }
                Ok(_) => quarantine(
                    &self.kv,
                    &key,
                    &text,
                    "outbox item does not match its key",
                    now,
                    report,
                )?,
                Err(e) => quarantine(
                    &self.kv,
                    &key,
                    &text,
                    &format!("unreadable outbox item: {e}"),
                    now,
                    report,
                )?,
            }
        }
        crate::order::sort_by(&mut items, |a, b| {
            (a.first_failed_at, &a.id).cmp(&(b.first_failed_at, &b.id))
        });
        Ok(items)
    }

    /// How many items wait, without reading them (for the figures shown on
    /// every view; [`Outbox::items`] validates each one), from the keys the
    /// store knows ([`KeyValue::known_keys`]).
    pub fn count(&self) -> Result<usize, StoreError> {
        let prefix = outbox_prefix();
        Ok(self
            .kv
            .known_keys()?
            .iter()
            .filter(|k| k.starts_with(&prefix))
            .count())
    }

    /// Records that `raw` failed with `error`; returns the stored item.
    pub fn record_failure(
        &self,
        raw: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<OutboxItem, StoreError> {
        let id = item_id(raw);
        let key = format!("{}{id}", outbox_prefix());
        let previous = self.kv.get(&key)?.and_then(|t| OutboxItem::parse(&t).ok());
        let item = OutboxItem {
            id,
            raw: raw.to_string(),
            first_failed_at: previous.as_ref().map_or(now, |p| p.first_failed_at),
            last_failed_at: now,
            attempts: previous
                .as_ref()
                .map_or(1, |p| p.attempts.saturating_add(1)),
            last_error: error.to_string(),
        };
        let text = item.to_json().to_compact();
        self.kv.set(&key, &text)?;
        Ok(item)
    }

    /// Puts back an item from a backup as it was (its first failure time
    /// orders Retry all), under the id its payload has.
    pub fn restore(&self, item: &OutboxItem) -> Result<(), StoreError> {
        let item = OutboxItem {
            id: item_id(&item.raw),
            ..item.clone()
        };
        let key = format!("{}{}", outbox_prefix(), item.id);
        self.kv.set(&key, &item.to_json().to_compact())
    }

    /// The ids of the waiting items, from the keys the store knows
    /// ([`KeyValue::known_keys`]): read after a commit, whose scan has just
    /// listed them under the cross-tab lock.
    pub fn waiting_ids(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let prefix = outbox_prefix();
        Ok(self
            .kv
            .known_keys()?
            .into_iter()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .collect())
    }

    /// Whether the payload `raw` waits here.
    pub fn holds(&self, raw: &str) -> Result<bool, StoreError> {
        Ok(self
            .kv
            .get(&format!("{}{}", outbox_prefix(), item_id(raw)))?
            .is_some())
    }

    /// Removes an item (it succeeded, or the user discarded it).
    pub fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.kv.remove(&format!("{}{id}", outbox_prefix()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryKv;
    use crate::test_fixtures::now;
    use std::rc::Rc;

    #[test]
    fn damaged_items_are_quarantined() {
        let kv = Rc::new(MemoryKv::new());
        let outbox = Outbox::new(kv.clone());
        kv.set("tally:v1:outbox:0123456789abcdef", "{oops").unwrap();
        let other = OutboxItem {
            id: "ffffffffffffffff".into(),
            raw: "x".into(),
            first_failed_at: now(),
            last_failed_at: now(),
            attempts: 1,
            last_error: "e".into(),
        };
        kv.set(
            "tally:v1:outbox:ffffffffffffffff",
            &other.to_json().to_compact(),
        )
        .unwrap();
        let mut report = LoadReport::default();
        assert!(outbox.items(now(), &mut report).unwrap().is_empty());
        assert_eq!(report.quarantined.len(), 2);
    }
}
