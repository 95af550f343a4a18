//! Browser tests: mount components in a real headless Chromium (through
//! wasm-bindgen-test-runner and chromedriver) and drive them like a user.
#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::task::tick;
use tally::app::{App, SubmitView};
use tally::ledger::Ledger;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh container in the page, so tests do not see each other's DOM.
fn container() -> HtmlElement {
    let document = document();
    let section = document
        .create_element("section")
        .expect("create a section");
    document
        .body()
        .expect("a body")
        .append_child(&section)
        .expect("append it");
    section.unchecked_into()
}

fn find(root: &HtmlElement, selector: &str) -> HtmlElement {
    root.query_selector(selector)
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .unchecked_into()
}

fn text(root: &HtmlElement, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

fn button(root: &HtmlElement, label: &str) -> HtmlElement {
    let buttons = root.query_selector_all("button").expect("buttons");
    (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .map(|n| n.unchecked_into::<HtmlElement>())
        .find(|b| b.text_content().as_deref() == Some(label))
        .unwrap_or_else(|| panic!("no button labelled {label}"))
}

/// Types into the textarea the way a user does: value, then an input event.
fn type_into(root: &HtmlElement, selector: &str, value: &str) {
    let area: HtmlTextAreaElement = find(root, selector).unchecked_into();
    area.set_value(value);
    let event = web_sys::Event::new("input").expect("an input event");
    area.dispatch_event(&event).expect("dispatch input");
}

#[wasm_bindgen_test]
async fn the_app_has_its_header_and_form() {
    let root = container();
    let _mounted = mount_to(root.clone(), App);
    assert_eq!(text(&root, "h1"), "Tally");
    assert_eq!(text(&root, "label[for=raw-event]"), "Raw event JSON");
    assert_eq!(text(&root, "[data-testid=validation]"), "Valid JSON.");
}

#[wasm_bindgen_test]
async fn submitting_twice_counts_once() {
    let root = container();
    let ledger = StoredValue::new(Ledger::in_memory("test"));
    let _mounted = mount_to(root.clone(), move || view! { <SubmitView ledger=ledger /> });

    button(&root, "Submit event").click();
    tick().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Accepted");
    assert_eq!(text(&root, "td[data-field=amount]"), "1200");
    assert_eq!(
        text(&root, "td[data-field=timestamp]"),
        "2024-01-01T00:00:00Z"
    );
    assert!(text(&root, ".provenance").contains("amount ← payload.amount: \"1200\" → 1200"));

    button(&root, "Submit event").click();
    tick().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Duplicate");
    assert!(text(&root, "[data-testid=outcome]").contains("exact resend"));
    assert_eq!(
        text(&root, "[data-testid=totals]"),
        "1 events committed, total amount 1200"
    );
    assert_eq!(ledger.with_value(|l| l.state().events().len()), 1);
}

#[wasm_bindgen_test]
async fn invalid_json_points_at_line_and_column_and_is_rejected() {
    let root = container();
    let ledger = StoredValue::new(Ledger::in_memory("test"));
    let _mounted = mount_to(root.clone(), move || view! { <SubmitView ledger=ledger /> });

    type_into(&root, "#raw-event", "{\n  \"source\": \"a\",\n  oops\n}");
    tick().await;
    let validation = text(&root, "[data-testid=validation]");
    assert!(validation.contains("line 3, column 3"), "{validation}");

    button(&root, "Submit event").click();
    tick().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Rejected");
    assert!(text(&root, ".reasons").contains("line 3, column 3"));
    assert_eq!(
        ledger.with_value(|l| l.state().submissions().len()),
        1,
        "the rejection is recorded"
    );
}

#[wasm_bindgen_test]
async fn markup_in_an_event_is_shown_as_text() {
    let root = container();
    let ledger = StoredValue::new(Ledger::in_memory("test"));
    let _mounted = mount_to(root.clone(), move || view! { <SubmitView ledger=ledger /> });
    let hostile = r#"{"client":"<img src=x onerror=alert(1)>","metric":"<script>alert(2)</script>","amount":1,"ts":"2024-01-01"}"#;
    type_into(&root, "#raw-event", hostile);
    button(&root, "Submit event").click();
    tick().await;
    assert_eq!(
        text(&root, "td[data-field=client_id]"),
        "<img src=x onerror=alert(1)>"
    );
    assert!(
        root.query_selector("img").expect("query").is_none(),
        "no element was created from the payload"
    );
    assert!(root.query_selector("td script").expect("query").is_none());
}
