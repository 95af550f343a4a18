//! Tally's own JSON documents read and write exactly as the versions before
//! them did: backups, the rules, outbox items, the records of segment
//! format 1 and the refusals that format 4 keeps as JSON.
//!
//! `tests/data/documents.json` holds documents written by an earlier
//! version through serde_json (its `written_by` says which). Each must read
//! back and be written again to the same text, byte for byte, so a backup a
//! user holds, an outbox item in their browser or a stored segment means
//! the same to this version as to the one that wrote it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::cell::Cell;
use std::rc::Rc;
use tally::ledger::{FaultPlan, FaultPoint, Record, Verdict};
use tally::service::Tally;
use tally::store::MemoryKv;

/// A history with every kind of record and document: custom rules, names
/// and payloads that need escapes, every verdict and refusal, a failure
/// that waits in the outbox, and instants with 0, 3, 6 and 9 decimals.
fn history() -> Tally<Rc<MemoryKv>, impl Fn() -> DateTime<Utc>> {
    let kv = Rc::new(MemoryKv::new());
    let tick = Rc::new(Cell::new(0i64));
    let start = Utc.with_ymd_and_hms(2026, 12, 7, 4, 0, 0).unwrap();
    let fractions = [0i64, 422_000_000, 123_456_000, 987_654_321];
    let clock = move || {
        let n = tick.get();
        tick.set(n + 1);
        start + Duration::seconds(n) + Duration::nanoseconds(fractions[n as usize % 4])
    };
    let mut tally = Tally::open(kv, clock, "w1").expect("opens");
    let rules = tally::pipeline::rules::Rules::default().to_json();
    let custom = rules.replacen(
        "\"clients\": {}",
        r#""clients": {
    "Zoë \"north\"": {
      "aliases": { "amount": ["betrag"] },
      "defaults": { "metric": "sale", "amount": "0" },
      "date_order": "day_first"
    },
    "acme": { "date_order": "month_first" }
  }"#,
        1,
    );
    assert_ne!(custom, rules, "the default rules have no clients");
    tally.save_rules(&custom).expect("the rules save");
    let lines = [
        r#"{"client_id":"acme","metric":"sales","amount":"250.50","timestamp":"2024-03-03T10:00:00Z"}"#,
        r#"{"client_id":"acme","metric":"sales","amount":"250.50","timestamp":"2024-03-03T10:00:00Z"}"#,
        r#"{"payload":{"clientId":"acme","metric":"sales","value":250.5,"ts":"03/03/2024 10:00"}}"#,
        "{\"client_id\":\"Zoë \\\"north\\\"\",\"betrag\":\"-1,5\",\"timestamp\":\"2024-03-03\",\"note\":\"tab\\tnew\\nline \\u0001 \\u2028 😀\"}",
        r#"{"client_id":"acme","metric":"clicks","amount":1e3,"timestamp":1709460000,"idempotency_key":"k-1"}"#,
        r#"{"client_id":"acme","metric":"clicks","amount":1001,"timestamp":1709460000,"idempotency_key":"k-1"}"#,
        r#"{"client_id":"acme","metric":"clicks","amount":"1000","timestamp":1709460000,"idempotency_key":"k-1"}"#,
        r#"{"client_id":"acme","metric":"x","amount":"NaN","timestamp":"soon"}"#,
        r#"{"metric":"x"}"#,
        r#"[1,2]"#,
        r#"{"client_id":"acme", oops}"#,
        "{\"client_id\":\"big\",\"metric\":\"m\",\"amount\":\"999999999999999999999.999999999\",\"timestamp\":\"2024-02-29T23:59:59.5+05:30\"}",
    ];
    for line in lines {
        tally.submit(line);
    }
    tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
    tally.submit(
        r#"{"client_id":"acme","metric":"late","amount":"2","timestamp":"2024-03-04T00:00:00Z"}"#,
    );
    tally.ledger.faults = FaultPlan::always(FaultPoint::BeforeRaw);
    tally.submit(
        r#"{"client_id":"acme","metric":"later","amount":"3","timestamp":"2024-03-05T00:00:00Z"}"#,
    );
    tally.ledger.faults = FaultPlan::none();
    tally
}

#[test]
#[ignore = "writes tests/data/documents.json with the serde-based version"]
fn write_documents() {
    let mut tally = history();
    let backup_text = tally.export().expect("exports");
    let backup: tally::service::Backup = serde_json::from_str(&backup_text).expect("reads");
    let verdicts: Vec<&Verdict> = backup
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Settled { verdict, .. } => Some(verdict),
            Record::Received { .. } => None,
        })
        .collect();
    for kind in ["Accepted", "Duplicate", "Rejected", "Conflict"] {
        assert!(
            verdicts.iter().any(|v| format!("{v:?}").starts_with(kind)),
            "the history has a {kind} verdict"
        );
    }
    let rejections: Vec<String> = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Rejected { rejection } => Some(serde_json::to_string(rejection).unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(rejections.len(), 6, "{rejections:#?}");
    assert_eq!(backup.outbox.len(), 2, "both failures wait in the outbox");
    let document = serde_json::json!({
        "written_by": "tests/documents.rs's write_documents at commit 2de9b26 (serde_json 1.0.154), `cargo test --test documents -- --ignored write_documents`",
        "backup": backup_text,
        "records": backup.records.iter().map(|r| serde_json::to_string(r).unwrap()).collect::<Vec<_>>(),
        "rejections": rejections,
        "outbox": backup.outbox.iter().map(|i| serde_json::to_string(i).unwrap()).collect::<Vec<_>>(),
        "rules": [backup.rules.to_json(), tally::pipeline::rules::Rules::default().to_json()],
    });
    let path = format!("{}/tests/data/documents.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&document).unwrap() + "\n",
    )
    .unwrap();
}
