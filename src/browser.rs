//! The browser's side of storage: localStorage as a [`KeyValue`], the
//! current time, and a fresh writer id per page load.
//!
//! Contract: [`LocalStorageKv`] maps localStorage's errors to
//! [`StoreError`]s a user can act on; `QuotaExceededError` becomes
//! [`StoreError::Full`] with the space Tally uses. It holds no JavaScript
//! handle (it looks localStorage up on each call), so the app's state stays
//! `Send + Sync` as Leptos's stored values require.

use crate::journal::FAMILY;
use crate::kv::{used_units, KeyValue};
use crate::ledger::StoreError;
use chrono::{DateTime, Utc};
use wasm_bindgen::JsCast;

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
        storage()?.set_item(key, value).map_err(|e| {
            let quota = e
                .dyn_ref::<web_sys::DomException>()
                .is_some_and(|d| d.name() == "QuotaExceededError");
            if quota {
                StoreError::Full {
                    used_units: used_units(self, FAMILY).unwrap_or(0),
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
