//! End-to-end: an event's story. A failed attempt retried from Failed, then
//! an exact resend and a reshaped duplicate, all through the interface; the
//! event's page, opened from Processed, lists all four with their outcomes,
//! and its address survives a reload.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::app::{open_app, open_view, serve_site, severe_console_entries, submit};
use support::webdriver::Browser;

const EVENT: &str =
    r#"{"source":"client_A","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#;
const RESHAPED: &str =
    r#"{"client_id":"client_A","metric":"sale","amount":1200.0,"ts":"2024-01-01T00:00:00Z"}"#;

fn story_items(browser: &Browser) -> Vec<String> {
    browser
        .execute(
            "return [...document.querySelectorAll('[data-testid=event-submissions] > li .log-head')].map(e => e.textContent);",
            json!([]),
        )
        .as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default()
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_an_events_story_lists_every_submission_that_became_it() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);

    // A failed attempt, retried from Failed once the database works again.
    let failure = "document.querySelector('fieldset.failure input[type=checkbox]').click();";
    browser.execute(failure, json!([]));
    assert_eq!(submit(&browser, EVENT), "Failed");
    browser.execute(failure, json!([]));
    open_view(&browser, "#/failed", "Failed submissions");
    browser.click(&browser.find("[data-testid=outbox] button"));
    browser.wait_for_text("[data-testid=retry-message]", |t| {
        t == "Retried 1: 1 counted, 0 still failing."
    });
    // An exact resend and a reshaped duplicate.
    open_view(&browser, "#/submit", "Submit an event");
    assert_eq!(submit(&browser, EVENT), "Duplicate");
    assert_eq!(submit(&browser, RESHAPED), "Duplicate");

    // From Processed, the event's own page.
    open_view(&browser, "#/processed", "Processed events");
    browser.click(&browser.find("[data-testid=processed] tbody tr a"));
    let verdict = browser.wait_for_text("[data-testid=event-verdict]", |t| !t.is_empty());
    let expected = "Counted once. 4 submissions: 1 accepted, 2 duplicates (1 exact, 1 reshaped), 1 failed attempt retried.";
    assert_eq!(verdict, expected);
    let items = story_items(&browser);
    assert_eq!(items.len(), 4, "{items:#?}");
    for (item, (kind, relation)) in items.iter().zip([
        ("Interrupted", "failed attempt"),
        ("Accepted", "counted as this event"),
        ("Duplicate", "exact resend"),
        ("Duplicate", "same event in another shape"),
    ]) {
        assert!(item.starts_with(kind) && item.contains(relation), "{item}");
    }
    let address = browser
        .execute("return location.hash;", json!([]))
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(address.starts_with("#/event/"), "{address}");

    // The address survives a reload.
    browser.reload();
    let again = browser.wait_for_text("[data-testid=event-verdict]", |t| !t.is_empty());
    assert_eq!(again, expected);
    assert_eq!(story_items(&browser).len(), 4);

    // How each field was found, and what the reshaped duplicate spelled
    // differently.
    let provenance = browser.wait_for_text("[data-testid=event-provenance]", |t| !t.is_empty());
    assert!(provenance.contains("client_id ← source"), "{provenance}");
    let differences = browser.wait_for_text("[data-testid=event-differences]", |t| !t.is_empty());
    assert!(
        differences.contains("amount: found at amount instead of payload.amount"),
        "{differences}"
    );

    // How the story looks, at both widths (the README shows the first).
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (width, mobile) in [(1280, false), (390, true)] {
        browser.set_viewport(width, 900, mobile);
        browser.full_page_screenshot(&shots.join(format!("{width}-story.png")));
    }

    // The failed attempt's own page: recorded, not counted, and counted
    // when it was sent again.
    browser.click(&browser.find("[data-testid=event-submissions] > li:first-child .log-head a"));
    let verdict = browser.wait_for_text("[data-testid=submission-verdict]", |t| !t.is_empty());
    assert!(
        verdict.contains("The same text was counted when it was sent again."),
        "{verdict}"
    );
    browser.click(&browser.find("[data-testid=submission-event]"));
    let back = browser.wait_for_text("[data-testid=event-verdict]", |t| !t.is_empty());
    assert_eq!(back, expected);
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
