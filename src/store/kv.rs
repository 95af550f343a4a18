//! Key-value storage, the shape of the browser's localStorage.
//!
//! Contract: [`KeyValue`] is the only storage interface the durable journal
//! and the outbox use, so their crash safety can be proven natively against
//! [`MemoryKv`] (which can stop writing at any write index and enforce a
//! quota) and then checked again against real localStorage in the browser.
//! Sizes are counted as localStorage counts them: UTF-16 code units of keys
//! plus values.

use super::error::StoreError;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Storage with localStorage's semantics: each `set` and `remove` is atomic
/// on its own; nothing groups several of them.
pub trait KeyValue {
    /// The value under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` under `key`, replacing any old value; fails whole or not at all.
    fn set(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Removes `key`; removing a missing key succeeds.
    fn remove(&self, key: &str) -> Result<(), StoreError>;
    /// Every key, in no particular order.
    fn keys(&self) -> Result<Vec<String>, StoreError>;
    /// Every key as this store last listed them, with its own writes since,
    /// until it learns that another writer changed storage: what a tab
    /// knows without asking again. Listing localStorage costs a call per
    /// stored key, and the four listings a submit made (the journal's scan,
    /// Failed's ids and count, the storage meter) were a fifth of a submit
    /// with 50,000 stored (issue 12). Users must tolerate keys that other
    /// writers added or removed meanwhile: the journal's scan checks every
    /// head it knows and lists afresh ([`KeyValue::keys`], which renews
    /// this) at the first change. The default lists afresh.
    fn known_keys(&self) -> Result<Vec<String>, StoreError> {
        self.keys()
    }
}

/// A store behind a shared pointer. The browser's localStorage and the
/// simulator's in-memory tabs are this one type to the journal and the
/// ledger, so the browser build carries one copy of their code, not one per
/// store (three before: 20 KB of the wasm).
pub type SharedKv = Rc<dyn KeyValue>;

impl<K: KeyValue + ?Sized> KeyValue for Rc<K> {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        (**self).set(key, value)
    }
    fn remove(&self, key: &str) -> Result<(), StoreError> {
        (**self).remove(key)
    }
    fn keys(&self) -> Result<Vec<String>, StoreError> {
        (**self).keys()
    }
    fn known_keys(&self) -> Result<Vec<String>, StoreError> {
        (**self).known_keys()
    }
}

/// The size of one entry as localStorage counts it.
pub fn units(key: &str, value: &str) -> u64 {
    (utf16_len(key) + utf16_len(value)) as u64
}

/// UTF-16 code units of `text`, counted from its UTF-8 bytes: one per
/// character (every byte that does not continue one) and a second for a
/// character beyond the Basic Multilingual Plane (a four-byte one).
/// Decoding every character to count them was 5% of a reload.
fn utf16_len(text: &str) -> usize {
    text.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// Sums the size of every key that starts with `prefix`.
pub fn used_units(kv: &dyn KeyValue, prefix: &str) -> Result<u64, StoreError> {
    let mut total = 0;
    for key in kv.keys()?.into_iter().filter(|k| k.starts_with(prefix)) {
        if let Some(value) = kv.get(&key)? {
            total += units(&key, &value);
        }
    }
    Ok(total)
}

/// An in-memory store for native tests, with a quota and a crash switch.
#[derive(Debug, Default)]
pub struct MemoryKv {
    map: RefCell<BTreeMap<String, String>>,
    /// The quota in UTF-16 code units; `None` is unlimited.
    pub quota_units: Option<u64>,
    /// `Some(n)`: the next `n` writes succeed, then every write fails, as if
    /// the tab had been closed mid-commit.
    writes_left: RefCell<Option<usize>>,
    /// How many writes (`set` and `remove`) have succeeded in total.
    writes: RefCell<usize>,
}

impl MemoryKv {
    /// An empty store without a quota.
    pub fn new() -> MemoryKv {
        MemoryKv::default()
    }

    /// A store that refuses writes beyond `quota_units`.
    pub fn with_quota(quota_units: u64) -> MemoryKv {
        MemoryKv {
            quota_units: Some(quota_units),
            ..MemoryKv::default()
        }
    }

    /// After `n` more successful writes, every write fails ("crash").
    pub fn crash_after(&self, n: usize) {
        *self.writes_left.borrow_mut() = Some(n);
    }

    /// Writes work again (the page was reloaded).
    pub fn recover(&self) {
        *self.writes_left.borrow_mut() = None;
    }

    /// Successful writes so far.
    pub fn write_count(&self) -> usize {
        *self.writes.borrow()
    }

    /// A copy of every entry, to compare states.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.map.borrow().clone()
    }

    fn may_write(&self) -> Result<(), StoreError> {
        let mut left = self.writes_left.borrow_mut();
        match *left {
            Some(0) => Err(StoreError::Unavailable {
                message: "the page stopped mid-commit (simulated crash)".into(),
            }),
            Some(n) => {
                *left = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn total_units(&self) -> u64 {
        self.map.borrow().iter().map(|(k, v)| units(k, v)).sum()
    }
}

impl KeyValue for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.map.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        if let Some(quota) = self.quota_units {
            let old = self.map.borrow().get(key).map_or(0, |v| units(key, v));
            let used = self.total_units();
            if used - old + units(key, value) > quota {
                return Err(StoreError::Full { used_units: used });
            }
        }
        self.may_write()?;
        self.map
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
        *self.writes.borrow_mut() += 1;
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.may_write()?;
        self.map.borrow_mut().remove(key);
        *self.writes.borrow_mut() += 1;
        Ok(())
    }

    fn keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.map.borrow().keys().cloned().collect())
    }
}

/// One tab's view of a store that other tabs write too: its own writes go
/// through to the store at once, other tabs' writes become visible only when
/// it [`LaggingView::sync`]s. This is localStorage as a tab that has not yet
/// handled its `storage` events sees it, taken to the extreme of no Web Lock;
/// the simulator's several-tabs mode and the convergence tests use it.
#[derive(Debug)]
pub struct LaggingView<K: KeyValue> {
    shared: K,
    seen: RefCell<BTreeMap<String, String>>,
}

impl<K: KeyValue> LaggingView<K> {
    /// A view of `shared` as it is now.
    pub fn new(shared: K) -> Result<LaggingView<K>, StoreError> {
        let view = LaggingView {
            shared,
            seen: RefCell::new(BTreeMap::new()),
        };
        view.sync()?;
        Ok(view)
    }

    /// Sees everything the store holds now.
    pub fn sync(&self) -> Result<(), StoreError> {
        let mut seen = BTreeMap::new();
        for key in self.shared.keys()? {
            if let Some(value) = self.shared.get(&key)? {
                seen.insert(key, value);
            }
        }
        *self.seen.borrow_mut() = seen;
        Ok(())
    }
}

impl<K: KeyValue> KeyValue for LaggingView<K> {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.seen.borrow().get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.shared.set(key, value)?;
        self.seen
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
        Ok(())
    }
    fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.shared.remove(key)?;
        self.seen.borrow_mut().remove(key);
        Ok(())
    }
    fn keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.seen.borrow().keys().cloned().collect())
    }
}

/// The keys a store knows ([`KeyValue::known_keys`]): its last listing,
/// kept up to date with the store's own writes since, or nothing until a
/// listing (and again once forgotten). The browser's store and
/// [`StaleKeys`] keep theirs in one, so the tests exercise the browser's
/// bookkeeping. A plain list: a few hundred keys, and a set type of its own
/// cost the browser build's first visit 5 KB of code.
#[derive(Debug, Default)]
pub struct Listing(Option<Vec<String>>);

impl Listing {
    /// Nothing known yet.
    pub const fn new() -> Listing {
        Listing(None)
    }

    /// Knows `keys`, just listed.
    pub fn renew(&mut self, keys: Vec<String>) {
        self.0 = Some(keys);
    }

    /// Follows a write of the store's own: `key` now holds a value
    /// (`present`) or none.
    pub fn note(&mut self, key: &str, present: bool) {
        if let Some(keys) = &mut self.0 {
            match keys.iter().position(|k| k == key) {
                None if present => keys.push(key.to_string()),
                Some(i) if !present => {
                    keys.swap_remove(i);
                }
                _ => {}
            }
        }
    }

    /// Forgets the keys: another writer changed storage.
    pub fn forget(&mut self) {
        self.0 = None;
    }

    /// The keys, if known.
    pub fn known(&self) -> Option<&Vec<String>> {
        self.0.as_ref()
    }
}

/// A store whose [`KeyValue::known_keys`] are as stale as they can be: the
/// last listing plus this handle's own writes, until [`StaleKeys::forget`]
/// (the storage event). The browser's store also lists afresh when the
/// number of keys changed; the tests run tabs on this one to cover the
/// moments before it learns of other tabs' writes.
pub struct StaleKeys<K: KeyValue> {
    inner: K,
    listed: RefCell<Listing>,
}

impl<K: KeyValue> StaleKeys<K> {
    /// `inner`, with keys known from its first listing on.
    pub fn new(inner: K) -> StaleKeys<K> {
        StaleKeys {
            inner,
            listed: RefCell::new(Listing::new()),
        }
    }

    /// Forgets the known keys, as the browser's store does when told that
    /// another tab changed storage.
    pub fn forget(&self) {
        self.listed.borrow_mut().forget();
    }
}

impl<K: KeyValue> KeyValue for StaleKeys<K> {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.inner.set(key, value)?;
        self.listed.borrow_mut().note(key, true);
        Ok(())
    }
    fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.inner.remove(key)?;
        self.listed.borrow_mut().note(key, false);
        Ok(())
    }
    fn keys(&self) -> Result<Vec<String>, StoreError> {
        let keys = self.inner.keys()?;
        self.listed.borrow_mut().renew(keys.clone());
        Ok(keys)
    }
    fn known_keys(&self) -> Result<Vec<String>, StoreError> {
        let known = self.listed.borrow().known().cloned();
        match known {
            Some(keys) => Ok(keys),
            None => self.keys(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_utf16_units() {
        assert_eq!(units("ab", "€😀"), 2 + 1 + 2);
        for text in [
            "",
            "plain",
            "é",
            "€",
            "😀",
            "a😀é€\u{4E00}\u{CDFF}\u{10FFFF}",
        ] {
            assert_eq!(utf16_len(text), text.encode_utf16().count(), "{text}");
        }
    }

    #[test]
    fn quota_refuses_and_keeps_the_old_value() {
        let kv = MemoryKv::with_quota(10);
        kv.set("k", "12345").unwrap();
        let err = kv.set("k", "1234567890").unwrap_err();
        assert_eq!(err, StoreError::Full { used_units: 6 });
        assert_eq!(kv.get("k").unwrap().as_deref(), Some("12345"));
        kv.set("k", "123456789").unwrap(); // replacing counts only the new size
    }

    #[test]
    fn a_lagging_view_sees_others_writes_only_after_a_sync() {
        let shared = Rc::new(MemoryKv::new());
        let view = LaggingView::new(shared.clone()).unwrap();
        shared.set("other", "1").unwrap();
        view.set("mine", "2").unwrap();
        assert_eq!(view.get("other").unwrap(), None);
        assert_eq!(shared.get("mine").unwrap().as_deref(), Some("2"));
        view.sync().unwrap();
        assert_eq!(view.get("other").unwrap().as_deref(), Some("1"));
        shared.crash_after(0);
        assert!(view.set("late", "3").is_err());
        assert_eq!(
            view.get("late").unwrap(),
            None,
            "a failed write is not seen"
        );
    }

    #[test]
    fn crash_stops_every_later_write() {
        let kv = MemoryKv::new();
        kv.crash_after(1);
        kv.set("a", "1").unwrap();
        assert!(kv.set("b", "2").is_err());
        assert!(kv.remove("a").is_err());
        kv.recover();
        kv.set("b", "2").unwrap();
        assert_eq!(kv.write_count(), 2);
        assert_eq!(used_units(&kv, "").unwrap(), 4);
    }
}
