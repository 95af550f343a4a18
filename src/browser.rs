//! The browser's side of storage: localStorage as a [`KeyValue`], the
//! current time, and a fresh writer id per page load.
//!
//! Contract: [`LocalStorageKv`] maps localStorage's errors to
//! [`StoreError`]s a user can act on; `QuotaExceededError` becomes
//! [`StoreError::Full`] with the space Tally uses. It holds no JavaScript
//! handle (it looks localStorage up on each call), so the app's state stays
//! `Send + Sync` as Leptos's stored values require.

use crate::journal::FAMILY;
use crate::kv::{units, KeyValue};
use crate::ledger::StoreError;
use chrono::{DateTime, Utc};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::JsCast;

thread_local! {
    /// Sizes of Tally's keys as last read or written by this page, so the
    /// storage meter costs O(keys) instead of re-reading every value after
    /// each commit. Another tab's writes make it stale: see [`forget_sizes`].
    static SIZES: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
}

fn note_size(key: &str, value: Option<&str>) {
    if key.starts_with(FAMILY) {
        SIZES.with(|s| match value {
            Some(v) => {
                s.borrow_mut().insert(key.to_string(), units(key, v));
            }
            None => {
                s.borrow_mut().remove(key);
            }
        });
    }
}

/// Forgets the known sizes; call when another tab changed storage.
pub fn forget_sizes() {
    SIZES.with(|s| s.borrow_mut().clear());
}

/// UTF-16 code units of Tally's keys and values, reading only keys this
/// page has not seen yet.
pub fn tally_units() -> Result<u64, StoreError> {
    let kv = LocalStorageKv;
    let keys: Vec<String> = kv
        .keys()?
        .into_iter()
        .filter(|k| k.starts_with(FAMILY))
        .collect();
    let mut total = 0;
    for key in keys {
        let known = SIZES.with(|s| s.borrow().get(&key).copied());
        total += match known {
            Some(n) => n,
            None => kv.get(&key)?.map_or(0, |v| units(&key, &v)),
        };
    }
    Ok(total)
}

/// localStorage of the page's origin.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalStorageKv;

fn storage() -> Result<web_sys::Storage, StoreError> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .ok_or_else(|| StoreError::Unavailable {
            message: "this browser does not allow localStorage here (private browsing or blocked site data?)".into(),
        })
}

fn describe(error: &wasm_bindgen::JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

impl KeyValue for LocalStorageKv {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        storage()?
            .get_item(key)
            .map_err(|e| StoreError::Unavailable {
                message: describe(&e),
            })
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let stored = storage()?.set_item(key, value);
        if stored.is_ok() {
            note_size(key, Some(value));
        }
        stored.map_err(|e| {
            let quota = e
                .dyn_ref::<web_sys::DomException>()
                .is_some_and(|d| d.name() == "QuotaExceededError");
            if quota {
                StoreError::Full {
                    used_units: tally_units().unwrap_or(0),
                }
            } else {
                StoreError::Unavailable {
                    message: describe(&e),
                }
            }
        })
    }

    fn remove(&self, key: &str) -> Result<(), StoreError> {
        storage()?
            .remove_item(key)
            .map_err(|e| StoreError::Unavailable {
                message: describe(&e),
            })
    }

    fn keys(&self) -> Result<Vec<String>, StoreError> {
        let s = storage()?;
        let n = s.length().map_err(|e| StoreError::Unavailable {
            message: describe(&e),
        })?;
        Ok((0..n).filter_map(|i| s.key(i).ok().flatten()).collect())
    }
}

/// The current time from the browser's clock.
pub fn now() -> DateTime<Utc> {
    let ms = js_sys::Date::now();
    DateTime::from_timestamp_millis(ms as i64).unwrap_or_default()
}

/// A new writer id for this page load. Each tab appends only to its own
/// keys, so ids must not collide: time plus 53 random bits.
pub fn new_writer_id() -> String {
    let time = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    format!("t{time:x}{random:x}")
}
