//! End-to-end tests of several tabs on the release build: a tab that has not
//! heard of another tab's commit still decides on it, because every commit
//! takes the cross-tab Web Lock and catches up first.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::app::{open_app, serve_site, severe_console_entries, submit, totals};
use support::webdriver::Browser;

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_stale_tab_taking_a_key_another_tab_used_is_told_conflict() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    let first = browser.current_tab();
    let second = browser.new_tab();
    browser.switch_to(&second);
    // The second tab never hears of other tabs' writes: a listener that runs
    // before the app's swallows its storage events.
    browser.run_before_page_scripts(
        "window.addEventListener('storage', e => e.stopImmediatePropagation(), true);",
    );
    open_app(&browser, &server);

    browser.switch_to(&first);
    let sale =
        r#"{"client":"shop","metric":"sale","amount":"10","ts":"2024-01-01","event_id":"order-7"}"#;
    assert_eq!(submit(&browser, sale), "Accepted");

    browser.switch_to(&second);
    assert_eq!(
        totals(&browser),
        "0 events committed, total amount 0",
        "the second tab is stale: it has not refreshed"
    );
    let refund = r#"{"client":"shop","metric":"refund","amount":"10","ts":"2024-01-01","event_id":"order-7"}"#;
    assert_eq!(submit(&browser, refund), "Conflict");
    browser.wait_for_text("[data-testid=totals]", |t| {
        t == "1 event committed, total amount 10"
    });
    // And the same key with the same content from the stale tab's view is a
    // duplicate of the first tab's event, not a second event.
    assert_eq!(submit(&browser, sale), "Duplicate");

    browser.switch_to(&first);
    browser.wait_for_text("[data-testid=totals]", |t| {
        t == "1 event committed, total amount 10"
    });
    browser.reload();
    open_app(&browser, &server);
    browser.wait_for_text("[data-testid=totals]", |t| {
        t == "1 event committed, total amount 10"
    });
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
