//! The durable journal: the ledger's records in key-value storage.
//!
//! Contract:
//! - **Layout.** Everything lives under [`PREFIX`] (`tally:v1:`); nothing
//!   outside `tally:` is ever read or written, because a GitHub Pages origin
//!   is shared by all of a user's sites. Each writer (browser tab) owns
//!   `b:<writer>:s:<i>` segments and one `b:<writer>:head`, and writes no other
//!   writer's keys, so tabs never overwrite each other.
//! - **Cost.** A commit writes two keys: the open segment (at most
//!   [`SEGMENT_LIMIT`] bytes of records before it is closed) and the head.
//!   The work per commit does not grow with the history.
//! - **Atomicity.** The head's record count is the commit point. A crash or
//!   error after the segment write but before the head write leaves extra
//!   records that the head does not count, so a reload sees the state before
//!   the commit; after the head write, the state after. Never a mix.
//! - **Formats.** A segment holds its records' binary forms
//!   ([`Entry::encode`], format 2) under `b:` keys. Earlier versions wrote
//!   format 1 (a JSON array) under `w:` keys: those are read as they are and
//!   never written, so a tab still running an earlier version, which reads
//!   only `w:` keys, never meets a segment it cannot read. Either format is
//!   recognised by its first byte wherever it is found.
//! - **Untrusted input.** Everything read back is validated: the segment
//!   codec's checksum, the format, every record's fields. Unreadable keys are
//!   moved aside under `tally:v1:quarantine:…` (or, if that is impossible,
//!   left exactly where they are) and reported in a [`LoadReport`]; nothing
//!   is silently reset. Keys of another format version are left untouched.
//! - **Closed segments hold only committed records.** A failed commit can
//!   leave records the head never counted in the open segment; the next
//!   commit overwrites them, and if that commit opens a new segment, the old
//!   one is first rewritten with exactly its committed records. So a failed
//!   commit never comes back when its segment closes.
//! - **Several writers.** Records of all writers are merged in a
//!   deterministic order (by Lamport clock, then time, then writer, keeping
//!   each writer's own order), so a tab that had seen another's commit orders
//!   after it. [`Journal::refresh`] hands the ledger only what other writers
//!   added, or the whole merge when their records order among those it has.

use super::binary::Reader;
use super::error::StoreError;
use super::keys::{head_key, segment_key, stem, FAMILY, PREFIX, READ_ONLY, WRITTEN};
use super::kv::KeyValue;
use super::log::{Entry, Journal, Refresh};
use super::packing;
use super::quarantine::{quarantine, LoadReport};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// The size of records, in their binary form, after which a segment is closed.
pub const SEGMENT_LIMIT: usize = 32 * 1024;
/// The largest decoded segment accepted; a bound against damaged data.
const MAX_SEGMENT_BYTES: usize = 64 * 1024 * 1024;

/// A writer's head: its open segment and how many records of it are
/// committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    open: u64,
    count: usize,
}

/// What is known of one writer's committed records.
#[derive(Debug, Clone)]
struct WriterData<R> {
    head: Option<Head>,
    /// Records of closed segments, in order.
    closed: Vec<R>,
    /// Committed records of the open segment, with their binary form, so a
    /// commit re-encodes the segment without re-serializing it.
    open: Vec<(R, Vec<u8>)>,
    open_bytes: usize,
    /// How many of this writer's records the ledger has been handed.
    delivered: usize,
}

impl<R> Default for WriterData<R> {
    fn default() -> Self {
        WriterData {
            head: None,
            closed: Vec::new(),
            open: Vec::new(),
            open_bytes: 0,
            delivered: 0,
        }
    }
}

impl<R> WriterData<R> {
    fn len(&self) -> usize {
        self.closed.len() + self.open.len()
    }

    fn record(&self, i: usize) -> Option<&R> {
        match i.checked_sub(self.closed.len()) {
            None => self.closed.get(i),
            Some(j) => self.open.get(j).map(|(r, _)| r),
        }
    }
}

/// A record's place in the merge: (Lamport clock, time, writer).
type MergeKey = (u64, DateTime<Utc>, String);

fn merge_key<R: Entry>(record: &R, writer: &str) -> MergeKey {
    let (clock, at) = record.order_key();
    (clock, at, writer.to_string())
}

/// A writer id is short and plain so keys stay small and unambiguous.
pub fn valid_writer(writer: &str) -> bool {
    (1..=40).contains(&writer.len())
        && writer
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The journal over a key-value store.
pub struct SegmentJournal<K: KeyValue, R> {
    kv: K,
    /// The writer id (the tab's).
    writer: String,
    /// Its stem ([`stem`]): the keys it writes, and its place in the merge.
    /// Every writer below is known by its stem, so an id that also has data
    /// of an earlier version is two writers, each with its own order.
    stem: String,
    writers: BTreeMap<String, WriterData<R>>,
    report: LoadReport,
    now: DateTime<Utc>,
    /// A write of this writer failed: its open segment may hold records the
    /// head does not count, which must not survive the segment's closing.
    dirty: bool,
    /// A writer's head left storage since the last scan (another tab
    /// cleared the data): what was handed out must be derived again.
    vanished: bool,
    /// The largest merge key handed to the ledger so far.
    last: Option<MergeKey>,
    entries: PhantomData<R>,
}

impl<K: KeyValue, R: Entry> SegmentJournal<K, R> {
    /// Opens the journal as `writer`, reading and validating everything
    /// stored. `now` names quarantine keys.
    pub fn open(
        kv: K,
        writer: &str,
        now: DateTime<Utc>,
    ) -> Result<SegmentJournal<K, R>, StoreError> {
        if !valid_writer(writer) {
            return Err(StoreError::Unavailable {
                message: format!("'{writer}' is not a valid writer id"),
            });
        }
        let mut journal = SegmentJournal {
            kv,
            writer: writer.to_string(),
            stem: stem(writer),
            writers: BTreeMap::new(),
            report: LoadReport::default(),
            now,
            dirty: false,
            vanished: false,
            last: None,
            entries: PhantomData,
        };
        journal.scan()?;
        // Reopened as a writer that already has data (an id used again): a
        // write of its last session may have failed after its segment was
        // written, and only the in-memory flag knew. Assume it did, so the
        // first segment close rewrites the segment with its committed
        // records (one extra write, once).
        journal.dirty = journal.writers.contains_key(&journal.stem);
        Ok(journal)
    }

    /// What loading found; clean when nothing needs attention.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// This journal's writer id.
    pub fn writer(&self) -> &str {
        &self.writer
    }

    /// The underlying store.
    pub fn kv(&self) -> &K {
        &self.kv
    }

    /// Finds every writer and (re)loads those whose head changed.
    fn scan(&mut self) -> Result<(), StoreError> {
        let mut report = LoadReport::default();
        let mut heads = Vec::new();
        for key in self.kv.keys()? {
            if !key.starts_with(FAMILY) {
                continue; // another site's data: never touched
            }
            let Some(rest) = key.strip_prefix(PREFIX) else {
                if !self.report.other_versions.contains(&key) {
                    report.other_versions.push(key);
                }
                continue;
            };
            let Some(stem) = rest.strip_suffix(":head") else {
                continue;
            };
            let name = stem
                .strip_prefix(WRITTEN)
                .or_else(|| stem.strip_prefix(READ_ONLY));
            if name.is_some_and(valid_writer) {
                heads.push(stem.to_string());
            }
        }
        // A writer whose head is gone was cleared (by another tab's Clear,
        // or set aside): forget it, our own included, exactly as a reload
        // would, so a stale tab neither shows nor rewrites cleared records.
        let gone: Vec<String> = self
            .writers
            .keys()
            .filter(|w| !heads.contains(w))
            .cloned()
            .collect();
        for writer in gone {
            self.writers.remove(&writer);
            if writer == self.stem {
                self.dirty = false;
            }
            self.vanished = true;
        }
        for writer in heads {
            if writer == self.stem && self.writers.contains_key(&writer) {
                continue; // our own data is known exactly in memory
            }
            let key = head_key(&writer);
            let Some(text) = self.kv.get(&key)? else {
                continue;
            };
            let head = match serde_json::from_str::<Head>(&text) {
                Ok(h) => h,
                Err(e) => {
                    self.set_aside(&key, &text, &format!("bad head: {e}"), &mut report)?;
                    continue;
                }
            };
            let known = self.writers.get(&writer).and_then(|d| d.head);
            if known == Some(head) {
                continue;
            }
            let data = self.load_writer(&writer, head, &mut report)?;
            self.writers.insert(writer, data);
        }
        self.report.merge(report);
        Ok(())
    }

    /// Loads one writer's segments up to its head, reusing closed segments
    /// already loaded (they never change).
    fn load_writer(
        &mut self,
        writer: &str,
        head: Head,
        report: &mut LoadReport,
    ) -> Result<WriterData<R>, StoreError> {
        let previous = self.writers.remove(writer).unwrap_or_default();
        let first = match previous.head {
            Some(old) if old.open <= head.open => old.open,
            _ => 0,
        };
        let mut data = WriterData {
            head: Some(head),
            closed: if first == 0 {
                Vec::new()
            } else {
                previous.closed
            },
            delivered: previous.delivered,
            ..WriterData::default()
        };
        for index in first..=head.open {
            let key = segment_key(writer, index);
            let records = match self.kv.get(&key)? {
                None => {
                    report.missing.push(key);
                    continue;
                }
                Some(text) => match decode_segment(&text) {
                    Ok(records) => records,
                    Err(why) => {
                        self.set_aside(&key, &text, &why, report)?;
                        continue;
                    }
                },
            };
            if index < head.open {
                data.closed.extend(records);
            } else if records.len() < head.count {
                let why = format!(
                    "holds {} records, its head counts {}",
                    records.len(),
                    head.count
                );
                self.set_aside(&key, &encode_segment_text(&records), &why, report)?;
            } else {
                // Records beyond the head's count were never committed.
                for r in records.into_iter().take(head.count) {
                    let bytes = binary_form(&r);
                    data.open_bytes += bytes.len();
                    data.open.push((r, bytes));
                }
            }
        }
        Ok(data)
    }

    fn set_aside(
        &mut self,
        key: &str,
        text: &str,
        why: &str,
        report: &mut LoadReport,
    ) -> Result<(), StoreError> {
        quarantine(&self.kv, key, text, why, self.now, report)
    }

    /// Every writer's records, merged deterministically.
    fn merged(&self) -> Vec<R> {
        merge(
            self.writers
                .values()
                .map(|d| (0..d.len()).filter_map(|i| d.record(i)).collect())
                .collect(),
        )
    }
}

/// Merges writers' record lists (in writer-id order) into one: repeatedly
/// the earliest next record by (Lamport clock, time), ties to the first
/// writer. Each writer's own order is kept, whatever its clocks did.
fn merge<R: Entry>(lists: Vec<Vec<&R>>) -> Vec<R> {
    let mut positions = vec![0usize; lists.len()];
    let total = lists.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    for _ in 0..total {
        let next = (0..lists.len())
            .filter(|&i| positions[i] < lists[i].len())
            .min_by_key(|&i| lists[i][positions[i]].order_key());
        let Some(i) = next else { break };
        out.push(lists[i][positions[i]].clone());
        positions[i] += 1;
    }
    out
}

/// The first byte of a segment of format 2: its records' binary forms, one
/// after another. A segment of format 1 is a JSON array, so it starts with
/// `[`; both are read, only format 2 is written.
const FORMAT_BINARY: u8 = 2;

fn binary_form<R: Entry>(record: &R) -> Vec<u8> {
    let mut out = Vec::new();
    record.encode(&mut out);
    out
}

/// A segment of exactly `records`, in their binary forms, packed for storage.
fn encode_segment<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut bytes = vec![FORMAT_BINARY];
    for r in records {
        bytes.extend_from_slice(r);
    }
    packing::encode(&bytes)
}

fn encode_segment_text<R: Entry>(records: &[R]) -> String {
    let forms: Vec<Vec<u8>> = records.iter().map(binary_form).collect();
    encode_segment(forms.iter().map(Vec::as_slice))
}

fn decode_segment<R: Entry>(text: &str) -> Result<Vec<R>, String> {
    let bytes = packing::decode(text, MAX_SEGMENT_BYTES).map_err(|e| e.to_string())?;
    match bytes.first() {
        Some(&FORMAT_BINARY) => {
            let mut input = Reader::new(&bytes[1..]);
            let mut records = Vec::new();
            while !input.is_empty() {
                let record = R::decode(&mut input)
                    .map_err(|e| format!("unreadable record {}: {e}", records.len() + 1))?;
                records.push(record);
            }
            Ok(records)
        }
        Some(b'[') => {
            serde_json::from_slice::<Vec<R>>(&bytes).map_err(|e| format!("unreadable records: {e}"))
        }
        _ => Err("not a segment of a format this version knows".into()),
    }
}

impl<K: KeyValue, R: Entry> Journal for SegmentJournal<K, R> {
    type Entry = R;

    fn append(&mut self, records: &[R]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        // Borrow this writer's open segment; cloning the writer's data here
        // would make every commit cost the whole history.
        let empty = WriterData::default();
        let mine = self.writers.get(&self.stem).unwrap_or(&empty);
        let new: Vec<(R, Vec<u8>)> = records
            .iter()
            .map(|r| (r.clone(), binary_form(r)))
            .collect();
        let new_bytes: usize = new.iter().map(|(_, b)| b.len()).sum();
        let current = mine.head.map_or(0, |h| h.open);
        // A commit never spans segments: it goes whole into the open segment,
        // or opens the next one when the open one is full.
        let (index, keep) = match mine.head {
            Some(_) if !mine.open.is_empty() && mine.open_bytes + new_bytes > SEGMENT_LIMIT => {
                (current + 1, 0)
            }
            _ => (current, mine.open.len()),
        };
        let head = Head {
            open: index,
            count: keep + new.len(),
        };
        let closing = if index != current && self.dirty {
            Some(encode_open_segment(&mine.open))
        } else {
            None
        };
        let segment = encode_segment(
            mine.open[..keep]
                .iter()
                .chain(&new)
                .map(|(_, b)| b.as_slice()),
        );
        let head_text = serde_json::to_string(&head).unwrap_or_default();
        self.dirty = true; // until every write below has succeeded
        if let Some(committed) = closing {
            // A failed write may have left uncounted records in the segment
            // being closed; closed segments are read whole, so rewrite it
            // with exactly its committed records first.
            self.kv.set(&segment_key(&self.stem, current), &committed)?;
        }
        // Write 1: the segment. Write 2: the head, the commit point.
        self.kv.set(&segment_key(&self.stem, index), &segment)?;
        self.kv.set(&head_key(&self.stem), &head_text)?;
        self.dirty = false;

        for r in records {
            let key = merge_key(r, &self.stem);
            if self.last.as_ref().is_none_or(|last| key > *last) {
                self.last = Some(key);
            }
        }
        let data = self.writers.entry(self.stem.clone()).or_default();
        data.delivered += records.len();
        if index != current {
            let closed: Vec<R> = data.open.drain(..).map(|(r, _)| r).collect();
            data.closed.extend(closed);
            data.open_bytes = 0;
        }
        data.open.extend(new);
        data.open_bytes += new_bytes;
        data.head = Some(head);
        Ok(())
    }

    fn records(&mut self) -> Result<Vec<R>, StoreError> {
        self.scan()?;
        self.vanished = false;
        let merged = self.merged();
        self.last = None;
        for (writer, data) in self.writers.iter_mut() {
            data.delivered = data.len();
            for i in 0..data.len() {
                if let Some(key) = data.record(i).map(|r| merge_key(r, writer)) {
                    if self.last.as_ref().is_none_or(|last| key > *last) {
                        self.last = Some(key);
                    }
                }
            }
        }
        Ok(merged)
    }

    fn refresh(&mut self) -> Result<Refresh<R>, StoreError> {
        self.scan()?;
        if self.vanished {
            return self.records().map(Refresh::Reordered);
        }
        let mut lists: Vec<Vec<&R>> = Vec::new();
        let mut after_all = true;
        for (writer, data) in &self.writers {
            if data.len() < data.delivered {
                // A writer's committed records shrank (damaged storage was
                // set aside): derive everything again.
                return self.records().map(Refresh::Reordered);
            }
            let fresh: Vec<&R> = (data.delivered..data.len())
                .filter_map(|i| data.record(i))
                .collect();
            after_all &= fresh.iter().all(|r| {
                self.last
                    .as_ref()
                    .is_none_or(|last| merge_key(*r, writer) > *last)
            });
            lists.push(fresh);
        }
        if lists.iter().all(Vec::is_empty) {
            return Ok(Refresh::Unchanged);
        }
        if !after_all {
            return self.records().map(Refresh::Reordered);
        }
        // Everything new orders after everything handed out, so the full
        // merge would be the old one followed by the merge of the new.
        let mut last = self.last.clone();
        for (writer, data) in &self.writers {
            for i in data.delivered..data.len() {
                if let Some(key) = data.record(i).map(|r| merge_key(r, writer)) {
                    if last.as_ref().is_none_or(|l| key > *l) {
                        last = Some(key);
                    }
                }
            }
        }
        let appended = merge(lists);
        self.last = last;
        for data in self.writers.values_mut() {
            data.delivered = data.len();
        }
        Ok(Refresh::Appended(appended))
    }
}

/// A segment of exactly these committed records, encoded for storage.
fn encode_open_segment<R>(open: &[(R, Vec<u8>)]) -> String {
    encode_segment(open.iter().map(|(_, b)| b.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Event, Ledger, LedgerState, Outcome, Record, Status};
    use crate::store::MemoryKv;
    use crate::test_fixtures::{now, SEED_A as A, SEED_B as B};
    use std::rc::Rc;

    fn event(i: usize) -> String {
        format!(
            r#"{{"client":"c{}","metric":"m","amount":"{i}.25","ts":"2024-01-01"}}"#,
            i % 3
        )
    }

    fn open(kv: &Rc<MemoryKv>, writer: &str) -> Ledger<SegmentJournal<Rc<MemoryKv>, Record>> {
        let journal = SegmentJournal::open(kv.clone(), writer, now()).expect("open the journal");
        Ledger::open(journal, writer).expect("open the ledger")
    }

    fn events(kv: &Rc<MemoryKv>) -> Vec<Event> {
        open(kv, "reader").state().events().to_vec()
    }

    #[test]
    fn survives_a_reload() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        assert_eq!(l.submit(A, now()).label(), "Accepted");
        assert_eq!(l.submit("{bad", now()).label(), "Rejected");
        let reloaded = open(&kv, "tab2");
        assert_eq!(reloaded.state().events(), l.state().events());
        assert_eq!(reloaded.state().submissions(), l.state().submissions());
        assert!(reloaded.journal().report().is_clean());
    }

    #[test]
    fn a_commit_writes_two_keys_whatever_the_history() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        let mut writes_per_submit = Vec::new();
        for i in 0..600 {
            let before = kv.write_count();
            l.submit(&event(i), now());
            writes_per_submit.push(kv.write_count() - before);
        }
        // Two appends (raw, commit) of two writes each, for the 1st and the 600th.
        assert!(
            writes_per_submit.iter().all(|&w| w == 4),
            "{writes_per_submit:?}"
        );
        let segments = kv
            .keys()
            .unwrap()
            .iter()
            .filter(|k| k.contains(":s:"))
            .count();
        assert!(segments > 3, "history was split into {segments} segments");
        let largest = kv
            .snapshot()
            .values()
            .map(|v| v.encode_utf16().count())
            .max()
            .unwrap_or(0);
        assert!(
            largest < SEGMENT_LIMIT,
            "no value grows with history: largest {largest}"
        );
        assert_eq!(events(&kv).len(), 600);
    }

    #[test]
    fn a_bulk_import_is_one_commit() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        let texts: Vec<String> = (0..1000).map(event).collect();
        let before = kv.write_count();
        let outcomes = l.submit_batch(&texts.iter().map(String::as_str).collect::<Vec<_>>(), now());
        assert_eq!(
            outcomes.iter().filter(|o| o.label() == "Accepted").count(),
            1000
        );
        assert_eq!(kv.write_count() - before, 4);
        assert_eq!(events(&kv).len(), 1000);
    }

    #[test]
    fn a_crash_at_every_write_index_leaves_before_or_after() {
        // Build some history first, so segments roll over during the test too.
        for history in [0usize, 1, 57] {
            let kv = Rc::new(MemoryKv::new());
            let mut l = open(&kv, "tab1");
            for i in 0..history {
                l.submit(&event(i), now());
            }
            let before = events(&kv);
            let writes_in_a_submit = 4;
            for crash_at in 0..=writes_in_a_submit {
                let kv2 = Rc::new(MemoryKv::new());
                for (k, v) in kv.snapshot() {
                    kv2.set(&k, &v).unwrap();
                }
                let mut l2 = open(&kv2, "tab1");
                kv2.crash_after(crash_at);
                let outcome = l2.submit(B, now());
                kv2.recover();
                let after = events(&kv2);
                let committed = after.len() == before.len() + 1;
                assert!(
                    after.len() == before.len() || committed,
                    "history {history}, crash at {crash_at}"
                );
                assert_eq!(
                    &after[..before.len()],
                    &before[..],
                    "earlier events unchanged"
                );
                // The commit point is the head write of the second append (write index 3).
                assert_eq!(
                    committed,
                    crash_at >= 4,
                    "history {history}, crash at {crash_at}: {outcome:?}"
                );
                assert_eq!(outcome.label() == "Accepted", crash_at >= 4);
                // After the reload the client's retry counts it exactly once.
                let mut retry = open(&kv2, "tab2");
                let label = retry.submit(B, now()).label();
                assert_eq!(label, if committed { "Duplicate" } else { "Accepted" });
                assert_eq!(events(&kv2).len(), before.len() + 1);
            }
        }
    }

    #[test]
    fn quota_exhaustion_fails_cleanly_and_the_app_keeps_working() {
        let kv = Rc::new(MemoryKv::with_quota(3_000));
        let mut l = open(&kv, "tab1");
        let mut i = 0;
        let failure = loop {
            let outcome = l.submit(&event(i), now());
            if outcome.is_retryable() {
                break outcome;
            }
            i += 1;
            assert!(i < 10_000, "the quota never filled");
        };
        let text = match &failure {
            Outcome::Failed { failure } => failure.to_string(),
            _ => unreachable!(),
        };
        assert!(
            text.contains("storage is full") && text.contains("characters used"),
            "{text}"
        );
        let committed = l.state().events().len();
        assert_eq!(events(&kv).len(), committed, "nothing half-written");
        // Duplicates still get an answer: counted nowhere while a raw record
        // still fits, and failing once none does (even a duplicate needs its
        // raw record written). How many fit depends on how well they
        // compress, so resend until storage refuses.
        let mut answers = Vec::new();
        loop {
            let answer = l.submit(&event(0), now()).label();
            answers.push(answer);
            assert!(
                answer == "Duplicate" || answer == "Failed",
                "a resend is a duplicate or fails: {answers:?}"
            );
            if answer == "Failed" {
                break;
            }
            assert!(answers.len() < 1_000, "the quota never refused a resend");
        }
        assert_eq!(l.state().events().len(), committed);
        assert_eq!(open(&kv, "tab2").state().events().len(), committed);
    }

    #[test]
    fn corrupted_keys_are_quarantined_not_reset() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        let mut other = open(&kv, "tab9");
        other.submit(B, now());
        kv.set("tally:v1:b:tab9:s:0", "z1:5:garbage").unwrap();
        kv.set("tally:v1:b:tab7:head", "{not json").unwrap();
        kv.set("tally:v2:w:x:head", "{\"future\":true}").unwrap();
        kv.set("someone-else", "must never be touched").unwrap();

        let reopened = open(&kv, "tab3");
        let report = reopened.journal().report().clone();
        assert_eq!(
            reopened.state().events().len(),
            1,
            "the readable writer still loads"
        );
        let moved: Vec<&str> = report
            .quarantined
            .iter()
            .map(|(from, _, _)| from.as_str())
            .collect();
        assert_eq!(moved, ["tally:v1:b:tab7:head", "tally:v1:b:tab9:s:0"]);
        assert_eq!(report.other_versions, ["tally:v2:w:x:head"]);
        for (from, to, _) in &report.quarantined {
            assert!(kv.get(from).unwrap().is_none());
            assert!(kv.get(to).unwrap().is_some(), "the data is kept under {to}");
        }
        assert_eq!(
            kv.get("tally:v2:w:x:head").unwrap().as_deref(),
            Some("{\"future\":true}")
        );
        assert_eq!(
            kv.get("someone-else").unwrap().as_deref(),
            Some("must never be touched")
        );
        assert!(report.messages().iter().any(|m| m.contains("moved aside")));
    }

    #[test]
    fn a_truncated_open_segment_is_quarantined() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        l.submit(B, now());
        // A head that counts more records than the segment holds.
        kv.set("tally:v1:b:tab1:head", r#"{"open":0,"count":9}"#)
            .unwrap();
        let reopened = open(&kv, "tab2");
        assert_eq!(reopened.journal().report().quarantined.len(), 1);
        assert!(reopened.journal().report().quarantined[0]
            .2
            .contains("head counts 9"));
    }

    #[test]
    fn records_with_invalid_fields_are_refused() {
        // Format 1 (JSON, written by earlier versions): an amount that is
        // not a decimal.
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        let records = l.journal_mut().records().unwrap();
        let json = serde_json::to_string(&records)
            .unwrap()
            .replace("\"amount\":\"1200\"", "\"amount\":\"12e\"");
        assert!(json.contains("12e"));
        kv.set("tally:v1:b:tab1:s:0", &packing::encode(json.as_bytes()))
            .unwrap();
        let reopened = open(&kv, "tab2");
        assert_eq!(reopened.state().events().len(), 0);
        assert!(reopened.journal().report().quarantined[0]
            .2
            .contains("unreadable records"));

        // Format 2: a record of a kind no version writes.
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        let text = kv.get("tally:v1:b:tab1:s:0").unwrap().unwrap();
        let mut bytes = packing::decode(&text, 1 << 20).unwrap();
        assert_eq!(bytes[0], FORMAT_BINARY);
        bytes[1] = 9;
        kv.set("tally:v1:b:tab1:s:0", &packing::encode(&bytes))
            .unwrap();
        let reopened = open(&kv, "tab2");
        assert_eq!(reopened.state().events().len(), 0);
        let why = &reopened.journal().report().quarantined[0].2;
        assert!(why.contains("unknown record kind 9"), "{why}");
    }

    #[test]
    fn damaged_segments_are_refused_never_misread() {
        // Every kind of record, then 3,000 random damages of the stored text
        // (a character changed, removed or added): each is refused, or
        // reads back exactly the records written. (zlib's checksum covers
        // what the record decoder cannot tell: a changed letter in a text.)
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        for raw in [
            A,
            A,
            B,
            "{bad",
            r#"{"client":"c","metric":"m","amount":"1","ts":"2024-01-01","event_id":"k"}"#,
        ] {
            l.submit(raw, now());
        }
        let key = "tally:v1:b:tab1:s:0";
        let text = kv.get(key).unwrap().unwrap();
        let written: Vec<Record> = decode_segment(&text).unwrap();
        assert_eq!(written.len(), 10);
        let chars: Vec<char> = text.chars().collect();
        let mut rng = crate::rng::SeededRng::new(12);
        let (mut refused, mut same) = (0, 0);
        for _ in 0..3_000 {
            let mut damaged = chars.clone();
            let at = rng.below(damaged.len() as u64) as usize;
            let other = char::from_u32(0x4E00 + rng.below(0x8000) as u32).unwrap_or('x');
            match rng.below(3) {
                0 => damaged[at] = other,
                1 => {
                    damaged.remove(at);
                }
                _ => damaged.insert(at, other),
            }
            let damaged: String = damaged.into_iter().collect();
            match decode_segment::<Record>(&damaged) {
                Err(_) => refused += 1,
                Ok(records) => {
                    assert_eq!(records, written, "misread after damage at {at}");
                    same += 1;
                }
            }
        }
        assert!(refused > 2_500, "{refused} refused, {same} read the same");
    }

    #[test]
    fn a_segment_of_an_unknown_format_is_set_aside() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        kv.set("tally:v1:b:tab1:s:0", &packing::encode(&[7, 1, 2, 3]))
            .unwrap();
        let reopened = open(&kv, "tab2");
        assert_eq!(reopened.state().events().len(), 0);
        let why = &reopened.journal().report().quarantined[0].2;
        assert!(why.contains("format"), "{why}");
    }

    #[test]
    fn two_writers_interleaving_converge() {
        let kv = Rc::new(MemoryKv::new());
        let mut tab1 = open(&kv, "tab1");
        let mut tab2 = open(&kv, "tab2");
        // tab2 catches up with tab1's commit before deciding, so it is not
        // fooled by its stale view. (Tabs that truly race are tested with
        // separate stores merged afterwards, and in tests/model.rs.)
        assert_eq!(tab1.submit(A, now()).label(), "Accepted");
        assert_eq!(tab2.submit(A, now()).label(), "Duplicate");
        tab1.submit(&event(1), now());
        tab2.submit(&event(2), now());
        tab1.refresh().unwrap();
        tab2.refresh().unwrap();
        let ids = |l: &Ledger<SegmentJournal<Rc<MemoryKv>, Record>>| {
            let mut v: Vec<_> = l
                .state()
                .events()
                .iter()
                .map(|e| e.event_id.clone())
                .collect();
            v.sort();
            v
        };
        assert_eq!(ids(&tab1).len(), 3, "the shared event counted once");
        assert_eq!(ids(&tab1), ids(&tab2));
        let all: Vec<Record> = SegmentJournal::<_, Record>::open(kv.clone(), "x", now())
            .unwrap()
            .records()
            .unwrap();
        assert_eq!(LedgerState::replay(&all).events().len(), 3);
        // Neither tab wrote a key of the other.
        assert!(kv
            .keys()
            .unwrap()
            .iter()
            .filter(|k| k.starts_with("tally:v1:b:"))
            .all(|k| k.contains(":tab1:") || k.contains(":tab2:")));
    }

    /// An event whose raw text alone fills a segment, so the next commit
    /// after it opens a new one.
    fn segment_filler() -> String {
        format!(
            r#"{{"client":"c","metric":"filler","amount":1,"ts":"2024-01-01","note":"{}"}}"#,
            "x".repeat(SEGMENT_LIMIT + 100)
        )
    }

    fn copy_of(kv: &Rc<MemoryKv>) -> Rc<MemoryKv> {
        let copy = Rc::new(MemoryKv::new());
        for (k, v) in kv.snapshot() {
            copy.set(&k, &v).expect("copy a key");
        }
        copy
    }

    #[test]
    fn a_failed_commit_never_comes_back_when_its_segment_closes() {
        // Fail the commit's head write (write index 3: raw segment, raw head,
        // commit segment, commit head), then close the segment the failed
        // commit's records were written into; at every crash point.
        for crash_at in 0..4 {
            let kv = Rc::new(MemoryKv::new());
            let mut tab = open(&kv, "tab1");
            assert_eq!(tab.submit(A, now()).label(), "Accepted");
            kv.crash_after(crash_at);
            assert!(tab.submit(B, now()).is_retryable(), "crash at {crash_at}");
            kv.recover();
            assert_eq!(tab.submit(&segment_filler(), now()).label(), "Accepted");
            let here: Vec<_> = tab.state().events().to_vec();
            let reloaded = open(&kv, "tab2");
            assert_eq!(reloaded.state().events(), &here[..], "crash at {crash_at}");
            assert_eq!(here.len(), 2, "A and the filler, never B");
            // Every submission keeps its own text and number.
            let subs = reloaded.state().submissions();
            let mut ids: Vec<_> = subs.iter().map(|s| s.id.clone()).collect();
            ids.dedup();
            assert_eq!(ids.len(), subs.len(), "a submission number was reused");
            let filler = subs
                .iter()
                .find(|s| s.raw.contains("filler"))
                .expect("the filler");
            assert!(
                matches!(filler.status, Status::Accepted { .. }),
                "{:?}",
                filler.status
            );
        }
    }

    #[test]
    fn a_failed_commit_does_not_come_back_when_its_writer_id_is_used_again() {
        // Found by an independent adversarial model: the same writer id
        // reopened after a failed head write, whose first append closes the
        // segment the failed records were written into.
        let kv = Rc::new(MemoryKv::new());
        let order = |amount: u32| {
            format!(
                r#"{{"client":"shop","metric":"sale","amount":{amount},"ts":"2024-01-01","event_id":"order-7","note":"{}"}}"#,
                "x".repeat(SEGMENT_LIMIT / 2 + 100)
            )
        };
        let mut tab = open(&kv, "tab1");
        assert_eq!(tab.submit(A, now()).label(), "Accepted");
        kv.crash_after(3);
        assert!(tab.submit(&order(100), now()).is_retryable());
        kv.recover();
        let mut again = open(&kv, "tab1");
        assert_eq!(again.submit(&order(200), now()).label(), "Accepted");
        let reader = open(&kv, "reader");
        let amounts: Vec<String> = reader
            .state()
            .events()
            .iter()
            .filter(|e| e.client_id == "shop")
            .map(|e| e.amount.to_string())
            .collect();
        assert_eq!(amounts, ["200"]);
        assert_eq!(reader.state().events(), again.state().events());
    }

    #[test]
    fn a_corrected_keyed_event_keeps_its_correction_after_a_reload() {
        let kv = Rc::new(MemoryKv::new());
        let mut tab = open(&kv, "tab1");
        // The correction is large enough that its first write closes the
        // segment the failed attempt's records were written into.
        let order = |amount: u32| {
            format!(
                r#"{{"client":"shop","metric":"sale","amount":{amount},"ts":"2024-01-01","event_id":"order-7","note":"{}"}}"#,
                "x".repeat(SEGMENT_LIMIT / 2 + 100)
            )
        };
        kv.crash_after(3);
        assert!(tab.submit(&order(100), now()).is_retryable());
        kv.recover();
        assert_eq!(tab.submit(&order(200), now()).label(), "Accepted");
        let reloaded = open(&kv, "tab2");
        let amounts: Vec<String> = reloaded
            .state()
            .events()
            .iter()
            .filter(|e| e.client_id == "shop")
            .map(|e| e.amount.to_string())
            .collect();
        assert_eq!(amounts, ["200"]);
        assert!(reloaded
            .state()
            .submissions()
            .iter()
            .all(|s| !matches!(s.status, Status::Conflict { .. })));
    }

    #[test]
    fn a_stale_tabs_duplicate_is_counted_once_the_tabs_merge() {
        // Two tabs that cannot see each other's writes (no lock, no refresh):
        // each writes into its own copy of the store, then the copies merge.
        let base = Rc::new(MemoryKv::new());
        let (kv1, kv2) = (copy_of(&base), copy_of(&base));
        let mut tab1 = open(&kv1, "tab1");
        let mut tab2 = open(&kv2, "tab2");
        let keyed = |metric: &str| {
            format!(r#"{{"client":"c","metric":"{metric}","amount":1,"ts":1,"event_id":"k"}}"#)
        };
        let unkeyed_refund = r#"{"client":"c","metric":"refund","amount":1,"ts":1}"#;
        assert_eq!(tab1.submit(&keyed("sale"), now()).label(), "Accepted");
        assert_eq!(tab2.submit(&keyed("refund"), now()).label(), "Accepted");
        assert_eq!(tab2.submit(unkeyed_refund, now()).label(), "Duplicate");
        let merged = copy_of(&kv1);
        for (k, v) in kv2.snapshot() {
            merged.set(&k, &v).expect("merge");
        }
        let reader = open(&merged, "reader");
        let mut metrics: Vec<&str> = reader
            .state()
            .events()
            .iter()
            .map(|e| e.metric.as_str())
            .collect();
        metrics.sort();
        // The keyed refund lost its key to the sale (a Conflict); the unkeyed
        // refund is a new event by content, and must be counted.
        assert_eq!(metrics, ["refund", "sale"]);
        let unkeyed = reader
            .state()
            .submissions()
            .iter()
            .find(|s| s.raw == unkeyed_refund)
            .expect("the unkeyed refund");
        assert!(
            matches!(unkeyed.status, Status::Accepted { .. }),
            "{:?}",
            unkeyed.status
        );
    }

    #[test]
    fn keyed_and_unkeyed_submissions_of_one_content_count_the_same_in_either_order() {
        let unkeyed = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01"}"#;
        let k1 = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01","event_id":"k1"}"#;
        let k2 = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01","event_id":"k2"}"#;
        let count = |order: &[&str]| {
            let kv = Rc::new(MemoryKv::new());
            let mut tab = open(&kv, "tab1");
            for raw in order {
                assert!(!tab.submit(raw, now()).is_retryable());
            }
            tab.state().events().len()
        };
        assert_eq!(count(&[unkeyed, k1]), count(&[k1, unkeyed]));
        assert_eq!(count(&[unkeyed, k1]), 1);
        // Distinct keys are distinct events, whatever came without a key.
        for order in [
            [unkeyed, k1, k2],
            [k1, unkeyed, k2],
            [k1, k2, unkeyed],
            [k2, k1, unkeyed],
        ] {
            assert_eq!(count(&order), 2, "{order:?}");
        }
    }

    #[test]
    fn a_tab_that_saw_another_commit_orders_after_it_whatever_its_clock() {
        // tab2's clock is an hour behind. It takes key k after tab1 did, having
        // caught up first; it is told Conflict, and every reader agrees.
        let kv = Rc::new(MemoryKv::new());
        let mut tab1 = open(&kv, "tab1");
        let mut tab2 = open(&kv, "tab2");
        let a = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01","event_id":"k"}"#;
        let b = r#"{"client":"c","metric":"m","amount":6,"ts":"2024-01-01","event_id":"k"}"#;
        assert_eq!(tab1.submit(a, now()).label(), "Accepted");
        let behind = now() - chrono::TimeDelta::hours(1);
        assert_eq!(tab2.submit(b, behind).label(), "Conflict");
        let reader = open(&kv, "reader");
        let amounts: Vec<String> = reader
            .state()
            .events()
            .iter()
            .map(|e| e.amount.to_string())
            .collect();
        assert_eq!(amounts, ["5"]);
        let told_b = reader
            .state()
            .submissions()
            .iter()
            .find(|s| s.raw == b)
            .expect("b");
        assert!(
            matches!(told_b.status, Status::Conflict { .. }),
            "{:?}",
            told_b.status
        );
    }

    #[test]
    fn invalid_writer_ids_are_refused() {
        let kv = Rc::new(MemoryKv::new());
        assert!(SegmentJournal::<_, Record>::open(kv.clone(), "a:b", now()).is_err());
        assert!(SegmentJournal::<_, Record>::open(kv, "", now()).is_err());
    }
}
