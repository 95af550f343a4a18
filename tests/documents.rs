//! Tally's own JSON documents read and write exactly as the versions before
//! them did: backups, the rules, outbox items, the records of segment
//! format 1 and the refusals that format 4 keeps as JSON.
//!
//! `tests/data/documents.json` holds documents the last version that used
//! serde_json wrote, from a history with custom rules, every verdict and
//! refusal, escapes, and instants with 0, 3, 6 and 9 decimals (its
//! `written_by` names the commit whose `tests/documents.rs` wrote it). Each
//! must read back and be written again to the same text, byte for byte, so
//! a backup a user holds, an outbox item in their browser or a stored
//! segment means the same to this version as to the one that wrote it.

#![cfg(not(target_arch = "wasm32"))]

use tally::ledger::{Event, Record, Verdict};
use tally::pipeline::json::{self, Json};
use tally::pipeline::normalize::Rejection;
use tally::pipeline::rules::Rules;
use tally::service::{Backup, OutboxItem};

fn fixture() -> serde_json::Value {
    let path = format!("{}/tests/data/documents.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("JSON")
}

fn texts<'a>(fixture: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    fixture[name]
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| t.as_str().expect("a text"))
        .collect()
}

fn value(text: &str) -> Json {
    json::parse_with_limit(text, usize::MAX).expect("the fixture's documents are JSON")
}

#[test]
fn every_document_serde_wrote_reads_back_and_is_written_again_byte_for_byte() {
    let fixture = fixture();
    let records: Vec<Record> = texts(&fixture, "records")
        .into_iter()
        .map(|text| {
            let record = Record::from_json(&value(text)).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(record.to_json().to_compact(), text);
            record
        })
        .collect();
    for text in texts(&fixture, "rejections") {
        let rejection =
            Rejection::from_json(&value(text)).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(rejection.to_json().to_compact(), text);
    }
    let outbox: Vec<OutboxItem> = texts(&fixture, "outbox")
        .into_iter()
        .map(|text| {
            let item =
                OutboxItem::from_json(&value(text)).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(item.to_json().to_compact(), text);
            item
        })
        .collect();
    let rules: Vec<Rules> = texts(&fixture, "rules")
        .into_iter()
        .map(|text| {
            let rules = Rules::from_json(text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(rules.to_json(), text);
            rules
        })
        .collect();
    let text = fixture["backup"].as_str().expect("the backup");
    let backup = Backup::from_json(&value(text)).expect("the backup reads");
    assert_eq!(backup.to_json().to_pretty(), text);
    assert_eq!(backup.records, records, "the backup holds the same records");
    assert_eq!(backup.outbox, outbox);
    assert_eq!(backup.rules, rules[0]);
    assert_eq!(rules[1], Rules::default());
}

#[test]
fn what_the_documents_hold_is_what_was_sent() {
    let fixture = fixture();
    let backup = Backup::from_json(&value(fixture["backup"].as_str().unwrap())).unwrap();
    let events: Vec<&Event> = backup
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Settled {
                verdict: Verdict::Accepted { event },
                ..
            } => Some(&**event),
            _ => None,
        })
        .collect();
    let described: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {} {:?} {}",
                e.client_id,
                e.metric,
                e.amount,
                tally::pipeline::timestamp::canonical(&e.timestamp),
                e.idempotency_key,
                e.submission
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            "acme sales 250.5 2024-03-03T10:00:00Z None w1#0",
            "acme clicks 1000 2024-03-03T10:00:00Z Some(\"k-1\") w1#4",
        ]
    );
    let received: Vec<(String, String)> = backup
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Received { id, at, raw, .. } => Some((
                id.to_string(),
                format!("{} {raw}", tally::pipeline::timestamp::canonical(at)),
            )),
            Record::Settled { .. } => None,
        })
        .collect();
    assert_eq!(
        received.len(),
        13,
        "12 lines and the one that failed mid-request"
    );
    assert!(
        received[3]
            .1
            .ends_with("\"note\":\"tab\\tnew\\nline \\u0001 \\u2028 😀\"}"),
        "{:?}",
        received[3]
    );
    let instants: Vec<&str> = received
        .iter()
        .map(|(_, r)| &r[..r.find(' ').unwrap()])
        .collect();
    assert!(instants.iter().any(|i| i.len() == 20), "{instants:?}");
    assert!(
        instants.iter().any(|i| i.ends_with(".422Z")),
        "{instants:?}"
    );
    assert!(
        instants.iter().any(|i| i.ends_with(".123456Z")),
        "{instants:?}"
    );
    assert!(
        instants.iter().any(|i| i.ends_with(".987654321Z")),
        "{instants:?}"
    );
}

#[test]
fn a_damaged_document_is_refused_with_the_member_that_is_wrong() {
    let fixture = fixture();
    let text = fixture["backup"].as_str().unwrap();
    let refusal = |edited: String| {
        Backup::from_json(&value(&edited))
            .expect_err("refused")
            .to_string()
    };
    let first_of = texts(&fixture, "records")
        .iter()
        .find_map(|r| {
            r.split("\"of\":\"")
                .nth(1)
                .map(|rest| rest[..64].to_string())
        })
        .expect("a duplicate");
    assert_eq!(
        refusal(text.replacen(&format!("\"of\": \"{first_of}\""), "\"of\": \"abc\"", 1)),
        "records[3].verdict.of: 'abc' is not a SHA-256 hex digest"
    );
    assert_eq!(
        refusal(text.replacen("\"amount\": \"250.5\"", "\"amount\": 250.5", 1)),
        "records[1].verdict.event.amount: the number 250.5 is here, where a text in quotes belongs"
    );
    assert_eq!(
        refusal(text.replacen("\"at\": \"2026-12-07T04:00:02.123456Z\"", "\"at\": \"2026-12-07 04:00:02.123456\"", 1)),
        "records[0].at: '2026-12-07 04:00:02.123456' is not an instant as Tally writes them (RFC 3339 in UTC, such as 2024-03-03T10:00:00Z)"
    );
    assert_eq!(
        refusal(text.replacen("\"format\"", "\"formats\"", 1)),
        "unknown name 'formats'; the names allowed here are 'format', 'version', 'exported_at', 'records', 'rules', 'outbox'"
    );
    assert_eq!(
        refusal(text.replacen(
            "\"record\": \"settled\",",
            "\"record\": \"settled\", \"record\": \"received\",",
            1
        )),
        "records[1]: 'record' is given twice"
    );
    assert_eq!(
        refusal(text.replacen("\"verdict\": \"rejected\"", "\"verdict\": \"refused\"", 1)),
        "records[7].verdict.verdict: 'refused' is not a verdict; the verdicts are 'accepted', 'duplicate', 'rejected', 'conflict'"
    );
}

#[test]
fn documents_of_earlier_versions_read_with_their_defaults_and_nothing_more() {
    let fixture = fixture();
    let of = "5de4e91f4be2a9d3b7d93d92ba00933a0486618c492bb0a430c0999e7bae6483";
    // Records from before the Lamport clock (no `clock`: 0) and before
    // candidates were kept, written back as they were.
    let older = [
        r#"{"record":"received","id":{"writer":"t1","seq":0},"at":"2026-11-20T10:00:00Z","raw":"{}"}"#.to_string(),
        format!(r#"{{"record":"settled","id":{{"writer":"t1","seq":1}},"at":"2026-11-20T10:00:01Z","verdict":{{"verdict":"duplicate","of":"{of}","exact_resend":false}}}}"#),
        format!(r#"{{"record":"settled","id":{{"writer":"t1","seq":2}},"at":"2026-11-20T10:00:02Z","verdict":{{"verdict":"conflict","key":"k","existing":"{of}"}}}}"#),
    ];
    for text in &older {
        let record = Record::from_json(&value(text)).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(record.order_key().0, 0, "{text}");
        if let Record::Settled { verdict, .. } = &record {
            assert!(
                matches!(
                    verdict,
                    Verdict::Duplicate {
                        candidate: None,
                        ..
                    } | Verdict::Conflict {
                        candidate: None,
                        ..
                    }
                ),
                "{verdict:?}"
            );
        }
        assert_eq!(record.to_json().to_compact(), *text);
    }
    // A leap second, as versions that parsed timestamps with chrono kept
    // one (an outside review found such a record quarantined).
    let accepted = texts(&fixture, "records")[1];
    let leap = accepted.replacen("2024-03-03T10:00:00Z", "2016-12-31T23:59:60Z", 1);
    assert_ne!(leap, accepted);
    let record = Record::from_json(&value(&leap)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(record.to_json().to_compact(), leap);
    // A backup from before the outbox was exported has none.
    let Json::Object(members) = value(fixture["backup"].as_str().unwrap()) else {
        panic!("an object")
    };
    let without: Vec<(String, Json)> = members.into_iter().filter(|(k, _)| k != "outbox").collect();
    let backup = Backup::from_json(&Json::Object(without)).expect("reads");
    assert!(backup.outbox.is_empty());
    // An outbox item holds its six members and nothing else.
    let item = texts(&fixture, "outbox")[0].replacen('{', r#"{"extra":1,"#, 1);
    assert_eq!(
        OutboxItem::from_json(&value(&item)).unwrap_err().to_string(),
        "unknown name 'extra'; the names allowed here are 'id', 'raw', 'first_failed_at', 'last_failed_at', 'attempts', 'last_error'"
    );
}
