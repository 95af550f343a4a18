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
