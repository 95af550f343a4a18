//! Browser tests: components mounted in a real headless Chromium (through
//! wasm-bindgen-test-runner and chromedriver), driven like a user, over real
//! localStorage.
//!
//! All of them run in one page, which changes its address a few hundred
//! times in seconds: more than Chromium allows a page before it ignores its
//! navigations (crbug.com/1038223), so a test late in the run found
//! `go("#/import")` silently left on Submit. `webdriver.json` (read by the
//! runner) switches that protection off; no user clicks that fast.
#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::task::tick;
use std::cell::Cell;
use tally::app::{App, Tally};
use tally::browser::{now, LocalStorageKv};
use tally::ledger::{FaultPlan, FaultPoint, Ledger, Outcome, SubmissionId};
use tally::store::{KeyValue, SegmentJournal, StoreError};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

const A: &str =
    r#"{"source":"client_A","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#;
const B: &str =
    r#"{"client":"client_B","payload":{"type":"purchase","value":5000,"time":"2024-12-01"}}"#;

/// Removes Tally's keys and the tests' filler, never anything else.
fn clear_storage() {
    let kv = LocalStorageKv;
    for key in kv.keys().expect("list keys") {
        if key.starts_with("tally:") || key.starts_with("test-filler") {
            kv.remove(&key).expect("remove a key");
        }
    }
}

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

#[track_caller]
fn find(root: &HtmlElement, selector: &str) -> HtmlElement {
    match root.query_selector(selector).expect("a valid selector") {
        Some(element) => element.unchecked_into(),
        None => panic!("nothing matches {selector}"),
    }
}

/// Whether anything in `root` matches `selector`.
fn shows(root: &HtmlElement, selector: &str) -> bool {
    root.query_selector(selector)
        .expect("a valid selector")
        .is_some()
}

#[track_caller]
fn text(root: &HtmlElement, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

#[track_caller]
fn button(root: &HtmlElement, label: &str) -> HtmlElement {
    let buttons = root.query_selector_all("button").expect("buttons");
    (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .map(|n| n.unchecked_into::<HtmlElement>())
        .find(|b| b.text_content().as_deref() == Some(label))
        .unwrap_or_else(|| panic!("no button labelled {label}"))
}

/// Types into a field the way a user does: value, then an input event.
fn type_into(root: &HtmlElement, selector: &str, value: &str) {
    let area: HtmlTextAreaElement = find(root, selector).unchecked_into();
    area.set_value(value);
    area.dispatch_event(&web_sys::Event::new("input").expect("an input event"))
        .expect("dispatch");
}

fn events_stored() -> usize {
    Tally::open()
        .expect("open storage")
        .ledger
        .state()
        .events()
        .len()
}

/// Follows a link to a view, as clicking the navigation does.
async fn go(hash: &str) {
    // What the last step set in motion settles first, as it does between
    // a user's actions (each is a task of its own): an effect still due
    // would write its view's address over this one.
    next_task().await;
    window().location().set_hash(hash).expect("set the hash");
    // hashchange is dispatched as a task, after this one.
    next_task().await;
    tick().await;
}

/// Waits until the commit a click started has finished, then renders.
/// Commits run under the 'tally-commit' Web Lock, which the browser grants
/// in request order: once the app's request is made, a later request here
/// is granted only after the app's commit is done.
async fn committed() {
    // A task's turn first, so the click's commit has requested the lock.
    next_task().await;
    let wait =
        js_sys::Function::new_no_args("return navigator.locks.request('tally-commit', () => {});");
    let promise: js_sys::Promise = wait
        .call0(&wasm_bindgen::JsValue::NULL)
        .expect("request the commit lock")
        .unchecked_into();
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    // The app resumes from its own lock promise; give it a task to do so.
    next_task().await;
    tick().await;
}

/// Lets every queued task and microtask run.
async fn next_task() {
    let turn = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(turn).await;
}

/// Tells this tab that another one changed `key` (`null`: cleared all),
/// as the browser's storage event does.
fn tell_this_tab(key: &str) {
    js_sys::eval(&format!(
        "window.dispatchEvent(new StorageEvent('storage', {{ key: {key} }}))"
    ))
    .expect("tell this tab");
}

/// Waits a task at a time until `done` holds; fails with `what` after two
/// seconds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = now();
    while !done() {
        assert!((now() - started).num_milliseconds() < 2_000, "{what}");
        next_task().await;
    }
}

/// Saves `rules` from another tab and tells this one.
fn another_tab_saves(rules: &tally::pipeline::rules::Rules) {
    Tally::open()
        .expect("another tab")
        .save_rules(&rules.to_json())
        .expect("save");
    tell_this_tab("'tally:v1:rules'");
}

async fn mounted_app() -> (HtmlElement, impl Drop) {
    // Start on the Submit view, as a fresh visit does.
    window()
        .location()
        .set_hash("#/submit")
        .expect("set the hash");
    let root = container();
    let handle = mount_to(root.clone(), App);
    tick().await;
    (root, handle)
}

#[wasm_bindgen_test]
async fn the_app_has_its_header_form_and_meter() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    assert_eq!(text(&root, "h1"), "Tally");
    assert_eq!(document().title(), "Submit · Tally");
    assert_eq!(text(&root, "label[for=raw-event]"), "Raw event JSON");
    assert_eq!(text(&root, "[data-testid=validation]"), "Valid JSON.");
    assert!(text(&root, "[data-testid=storage-meter]")
        .starts_with("Tally's data: 0.0% of this site's storage ("));
    assert!(!shows(&root, "[data-testid=load-report]"));
}

#[wasm_bindgen_test]
async fn submitting_twice_counts_once_and_survives_a_reload() {
    clear_storage();
    let (root, app) = mounted_app().await;
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Accepted");
    // Written as everywhere else in the app, the exact text in its title.
    assert_eq!(text(&root, "td[data-field=amount]"), "1,200");
    assert_eq!(
        find(&root, "td[data-field=amount]")
            .get_attribute("title")
            .as_deref(),
        Some("1200")
    );
    assert!(text(&root, ".provenance").contains("amount ← payload.amount: \"1200\" → 1200"));
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Duplicate");
    assert!(text(&root, "[data-testid=outcome]").contains("exact resend"));
    // The answer links to the event's story; coming back finds the answer.
    follow(&root, "[data-testid=outcome-story]").await;
    assert!(text(&root, "[data-testid=event-verdict]").starts_with("Counted once. 2 submissions"));
    go("#/submit").await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Duplicate");
    assert_eq!(
        text(&root, "[data-testid=totals]"),
        "1 event committed, total amount 1,200"
    );
    drop(app);

    // A reload: a new page state over the same localStorage.
    let (root, _app) = mounted_app().await;
    assert_eq!(
        text(&root, "[data-testid=totals]"),
        "1 event committed, total amount 1,200"
    );
    let tally = Tally::open().expect("open");
    assert_eq!(
        tally.ledger.state().submissions().len(),
        2,
        "both submissions are in the raw log"
    );
    assert!(!text(&root, "[data-testid=storage-meter]")
        .starts_with("Tally's data: 0.0% of this site's storage (0 of"));
}

#[wasm_bindgen_test]
async fn invalid_json_points_at_line_and_column_and_is_rejected() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    type_into(&root, "#raw-event", "{\n  \"source\": \"a\",\n  oops\n}");
    tick().await;
    let validation = text(&root, "[data-testid=validation]");
    assert!(validation.contains("line 3, column 3"), "{validation}");
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Rejected");
    assert!(text(&root, ".reasons").contains("line 3, column 3"));
    // The answer leads to the submission's own page, which keeps the reason.
    follow(&root, "[data-testid=outcome-submission]").await;
    assert!(text(&root, "[data-testid=submission-reasons]").contains("line 3, column 3"));
    go("#/submit").await;
    assert_eq!(
        Tally::open()
            .expect("open")
            .ledger
            .state()
            .submissions()
            .len(),
        1,
        "the rejection is recorded"
    );
}

#[wasm_bindgen_test]
async fn an_empty_box_is_said_and_never_recorded() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    let example: HtmlSelectElement = find(&root, "#example").unchecked_into();
    assert_eq!(example.value(), "Client A: source, slash date");
    type_into(&root, "#raw-event", "  \n ");
    tick().await;
    assert_eq!(
        example.value(),
        "",
        "names no example the box no longer holds"
    );
    assert_eq!(
        text(&root, "[data-testid=validation]"),
        "The box is empty: choose an example above or paste an event."
    );
    button(&root, "Submit event").click();
    committed().await;
    assert!(!shows(&root, "[data-testid=outcome-label]"));
    let recorded = Tally::open()
        .expect("open")
        .ledger
        .state()
        .submissions()
        .len();
    assert_eq!(recorded, 0, "nothing was sent, so nothing is recorded");
}

#[wasm_bindgen_test]
async fn markup_in_an_event_is_shown_as_text() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    let hostile = r#"{"client":"<img src=x onerror=alert(1)>","metric":"<script>alert(2)</script>","amount":1,"ts":"2024-01-01"}"#;
    type_into(&root, "#raw-event", hostile);
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(
        text(&root, "td[data-field=client_id]"),
        "<img src=x onerror=alert(1)>"
    );
    assert!(
        !shows(&root, "img"),
        "no element was created from the payload"
    );
    assert!(!shows(&root, "td script"));
}

/// How many line boxes an element is laid out in (`getClientRects`).
fn line_boxes(element: &HtmlElement) -> u32 {
    let rects = js_sys::Reflect::get(element, &"getClientRects".into())
        .expect("getClientRects")
        .dyn_into::<js_sys::Function>()
        .expect("a function")
        .call0(element)
        .expect("rects");
    js_sys::Reflect::get(&rects, &"length".into())
        .expect("length")
        .as_f64()
        .expect("a number") as u32
}

#[wasm_bindgen_test]
async fn a_long_amount_breaks_only_between_its_digit_groups() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    let huge = r#"{"client":"huge","metric":"sales","amount":"-999999999999999999.999999999","ts":"2024-11-01"}"#;
    type_into(&root, "#raw-event", huge);
    button(&root, "Submit event").click();
    committed().await;
    // Each group an unbreakable block, the text exactly the amount.
    assert_eq!(
        text(&root, "td[data-field=amount]"),
        "-999,999,999,999,999,999.999999999"
    );
    let groups = root
        .query_selector_all("td[data-field=amount] .groups > span")
        .expect("groups");
    assert_eq!(groups.length(), 6);
    let phone_wide = find(&root, "td[data-field=amount]");
    phone_wide
        .style()
        .set_property("width", "9ch")
        .expect("narrow");
    let lines = line_boxes(&find(&root, "td[data-field=amount] .groups"));
    assert!(lines > 1, "it still wraps where it must");
    for i in 0..groups.length() {
        let group = groups
            .item(i)
            .expect("a group")
            .dyn_into::<HtmlElement>()
            .expect("an element");
        assert_eq!(line_boxes(&group), 1, "group {i} is whole on one line");
    }
}

#[wasm_bindgen_test]
async fn a_simulated_failure_lands_in_failed_and_a_retry_counts_it_once() {
    clear_storage();
    let (root, app) = mounted_app().await;
    switch_database_failure(&root).await;
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Failed");
    go("#/failed").await;
    assert_eq!(text(&root, "[data-testid=outbox-count]"), "1 waiting");
    // Failed says the failure is still on, and where to turn it off.
    assert!(text(&root, "[data-testid=outbox-failing]")
        .starts_with("The simulated database failure is on"));
    assert_eq!(events_stored(), 0);
    drop(app);

    // The outbox survives a reload; the database works again; Retry all.
    let (root, _app) = mounted_app().await;
    go("#/failed").await;
    assert_eq!(text(&root, "[data-testid=outbox-count]"), "1 waiting");
    assert!(!shows(&root, "[data-testid=outbox-failing]"));
    assert_eq!(
        retry_all(&root).await,
        "Retried 1: 1 counted, 0 still failing."
    );
    assert!(shows(&root, "[data-testid=outbox-empty]"));
    go("#/submit").await;
    assert_eq!(
        text(&root, "[data-testid=totals]"),
        "1 event committed, total amount 1,200"
    );
    assert_eq!(events_stored(), 1);
}

#[wasm_bindgen_test]
async fn a_retry_whose_key_claims_an_event_says_so() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    tally.submit(r#"{"client":"c","metric":"m","amount":"3","ts":"2024-02-02"}"#);
    let (root, _app) = mounted_app().await;
    // The same event with a key fails, then goes through on Retry all: its
    // key claims the event sent first without one.
    switch_database_failure(&root).await;
    type_into(
        &root,
        "#raw-event",
        r#"{"client":"c","metric":"m","amount":"3","ts":"2024-02-02","event_id":"k-3"}"#,
    );
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Failed");
    switch_database_failure(&root).await;
    assert_eq!(
        retry_all(&root).await,
        "Retried 1: 1 duplicate (whose key claimed an event sent first without one), 0 still failing."
    );
}

/// Clicks Failed's *Retry all* and returns what it says of the retries.
async fn retry_all(root: &HtmlElement) -> String {
    go("#/failed").await;
    button(root, "Retry all").click();
    committed().await;
    text(root, "[data-testid=retry-message]")
}

/// Clicks Submit's "Simulate database failure" switch, as a user does.
async fn switch_database_failure(root: &HtmlElement) {
    find(root, "fieldset.failure input[type=checkbox]").click();
    tick().await;
}

/// Revisits `hash` until `selector` shows (an import or a simulation yields
/// to the browser between slices), at most `tries` times; returns its text.
async fn text_once_shown(root: &HtmlElement, hash: &str, selector: &str, tries: usize) -> String {
    for _ in 0..tries {
        go(hash).await;
        if shows(root, selector) {
            break;
        }
    }
    text(root, selector)
}

/// Imports `input` through Bulk import and waits for its summary.
async fn import_through_the_view(root: &HtmlElement, input: &str) -> String {
    go("#/import").await;
    type_into(root, "#bulk-events", input);
    button(root, "Import").click();
    text_once_shown(root, "#/import", "[data-testid=import-summary]", 50).await
}

#[wasm_bindgen_test]
async fn a_failed_import_keeps_its_text_and_links_only_attempts_that_were_recorded() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    // Mid-request (the switch's default): the text is recorded, nothing counted.
    switch_database_failure(&root).await;
    let input = format!("{A}\n{B}");
    let summary = import_through_the_view(&root, &input).await;
    assert!(
        summary.contains("0 accepted") && summary.contains("2 failed"),
        "{summary}"
    );
    assert!(
        text(&root, "[data-testid=import-failing]").contains("Simulate database failure is on"),
        "the import says why every line fails"
    );
    let details = text(&root, "[data-testid=import-lines] tbody");
    assert_eq!(
        details.matches("; it waits in Failed").count(),
        2,
        "{details}"
    );
    let area: HtmlTextAreaElement = find(&root, "#bulk-events").unchecked_into();
    assert_eq!(area.value(), input, "a failed line keeps the box's text");
    assert!(text(&root, "main").contains("The box keeps its text because 2 items failed"));
    let links = root
        .query_selector_all("[data-testid=import-lines] tbody a")
        .expect("query");
    assert_eq!(links.length(), 2, "both attempts were recorded");
    follow(&root, "[data-testid=import-lines] tbody tr:nth-child(2) a").await;
    assert!(text(&root, "pre.raw").contains("client_B"));

    // Before the raw write: nothing recorded, no number taken, so no link
    // (the number the line would have had is the next line's).
    go("#/submit").await;
    let point: HtmlSelectElement = find(&root, "#failure-point").unchecked_into();
    // The menu names each point and a line beside it says where it is (the
    // whole label did not fit a phone's menu).
    assert_eq!(
        text(&root, "[data-testid=failure-point-where]"),
        "after the raw write, before the commit"
    );
    point.set_value("before_raw");
    point
        .dispatch_event(&web_sys::Event::new("change").expect("an event"))
        .expect("dispatch change");
    tick().await;
    assert_eq!(text(&root, "[data-testid=failure-point-where]"), "");
    assert_eq!(
        point
            .selected_options()
            .item(0)
            .and_then(|o| o.text_content())
            .as_deref(),
        Some("before the raw write")
    );
    let summary = import_through_the_view(
        &root,
        r#"{"client":"c","metric":"m","amount":3,"ts":"2024-01-02"}"#,
    )
    .await;
    assert!(summary.contains("1 failed"), "{summary}");
    assert_eq!(
        root.query_selector_all("[data-testid=import-lines] tbody a")
            .expect("query")
            .length(),
        0,
        "an attempt that was never recorded has no page to link"
    );
}

#[wasm_bindgen_test]
async fn an_imports_lines_name_the_id_an_event_has_after_a_key_claimed_it() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    // Line 3 sends line 1's event again with a key: the key claims it, and
    // its id becomes the keyed one, the id Processed lists.
    let unkeyed = r#"{"client":"c","metric":"m","amount":7,"ts":"2024-01-01"}"#;
    let keyed = r#"{"client":"c","metric":"m","amount":7,"ts":"2024-01-01","event_id":"k-7"}"#;
    let summary = import_through_the_view(&root, &[unkeyed, unkeyed, keyed].join("\n")).await;
    assert!(summary.contains("1 accepted, 2 duplicates"), "{summary}");
    let row = |n: usize| {
        text(
            &root,
            &format!("[data-testid=import-lines] tbody tr:nth-child({n})"),
        )
    };
    let claimed = "since an idempotency key claimed it";
    let (first, second, third) = (row(1), row(2), row(3));
    assert!(
        first.contains("committed as") && first.contains(claimed),
        "{first}"
    );
    assert!(
        second.contains("exact resend of") && second.contains(claimed),
        "{second}"
    );
    assert!(
        !third.contains(claimed),
        "the claimant names the new id: {third}"
    );
    // The id each line now names is the one the claimant was told.
    let now = first
        .split("; now ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .expect("an id");
    assert!(third.contains(now), "{third} should name {now}");
}

#[wasm_bindgen_test]
async fn a_blank_first_line_after_a_byte_order_mark_is_said_skipped() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    let summary = import_through_the_view(&root, &format!("\u{feff}\n{A}\n")).await;
    assert!(summary.starts_with("Read 1 item in"), "{summary}");
    assert!(summary.ends_with("1 blank line skipped."), "{summary}");
    assert_eq!(
        text(&root, "[data-testid=import-lines] tbody tr td"),
        "line 2"
    );
}

#[wasm_bindgen_test]
async fn an_import_lists_200_lines_and_the_rest_on_request() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    let input: Vec<String> = (1..=250)
        .map(|i| format!(r#"{{"client":"c","metric":"m","amount":{i},"ts":"2024-01-01"}}"#))
        .collect();
    let summary = import_through_the_view(&root, &input.join("\n")).await;
    assert!(summary.contains("250 accepted"), "{summary}");
    assert!(text(&root, "main").contains("Showing 200 of 250 items."));
    button(&root, "Show 50 more").click();
    tick().await;
    assert!(text(&root, "main").contains("Showing 250 of 250 items."));
    assert_eq!(
        root.query_selector_all("[data-testid=import-lines] tbody tr")
            .expect("query")
            .length(),
        250
    );
    assert!(
        !text(&root, "main").contains("more"),
        "nothing more to show"
    );
}

#[wasm_bindgen_test]
async fn every_line_of_a_long_import_links_the_submission_that_holds_it() {
    // 1,300 lines are three chunks of 500, committed in one or more holds
    // of the commit lock: each line's link must still name the submission
    // made of that line, across every boundary. Line 700 resends line 100.
    clear_storage();
    let (root, _app) = mounted_app().await;
    let line = |i: usize| {
        let amount = if i == 700 { 100 } else { i };
        format!(r#"{{"client":"c","metric":"m","amount":{amount},"ts":"2024-01-01"}}"#)
    };
    let input: Vec<String> = (1..=1300).map(line).collect();
    let summary = import_through_the_view(&root, &input.join("\n")).await;
    assert!(
        summary.contains("1,299 accepted") && summary.contains("1 duplicate"),
        "{summary}"
    );
    let show_more = || {
        let buttons = root.query_selector_all("button").expect("buttons");
        (0..buttons.length())
            .filter_map(|i| buttons.item(i))
            .map(|n| n.unchecked_into::<HtmlElement>())
            .find(|b| b.text_content().unwrap_or_default().ends_with(" more"))
    };
    while let Some(more) = show_more() {
        more.click();
        tick().await;
    }
    let rows = root
        .query_selector_all("[data-testid=import-lines] tbody tr")
        .expect("query");
    assert_eq!(rows.length(), 1300);
    let tally = Tally::open().expect("open");
    for i in [1, 499, 500, 501, 700, 1000, 1001, 1300] {
        let row: HtmlElement = rows.item(i as u32 - 1).expect("a row").unchecked_into();
        let link = row.query_selector("a").expect("query").expect("a link");
        assert_eq!(
            link.text_content().unwrap_or_default(),
            format!("line {}", tally::report::display::count(i as u64))
        );
        let href = link.get_attribute("href").unwrap_or_default();
        let encoded = href
            .strip_prefix("#/submission/")
            .expect("a submission link");
        let id: String = js_sys::decode_uri_component(encoded)
            .expect("decodes")
            .into();
        let id = SubmissionId::parse(&id).expect("an id");
        let held = tally.ledger.state().submission(&id).expect("recorded");
        assert_eq!(*held.raw, *line(i), "line {i}");
    }
}

/// Fills localStorage to the brim with another key family.
fn fill_storage() {
    let kv = LocalStorageKv;
    let chunk = "x".repeat(256 * 1024);
    let mut n = 0;
    while kv.set(&format!("test-filler-{n}"), &chunk).is_ok() {
        n += 1;
    }
    let mut size = chunk.len() / 2;
    while size > 0 {
        if kv
            .set(&format!("test-filler-{n}"), &"x".repeat(size))
            .is_ok()
        {
            n += 1;
        } else {
            size /= 2;
        }
    }
}

/// Removes what [`fill_storage`] wrote.
fn empty_filler() {
    let kv = LocalStorageKv;
    for key in kv
        .keys()
        .expect("keys")
        .into_iter()
        .filter(|k| k.starts_with("test-filler"))
    {
        kv.remove(&key).expect("remove filler");
    }
}

/// UTF-16 code units of Tally's keys and values, as localStorage counts
/// them (JavaScript's own string lengths).
fn units_in_storage() -> u64 {
    js_sys::eval(
        "let n = 0; for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i); if (k.startsWith('tally:')) n += k.length + localStorage.getItem(k).length; } n",
    )
    .expect("count in JavaScript")
    .as_f64()
    .expect("a number") as u64
}

#[wasm_bindgen_test]
fn the_storage_meter_counts_what_local_storage_counts() {
    clear_storage();
    tally::browser::forget_sizes();
    let kv = LocalStorageKv;
    // Characters of one, two and three UTF-8 bytes are one code unit each;
    // one of four bytes (beyond the Basic Multilingual Plane) is two.
    let text = "a é 中 😀 \u{4E00}";
    kv.set("tally:test:written", text).expect("write");
    js_sys::eval("localStorage.setItem('tally:test:read-😀', 'b ü 😀😀'); true")
        .expect("write in JavaScript");
    // The meter notes sizes as keys are read and written, and reads the rest.
    assert_eq!(
        kv.get("tally:test:read-😀").expect("read").as_deref(),
        Some("b ü 😀😀")
    );
    assert_eq!(
        tally::browser::tally_units().expect("meter"),
        units_in_storage()
    );
    tally::browser::forget_sizes();
    assert_eq!(
        tally::browser::tally_units().expect("meter"),
        units_in_storage()
    );
    assert_eq!(units_in_storage(), 18 + 10 + 18 + 8);
    clear_storage();
}

/// Whether the keys this page knows hold `key`.
fn known(key: &str) -> bool {
    LocalStorageKv
        .known_keys()
        .expect("known keys")
        .iter()
        .any(|k| k == key)
}

#[wasm_bindgen_test]
fn the_keys_a_page_knows_follow_its_writes_and_each_listing() {
    clear_storage();
    tally::browser::forget_sizes();
    let kv = LocalStorageKv;
    kv.keys().expect("list");
    kv.set("tally:test:mine", "1").expect("write");
    assert!(known("tally:test:mine"), "this page's write");
    // A key another tab adds changes the number of keys: listed afresh.
    js_sys::eval("localStorage.setItem('tally:test:theirs', '2'); true")
        .expect("write in JavaScript");
    assert!(known("tally:test:theirs"));
    // One removed and another added leave the number as it was: the page
    // goes on with what it last read, like everything it shows...
    js_sys::eval(
        "localStorage.removeItem('tally:test:theirs'); localStorage.setItem('tally:test:next', '3'); true",
    )
    .expect("write in JavaScript");
    assert!(known("tally:test:theirs") && !known("tally:test:next"));
    // ...until the browser tells it that storage changed (the storage
    // event), or a listing renews it.
    tally::browser::forget_keys();
    assert!(!known("tally:test:theirs") && known("tally:test:next"));
    kv.remove("tally:test:mine").expect("remove");
    assert!(!known("tally:test:mine"), "this page's removal");
    clear_storage();
}

/// Another tab's failed submission of `payload`, written where that tab's
/// outbox writes it, behind this page's back; then this tab is told.
fn another_tab_fails(payload: &str) {
    let theirs = std::rc::Rc::new(tally::store::MemoryKv::new());
    tally::service::Outbox::new(theirs.clone())
        .record_failure(payload, "the database is down", now())
        .expect("record");
    let storage = window().local_storage().expect("storage").expect("storage");
    for key in theirs.keys().expect("keys") {
        let value = theirs.get(&key).expect("read").expect("a value");
        storage
            .set_item(&key, &value)
            .expect("write past this page");
        tell_this_tab(&format!("'{key}'"));
    }
}

#[wasm_bindgen_test]
async fn what_another_tab_leaves_in_failed_is_counted_here_once_told() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    type_into(&root, "#raw-event", A);
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=glance-waiting]"), "0");
    another_tab_fails(B);
    until("the other tab's failure is counted", || {
        text(&root, "[data-testid=glance-waiting]") == "1"
    })
    .await;
    go("#/failed").await;
    assert_eq!(text(&root, "[data-testid=outbox-count]"), "1 waiting");
    clear_storage();
}

#[wasm_bindgen_test]
async fn failed_forgets_what_its_last_retry_did_once_another_tab_changes_it() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    switch_database_failure(&root).await;
    type_into(&root, "#raw-event", A);
    button(&root, "Submit event").click();
    committed().await;
    switch_database_failure(&root).await;
    assert_eq!(
        retry_all(&root).await,
        "Retried 1: 1 counted, 0 still failing."
    );
    another_tab_fails(B);
    until("the other tab's failure is listed", || {
        shows(&root, "[data-testid=outbox-count]")
    })
    .await;
    assert_eq!(text(&root, "[data-testid=outbox-count]"), "1 waiting");
    assert_eq!(
        text(&root, "[data-testid=retry-message]"),
        "",
        "no word of a retry above an item it never saw"
    );
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_submit_into_full_storage_never_says_it_waits_in_failed() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/submit").await;
    fill_storage();
    type_into(&root, "#raw-event", A);
    button(&root, "Submit event").click();
    committed().await;
    empty_filler();
    let answer = text(&root, "[data-testid=outcome]");
    assert!(
        answer.contains("It is not waiting in Failed: storage had no room to keep it.")
            && !answer.contains("It waits in Failed"),
        "{answer}"
    );
    // Said once on the page: in the banner over every view, not again
    // under the form.
    let page = root.text_content().unwrap_or_default();
    assert_eq!(
        page.matches("could not be kept in Failed").count(),
        1,
        "{page}"
    );
    // Twice: the notice is the same one, its count raised, and the answer
    // still says so.
    fill_storage();
    button(&root, "Submit event").click();
    committed().await;
    empty_filler();
    let answer = text(&root, "[data-testid=outcome]");
    assert!(answer.contains("It is not waiting in Failed"), "{answer}");
}

#[wasm_bindgen_test]
async fn an_import_into_full_storage_says_which_lines_failed_kept_nowhere() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    fill_storage();
    let summary = import_through_the_view(&root, &format!("{A}\n{B}")).await;
    empty_filler();
    assert!(summary.contains("2 failed"), "{summary}");
    let details = text(&root, "[data-testid=import-lines] tbody");
    assert_eq!(
        details
            .matches("storage had no room to keep it in Failed")
            .count(),
        2,
        "{details}"
    );
    assert!(!details.contains("waits in Failed"), "{details}");
    let banner = text(&root, "[data-testid=load-report]");
    assert!(
        banner.contains("Storage needs your attention")
            && banner.contains("2 failed submissions could not be kept in Failed"),
        "{banner}"
    );
}

#[wasm_bindgen_test]
async fn clear_all_data_also_clears_the_last_answers_and_imports_results() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Accepted");
    let summary = import_through_the_view(&root, &format!("{A}\n{B}")).await;
    assert!(summary.contains("1 accepted, 1 duplicate"), "{summary}");
    go("#/about").await;
    js_sys::eval("window.confirm = () => true;").expect("answer the question");
    button(&root, "Clear all data").click();
    committed().await;
    assert_eq!(
        text(&root, "[data-testid=backup-message]"),
        "All Tally data was deleted."
    );
    assert_eq!(events_stored(), 0);
    go("#/import").await;
    assert!(
        !shows(&root, "[data-testid=import-summary]"),
        "the summary of deleted data is gone"
    );
    assert!(!shows(&root, "[data-testid=import-lines]"));
    // Nor does Submit still answer for a deleted event (an outside review
    // followed its story link to "no counted event").
    go("#/submit").await;
    assert!(!shows(&root, "[data-testid=outcome]"));
    // Nor when another tab clears.
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Accepted");
    Tally::open()
        .expect("another tab")
        .clear_all()
        .expect("clear");
    tell_this_tab("null");
    until("the answer about a cleared event stays", || {
        !shows(&root, "[data-testid=outcome]")
    })
    .await;
}

#[wasm_bindgen_test]
async fn rules_another_tab_saves_are_shown_and_used_here() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/rules").await;
    let mut rules = tally::pipeline::rules::Rules::default();
    rules.aliases.amount.push("montant".into());
    another_tab_saves(&rules);
    let area: HtmlTextAreaElement = find(&root, "#rules-json").unchecked_into();
    until("the other tab's rules are not shown", || {
        area.value().contains("montant")
    })
    .await;
    // And decided with.
    go("#/submit").await;
    type_into(
        &root,
        "#raw-event",
        r#"{"client":"c","metric":"m","montant":5,"ts":"2024-01-01"}"#,
    );
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Accepted");
    // Editing here while the other tab saves again: said, and saving asks
    // before it replaces the other tab's rules (an outside review lost one).
    go("#/rules").await;
    let mut mine = rules.clone();
    mine.envelopes.push("wrapper".into());
    type_into(&root, "#rules-json", &mine.to_json());
    tick().await;
    let mut theirs = rules.clone();
    theirs.aliases.amount.push("betrag".into());
    another_tab_saves(&theirs);
    until("not said", || shows(&root, "[data-testid=rules-replaced]")).await;
    js_sys::eval("window.confirm = () => false;").expect("answer no");
    button(&root, "Save rules").click();
    tick().await;
    assert_eq!(
        text(&root, "[data-testid=rules-message]"),
        "Not saved: the other tab's rules stay."
    );
    assert_eq!(Tally::open().expect("open").ledger.rules, theirs);
    js_sys::eval("window.confirm = () => true;").expect("answer yes");
    button(&root, "Save rules").click();
    tick().await;
    assert!(text(&root, "[data-testid=rules-message]").starts_with("Saved."));
    assert_eq!(Tally::open().expect("open").ledger.rules, mine);
}

/// Where this tab's import got to, as it notes it for a reload.
fn import_place() -> Option<String> {
    window()
        .session_storage()
        .expect("session storage")
        .expect("session storage")
        .get_item("tally-import-place")
        .expect("read")
}

#[wasm_bindgen_test]
async fn an_import_cut_short_by_a_reload_says_how_far_it_got() {
    clear_storage();
    let session = window()
        .session_storage()
        .expect("session storage")
        .expect("session storage");
    // What an import of 20,000 lines leaves when the page reloads after
    // its twelfth chunk.
    session
        .set_item("tally-import-place", "6000/20000")
        .expect("note");
    let (root, _app) = mounted_app().await;
    go("#/import").await;
    let notice = text(&root, "[data-testid=import-cut-short]");
    assert!(
        notice.starts_with("An import of 20,000 items in this tab stopped after at least 6,000 of them, when the page was reloaded or closed."),
        "{notice}"
    );
    button(&root, "Dismiss").click();
    tick().await;
    assert!(!shows(&root, "[data-testid=import-cut-short]"));
    assert_eq!(import_place(), None);
}

#[wasm_bindgen_test]
async fn retry_all_says_what_each_retry_became_in_the_order_sent() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
    let keyed = |amount: u32| {
        format!(
            r#"{{"client":"c","metric":"m","amount":{amount},"ts":"2024-01-01","event_id":"K1"}}"#
        )
    };
    for amount in [10, 20, 30] {
        assert!(tally.submit(&keyed(amount)).0.is_retryable());
    }
    drop(tally);
    let (root, _app) = mounted_app().await;
    assert_eq!(
        retry_all(&root).await,
        "Retried 3: 1 counted, 2 conflicts, 0 still failing."
    );
    go("#/aggregates").await;
    assert_eq!(
        text(&root, "[data-testid=overall-sum]"),
        "10",
        "the first sent holds the key"
    );
}

#[wasm_bindgen_test]
async fn an_interrupted_attempt_says_what_became_of_its_text() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
    let c = A.replace("2024", "2023");
    for text in [A, B, c.as_str()] {
        assert!(tally.submit(text).0.is_retryable());
    }
    tally.ledger.faults = FaultPlan::none();
    let items = tally.outbox_items();
    let item = |raw: &str| items.iter().find(|i| i.raw == raw).expect("waits");
    assert_eq!(tally.retry(item(A)).label(), "Accepted");
    tally.discard(item(B)).expect("discard");
    let ids: Vec<_> = tally.ledger.state().submissions()[..3]
        .iter()
        .map(|s| s.id.clone())
        .collect();
    drop(tally);
    let (root, _app) = mounted_app().await;
    go("#/log?status=Interrupted").await;
    let rows = text(&root, "[data-testid=log]");
    assert_eq!(rows.matches("counted when sent again").count(), 1, "{rows}");
    assert_eq!(
        root.query_selector_all("[data-testid=log] a.story")
            .expect("links")
            .length(),
        1,
        "only the counted one leads to an event"
    );
    let verdict = |id: &tally::ledger::SubmissionId| {
        let hash = format!(
            "#/submission/{}",
            String::from(js_sys::encode_uri_component(&id.to_string()))
        );
        let root = root.clone();
        async move {
            go(&hash).await;
            text(&root, "[data-testid=submission-verdict]")
        }
    };
    assert!(verdict(&ids[0])
        .await
        .contains("counted when it was sent again"));
    assert!(verdict(&ids[1]).await.ends_with("It is no longer in Failed (it was discarded): submitting the same text again is safe and counts it once."));
    assert!(verdict(&ids[2])
        .await
        .ends_with("It waits in Failed, where retrying it is safe."));
}

#[wasm_bindgen_test]
async fn discarding_asks_what_it_would_lose_for_that_item() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    tally.ledger.faults = FaultPlan::always(FaultPoint::LostAck);
    assert!(tally.submit(A).0.is_retryable());
    tally.ledger.faults = FaultPlan::always(FaultPoint::BeforeRaw);
    assert!(tally.submit(B).0.is_retryable());
    drop(tally);
    let (root, _app) = mounted_app().await;
    go("#/failed").await;
    js_sys::eval(
        "window.asked = []; window.confirm = (q) => { window.asked.push(q); return false; };",
    )
    .expect("record the questions");
    let buttons = root
        .query_selector_all("ul.outbox button.secondary")
        .expect("buttons");
    assert_eq!(buttons.length(), 2);
    for i in 0..2 {
        let b: HtmlElement = buttons.item(i).expect("a button").unchecked_into();
        b.click();
    }
    let asked = String::from(
        js_sys::JSON::stringify(&js_sys::eval("window.asked").expect("questions")).expect("text"),
    );
    assert!(
        asked.contains("Its text was counted (its acknowledgement was lost), so nothing is lost."),
        "{asked}"
    );
    assert!(
        asked.contains("this is its only copy, and it was never counted."),
        "{asked}"
    );
    // Asked, answered no: both still wait.
    assert_eq!(
        root.query_selector_all("ul.outbox > li")
            .expect("items")
            .length(),
        2
    );
    // And an empty Aggregates says why, once: an unknown client under the
    // filters, filters that match only apart below them.
    go("#/aggregates?client=nobody").await;
    assert_eq!(
        text(&root, "[data-testid=aggregates-why-nothing]"),
        "No committed event has the client \"nobody\"."
    );
    assert!(!shows(&root, "[data-testid=no-aggregates]"));
    go("#/aggregates?client=client_A&from=2030-01-01").await;
    assert_eq!(
        text(&root, "[data-testid=no-aggregates]"),
        "No committed event matches the filters above: each matches some events, but not together."
    );
}

#[wasm_bindgen_test]
async fn a_lost_acknowledgement_retries_as_a_duplicate() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    tally.ledger.faults = FaultPlan::always(FaultPoint::LostAck);
    let (outcome, kept) = tally.submit(A);
    assert!(outcome.is_retryable() && kept.is_none());
    tally.ledger.faults = FaultPlan::none();
    let outcomes = tally.retry_all();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].label(), "Duplicate");
    assert_eq!(events_stored(), 1);
}

#[wasm_bindgen_test]
async fn a_full_storage_fails_cleanly_and_keeps_working() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    assert_eq!(tally.submit(A).0.label(), "Accepted");
    fill_storage();
    let (outcome, kept) = tally.submit(B);
    match &outcome {
        Outcome::Failed { failure } => {
            let message = failure.to_string();
            assert!(
                message.contains("storage is full")
                    && message.contains("other data of this site takes the rest"),
                "{message}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(
        kept.is_some_and(|k| k.contains("could not be kept")),
        "the outbox is full too, and says so"
    );
    assert_eq!(
        tally.ledger.state().events().len(),
        1,
        "nothing half-written in memory"
    );
    assert_eq!(events_stored(), 1, "nothing half-written in storage");
    // Make room; the same app keeps working.
    empty_filler();
    assert_eq!(tally.submit(B).0.label(), "Accepted");
    assert_eq!(events_stored(), 2);
}

#[wasm_bindgen_test]
async fn a_corrupted_key_at_startup_is_set_aside_and_reported() {
    clear_storage();
    Tally::open().expect("open").submit(A);
    let kv = LocalStorageKv;
    kv.set("tally:v1:w:broken:head", "{\"open\":")
        .expect("write damage");
    let (root, _app) = mounted_app().await;
    let banner = text(&root, "[data-testid=load-report]");
    assert!(
        banner.contains("tally:v1:w:broken:head") && banner.contains("moved aside"),
        "{banner}"
    );
    assert_eq!(
        text(&root, "[data-testid=totals]"),
        "1 event committed, total amount 1,200"
    );
    assert!(kv.get("tally:v1:w:broken:head").expect("read").is_none());
    let kept = kv
        .keys()
        .expect("keys")
        .into_iter()
        .find(|k| k.starts_with("tally:v1:quarantine:"));
    let kept = kept.expect("a quarantine key");
    assert_eq!(
        kv.get(&kept).expect("read").as_deref(),
        Some("{\"open\":"),
        "the damaged data is kept verbatim"
    );
    // A reload no longer raises the alarm, but About still says what is
    // kept aside, and where (an outside review found it unmentioned).
    drop(_app);
    let (root, _app) = mounted_app().await;
    assert!(!shows(&root, "[data-testid=load-report]"));
    go("#/about").await;
    let note = text(&root, "[data-testid=set-aside]");
    assert!(note.contains(&kept), "{note}");
    // Clear all data deletes it with the rest.
    js_sys::eval("window.confirm = () => true;").expect("answer the question");
    button(&root, "Clear all data").click();
    committed().await;
    assert!(!shows(&root, "[data-testid=set-aside]"));
}

/// Real localStorage that stops writing after a number of writes, as if the
/// tab were closed mid-commit.
struct CrashingKv {
    writes_left: Cell<usize>,
}

impl KeyValue for CrashingKv {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        LocalStorageKv.get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.spend()?;
        LocalStorageKv.set(key, value)
    }
    fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.spend()?;
        LocalStorageKv.remove(key)
    }
    fn keys(&self) -> Result<Vec<String>, StoreError> {
        LocalStorageKv.keys()
    }
}

impl CrashingKv {
    fn spend(&self) -> Result<(), StoreError> {
        match self.writes_left.get() {
            0 => Err(StoreError::Unavailable {
                message: "crashed".into(),
            }),
            n => {
                self.writes_left.set(n - 1);
                Ok(())
            }
        }
    }
}

#[wasm_bindgen_test]
async fn a_crash_at_every_write_index_leaves_before_or_after() {
    for crash_at in 0..=4 {
        clear_storage();
        Tally::open().expect("open").submit(A);
        let before = events_stored();
        let kv = CrashingKv {
            writes_left: Cell::new(crash_at),
        };
        let journal = SegmentJournal::open(kv, "crashing", now()).expect("open journal");
        let mut ledger = Ledger::open(journal, "crashing").expect("open ledger");
        let outcome = ledger.submit(B, now());
        let after = events_stored();
        // Two appends of two writes each; the fourth write is the commit point.
        assert_eq!(
            after,
            if crash_at >= 4 { before + 1 } else { before },
            "crash at write {crash_at}: {outcome:?}"
        );
        // The client retries after the reload: exactly once in the end.
        let mut tally = Tally::open().expect("reopen");
        let label = tally.submit(B).0.label();
        assert_eq!(
            label,
            if crash_at >= 4 {
                "Duplicate"
            } else {
                "Accepted"
            },
            "crash at write {crash_at}"
        );
        assert_eq!(events_stored(), before + 1);
        assert!(
            tally.is_clean(),
            "an interrupted commit is not damage: {:?}",
            tally.messages()
        );
    }
}

#[wasm_bindgen_test]
async fn restoring_a_backup_twice_changes_nothing_the_second_time() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    tally.submit(A);
    tally.submit(B);
    let exported = tally.export().expect("export");
    clear_storage();
    let mut fresh = Tally::open().expect("open");
    assert_eq!(
        fresh.restore(&exported),
        Ok("Restored 2 submissions with their outcomes.".to_string())
    );
    assert_eq!(events_stored(), 2);
    let mut again = Tally::open().expect("open");
    assert!(again
        .restore(&exported)
        .expect("restore")
        .contains("Nothing to restore"));
    assert_eq!(events_stored(), 2);
    assert!(again.restore("{\"format\":\"nope\"}").is_err());
    clear_storage();
}

#[wasm_bindgen_test]
async fn every_view_has_its_own_url() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    for (hash, heading, nav) in [
        ("#/import", "Bulk import", "Bulk import"),
        ("#/processed", "Processed events", "Processed"),
        ("#/failed", "Failed submissions", "Failed"),
        ("#/log", "Raw log", "Raw log"),
        ("#/aggregates", "Aggregates", "Aggregates"),
        ("#/rules", "Mapping rules", "Rules"),
        ("#/simulator", "Simulator", "Simulator"),
        ("#/about", "What Tally guarantees", "About"),
        ("#/submit", "Submit an event", "Submit"),
    ] {
        go(hash).await;
        assert_eq!(text(&root, "main h2"), heading, "{hash}");
        assert_eq!(text(&root, "nav a[aria-current=page]"), nav, "{hash}");
    }
    go("#/nonsense").await;
    assert_eq!(
        text(&root, "main h2"),
        "Submit an event",
        "an unknown view shows Submit"
    );
    assert!(
        text(&root, "[data-testid=unknown-address]")
            .starts_with("No view has the address #/nonsense;"),
        "and says so"
    );
    go("#/processed").await;
    assert!(!shows(&root, "[data-testid=unknown-address]"));
}

#[wasm_bindgen_test]
async fn processed_log_and_aggregates_agree_with_what_was_submitted() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    tally.submit(A);
    tally.submit(B);
    tally.submit(A);
    tally.submit("{broken");
    let (root, _app) = mounted_app().await;

    go("#/processed").await;
    assert_eq!(text(&root, "[data-testid=page]"), "1–2 of 2");
    let rows = root
        .query_selector_all("[data-testid=processed] tbody tr")
        .expect("rows");
    assert_eq!(rows.length(), 2);
    assert!(
        text(&root, "[data-testid=processed] tbody tr").contains("client_B"),
        "newest first"
    );

    go("#/log").await;
    let log = text(&root, "[data-testid=log]");
    assert_eq!(
        root.query_selector_all("[data-testid=log] > li")
            .expect("items")
            .length(),
        4
    );
    assert!(
        log.contains("Rejected") && log.contains("invalid JSON at line 1, column 2"),
        "{log}"
    );
    assert!(log.contains("exact resend of"), "{log}");

    go("#/aggregates").await;
    assert_eq!(text(&root, "[data-testid=overall-count]"), "2");
    assert_eq!(text(&root, "[data-testid=overall-sum]"), "6,200");
    assert_eq!(
        root.query_selector_all("svg[role=img], ul.bars")
            .expect("charts")
            .length(),
        3
    );
    assert_eq!(
        text(&root, "ul.bars li"),
        "client_A1,200",
        "a name, its bar and its sum"
    );
    let client_filter: web_sys::HtmlSelectElement =
        find(&root, "#aggregates-client").unchecked_into();
    client_filter.set_value("client_B");
    client_filter
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatch");
    tick().await;
    assert_eq!(text(&root, "[data-testid=overall-sum]"), "5,000");
    // A filtered export says whose figures it holds, and the message goes
    // with the filter.
    button(&root, "Export CSV").click();
    tick().await;
    assert_eq!(
        text(&root, "[data-testid=export-message]"),
        "Exported tally-aggregates-filtered.csv: the figures of client=client_B only."
    );
    // An address changed while Aggregates shows (its menu link, Back) is
    // followed: the view kept client_B's figures under `#/aggregates`.
    go("#/aggregates").await;
    assert_eq!(client_filter.value(), "");
    assert_eq!(text(&root, "[data-testid=overall-sum]"), "6,200");
    assert_eq!(text(&root, "[data-testid=export-message]"), "");
}

#[wasm_bindgen_test]
async fn rejected_items_of_an_array_go_back_in_the_box_one_per_line() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    // The second item is written over three lines and refused: put back
    // as it was, its lines would be three items of invalid JSON.
    let input = format!("[{A},\n{{\"client\": \"c\",\n \"metric\": \"m\"}}]");
    let summary = import_through_the_view(&root, &input).await;
    assert!(
        summary.contains("1 accepted, 0 duplicates, 1 rejected"),
        "{summary}"
    );
    button(&root, "Put the 1 rejected item back in the box").click();
    tick().await;
    let area: HtmlTextAreaElement = find(&root, "#bulk-events").unchecked_into();
    assert_eq!(area.value(), r#"{"client":"c","metric":"m"}"#);
}

#[wasm_bindgen_test]
async fn an_array_submitted_as_one_event_is_offered_bulk_import_and_only_there() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    type_into(&root, "#raw-event", &format!("[{A}, {B}]"));
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Rejected");
    assert!(text(&root, ".reasons").contains("an event must be a JSON object, found an array"));
    let offer = find(&root, "[data-testid=use-bulk-import] a");
    assert_eq!(offer.get_attribute("href").as_deref(), Some("#/import"));
    // Following it brings the array along into an empty box.
    offer.click();
    next_task().await;
    tick().await;
    let bulk = || -> HtmlTextAreaElement { find(&root, "#bulk-events").unchecked_into() };
    assert_eq!(bulk().value(), format!("[{A}, {B}]"));
    // A draft in the box is never replaced.
    type_into(&root, "#bulk-events", "my draft");
    go("#/submit").await;
    find(&root, "[data-testid=use-bulk-import] a").click();
    next_task().await;
    tick().await;
    assert_eq!(bulk().value(), "my draft");
    type_into(&root, "#bulk-events", "");
    go("#/submit").await;
    // The refusal kept on the submission's page says what was found; the
    // offer belongs to the form.
    follow(&root, "[data-testid=outcome-submission]").await;
    let kept = text(&root, "[data-testid=submission-reasons]");
    assert!(
        kept.contains("found an array") && !kept.contains("bulk import"),
        "{kept}"
    );
    // A number is not many events: no offer.
    go("#/submit").await;
    type_into(&root, "#raw-event", "7");
    button(&root, "Submit event").click();
    committed().await;
    assert!(text(&root, ".reasons").contains("found a number"));
    assert!(root
        .query_selector("[data-testid=use-bulk-import]")
        .ok()
        .flatten()
        .is_none());
}

#[wasm_bindgen_test]
async fn an_imported_line_that_is_not_an_object_is_not_told_to_use_bulk_import() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    let keyed = |amount: u32| {
        format!(
            r#"{{"client":"c","metric":"m","amount":{amount},"ts":"2024-01-01","event_id":"k"}}"#
        )
    };
    let input = format!("7\n[1]\n{}\n{}", keyed(1), keyed(2));
    let summary = import_through_the_view(&root, &input).await;
    assert!(summary.contains("1 accepted"), "{summary}");
    assert!(summary.contains("2 rejected"), "{summary}");
    assert!(summary.contains("1 conflict"), "{summary}");
    let lines = text(&root, "[data-testid=import-lines]");
    assert!(
        lines.contains("an event must be a JSON object, found an array"),
        "{lines}"
    );
    assert!(!lines.contains("bulk import"), "{lines}");
    // The conflicting line leads to the event that holds its key, as the
    // accepted line does.
    let story = |row: usize| {
        find(
            &root,
            &format!("[data-testid=import-lines] tbody tr:nth-child({row}) a.story"),
        )
        .get_attribute("href")
    };
    assert!(story(3).is_some());
    assert_eq!(story(4), story(3));
}

#[wasm_bindgen_test]
async fn a_mean_rounded_to_nine_decimals_is_marked_as_rounded() {
    // 2,401.000000001 over three events: 800.333333333666…, which nine
    // decimals cannot hold,
    // in a column that shows nine decimals anyway (an outside review saw
    // it unmarked, its title calling it exact).
    clear_storage();
    let mut tally = Tally::open().expect("open");
    for (day, amount) in [(1, "800"), (2, "800"), (3, "801.000000001")] {
        tally.submit(&format!(
            r#"{{"client":"c","metric":"m","amount":"{amount}","ts":"2024-01-0{day}"}}"#
        ));
    }
    let (root, _app) = mounted_app().await;
    go("#/aggregates").await;
    let mean = find(&root, "[data-testid=overall] div:last-child dd");
    assert_eq!(mean.text_content().unwrap_or_default(), "≈800.333333334");
    let title = mean.get_attribute("title").unwrap_or_default();
    assert!(title.contains("rounded"), "{title}");
}

#[wasm_bindgen_test]
async fn the_day_chart_places_each_day_at_its_date_with_its_sums_written() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    for (day, amount) in [("01", "10"), ("02", "30"), ("10", "-5"), ("10", "25")] {
        tally.submit(&format!(
            r#"{{"client":"c","metric":"m","amount":"{amount}","ts":"2024-01-{day}T12:00:00Z"}}"#
        ));
    }
    let (root, _app) = mounted_app().await;
    go("#/aggregates").await;
    let columns = root
        .query_selector_all("[data-testid=day-chart] rect")
        .expect("columns");
    let x = |i: u32| -> f64 {
        let rect: web_sys::Element = columns.item(i).expect("a column").unchecked_into();
        rect.get_attribute("x")
            .unwrap_or_default()
            .parse()
            .expect("a number")
    };
    assert_eq!(columns.length(), 3, "one column per day with events");
    // January 1st, 2nd and 10th: the gap of a week is eight days wide.
    let (one, two, ten) = (x(0), x(1), x(2));
    assert!(
        ((ten - two) / (two - one) - 8.0).abs() < 0.01,
        "{one} {two} {ten}"
    );
    let words = text(&root, "[data-testid=day-chart]");
    for expected in ["largest 30", "2024-01-01", "2024-01-05", "2024-01-10"] {
        assert!(words.contains(expected), "{expected} in {words}");
    }
    assert!(
        !words.contains("smallest"),
        "no day sums below zero: {words}"
    );
}

#[wasm_bindgen_test]
async fn a_one_day_chart_writes_its_date_once() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    tally.submit(r#"{"client":"c","metric":"m","amount":"4","ts":"2024-05-01T12:00:00Z"}"#);
    let (root, _app) = mounted_app().await;
    go("#/aggregates").await;
    let labels = root
        .query_selector_all("[data-testid=day-chart] > text")
        .expect("labels");
    let dates = (0..labels.length())
        .filter_map(|i| labels.item(i).and_then(|n| n.text_content()))
        .filter(|t| t == "2024-05-01")
        .count();
    assert_eq!(dates, 1, "{}", text(&root, "[data-testid=day-chart]"));
}

#[wasm_bindgen_test]
async fn rules_are_validated_saved_and_applied_to_new_events() {
    clear_storage();
    let (root, app) = mounted_app().await;
    go("#/rules").await;
    type_into(&root, "#rules-json", "{\"version\": 1}");
    tick().await;
    assert!(text(&root, "[data-testid=rules-validation]").contains("'envelopes' is missing"));
    // Shown as a problem, not in the grey of "Valid rules." (an outside review).
    assert!(find(&root, "[data-testid=rules-validation]")
        .class_list()
        .contains("invalid"));
    button(&root, "Save rules").click();
    tick().await;
    // Said once under the box; the message only says nothing was saved,
    // and "Not saved yet" does not offer a save that cannot happen.
    assert_eq!(
        text(&root, "[data-testid=rules-message]"),
        "Not saved: the rules above are not valid."
    );
    assert!(!shows(&root, "[data-testid=rules-unsaved]"));
    // A client name with spaces around it is refused as written, naming it.
    let mut spaced = tally::pipeline::rules::Rules::default();
    spaced.clients.insert("acme ".into(), Default::default());
    type_into(&root, "#rules-json", &spaced.to_json());
    tick().await;
    assert_eq!(
        text(&root, "[data-testid=rules-validation]"),
        "clients.\"acme \": the client name has spaces around it; write \"acme\", as client ids are read without them"
    );

    let mut rules = tally::pipeline::rules::Rules::default();
    rules.aliases.amount.push("total".into());
    type_into(&root, "#rules-json", &rules.to_json());
    // Another view and back: the unsaved edit is still there, and says so.
    go("#/submit").await;
    go("#/rules").await;
    let area: HtmlTextAreaElement = find(&root, "#rules-json").unchecked_into();
    assert_eq!(area.value(), rules.to_json());
    assert!(text(&root, "[data-testid=rules-unsaved]").starts_with("Not saved yet"));
    assert!(!find(&root, "[data-testid=rules-validation]")
        .class_list()
        .contains("invalid"));
    button(&root, "Save rules").click();
    tick().await;
    assert!(text(&root, "[data-testid=rules-message]").starts_with("Saved."));
    assert!(!shows(&root, "[data-testid=rules-unsaved]"));
    // A letter typed and deleted again leaves nothing to save, and neither
    // do the same rules laid out otherwise.
    type_into(
        &root,
        "#rules-json",
        &rules.to_json().replace("\"total\"", "\"totals\""),
    );
    tick().await;
    assert!(text(&root, "[data-testid=rules-unsaved]").starts_with("Not saved yet"));
    type_into(&root, "#rules-json", &rules.to_json());
    tick().await;
    let unsaved = || shows(&root, "[data-testid=rules-unsaved]");
    assert!(!unsaved(), "the saved rules again");
    type_into(&root, "#rules-json", &rules.to_json().replace('\n', " "));
    tick().await;
    assert!(!unsaved(), "the saved rules on one line");
    drop(app);
    // After a reload the saved rules apply.
    let mut tally = Tally::open().expect("open");
    assert!(tally.is_clean());
    let (outcome, _) = tally.submit(r#"{"client":"c","metric":"m","total":"7","ts":"2024-01-01"}"#);
    assert_eq!(outcome.label(), "Accepted");
}

#[wasm_bindgen_test]
async fn bulk_import_reports_every_line() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/import").await;
    // An empty box says what to do instead of importing nothing.
    button(&root, "Import").click();
    tick().await;
    assert!(
        text(&root, ".error[role=alert]").starts_with("Nothing to import: paste events"),
        "{}",
        text(&root, ".error[role=alert]")
    );
    let input = format!(
        "{A}\n{B}\n{A}\n{{broken\n\n{}",
        r#"{"client":"client_B","metric":"purchase","amount":5000,"ts":"2024-12-01"}"#
    );
    type_into(&root, "#bulk-events", &input);
    // Hold the commit lock, so the import waits mid-way as a long one does.
    let held: js_sys::Promise = js_sys::Function::new_no_args(
        "return new Promise(held => navigator.locks.request('tally-commit', () => new Promise(r => { window.__releaseCommit = r; held(); })));",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .expect("hold the commit lock")
    .unchecked_into();
    let _ = wasm_bindgen_futures::JsFuture::from(held).await;
    button(&root, "Import").click();
    tick().await;
    assert!(
        find(&root, "#bulk-events")
            .class_list()
            .contains("importing"),
        "the box is hidden while an import reads it"
    );
    assert!(text(&root, "main").contains("The box is hidden while its items are imported"));
    assert_eq!(
        import_place().as_deref(),
        Some("0/5"),
        "a reload now would find where the import got to"
    );
    // Leaving mid-import and coming back finds it finished, not stuck.
    go("#/log").await;
    js_sys::Function::new_no_args("window.__releaseCommit();")
        .call0(&wasm_bindgen::JsValue::NULL)
        .expect("release the commit lock");
    // The import yields to the browser between chunks.
    let summary = text_once_shown(&root, "#/import", "[data-testid=import-summary]", 50).await;
    assert!(summary.starts_with("Read 5 items in"), "{summary}");
    // Six lines, five items: the blank one is said, not silently gone.
    assert!(
        summary.ends_with("0 conflicts. 1 blank line skipped."),
        "{summary}"
    );
    assert!(
        summary.contains("2 accepted, 2 duplicates, 1 rejected, 0 failed, 0 conflicts"),
        "{summary}"
    );
    let lines = text(&root, "[data-testid=import-lines]");
    // A line that became an event, or was one already, leads to its story
    // in one click, as in the Raw log; the broken line names no event.
    let stories = root
        .query_selector_all("[data-testid=import-lines] a.story")
        .expect("story links");
    assert_eq!(stories.length(), 4, "{lines}");
    let first: HtmlElement = find(
        &root,
        "[data-testid=import-lines] tbody tr:first-child a.story",
    );
    assert!(first
        .get_attribute("href")
        .is_some_and(|href| href.starts_with("#/event/")));
    // A line's JSON error is placed by column: "line 4 … line 1" would
    // name two lines at once.
    assert!(lines.contains("invalid JSON at column 2:"), "{lines}");
    assert!(!lines.contains("line 1, column"), "{lines}");
    assert_eq!(import_place(), None, "a finished import leaves no place");
    assert_eq!(events_stored(), 2);
    // Every line is recorded, so the box is shown again, empty, and says why.
    let area: HtmlTextAreaElement = find(&root, "#bulk-events").unchecked_into();
    assert_eq!(area.value(), "");
    assert!(!area.class_list().contains("importing"));
    assert!(text(&root, "main").contains("The box is emptied: every item is in the Raw log"));
    // The refused line can go back in the box to be fixed, and only it.
    button(&root, "Put the 1 rejected item back in the box").click();
    tick().await;
    assert_eq!(area.value(), "{broken");
    type_into(&root, "#bulk-events", "");

    // Each line leads to its submission's page; line 4 is the broken one.
    assert_eq!(
        text(&root, "[data-testid=import-lines] tbody tr:nth-child(5) td"),
        "line 6",
        "a blank line still counts in the numbering"
    );
    follow(&root, "[data-testid=import-lines] tbody tr:nth-child(4) a").await;
    let verdict = text(&root, "[data-testid=submission-verdict]");
    assert!(
        verdict.starts_with("Not counted: refused for 1 reason,"),
        "{verdict}"
    );
    let reasons = text(&root, "[data-testid=submission-reasons]");
    assert!(
        reasons.starts_with("invalid JSON at line 1, column 2"),
        "{reasons}"
    );
    assert!(text(&root, "pre.raw").contains("{broken"));
    // Coming back finds the import's results where they were.
    go("#/import").await;
    assert_eq!(text(&root, "[data-testid=import-summary]"), summary);
    assert!(text(&root, "[data-testid=import-lines]").contains("invalid JSON"));
    // A second click on the emptied box keeps them, and says whose they are.
    button(&root, "Import").click();
    tick().await;
    assert!(
        text(&root, ".error[role=alert]").ends_with("The results below are the last import's."),
        "{}",
        text(&root, ".error[role=alert]")
    );
    assert_eq!(text(&root, "[data-testid=import-summary]"), summary);
    // A refused new import does not leave the last one's results looking like its own.
    type_into(&root, "#bulk-events", "[{\"a\":1},");
    button(&root, "Import").click();
    tick().await;
    assert!(text(&root, ".error[role=alert]").starts_with("Nothing was imported"));
    assert!(!shows(&root, "[data-testid=import-summary]"));
}

/// Clicks the link `selector` finds, as a user does, and lets the view
/// the address names render.
async fn follow(root: &HtmlElement, selector: &str) {
    let link = find(root, selector);
    let href = link.get_attribute("href").unwrap_or_default();
    assert!(href.starts_with("#/"), "a link within the app: {href}");
    link.click();
    // The hashchange is dispatched as a task, after this one.
    next_task().await;
    tick().await;
    assert_eq!(
        window().location().hash().ok().as_deref(),
        Some(href.as_str())
    );
}

#[wasm_bindgen_test]
async fn a_rejected_submission_has_a_page_with_every_reason_that_survives_a_reload() {
    clear_storage();
    let (root, app) = mounted_app().await;
    type_into(
        &root,
        "#raw-event",
        r#"{"client_id":"c","amount":"abc","ts":"yesterday"}"#,
    );
    button(&root, "Submit event").click();
    committed().await;
    go("#/log").await;
    follow(&root, "[data-testid=log] li .log-head a").await;
    let reasons = |root: &HtmlElement| -> Vec<String> {
        let items = root
            .query_selector_all("[data-testid=submission-reasons] li")
            .expect("reasons");
        (0..items.length())
            .filter_map(|i| items.item(i))
            .filter_map(|n| n.text_content())
            .collect()
    };
    let found = reasons(&root);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("metric"), "{found:?}");
    assert!(
        found[1].starts_with("amount (at amount, found \"abc\")"),
        "{found:?}"
    );
    assert!(found[2].starts_with("timestamp (at ts"), "{found:?}");
    assert!(text(&root, "[data-testid=submission-fields]").contains("this tab"));

    // The address is the page's own: a reload finds the same submission.
    let address = window().location().hash().expect("hash");
    drop(app);
    let root = container();
    let _app = mount_to(root.clone(), App);
    tick().await;
    assert_eq!(window().location().hash().ok(), Some(address));
    assert_eq!(reasons(&root), found);
    assert!(
        text(&root, "[data-testid=submission-fields]").contains("another tab or an earlier visit"),
        "a reload is a new writer"
    );

    // An address that names nothing says so.
    go("#/submission/nobody%2399").await;
    assert!(text(&root, "[data-testid=submission-missing]").contains("No submission"));
}

#[wasm_bindgen_test]
async fn the_failure_switch_shows_the_plan_in_force_after_navigating() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    switch_database_failure(&root).await;
    go("#/processed").await;
    go("#/submit").await;
    let toggle: HtmlInputElement =
        find(&root, "fieldset.failure input[type=checkbox]").unchecked_into();
    assert!(toggle.checked(), "still failing, and the switch says so");
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Failed");
    toggle.click();
    tick().await;
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Accepted");
}

/// Types `text` into a number box, as each keystroke does.
async fn type_rate(rate: &HtmlInputElement, text: &str) {
    rate.set_value(text);
    rate.dispatch_event(&web_sys::Event::new("input").expect("event"))
        .expect("dispatch");
    tick().await;
}

/// Types `text` into a number box and leaves it (Enter, or a click
/// elsewhere), which enters it.
async fn enter(rate: &HtmlInputElement, text: &str) {
    type_rate(rate, text).await;
    rate.dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatch");
    tick().await;
}

#[wasm_bindgen_test]
async fn a_failure_rate_goes_on_drawing_when_submit_is_opened_again() {
    // Each visit to Submit started the failure generator over, so the
    // first request after opening it always drew the same answer (an
    // outside review: at 80%, ten visits, ten Accepted).
    clear_storage();
    let (root, _app) = mounted_app().await;
    switch_database_failure(&root).await;
    let rate: HtmlInputElement = find(&root, "#failure-rate").unchecked_into();
    enter(&rate, "50").await;
    let mut answers = Vec::new();
    for i in 0..12 {
        go("#/processed").await;
        go("#/submit").await;
        type_into(
            &root,
            "#raw-event",
            &format!(r#"{{"client_id":"c","metric":"m","amount":{i},"timestamp":"2024-01-01"}}"#),
        );
        button(&root, "Submit event").click();
        committed().await;
        answers.push(text(&root, "[data-testid=outcome-label]"));
    }
    assert!(
        answers.iter().any(|a| a == "Accepted") && answers.iter().any(|a| a == "Failed"),
        "{answers:?}"
    );
}

#[wasm_bindgen_test]
async fn a_failure_rate_outside_0_to_100_is_refused_and_the_rate_in_force_stays() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    switch_database_failure(&root).await;
    let rate: HtmlInputElement = find(&root, "#failure-rate").unchecked_into();
    // (A number field hands "abc" over as "", which asks for a number.)
    // Typing 150 passes through 1 and 15: none of them is in force before
    // the box is left (an outside review found 15 in force).
    for (typed, said) in [
        ("-5", "'-5' is not a whole number"),
        ("1", ""),
        ("15", ""),
        ("150", "'150' is not a whole number"),
        ("abc", "enter a whole number"),
    ] {
        if said.is_empty() {
            type_rate(&rate, typed).await;
            assert!(!shows(&root, "#failure-rate-error"));
            continue;
        }
        enter(&rate, typed).await;
        let error = text(&root, "#failure-rate-error");
        assert!(
            error.contains(said) && error.contains("still failing 100%"),
            "{error}"
        );
    }
    // Still failing every request, as before the refused values.
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Failed");
    enter(&rate, "0").await;
    assert!(!shows(&root, "#failure-rate-error"));
    button(&root, "Submit event").click();
    committed().await;
    assert_eq!(text(&root, "[data-testid=outcome-label]"), "Accepted");
}

#[wasm_bindgen_test]
async fn the_simulator_shows_a_pass_with_the_numbers_side_by_side() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    Tally::open().expect("open").submit(A); // other data in the store is left out of the comparison
    go("#/simulator").await;
    let events: HtmlInputElement = find(&root, "#sim-events").unchecked_into();
    events.set_value("40");
    events
        .dispatch_event(&web_sys::Event::new("input").expect("event"))
        .expect("dispatch");
    let verdict = run_simulation(&root).await;
    assert_eq!(
        verdict,
        "PASS: 160 distinct events sent, 160 counted, every total exact."
    );
    let stats = text(&root, "[data-testid=sim-stats]");
    assert!(stats.contains("failed attempts"), "{stats}");
    assert!(
        !stats.contains(" 0 failed attempts"),
        "the database did fail: {stats}"
    );
    // The timeline is drawn with the run's own figures.
    let figure = |word: &str| -> String {
        let before = stats.split(word).next().unwrap_or_default();
        before
            .trim_end()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let (accepted, duplicates, failed) = (
        figure(" accepted"),
        figure(" duplicates"),
        figure(" failed attempts"),
    );
    let legend = text(&root, "[data-testid=sim-timeline-legend]");
    for expected in [
        format!("{accepted} answered Accepted"),
        format!("{duplicates} duplicates caught"),
        format!("{failed} failed attempts"),
    ] {
        assert!(legend.contains(&expected), "{expected:?} in {legend}");
    }
    let timeline = find(&root, "[data-testid=sim-timeline]");
    let points: usize = timeline
        .get_attribute("data-points")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    assert!(points > 100, "one point per send: {points}");
    assert_eq!(
        root.query_selector_all("[data-testid=sim-timeline] polyline")
            .expect("lines")
            .length(),
        4
    );
    assert!(
        root.query_selector_all("[data-testid=sim-histogram] rect")
            .expect("bars")
            .length()
            >= 2,
        "sends took one attempt or more"
    );

    // A row's count leads to the events behind it, in Processed.
    let counted = text(&root, "[data-testid=sim-events]");
    follow(&root, "[data-testid=sim-events]").await;
    let shown = text(&root, "[data-testid=page]");
    assert!(
        shown.ends_with(&format!(" of {counted}")),
        "{shown} for {counted}"
    );
    let client: HtmlSelectElement = find(&root, "#processed-client").unchecked_into();
    assert!(client.value().ends_with("-client1"), "{}", client.value());
    // Coming back finds the run's result where it was.
    go("#/simulator").await;
    assert_eq!(text(&root, "[data-testid=sim-verdict]"), verdict);
}

#[wasm_bindgen_test]
async fn a_refused_backup_is_said_as_a_failure_and_restores_nothing() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/about").await;
    let transfer = web_sys::DataTransfer::new().expect("a DataTransfer");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str("{\"format\":\"nope\"}"));
    let file = web_sys::File::new_with_str_sequence(&parts, "backup.json").expect("a file");
    transfer.items().add_with_file(&file).expect("add the file");
    let input: HtmlInputElement = find(&root, "label.file input[type=file]").unchecked_into();
    input.set_files(transfer.files().as_ref());
    input
        .dispatch_event(&web_sys::Event::new("change").expect("an event"))
        .expect("dispatch");
    for _ in 0..20 {
        committed().await;
        let message = find(&root, "[data-testid=backup-message]");
        let said = message.text_content().unwrap_or_default();
        if !said.is_empty() {
            assert!(
                said.starts_with("Not a usable Tally backup, so nothing was restored: "),
                "{said}"
            );
            assert!(message.class_list().contains("error"));
            assert_eq!(events_stored(), 0);
            return;
        }
    }
    panic!("the refusal was never said");
}

#[wasm_bindgen_test]
async fn a_file_dropped_on_bulk_import_fills_the_box() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/import").await;
    let transfer = web_sys::DataTransfer::new().expect("a DataTransfer");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(A));
    let file = web_sys::File::new_with_str_sequence(&parts, "events.ndjson").expect("a file");
    transfer.items().add_with_file(&file).expect("add the file");
    let init = web_sys::DragEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_data_transfer(Some(&transfer));
    let drop = web_sys::DragEvent::new_with_event_init_dict("drop", &init).expect("a drop event");
    find(&root, "#bulk-events")
        .dispatch_event(&drop)
        .expect("dispatch the drop");
    for _ in 0..20 {
        go("#/import").await;
        let area: HtmlTextAreaElement = find(&root, "#bulk-events").unchecked_into();
        if !area.value().is_empty() {
            assert_eq!(area.value(), A);
            return;
        }
    }
    panic!("the dropped file never reached the box");
}

#[wasm_bindgen_test]
async fn refreshing_after_other_tabs_write_does_not_repeat_findings() {
    clear_storage();
    // Two different findings: repeats of a list of two survive a dedup.
    for writer in ["broken1", "broken2"] {
        LocalStorageKv
            .set(&format!("tally:v1:w:{writer}:head"), "{\"open\":")
            .expect("write damage");
    }
    let mut tally = Tally::open().expect("open");
    let found = tally.messages();
    assert_eq!(found.len(), 2, "{found:?}");
    Tally::open().expect("another tab").submit(A);
    tally.refresh();
    tally.refresh();
    assert_eq!(tally.messages(), found);
    assert_eq!(
        tally.ledger.state().events().len(),
        1,
        "the other tab's commit is seen"
    );
}

/// Whether a button is disabled.
fn disabled(b: &HtmlElement) -> bool {
    b.unchecked_ref::<web_sys::HtmlButtonElement>().disabled()
}

/// A pager button at its end: marked so, and still focusable.
fn marked_disabled(b: &HtmlElement) -> bool {
    !disabled(b) && b.get_attribute("aria-disabled").as_deref() == Some("true")
}

/// The first cell of the first row of a table, e.g. the newest shown.
fn first_row(root: &HtmlElement, table: &str) -> String {
    text(root, &format!("{table} tbody tr"))
}

/// Commits 120 events of client "pager", amounts 1 to 120: three pages.
fn submit_pager_events(tally: &mut Tally) {
    let events: Vec<String> = (1..=120)
        .map(|i| format!(r#"{{"client":"pager","metric":"m","amount":"{i}","ts":"2024-01-01"}}"#))
        .collect();
    let raws: Vec<&str> = events.iter().map(String::as_str).collect();
    tally.submit_batch(&raws);
}

#[wasm_bindgen_test]
async fn processed_and_raw_log_page_forward_back_first_and_last() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    submit_pager_events(&mut tally);
    let (root, _app) = mounted_app().await;

    for (route, list) in [
        ("#/processed", "[data-testid=processed]"),
        ("#/log", "[data-testid=log]"),
    ] {
        go(route).await;
        let (first, previous, next, last) = (
            button(&root, "First"),
            button(&root, "Previous"),
            button(&root, "Next"),
            button(&root, "Last"),
        );
        assert_eq!(text(&root, "[data-testid=page]"), "1–50 of 120", "{route}");
        assert!(
            marked_disabled(&first) && marked_disabled(&previous),
            "{route}: at the start"
        );
        assert!(
            !marked_disabled(&next) && !marked_disabled(&last),
            "{route}: more pages follow"
        );
        let newest = if route == "#/processed" {
            first_row(&root, list)
        } else {
            text(&root, "[data-testid=log] > li")
        };
        assert!(newest.contains("120"), "{route}: newest first: {newest}");

        next.click();
        tick().await;
        assert_eq!(
            text(&root, "[data-testid=page]"),
            "51–100 of 120",
            "{route}"
        );
        let shown = if route == "#/processed" {
            first_row(&root, list)
        } else {
            text(&root, "[data-testid=log] > li")
        };
        assert!(
            shown.contains("\"70\"") || shown.contains("70"),
            "{route}: the 51st newest is amount 70: {shown}"
        );
        assert!(
            !marked_disabled(&previous) && !marked_disabled(&first),
            "{route}"
        );

        last.focus().expect("focus");
        last.click();
        tick().await;
        assert_eq!(
            text(&root, "[data-testid=page]"),
            "101–120 of 120",
            "{route}"
        );
        assert!(
            marked_disabled(&next) && marked_disabled(&last),
            "{route}: at the end"
        );
        // The keyboard's place stays on the button pressed (a disabled one
        // dropped it to the page's start), and a press at the end does
        // nothing.
        let focused = document().active_element().expect("focus");
        assert!(
            focused == *last.unchecked_ref::<web_sys::Element>(),
            "{route}"
        );
        next.click();
        tick().await;
        assert_eq!(text(&root, "[data-testid=page]"), "101–120 of 120");
        previous.click();
        tick().await;
        assert_eq!(
            text(&root, "[data-testid=page]"),
            "51–100 of 120",
            "{route}"
        );
        first.click();
        tick().await;
        assert_eq!(text(&root, "[data-testid=page]"), "1–50 of 120", "{route}");
    }
    // A story opens at its top, not at the height the list was scrolled
    // to (an outside review landed below the header and the menu).
    go("#/processed").await;
    window().scroll_to_with_x_and_y(0.0, 3000.0);
    assert!(
        window().scroll_y().expect("scrollY") > 100.0,
        "the list scrolls"
    );
    follow(
        &root,
        "[data-testid=processed] tbody tr:nth-child(40) a[href^='#/event/']",
    )
    .await;
    assert_eq!(window().scroll_y().expect("scrollY"), 0.0);
    clear_storage();
}

#[wasm_bindgen_test]
async fn the_page_shown_lives_in_the_address_and_a_pager_follows_the_list() {
    clear_storage();
    let mut tally = Tally::open().expect("open");
    submit_pager_events(&mut tally);
    tally.submit("{broken");
    let (root, _app) = mounted_app().await;
    let hash = || window().location().hash().expect("hash");
    let buttons = |label: &str| -> Vec<HtmlElement> {
        let all = root.query_selector_all("button").expect("buttons");
        (0..all.length())
            .filter_map(|i| all.item(i))
            .map(|n| n.unchecked_into::<HtmlElement>())
            .filter(|b| b.text_content().as_deref() == Some(label))
            .collect()
    };
    for (route, last_page) in [
        ("#/processed", "101–120 of 120"),
        ("#/log", "101–121 of 121"),
    ] {
        go(route).await;
        // The pager below the list turns the page as the one above does.
        let next = buttons("Next");
        assert_eq!(next.len(), 2, "{route}: a pager above and below");
        next[1].click();
        tick().await;
        // The list starts again above, and the keyboard's place moves there.
        let focused = document().active_element().expect("focus");
        assert!(
            focused == *next[0].unchecked_ref::<web_sys::Element>(),
            "{route}"
        );
        assert!(
            text(&root, "[data-testid=page]").starts_with("51–100"),
            "{route}"
        );
        assert_eq!(
            text(&root, "[data-testid=page-bottom]"),
            text(&root, "[data-testid=page]")
        );
        assert!(hash().ends_with("page=2"), "{route}: {}", hash());
        buttons("Last")[0].click();
        tick().await;
        let at_last = hash();
        // Away to another view and back by the address (as Back does): the
        // same page, not the first.
        go("#/aggregates").await;
        go(&at_last).await;
        assert_eq!(text(&root, "[data-testid=page]"), last_page, "{route}");
    }
    // The Raw log's status filter lives there too, and a new filter is a
    // new list from its first page.
    go("#/log?status=Rejected").await;
    assert_eq!(text(&root, "[data-testid=page]"), "1–1 of 1");
    let select: web_sys::HtmlSelectElement = find(&root, "#log-status").unchecked_into();
    assert_eq!(select.value(), "Rejected");
    // A status in another case is that status; one the log has no such
    // thing as (Failed is a view, not a status) is said, not shown as All
    // without a word.
    go("#/log?status=rejected").await;
    assert_eq!(select.value(), "Rejected");
    assert!(!shows(&root, "[data-testid=log-unknown-status]"));
    go("#/log?status=Failed").await;
    assert_eq!(select.value(), "");
    assert!(text(&root, "[data-testid=page]").ends_with(" of 121"));
    assert!(text(&root, "[data-testid=log-unknown-status]")
        .starts_with("The address asks for the status 'Failed', which no submission can have"));
    // A status no submission has: said in words, without a pager (two
    // saying "No rows" were noise).
    go("#/log?status=Conflict").await;
    assert_eq!(
        text(&root, "[data-testid=log-empty]"),
        "No submission has the status Conflict."
    );
    assert_eq!(
        root.query_selector_all("nav.pager")
            .expect("pagers")
            .length(),
        0
    );
    go("#/log?status=Accepted&page=2").await;
    assert!(!shows(&root, "[data-testid=log-empty]"));
    assert!(!shows(&root, "[data-testid=log-unknown-status]"));
    assert_eq!(text(&root, "[data-testid=page]"), "51–100 of 120");
    select.set_value("");
    select
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatch");
    tick().await;
    assert!(text(&root, "[data-testid=page]").starts_with("1–50 of 121"));
    assert_eq!(hash(), "#/log");
    // An empty list says why when its filter is why (an outside review saw
    // "No rows" and nothing else).
    go("#/processed?client=nobody").await;
    assert_eq!(document().title(), "Processed · Tally");
    assert!(!shows(&root, "nav.pager"));
    assert_eq!(
        text(&root, "[data-testid=processed-why-nothing]"),
        "No committed event has the client \"nobody\"."
    );
    // The menu shows the client filtered on, not "All clients".
    let menu: HtmlSelectElement = find(&root, "#processed-client").unchecked_into();
    assert_eq!(menu.value(), "nobody");
    // And no table header over no rows.
    let table: HtmlElement = find(&root, "#processed-title ~ .scroll").unchecked_into();
    assert!(table.hidden());
    // An empty value names no client (an outside review was told no event
    // has the client "").
    go("#/processed?client=").await;
    assert!(!shows(&root, "[data-testid=processed-why-nothing]"));
    go("#/processed").await;
    let table: HtmlElement = find(&root, "#processed-title ~ .scroll").unchecked_into();
    assert!(!table.hidden());
    assert!(!shows(&root, "[data-testid=processed-why-nothing]"));
    // Filters that each match but not together: said as such.
    let from: HtmlInputElement = find(&root, "#processed-from").unchecked_into();
    from.set_value("2030-01-01");
    from.dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatch");
    tick().await;
    assert!(!shows(&root, "nav.pager"));
    assert!(
        text(&root, "[data-testid=processed-none-match]").starts_with("No committed event matches")
    );
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_run_into_this_browsers_data_asks_first() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/simulator").await;
    js_sys::eval("window.asked = ''; window.confirm = (q) => { window.asked = q; return false; };")
        .expect("answer no");
    button(&root, "Run simulation").click();
    for _ in 0..5 {
        next_task().await;
    }
    let asked = js_sys::eval("window.asked")
        .expect("the question")
        .as_string()
        .unwrap_or_default();
    assert!(asked.starts_with("Add this run's "), "{asked}");
    assert!(!shows(&root, "[data-testid=sim-verdict]"));
    assert_eq!(events_stored(), 0, "answered no: nothing ran");
}

/// Clicks Run simulation and waits for the verdict (a run yields to the
/// browser between slices).
async fn run_simulation(root: &HtmlElement) -> String {
    // A run with one tab asks first: the user says yes.
    js_sys::eval("window.confirm = () => true;").expect("answer the question");
    button(root, "Run simulation").click();
    text_once_shown(root, "#/simulator", "[data-testid=sim-verdict]", 300).await
}

/// What an input shows.
#[track_caller]
fn input_value(root: &HtmlElement, selector: &str) -> String {
    find(root, selector)
        .unchecked_into::<HtmlInputElement>()
        .value()
}

/// Sets a number field as a user types into it.
fn set_number(root: &HtmlElement, selector: &str, value: &str) {
    let input: HtmlInputElement = find(root, selector).unchecked_into();
    input.set_value(value);
    input
        .dispatch_event(&web_sys::Event::new("input").expect("event"))
        .expect("dispatch");
}

#[wasm_bindgen_test]
async fn the_simulator_races_several_tabs_and_shows_them_converge() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/simulator").await;
    set_number(&root, "#sim-events", "60");
    set_number(&root, "#sim-tabs", "3");
    let verdict = run_simulation(&root).await;
    assert!(
        verdict.starts_with("PASS: 240 distinct events sent, 240 counted"),
        "{verdict}"
    );
    assert!(verdict.contains("3 tabs converged"), "{verdict}");
    // The simulated tabs live in memory: this browser's data is untouched.
    assert_eq!(events_stored(), 0);
}

#[wasm_bindgen_test]
async fn the_raw_log_says_when_a_merge_of_tabs_revised_an_answer() {
    use std::rc::Rc;
    use tally::ledger::Ledger;
    use tally::store::LaggingView;
    clear_storage();
    // Two tabs that never see each other's writes before deciding.
    let open = |writer: &str| {
        let view = Rc::new(LaggingView::new(LocalStorageKv).expect("a view"));
        let journal = SegmentJournal::open(view, writer, now()).expect("journal");
        Ledger::open(journal, writer).expect("ledger")
    };
    let (mut tab1, mut tab2) = (open("racer1"), open("racer2"));
    let keyed = |metric: &str| {
        format!(
            r#"{{"client":"c","metric":"{metric}","amount":1,"ts":"2024-01-01","event_id":"k"}}"#
        )
    };
    assert_eq!(tab1.submit(&keyed("sale"), now()).label(), "Accepted");
    assert_eq!(tab2.submit(&keyed("refund"), now()).label(), "Accepted");
    let (root, _app) = mounted_app().await;
    go("#/log").await;
    let revised = text(&root, "[data-testid=revised]");
    assert!(
        revised.contains("answered Accepted") && revised.contains("makes it Conflict"),
        "{revised}"
    );
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_simulator_link_opened_on_the_simulator_replaces_its_settings() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    let value = |selector: &str| input_value(&root, selector);
    go("#/simulator?seed=3&clients=2&events=20").await;
    assert_eq!(
        (value("#sim-seed"), value("#sim-clients")),
        ("3".into(), "2".into())
    );
    // Another run's address, pasted while the view is open.
    go("#/simulator?seed=5&clients=3&events=30").await;
    assert_eq!(
        (
            value("#sim-seed"),
            value("#sim-clients"),
            value("#sim-events")
        ),
        ("5".into(), "3".into(), "30".into())
    );
    let hash = window().location().hash().expect("hash");
    assert!(
        hash.contains("seed=5") && hash.contains("events=30"),
        "{hash}"
    );
    // The navigation's bare link keeps the settings.
    go("#/simulator").await;
    assert_eq!(value("#sim-seed"), "5");
    // A value out of range in a link is refused and said, never clamped.
    go("#/simulator?seed=6&failure=150&events=0").await;
    let errors = text(&root, "[aria-labelledby=sim-title]");
    assert!(
        errors.contains("failure=150 is not a whole number from 0 to 90")
            && errors.contains("events=0 is not a whole number from 1 to 20000"),
        "{errors}"
    );
    // The boxes show what the link asked for, and so does the address: a
    // reload refuses it again.
    assert_eq!(
        (value("#sim-seed"), value("#sim-failure")),
        ("6".into(), "150".into())
    );
    let hash = window().location().hash().expect("hash");
    assert!(
        hash.contains("failure=150") && hash.contains("events=0&"),
        "{hash}"
    );
    // The link's run is not made with a default in their place: each
    // refused setting waits until its own box is set.
    let run = button(&root, "Run simulation");
    assert!(disabled(&run), "a link's refused settings block its run");
    assert_eq!(
        find(&root, "#sim-failure")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true"),
        "the box waiting for a value is marked"
    );
    // Also after a visit elsewhere.
    go("#/processed").await;
    go("#/simulator").await;
    let run = button(&root, "Run simulation");
    assert!(disabled(&run), "still waiting after coming back");
    assert!(
        text(&root, "[aria-labelledby=sim-title]").contains("failure=150 is not a whole number")
    );
    assert_eq!(value("#sim-failure"), "150");
    set_number(&root, "#sim-failure", "30");
    tick().await;
    assert!(disabled(&run), "events=0 still waits for its box");
    set_number(&root, "#sim-events", "40");
    tick().await;
    assert!(!disabled(&run));
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_simulation_result_keeps_the_settings_it_ran_with() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/simulator?seed=9&clients=2&events=10&tabs=3").await;
    let verdict = run_simulation(&root).await;
    assert!(verdict.contains("3 tabs converged"), "{verdict}");
    // Away, and back by the bare address typed by hand: the run's settings
    // come back with its result, not the defaults beside it.
    go("#/processed").await;
    go("#/simulator").await;
    assert_eq!(input_value(&root, "#sim-seed"), "9");
    assert_eq!(input_value(&root, "#sim-tabs"), "3");
    assert!(!shows(&root, "[data-testid=sim-result-settings]"));
    // Another run's link: the result still describes its own run, and
    // says that it does.
    go("#/simulator?seed=4&clients=2&events=10&tabs=1").await;
    tick().await;
    let verdict = text(&root, "[data-testid=sim-verdict]");
    assert!(verdict.contains("3 tabs converged"), "{verdict}");
    let note = find(&root, "[data-testid=sim-result-settings] a");
    let href = note.get_attribute("href").unwrap_or_default();
    assert!(href.contains("seed=9") && href.contains("tabs=3"), "{href}");
    // Its counts stay plain numbers: that run lived in memory, so there are
    // no events of it to list in Processed.
    assert!(!shows(&root, "[data-testid=sim-events]"));
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_simulator_setting_out_of_range_is_refused_by_name_not_changed() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/simulator?seed=3&failure=20").await;
    let run = button(&root, "Run simulation");
    set_number(&root, "#sim-failure", "150");
    set_number(&root, "#sim-seed", "1.5");
    tick().await;
    let errors = text(&root, "[aria-labelledby=sim-title] .error");
    assert!(
        errors.contains("Database failure rate (%, at each failure point): '150' is not a whole number from 0 to 90"),
        "{errors}"
    );
    assert!(disabled(&run), "a run with a refused setting cannot start");
    // Away and back by the navigation's address: still refused, never the
    // last valid value in its place.
    go("#/processed").await;
    go("#/simulator").await;
    let run = button(&root, "Run simulation");
    assert!(disabled(&run), "still refused after coming back");
    assert_eq!(input_value(&root, "#sim-failure"), "150");
    assert_eq!(input_value(&root, "#sim-seed"), "1.5");
    // Each refusal is said once, as the box's own.
    assert_eq!(
        root.query_selector_all("[aria-labelledby=sim-title] .error")
            .expect("query")
            .length(),
        2
    );
    // The address holds the text refused, not the last valid value (typing
    // 95 passes through a valid 9): a reload refuses it again.
    let hash = window().location().hash().expect("hash");
    assert!(
        hash.contains("failure=150") && hash.contains("seed=1.5"),
        "{hash}"
    );
    drop(_app);
    let (root, _app) = mounted_app().await;
    go(&hash).await;
    let run = button(&root, "Run simulation");
    assert!(disabled(&run), "still refused after a reload");
    assert_eq!(input_value(&root, "#sim-failure"), "150");
    assert_eq!(input_value(&root, "#sim-seed"), "1.5");
    // Fixing another box leaves the refused text where the user can see it.
    set_number(&root, "#sim-events", "31");
    tick().await;
    let failure: HtmlInputElement = find(&root, "#sim-failure").unchecked_into();
    assert_eq!(failure.value(), "150");
    assert_eq!(
        failure.get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    set_number(&root, "#sim-failure", "50");
    set_number(&root, "#sim-seed", "4");
    tick().await;
    assert!(!shows(&root, "[aria-labelledby=sim-title] .error"));
    assert!(!disabled(&run));
    let hash = window().location().hash().expect("hash");
    assert!(
        hash.contains("failure=50") && hash.contains("seed=4"),
        "{hash}"
    );
    // Several tabs re-derive their state as their merges reorder: a run
    // too big for them to finish in seconds is refused, and says why.
    set_number(&root, "#sim-clients", "4");
    set_number(&root, "#sim-events", "1000");
    set_number(&root, "#sim-tabs", "3");
    tick().await;
    let errors = text(&root, "[aria-labelledby=sim-title] .error");
    assert!(
        errors.contains("at most 2,000 distinct events") && errors.contains("now 4,000"),
        "{errors}"
    );
    assert!(disabled(&run));
    set_number(&root, "#sim-tabs", "1");
    tick().await;
    assert!(
        !disabled(&run),
        "one tab runs through this browser's own storage, at any size"
    );
    clear_storage();
}

#[wasm_bindgen_test]
async fn the_simulators_address_holds_its_settings_and_replays_the_run() {
    clear_storage();
    let (root, app) = mounted_app().await;
    go("#/simulator?seed=7&clients=2&events=30&failure=30").await;
    let value = |selector: &str| input_value(&root, selector);
    assert_eq!(
        (
            value("#sim-seed"),
            value("#sim-clients"),
            value("#sim-events")
        ),
        ("7".into(), "2".into(), "30".into())
    );
    // Changing a setting changes the address, without a new history entry.
    let history = window()
        .history()
        .expect("history")
        .length()
        .expect("length");
    set_number(&root, "#sim-events", "31");
    tick().await;
    let hash = window().location().hash().expect("hash");
    assert!(
        hash.contains("events=31") && hash.contains("seed=7"),
        "{hash}"
    );
    assert_eq!(
        window()
            .history()
            .expect("history")
            .length()
            .expect("length"),
        history
    );
    // The same address gives the same run (the run id aside).
    let figures = |stats: String| {
        stats
            .split_once(": ")
            .map(|(_, rest)| rest.to_string())
            .unwrap_or(stats)
    };
    let first = (
        run_simulation(&root).await,
        figures(text(&root, "[data-testid=sim-stats]")),
    );
    drop(app);
    clear_storage();
    let (root, _app) = mounted_app().await;
    go(&hash).await;
    let second = (
        run_simulation(&root).await,
        figures(text(&root, "[data-testid=sim-stats]")),
    );
    assert_eq!(first, second);
    assert!(
        first.0.starts_with("PASS: 62 distinct events sent"),
        "{}",
        first.0
    );
    clear_storage();
}

#[wasm_bindgen_test]
async fn processeds_client_and_metric_live_in_the_address() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    for event in [A, B] {
        type_into(&root, "#raw-event", event);
        button(&root, "Submit event").click();
        committed().await;
    }
    go("#/processed").await;
    assert_eq!(text(&root, "[data-testid=page]"), "1–2 of 2");
    let client = || -> HtmlSelectElement { find(&root, "#processed-client").unchecked_into() };
    client().set_value("client_B");
    client()
        .dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatch");
    tick().await;
    assert_eq!(
        window().location().hash().ok().as_deref(),
        Some("#/processed?client=client_B")
    );
    assert_eq!(text(&root, "[data-testid=page]"), "1–1 of 1");

    // An address typed or shared while the view is open is followed.
    go("#/processed?client=client_A").await;
    assert_eq!(client().value(), "client_A");
    assert_eq!(text(&root, "[data-testid=page]"), "1–1 of 1");
    go("#/processed").await;
    assert_eq!(client().value(), "");
    assert_eq!(text(&root, "[data-testid=page]"), "1–2 of 2");

    // The dates too: in the address, and in their boxes when the view
    // comes back from a story (a review came Back to Processed with its
    // dates gone and the whole list shown).
    let to = || -> HtmlInputElement { find(&root, "#processed-to").unchecked_into() };
    to().set_value("2024-06-30");
    to().dispatch_event(&web_sys::Event::new("change").expect("event"))
        .expect("dispatch");
    tick().await;
    let address = window().location().hash().expect("hash");
    assert_eq!(address, "#/processed?to=2024-06-30");
    assert_eq!(text(&root, "[data-testid=page]"), "1–1 of 1");
    follow(&root, "[data-testid=processed] tbody a[href^='#/event/']").await;
    go(&address).await;
    assert_eq!(to().value(), "2024-06-30");
    assert_eq!(text(&root, "[data-testid=page]"), "1–1 of 1");
    // Aggregates keeps its filter in the address the same way.
    go("#/aggregates?client=client_B&from=2024-06-01").await;
    let from: HtmlInputElement = find(&root, "#aggregates-from").unchecked_into();
    assert_eq!(from.value(), "2024-06-01");
    let client: HtmlSelectElement = find(&root, "#aggregates-client").unchecked_into();
    assert_eq!(client.value(), "client_B");
    assert_eq!(text(&root, "[data-testid=overall-sum]"), "5,000");
}

#[wasm_bindgen_test]
async fn each_column_of_a_table_of_statistics_has_its_own_decimals() {
    // Shared by Sum, Min and Max, a Max of 2.5 beside a Sum of nine
    // decimals was padded with seven figure spaces, out of line with its
    // header (an outside review).
    clear_storage();
    let (root, _app) = mounted_app().await;
    for (amount, day) in [("2.5", 1), ("-0.000000001", 2)] {
        type_into(
            &root,
            "#raw-event",
            &format!(r#"{{"client":"c","metric":"m","amount":"{amount}","ts":"2024-01-0{day}"}}"#),
        );
        button(&root, "Submit event").click();
        committed().await;
    }
    go("#/aggregates").await;
    let row = find(&root, "table.stats tbody tr");
    let cell = |label: &str| text(&row, &format!("td[data-label={label}]"));
    assert_eq!(cell("Sum"), "2.499999999");
    assert_eq!(cell("Min"), "-0.000000001");
    assert_eq!(
        cell("Max"),
        "2.50",
        "no padding to another column's decimals"
    );
    // 1.2499999995, at the widest column's nine places: 1.25 and spaces.
    assert_eq!(cell("Mean"), format!("≈1.25{}", "\u{2007}".repeat(7)));
    // The padding is inside the last group's unbreakable block: on a line
    // of its own it left the figure out of line with its column.
    let pad = "td[data-label=Mean] .groups > span:last-child > .pad";
    assert!(row.query_selector(pad).ok().flatten().is_some());
    assert!(row
        .query_selector(".groups > .pad")
        .ok()
        .flatten()
        .is_none());
}

#[wasm_bindgen_test]
async fn a_total_with_nine_decimals_is_rounded_at_a_glance_and_exact_on_hover_or_a_tap() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    for event in [
        A,
        r#"{"client":"c","metric":"m","amount":"0.123456789","ts":"2024-01-01"}"#,
    ] {
        type_into(&root, "#raw-event", event);
        button(&root, "Submit event").click();
        committed().await;
    }
    let total = find(&root, "[data-testid=glance-total]");
    assert_eq!(total.text_content().as_deref(), Some("≈1,200.12"));
    assert_eq!(
        total.get_attribute("title").as_deref(),
        Some("exactly 1200.123456789")
    );
    // A phone cannot hover: the figure is a button that shows it whole,
    // and back.
    let figure = find(&root, "[data-testid=glance-total][role=button]");
    let pressed = || figure.get_attribute("aria-pressed");
    assert_eq!(pressed().as_deref(), Some("false"));
    assert_eq!(
        figure.get_attribute("aria-label").as_deref(),
        Some("Total ≈1,200.12, press to show it exactly")
    );
    for (shown, now) in [("1,200.123456789", "true"), ("≈1,200.12", "false")] {
        figure.click();
        next_task().await;
        assert_eq!(total.text_content().as_deref(), Some(shown));
        assert_eq!(pressed().as_deref(), Some(now));
    }
    // The list keeps every digit, padding the others with spaces, not zeros.
    go("#/processed").await;
    let amounts = text(&root, "[data-testid=processed] tbody");
    assert!(amounts.contains("0.123456789"), "{amounts}");
    assert!(
        amounts.contains("1,200.00\u{2007}"),
        "no run of noise zeros: {amounts:?}"
    );
}

#[wasm_bindgen_test]
async fn the_raw_log_names_an_event_by_the_id_processed_lists_after_a_key_claimed_it() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    for raw in [
        r#"{"client_id":"c_k","metric":"m","amount":20,"timestamp":"2024-06-02"}"#,
        r#"{"client_id":"c_k","metric":"m","amount":20,"timestamp":"2024-06-02","event_id":"k3"}"#,
    ] {
        type_into(&root, "#raw-event", raw);
        button(&root, "Submit event").click();
        committed().await;
    }
    // The answer to the keyed one says what its key changed.
    let answer = text(&root, "[data-testid=outcome-duplicate]");
    assert!(
        answer.contains(
            "first sent without an idempotency key; the key \"k3\" now names it, so its id is now"
        ) && answer.ends_with("It still counts once."),
        "{answer}"
    );
    // The event's page says where its key came from.
    follow(&root, "[data-testid=outcome] a[href^='#/event/']").await;
    let provenance = text(&root, "[data-testid=event-provenance]");
    assert!(
        provenance.contains("idempotency_key ← not in the submission that was counted: a later submission with the same content and the key \"k3\", ")
            && provenance.contains(", claimed the event, which changed its id from"),
        "{provenance}"
    );
    // It names the submission whose key claimed the event, with a link.
    assert!(
        shows(
            &root,
            "[data-testid=event-claimed] a[href^='#/submission/']"
        ),
        "{provenance}"
    );
    go("#/processed").await;
    let listed = text(&root, "table.list tbody tr");
    assert!(
        listed.contains("k3"),
        "Processed shows the key that names it: {listed}"
    );
    go("#/log").await;
    let reasons: Vec<String> = (0..2)
        .map(|i| {
            root.query_selector_all("[data-testid=log] .reason")
                .expect("query")
                .item(i)
                .and_then(|n| n.text_content())
                .unwrap_or_default()
        })
        .collect();
    // Newest first: the keyed duplicate, then the first submission.
    let first = &reasons[1];
    assert!(
        first.contains("since an idempotency key claimed it"),
        "{reasons:?}"
    );
    let now_id = first
        .rsplit_once("now ")
        .map(|(_, id)| id.split(',').next().unwrap_or_default().to_string());
    let now_id = now_id.unwrap_or_default();
    assert!(
        !now_id.is_empty() && listed.contains(&now_id),
        "{first} / {listed}"
    );
    clear_storage();
}

#[wasm_bindgen_test]
async fn the_navigation_returns_to_the_simulator_with_its_settings() {
    clear_storage();
    let (root, _app) = mounted_app().await;
    go("#/simulator?seed=5&clients=3&events=10&tabs=2").await;
    set_number(&root, "#sim-events", "11");
    tick().await;
    go("#/submit").await;
    let link = find(&root, "nav a[href^='#/simulator']");
    let href = link.get_attribute("href").unwrap_or_default();
    assert!(
        href.contains("seed=5") && href.contains("events=11"),
        "{href}"
    );
    follow(&root, "nav a[href^='#/simulator']").await;
    let value = |selector: &str| input_value(&root, selector);
    assert_eq!(
        (value("#sim-seed"), value("#sim-events"), value("#sim-tabs")),
        ("5".into(), "11".into(), "2".into())
    );
    clear_storage();
}
