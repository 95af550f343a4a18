//! The durable journal: the ledger's records in key-value storage.
//!
//! Contract:
//! - **Layout.** Everything lives under [`PREFIX`] (`tally:v1:`); nothing
//!   outside `tally:` is ever read or written, because a GitHub Pages origin
//!   is shared by all of a user's sites. Each writer (browser tab) owns
//!   `c:<writer>:s:<i>` segments and one `c:<writer>:head`, and writes no
//!   other writer's keys, so tabs never overwrite each other.
//! - **Cost.** A commit writes two keys: the open segment (at most
//!   [`SEGMENT_LIMIT`] bytes of records before it is closed) and the head.
//!   The work per commit does not grow with the history.
//! - **Atomicity.** The head's record count is the commit point. A crash or
//!   error after the segment write but before the head write leaves extra
//!   records that the head does not count, so a reload sees the state before
//!   the commit; after the head write, the state after. Never a mix.
//! - **Formats.** A segment holds its records' binary forms
//!   ([`Entry::encode`]) after a header naming its writer, its index and
//!   the chain of the segments before it, compressed, and then the
//!   records' digests, uncompressed (format 4, under `d:` keys). The head
//!   is sealed: it records the chain over every closed segment (index,
//!   record count, the adler32 of its bytes) and the adler32 of the open
//!   segment's committed bytes, and a SHA-256 seal binds those fields to
//!   the writer. Earlier versions wrote format 3 (digests compressed with
//!   the rest, sealed heads) under `c:` keys, format 2 under `b:` keys and
//!   format 1 (JSON) under `w:` keys, the last two with unsealed JSON
//!   heads: those are read as they are and never written, so a tab still
//!   running an earlier version, which reads only the families it knows,
//!   never meets a key it cannot read.
//! - **Untrusted input.** Everything read back is validated: the segment
//!   codec's checksum, the format, every record's fields, and for this
//!   version's writers the seal, each segment's place, and the chain, so a
//!   head with a changed digit, a segment copied over another key, or an
//!   earlier copy of a segment written back is found, not silently counted
//!   short or read as what it is not. Unreadable keys are moved aside under
//!   `tally:v1:quarantine:…` (or, if that is impossible, left exactly where
//!   they are) and reported in a [`LoadReport`]; segments no head counts
//!   are reported and left in place; only the segments that exist are read,
//!   so a damaged head cannot make loading walk a billion indexes. Nothing
//!   is silently reset, and a tab never writes over a segment it did not
//!   write (one whose head was lost is moved aside first). Keys of another
//!   format version are left untouched.
//! - **What it cannot see.** A head deleted from a writer that has a single
//!   segment looks like a first commit under way (its segment is written
//!   before its head) and goes unreported; an earlier value of a head is a
//!   consistent earlier state, read as the writer's last commits lost; and
//!   zlib's adler32 misses some deliberate edits of incompressible data.
//!   A writer id used by this version and then again by an earlier one
//!   (which numbers its submissions only from the families it knows)
//!   numbers some submissions twice, and a reader keeps one of each
//!   number; the app never uses an id twice (each page load draws one).
//!   The other way round, one false alarm: what a commit cut short left in
//!   a new segment, found by the same tab after a reload, is moved aside
//!   and reported (not counted either way) when it is the tab's first
//!   segment or the tab committed more before reopening that place.
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

use super::binary::{put_str, put_u64, Form, Reader};
use super::error::StoreError;
use super::keys::{
    head_key, segment_key, stem, FAMILY, PREFIX, READ_ONLY, SEALED_FAMILIES, WRITTEN,
};
use super::kv::KeyValue;
use super::log::{Entry, Journal, Refresh};
use super::packing;
use super::quarantine::{quarantine, LoadReport};
use crate::pipeline::json;
use crate::pipeline::json::document::{self, DocError, Fields};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

/// The size of records, in their binary form, after which a segment is closed.
pub const SEGMENT_LIMIT: usize = 32 * 1024;
/// The largest decoded segment accepted; a bound against damaged data.
const MAX_SEGMENT_BYTES: usize = 64 * 1024 * 1024;

/// A writer's head: its open segment and how many records of it are
/// committed, and, for this version's writers, what its segments must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    open: u64,
    count: usize,
    /// `None` for an earlier version's head, which had no such proof.
    proof: Option<Proof>,
}

/// What a sealed head says its segments hold, so that damage a segment's
/// own checksum cannot see (an earlier value written back, a lowered count,
/// a segment lost) is found and reported instead of silently counting less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proof {
    /// [`chain`] over every closed segment.
    chain: u64,
    /// adler32 of the open segment's bytes up to its last committed record
    /// (the whole segment as this writer last wrote it).
    check: u32,
}

/// The first word of a sealed head.
const SEALED: &str = "h3";

impl Head {
    /// The head as stored: `h3 <open> <count> <chain> <check> <seal>`, the
    /// seal binding every field to the writer's stem, so a changed digit or
    /// a head copied over another writer's is refused as damaged.
    fn to_text(self, stem: &str) -> String {
        let proof = self.proof.unwrap_or(Proof { chain: 0, check: 0 });
        let fields = format!(
            "{} {} {:016x} {:08x}",
            self.open, self.count, proof.chain, proof.check
        );
        format!("{SEALED} {fields} {:016x}", seal(stem, &fields))
    }

    /// Reads a head of either version; `sealed` says which one the family
    /// holds.
    fn parse(text: &str, stem: &str, sealed: bool) -> Result<Head, String> {
        if !sealed {
            // An earlier version's head: `{"open": …, "count": …}`.
            let legacy = json::parse(text)
                .map_err(|e| DocError::new(e.to_string()))
                .and_then(|v| {
                    let f = Fields::of(&v)?.only(&["open", "count"])?;
                    Ok(Head {
                        open: f.whole("open")?,
                        count: f.whole("count")?,
                        proof: None,
                    })
                });
            return legacy.map_err(|e| format!("bad head: {e}"));
        }
        let damaged = || "damaged head: it fails its seal".to_string();
        let rest = text
            .strip_prefix(SEALED)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(damaged)?;
        let (fields, given) = rest.rsplit_once(' ').ok_or_else(damaged)?;
        if format!("{:016x}", seal(stem, fields)) != given {
            return Err(damaged());
        }
        let parts: Vec<&str> = fields.split(' ').collect();
        let [open, count, chain, check] = parts[..] else {
            return Err(damaged());
        };
        let number = |t: &str| t.parse::<u64>().map_err(|_| damaged());
        let hex = |t: &str| u64::from_str_radix(t, 16).map_err(|_| damaged());
        Ok(Head {
            open: number(open)?,
            count: usize::try_from(number(count)?).map_err(|_| damaged())?,
            proof: Some(Proof {
                chain: hex(chain)?,
                check: u32::try_from(hex(check)?).map_err(|_| damaged())?,
            }),
        })
    }
}

/// The first 8 bytes of SHA-256 over the stem and a head's fields.
fn seal(stem: &str, fields: &str) -> u64 {
    digest_u64(&[stem.as_bytes(), b" ", fields.as_bytes()])
}

/// Extends a chain over closed segments by one: its index, how many
/// records it holds and the adler32 of its bytes (zlib's own checksum, so
/// loading reads it from the segment instead of computing it).
fn chain(previous: u64, index: u64, records: usize, adler: u32) -> u64 {
    digest_u64(&[
        &previous.to_le_bytes(),
        &index.to_le_bytes(),
        &(records as u64).to_le_bytes(),
        &adler.to_le_bytes(),
    ])
}

fn digest_u64(parts: &[&[u8]]) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// A closed segment read but not yet confirmed by what follows it.
struct Pending<R> {
    key: String,
    text: String,
    records: Vec<R>,
    /// The chain including it, as read.
    ends: u64,
}

/// What is known of one writer's committed records.
#[derive(Debug, Clone)]
struct WriterData<R> {
    head: Option<Head>,
    /// Records of closed segments, in order.
    closed: Vec<R>,
    /// Committed records of the open segment, with their binary form, so a
    /// commit re-encodes the segment without re-serializing it.
    open: Vec<(R, Form)>,
    open_bytes: usize,
    /// How many of this writer's records the ledger has been handed.
    delivered: usize,
    /// [`chain`] over the closed segments, for a sealed head's proof.
    chain: u64,
}

impl<R> Default for WriterData<R> {
    fn default() -> Self {
        WriterData {
            head: None,
            closed: Vec::new(),
            open: Vec::new(),
            open_bytes: 0,
            delivered: 0,
            chain: 0,
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

/// Whether `record` of `writer` merges after `last` (always, when nothing
/// was handed out yet). Compares without building a key: a reload asks
/// this once per record.
fn after<R: Entry>(record: &R, writer: &str, last: Option<&MergeKey>) -> bool {
    let (clock, at) = record.order_key();
    last.is_none_or(|(c, t, w)| (clock, at, writer) > (*c, *t, w.as_str()))
}

/// Raises `last` to the key of the latest of `records` (all of `writer`)
/// if it merges after it. The latest is found first: building a key for
/// every record that raised it cost a reload one allocation per record.
fn raise<'a, R: Entry + 'a>(
    last: &mut Option<MergeKey>,
    records: impl IntoIterator<Item = &'a R>,
    writer: &str,
) {
    let latest = records.into_iter().max_by_key(|r| r.order_key());
    if let Some(record) = latest.filter(|r| after(*r, writer, last.as_ref())) {
        *last = Some(merge_key(record, writer));
    }
}

/// Whether a writer's family seals its heads.
fn sealed_family(stem: &str) -> bool {
    SEALED_FAMILIES.iter().any(|f| stem.starts_with(f))
}

/// A key's stem names a writer of a family this version reads.
fn writer_stem(stem: &str) -> bool {
    std::iter::once(WRITTEN)
        .chain(READ_ONLY)
        .any(|family| stem.strip_prefix(family).is_some_and(valid_writer))
}

/// Segments `from..=to` of a writer, named for the report.
fn missing_range(stem: &str, from: u64, to: u64) -> String {
    match to - from {
        0 => segment_key(stem, from),
        n => format!("{} and the {n} after it", segment_key(stem, from)),
    }
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
    /// The segments this journal has written or tried to write: one of
    /// these found in storage is its own (perhaps a failed commit's), any
    /// other it must not write over.
    attempted: BTreeSet<u64>,
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
            attempted: BTreeSet::new(),
            vanished: false,
            last: None,
            entries: PhantomData,
        };
        // Everything is new to a journal just opened: list storage at once.
        let keys = journal.kv.keys()?;
        journal.scan_keys(keys, true)?;
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
    ///
    /// Starts from the keys the store knows ([`KeyValue::known_keys`]):
    /// listing localStorage afresh costs a call per stored key, and a tab's
    /// own commits, one after another, find storage as they left it. Every
    /// writer's head, this one's included, is still read by value; at the
    /// first sign of a change (a head new, gone, damaged or moved on) the
    /// scan starts over from a fresh listing, so what it loads, sets aside
    /// or forgets is always decided on one. What the known keys can miss is
    /// a writer that appeared since, before the browser told this page (it
    /// tells at once, and the app forgets the known keys then): its records
    /// arrive with the next refresh and merge as any lagging tab's do.
    fn scan(&mut self) -> Result<(), StoreError> {
        let known = self.kv.known_keys()?;
        self.scan_keys(known, false)
    }

    /// Whether this writer's stored head is no longer the one it last wrote:
    /// another tab cleared it (and perhaps wrote as many keys again, so
    /// that the keys this page knows still list it; an outside review's
    /// model had a tab write its cleared records back that way).
    fn own_head_moved(&self) -> Result<bool, StoreError> {
        let Some(mine) = self.writers.get(&self.stem).and_then(|d| d.head) else {
            return Ok(false);
        };
        let stored = self.kv.get(&head_key(&self.stem))?;
        Ok(
            stored.and_then(|text| Head::parse(&text, &self.stem, sealed_family(&self.stem)).ok())
                != Some(mine),
        )
    }

    /// [`Self::scan`] over `keys`, `fresh` if they were listed just now.
    fn scan_keys(&mut self, keys: Vec<String>, fresh: bool) -> Result<(), StoreError> {
        let mut report = LoadReport::default();
        let mut heads = Vec::new();
        // Every writer's segment indexes that exist: loading reads only
        // these (a damaged head's huge index costs nothing), and a segment
        // no head counts is reported instead of lying unseen.
        let mut segments: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
        for key in keys {
            if !key.starts_with(FAMILY) {
                continue; // another site's data: never touched
            }
            let Some(rest) = key.strip_prefix(PREFIX) else {
                if !self.report.other_versions.contains(&key) {
                    report.other_versions.push(key);
                }
                continue;
            };
            if let Some((stem, index)) = rest.rsplit_once(":s:") {
                if let (Ok(index), true) = (index.parse::<u64>(), writer_stem(stem)) {
                    segments.entry(stem.to_string()).or_default().insert(index);
                }
                continue;
            }
            let Some(stem) = rest.strip_suffix(":head") else {
                continue;
            };
            if writer_stem(stem) {
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
        if !fresh && (!gone.is_empty() || self.own_head_moved()?) {
            return self.scan_keys(self.kv.keys()?, true);
        }
        for writer in gone {
            self.writers.remove(&writer);
            if writer == self.stem {
                self.dirty = false;
                // What it wrote before is no longer its own to overwrite.
                self.attempted.clear();
            }
            self.vanished = true;
        }
        let no_segments = BTreeSet::new();
        for writer in heads {
            if writer == self.stem && self.writers.contains_key(&writer) {
                continue; // our own data is known exactly in memory
            }
            let key = head_key(&writer);
            let text = self.kv.get(&key)?;
            let parsed = text
                .as_deref()
                .map(|text| Head::parse(text, &writer, sealed_family(&writer)));
            let known = self.writers.get(&writer).and_then(|d| d.head);
            if let Some(Ok(head)) = parsed {
                if known == Some(head) {
                    continue;
                }
            }
            if !fresh {
                return self.scan_keys(self.kv.keys()?, true);
            }
            let (Some(text), Some(parsed)) = (text, parsed) else {
                continue;
            };
            let head = match parsed {
                Ok(h) => h,
                Err(why) => {
                    self.set_aside(&key, &text, &why, &mut report)?;
                    continue;
                }
            };
            let existing = segments.get(&writer).unwrap_or(&no_segments);
            let data = self.load_writer(&writer, head, existing, &mut report)?;
            self.writers.insert(writer, data);
        }
        // Segments no head counts, as storage holds them now (a later head
        // may still claim one). Not the segment after a writer's open one,
        // nor a headless writer's first: a commit writes its segment before
        // its head, so that is what a commit under way in another tab, or
        // one cut short, leaves, and the writer's next commit overwrites it.
        report.unclaimed = segments
            .iter()
            .flat_map(|(stem, indexes)| {
                let head = self.writers.get(stem).and_then(|d| d.head);
                let next = head.map_or(Some(0), |h| h.open.checked_add(1));
                indexes
                    .iter()
                    .filter(move |&&i| head.is_none_or(|h| i > h.open) && Some(i) != next)
                    .map(move |&i| segment_key(stem, i))
            })
            .collect();
        self.report.unclaimed.clear();
        self.report.merge(report);
        Ok(())
    }

    /// Loads one writer's segments up to its head, reusing closed segments
    /// already loaded (they never change). Only `existing` segments are
    /// read; the rest the head counts on are reported missing, as ranges.
    fn load_writer(
        &mut self,
        writer: &str,
        head: Head,
        existing: &BTreeSet<u64>,
        report: &mut LoadReport,
    ) -> Result<WriterData<R>, StoreError> {
        let previous = self.writers.remove(writer).unwrap_or_default();
        let first = match previous.head {
            Some(old) if old.open <= head.open => old.open,
            _ => 0,
        };
        let reuse = first > 0;
        // What this writer's open segment held when last read: it must
        // still begin that segment, or the writer started over (its data
        // was cleared and written again) and what was handed out must be
        // derived again.
        let known = previous.open;
        let known_at = previous.closed.len();
        let mut data = WriterData {
            head: Some(head),
            closed: if reuse { previous.closed } else { Vec::new() },
            chain: if reuse { previous.chain } else { 0 },
            delivered: previous.delivered,
            ..WriterData::default()
        };
        // A closed segment of a sealed writer counts once the next segment's
        // header (or, for the last one, the head) records the chain it ends.
        let sealed = head.proof.is_some();
        let mut pending: Option<Pending<R>> = None;
        let mut expected = first;
        for &index in existing.range(first..=head.open) {
            if index > expected {
                report
                    .missing
                    .push(missing_range(writer, expected, index - 1));
                // Nothing after a gap can vouch for what came before it.
                self.settle(&mut data, pending.take(), None, report)?;
            }
            expected = index + 1;
            let key = segment_key(writer, index);
            let Some(text) = self.kv.get(&key)? else {
                report.missing.push(key);
                self.settle(&mut data, pending.take(), None, report)?;
                continue;
            };
            let open = index == head.open;
            let decoded = decode_segment::<R>(&text, writer, index, open.then_some(head.count));
            let segment = match decoded {
                Ok(found) => found,
                Err(why) => {
                    self.set_aside(&key, &text, &why, report)?;
                    if !open {
                        // What would have vouched for the segment before
                        // it is gone; the head still vouches for the last.
                        self.settle(&mut data, pending.take(), None, report)?;
                    }
                    continue;
                }
            };
            if let Some(recorded) = segment.chain_before.filter(|_| sealed) {
                self.settle(&mut data, pending.take(), Some(recorded), report)?;
                data.chain = recorded;
            }
            if !open {
                let ends = chain(data.chain, index, segment.records.len(), segment.adler);
                if sealed {
                    pending = Some(Pending {
                        key,
                        text,
                        records: segment.records,
                        ends,
                    });
                } else {
                    data.chain = ends;
                    data.closed.extend(segment.records);
                }
                continue;
            }
            let proven = head.proof.is_none_or(|p| segment.check == Some(p.check));
            if segment.records.len() < head.count || !proven {
                let why = if segment.records.len() < head.count {
                    format!(
                        "holds {} records, its head counts {}",
                        segment.records.len(),
                        head.count
                    )
                } else {
                    "its records differ from those its head committed (an earlier copy written back?)"
                        .to_string()
                };
                self.set_aside(&key, &text, &why, report)?;
                continue;
            }
            // Records beyond the head's count were never committed.
            for r in segment.records.into_iter().take(head.count) {
                let bytes = binary_form(&r);
                data.open_bytes += bytes.len();
                data.open.push((r, bytes));
            }
        }
        if expected <= head.open {
            report
                .missing
                .push(missing_range(writer, expected, head.open));
            if expected < head.open {
                // A closed segment is missing between the last one read and
                // the head's chain: nothing can vouch for the one before.
                self.settle(&mut data, pending.take(), None, report)?;
            }
        }
        let recorded = head.proof.map(|p| p.chain);
        self.settle(&mut data, pending.take(), recorded, report)?;
        if let Some(recorded) = recorded {
            data.chain = recorded;
        }
        let kept = known.iter().enumerate().all(|(i, (_, bytes))| {
            data.record(known_at + i)
                .is_some_and(|r| binary_form(r) == *bytes)
        });
        if !kept {
            self.vanished = true;
        }
        Ok(data)
    }

    /// Counts a closed segment whose contents the chain `recorded` after it
    /// confirms (or that nothing can confirm: `None`), and sets aside one it
    /// contradicts: an earlier or another writer's copy written over it.
    fn settle(
        &mut self,
        data: &mut WriterData<R>,
        pending: Option<Pending<R>>,
        recorded: Option<u64>,
        report: &mut LoadReport,
    ) -> Result<(), StoreError> {
        let Some(segment) = pending else {
            return Ok(());
        };
        if recorded.is_none_or(|r| r == segment.ends) {
            data.closed.extend(segment.records);
            data.chain = segment.ends;
            return Ok(());
        }
        let why = "it is not what its writer closed it with (an earlier copy written back?)";
        self.set_aside(&segment.key, &segment.text, why, report)
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

    /// Makes `key`, this writer's segment `index`, free for its first write
    /// in this session: whatever holds it is moved aside and reported; if it
    /// cannot be moved (storage full), nothing is written over it. Except
    /// what a commit of this writer from this very state left when it was
    /// cut short (a crash, a full storage) before a reload: a segment of
    /// this writer and index that follows exactly the segments this one
    /// will (`chain_before`). The first segment has nothing before it to
    /// tell such a leftover from a writer's data whose head was lost, so
    /// that one is always moved aside.
    fn claim_key(&mut self, key: &str, index: u64, chain_before: u64) -> Result<(), StoreError> {
        let Some(text) = self.kv.get(key)? else {
            return Ok(());
        };
        let leftover = index > 0
            && decode_segment::<R>(&text, &self.stem, index, None)
                .is_ok_and(|s| s.chain_before == Some(chain_before));
        if leftover {
            return Ok(());
        }
        let mut report = LoadReport::default();
        let why = "a segment no head counted, found where this tab writes next";
        self.set_aside(key, &text, why, &mut report)?;
        let moved = report.left_in_place.is_empty();
        self.report.unclaimed.retain(|k| k != key);
        self.report.merge(report);
        if moved {
            Ok(())
        } else {
            Err(StoreError::Unavailable {
                message: format!("{key} holds data that could not be moved aside, so nothing was written over it"),
            })
        }
    }

    /// Every writer's records, merged deterministically.
    fn merged(&self) -> Vec<R> {
        merge(
            self.writers
                .values()
                .map(|d| {
                    // Sized at once: a filtered iterator tells `collect`
                    // nothing, and growing the list copied it again and
                    // again on a reload.
                    let mut list = Vec::with_capacity(d.len());
                    list.extend((0..d.len()).filter_map(|i| d.record(i)));
                    list
                })
                .collect(),
        )
    }
}

/// Merges writers' record lists (in writer-id order) into one: repeatedly
/// the earliest next record by (Lamport clock, time), ties to the first
/// writer. Each writer's own order is kept, whatever its clocks did.
fn merge<R: Entry>(mut lists: Vec<Vec<&R>>) -> Vec<R> {
    if lists.len() == 1 {
        // One writer, the usual case: its order is the merge.
        return lists
            .pop()
            .unwrap_or_default()
            .into_iter()
            .cloned()
            .collect();
    }
    let mut positions = vec![0usize; lists.len()];
    let total = lists.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    // The list whose next record is earliest, and the next record of the
    // list after it (ties to the first list).
    let key = |i: usize, at: usize| (lists[i][at].order_key(), i);
    while out.len() < total {
        let (mut first, mut second) = (None, None);
        for i in (0..lists.len()).filter(|&i| positions[i] < lists[i].len()) {
            let k = key(i, positions[i]);
            if first.is_none_or(|f| k < f) {
                second = first;
                first = Some(k);
            } else if second.is_none_or(|s| k < s) {
                second = Some(k);
            }
        }
        let Some((_, i)) = first else { break };
        // List `i` goes on for as long as its next record stays before the
        // other lists' next (which do not move meanwhile): runs, not one
        // comparison with every list per record, since tabs write in turns.
        let list = &lists[i];
        let start = positions[i];
        let run = list[start..]
            .iter()
            .take_while(|r| second.is_none_or(|b| (r.order_key(), i) < b))
            .count();
        out.extend(list[start..start + run].iter().map(|r| (*r).clone()));
        positions[i] += run;
    }
    out
}

/// The first byte of a segment of format 2: its records' binary forms, one
/// after another. A segment of format 1 is a JSON array, so it starts with
/// `[`. Both are read; only format 3 is written.
const FORMAT_BINARY: u8 = 2;
/// The first byte of a segment of format 3: its index, its writer's stem
/// and the [`chain`] over the segments before it (8 bytes), then its
/// records' binary forms. Naming its place, a segment copied over another
/// key is refused instead of being read as that key's; recording what came
/// before it, it shows which closed segment is an earlier or foreign copy.
const FORMAT_BOUND: u8 = 3;
/// The first byte of a segment of format 4, the only one written: format
/// 3's header and records, with the records' digests
/// ([`Form::digest`]) taken out, in order, and stored after the
/// compressed records uncompressed ([`packing::encode_split`]). Digests
/// do not compress; inflating them was most of a reload's decompression.
const FORMAT_SPLIT: u8 = 4;

fn binary_form<R: Entry>(record: &R) -> Form {
    let mut out = Form::split();
    record.encode(&mut out);
    out
}

/// A segment of exactly `records` (binary forms), packed for storage, and
/// the adler32 of its bytes (its records' bodies, then their digests): the
/// check a sealed head keeps.
fn encode_segment<'a>(
    stem: &str,
    index: u64,
    chain_before: u64,
    records: impl IntoIterator<Item = &'a Form>,
) -> (String, u32) {
    let mut bytes = vec![FORMAT_SPLIT];
    put_u64(&mut bytes, index);
    put_str(&mut bytes, stem);
    bytes.extend_from_slice(&chain_before.to_le_bytes());
    let mut digests = Vec::new();
    for r in records {
        bytes.extend_from_slice(&r.body);
        digests.extend_from_slice(r.digests.as_deref().unwrap_or_default());
    }
    packing::encode_split(&bytes, &digests)
}

/// A segment as read from storage.
struct Segment<R> {
    records: Vec<R>,
    /// When asked for a count (the open segment): the adler32 of its bytes
    /// up to that many records, `None` if it holds fewer.
    check: Option<u32>,
    /// The adler32 of all its bytes (format 4: the records' bodies, then
    /// their digests).
    adler: u32,
    /// Format 3: the chain over the segments before it.
    chain_before: Option<u64>,
}

/// Reads the segment stored as `text` under `stem`'s `index`.
fn decode_segment<R: Entry>(
    text: &str,
    stem: &str,
    index: u64,
    count: Option<usize>,
) -> Result<Segment<R>, String> {
    let split = packing::is_split(text);
    let (bytes, digests, adler) = if split {
        packing::decode_split(text, MAX_SEGMENT_BYTES)
    } else {
        packing::decode_checked(text, MAX_SEGMENT_BYTES).map(|(b, a)| (b, Vec::new(), a))
    }
    .map_err(|e| e.to_string())?;
    let format = bytes.first().copied();
    let body = bytes.get(1..).unwrap_or_default();
    let mut input = if split {
        Reader::split(body, &digests)
    } else {
        Reader::new(body)
    };
    // Each family holds what the version that wrote it wrote: this
    // version's only format 4, split; earlier ones never format 4. (A
    // segment of format 3 or 4 under another key names its own place.)
    let ours = stem.starts_with(WRITTEN);
    let mut chain_before = None;
    match format {
        Some(FORMAT_SPLIT) if split => chain_before = Some(read_place(&mut input, stem, index)?),
        Some(FORMAT_BOUND) if !split && !ours => {
            chain_before = Some(read_place(&mut input, stem, index)?);
        }
        Some(FORMAT_BINARY) if !split && !sealed_family(stem) => {}
        Some(b'[') if !split && !sealed_family(stem) => {
            return std::str::from_utf8(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    document::read_text(text, |v| document::each(v, R::from_json))
                        .map_err(|e| e.to_string())
                })
                .map(|records| Segment {
                    records,
                    check: None,
                    adler,
                    chain_before,
                })
                .map_err(|e| format!("unreadable records: {e}"));
        }
        _ => return Err("not a segment of a format this version knows".into()),
    }
    // Room for the records a segment's size suggests (a record's body is
    // about 90 bytes): growing the list as it filled cost 0.6% of a
    // reopen's instructions.
    let mut records = Vec::with_capacity(input.remaining() / 64 + 1);
    let read = |input: &Reader<'_>| {
        let body = &bytes[..bytes.len() - input.remaining()];
        let digests = &digests[..digests.len() - input.digests_remaining()];
        packing::adler32_after(packing::adler32(body), digests)
    };
    let mut check = (count == Some(0)).then(|| read(&input));
    while !input.is_empty() {
        let record = R::decode(&mut input)
            .map_err(|e| format!("unreadable record {}: {e}", records.len() + 1))?;
        records.push(record);
        if count == Some(records.len()) {
            check = Some(read(&input));
        }
    }
    if input.digests_remaining() > 0 {
        return Err(format!(
            "{} bytes of digests follow the last record",
            input.digests_remaining()
        ));
    }
    Ok(Segment {
        records,
        check,
        adler,
        chain_before,
    })
}

/// The header of formats 3 and 4 after the format byte: the segment's
/// place, which must be `stem`'s `index`, and the chain before it.
fn read_place(input: &mut Reader<'_>, stem: &str, index: u64) -> Result<u64, String> {
    let place = (input.u64(), input.string());
    if place != (Ok(index), Ok(stem.to_string())) {
        return Err(match place {
            (Ok(i), Ok(s)) => format!("it is segment {i} of {s}, not of this key"),
            _ => "unreadable segment header".to_string(),
        });
    }
    let mut chain = [0u8; 8];
    for byte in &mut chain {
        *byte = input.u8().map_err(|_| "unreadable segment header")?;
    }
    Ok(u64::from_le_bytes(chain))
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
        let new: Vec<(R, Form)> = records
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
        let closing = if index != current && self.dirty {
            Some(encode_open_segment(&self.stem, current, mine.chain, &mine.open).0)
        } else {
            None
        };
        let chain_after = if index != current {
            // The segment closes holding what this writer last committed
            // to it, whose adler32 its head keeps.
            let adler = mine.head.and_then(|h| h.proof).map_or(0, |p| p.check);
            chain(mine.chain, current, mine.open.len(), adler)
        } else {
            mine.chain
        };
        let (segment, check) = encode_segment(
            &self.stem,
            index,
            chain_after,
            mine.open[..keep].iter().chain(&new).map(|(_, b)| b),
        );
        let head = Head {
            open: index,
            count: keep + new.len(),
            proof: Some(Proof {
                chain: chain_after,
                check,
            }),
        };
        let head_text = head.to_text(&self.stem);
        let key = segment_key(&self.stem, index);
        // A segment its head does not count yet, that this journal has not
        // written before: whatever already holds the key is not its own (a
        // lost or set-aside head's data), so it is moved aside, not
        // overwritten.
        let fresh = mine.head.is_none() || index != current;
        if self.attempted.insert(index) && fresh {
            self.claim_key(&key, index, chain_after)?;
        }
        self.dirty = true; // until every write below has succeeded
        if let Some(committed) = closing {
            // A failed write may have left uncounted records in the segment
            // being closed; closed segments are read whole, so rewrite it
            // with exactly its committed records first.
            self.kv.set(&segment_key(&self.stem, current), &committed)?;
        }
        // Write 1: the segment. Write 2: the head, the commit point.
        self.kv.set(&key, &segment)?;
        self.kv.set(&head_key(&self.stem), &head_text)?;
        self.dirty = false;

        raise(&mut self.last, records, &self.stem);
        let data = self.writers.entry(self.stem.clone()).or_default();
        data.delivered += records.len();
        if index != current {
            let closed: Vec<R> = data.open.drain(..).map(|(r, _)| r).collect();
            data.closed.extend(closed);
            data.open_bytes = 0;
            data.chain = chain_after;
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
            let records = (0..data.len()).filter_map(|i| data.record(i));
            raise(&mut self.last, records, writer);
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
            after_all &= fresh.iter().all(|r| after(*r, writer, self.last.as_ref()));
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
            let fresh = (data.delivered..data.len()).filter_map(|i| data.record(i));
            raise(&mut last, fresh, writer);
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
fn encode_open_segment<R>(
    stem: &str,
    index: u64,
    chain_before: u64,
    open: &[(R, Form)],
) -> (String, u32) {
    encode_segment(stem, index, chain_before, open.iter().map(|(_, b)| b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Event, Ledger, LedgerState, Outcome, Record, Status, SubmissionId};
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
        let state = open(kv, "reader");
        state
            .state()
            .events()
            .iter()
            .map(|e| Event::clone(e))
            .collect()
    }

    /// The merge as it is defined, one record at a time: the reference
    /// for [`merge`], which takes runs.
    fn merge_one_at_a_time(lists: &[Vec<Record>]) -> Vec<Record> {
        let mut positions = vec![0; lists.len()];
        let mut out = Vec::new();
        while let Some(i) = (0..lists.len())
            .filter(|&i| positions[i] < lists[i].len())
            .min_by_key(|&i| lists[i][positions[i]].order_key())
        {
            out.push(lists[i][positions[i]].clone());
            positions[i] += 1;
        }
        out
    }

    #[test]
    fn merging_in_runs_is_merging_one_record_at_a_time() {
        // Few distinct clocks and times, so keys tie across and within
        // lists, and each list out of key order now and then (a writer's
        // own order is kept whatever its clocks did).
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..500 {
            let lists: Vec<Vec<Record>> = (0..1 + next(4))
                .map(|w| {
                    let mut clock = 0;
                    (0..next(12))
                        .map(|seq| {
                            clock = if next(8) == 0 {
                                next(4)
                            } else {
                                clock + next(2)
                            };
                            Record::Received {
                                id: SubmissionId {
                                    writer: format!("w{w}").into(),
                                    seq,
                                },
                                at: now() + chrono::Duration::seconds(next(3) as i64),
                                clock,
                                raw: "{}".into(),
                            }
                        })
                        .collect()
                })
                .collect();
            let borrowed = lists.iter().map(|l| l.iter().collect()).collect();
            assert_eq!(merge(borrowed), merge_one_at_a_time(&lists), "case {case}");
        }
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
        // (A test store's quota is far below a browser's, so the message
        // reads as if other data filled the rest.)
        assert!(
            text.contains("storage is full") && text.contains("characters this site may keep"),
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
        kv.set("tally:v1:d:tab9:s:0", "z1:5:garbage").unwrap();
        kv.set("tally:v1:d:tab7:head", "{not json").unwrap();
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
        assert_eq!(moved, ["tally:v1:d:tab7:head", "tally:v1:d:tab9:s:0"]);
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
        let head = Head {
            open: 0,
            count: 9,
            proof: None,
        };
        kv.set("tally:v1:d:tab1:head", &head.to_text("d:tab1"))
            .unwrap();
        let reopened = open(&kv, "tab2");
        assert_eq!(reopened.journal().report().quarantined.len(), 1);
        assert!(reopened.journal().report().quarantined[0]
            .2
            .contains("head counts 9"));
    }

    /// Stores `bytes` as the only segment of an earlier version's writer
    /// `b:old`, whose head counts `count` records.
    fn legacy_segment(kv: &MemoryKv, bytes: &[u8], count: usize) {
        kv.set("tally:v1:b:old:s:0", &packing::encode(bytes))
            .unwrap();
        kv.set(
            "tally:v1:b:old:head",
            &format!(r#"{{"open":0,"count":{count}}}"#),
        )
        .unwrap();
    }

    #[test]
    fn records_with_invalid_fields_are_refused() {
        // Format 1 (JSON, written by earlier versions): an amount that is
        // not a decimal.
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        let records = l.journal_mut().records().unwrap();
        let json = crate::pipeline::json::Json::Array(records.iter().map(Entry::to_json).collect())
            .to_compact();
        let kv = Rc::new(MemoryKv::new());
        legacy_segment(&kv, json.as_bytes(), 2);
        assert_eq!(open(&kv, "tab2").state().events().len(), 1);
        legacy_segment(
            &kv,
            json.replace("\"amount\":\"1200\"", "\"amount\":\"12e\"")
                .as_bytes(),
            2,
        );
        let reopened = open(&kv, "tab2");
        assert_eq!(reopened.state().events().len(), 0);
        assert!(reopened.journal().report().quarantined[0]
            .2
            .contains("unreadable records"));

        // Format 2 (binary, written by the version before this one): a
        // record of a kind no version writes.
        let mut form = Form::inline();
        for r in &records {
            r.encode(&mut form);
        }
        let mut bytes = vec![FORMAT_BINARY];
        bytes.extend_from_slice(&form.body);
        let kv = Rc::new(MemoryKv::new());
        legacy_segment(&kv, &bytes, 2);
        assert_eq!(open(&kv, "tab2").state().events().len(), 1);
        bytes[1] = 9;
        legacy_segment(&kv, &bytes, 2);
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
        let key = "tally:v1:d:tab1:s:0";
        let text = kv.get(key).unwrap().unwrap();
        let written = decode_segment::<Record>(&text, "d:tab1", 0, None)
            .unwrap()
            .records;
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
            match decode_segment::<Record>(&damaged, "d:tab1", 0, None) {
                Err(_) => refused += 1,
                Ok(segment) => {
                    assert_eq!(segment.records, written, "misread after damage at {at}");
                    same += 1;
                }
            }
        }
        assert!(refused > 2_500, "{refused} refused, {same} read the same");
    }

    #[test]
    fn each_family_holds_only_its_own_format_and_every_digest_is_a_records() {
        let kv = Rc::new(MemoryKv::new());
        open(&kv, "tab1").submit(A, now());
        let text = kv.get("tally:v1:d:tab1:s:0").unwrap().unwrap();
        let written = decode_segment::<Record>(&text, "d:tab1", 0, None).unwrap();
        let (body, digests, _) = packing::decode_split(&text, MAX_SEGMENT_BYTES).unwrap();

        // Digests beyond the last record's, under a checksum that holds.
        let extra = [digests.clone(), vec![7; 32]].concat();
        let (padded, _) = packing::encode_split(&body, &extra);
        let err = decode_segment::<Record>(&padded, "d:tab1", 0, None).err();
        assert!(err.is_some_and(|e| e.contains("digests follow")));

        // The same records in format 3, naming their place: read under
        // c: keys, where format 3 belongs, and refused under d: keys.
        let format_3 = |stem: &str| {
            let mut bytes = vec![FORMAT_BOUND];
            put_u64(&mut bytes, 0);
            put_str(&mut bytes, stem);
            bytes.extend_from_slice(&written.chain_before.unwrap().to_le_bytes());
            for r in &written.records {
                let mut form = Form::inline();
                r.encode(&mut form);
                bytes.extend_from_slice(&form.body);
            }
            packing::encode(&bytes)
        };
        let read = decode_segment::<Record>(&format_3("c:tab1"), "c:tab1", 0, None).unwrap();
        assert_eq!(read.records, written.records);
        let err = decode_segment::<Record>(&format_3("d:tab1"), "d:tab1", 0, None).err();
        assert!(err.is_some_and(|e| e.contains("format")));
    }

    #[test]
    fn a_segment_of_an_unknown_format_is_set_aside() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        kv.set("tally:v1:d:tab1:s:0", &packing::encode(&[7, 1, 2, 3]))
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
            .filter(|k| k.starts_with("tally:v1:d:"))
            .all(|k| k.contains(":tab1:") || k.contains(":tab2:")));
    }

    /// An event of `metric` whose raw text carries `padding` characters
    /// nothing reads, to size segments.
    fn padded(metric: &str, padding: usize) -> String {
        format!(
            r#"{{"client":"c","metric":"{metric}","amount":1,"ts":"2024-01-01","note":"{}"}}"#,
            "x".repeat(padding)
        )
    }

    /// An event whose raw text alone fills a segment, so the next commit
    /// after it opens a new one.
    fn segment_filler() -> String {
        padded("filler", SEGMENT_LIMIT + 100)
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
            .filter(|e| &*e.client_id == "shop")
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
            .filter(|e| &*e.client_id == "shop")
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
            format!(
                r#"{{"client":"c","metric":"{metric}","amount":1,"ts":1700000000,"event_id":"k"}}"#
            )
        };
        let unkeyed_refund = r#"{"client":"c","metric":"refund","amount":1,"ts":1700000000}"#;
        assert_eq!(tab1.submit(&keyed("sale"), now()).label(), "Accepted");
        assert_eq!(tab2.submit(&keyed("refund"), now()).label(), "Accepted");
        assert_eq!(tab2.submit(unkeyed_refund, now()).label(), "Duplicate");
        let merged = copy_of(&kv1);
        for (k, v) in kv2.snapshot() {
            merged.set(&k, &v).expect("merge");
        }
        let reader = open(&merged, "reader");
        let mut metrics: Vec<&str> = reader.state().events().iter().map(|e| &*e.metric).collect();
        metrics.sort();
        // The keyed refund lost its key to the sale (a Conflict); the unkeyed
        // refund is a new event by content, and must be counted.
        assert_eq!(metrics, ["refund", "sale"]);
        let unkeyed = reader
            .state()
            .submissions()
            .iter()
            .find(|s| *s.raw == *unkeyed_refund)
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
            .find(|s| *s.raw == *b)
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

    /// A writer `tab1` with `segments` closed segments and an open one, and
    /// how many events it counted.
    fn closed_segments(kv: &Rc<MemoryKv>, segments: u64) -> usize {
        let mut l = open(kv, "tab1");
        let filler = segment_filler();
        let mut i = 0;
        while kv.get(&head_key("d:tab1")).unwrap().is_none()
            || head_of(kv, "d:tab1").open < segments
        {
            l.submit(
                &filler.replace("\"amount\":1", &format!("\"amount\":{i}")),
                now(),
            );
            i += 1;
        }
        l.state().events().len()
    }

    fn head_of(kv: &MemoryKv, stem: &str) -> Head {
        let text = kv.get(&head_key(stem)).unwrap().expect("a head");
        Head::parse(&text, stem, true).expect("a sealed head")
    }

    #[test]
    fn a_head_changed_by_one_digit_is_set_aside_and_its_segments_reported() {
        let kv = Rc::new(MemoryKv::new());
        let counted = closed_segments(&kv, 2);
        let key = head_key("d:tab1");
        let text = kv.get(&key).unwrap().unwrap();
        // One digit less in the open segment's count: without the seal this
        // silently dropped the last commit.
        let Head {
            open: last, count, ..
        } = head_of(&kv, "d:tab1");
        let damaged = text.replacen(&format!(" {count} "), &format!(" {} ", count - 1), 1);
        assert_ne!(damaged, text);
        kv.set(&key, &damaged).unwrap();
        let reader = open(&kv, "reader");
        let report = reader.journal().report();
        assert_eq!(report.quarantined.len(), 1, "{report:?}");
        assert!(report.quarantined[0].2.contains("fails its seal"));
        // Its segments stay where they are, reported (the first one is what
        // a commit under way would leave, so it is not named).
        let others: Vec<String> = (1..=last).map(|i| segment_key("d:tab1", i)).collect();
        assert_eq!(report.unclaimed, others);
        assert!(kv.get("tally:v1:d:tab1:s:0").unwrap().is_some());
        assert!(counted > 0);
        // The same head copied over another writer's is refused as well.
        let kv = Rc::new(MemoryKv::new());
        closed_segments(&kv, 1);
        open(&kv, "tab2").submit(A, now());
        kv.set(
            &head_key("d:tab2"),
            &kv.get(&head_key("d:tab1")).unwrap().unwrap(),
        )
        .unwrap();
        let report = open(&kv, "reader").journal().report().clone();
        assert_eq!(report.quarantined[0].0, "tally:v1:d:tab2:head");
    }

    #[test]
    fn an_earlier_copy_of_a_closed_segment_is_reported() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        let early = kv.get("tally:v1:d:tab1:s:0").unwrap().unwrap();
        l.submit(B, now());
        l.submit(&segment_filler(), now());
        l.submit(A, now());
        assert!(head_of(&kv, "d:tab1").open > 0);
        assert!(open(&kv, "reader").journal().report().is_clean());
        let counted = open(&kv, "reader").state().events().len();
        kv.set("tally:v1:d:tab1:s:0", &early).unwrap();
        let reader = open(&kv, "reader");
        let report = reader.journal().report();
        assert_eq!(report.quarantined.len(), 1, "{report:?}");
        assert_eq!(report.quarantined[0].0, "tally:v1:d:tab1:s:0");
        assert!(report.messages()[0].contains("earlier copy"));
        // Nothing is read from a copy that is not what was committed: B,
        // only in the segment set aside, is not counted; the later segments
        // still are (the filler, and A again, from its resend).
        assert_eq!(counted, 3);
        assert_eq!(reader.state().events().len(), 2);
        assert!(reader.state().submissions().iter().all(|s| &*s.raw != B));
    }

    #[test]
    fn an_earlier_copy_of_the_open_segment_never_revives_a_failed_commit() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        assert_eq!(l.submit(A, now()).label(), "Accepted");
        // B's commit: its records reach the segment, its head write fails.
        kv.crash_after(3);
        assert!(l.submit(B, now()).is_retryable());
        kv.recover();
        let with_b = kv.get("tally:v1:d:tab1:s:0").unwrap().unwrap();
        // The next commit overwrites B's records; its own commit then fails.
        kv.crash_after(2);
        assert!(l.submit(&event(1), now()).is_retryable());
        kv.recover();
        assert_eq!(open(&kv, "reader").state().events().len(), 1);
        // The segment's value from before is written back: B's records now
        // sit where the head counts committed ones.
        kv.set("tally:v1:d:tab1:s:0", &with_b).unwrap();
        let reader = open(&kv, "reader");
        let report = reader.journal().report();
        assert!(reader.state().events().is_empty(), "B is not counted");
        assert_eq!(report.quarantined.len(), 1, "{report:?}");
        assert!(report.quarantined[0].2.contains("earlier copy"));
    }

    #[test]
    fn a_huge_open_index_costs_one_finding_not_one_per_index() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        kv.set(
            "tally:v1:b:old:s:0",
            &kv.get("tally:v1:d:tab1:s:0").unwrap().unwrap(),
        )
        .unwrap();
        // An earlier version's head (no seal) with digits added.
        kv.set(
            "tally:v1:b:old:head",
            r#"{"open":18446744073709551615,"count":2}"#,
        )
        .unwrap();
        let reader = open(&kv, "reader");
        let report = reader.journal().report();
        assert_eq!(
            report.missing,
            ["tally:v1:b:old:s:1 and the 18446744073709551614 after it"]
        );
        // Segment 0 of c:tab1 copied under b:old names its own place.
        assert!(
            report.quarantined[0].2.contains("segment 0 of d:tab1"),
            "{report:?}"
        );
    }

    #[test]
    fn a_legacy_head_reads_its_two_numbers_and_nothing_else() {
        let head = Head::parse(r#"{"open":3,"count":7}"#, "b:old", false).unwrap();
        assert_eq!((head.open, head.count), (3, 7));
        for (text, why) in [
            (r#"{"open":3,"count":7,"seal":1}"#, "unknown name 'seal'"),
            (r#"{"open":3}"#, "'count' is missing"),
            (r#"{"open":-3,"count":7}"#, "open: the number -3"),
            (r#"{"open":3,"open":4,"count":7}"#, "'open' is given twice"),
        ] {
            let e = Head::parse(text, "b:old", false).unwrap_err();
            assert!(
                e.starts_with("bad head: ") && e.contains(why),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn a_tab_whose_head_vanished_moves_its_old_segments_aside_before_writing() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        let before = kv.get("tally:v1:d:tab1:s:0").unwrap().unwrap();
        kv.remove(&head_key("d:tab1")).unwrap();
        l.journal_mut().refresh().unwrap();
        assert_eq!(l.submit(B, now()).label(), "Accepted");
        let report = l.journal().report();
        assert_eq!(report.quarantined.len(), 1, "{report:?}");
        assert_eq!(kv.get(&report.quarantined[0].1).unwrap(), Some(before));
    }

    #[test]
    fn one_damaged_closed_segment_takes_only_itself_aside() {
        let kv = Rc::new(MemoryKv::new());
        closed_segments(&kv, 3);
        let counted = open(&kv, "reader").state().events().len();
        let key = segment_key("d:tab1", 1);
        let text = kv.get(&key).unwrap().unwrap();
        let damaged: String = text.chars().rev().collect();
        kv.set(&key, &damaged).unwrap();
        let reader = open(&kv, "reader");
        let moved: Vec<&str> = reader
            .journal()
            .report()
            .quarantined
            .iter()
            .map(|q| q.0.as_str())
            .collect();
        assert_eq!(
            moved,
            [key.as_str()],
            "segment 0 before it is still vouched for"
        );
        assert!(reader.state().events().len() < counted);
        assert!(reader.state().submissions().iter().any(|s| s.id.seq == 0));
    }

    #[test]
    fn with_the_open_segment_missing_the_head_still_checks_the_last_closed_one() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        let sized = |n: usize| padded(&format!("m{n}"), n);
        l.submit(A, now());
        l.submit(&sized(SEGMENT_LIMIT / 2), now());
        // B's commit reaches segment 0 but not the head: an earlier copy of
        // segment 0 holding B is what a damaged store could bring back.
        kv.crash_after(3);
        assert!(l.submit(B, now()).is_retryable());
        kv.recover();
        let with_b = kv.get("tally:v1:d:tab1:s:0").unwrap().unwrap();
        // Closes segment 0 and fills the open segment 1.
        l.submit(&sized(SEGMENT_LIMIT * 3 / 5), now());
        assert_eq!(head_of(&kv, "d:tab1").open, 1);
        kv.set("tally:v1:d:tab1:s:0", &with_b).unwrap();
        kv.remove(&segment_key("d:tab1", 1)).unwrap();
        let reader = open(&kv, "reader");
        assert!(
            reader
                .state()
                .events()
                .iter()
                .all(|e| &*e.client_id != "client_B"),
            "B, told Failed, is never counted"
        );
        assert!(!reader.journal().report().is_clean());
    }

    #[test]
    fn a_refresh_after_a_writer_started_over_derives_what_a_reader_does() {
        let kv = Rc::new(MemoryKv::new());
        let mut tab1 = open(&kv, "tab1");
        tab1.submit(A, now());
        let mut tab2 = open(&kv, "tab2");
        assert_eq!(tab2.state().events().len(), 1);
        // Another tab cleared everything; tab1 writes again from segment 0.
        for key in kv.keys().unwrap() {
            kv.remove(&key).unwrap();
        }
        tab1.journal_mut().refresh().unwrap();
        let mut tab1 = open(&kv, "tab1");
        tab1.submit(B, now());
        tab1.submit(&event(1), now());
        tab2.refresh().expect("refresh");
        let reader = open(&kv, "reader");
        assert_eq!(tab2.state().comparable().0, reader.state().comparable().0);
    }

    #[test]
    fn records_that_tie_on_clock_and_time_merge_in_writer_order() {
        // `after` decides whether a refresh appends or derives everything
        // again, so it must order exactly as `merge` does, writer included:
        // a tie on clock and time is broken by the writer's id, either way.
        let record = |writer: &str, clock: u64| Record::Received {
            id: crate::ledger::SubmissionId {
                writer: writer.into(),
                seq: 0,
            },
            at: now(),
            clock,
            raw: "".into(),
        };
        let last = merge_key(&record("b", 5), "c:b");
        assert!(after(&record("c", 5), "c:c", Some(&last)));
        assert!(!after(&record("a", 5), "c:a", Some(&last)));
        assert!(
            !after(&record("b", 5), "c:b", Some(&last)),
            "itself is not after"
        );
        assert!(after(&record("a", 6), "c:a", Some(&last)));
        assert!(!after(&record("c", 4), "c:c", Some(&last)));
        assert!(after(&record("a", 0), "c:a", None));
        let mut raised = Some(last.clone());
        raise(&mut raised, [&record("a", 5)], "c:a");
        assert_eq!(
            raised,
            Some(last.clone()),
            "an earlier record does not lower it"
        );
        raise(&mut raised, [&record("c", 5)], "c:c");
        assert_eq!(raised, Some(merge_key(&record("c", 5), "c:c")));
        // And `merge` agrees: the tie goes to the writer listed first.
        let (a, c) = (record("a", 5), record("c", 5));
        let merged = merge(vec![vec![&a], vec![&c]]);
        assert_eq!(merged, vec![a.clone(), c.clone()]);
    }

    #[test]
    fn a_tab_overwrites_what_its_own_failed_commit_left_without_an_alarm() {
        let kv = Rc::new(MemoryKv::new());
        let mut l = open(&kv, "tab1");
        l.submit(A, now());
        // Its segment-opening commit stops after writing segment 1.
        kv.crash_after(1);
        assert!(l.submit(&segment_filler(), now()).is_retryable());
        kv.recover();
        assert!(kv.get(&segment_key("d:tab1", 1)).unwrap().is_some());
        // A small commit still fits segment 0; then segment 1 opens for real.
        l.submit(B, now());
        l.submit(&segment_filler(), now());
        assert!(head_of(&kv, "d:tab1").open > 0);
        assert!(
            l.journal().report().is_clean(),
            "{:?}",
            l.journal().report()
        );
        assert_eq!(open(&kv, "reader").state().events().len(), 3);
    }
}
