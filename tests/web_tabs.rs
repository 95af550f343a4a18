//! Browser tests of how tabs coordinate, in headless Chromium over real
//! localStorage: the Web Lock every commit takes, and a tab that opened
//! before another committed still decides on the current state.
#![cfg(target_arch = "wasm32")]

use tally::app::Tally;
use tally::browser::{with_commit_lock, LocalStorageKv};
use tally::ledger::Outcome;
use tally::store::KeyValue;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn clear_storage() {
    let kv = LocalStorageKv;
    for key in kv.keys().expect("list keys") {
        if key.starts_with("tally:") {
            kv.remove(&key).expect("remove a key");
        }
    }
}

/// Holds the commit lock from JavaScript for `ms`, as another tab would.
fn hold_lock_elsewhere(ms: u32) {
    let hold = js_sys::Function::new_no_args(&format!(
        "navigator.locks.request('tally-commit', () => new Promise(r => setTimeout(r, {ms})));"
    ));
    hold.call0(&wasm_bindgen::JsValue::NULL)
        .expect("request the lock from JavaScript");
}

#[wasm_bindgen_test]
async fn a_commit_waits_for_the_lock_another_tab_holds() {
    assert!(
        js_sys::Reflect::get(&web_sys::window().expect("a window"), &"navigator".into())
            .and_then(|n| js_sys::Reflect::get(&n, &"locks".into()))
            .is_ok_and(|l| l.is_object()),
        "Chromium has the Web Locks API"
    );
    hold_lock_elsewhere(300);
    let started = js_sys::Date::now();
    let ran_at = with_commit_lock(js_sys::Date::now).await;
    assert!(
        ran_at - started >= 250.0,
        "the work ran after {} ms, while another holder had the lock for 300 ms",
        ran_at - started
    );
    // And without a competing holder it runs at once, returning its result.
    assert_eq!(with_commit_lock(|| 41 + 1).await, 42);
}

#[wasm_bindgen_test]
async fn a_tab_opened_earlier_decides_on_what_another_tab_committed() {
    clear_storage();
    let mut stale = Tally::open().expect("open the first tab");
    let mut other = Tally::open().expect("open the second tab");
    let sale =
        r#"{"client":"shop","metric":"sale","amount":"10","ts":"2024-01-01","event_id":"order-7"}"#;
    let refund = r#"{"client":"shop","metric":"refund","amount":"10","ts":"2024-01-01","event_id":"order-7"}"#;
    let (first, _) = with_commit_lock(move || other.submit(sale)).await;
    assert_eq!(first.label(), "Accepted");
    // The first tab never saw a storage event; it catches up before deciding.
    let outcome = stale.submit(refund).0;
    match &outcome {
        Outcome::Conflict { key, existing } => {
            assert_eq!(key, "order-7");
            assert_eq!(&*existing.metric, "sale");
        }
        other => panic!("expected a Conflict, got {other:?}"),
    }
    let reader = Tally::open().expect("open a reader");
    assert_eq!(reader.ledger.state().events().len(), 1);
    assert_eq!(stale.ledger.state().events().len(), 1);
    clear_storage();
}

#[wasm_bindgen_test]
async fn with_no_web_locks_the_work_still_runs() {
    // Older browsers lack navigator.locks: commits must still happen.
    let navigator =
        js_sys::Reflect::get(&web_sys::window().expect("a window"), &"navigator".into())
            .expect("navigator");
    let descriptor = js_sys::Object::new();
    js_sys::Reflect::set(
        &descriptor,
        &"value".into(),
        &wasm_bindgen::JsValue::UNDEFINED,
    )
    .expect("set");
    js_sys::Reflect::set(&descriptor, &"configurable".into(), &true.into()).expect("set");
    let target: &js_sys::Object = navigator.unchecked_ref();
    js_sys::Object::define_property(target, &"locks".into(), &descriptor);
    hold_lock_elsewhere_if_possible();
    assert_eq!(with_commit_lock(|| "ran").await, "ran");
    js_sys::Reflect::delete_property(target, &"locks".into()).expect("restore navigator.locks");
}

/// With `navigator.locks` hidden this must not throw either.
fn hold_lock_elsewhere_if_possible() {
    let probe = js_sys::Function::new_no_args("return typeof navigator.locks;");
    let kind = probe
        .call0(&wasm_bindgen::JsValue::NULL)
        .ok()
        .and_then(|v| v.as_string());
    assert_eq!(
        kind.as_deref(),
        Some("undefined"),
        "the API is hidden for this test"
    );
}
