//! The state derived from the journal, and the one function that decides
//! identity.
//!
//! Contract: [`LedgerState`] is a pure function of the records applied to
//! it, in order. [`LedgerState::apply`] re-decides every settled submission
//! from the normalized event its record carries, with the same code that
//! decides a live submission; a live decision is applied to the state under
//! an undo log and taken back if its write fails. See the ledger's contract
//! for the identity rule.

use super::outcome::{Kind, Status};
use super::records::{Event, Record, SubmissionId, Verdict};
use crate::pipeline::amount::Amount;
use crate::pipeline::fingerprint::{self, Fingerprint};
use crate::pipeline::json::Json;
use crate::pipeline::normalize::{FieldError, Rejection};
use crate::pipeline::{jcs, json};
use chrono::{DateTime, Utc};
use std::sync::Arc;
// Keys are SHA-256 digests and tab-issued submission ids, nothing a
// stranger can aim at one bucket, so the indexes hash with rustc's Fx hash
// instead of SipHash: a reload inserts every submission and event into them.
use rustc_hash::FxHashMap as HashMap;

/// One entry of the raw log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The submission's identity.
    pub id: SubmissionId,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The payload text exactly as received (shared with its record).
    pub raw: Arc<str>,
    /// What became of it, as derived from the whole journal now.
    pub status: Status,
    /// What its client was told, when that differs from `status`: another
    /// tab's records, merged in before it, changed the answer.
    pub told: Option<Kind>,
}

/// One change to the derived state, kept while a live decision may still
/// be undone because its write failed.
#[derive(Debug)]
enum Undo {
    /// A submission's status and told answer before the decision.
    Status(usize, Status, Option<Kind>),
    /// An event was committed at this index.
    Committed(usize),
    /// A key claimed the unkeyed event at this index, which had this id.
    Claimed(usize, Fingerprint),
    /// A payload (by [`Fingerprint::first_64_bits`]) was first attributed to an event.
    Sent(u64),
    /// A payload whose key another payload has was attributed to an event.
    SentAside(u64),
    /// A payload's entry took this submission's spelling; it had this one.
    Respelled(Slot, u32),
}

/// The figures every view shows (submissions by status, answers revised,
/// the committed events' total), kept as the state changes instead of
/// counted from the whole history each time: every view shows them after
/// every commit, and with 50,000 stored, two passes over the history made a
/// submit take twice as long as with none (issue 12). The report's
/// `Glance::recount` derives them from scratch; the model and convergence
/// tests hold the two equal through faults, undone decisions and merges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Submissions by the kind of their status, in [`Figures::slot`]'s order.
    by_status: [u64; 5],
    /// Submissions whose answer a merge of tabs' records revised.
    revised: u64,
    /// The committed events' amounts in nano-units, added and taken back
    /// with wrapping arithmetic, so that an undone commit subtracts exactly
    /// what it added in any order. The true sum always fits: an amount is at
    /// most 10^27 nano-units, and 1.7 × 10^11 events (terabytes of memory)
    /// would be needed to leave i128's range, so the wrapped sum is exact.
    total: i128,
}

impl Figures {
    /// How many submissions have a status of this kind (none is `Failed`,
    /// an answer only).
    pub fn submissions(&self, kind: Kind) -> u64 {
        Figures::slot(kind).map_or(0, |i| self.by_status[i])
    }

    /// How many submissions' answers a merge revised.
    pub fn revised(&self) -> u64 {
        self.revised
    }

    /// The exact total of the committed events' amounts.
    pub fn total(&self) -> Amount {
        Amount::from_nanos(self.total)
    }

    fn slot(kind: Kind) -> Option<usize> {
        match kind {
            Kind::Accepted => Some(0),
            Kind::Duplicate => Some(1),
            Kind::Rejected => Some(2),
            Kind::Conflict => Some(3),
            Kind::Interrupted => Some(4),
            Kind::Failed => None,
        }
    }

    /// Counts a submission in its status's figures.
    fn enter(&mut self, submission: &Submission) {
        self.change(submission, u64::wrapping_add);
    }

    /// Takes a submission out of its status's figures (before it changes).
    fn leave(&mut self, submission: &Submission) {
        self.change(submission, u64::wrapping_sub);
    }

    fn change(&mut self, submission: &Submission, by_one: fn(u64, u64) -> u64) {
        if let Some(i) = Figures::slot(submission.status.kind()) {
            self.by_status[i] = by_one(self.by_status[i], 1);
        }
        if submission.told.is_some() {
            self.revised = by_one(self.revised, 1);
        }
    }

    /// Adds a committed event's amount to the total.
    fn commit(&mut self, event: &Event) {
        self.total = self.total.wrapping_add(event.amount.nanos());
    }

    /// Takes an undone commit's amount back out of the total.
    fn uncommit(&mut self, event: &Event) {
        self.total = self.total.wrapping_sub(event.amount.nanos());
    }
}

/// Everything derived from the journal. Rebuilt by replay at start-up and
/// extended by [`LedgerState::apply`] as records arrive.
#[derive(Debug, Default)]
pub struct LedgerState {
    submissions: Vec<Submission>,
    pub(super) by_submission: HashMap<SubmissionId, usize>,
    /// Shared with the records that carry them: a reload copies no event.
    /// A claim changes the state's copy only (copy on write).
    pub(super) events: Vec<Arc<Event>>,
    /// Every id an event has had (its own, and its content id before a key
    /// claimed it), so earlier verdicts' references keep resolving.
    by_event: HashMap<Fingerprint, usize>,
    /// The first committed event with each content.
    by_content: HashMap<Fingerprint, usize>,
    /// Which submission's key claimed the event at an index, and that
    /// submission's raw fingerprint: only it says it claimed the event, and a
    /// resend of its exact payload is an exact resend.
    claims: HashMap<usize, (SubmissionId, Fingerprint)>,
    /// The committed event sent without a key that no key has claimed yet,
    /// per content (there is at most one: another would be its duplicate).
    unkeyed: HashMap<Fingerprint, usize>,
    /// The event each payload (by [`Fingerprint::first_64_bits`]) was counted as or found a
    /// duplicate of, first in journal order, and the submission that sent
    /// it. The same payload sent again is that event again, even if the
    /// rules now read it as another (an outside review: a lost
    /// acknowledgement retried after a rules change was counted twice).
    /// Indexes of 32 bits and a key of 64 keep it small: a reload builds it
    /// for every submission, and as large as the other indexes it made a
    /// reload 10% slower. The texts decide a match, not the key.
    by_raw: HashMap<u64, (u32, u32)>,
    /// Further payloads whose key another payload already has (their
    /// numbers differ only beyond what a double holds, or 64 bits of two
    /// digests agree): rare, so a list, read only when the key is found.
    /// Each with a hash of its exact form ([`exact_key`]), so that a key
    /// with many payloads (a client sending 17-digit numbers) costs a
    /// comparison of hashes per payload, not a parse (an outside review:
    /// 8,000 payloads under one key took a minute to reload).
    raw_aside: HashMap<u64, Vec<(u32, u32, u64)>>,
    /// Records that referred to submissions never received; counted so the
    /// UI can report damaged storage instead of hiding it.
    orphans: usize,
    /// The largest Lamport clock of any record applied.
    pub(super) clock: u64,
    /// What every view shows, kept as the rest changes.
    figures: Figures,
    /// While a live decision is pending: how to take it back.
    undo: Option<Vec<Undo>>,
}

impl Clone for LedgerState {
    fn clone(&self) -> LedgerState {
        LedgerState {
            submissions: self.submissions.clone(),
            by_submission: self.by_submission.clone(),
            events: self.events.clone(),
            by_event: self.by_event.clone(),
            by_content: self.by_content.clone(),
            unkeyed: self.unkeyed.clone(),
            by_raw: self.by_raw.clone(),
            raw_aside: self.raw_aside.clone(),
            claims: self.claims.clone(),
            orphans: self.orphans,
            clock: self.clock,
            figures: self.figures,
            undo: None,
        }
    }
}

impl LedgerState {
    /// Derives the state from records in journal order.
    pub fn replay<'a>(records: impl IntoIterator<Item = &'a Record>) -> LedgerState {
        LedgerState::replay_owned(records.into_iter().cloned())
    }

    /// Derives the state from owned records, moving their text instead of
    /// copying it (start-up replays the whole journal this way).
    pub fn replay_owned(records: impl IntoIterator<Item = Record>) -> LedgerState {
        let records = records.into_iter();
        let mut state = LedgerState::default();
        // A submission is two records: sized once, its indexes are not
        // rebuilt again and again as a reload fills them.
        let submissions = records.size_hint().0 / 2;
        state.submissions.reserve(submissions);
        state.by_submission.reserve(submissions);
        state.by_raw.reserve(submissions);
        // At most one event per submission; growing these step by step was
        // 1.5% of a reload with 50,000 stored.
        state.events.reserve(submissions);
        state.by_event.reserve(submissions);
        state.by_content.reserve(submissions);
        for r in records {
            state.apply_owned(r);
        }
        state
    }

    /// Applies one record. Idempotent for commits: an event id seen before
    /// is recorded as a duplicate, never counted again.
    pub fn apply(&mut self, record: &Record) {
        self.apply_owned(record.clone());
    }

    pub(super) fn apply_owned(&mut self, record: Record) {
        let (clock, _) = record.order_key();
        self.clock = self.clock.max(clock);
        match record {
            Record::Received { id, at, raw, .. } => {
                if let Some(&index) = self.by_submission.get(&id) {
                    // Versions before 2 could reuse the number of a submission
                    // whose write failed and leave that write's record in a
                    // closed segment; the later record with the number is
                    // the real one, as long as nothing settled the first.
                    let earlier = &mut self.submissions[index];
                    if earlier.status == Status::Interrupted {
                        earlier.raw = raw;
                        earlier.received_at = at;
                    }
                    return;
                }
                self.by_submission
                    .insert(id.clone(), self.submissions.len());
                let submission = Submission {
                    id,
                    received_at: at,
                    raw,
                    status: Status::Interrupted,
                    told: None,
                };
                self.figures.enter(&submission);
                self.submissions.push(submission);
            }
            Record::Settled { id, verdict, .. } => {
                let Some(&index) = self.by_submission.get(&id) else {
                    self.orphans += 1;
                    return;
                };
                if self.submissions[index].status != Status::Interrupted {
                    return; // settled already: a record seen twice
                }
                let told = verdict.told();
                let status = match verdict {
                    Verdict::Accepted { event } => self.decide(event, index),
                    Verdict::Duplicate {
                        candidate: Some(event),
                        ..
                    }
                    | Verdict::Conflict {
                        candidate: Some(event),
                        ..
                    } => self.decide(event, index),
                    // A payload its rules refused, a duplicate because it
                    // was counted before: the event that payload is in this
                    // order of the records, which a merge or a restore may
                    // have changed (an outside review found one naming an
                    // event no longer counted). Older records' reshaped
                    // duplicates carried no event either: as recorded.
                    Verdict::Duplicate {
                        of, exact_resend, ..
                    } => match self.counted_before(index, None) {
                        Some(of) => Status::Duplicate {
                            of,
                            exact_resend: true,
                        },
                        None if !exact_resend => Status::Duplicate { of, exact_resend },
                        // Nothing counted holds the payload now (its first
                        // copy became a conflict, or its record is gone):
                        // refused, as a fresh tab would answer it (a second
                        // outside review), its reasons never recorded.
                        None => Status::Rejected {
                            rejection: refused_unrecorded(),
                        },
                    },
                    Verdict::Conflict { key, existing, .. } => Status::Conflict { key, existing },
                    // Refused by its rules, but counted before in this order
                    // of the records (a merge or a restore put the counted
                    // copy first): that event, as a live decision in this
                    // order answers (two outside reviews' models). Only an
                    // object can have been counted.
                    Verdict::Rejected {
                        rejection: rejection @ Rejection::Fields { .. },
                    } => match self.counted_before(index, None) {
                        Some(of) => Status::Duplicate {
                            of,
                            exact_resend: true,
                        },
                        None => Status::Rejected { rejection },
                    },
                    Verdict::Rejected { rejection } => Status::Rejected { rejection },
                };
                self.set_status(index, status, told);
            }
        }
    }

    pub(super) fn set_status(&mut self, index: usize, status: Status, told: Kind) {
        let submission = &mut self.submissions[index];
        if let Some(undo) = &mut self.undo {
            undo.push(Undo::Status(
                index,
                submission.status.clone(),
                submission.told,
            ));
        }
        self.figures.leave(submission);
        submission.told = (status.kind() != told).then_some(told);
        submission.status = status;
        self.figures.enter(submission);
    }

    /// Decides one normalized event, sent by the submission at `sent`,
    /// against everything counted so far and counts it if it is new: the
    /// one place where identity is decided.
    pub(super) fn decide(&mut self, candidate: Arc<Event>, sent: usize) -> Status {
        let raw = candidate.raw_fingerprint.first_64_bits();
        if let Some((of, respelled)) = self.sent_before(raw, sent) {
            // Told apart by parsing: the entry takes this spelling, so that
            // resends of it compare as texts. A 64 KB first spelling and
            // thousands of short resends made a reload parse 64 KB each
            // time (an outside review: 970 ms).
            if let Some(slot) = respelled {
                if let Some(earlier) = self.spelling(slot) {
                    let old = std::mem::replace(earlier, sent as u32);
                    if let Some(undo) = &mut self.undo {
                        undo.push(Undo::Respelled(slot, old));
                    }
                }
            }
            return Status::Duplicate {
                of,
                exact_resend: true,
            };
        }
        let status = self.decide_content(candidate);
        let index = match &status {
            Status::Accepted { .. } => Some(self.events.len() - 1),
            Status::Duplicate { of, .. } => self.by_event.get(of).copied(),
            _ => None,
        };
        if let Some(index) = index {
            let entry = (index as u32, sent as u32);
            // Not sent before (above): a new payload, also when another
            // payload has its key (an outside review: remembering only the
            // first, the second was counted again after a rules change).
            let undo = match self.by_raw.entry(raw) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(entry);
                    Undo::Sent(raw)
                }
                std::collections::hash_map::Entry::Occupied(_) => {
                    let exact =
                        json::parse(&self.submissions[sent].raw).map_or(0, |v| exact_key(&v));
                    let aside = self.raw_aside.entry(raw).or_default();
                    aside.push((entry.0, entry.1, exact));
                    Undo::SentAside(raw)
                }
            };
            if let Some(log) = &mut self.undo {
                log.push(undo);
            }
        }
        status
    }

    /// Where the submission whose spelling an entry keeps is written.
    fn spelling(&mut self, slot: Slot) -> Option<&mut u32> {
        match slot {
            Slot::First(key) => self.by_raw.get_mut(&key).map(|entry| &mut entry.1),
            Slot::Aside(key, at) => self
                .raw_aside
                .get_mut(&key)
                .and_then(|aside| aside.get_mut(at))
                .map(|entry| &mut entry.1),
        }
    }

    /// The id of the event the payload of the submission at `sent` (whose
    /// raw fingerprint has the key `raw`) was counted as or found a
    /// duplicate of before, if it was: the same payload is that event
    /// again, whatever today's rules read in it. With it, the entry that
    /// matched if only parsing told them alike.
    fn sent_before(&self, raw: u64, sent: usize) -> Option<(Fingerprint, Option<Slot>)> {
        let id = |event: u32| self.events[event as usize].event_id.clone();
        let text = &self.submissions[sent].raw;
        let &(event, earlier) = self.by_raw.get(&raw)?;
        // Equal keys may be another payload: 64 bits of a digest, and a
        // digest of numbers read as doubles (9007199254740993 is ...992 to
        // RFC 8785). Equal texts settle it; else the payloads are compared
        // with their numbers exact.
        let first = &self.submissions[earlier as usize].raw;
        if first == text {
            return Some((id(event), None));
        }
        let mine = json::parse(text).ok()?;
        let same = |earlier: u32| {
            json::parse(&self.submissions[earlier as usize].raw)
                .is_ok_and(|other| jcs::same_payload(&mine, &other))
        };
        if same(earlier) {
            return Some((id(event), Some(Slot::First(raw))));
        }
        let aside = self.raw_aside.get(&raw)?;
        let exact = exact_key(&mine);
        aside
            .iter()
            .enumerate()
            .find(|&(_, &(_, earlier, key))| {
                key == exact && (self.submissions[earlier as usize].raw == *text || same(earlier))
            })
            .map(|(at, &(event, ..))| (id(event), Some(Slot::Aside(raw, at))))
    }

    /// The event the payload of the submission at `sent` was counted as
    /// before it, found by its raw fingerprint (see [`Self::sent_before`]):
    /// what a payload its rules refuse is, live and at replay alike.
    /// `parsed` is its text's JSON if the caller has it.
    pub(super) fn counted_before(&self, sent: usize, parsed: Option<&Json>) -> Option<Fingerprint> {
        if self.by_raw.is_empty() {
            return None; // nothing counted: no payload to fingerprint
        }
        let raw = &self.submissions[sent].raw;
        let owned;
        let value = match parsed {
            Some(value) => value,
            None => {
                owned = json::parse(raw).ok()?;
                &owned
            }
        };
        let key = fingerprint::raw_fingerprint(raw, Some(value)).first_64_bits();
        self.sent_before(key, sent).map(|(of, _)| of)
    }

    fn decide_content(&mut self, candidate: Arc<Event>) -> Status {
        let claims = &self.claims;
        let duplicate_of = |i: usize, existing: &Event| Status::Duplicate {
            of: existing.event_id.clone(),
            exact_resend: existing.raw_fingerprint == candidate.raw_fingerprint
                || claims
                    .get(&i)
                    .is_some_and(|(_, raw)| *raw == candidate.raw_fingerprint),
        };
        match &candidate.idempotency_key {
            Some(key) => {
                if let Some(&i) = self.by_event.get(&candidate.event_id) {
                    let existing = &self.events[i];
                    return if existing.content_id == candidate.content_id {
                        duplicate_of(i, existing)
                    } else {
                        Status::Conflict {
                            key: key.clone(),
                            existing: existing.event_id.clone(),
                        }
                    };
                }
                if let Some(&i) = self.unkeyed.get(&candidate.content_id) {
                    // The same event, sent earlier without its key: the key
                    // now names it, so it is not counted a second time.
                    let status = duplicate_of(i, &self.events[i]);
                    let former = self.claim(i, &candidate);
                    if let Some(undo) = &mut self.undo {
                        undo.push(Undo::Claimed(i, former));
                    }
                    return match status {
                        Status::Duplicate { exact_resend, .. } => Status::Duplicate {
                            of: candidate.event_id.clone(),
                            exact_resend,
                        },
                        other => other,
                    };
                }
            }
            None => {
                if let Some(&i) = self.by_content.get(&candidate.content_id) {
                    return duplicate_of(i, &self.events[i]);
                }
            }
        }
        self.commit(candidate)
    }

    /// Counts a new event.
    fn commit(&mut self, event: Arc<Event>) -> Status {
        let index = self.events.len();
        let event_id = event.event_id.clone();
        self.by_event.insert(event_id.clone(), index);
        self.by_content
            .entry(event.content_id.clone())
            .or_insert(index);
        if event.idempotency_key.is_none() {
            self.unkeyed.insert(event.content_id.clone(), index);
        }
        self.figures.commit(&event);
        self.events.push(event);
        if let Some(undo) = &mut self.undo {
            undo.push(Undo::Committed(index));
        }
        Status::Accepted { event_id }
    }

    /// Gives the unkeyed event at `index` the key of `claimant`; returns the
    /// id it had.
    fn claim(&mut self, index: usize, claimant: &Event) -> Fingerprint {
        let event = Arc::make_mut(&mut self.events[index]);
        let former = std::mem::replace(&mut event.event_id, claimant.event_id.clone());
        event.idempotency_key = claimant.idempotency_key.clone();
        self.by_event.insert(claimant.event_id.clone(), index);
        self.unkeyed.remove(&claimant.content_id);
        self.claims.insert(
            index,
            (
                claimant.submission.clone(),
                claimant.raw_fingerprint.clone(),
            ),
        );
        former
    }

    /// Starts a live decision that [`LedgerState::undo`] can take back.
    pub(super) fn begin(&mut self) {
        self.undo = Some(Vec::new());
    }

    /// Keeps what was decided since [`LedgerState::begin`].
    pub(super) fn keep(&mut self) {
        self.undo = None;
    }

    /// Takes back everything decided since [`LedgerState::begin`].
    pub(super) fn undo(&mut self) {
        let Some(log) = self.undo.take() else { return };
        for change in log.into_iter().rev() {
            match change {
                Undo::Status(index, status, told) => {
                    let submission = &mut self.submissions[index];
                    self.figures.leave(submission);
                    submission.status = status;
                    submission.told = told;
                    self.figures.enter(submission);
                }
                Undo::Committed(index) => {
                    let Some(event) = self.events.pop() else {
                        continue;
                    };
                    debug_assert_eq!(self.events.len(), index);
                    self.figures.uncommit(&event);
                    self.by_event.remove(&event.event_id);
                    if self.by_content.get(&event.content_id) == Some(&index) {
                        self.by_content.remove(&event.content_id);
                    }
                    if self.unkeyed.get(&event.content_id) == Some(&index) {
                        self.unkeyed.remove(&event.content_id);
                    }
                }
                Undo::Sent(raw) => {
                    self.by_raw.remove(&raw);
                }
                Undo::SentAside(raw) => {
                    if let Some(aside) = self.raw_aside.get_mut(&raw) {
                        aside.pop();
                        if aside.is_empty() {
                            self.raw_aside.remove(&raw);
                        }
                    }
                }
                Undo::Respelled(slot, old) => {
                    if let Some(earlier) = self.spelling(slot) {
                        *earlier = old;
                    }
                }
                Undo::Claimed(index, former) => {
                    let event = Arc::make_mut(&mut self.events[index]);
                    let key_id = std::mem::replace(&mut event.event_id, former);
                    event.idempotency_key = None;
                    self.by_event.remove(&key_id);
                    self.unkeyed.insert(event.content_id.clone(), index);
                    self.claims.remove(&index);
                }
            }
        }
    }

    /// The committed events, in commit order.
    pub fn events(&self) -> &[Arc<Event>] {
        &self.events
    }

    /// The committed event with this id (or an id it had before a key
    /// claimed it).
    pub fn event(&self, id: &Fingerprint) -> Option<&Event> {
        self.by_event.get(id).map(|&i| &*self.events[i])
    }

    /// The id `event` had before an idempotency key claimed it (its content
    /// id, as it was sent first without a key), or `None` if no key did.
    pub fn claimed_from<'a>(&self, event: &'a Event) -> Option<&'a Fingerprint> {
        let index = self.by_event.get(&event.event_id)?;
        (event.idempotency_key.is_some() && self.claims.contains_key(index))
            .then_some(&event.content_id)
    }

    /// The submission whose idempotency key claimed `event`, if a key did.
    pub fn claimed_by(&self, event: &Event) -> Option<&SubmissionId> {
        let index = self.by_event.get(&event.event_id)?;
        self.claims.get(index).map(|(by, _)| by)
    }

    /// Every submission ever received, in order: the audit trail.
    pub fn submissions(&self) -> &[Submission] {
        &self.submissions
    }

    /// The submission with this id.
    pub fn submission(&self, id: &SubmissionId) -> Option<&Submission> {
        self.by_submission.get(id).map(|&i| &self.submissions[i])
    }

    /// The figures every view shows, kept as the state changes.
    pub fn figures(&self) -> &Figures {
        &self.figures
    }

    /// How many records referred to submissions that were never received.
    pub fn orphans(&self) -> usize {
        self.orphans
    }

    /// Everything derived that every tab must agree on once it sees every
    /// record, as sorted text: the committed events (id, client, metric,
    /// amount) and every submission's status and revision. Two states
    /// converged exactly when these are equal.
    pub fn comparable(&self) -> (Vec<String>, Vec<String>) {
        let mut events: Vec<String> = self
            .events
            .iter()
            .map(|e| format!("{} {} {} {}", e.event_id, e.client_id, e.metric, e.amount))
            .collect();
        crate::order::sort(&mut events);
        let mut statuses: Vec<String> = self
            .submissions
            .iter()
            .map(|s| format!("{} {:?} {:?}", s.id, s.status, s.told))
            .collect();
        crate::order::sort(&mut statuses);
        (events, statuses)
    }

    /// The largest Lamport clock applied; new records take the next one.
    pub fn clock(&self) -> u64 {
        self.clock
    }
}

/// Where a payload's entry is: the index's own for its key, or the n-th
/// set aside.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    First(u64),
    Aside(u64, usize),
}

/// A hash of a payload's exact form ([`jcs::exact_form`]): equal for the
/// same payload in any spelling, and for another only by chance (then the
/// payloads are compared in full).
fn exact_key(value: &json::Json) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    jcs::exact_form(value).hash(&mut hasher);
    hasher.finish()
}

/// Why a payload answered as a resend of one counted before is refused
/// once nothing counted holds that payload: its rules refused it, and why
/// was not recorded, since it was answered as that event.
fn refused_unrecorded() -> Rejection {
    Rejection::Fields {
        errors: vec![FieldError {
            field: None,
            path: None,
            found: None,
            reason: "refused by the mapping rules it was sent under (why was not recorded: it was answered as a resend of a payload counted before, which the history as merged now does not count)".into(),
        }],
    }
}
