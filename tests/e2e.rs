//! End-to-end tests: the release build, served under a sub-path by a plain
//! static file server as GitHub Pages serves it, used in headless Chromium.
//!
//! They need the built site and Chromium, so plain `cargo test` lists them
//! as ignored; `scripts/test.sh` builds the site into `target/e2e-site` and
//! runs them with `--ignored`.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use std::path::PathBuf;
use support::app::{
    fetched_by_page, is_chunk, open_app, open_view, send, serve_site, severe_console_entries,
    submit, totals,
};
use support::webdriver::Browser;

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_site_loads_under_a_sub_path_with_every_asset_and_no_console_errors() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);

    // The page's own title until the app starts; then the view's.
    assert_eq!(browser.title(), "Submit · Tally");
    // "Loading Tally…" is the page's until the app is there, and then gone.
    assert!(
        browser.try_find(".booting").is_none(),
        "the loading notice stayed"
    );
    let served = server.served();
    let kinds = [".html", ".js", "_bg.wasm", ".css", ".svg"];
    for kind in kinds {
        let path_kind = if kind == ".html" { "/tally/" } else { kind };
        assert!(
            served
                .iter()
                .any(|s| s.path.ends_with(path_kind) && s.status == 200),
            "no {kind} asset was served: {served:#?}"
        );
    }
    let failed: Vec<_> = served.iter().filter(|s| s.status != 200).collect();
    assert!(failed.is_empty(), "assets failed to load: {failed:#?}");
    assert!(
        served.iter().all(|s| s.path.starts_with("/tally/")),
        "an asset was requested outside the sub-path: {served:#?}"
    );
    // The CSP forbids inline scripts: the loader must be an external file.
    let inline_scripts = browser.execute(
        "return [...document.querySelectorAll('script')].filter(s => !s.src).length",
        serde_json::json!([]),
    );
    assert_eq!(inline_scripts, 0);
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_submit_resubmit_and_reject_like_a_user() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);

    let submit = browser.find("main button");
    assert_eq!(browser.text(&submit), "Submit event");
    browser.click(&submit);
    browser.wait_for_text("[data-testid=outcome-label]", |t| t == "Accepted");
    let amount = browser.text_of("td[data-field=amount]");
    assert_eq!(amount, "1,200");

    browser.click(&submit);
    browser.wait_for_text("[data-testid=outcome-label]", |t| t == "Duplicate");
    let totals = browser.text_of("[data-testid=totals]");
    assert_eq!(totals, "1 event committed, total amount 1,200");

    let area = browser.find("#raw-event");
    browser.set_value(
        &area,
        "{\"source\": \"client_C\",\n \"payload\": {\"sum\": 250.50,}}",
    );
    let validation = browser.wait_for_text("[data-testid=validation]", |t| t.contains("line 2"));
    assert!(validation.contains("column 28"), "{validation}");
    browser.click(&submit);
    browser.wait_for_text("[data-testid=outcome-label]", |t| t == "Rejected");

    let seed_c = r#"{"source":"client_C","payload":{"metricName":"refund","sum":"250.50","created_at":"2024/12/15"}}"#;
    browser.set_value(&area, seed_c);
    browser.click(&submit);
    browser.wait_for_text("[data-testid=outcome-label]", |t| t == "Accepted");
    let provenance = browser.text_of(".provenance");
    assert!(
        provenance.contains("amount ← payload.sum: \"250.50\" → 250.5"),
        "{provenance}"
    );
    browser.wait_for_text("[data-testid=totals]", |t| {
        t == "2 events committed, total amount 1,450.50"
    });

    browser
        .screenshot(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e/screenshot.png"));
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_reload_keeps_everything() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    assert_eq!(
        submit(
            &browser,
            r#"{"source":"client_A","payload":{"metric":"sale","amount":"0.1","timestamp":"2024/01/01"}}"#
        ),
        "Accepted"
    );
    assert_eq!(
        submit(
            &browser,
            r#"{"source":"client_A","payload":{"metric":"sale","amount":"0.2","timestamp":"2024/01/02"}}"#
        ),
        "Accepted"
    );
    assert_eq!(totals(&browser), "2 events committed, total amount 0.30");
    browser.reload();
    open_app(&browser, &server);
    browser.wait_for_text("[data-testid=totals]", |t| {
        t == "2 events committed, total amount 0.30"
    });
    assert_eq!(
        submit(
            &browser,
            r#"{"client_id":"client_A","metric":"sale","amount":0.1,"ts":"2024-01-01T00:00:00Z"}"#
        ),
        "Duplicate"
    );
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_two_tabs_committing_interleaved_end_with_exact_totals() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    let first = browser.current_tab();
    let second = browser.new_tab();
    browser.switch_to(&second);
    open_app(&browser, &server);

    let event = |client: &str, cents: u32, day: u32| {
        format!(
            r#"{{"client":"{client}","metric":"sale","amount":"{}.{:02}","ts":"2024-03-{day:02}"}}"#,
            cents / 100,
            cents % 100
        )
    };
    // Each round: both tabs send the same shared event and one of their own,
    // without waiting for the other tab's view to catch up.
    let mut expected_cents = 0u64;
    let rounds = 12;
    for round in 1..=rounds {
        let shared = event("shared", 1000 + round, round);
        let own_first = event("tab_one", 100 + round, round);
        let own_second = event("tab_two", 200 + round, round);
        browser.switch_to(&first);
        submit(&browser, &shared);
        submit(&browser, &own_first);
        browser.switch_to(&second);
        submit(&browser, &shared);
        submit(&browser, &own_second);
        expected_cents += u64::from(1000 + round + 100 + round + 200 + round);
    }
    let expected = format!(
        "{} events committed, total amount {}.{:02}",
        rounds * 3,
        expected_cents / 100,
        expected_cents % 100
    );
    for tab in [&first, &second] {
        browser.switch_to(tab);
        browser.wait_for_text("[data-testid=totals]", |t| t == expected);
    }
    // A reload derives the same from storage alone.
    browser.reload();
    open_app(&browser, &server);
    browser.wait_for_text("[data-testid=totals]", |t| t == expected);
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

fn overall(browser: &Browser) -> (String, String) {
    open_view(browser, "#/aggregates", "Aggregates");
    // The exact figures; the text on screen groups digits for reading.
    let exact = |css: &str| {
        browser
            .execute(
                "return document.querySelector(arguments[0]).dataset.exact;",
                serde_json::json!([css]),
            )
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    browser.wait_for_text("[data-testid=overall-count]", |t| !t.is_empty());
    let count = exact("[data-testid=overall-count]");
    let sum = exact("[data-testid=overall-sum]");
    (count, sum)
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_the_seed_scenarios() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);

    // (1) The default event appears in Processed and in the totals.
    assert_eq!(submit(&browser, DEFAULT_EVENT), "Accepted");
    open_view(&browser, "#/processed", "Processed events");
    let processed = browser.text_of("[data-testid=processed]");
    assert!(
        processed.contains("client_A") && processed.contains("1,200"),
        "{processed}"
    );
    assert_eq!(overall(&browser), ("1".into(), "1200".into()));

    // (2) Again: a duplicate, and the totals do not change.
    open_view(&browser, "#/submit", "Submit an event");
    assert_eq!(submit(&browser, DEFAULT_EVENT), "Duplicate");
    assert_eq!(overall(&browser), ("1".into(), "1200".into()));

    // (3) The database fails: the event lands in Failed; a retry counts it once.
    open_view(&browser, "#/submit", "Submit an event");
    browser.click(&browser.find("fieldset.failure input[type=checkbox]"));
    assert_eq!(submit(&browser, SEED_B), "Failed");
    open_view(&browser, "#/failed", "Failed submissions");
    browser.wait_for_text("[data-testid=outbox-count]", |t| t == "1 waiting");
    open_view(&browser, "#/submit", "Submit an event");
    browser.click(&browser.find("fieldset.failure input[type=checkbox]"));
    open_view(&browser, "#/failed", "Failed submissions");
    browser.click(&browser.find("[data-testid=outbox] button"));
    browser.wait_for_text("[data-testid=retry-message]", |t| {
        t == "Retried 1: 1 counted, 0 still failing."
    });
    assert_eq!(overall(&browser), ("2".into(), "6200".into()));

    // (4) The third seed shape normalizes too.
    open_view(&browser, "#/submit", "Submit an event");
    assert_eq!(submit(&browser, SEED_C), "Accepted");
    let provenance = browser.text_of(".provenance");
    assert!(
        provenance.contains("amount ← payload.sum: \"250.50\" → 250.5"),
        "{provenance}"
    );
    browser.screenshot(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e/submit.png"));
    assert_eq!(overall(&browser), ("3".into(), "6450.5".into()));

    // A reload keeps everything, in every view.
    browser.reload();
    browser.wait_for_text("[data-testid=overall-count]", |t| t == "3");
    open_view(&browser, "#/log", "Raw log");
    let log = browser.text_of("[data-testid=log]");
    assert!(
        log.contains("Interrupted") || log.contains("Failed") || log.contains("Accepted"),
        "{log}"
    );
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

const DEFAULT_EVENT: &str =
    r#"{"source":"client_A","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#;
const SEED_B: &str =
    r#"{"client":"client_B","payload":{"type":"purchase","value":5000,"time":"2024-12-01"}}"#;
const SEED_C: &str = r#"{"source":"client_C","payload":{"metricName":"refund","sum":"250.50","created_at":"2024/12/15"}}"#;

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_bulk_import_of_10000_mixed_events_with_resends_has_exact_totals() {
    use std::collections::HashSet;
    use tally::chaos::{random_event, render, Shape};
    use tally::rng::SeededRng;

    // 7,000 distinct events in every shape, 2,000 exact resends and 1,000
    // reshaped duplicates, shuffled.
    let mut rng = SeededRng::new(2026);
    let clients = ["client_A", "client_B", "client_C", "web", "ios"];
    let metrics = ["sale", "refund", "signup"];
    let mut distinct = Vec::new();
    let mut seen = HashSet::new();
    while distinct.len() < 7_000 {
        let mut e = random_event(&mut rng, &clients, &metrics);
        if rng.chance(200_000) {
            e.idempotency_key = Some(format!("order-{}", distinct.len()));
        }
        if seen.insert((e.client_id.clone(), e.metric.clone(), e.amount, e.timestamp)) {
            let text = render(&e, Shape::ALL[rng.below(5) as usize], &mut rng);
            distinct.push((e, text));
        }
    }
    let mut lines: Vec<String> = distinct.iter().map(|(_, t)| t.clone()).collect();
    for _ in 0..2_000 {
        lines.push(distinct[rng.below(7_000) as usize].1.clone());
    }
    for _ in 0..1_000 {
        let (e, _) = &distinct[rng.below(7_000) as usize];
        lines.push(render(e, Shape::ALL[rng.below(5) as usize], &mut rng));
    }
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let nanos: i128 = distinct.iter().map(|(e, _)| e.amount.nanos()).sum();
    let expected_sum = tally::pipeline::amount::Amount::from_nanos(nanos).to_string();

    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    open_view(&browser, "#/import", "Bulk import");
    browser.execute(
        "const t = document.querySelector('#bulk-events');
         t.value = arguments[0];
         t.dispatchEvent(new Event('input', { bubbles: true }));",
        serde_json::json!([lines.join("\n")]),
    );
    let import = browser.find("div.actions button");
    assert_eq!(browser.text(&import), "Import");
    browser.click(&import);
    let summary = browser.wait_for_text("[data-testid=import-summary]", |t| !t.is_empty());
    assert!(summary.starts_with("Read 10,000 items in"), "{summary}");
    assert!(
        summary.contains("7,000 accepted, 3,000 duplicates, 0 rejected, 0 failed, 0 conflicts"),
        "{summary}"
    );
    println!("bulk import in the release build: {summary}");

    assert_eq!(
        overall(&browser),
        ("7000".to_string(), expected_sum.clone())
    );
    browser
        .screenshot(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e/aggregates.png"));
    // Durable: a reload derives the same totals from storage.
    browser.reload();
    browser.wait_for_text("[data-testid=overall-count]", |t| t == "7,000");
    assert_eq!(
        overall(&browser),
        ("7000".to_string(), expected_sum.clone())
    );
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_markup_in_events_never_executes_in_any_view() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    let hostile = r#"{"source":"<img src=x onerror=\"window.__xss=1\">","metric":"<script>window.__xss=2</script>","amount":"1","timestamp":"2024-01-01"}"#;
    assert_eq!(submit(&browser, hostile), "Accepted");
    browser.click(&browser.find("fieldset.failure input[type=checkbox]"));
    assert_eq!(
        submit(&browser, &hostile.replace("\"1\"", "\"2\"")),
        "Failed"
    );
    for (hash, heading) in [
        ("#/processed", "Processed events"),
        ("#/log", "Raw log"),
        ("#/aggregates", "Aggregates"),
        ("#/failed", "Failed submissions"),
    ] {
        open_view(&browser, hash, heading);
        let main = browser.text_of("main");
        assert!(
            main.contains("<img src=x onerror=\"window.__xss=1\">")
                || main.contains("<script>window.__xss=2</script>"),
            "{hash}: {main}"
        );
        let state = browser.execute(
            "return [typeof window.__xss, document.querySelectorAll('main img, main script').length]",
            serde_json::json!([]),
        );
        assert_eq!(state, serde_json::json!(["undefined", 0]), "{hash}");
    }
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_resetting_the_rules_asks_first_and_cancel_keeps_them() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    open_view(&browser, "#/rules", "Mapping rules");
    let rules = |b: &Browser| {
        b.execute(
            "return document.querySelector('#rules-json').value;",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    };
    let defaults = rules(&browser);
    // The user's own rules: one more alias for the amount, saved.
    browser.execute(
        "const t = document.querySelector('#rules-json');
         const r = JSON.parse(t.value);
         r.aliases.amount.push('my_amount');
         t.value = JSON.stringify(r, null, 2);
         t.dispatchEvent(new Event('input', { bubbles: true }));",
        json!([]),
    );
    browser.click(&browser.find("main .actions button:nth-child(1)"));
    browser.wait_for_text("[data-testid=rules-message]", |t| t.starts_with("Saved."));
    let mine = rules(&browser);
    assert!(mine.contains("my_amount"));

    // Reset asks; Cancel keeps the user's rules.
    browser.click(&browser.find("main .actions button:nth-child(2)"));
    assert!(
        browser
            .dialog_text()
            .contains("Replace your mapping rules with the defaults?"),
        "{}",
        browser.dialog_text()
    );
    browser.answer_dialog(false);
    assert_eq!(rules(&browser), mine);
    browser.reload();
    browser.wait_for_text("main h2", |t| t == "Mapping rules");
    assert!(rules(&browser).contains("my_amount"), "kept after a reload");

    // OK resets them.
    browser.click(&browser.find("main .actions button:nth-child(2)"));
    browser.answer_dialog(true);
    browser.wait_for_text("[data-testid=rules-message]", |t| {
        t == "Back to the default rules."
    });
    assert_eq!(rules(&browser), defaults);
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_failed_submission_can_be_discarded_after_a_confirmation() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    let failure = "document.querySelector('fieldset.failure input[type=checkbox]').click();";
    browser.execute(failure, json!([]));
    assert_eq!(submit(&browser, DEFAULT_EVENT), "Failed");
    browser.execute(failure, json!([]));
    open_view(&browser, "#/failed", "Failed submissions");
    browser.wait_for_text("[data-testid=outbox-count]", |t| t == "1 waiting");
    let discard = "ul.outbox li .actions button:nth-child(2)";
    assert_eq!(browser.text(&browser.find(discard)), "Discard");
    // How a waiting item looks, at both widths.
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (width, mobile) in [(390, true), (1280, false)] {
        browser.set_viewport(width, 900, mobile);
        browser.full_page_screenshot(&shots.join(format!("{width}-failed-item.png")));
    }

    // Discard asks; Cancel keeps the item.
    browser.click(&browser.find(discard));
    assert!(
        browser
            .dialog_text()
            .starts_with("Stop retrying it and remove it from Failed? Its text was never counted"),
        "{}",
        browser.dialog_text()
    );
    browser.answer_dialog(false);
    browser.reload();
    browser.wait_for_text("[data-testid=outbox-count]", |t| t == "1 waiting");

    // OK removes it, for good; nothing was counted.
    browser.click(&browser.find(discard));
    browser.answer_dialog(true);
    browser.wait_for_text("[data-testid=retry-message]", |t| {
        t == "Removed from Failed."
    });
    browser.wait_for_text("[data-testid=outbox-empty]", |t| {
        t == "No failed submissions."
    });
    browser.reload();
    browser.wait_for_text("[data-testid=outbox-empty]", |t| {
        t == "No failed submissions."
    });
    open_view(&browser, "#/submit", "Submit an event");
    assert!(
        totals(&browser).starts_with("0 events committed"),
        "{}",
        totals(&browser)
    );
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_reload_mid_import_says_how_far_it_got_and_importing_again_finishes_it() {
    let lines: Vec<String> = (0..30_000)
        .map(|i| format!(r#"{{"client":"bulk","metric":"m","amount":{i},"ts":"2024-01-01"}}"#))
        .collect();
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    open_view(&browser, "#/import", "Bulk import");
    let start = "const t = document.querySelector('#bulk-events');
         t.value = arguments[0];
         t.dispatchEvent(new Event('input', { bubbles: true }));
         [...document.querySelectorAll('button')].find(b => b.textContent === 'Import').click();";
    browser.execute(start, json!([lines.join("\n")]));
    // Reload once the import has committed something, long before its end.
    browser.wait_until("the import under way", || {
        let done = browser.execute(
            "const p = document.querySelector('progress'); return p ? Number(p.value) : 0;",
            json!([]),
        );
        (done.as_f64().unwrap_or(0.0) > 0.0).then_some(())
    });
    browser.reload();
    let notice = browser.wait_for_text("[data-testid=import-cut-short]", |t| !t.is_empty());
    let at_least: usize = notice
        .split("stopped after at least ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .map(|n| n.replace(',', ""))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in: {notice}"));
    assert!(
        notice.starts_with("An import of 30,000 items in this tab stopped after at least"),
        "{notice}"
    );
    let (counted, _) = overall(&browser);
    let counted: usize = counted.parse().expect("a count");
    assert!(
        at_least > 0 && at_least < 30_000 && (at_least..=at_least + 500).contains(&counted),
        "noted {at_least}, counted {counted}"
    );
    // Importing the whole file again finishes it, counting nothing twice.
    open_view(&browser, "#/import", "Bulk import");
    browser.execute(start, json!([lines.join("\n")]));
    let summary = browser.wait_for_text("[data-testid=import-summary]", |t| !t.is_empty());
    assert!(
        summary.contains(&format!(
            "{} accepted, {} duplicates",
            tally::report::display::count((30_000 - counted) as u64),
            tally::report::display::count(counted as u64)
        )),
        "{summary}"
    );
    assert!(browser.try_find("[data-testid=import-cut-short]").is_none());
    assert_eq!(overall(&browser).0, "30000");
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_first_visit_fetches_only_submit_and_a_view_arrives_when_opened() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    browser.wait_for_text("main h2", |t| t == "Submit an event");
    let first = fetched_by_page(&browser);
    assert!(
        first.iter().any(|p| p.ends_with("/tally_bg.wasm")),
        "the main module was not fetched: {first:#?}"
    );
    assert!(
        !first.iter().any(|p| is_chunk(p)),
        "a first visit to Submit fetched a view's chunk: {first:#?}"
    );

    // The simulator's chunk arrives when it opens, and the view works.
    open_view(&browser, "#/simulator", "Simulator");
    let after = fetched_by_page(&browser);
    assert!(
        after
            .iter()
            .any(|p| p.contains("/split_simulator") && p.ends_with(".wasm")),
        "opening the simulator fetched no chunk of its own: {after:#?}"
    );
    // Back to Submit and to the simulator again: nothing fetched twice.
    open_view(&browser, "#/submit", "Submit an event");
    open_view(&browser, "#/simulator", "Simulator");
    let again = fetched_by_page(&browser);
    assert_eq!(
        again.len(),
        after.len(),
        "a view's chunk was fetched again: {again:#?}"
    );
    assert!(
        severe_console_entries(&browser).is_empty(),
        "console errors: {:?}",
        severe_console_entries(&browser)
    );
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_view_whose_chunk_cannot_arrive_says_so_and_opens_once_it_can() {
    let server = serve_site();
    let browser = Browser::start();
    // No service worker, so nothing is kept for offline use: the case of a
    // first visit that loses the network before the worker kept the views.
    browser.run_before_page_scripts(
        "Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined });",
    );
    open_app(&browser, &server);
    let event = r#"{"source":"client_A","payload":{"metric":"sale","amount":"2","timestamp":"2024/01/01"}}"#;

    // Submitting needs the pipeline's chunk: without it nothing is sent or
    // recorded, the page says so, and the event stays in the box.
    server.set_offline(true);
    send(&browser, event);
    let said = browser.wait_for_text("main p.error", |t| t.starts_with("Not submitted"));
    assert!(said.contains("still in the box"), "{said}");
    assert_eq!(
        browser.execute(
            "return document.querySelector('#raw-event').value;",
            json!([])
        ),
        json!(event)
    );
    assert!(browser.try_find("[data-testid=outcome-label]").is_none());
    assert_eq!(totals(&browser), "0 events committed, total amount 0");

    // Back online over a slow network: a double-click while the chunk is on
    // its way sends the event once.
    server.set_offline(false);
    browser.cdp("Network.enable", json!({}));
    browser.cdp(
        "Network.emulateNetworkConditions",
        json!({ "offline": false, "latency": 300, "downloadThroughput": -1, "uploadThroughput": -1 }),
    );
    browser.execute(
        "const b = [...document.querySelectorAll('button')].find(b => b.textContent === 'Submit event');
         b.click(); b.click();",
        json!([]),
    );
    browser.wait_for_text("[data-testid=outcome-label]", |t| t == "Accepted");
    browser.cdp(
        "Network.emulateNetworkConditions",
        json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    );
    assert_eq!(totals(&browser), "1 event committed, total amount 2");
    assert_eq!(
        browser.execute(
            "return document.querySelector('[data-testid=outcome]').dataset.attempt;",
            json!([])
        ),
        json!("1"),
        "the double-click was answered twice"
    );

    server.set_offline(true);
    let link = browser.find("nav a[href^='#/rules']");
    browser.click(&link);
    let said = browser.wait_for_text("[data-testid=view-not-loaded]", |t| !t.is_empty());
    assert!(
        said.contains("could not be loaded") && said.contains("Last tried at"),
        "{said}"
    );
    // The rest of the app still works: Submit, with what was counted.
    open_view(&browser, "#/submit", "Submit an event");
    assert_eq!(totals(&browser), "1 event committed, total amount 2");

    // Following the view's link again changes nothing; its button tries again.
    let link = browser.find("nav a[href^='#/rules']");
    browser.click(&link);
    browser.wait_for_text("[data-testid=view-not-loaded]", |t| !t.is_empty());
    server.set_offline(false);
    let again = browser.find("[data-testid=view-not-loaded] button");
    assert_eq!(browser.text(&again), "Try again");
    browser.click(&again);
    browser.wait_for_text("main h2", |t| t == "Mapping rules");
    assert!(browser.try_find("[data-testid=view-not-loaded]").is_none());
}
