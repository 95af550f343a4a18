//! End-to-end tests: the release build, served under a sub-path by a plain
//! static file server as GitHub Pages serves it, used in headless Chromium.
//!
//! They need the built site and Chromium, so plain `cargo test` lists them
//! as ignored; `scripts/test.sh` builds the site into `target/e2e-site` and
//! runs them with `--ignored`.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::path::PathBuf;
use support::static_server::StaticServer;
use support::webdriver::Browser;

/// The built site, under the sub-path GitHub Pages would give it.
fn serve_site() -> StaticServer {
    let dir = std::env::var("TALLY_SITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-site"));
    assert!(
        dir.join("index.html").is_file(),
        "no built site at {}: build it with `trunk build --release --public-url /tally/ --dist target/e2e-site` (scripts/test.sh does)",
        dir.display()
    );
    StaticServer::start(&dir, "/tally/")
}

/// Opens the app and waits until WebAssembly has rendered it.
fn open_app(browser: &Browser, server: &StaticServer) {
    browser.goto(&server.url());
    browser.wait_for_text("h1", |t| t == "Tally");
}

fn severe_console_entries(browser: &Browser) -> Vec<(String, String)> {
    browser
        .console()
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .collect()
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_site_loads_under_a_sub_path_with_every_asset_and_no_console_errors() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);

    assert_eq!(
        browser.title(),
        "Tally: exactly-once event pipeline in your browser"
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
    let amount = browser.text(&browser.find("td[data-field=amount]"));
    assert_eq!(amount, "1200");

    browser.click(&submit);
    browser.wait_for_text("[data-testid=outcome-label]", |t| t == "Duplicate");
    let totals = browser.text(&browser.find("[data-testid=totals]"));
    assert_eq!(totals, "1 events committed, total amount 1200");

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
    let provenance = browser.text(&browser.find(".provenance"));
    assert!(
        provenance.contains("amount ← payload.sum: \"250.50\" → 250.5"),
        "{provenance}"
    );
    browser.wait_for_text("[data-testid=totals]", |t| {
        t == "2 events committed, total amount 1450.5"
    });

    browser
        .screenshot(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e/screenshot.png"));
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// Submits one payload through the page's form, as a user would, and
/// returns the outcome label the page shows.
fn submit(browser: &Browser, payload: &str) -> String {
    let attempt = |b: &Browser| {
        b.execute(
            "const o = document.querySelector('[data-testid=outcome]'); return o ? Number(o.dataset.attempt) : 0;",
            serde_json::json!([]),
        )
        .as_u64()
        .unwrap_or(0)
    };
    let before = attempt(browser);
    browser.execute(
        "const t = document.querySelector('#raw-event');
         t.value = arguments[0];
         t.dispatchEvent(new Event('input', { bubbles: true })); // as typing does
         [...document.querySelectorAll('button')].find(b => b.textContent === 'Submit event').click();",
        serde_json::json!([payload]),
    );
    browser.wait_until("a new answer", || (attempt(browser) > before).then_some(()));
    browser.text(&browser.find("[data-testid=outcome-label]"))
}

fn totals(browser: &Browser) -> String {
    browser.text(&browser.find("[data-testid=totals]"))
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
    assert_eq!(totals(&browser), "2 events committed, total amount 0.3");
    browser.reload();
    open_app(&browser, &server);
    browser.wait_for_text("[data-testid=totals]", |t| {
        t == "2 events committed, total amount 0.3"
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
