//! Backup: export everything to one JSON document, and restore from one.
//!
//! Contract: an export holds every journal record (the source of truth), the
//! rules and the outbox, in readable JSON. [`parse`] validates a file before
//! anything is written (format name, version, every record's fields), and
//! [`missing_records`] selects only what the ledger does not already have,
//! so restoring the same file twice changes nothing the second time.

use crate::ledger::{Event, LedgerState, Record, Status, SubmissionId, Verdict};
use crate::pipeline::fingerprint;
use crate::pipeline::json::document::{self, object, string, DocError, Fields};
use crate::pipeline::json::{self, Json};
use crate::pipeline::normalize::Normalized;
use crate::pipeline::rules::Rules;
use crate::pipeline::timestamp;
use crate::service::OutboxItem;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::fmt;

const FORMAT: &str = "tally-backup";
const VERSION: u32 = 1;

/// The whole exported state.
#[derive(Debug, Clone, PartialEq)]
pub struct Backup {
    /// Always `tally-backup`, so other JSON files are refused.
    pub format: String,
    /// The backup format version.
    pub version: u32,
    /// When the backup was made.
    pub exported_at: DateTime<Utc>,
    /// Every journal record, in replay order: the source of truth.
    pub records: Vec<Record>,
    /// The mapping rules in force when exported.
    pub rules: Rules,
    /// Failed submissions still waiting for a retry.
    pub outbox: Vec<OutboxItem>,
}

/// Why a file is not a usable backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupError(pub String);

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Not a usable Tally backup, so nothing was restored: {}",
            self.0
        )
    }
}

impl std::error::Error for BackupError {}

/// Writes a backup document.
pub fn export(
    records: Vec<Record>,
    rules: &Rules,
    outbox: Vec<OutboxItem>,
    now: DateTime<Utc>,
) -> String {
    let backup = Backup {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: now,
        records,
        rules: rules.clone(),
        outbox,
    };
    backup.to_json().to_pretty()
}

impl Backup {
    const MEMBERS: [&'static str; 6] = [
        "format",
        "version",
        "exported_at",
        "records",
        "rules",
        "outbox",
    ];

    /// The document: its records and outbox items in their JSON forms, the
    /// rules as the rules page writes them.
    pub fn to_json(&self) -> Json {
        object([
            ("format", string(self.format.clone())),
            ("version", document::number(self.version)),
            (
                "exported_at",
                string(timestamp::canonical(&self.exported_at)),
            ),
            (
                "records",
                Json::Array(self.records.iter().map(Record::to_json).collect()),
            ),
            ("rules", self.rules.to_value()),
            (
                "outbox",
                Json::Array(self.outbox.iter().map(OutboxItem::to_json).collect()),
            ),
        ])
    }

    /// Reads what [`Backup::to_json`] writes; checks beyond the types are
    /// [`parse`]'s.
    pub fn from_json(value: &Json) -> Result<Backup, DocError> {
        let f = Fields::of(value)?.only(&Backup::MEMBERS)?;
        Ok(Backup {
            format: f.text("format")?.to_string(),
            version: f.whole("version")?,
            exported_at: f.read("exported_at", timestamp::from_json)?,
            records: f.read("records", |v| document::each(v, Record::from_json))?,
            rules: f.read("rules", Rules::from_value)?,
            outbox: f
                .read_optional("outbox", |v| document::each(v, OutboxItem::from_json))?
                .unwrap_or_default(),
        })
    }
}

/// Reads and validates a backup document.
pub fn parse(text: &str) -> Result<Backup, BackupError> {
    let value = json::parse_with_limit(text, usize::MAX).map_err(|e| {
        BackupError(format!(
            "line {}, column {}: {}",
            e.line, e.column, e.message
        ))
    })?;
    let backup = Backup::from_json(&value).map_err(|e| BackupError(e.to_string()))?;
    if backup.format != FORMAT {
        return Err(BackupError(format!(
            "the format is '{}', expected '{FORMAT}'",
            backup.format
        )));
    }
    if backup.version != VERSION {
        return Err(BackupError(format!(
            "version {} is not supported; this build reads version {VERSION}",
            backup.version
        )));
    }
    backup
        .rules
        .validate()
        .map_err(|e| BackupError(format!("rules: {e}")))?;
    // A settlement must follow its submission, or replay would drop it;
    // and the event it carries must be the one its fields and its
    // submission's text make, or a hand-edited amount or id would be
    // counted as it reads (found by an outside review).
    let mut received: HashMap<&SubmissionId, &str> = HashMap::new();
    for (i, r) in backup.records.iter().enumerate() {
        match r {
            Record::Received { id, raw, .. } => {
                received.insert(id, raw);
            }
            Record::Settled { id, verdict, .. } => {
                let raw = received.get(id).ok_or_else(|| {
                    BackupError(format!(
                        "records[{i}] settles submission {id}, which no record before it receives"
                    ))
                })?;
                let event = match verdict {
                    Verdict::Accepted { event } => Some(event),
                    Verdict::Duplicate { candidate, .. } | Verdict::Conflict { candidate, .. } => {
                        candidate.as_ref()
                    }
                    Verdict::Rejected { .. } => None,
                };
                if let Some(event) = event {
                    check_event(event, id, raw)
                        .map_err(|why| BackupError(format!("records[{i}]: {why}")))?;
                }
            }
        }
    }
    Ok(backup)
}

/// Why `event`, settling submission `id` whose text is `raw`, is not the
/// event that submission makes: what the pipeline derives from the text
/// (ids, fingerprints) must agree with what the record says.
fn check_event(event: &Event, id: &SubmissionId, raw: &str) -> Result<(), String> {
    if event.client_id.trim().is_empty() || event.metric.trim().is_empty() {
        return Err("its event has an empty client or metric, which Tally never counts".into());
    }
    if event.submission != *id {
        return Err(format!(
            "its event names submission {}, not {id}, the one it settles",
            event.submission
        ));
    }
    let fields = Normalized {
        client_id: event.client_id.to_string(),
        metric: event.metric.to_string(),
        amount: event.amount,
        timestamp: event.timestamp,
        idempotency_key: event.idempotency_key.clone(),
        provenance: Vec::new(),
    };
    if fingerprint::ids(&fields) != (event.event_id.clone(), event.content_id.clone()) {
        return Err(
            "its event's ids do not match its client, metric, amount, timestamp and key: was the file edited?"
                .into(),
        );
    }
    let parsed = json::parse(raw).ok();
    if fingerprint::raw_fingerprint(raw, parsed.as_ref()) != event.raw_fingerprint {
        return Err(format!(
            "its event's raw fingerprint does not match the text of submission {id}: was the file edited?"
        ));
    }
    Ok(())
}

/// The backup's records that `state` does not have yet, in order.
pub fn missing_records(state: &LedgerState, backup: &Backup) -> Vec<Record> {
    let mut added: HashSet<SubmissionId> = HashSet::new();
    let mut settled: HashSet<SubmissionId> = HashSet::new();
    let mut out = Vec::new();
    for r in &backup.records {
        match r {
            Record::Received { id, .. } => {
                if state.submission(id).is_none() && added.insert(id.clone()) {
                    out.push(r.clone());
                }
            }
            Record::Settled { id, .. } => {
                let open = match state.submission(id) {
                    Some(s) => s.status == Status::Interrupted,
                    None => added.contains(id),
                };
                if open && settled.insert(id.clone()) {
                    out.push(r.clone());
                }
            }
        }
    }
    out
}

/// A summary for the user after a restore: how many submissions came back
/// with what was decided for them, whether the rules changed, how many
/// failed submissions wait again. In the user's words: the journal records
/// that hold them are the app's business (a review found "44 submissions
/// (88 journal records), the rules" jargon, and not a sentence).
pub fn summary(added: &[Record], rules: bool, outbox: usize) -> String {
    let count = crate::report::display::count;
    let plural = crate::report::display::plural;
    let mut parts = Vec::new();
    if !added.is_empty() {
        let submissions = added
            .iter()
            .filter(|r| matches!(r, Record::Received { .. }))
            .count();
        parts.push(match submissions {
            // Only outcomes: of submissions this browser already had.
            0 => "the outcomes of submissions already here".to_string(),
            n => format!(
                "{} {} with {}",
                count(n as u64),
                plural(n, "submission", "submissions"),
                plural(n, "its outcome", "their outcomes")
            ),
        });
    }
    if rules {
        parts.push("the rules".to_string());
    }
    if outbox > 0 {
        parts.push(format!(
            "{} failed {} to retry",
            count(outbox as u64),
            plural(outbox, "submission", "submissions")
        ));
    }
    match parts.len() {
        0 => "Nothing to restore: everything in the file is already here.".to_string(),
        _ => {
            let last = parts.pop().unwrap_or_default();
            match parts.is_empty() {
                true => format!("Restored {last}."),
                false => format!("Restored {} and {last}.", parts.join(", ")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Ledger;
    use crate::ledger::{FaultPlan, FaultPoint};
    use crate::test_fixtures::{now, SEED_A as A, SEED_B as B};

    fn exported() -> (
        String,
        Ledger<crate::store::MemoryJournal<crate::ledger::Record>>,
    ) {
        let mut l = Ledger::in_memory("tab1");
        l.submit(A, now());
        l.submit(B, now());
        l.submit("{nope", now());
        l.faults = FaultPlan::always(FaultPoint::MidRequest);
        l.submit(
            r#"{"client":"c","metric":"m","amount":1,"ts":"2024-01-01"}"#,
            now(),
        );
        let text = export(
            l.journal().records.clone(),
            &Rules::default(),
            Vec::new(),
            now(),
        );
        (text, l)
    }

    #[test]
    fn an_event_edited_in_the_file_is_refused_with_its_record() {
        // An edited amount, id or client was restored and counted as it
        // read: two rows with one event id, a total off by the edit (an
        // outside review).
        let (text, _) = exported();
        let backup = parse(&text).unwrap();
        let Some(Record::Settled {
            verdict: Verdict::Accepted { event },
            ..
        }) = backup.records.get(1)
        else {
            panic!("the second record accepts an event")
        };
        let amount = format!("\"amount\": \"{}\"", event.amount);
        let cases = [
            (
                text.replacen(&amount, "\"amount\": \"1300\"", 1),
                "ids do not match",
            ),
            (
                text.replacen(&event.content_id.hex(), &"0".repeat(64), 1),
                "ids do not match",
            ),
            (
                text.replacen(&event.raw_fingerprint.hex(), &"0".repeat(64), 1),
                "raw fingerprint does not match the text of submission tab1#0",
            ),
            (
                text.replacen(
                    &format!("\"client_id\": \"{}\"", event.client_id),
                    "\"client_id\": \"\"",
                    1,
                ),
                "empty client or metric",
            ),
        ];
        for (edited, why) in cases {
            assert_ne!(edited, text, "{why}: the edit applies");
            let e = parse(&edited).unwrap_err().to_string();
            assert!(e.contains("records[1]: ") && e.contains(why), "{e}");
        }
    }

    #[test]
    fn restore_into_an_empty_ledger_then_again_changes_nothing() {
        let (text, original) = exported();
        let backup = parse(&text).unwrap();
        let mut restored = Ledger::in_memory("tab2");
        let missing = missing_records(restored.state(), &backup);
        restored.import(&missing).unwrap();
        assert_eq!(restored.state().events(), original.state().events());
        assert_eq!(
            restored.state().submissions(),
            original.state().submissions()
        );
        let again = missing_records(restored.state(), &backup);
        assert!(again.is_empty(), "restoring twice adds nothing");
        assert!(summary(&[], false, 0).contains("Nothing to restore"));
        let records = missing_records(&LedgerState::default(), &backup);
        assert_eq!(
            summary(&records, false, 0),
            format!(
                "Restored {} submissions with their outcomes.",
                original.state().submissions().len(),
            )
        );
        assert_eq!(
            summary(&records[..1], true, 2_000),
            "Restored 1 submission with its outcome, the rules and 2,000 failed submissions to retry."
        );
    }

    #[test]
    fn restore_merges_with_existing_data() {
        let (text, _) = exported();
        let mut other = Ledger::in_memory("tab3");
        other.submit(A, now()); // the same event, submitted elsewhere
        let backup = parse(&text).unwrap();
        let missing = missing_records(other.state(), &backup);
        other.import(&missing).unwrap();
        assert_eq!(other.state().events().len(), 2, "A counted once, B added");
    }

    #[test]
    fn invalid_files_are_refused_before_anything_is_written() {
        let (text, _) = exported();
        assert_eq!(
            parse("{}").unwrap_err().to_string(),
            "Not a usable Tally backup, so nothing was restored: 'format' is missing"
        );
        assert!(parse(&text.replace("tally-backup", "other"))
            .unwrap_err()
            .0
            .contains("format"));
        assert!(parse(&text.replacen("\"version\": 1", "\"version\": 7", 1))
            .unwrap_err()
            .0
            .contains("version 7"));
        let bad_amount = text.replacen("\"amount\": \"1200\"", "\"amount\": \"12,00\"", 1);
        assert!(parse(&bad_amount).is_err());
        let backup = parse(&text).unwrap();
        let mut reordered = backup.clone();
        reordered.records.swap(0, 1);
        let reordered_text = reordered.to_json().to_compact();
        assert!(parse(&reordered_text)
            .unwrap_err()
            .0
            .contains("which no record before it receives"));
    }
}
