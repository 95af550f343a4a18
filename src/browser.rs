//! The browser's side of storage: localStorage as a [`KeyValue`], the
//! current time, and a fresh writer id per page load.
//!
//! Contract: [`LocalStorageKv`] maps localStorage's errors to
//! [`StoreError`]s a user can act on; `QuotaExceededError` becomes
//! [`StoreError::Full`] with the space Tally uses. It holds no JavaScript
//! handle (it looks localStorage up on each call), so the app's state stays
//! `Send + Sync` as Leptos's stored values require.

use crate::store::{units, KeyValue, Listing, StoreError, FAMILY};
use chrono::{DateTime, Utc};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::JsCast;

thread_local! {
    /// Sizes of Tally's keys as last read or written by this page, so the
    /// storage meter costs O(keys) instead of re-reading every value after
    /// each commit. Another tab's writes make it stale: see [`forget_sizes`].
    static SIZES: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
    /// Every key as this page last listed localStorage, with its own writes
    /// since ([`KeyValue::known_keys`]); nothing until a listing succeeds,
    /// and again once another tab changed storage ([`forget_keys`]).
    static LISTED: RefCell<Listing> = const { RefCell::new(Listing::new()) };
}

/// Keeps the known listing up to date with a write of this page.
fn note_listed(key: &str, present: bool) {
    LISTED.with(|l| l.borrow_mut().note(key, present));
}

/// Notes the size (UTF-16 code units of key and value) of a key just read
/// or written, `None` if it holds nothing.
fn note_size(key: &str, size: Option<u64>) {
    if key.starts_with(FAMILY) {
        SIZES.with(|s| match size {
            Some(size) => {
                s.borrow_mut().insert(key.to_string(), size);
            }
            None => {
                s.borrow_mut().remove(key);
            }
        });
    }
}

/// Forgets the known sizes and keys; call when another tab changed storage.
pub fn forget_sizes() {
    SIZES.with(|s| s.borrow_mut().clear());
    forget_keys();
}

/// Forgets the known keys, so that the next figure or commit lists
/// localStorage afresh: the app calls it as soon as the browser says
/// another tab (or another site of the origin) changed storage.
pub fn forget_keys() {
    LISTED.with(|l| l.borrow_mut().forget());
}

/// UTF-16 code units of Tally's keys and values, reading only keys this
/// page has not seen yet.
pub fn tally_units() -> Result<u64, StoreError> {
    let kv = LocalStorageKv;
    let keys: Vec<String> = kv
        .known_keys()?
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

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// localStorage as a plain object, for the one call web-sys types
    /// differently.
    type RawStorage;

    /// `Storage.getItem`, returning the JavaScript string itself, whose
    /// length is the UTF-16 code units localStorage counts: counting them
    /// again from the UTF-8 copy was 4% of a reload with 50,000 stored.
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(
        this: &RawStorage,
        key: &str,
    ) -> Result<Option<js_sys::JsString>, wasm_bindgen::JsValue>;
}

impl KeyValue for LocalStorageKv {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = storage()?
            .unchecked_ref::<RawStorage>()
            .get_item(key)
            .map_err(|e| StoreError::Unavailable {
                message: describe(&e),
            })?;
        // Opening reads every key once; the storage meter then needs no
        // second pass over the values.
        let size = value
            .as_ref()
            .map(|v| units(key, "") + u64::from(v.length()));
        note_size(key, size);
        Ok(value.map(String::from))
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let stored = storage()?.set_item(key, value);
        if stored.is_ok() {
            note_size(key, Some(units(key, value)));
            note_listed(key, true);
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
            })?;
        note_size(key, None);
        note_listed(key, false);
        Ok(())
    }

    fn keys(&self) -> Result<Vec<String>, StoreError> {
        let listed = (|| {
            let s = storage()?;
            let n = s.length().map_err(|e| StoreError::Unavailable {
                message: describe(&e),
            })?;
            Ok((0..n)
                .filter_map(|i| s.key(i).ok().flatten())
                .collect::<Vec<_>>())
        })();
        LISTED.with(|l| match &listed {
            Ok(keys) => l.borrow_mut().renew(keys.clone()),
            Err(_) => l.borrow_mut().forget(),
        });
        listed
    }

    fn known_keys(&self) -> Result<Vec<String>, StoreError> {
        // One more check, for a call: a key added or removed behind this
        // page's back changes the count (the browser's storage event, which
        // forgets the keys, is a task away).
        let count = storage()?.length().ok();
        let known = LISTED.with(|l| {
            l.borrow()
                .known()
                .filter(|keys| count == u32::try_from(keys.len()).ok())
                .cloned()
        });
        match known {
            Some(keys) => Ok(keys),
            None => self.keys(),
        }
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

/// The Web Lock every tab takes to commit, so tabs decide one at a time,
/// each after catching up with the others.
const COMMIT_LOCK: &str = "tally-commit";

/// Runs `work` while holding the cross-tab commit lock (the Web Locks API,
/// `navigator.locks`), or at once where the browser has no Web Locks (then
/// replay's re-decision is the only guard, as the ledger's contract says).
///
/// `work` is synchronous, so the lock is held exactly while it runs: the
/// callback returns no promise, and the browser releases the lock when it
/// returns.
pub async fn with_commit_lock<T: 'static, F: FnOnce() -> T + 'static>(work: F) -> T {
    use std::rc::Rc;
    // Generic only in this wrapper: the lock's machinery below is compiled
    // once, not once per kind of commit (six of them cost 13 KB of wasm).
    let done: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
    let out = done.clone();
    run_locked(Box::new(move || *out.borrow_mut() = Some(work()))).await;
    let result = done.borrow_mut().take();
    match result {
        Some(result) => result,
        None => unreachable!("run_locked runs the work before it returns"),
    }
}

/// Work to run under the commit lock, its result kept by the closure.
type Work = Box<dyn FnOnce()>;

/// Runs `work` exactly once before returning: under the commit lock, or
/// unlocked where the browser has no Web Locks or the request fails.
async fn run_locked(work: Work) {
    use std::rc::Rc;
    let locks = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"navigator".into()).ok())
        .and_then(|n| js_sys::Reflect::get(&n, &"locks".into()).ok())
        .filter(|l| l.is_object());
    let request = locks.as_ref().and_then(|l| {
        js_sys::Reflect::get(l, &"request".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    });
    let (Some(locks), Some(request)) = (locks, request) else {
        return work();
    };
    // Shared with the callback, so the work is still here if the browser
    // never runs it.
    let pending: Rc<RefCell<Option<Work>>> = Rc::new(RefCell::new(Some(work)));
    let in_lock = pending.clone();
    let callback =
        wasm_bindgen::closure::Closure::once_into_js(move |_lock: wasm_bindgen::JsValue| {
            let work = in_lock.borrow_mut().take();
            if let Some(work) = work {
                work();
            }
            wasm_bindgen::JsValue::UNDEFINED
        });
    let granted = request
        .call2(&locks, &COMMIT_LOCK.into(), &callback)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    if let Some(promise) = granted {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    // The lock request failed: the work runs unlocked rather than not at
    // all (replay still re-decides what a race got wrong).
    let work = pending.borrow_mut().take();
    if let Some(work) = work {
        work();
    }
}
