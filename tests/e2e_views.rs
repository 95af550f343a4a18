//! Every view at a desktop width (1280 px) and a phone width (390 px), with
//! enough data for every pager to have pages, every safe control used:
//! nothing scrolls sideways, nothing on screen looks like source code, no
//! button that should work is disabled, and the console stays clean. A
//! full-page screenshot of each view at each width goes to
//! `target/screenshots/`: look at them whenever the interface changes.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{json, Value};
use std::path::PathBuf;
use support::app::{import_lines, open_app, open_view, serve_site, severe_console_entries, submit};
use support::webdriver::Browser;

const ROUTES: [(&str, &str, &str); 9] = [
    ("submit", "#/submit", "Submit an event"),
    ("import", "#/import", "Bulk import"),
    ("processed", "#/processed", "Processed events"),
    ("failed", "#/failed", "Failed submissions"),
    ("log", "#/log", "Raw log"),
    ("aggregates", "#/aggregates", "Aggregates"),
    ("rules", "#/rules", "Mapping rules"),
    ("simulator", "#/simulator", "Simulator"),
    ("about", "#/about", "What Tally guarantees"),
];

/// Text that only leaks onto a page when markup or code is rendered as text.
const CODE_LIKE: [&str; 8] = [
    "=>",
    "move |",
    ".get()",
    "on:click",
    "prop:",
    "page.update",
    "{move",
    "::",
];

/// The app served and open at `width` × `height` px, with a phone's
/// viewport when `mobile`.
fn app_at(
    width: u32,
    height: u32,
    mobile: bool,
) -> (support::static_server::StaticServer, Browser) {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    browser.set_viewport(width, height, mobile);
    (server, browser)
}

/// One event per amount, each written by `line` from its index and amount.
fn amounts(amounts: &[&str], line: impl Fn(usize, &str) -> String) -> Vec<String> {
    amounts
        .iter()
        .enumerate()
        .map(|(i, a)| line(i, a))
        .collect()
}

fn click_button(browser: &Browser, label: &str) {
    browser.execute(
        "const b = [...document.querySelectorAll('main button')].find(b => b.textContent === arguments[0]);
         if (!b) throw new Error('no button ' + arguments[0]);
         if (b.disabled) throw new Error('disabled: ' + arguments[0]);
         b.click();",
        json!([label]),
    );
}

fn page_range(browser: &Browser) -> String {
    browser.text_of("[data-testid=page]")
}

/// Imports 130 events through Bulk import: 120 distinct, 8 resends, 2 that
/// are refused, so every list has several pages.
fn seed(browser: &Browser) {
    let mut lines: Vec<String> = (1..=120)
        .map(|i| {
            format!(
                r#"{{"client":"client_{}","metric":"{}","amount":"{}.{:02}","ts":"2024-03-{:02}T10:00:00Z"}}"#,
                ["A", "B", "C"][i % 3],
                ["sale", "refund"][i % 2],
                i * 37,
                i % 100,
                1 + i % 28
            )
        })
        .collect();
    for i in 0..8 {
        lines.push(lines[i * 7].clone());
    }
    lines.push(r#"{"client":"client_A","metric":"sale"}"#.into());
    lines.push("{ not json".into());
    let summary = import_lines(browser, &lines);
    assert!(
        summary.contains("120 accepted, 8 duplicates, 2 rejected"),
        "{summary}"
    );
}

/// The page's width, and whatever on it reaches past `width` (the viewport
/// set; a phone's innerWidth grows with a page that is too wide, so it is no
/// measure).
fn overflow(browser: &Browser, width: u32) -> (f64, Vec<String>) {
    let v = browser.execute(
        "const w = arguments[0];
         const wide = [...document.querySelectorAll('body *')]
           .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.scroll'))
           .slice(0, 5)
           .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
         return [Math.max(document.documentElement.scrollWidth, document.body.scrollWidth), wide];",
        json!([width]),
    );
    (
        v[0].as_f64().unwrap_or(0.0),
        v[1].as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// Buttons on the page that are disabled, by label.
fn disabled_buttons(browser: &Browser) -> Vec<String> {
    browser
        .execute(
            "return [...document.querySelectorAll('main button')].filter(b => b.disabled || b.getAttribute('aria-disabled') === 'true').map(b => b.textContent);",
            json!([]),
        )
        .as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default()
}

fn use_controls(browser: &Browser, route: &str) {
    match route {
        "processed" | "log" => {
            assert_eq!(
                page_range(browser),
                if route == "log" {
                    "1–50 of 130"
                } else {
                    "1–50 of 120"
                }
            );
            click_button(browser, "Next");
            browser.wait_for_text("[data-testid=page]", |t| t.starts_with("51–100"));
            click_button(browser, "Last");
            browser.wait_for_text("[data-testid=page]", |t| t.starts_with("101–"));
            click_button(browser, "Previous");
            browser.wait_for_text("[data-testid=page]", |t| t.starts_with("51–100"));
            click_button(browser, "First");
            browser.wait_for_text("[data-testid=page]", |t| t.starts_with("1–50"));
            let (select, value) = if route == "log" {
                ("#log-status", "Rejected")
            } else {
                ("#processed-client", "client_B")
            };
            browser.execute(
                "const s = document.querySelector(arguments[0]); s.value = arguments[1];
                 s.dispatchEvent(new Event('change', { bubbles: true }));",
                json!([select, value]),
            );
            let expected = if route == "log" {
                "1–2 of 2"
            } else {
                "1–40 of 40"
            };
            browser.wait_for_text("[data-testid=page]", |t| t == expected);
            browser.execute(
                "const s = document.querySelector(arguments[0]); s.value = '';
                 s.dispatchEvent(new Event('change', { bubbles: true }));",
                json!([select]),
            );
        }
        "aggregates" => click_button(browser, "Export CSV"),
        "simulator" => {
            // A small run, so the verdict, the timeline and the histogram
            // show; two simulated tabs keep it in memory, off this data.
            browser.execute(
                "for (const [id, v] of [['#sim-events', '40'], ['#sim-tabs', '2']]) {
                   const e = document.querySelector(id); e.value = v;
                   e.dispatchEvent(new Event('input', { bubbles: true }));
                 }",
                json!([]),
            );
            click_button(browser, "Run simulation");
            browser.wait_for_text("[data-testid=sim-verdict]", |t| t.starts_with("PASS"));
        }
        "submit" => {
            // The failure switch on and off again.
            let toggle = "document.querySelector('fieldset.failure input[type=checkbox]').click();";
            browser.execute(toggle, json!([]));
            browser.execute(toggle, json!([]));
        }
        _ => {}
    }
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_every_view_and_control_at_desktop_and_phone_width() {
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    seed(&browser);
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (width, mobile) in [(1280, false), (390, true)] {
        browser.set_viewport(width, 900, mobile);
        for (name, hash, heading) in ROUTES {
            open_view(&browser, hash, heading);
            use_controls(&browser, name);
            let (scroll, wide) = overflow(&browser, width);
            assert!(
                scroll <= f64::from(width),
                "{name} at {width} px scrolls sideways: {scroll} px wide; too wide: {wide:?}"
            );
            let text = browser.execute("return document.body.innerText;", json!([]));
            let text = text.as_str().unwrap_or_default();
            for code in CODE_LIKE {
                assert!(
                    !text.contains(code),
                    "{name} at {width} px shows code-like text {code:?}"
                );
            }
            // Pager buttons are disabled only at the ends; nothing else is.
            let disabled = disabled_buttons(&browser);
            let allowed = ["First", "Previous"];
            assert!(
                disabled.iter().all(|b| allowed.contains(&b.as_str())),
                "{name} at {width} px has disabled buttons: {disabled:?}"
            );
            browser.full_page_screenshot(&shots.join(format!("{width}-{name}.png")));
        }
        // The pages reached from a row rather than the menu: an event's
        // story from Processed, a submission's page from the raw log.
        for (name, from, heading, link, verdict, expected) in [
            (
                "event",
                "#/processed",
                "Processed events",
                "[data-testid=processed] tbody tr a",
                "[data-testid=event-verdict]",
                "Counted once.",
            ),
            (
                "submission",
                "#/log",
                "Raw log",
                "[data-testid=log] li .log-head a",
                "[data-testid=submission-verdict]",
                "ounted",
            ),
        ] {
            open_view(&browser, from, heading);
            browser.click(&browser.find(link));
            let said = browser.wait_for_text(verdict, |t| !t.is_empty());
            assert!(said.contains(expected), "{name}: {said}");
            let (scroll, wide) = overflow(&browser, width);
            assert!(
                scroll <= f64::from(width),
                "the {name} page at {width} px scrolls sideways: {scroll} px wide; too wide: {wide:?}"
            );
            browser.full_page_screenshot(&shots.join(format!("{width}-{name}.png")));
        }
    }
    let errors = severe_console_entries(&browser);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_huge_total_stays_on_one_line_at_every_width() {
    // 1,497 events of almost 10^18 each: a total of 33 characters with its
    // "≈", which broke mid-number in the glance at some widths.
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    // Wide, the five figures share the row equally while the total is
    // short (a fixed double share left a gap after it), and the total takes
    // more once its length needs it.
    let widths = |b: &Browser| -> Vec<f64> {
        b.set_viewport(1280, 800, false);
        let v = b.execute(
            "return [...document.querySelectorAll('dl.glance > div')].map(d => d.getBoundingClientRect().width);",
            json!([]),
        );
        v.as_array()
            .expect("widths")
            .iter()
            .filter_map(|w| w.as_f64())
            .collect()
    };
    let short = widths(&browser);
    assert!(
        short.len() == 5 && short.iter().all(|w| (w - short[0]).abs() < 2.0),
        "{short:?}"
    );
    let lines: Vec<String> = (0..1500)
        .map(|i| format!(r#"{{"client":"huge","metric":"sale","amount":"999999999999999999.123456789","timestamp":"2024-01-01T00:00:{:02}.{:03}Z"}}"#, i % 60, i))
        .collect();
    import_lines(&browser, &lines);
    browser.goto(&format!("{}#/submit", server.url()));
    browser.wait_for_text("main h2", |t| t.contains("Submit"));
    let long = widths(&browser);
    assert!(long[1] > 2.0 * long[0], "{long:?}");
    let mut broken = Vec::new();
    for width in (390..=1280).step_by(30) {
        browser.set_viewport(width, 800, width < 500);
        browser.goto(&format!("{}#/submit", server.url()));
        browser.wait_for_text("main h2", |t| t.contains("Submit"));
        // The glance's total, also pressed to show it exactly, and
        // Submit's "N events committed, total amount …" (which broke as
        // "…8,498.9400000" over "01").
        for (figure, press) in [
            ("glance-total", false),
            ("glance-total", true),
            ("submit-total", false),
        ] {
            if press {
                browser.execute("document.querySelector('[data-testid=glance-total][role=button]').click(); return true;", json!([]));
            }
            let found = browser.execute(
                "const d = document.querySelector(`[data-testid=${arguments[0]}]`);
                 const r = document.createRange(); r.selectNodeContents(d);
                 const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
                 const box = d.closest('p, dd') || d;
                 return [d.textContent, lines, box.scrollWidth <= box.clientWidth + 1,
                         document.documentElement.scrollWidth <= window.innerWidth];",
                json!([figure]),
            );
            if found[1] != json!(1) || found[2] != json!(true) || found[3] != json!(true) {
                broken.push(format!("{figure} at {width} px: {found}"));
            }
            if press {
                let text = found[0].as_str().unwrap_or_default();
                assert!(
                    !text.starts_with('≈')
                        && text.split_once('.').is_some_and(|(_, d)| d.len() == 9),
                    "pressed, exactly: {text}"
                );
                browser.execute(
                    "document.querySelector('[data-testid=glance-total]').click(); return true;",
                    json!([]),
                );
            }
        }
        // The figures read in their order, row by row (a grid that filled
        // gaps put "Duplicates caught" before the total on a phone).
        let in_order = browser.execute(
            "const boxes = [...document.querySelectorAll('dl.glance > div')].map(d => d.getBoundingClientRect());
             return boxes.every((b, i) => i == 0 || b.top > boxes[i - 1].top + 1 || (Math.abs(b.top - boxes[i - 1].top) <= 1 && b.left > boxes[i - 1].left));",
            json!([]),
        );
        if in_order != json!(true) {
            broken.push(format!("the glance's figures out of order at {width} px"));
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_claimed_event_with_long_names_names_its_claimant_and_fits_a_phone() {
    // A client's names are the client's text: a long unbroken one widened
    // the event page to 862 px on a phone (an outside review). The keyed
    // resend claims the event; its page and the event's page say which.
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    browser.set_viewport(390, 844, true);
    let client = "client_with_a_very_long_name_that_might_overflow_the_table_cell_abcdefghijklmnopqrstuvwxyz";
    let unkeyed = format!(
        r#"{{"client":"{client}","metric":"subscription_renewal_with_a_long_metric_name","amount":"1234567.891","ts":"2024-03-03T10:00:00Z"}}"#
    );
    let keyed = unkeyed.replace(
        r#""ts""#,
        r#""event_id":"order-with-a-long-key-0123456789abcdefghijklmnopqrstuvwxyz","ts""#,
    );
    let summary = import_lines(&browser, &[unkeyed.clone(), unkeyed, keyed]);
    assert!(summary.contains("1 accepted, 2 duplicates"), "{summary}");
    open_view(&browser, "#/processed", "Processed events");
    assert_eq!(
        split_instants(&browser),
        0,
        "Processed breaks an instant mid-date"
    );
    browser.click(&browser.find("[data-testid=processed] tbody tr a"));
    browser.wait_for_text("[data-testid=event-verdict]", |t| {
        t.contains("Counted once.")
    });
    let (scroll, wide) = overflow(&browser, 390);
    assert!(
        scroll <= 390.0,
        "the event page scrolls sideways: {scroll} px; too wide: {wide:?}"
    );
    // An instant breaks between its date and its time, never at a hyphen.
    assert_eq!(
        split_instants(&browser),
        0,
        "the event page breaks an instant mid-date"
    );
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    browser.full_page_screenshot(&shots.join("390-claimed-event.png"));
    let claimed = browser.text_of("[data-testid=event-claimed]");
    assert!(claimed.contains("claimed the event"), "{claimed}");
    let chapters = browser.text_of("[data-testid=event-submissions]");
    assert_eq!(
        chapters.matches("its key claimed the event").count(),
        1,
        "{chapters}"
    );
    // The link in that line leads to the claimant's own page.
    browser.click(&browser.find("[data-testid=event-claimed] a"));
    let verdict = browser.wait_for_text("[data-testid=submission-verdict]", |t| !t.is_empty());
    assert!(
        verdict.contains("Its idempotency key claimed that event"),
        "{verdict}"
    );
    let (scroll, wide) = overflow(&browser, 390);
    assert!(
        scroll <= 390.0,
        "the submission page scrolls sideways: {scroll} px; too wide: {wide:?}"
    );
    browser.full_page_screenshot(&shots.join("390-claimant.png"));
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_processed_on_a_phone_shows_every_amount_whole() {
    // At 390 px the amount column sat past the edge of the table's
    // scrolling box, and 0.000000001 read as "0.00000000" there (an outside
    // review). A phone shows a card per event instead, each field named,
    // an amount without the figure spaces that align a column.
    let (_server, browser) = app_at(390, 844, true);
    let lines = amounts(
        &["0.000000001", "-3.5", "999999999999999999.999999999"],
        |i, a| {
            format!(
                r#"{{"client":"c0","metric":"sales","amount":"{a}","ts":"2024-05-0{}T10:00:00Z"}}"#,
                i + 1
            )
        },
    );
    let summary = import_lines(&browser, &lines);
    assert!(summary.contains("3 accepted"), "{summary}");
    open_view(&browser, "#/processed", "Processed events");
    let cells = browser.execute(
        "const box = document.querySelector('[data-testid=processed]').closest('.scroll');
         return [...document.querySelectorAll('[data-testid=processed] td.num')].map(td => {
           const r = td.querySelector('.groups').getBoundingClientRect();
           return [td.innerText, r.right <= box.getBoundingClientRect().right + 1,
                   getComputedStyle(td, '::before').content];
         }).concat([[box.scrollWidth <= box.clientWidth + 1,
                     getComputedStyle(document.querySelector('[data-testid=processed] td[data-label=\"Idempotency key\"]'), '::after').content]]);",
        json!([]),
    );
    assert_eq!(
        cells,
        json!([
            ["999,999,999,999,999,999.999999999", true, "\"Amount\""],
            ["-3.50", true, "\"Amount\""],
            ["0.000000001", true, "\"Amount\""],
            [true, "\"(none)\""]
        ]),
        "every amount whole inside its card, named, without the column's padding, and nothing to scroll to"
    );
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_aggregates_figures_stay_whole_on_a_phone_and_wide() {
    // A Max of eighteen digits and eight decimals broke with its last 9 on
    // a line of its own, reading as two numbers (an outside review).
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    browser.set_viewport(390, 844, true);
    let lines: Vec<String> = [
        ("999999999999999999.99999999", 1),
        ("-1", 2),
        ("0.000000001", 3),
        ("1234.5", 4),
    ]
    .iter()
    .map(|(amount, day)| {
        format!(r#"{{"client":"c","metric":"m","amount":"{amount}","ts":"2024-01-0{day}"}}"#)
    })
    .collect();
    let summary = import_lines(&browser, &lines);
    assert!(summary.contains("4 accepted"), "{summary}");
    open_view(&browser, "#/aggregates", "Aggregates");
    let broken = browser.execute(
        "return [...document.querySelectorAll('[data-testid=overall] dd')]
           .filter(d => { const r = document.createRange(); r.selectNodeContents(d);
                          return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1; })
           .map(d => d.textContent);",
        json!([]),
    );
    assert_eq!(broken, json!([]), "figures broken over two lines");
    // The tables per key are cards, as Processed's are: their sums sat past
    // the edge of a table that scrolled sideways (an outside review).
    let cut = browser.execute(
        "return [...document.querySelectorAll('table.stats td.num')].flatMap(td => {
           const box = td.closest('.scroll');
           const r = (td.querySelector('.groups') || td).getBoundingClientRect();
           const label = getComputedStyle(td, '::before').content;
           return r.right <= box.getBoundingClientRect().right + 1 && box.scrollWidth <= box.clientWidth + 1
             && /^\"(Count|Sum|Min|Max|Mean)\"$/.test(label) && !td.innerText.endsWith('\\u2007')
             ? [] : [[td.innerText, label]];
         });",
        json!([]),
    );
    assert_eq!(cut, json!([]), "figures cut, unnamed or padded in a card");
    let sums = browser.execute(
        "return [...document.querySelectorAll('table.stats td[data-label=Sum]')].map(td => td.innerText);",
        json!([]),
    );
    assert_eq!(
        sums[0],
        json!("1,000,000,000,000,001,233.499999991"),
        "{sums}"
    );
    let (scroll, wide) = overflow(&browser, 390);
    assert!(scroll <= 390.0, "scrolls sideways: {scroll} px; {wide:?}");
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    browser.full_page_screenshot(&shots.join("390-aggregates-figures.png"));
    // Wide, the tables stay tables, and their amounts break between digit
    // groups rather than sit past the edge of a box that scrolls (at 1280
    // px a review read -0.000000001 as "-0.0" there).
    browser.set_viewport(1280, 900, false);
    open_view(&browser, "#/aggregates", "Aggregates");
    let cut = browser.execute(
        "return [...document.querySelectorAll('table.stats')].flatMap(t => {
           const box = t.closest('.scroll');
           const cells = [...t.querySelectorAll('td.num')].filter(td =>
             td.getBoundingClientRect().right > box.getBoundingClientRect().right + 1);
           return box.scrollWidth > box.clientWidth + 1 || getComputedStyle(t.querySelector('thead')).display == 'none'
             ? [[box.previousElementSibling.textContent, box.scrollWidth, box.clientWidth, cells.map(c => c.innerText)]] : [];
         });",
        json!([]),
    );
    assert_eq!(
        cut,
        json!([]),
        "a table scrolls, is cut, or is cards at 1280 px"
    );
    browser.full_page_screenshot(&shots.join("1280-aggregates-figures.png"));
}

/// The left edge of the decimal point of each cell `selector` finds, per
/// table, for the cells whose column has a point.
fn decimal_points(browser: &Browser, selector: &str) -> Value {
    browser.execute(
        "const point = td => { const w = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
           for (let n = w.nextNode(); n; n = w.nextNode()) { const i = n.data.indexOf('.');
             if (i >= 0) { const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
                           return Math.round(r.getBoundingClientRect().left); } } return null; };
         return [...document.querySelectorAll('table')].map(t =>
           [...t.querySelectorAll(arguments[0])].map(point).filter(x => x !== null))
           .filter(xs => xs.length > 0);",
        json!([selector]),
    )
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_wide_tables_keep_each_columns_decimal_points_in_line() {
    // At 1280 px a figure that broke between its digit groups put its
    // padding on a line of its own, flush right, about 64 px out of line
    // with the column's other decimal points (an outside review).
    let (_server, browser) = app_at(1280, 900, false);
    let lines = amounts(
        &["999999999999999999.5", "0.5", "1234567890.123456789"],
        |i, a| {
            format!(
                r#"{{"client":"c{i}","metric":"m","amount":"{a}","ts":"2024-02-0{}"}}"#,
                i + 1
            )
        },
    );
    let summary = import_lines(&browser, &lines);
    assert!(summary.contains("3 accepted"), "{summary}");
    let mut unaligned = Vec::new();
    for (view, title, cells) in [
        ("#/processed", "Processed events", "td[data-label=Amount]"),
        ("#/aggregates", "Aggregates", "td[data-label=Sum]"),
        ("#/aggregates", "Aggregates", "td[data-label=Max]"),
    ] {
        open_view(&browser, view, title);
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        browser.full_page_screenshot(&shots.join(format!("1280-wide-decimals-{}.png", &view[2..])));
        for xs in decimal_points(&browser, cells)
            .as_array()
            .into_iter()
            .flatten()
        {
            let xs: Vec<i64> = xs
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_i64)
                .collect();
            if xs
                .iter()
                .max()
                .zip(xs.iter().min())
                .is_some_and(|(a, b)| a - b > 1)
            {
                unaligned.push(format!("{view} {cells}: {xs:?}"));
            }
        }
    }
    assert!(
        unaligned.is_empty(),
        "decimal points out of line: {unaligned:#?}"
    );
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_bar_charts_keep_names_bars_and_sums_apart_at_both_widths() {
    // A long client name ran into its bar and sum, and on a phone the
    // charts' text was about 7 px tall (an outside review).
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    let lines: Vec<String> = [
        (
            "a client with a really long descriptive name, region north-east",
            "1234567.123456789",
        ),
        ("acme", "1.5"),
        ("zed", "999999999999999999.99"),
        ("refunds", "-250"),
    ]
    .iter()
    .map(|(c, amount)| {
        format!(r#"{{"client":"{c}","metric":"m","amount":"{amount}","ts":"2024-01-01"}}"#)
    })
    .collect();
    let summary = import_lines(&browser, &lines);
    assert!(summary.contains("4 accepted"), "{summary}");
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (width, mobile) in [(1280, false), (390, true)] {
        browser.set_viewport(width, 900, mobile);
        open_view(&browser, "#/aggregates", "Aggregates");
        let problems = browser.execute(
            "return [...document.querySelectorAll('ul.bars li')].flatMap(li => {
               const box = r => li.querySelector(r).getBoundingClientRect();
               const [label, bar, value, chart] =
                 [box('.bar-label'), box('.bar'), box('.bar-value'), li.closest('ul').getBoundingClientRect()];
               const name = li.querySelector('.bar-label').title;
               const size = parseFloat(getComputedStyle(li.querySelector('.bar-label')).fontSize);
               const above = label.bottom <= Math.min(bar.top, value.top) + 0.5;
               const out = [];
               if (!above && label.right > bar.left + 0.5) out.push(name + ': the name runs into its bar');
               if (value.left < bar.right - 0.5 && value.top < bar.bottom - 0.5) out.push(name + ': the sum is over its bar');
               if (value.right > chart.right + 0.5) out.push(name + ': the sum runs out of the chart');
               if (size < 12) out.push(name + ': text ' + size + ' px');
               return out;
             });",
            json!([]),
        );
        assert_eq!(problems, json!([]), "at {width} px");
        // The largest sum's bar takes most of the room its sum leaves.
        let widest = browser.execute(
            "return [...document.querySelectorAll('ul.bars')].map(ul => {
               const rows = [...ul.querySelectorAll('.bar-row')];
               const room = rows[0].getBoundingClientRect().width;
               return Math.max(...rows.map(r => r.querySelector('.bar').getBoundingClientRect().width)) / room;
             });",
            json!([]),
        );
        let widest: Vec<f64> = widest
            .as_array()
            .expect("shares")
            .iter()
            .filter_map(|w| w.as_f64())
            .collect();
        assert!(
            widest.len() == 2 && widest.iter().all(|w| *w > 0.3),
            "the largest bar's share of its row at {width} px: {widest:?}"
        );
        let (scroll, wide) = overflow(&browser, width);
        assert!(
            scroll <= f64::from(width),
            "scrolls sideways: {scroll} px; {wide:?}"
        );
        browser.full_page_screenshot(&shots.join(format!("{width}-aggregates-bars.png")));
    }
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_names_that_differ_in_spaces_look_different() {
    // "north  east" and "north east" are two clients; HTML collapsed the
    // two spaces and both read "north east" (an outside review).
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    let lines: Vec<String> = ["north  east", "north east"]
        .iter()
        .map(|c| format!(r#"{{"client":"{c}","metric":"m","amount":"1","ts":"2024-01-01"}}"#))
        .collect();
    let summary = import_lines(&browser, &lines);
    assert!(summary.contains("2 accepted"), "{summary}");
    // The rendered widths of the cells' text, which collapsed spaces make equal.
    let widths = |selector: &str| {
        browser.execute(
            "return [...document.querySelectorAll(arguments[0])].map(c => {
               const r = document.createRange(); r.selectNodeContents(c);
               return Math.round(r.getBoundingClientRect().width); });",
            json!([selector]),
        )
    };
    open_view(&browser, "#/aggregates", "Aggregates");
    let keys = widths("table.stats tbody th");
    let keys = keys.as_array().expect("widths");
    assert!(
        keys.len() >= 2 && keys[0] != keys[1],
        "per-client keys: {keys:?}"
    );
    let options = browser.execute(
        "return [...document.querySelectorAll('#aggregates-client option')].map(o => o.textContent);",
        json!([]),
    );
    assert!(
        options
            .as_array()
            .expect("options")
            .contains(&json!("north\u{a0}\u{a0}east")),
        "{options}"
    );
    open_view(&browser, "#/processed", "Processed events");
    let cells = widths("[data-testid=processed] tbody td:nth-child(2)");
    let cells = cells.as_array().expect("widths");
    assert!(
        cells.len() == 2 && cells[0] != cells[1],
        "Processed's clients: {cells:?}"
    );
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    browser.full_page_screenshot(&shots.join("1280-processed-spaced-names.png"));
    open_view(&browser, "#/aggregates", "Aggregates");
    browser.full_page_screenshot(&shots.join("1280-aggregates-spaced-names.png"));
}

#[test]
#[ignore = "needs the release build and Chromium: run scripts/test.sh"]
fn e2e_a_raw_payload_breaks_between_its_words_on_a_phone() {
    // Clients send JSON with spaces as often as without: a phone broke it
    // anywhere, mid-key and mid-number, even where a space was at hand.
    let server = serve_site();
    let browser = Browser::start();
    open_app(&browser, &server);
    browser.set_viewport(390, 844, true);
    let spaced = r#"{"client_id": "web-shop-eu", "metric": "subscription_renewal", "amount": "1234567.891", "timestamp": "2024-03-03T10:00:00Z", "note": "a payload sent with spaces"}"#;
    // Submit's answer shows the event with its instants, which broke at a
    // hyphen there ("2024-01-" over "01T00:00:00Z").
    open_view(&browser, "#/submit", "Submit an event");
    assert_eq!(
        submit(&browser, &spaced.replace("1234567.891", "3")),
        "Accepted"
    );
    assert_eq!(
        split_instant_texts(&browser),
        Vec::<String>::new(),
        "Submit's answer breaks an instant written as plain text"
    );
    assert_eq!(
        split_instants(&browser),
        0,
        "Submit's answer breaks an instant mid-date"
    );
    let summary = import_lines(&browser, &[spaced.to_string()]);
    assert!(summary.contains("1 accepted"), "{summary}");
    open_view(&browser, "#/log", "Raw log");
    browser.wait_for_text("pre.raw", |t| t.contains("subscription_renewal"));
    assert_eq!(
        split_raw_words(&browser),
        Vec::<String>::new(),
        "the Raw log breaks a word"
    );
    // What the page shows (and a copy takes) is the text exactly.
    let shown = browser.execute(
        "return document.querySelector('pre.raw').textContent;",
        json!([]),
    );
    assert_eq!(shown, json!(spaced));
    browser.click(&browser.find("[data-testid=log] a"));
    browser.wait_for_text("[data-testid=submission-verdict]", |t| !t.is_empty());
    assert_eq!(
        split_raw_words(&browser),
        Vec::<String>::new(),
        "the submission page breaks a word"
    );
    let (scroll, wide) = overflow(&browser, 390);
    assert!(scroll <= 390.0, "scrolls sideways: {scroll} px; {wide:?}");
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    browser.full_page_screenshot(&shots.join("390-raw-words.png"));

    // Failed lists the text too, and when it last failed: an instant that
    // broke at a hyphen there ("2026-12-" over "07T02:27:40.704Z").
    open_view(&browser, "#/submit", "Submit an event");
    browser.click(&browser.find("fieldset.failure input[type=checkbox]"));
    let other = spaced.replace("1234567.891", "7.5");
    assert_eq!(submit(&browser, &other), "Failed");
    browser.click(&browser.find("fieldset.failure input[type=checkbox]"));
    open_view(&browser, "#/failed", "Failed submissions");
    browser.wait_for_text("[data-testid=outbox-count]", |t| t == "1 waiting");
    assert_eq!(
        split_raw_words(&browser),
        Vec::<String>::new(),
        "Failed breaks a word"
    );
    assert_eq!(
        split_instants(&browser),
        0,
        "Failed breaks an instant mid-date"
    );
    assert_eq!(
        split_instant_texts(&browser),
        Vec::<String>::new(),
        "Failed breaks an instant written as plain text"
    );
    browser.full_page_screenshot(&shots.join("390-failed-waiting.png"));
}

/// The runs of text matching `pattern` inside the elements `boxes` selects
/// that are broken over two lines, although they are narrower than
/// `narrower` of their element's width (so they would fit on one line).
fn split_runs(browser: &Browser, boxes: &str, pattern: &str, narrower: f64) -> Vec<String> {
    let found = browser.execute(
        "const [boxes, pattern, narrower] = arguments;
         const split = [];
         for (const box of document.querySelectorAll(boxes)) {
           const texts = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
           for (let node; (node = texts.nextNode()); ) {
             for (const m of node.textContent.matchAll(new RegExp(pattern, 'g'))) {
               const r = document.createRange();
               r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
               const rects = [...r.getClientRects()];
               const lines = new Set(rects.map(x => Math.round(x.top))).size;
               const wide = rects.reduce((sum, x) => sum + x.width, 0);
               if (lines > 1 && wide < box.clientWidth * narrower) split.push(m[0]);
             }
           }
         }
         return split;",
        json!([boxes, pattern, narrower]),
    );
    serde_json::from_value(found).unwrap_or_else(|e| panic!("{e}"))
}

/// Words of raw payloads (runs without spaces, in whatever elements the
/// page writes them) broken over two lines although they would fit on one.
fn split_raw_words(browser: &Browser) -> Vec<String> {
    split_runs(browser, "pre.raw, code.raw", r"\S+", 0.8)
}

/// Instants written as plain text (not the page's own instant blocks)
/// broken over two lines.
fn split_instant_texts(browser: &Browser) -> Vec<String> {
    // Any width: an instant is never wider than a line.
    split_runs(browser, "main", r"\d{4}-\d\d-\d\dT[\d:.]+Z", 1e9)
}

/// How many halves of instants on the page (the date, the time) are broken
/// over two lines.
fn split_instants(browser: &Browser) -> u64 {
    browser
        .execute(
            "return [...document.querySelectorAll('.instant > span')].filter(s => s.getClientRects().length > 1).length;",
            json!([]),
        )
        .as_u64()
        .unwrap_or(u64::MAX)
}
