//! Where the browser's time goes: a CPU profile of a bulk import, of a
//! reload with those events stored and of submits through the form, taken with Chromium's own profiler
//! (DevTools' `Profiler` domain, through chromedriver's passthrough) on a
//! release build that keeps function names.
//!
//! Run with `scripts/profile.sh`, which builds that site into
//! target/profile-site. `TALLY_PROFILE_EVENTS` sets the import's size
//! (20,000 by default). Prints the functions with the most time of their
//! own and the most time including what they call. This is how the import's
//! largest cost was found: Bulk import's box, holding megabytes, laid out
//! again at every frame ("(program)" time between the chunks).

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use support::events::mixed;
use support::static_server::StaticServer;
use support::webdriver::Browser;

/// Submits profiled after the reload.
const SUBMITS: usize = 40;

/// Rows printed per table.
const TOP: usize = 30;

/// Functions with their milliseconds, most first.
type Table = Vec<(String, f64)>;

/// Milliseconds per function: its own samples, and every sample with the
/// function anywhere on the stack (counted once per sample); and the total.
fn summarize(profile: &Value) -> (Table, Table, f64) {
    let mut name = HashMap::new();
    let mut parent = HashMap::new();
    for node in profile["nodes"].as_array().into_iter().flatten() {
        let Some(id) = node["id"].as_u64() else {
            continue;
        };
        let frame = &node["callFrame"];
        let file = frame["url"]
            .as_str()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("");
        name.insert(
            id,
            format!("{} [{file}]", frame["functionName"].as_str().unwrap_or("")),
        );
        for child in node["children"].as_array().into_iter().flatten() {
            if let Some(child) = child.as_u64() {
                parent.insert(child, id);
            }
        }
    }
    let samples = profile["samples"].as_array().cloned().unwrap_or_default();
    let deltas = profile["timeDeltas"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (mut own, mut within): (HashMap<String, f64>, HashMap<String, f64>) = Default::default();
    let mut total = 0.0;
    // A sample lasts until the next one: the next sample's delta.
    for (i, sample) in samples.iter().enumerate() {
        let ms = deltas.get(i + 1).and_then(Value::as_f64).unwrap_or(0.0) / 1000.0;
        total += ms;
        let Some(mut id) = sample.as_u64() else {
            continue;
        };
        let unknown = String::from("?");
        *own.entry(name.get(&id).unwrap_or(&unknown).clone())
            .or_default() += ms;
        let mut seen = HashSet::new();
        loop {
            let here = name.get(&id).unwrap_or(&unknown).clone();
            if seen.insert(here.clone()) {
                *within.entry(here).or_default() += ms;
            }
            match parent.get(&id) {
                Some(&p) => id = p,
                None => break,
            }
        }
    }
    let sorted = |m: HashMap<String, f64>| {
        let mut v: Table = m.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v.truncate(TOP);
        v
    };
    (sorted(own), sorted(within), total)
}

fn print(label: &str, profile: &Value) {
    let (own, within, total) = summarize(profile);
    println!("\n== {label}: {total:.0} ms sampled");
    println!("-- own time");
    for (f, ms) in own {
        println!("{ms:8.1} ms  {f}");
    }
    println!("-- including callees");
    for (f, ms) in within {
        println!("{ms:8.1} ms  {f}");
    }
}

/// Runs `work` under the CPU profiler (sampling every 200 µs).
fn profiled(browser: &Browser, work: impl FnOnce()) -> Value {
    browser.cdp("Profiler.enable", json!({}));
    browser.cdp("Profiler.setSamplingInterval", json!({ "interval": 200 }));
    browser.cdp("Profiler.start", json!({}));
    work();
    browser.cdp("Profiler.stop", json!({}))["profile"].clone()
}

/// Profiles [`SUBMITS`] submits through the Submit form, after one
/// unprofiled submit that fetches the pipeline's chunk.
fn profiled_submits(browser: &Browser, server: &StaticServer, seed: u64) -> Value {
    browser.goto(&format!("{}#/submit", server.url()));
    browser.wait_for_text("h1", |t| t == "Tally");
    let sends = mixed(SUBMITS + 1, seed);
    support::app::submit(browser, &sends[0]);
    profiled(browser, || {
        for line in &sends[1..] {
            support::app::submit(browser, line);
        }
    })
}

fn main() {
    let dir = support::app::site_dir("target/profile-site");
    assert!(
        dir.join("index.html").is_file(),
        "no site at {}: run scripts/profile.sh",
        dir.display()
    );
    let n: usize = std::env::var("TALLY_PROFILE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let server = StaticServer::start(&dir, "/tally/");
    let browser = Browser::start();
    browser.goto(&format!("{}#/import", server.url()));
    browser.wait_for_text("h1", |t| t == "Tally");
    browser.execute("localStorage.clear(); return true;", json!([]));
    browser.reload();
    browser.wait_for_text("main h2", |t| t == "Bulk import");
    // Submits with nothing stored, to set beside those after the import.
    let submits_empty = profiled_submits(&browser, &server, 19);
    print(
        &format!("{SUBMITS} submits with nothing stored"),
        &submits_empty,
    );
    browser.goto(&format!("{}#/import", server.url()));
    browser.wait_for_text("main h2", |t| t == "Bulk import");
    let lines = mixed(n, 20);
    let import = profiled(&browser, || {
        println!("{}", support::app::import_lines(&browser, &lines));
    });
    print(&format!("bulk import of {n} mixed events"), &import);
    // Once unprofiled, so the wasm is compiled and cached as a user's is.
    browser.goto(&format!("{}#/submit", server.url()));
    browser.wait_for_text("h1", |t| t == "Tally");
    let reload = profiled(&browser, || {
        browser.reload();
        browser.wait_for_text("h1", |t| t == "Tally");
    });
    let ready = browser.execute(
        "const m = performance.getEntriesByName('tally-interactive')[0]; return m ? m.startTime : null;",
        json!([]),
    );
    println!("\nreload with {n} stored: usable at {ready} ms (profiled)");
    print(&format!("reload with {n} submissions stored"), &reload);
    // Submits through the form with that history stored: what a commit
    // costs that an empty store does not (issue 12's third target).
    let submits = profiled_submits(&browser, &server, 21);
    print(
        &format!("{SUBMITS} submits with {n} submissions stored"),
        &submits,
    );
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/profile");
    std::fs::create_dir_all(&out).expect("create target/profile");
    for (name, profile) in [
        ("import.cpuprofile", &import),
        ("reload.cpuprofile", &reload),
        ("submits-empty.cpuprofile", &submits_empty),
        ("submits.cpuprofile", &submits),
    ] {
        std::fs::write(out.join(name), profile.to_string()).expect("write a profile");
    }
    println!("\nWrote target/profile/import.cpuprofile, reload.cpuprofile, submits-empty.cpuprofile and submits.cpuprofile (open them in Chromium's DevTools, Performance panel).");
}
