//! Stores written by earlier versions open in this one with nothing lost
//! and nothing changed: the same events, the same answers, the same raw
//! texts. Their data stays where it is; a writer that commits again writes
//! format 4 under its own keys.
//!
//! - `tests/data/v1-store.json`: the last version that stored records as
//!   JSON (segment format 1, `w:` keys).
//! - `tests/data/v2-store.json`: the version before sealed heads (segment
//!   format 2, `b:` keys, JSON heads), with a commit that failed after its
//!   segment write and a submission interrupted mid-request.
//! - `tests/data/v3-store.json`: the version before digests were stored
//!   apart (segment format 3, `c:` keys, sealed heads), with a closed
//!   segment, a key claiming an event, a conflict and a commit that failed
//!   after its segment write.
//!
//! Each was written by that version itself (its `written_by` says how);
//! `events`, `statuses` and `raws` are what it derived from the store.

#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use std::rc::Rc;
use tally::ledger::{Ledger, Record};
use tally::store::{unpack, unpack_split, KeyValue, MemoryKv, SegmentJournal};

type StoredLedger = Ledger<SegmentJournal<Rc<MemoryKv>, Record>>;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect(&path);
    serde_json::from_str(&text).expect("the fixture is JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

fn load() -> (Rc<MemoryKv>, Value) {
    load_fixture("v1-store.json")
}

fn load_fixture(name: &str) -> (Rc<MemoryKv>, Value) {
    let fixture = fixture(name);
    let kv = Rc::new(MemoryKv::new());
    for (key, value) in fixture["store"].as_object().expect("the store") {
        kv.set(key, value.as_str().expect("a stored string"))
            .unwrap();
    }
    (kv, fixture)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn open(kv: &Rc<MemoryKv>, writer: &str) -> StoredLedger {
    let journal = SegmentJournal::open(kv.clone(), writer, now()).expect("the journal opens");
    Ledger::open(journal, writer).expect("the ledger opens")
}

fn raws(l: &StoredLedger) -> Vec<String> {
    l.state()
        .submissions()
        .iter()
        .map(|s| format!("{} {}", s.id, s.raw))
        .collect()
}

/// The first byte of a stored segment's decoded bytes: `[` for format 1.
fn format_of(kv: &MemoryKv, key: &str) -> u8 {
    let text = kv.get(key).unwrap().expect("the segment");
    match unpack(&text, 1 << 24) {
        Ok(bytes) => bytes[0],
        Err(_) => unpack_split(&text, 1 << 24).expect("a packed segment").0[0],
    }
}

/// A fixture's writers commit again (a reload keeps a tab's id): `t-a` a
/// new event, `t-b` the fixture's first text once more. Everything the
/// earlier version stored stays exactly as it was, for a tab still running
/// it. Returns the answer to the resend.
fn commit_again(kv: &Rc<MemoryKv>, fixture: &Value) -> &'static str {
    let before = kv.snapshot();
    let more = r#"{"client_id":"web","metric":"sale","amount":"0.30","timestamp":"2026-12-07"}"#;
    assert_eq!(open(kv, "t-a").submit(more, now()).label(), "Accepted");
    let first = fixture["raws"][0].as_str().expect("a raw text");
    let (_, resent) = first.split_once(' ').expect("an id, then the text");
    let answer = open(kv, "t-b").submit(resent, now()).label();
    let after = kv.snapshot();
    for (key, value) in &before {
        assert_eq!(after.get(key), Some(value), "{key} changed");
    }
    answer
}

/// No submission number is used twice.
fn assert_numbers_unique(l: &StoredLedger) {
    let ids: Vec<String> = l
        .state()
        .submissions()
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "a submission number was used twice"
    );
}

/// Opens the fixture `name` as a new tab and checks that it derives exactly
/// what the version that wrote it derived: `events` events, every status and
/// raw text, a clean report, no trace of the failed commit whose raw text
/// contains `failed`, and nothing in storage changed by reading.
fn opens_exactly_as_written(name: &str, events: usize, failed: &str) -> (Rc<MemoryKv>, Value) {
    let (kv, fixture) = load_fixture(name);
    let before = kv.snapshot();
    let l = open(&kv, "t-new");
    assert!(
        l.journal().report().is_clean(),
        "{:?}",
        l.journal().report().messages()
    );
    let (derived, statuses) = l.state().comparable();
    assert_eq!(derived.len(), events);
    assert_eq!(derived, strings(&fixture["events"]));
    assert_eq!(statuses, strings(&fixture["statuses"]));
    assert_eq!(raws(&l), strings(&fixture["raws"]));
    assert!(
        !raws(&l).iter().any(|r| r.contains(failed)),
        "the failed commit is not counted"
    );
    assert_eq!(kv.snapshot(), before, "reading changed nothing");
    (kv, fixture)
}

#[test]
fn a_version_1_store_derives_exactly_what_version_1_derived() {
    // t-old2's failed commit wrote "k-9".
    opens_exactly_as_written("v1-store.json", 185, "k-9");
}

#[test]
fn new_writes_never_touch_the_keys_an_earlier_version_reads() {
    let (kv, fixture) = load();
    let legacy = |kv: &MemoryKv| -> Vec<(String, String)> {
        kv.snapshot()
            .into_iter()
            .filter(|(k, _)| k.starts_with("tally:v1:w:"))
            .collect()
    };
    let before = legacy(&kv);
    assert_eq!(format_of(&kv, "tally:v1:w:t-old2:s:0"), b'[');

    // A new tab commits, and so does one with the id of an old writer (the
    // browser never reuses an id; this is the harder case), whose open
    // segment of format 1 holds records of a commit that failed.
    let new = r#"{"client_id":"web","metric":"sale","amount":"0.10","timestamp":"2024-04-01"}"#;
    let other = r#"{"client_id":"web","metric":"sale","amount":"0.20","timestamp":"2024-04-01"}"#;
    assert_eq!(open(&kv, "t-new").submit(new, now()).label(), "Accepted");
    assert_eq!(open(&kv, "t-old2").submit(other, now()).label(), "Accepted");
    assert_eq!(format_of(&kv, "tally:v1:d:t-new:s:0"), 4);
    assert_eq!(format_of(&kv, "tally:v1:d:t-old2:s:0"), 4);
    // What an earlier version reads (the w: keys) is exactly as it was, so
    // a tab still running it never meets a segment it cannot read.
    assert_eq!(legacy(&kv), before);

    let fresh = open(&kv, "t-reader");
    assert!(fresh.journal().report().is_clean());
    let (events, _) = fresh.state().comparable();
    let mut expected = strings(&fixture["events"]);
    assert_eq!(events.len(), expected.len() + 2);
    expected.retain(|e| !events.contains(e));
    assert!(expected.is_empty(), "lost: {expected:?}");
    assert!(!raws(&fresh).iter().any(|r| r.contains("k-9")));
    // The reused id numbered on from its earlier submissions.
    assert_numbers_unique(&fresh);
}

#[test]
fn a_version_2_store_derives_exactly_what_version_2_derived() {
    // The commit that failed after its segment write carried "never-9".
    let (kv, fixture) = opens_exactly_as_written("v2-store.json", 126, "never-9");
    let before = kv.snapshot();
    assert!(before.keys().all(|k| k.starts_with("tally:v1:b:")));

    // Both of its writers commit again: their new records go under d:
    // keys, the b: keys stay exactly as they were, and nothing is lost.
    assert_ne!(commit_again(&kv, &fixture), "Accepted");
    let fresh = open(&kv, "t-reader");
    assert!(fresh.journal().report().is_clean());
    let (events, _) = fresh.state().comparable();
    assert_eq!(events.len(), 127);
}

#[test]
fn a_version_3_store_derives_exactly_what_version_3_derived() {
    // The commit that failed after its segment write carried "never-9".
    let (kv, fixture) = opens_exactly_as_written("v3-store.json", 208, "never-9");
    let before = kv.snapshot();
    assert!(before.keys().all(|k| k.starts_with("tally:v1:c:")));
    assert_eq!(format_of(&kv, "tally:v1:c:t-a:s:0"), 3);

    // Both writers commit again: their new records go under d: keys in
    // format 4, the c: keys stay exactly as they were, and nothing is lost.
    assert_eq!(commit_again(&kv, &fixture), "Duplicate");
    assert_eq!(format_of(&kv, "tally:v1:d:t-a:s:0"), 4);
    let fresh = open(&kv, "t-reader");
    assert!(fresh.journal().report().is_clean());
    let (events, statuses) = fresh.state().comparable();
    assert_eq!(events.len(), 209);
    assert_eq!(statuses.len(), strings(&fixture["statuses"]).len() + 2);
    let mut expected = strings(&fixture["events"]);
    expected.retain(|e| !events.contains(e));
    assert!(expected.is_empty(), "lost: {expected:?}");
    // The writers numbered on from their submissions under c: keys.
    assert_numbers_unique(&fresh);
}

#[test]
fn a_backup_of_each_earlier_versions_store_restores_every_event() {
    // A restore checks every event against its submission's text (ids,
    // raw fingerprint); events earlier versions wrote must pass.
    for name in ["v1-store.json", "v2-store.json", "v3-store.json"] {
        let (kv, _) = load_fixture(name);
        let mut old = tally::service::Tally::open(kv, now, "reader").expect("opens");
        let exported = old.export().expect("exports");
        let events = old.ledger.state().events().len();
        let mut fresh =
            tally::service::Tally::open(Rc::new(MemoryKv::new()), now, "fresh").expect("opens");
        let summary = fresh
            .restore(&exported)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            fresh.ledger.state().events().len(),
            events,
            "{name}: {summary}"
        );
        assert!(events > 0, "{name}");
    }
}
