//! Driving Tally's own pages: serve the release build, open the app, submit
//! through the form as a user does, and read what the page shows. Shared by
//! the end-to-end test files so each states only its scenario.

use super::static_server::StaticServer;
use super::webdriver::Browser;
use std::path::PathBuf;

/// The built site's folder: `TALLY_SITE_DIR`, or `default` under the crate
/// (`target/e2e-site` for the tests, `target/bench-site` for the benchmark).
pub fn site_dir(default: &str) -> PathBuf {
    std::env::var("TALLY_SITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(default))
}

/// The built site, under the sub-path GitHub Pages would give it.
pub fn serve_site() -> StaticServer {
    let dir = site_dir("target/e2e-site");
    assert!(
        dir.join("index.html").is_file(),
        "no built site at {}: build it with `trunk build --release --public-url /tally/ --dist target/e2e-site` (scripts/test.sh does)",
        dir.display()
    );
    StaticServer::start(&dir, "/tally/")
}

/// Opens the app and waits until WebAssembly has rendered it.
pub fn open_app(browser: &Browser, server: &StaticServer) {
    browser.goto(&server.url());
    browser.wait_for_text("h1", |t| t == "Tally");
}

/// Follows a navigation link, as a user clicks it, and waits for the view's
/// heading (the first h2 in main: the figures above it have none).
pub fn open_view(browser: &Browser, hash: &str, heading: &str) {
    // A view's link may carry its settings (`#/simulator?seed=…`).
    let link = browser.find(&format!("nav a[href='{hash}'], nav a[href^='{hash}?']"));
    browser.click(&link);
    browser.wait_for_text("main h2", |t| t == heading);
}

/// The console's SEVERE entries: errors the page logged.
pub fn severe_console_entries(browser: &Browser) -> Vec<(String, String)> {
    browser
        .console()
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .collect()
}

/// Submits one payload through the Submit form, as a user would, and
/// returns the outcome label the page shows once the answer arrives.
pub fn submit(browser: &Browser, payload: &str) -> String {
    let attempt = |b: &Browser| {
        b.execute(
            "const o = document.querySelector('[data-testid=outcome]'); return o ? Number(o.dataset.attempt) : 0;",
            serde_json::json!([]),
        )
        .as_u64()
        .unwrap_or(0)
    };
    let before = attempt(browser);
    send(browser, payload);
    browser.wait_until("a new answer", || (attempt(browser) > before).then_some(()));
    browser.text_of("[data-testid=outcome-label]")
}

/// Puts `payload` in the Submit form's box and clicks Submit event, without
/// waiting for anything (see [`submit`], which waits for the answer).
pub fn send(browser: &Browser, payload: &str) {
    browser.execute(
        "const t = document.querySelector('#raw-event');
         t.value = arguments[0];
         t.dispatchEvent(new Event('input', { bubbles: true })); // as typing does
         [...document.querySelectorAll('button')].find(b => b.textContent === 'Submit event').click();",
        serde_json::json!([payload]),
    );
}

/// The paths of the files the page itself has fetched so far, from the
/// network or the service worker (the worker's own precaching is not among
/// them: it runs in the worker).
pub fn fetched_by_page(browser: &Browser) -> Vec<String> {
    let names = browser.execute(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname);",
        serde_json::json!([]),
    );
    serde_json::from_value(names).unwrap_or_default()
}

/// A chunk of the split build (`pkg-*/split_*.wasm`, `pkg-*/chunk_*.wasm`),
/// by its path in the site or on the server: fetched when a view first
/// opens or the first event is submitted, not to start (scripts/build-wasm.sh).
pub fn is_chunk(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or_default();
    let folder = parts.next().unwrap_or_default();
    folder.starts_with("pkg-")
        && file.ends_with(".wasm")
        && (file.starts_with("split_") || file.starts_with("chunk_"))
}

/// Opens Bulk import, pastes `lines` into its box as one NDJSON text,
/// clicks Import and returns the summary once it shows.
pub fn import_lines(browser: &Browser, lines: &[String]) -> String {
    open_view(browser, "#/import", "Bulk import");
    browser.execute(
        "const t = document.querySelector('#bulk-events');
         t.value = arguments[0];
         t.dispatchEvent(new Event('input', { bubbles: true })); // as pasting does
         [...document.querySelectorAll('button')].find(b => b.textContent === 'Import').click();",
        serde_json::json!([lines.join("\n")]),
    );
    browser.wait_for_text_within(
        "[data-testid=import-summary]",
        std::time::Duration::from_secs(300),
        |t| !t.is_empty(),
    )
}

/// The Submit view's totals line.
pub fn totals(browser: &Browser) -> String {
    browser.text_of("[data-testid=totals]")
}
