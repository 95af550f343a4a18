//! The ledger: receive, decide, commit, and derive everything from one log.
//!
//! Contract:
//! - The only durable truth is a sequence of [`Record`]s in a [`Journal`]:
//!   `Received` (the raw submission, written first) and `Settled` (its
//!   verdict, with the normalized event it was about; for an accepted event,
//!   the commit itself). Everything else (processed list, dedup index,
//!   statuses, aggregates) is derived from those records by
//!   [`LedgerState::apply`], so it cannot disagree with them.
//! - **One decision function.** A live submission is decided by the same
//!   [`LedgerState`] code that replay runs, applied to the live state and
//!   undone if its write fails. What a client is told is therefore exactly
//!   what replay derives at that point of the journal.
//! - **Re-decided on merge.** Replay re-decides every settled submission
//!   from its normalized event instead of trusting the verdict recorded
//!   with it, so when another tab's records merge in earlier, an answer that
//!   no longer holds is revised deterministically (and marked as revised:
//!   [`Submission::told`]), and nothing can end up attached to an event that
//!   is not counted.
//! - **Identity.** An unkeyed event's identity is its content; a keyed
//!   event's is (client, key). An unkeyed submission duplicates any counted
//!   event with its content. A keyed submission whose key is new *claims* a
//!   counted unkeyed event with its content, if there is one (it was the same
//!   event, sent earlier without its key), and is otherwise a new event. So
//!   the events of one content number max(distinct keys, 1 if any submission
//!   had no key), whatever the order; only one key sent with different
//!   contents depends on order (the first in merge order holds the key; the
//!   rest are Conflicts).
//! - **Order.** Every record carries a Lamport clock: one more than the
//!   largest the writer has seen. Journals merge writers by (clock, time,
//!   writer), so a tab that had seen another's commit orders after it,
//!   whatever its wall clock says.
//! - **No stale decisions.** Before deciding, a ledger catches up with what
//!   other writers committed ([`Journal::refresh`]); cross-tab serialization
//!   is the browser's job (Web Locks), and replay stays the safety net.
//! - A failed append changes nothing: a failed write is undone in memory,
//!   the caller gets [`Outcome::Failed`], which is always safe to retry, and
//!   a submission number is never used twice, even after a failure.
//! - Simulated failures come from a [`FaultPlan`] at three points of a
//!   request; processing is otherwise deterministic given the rules and the
//!   clock value passed in.

use crate::amount::Amount;
use crate::fault::{FaultPlan, FaultPoint};
use crate::fingerprint::{self, Fingerprint};
use crate::json;
use crate::normalize::{self, Normalized, Provenance, Rejection};
use crate::rules::Rules;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// The most events one ledger holds. It bounds every sum: 10⁷ events of at
/// most 10¹⁸ units, in nano-units, stay far below `i128::MAX`.
pub const MAX_EVENTS: usize = 10_000_000;

/// Which writer received a submission, and its number there. Writers are
/// browser tabs; numbering per writer lets tabs append without coordination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubmissionId {
    /// The tab (page load) that received the submission.
    pub writer: String,
    /// The submission's number within that writer, from 0.
    pub seq: u64,
}

impl fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.writer, self.seq)
    }
}

/// A committed canonical event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The identity the ledger deduplicates on (see [`fingerprint::event_id`]).
    pub event_id: Fingerprint,
    /// The content fingerprint, kept to detect idempotency-key conflicts.
    pub content_id: Fingerprint,
    /// The fingerprint of the raw payload, to tell exact resends.
    pub raw_fingerprint: Fingerprint,
    /// The canonical client id.
    pub client_id: String,
    /// The canonical metric name.
    pub metric: String,
    #[serde(with = "amount_text")]
    /// The exact amount.
    pub amount: Amount,
    /// When the event happened, in UTC.
    pub timestamp: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The client's own identity for the event, if it sent one.
    pub idempotency_key: Option<String>,
    /// When Tally committed it.
    pub ingested_at: DateTime<Utc>,
    /// The submission that carried it; its raw text is in the raw log.
    pub submission: SubmissionId,
}

/// Amounts are stored as their canonical decimal text: readable in an export
/// and never a float.
mod amount_text {
    use crate::amount::Amount;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &Amount, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(a)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let text = String::deserialize(d)?;
        Amount::from_text(&text).map_err(serde::de::Error::custom)
    }
}

/// What the ledger decided about one submission, as recorded when it was
/// decided. Replay re-decides from the event it carries; records written by
/// versions before candidates were kept (no `candidate`) are taken as
/// recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Committed as a new event.
    Accepted {
        /// The event, with its identity.
        event: Event,
    },
    /// Already committed.
    Duplicate {
        /// The event it duplicates.
        of: Fingerprint,
        /// Whether the payload was the same JSON (RFC 8785).
        exact_resend: bool,
        /// The submission's own normalized event, to re-decide it on merge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        candidate: Option<Box<Event>>,
    },
    /// Not normalizable.
    Rejected {
        /// Every reason, field by field.
        rejection: Rejection,
    },
    /// The idempotency key belongs to an event whose content differs.
    Conflict {
        /// The reused key.
        key: String,
        /// The event that holds it.
        existing: Fingerprint,
        /// The submission's own normalized event, to re-decide it on merge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        candidate: Option<Box<Event>>,
    },
}

impl Verdict {
    /// What the client was told, as a kind.
    fn told(&self) -> Told {
        match self {
            Verdict::Accepted { .. } => Told::Accepted,
            Verdict::Duplicate { .. } => Told::Duplicate,
            Verdict::Rejected { .. } => Told::Rejected,
            Verdict::Conflict { .. } => Told::Conflict,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One durable record. The journal is a sequence of these and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// A submission exactly as received, written before any decision.
    Received {
        /// The submission's identity.
        id: SubmissionId,
        /// When it was received.
        at: DateTime<Utc>,
        /// The writer's Lamport clock (0 in records of older versions).
        #[serde(default, skip_serializing_if = "is_zero")]
        clock: u64,
        /// The payload text exactly as received.
        raw: String,
    },
    /// The verdict on a received submission; for `Accepted`, the commit.
    Settled {
        /// The submission this settles.
        id: SubmissionId,
        /// When it was settled.
        at: DateTime<Utc>,
        /// The writer's Lamport clock (0 in records of older versions).
        #[serde(default, skip_serializing_if = "is_zero")]
        clock: u64,
        /// The decision.
        verdict: Verdict,
    },
}

impl Record {
    /// The record's place in the merge of several writers: Lamport clock,
    /// then wall-clock time (the writer breaks remaining ties).
    pub fn order_key(&self) -> (u64, DateTime<Utc>) {
        match self {
            Record::Received { clock, at, .. } | Record::Settled { clock, at, .. } => (*clock, *at),
        }
    }
}

/// Why storage could not write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoreError {
    /// The browser's storage quota is exhausted.
    Full {
        /// UTF-16 code units of Tally's keys and values, as localStorage counts.
        used_units: u64,
    },
    /// Storage refused or is unavailable for another reason, which `message` gives.
    Unavailable {
        /// What the browser or the store said.
        message: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Full { used_units } => write!(
                f,
                "browser storage is full ({used_units} of about {} characters used); export a backup, then clear data to make room",
                crate::kv::BROWSER_QUOTA_UNITS
            ),
            StoreError::Unavailable { message } => write!(f, "storage is unavailable: {message}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// What other writers added since the journal last handed out records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// Nothing new.
    Unchanged,
    /// New records that all order after everything handed out before:
    /// applying them to the current state gives the state of a full replay.
    Appended(Vec<Record>),
    /// New records that order among those handed out before: the state must
    /// be derived again from this, the whole merged journal.
    Reordered(Vec<Record>),
}

/// Durable, append-only storage of records.
pub trait Journal {
    /// Appends `records` atomically: afterwards, and after any crash, either
    /// all of them are stored or none is.
    fn append(&mut self, records: &[Record]) -> Result<(), StoreError>;

    /// Every stored record, in the order to replay them. Takes `&mut self`
    /// because a shared store may have to re-read what other writers added.
    fn records(&mut self) -> Result<Vec<Record>, StoreError>;

    /// What other writers appended since the last [`Journal::records`],
    /// [`Journal::append`] or refresh. A journal with one writer has nothing.
    fn refresh(&mut self) -> Result<Refresh, StoreError> {
        Ok(Refresh::Unchanged)
    }
}

/// An in-memory journal: the reference implementation, used natively and in
/// tests. `fail_after` makes one append fail like a real store would.
#[derive(Debug, Clone, Default)]
pub struct MemoryJournal {
    /// Every appended record, in order.
    pub records: Vec<Record>,
    /// `Some(n)`: let `n` more appends through, then fail the next one with
    /// [`StoreError::Unavailable`] (`Some(0)` fails the very next append).
    pub fail_after: Option<usize>,
}

impl Journal for MemoryJournal {
    fn append(&mut self, records: &[Record]) -> Result<(), StoreError> {
        match self.fail_after {
            Some(0) => {
                self.fail_after = None;
                return Err(StoreError::Unavailable {
                    message: "injected storage failure".into(),
                });
            }
            Some(n) => self.fail_after = Some(n - 1),
            None => {}
        }
        self.records.extend_from_slice(records);
        Ok(())
    }

    fn records(&mut self) -> Result<Vec<Record>, StoreError> {
        Ok(self.records.clone())
    }
}

/// Why a submission ended as [`Outcome::Failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The fault plan failed the request at this point.
    Simulated(FaultPoint),
    /// Real storage refused the write.
    Storage(StoreError),
    /// Other tabs' commits could not be read, so nothing was decided.
    CatchUp(StoreError),
    /// The ledger holds [`MAX_EVENTS`] events.
    LedgerFull,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Simulated(FaultPoint::LostAck) => write!(
                f,
                "simulated database failure: the acknowledgement was lost after the commit; retrying is safe and will report a duplicate"
            ),
            Failure::Simulated(point) => {
                write!(f, "simulated database failure {point}; nothing was committed, retrying is safe")
            }
            Failure::Storage(e) => write!(f, "{e}; nothing was committed, retrying is safe"),
            Failure::CatchUp(e) => write!(
                f,
                "other tabs' commits could not be read ({e}); nothing was decided, retrying is safe"
            ),
            Failure::LedgerFull => write!(f, "the ledger holds its maximum of {MAX_EVENTS} events"),
        }
    }
}

/// The answer to one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new event was committed.
    Accepted {
        /// The committed event.
        event: Event,
        /// How each field was found.
        provenance: Vec<Provenance>,
    },
    /// Already committed: an idempotent success naming the original.
    Duplicate {
        /// The event committed earlier.
        original: Event,
        /// True when the payload is the same JSON (RFC 8785), false when it is
        /// the same event in another shape.
        exact_resend: bool,
        /// How each field of this submission was found.
        provenance: Vec<Provenance>,
    },
    /// Cannot be normalized; every reason is listed.
    Rejected {
        /// Every reason, field by field.
        rejection: Rejection,
    },
    /// Storage did not complete the request; retrying is safe.
    Failed {
        /// What failed; nothing was committed unless it was a lost acknowledgement.
        failure: Failure,
    },
    /// The idempotency key was used before for different content.
    Conflict {
        /// The reused key.
        key: String,
        /// The event that already holds it.
        existing: Event,
    },
}

impl Outcome {
    /// The outcome's name as users see it.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Accepted { .. } => "Accepted",
            Outcome::Duplicate { .. } => "Duplicate",
            Outcome::Rejected { .. } => "Rejected",
            Outcome::Failed { .. } => "Failed",
            Outcome::Conflict { .. } => "Conflict",
        }
    }

    /// Whether the client should retry (only failures are retryable).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }
}

/// The derived status of a submission in the raw log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Received but never settled: the request was interrupted mid-way.
    Interrupted,
    /// Committed as a new event.
    Accepted {
        /// The committed event's id.
        event_id: Fingerprint,
    },
    /// Already committed.
    Duplicate {
        /// The event it duplicates.
        of: Fingerprint,
        /// Whether the payload was the same JSON.
        exact_resend: bool,
    },
    /// Refused.
    Rejected {
        /// Every reason.
        rejection: Rejection,
    },
    /// The idempotency key was already used for other content.
    Conflict {
        /// The reused key.
        key: String,
        /// The event that holds it.
        existing: Fingerprint,
    },
}

impl Status {
    /// The status as the kind of answer it is.
    pub fn kind(&self) -> Option<Told> {
        match self {
            Status::Interrupted => None,
            Status::Accepted { .. } => Some(Told::Accepted),
            Status::Duplicate { .. } => Some(Told::Duplicate),
            Status::Rejected { .. } => Some(Told::Rejected),
            Status::Conflict { .. } => Some(Told::Conflict),
        }
    }
}

/// The kind of answer a submission got when it was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Told {
    /// Accepted as a new event.
    Accepted,
    /// A duplicate of a counted event.
    Duplicate,
    /// Refused.
    Rejected,
    /// Its idempotency key was held by other content.
    Conflict,
}

impl Told {
    /// The answer's name as users see it.
    pub fn label(self) -> &'static str {
        match self {
            Told::Accepted => "Accepted",
            Told::Duplicate => "Duplicate",
            Told::Rejected => "Rejected",
            Told::Conflict => "Conflict",
        }
    }
}

/// One entry of the raw log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The submission's identity.
    pub id: SubmissionId,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The payload text exactly as received.
    pub raw: String,
    /// What became of it, as derived from the whole journal now.
    pub status: Status,
    /// What its client was told, when that differs from `status`: another
    /// tab's records, merged in before it, changed the answer.
    pub told: Option<Told>,
}

/// One change to the derived state, kept while a live decision may still
/// be undone because its write failed.
#[derive(Debug)]
enum Undo {
    /// A submission's status and told answer before the decision.
    Status(usize, Status, Option<Told>),
    /// An event was committed at this index.
    Committed(usize),
    /// A key claimed the unkeyed event at this index, which had this id.
    Claimed(usize, Fingerprint),
}

/// Everything derived from the journal. Rebuilt by replay at start-up and
/// extended by [`LedgerState::apply`] as records arrive.
#[derive(Debug, Default)]
pub struct LedgerState {
    submissions: Vec<Submission>,
    by_submission: HashMap<SubmissionId, usize>,
    events: Vec<Event>,
    /// Every id an event has had (its own, and its content id before a key
    /// claimed it), so earlier verdicts' references keep resolving.
    by_event: HashMap<Fingerprint, usize>,
    /// The first committed event with each content.
    by_content: HashMap<Fingerprint, usize>,
    /// The committed event sent without a key that no key has claimed yet,
    /// per content (there is at most one: another would be its duplicate).
    unkeyed: HashMap<Fingerprint, usize>,
    /// Records that referred to submissions never received; counted so the
    /// UI can report damaged storage instead of hiding it.
    orphans: usize,
    /// The largest Lamport clock of any record applied.
    clock: u64,
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
            orphans: self.orphans,
            clock: self.clock,
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
        let mut state = LedgerState::default();
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

    fn apply_owned(&mut self, record: Record) {
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
                self.submissions.push(Submission {
                    id,
                    received_at: at,
                    raw,
                    status: Status::Interrupted,
                    told: None,
                });
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
                    Verdict::Accepted { event } => self.decide(event),
                    Verdict::Duplicate {
                        candidate: Some(event),
                        ..
                    }
                    | Verdict::Conflict {
                        candidate: Some(event),
                        ..
                    } => self.decide(*event),
                    // Older records without their event: as recorded.
                    Verdict::Duplicate {
                        of, exact_resend, ..
                    } => Status::Duplicate { of, exact_resend },
                    Verdict::Conflict { key, existing, .. } => Status::Conflict { key, existing },
                    Verdict::Rejected { rejection } => Status::Rejected { rejection },
                };
                self.set_status(index, status, told);
            }
        }
    }

    fn set_status(&mut self, index: usize, status: Status, told: Told) {
        let submission = &mut self.submissions[index];
        if let Some(undo) = &mut self.undo {
            undo.push(Undo::Status(
                index,
                submission.status.clone(),
                submission.told,
            ));
        }
        submission.told = (status.kind() != Some(told)).then_some(told);
        submission.status = status;
    }

    /// Decides one normalized event against everything counted so far and
    /// counts it if it is new: the one place where identity is decided.
    fn decide(&mut self, candidate: Event) -> Status {
        let duplicate_of = |existing: &Event| Status::Duplicate {
            of: existing.event_id.clone(),
            exact_resend: existing.raw_fingerprint == candidate.raw_fingerprint,
        };
        match &candidate.idempotency_key {
            Some(key) => {
                if let Some(&i) = self.by_event.get(&candidate.event_id) {
                    let existing = &self.events[i];
                    return if existing.content_id == candidate.content_id {
                        duplicate_of(existing)
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
                    let status = duplicate_of(&self.events[i]);
                    let former = self.claim(i, &candidate);
                    if let Some(undo) = &mut self.undo {
                        undo.push(Undo::Claimed(i, former));
                    }
                    return match status {
                        Status::Duplicate { exact_resend, .. } => Status::Duplicate {
                            of: candidate.event_id,
                            exact_resend,
                        },
                        other => other,
                    };
                }
            }
            None => {
                if let Some(&i) = self.by_content.get(&candidate.content_id) {
                    return duplicate_of(&self.events[i]);
                }
            }
        }
        self.commit(candidate)
    }

    /// Counts a new event.
    fn commit(&mut self, event: Event) -> Status {
        let index = self.events.len();
        let event_id = event.event_id.clone();
        self.by_event.insert(event_id.clone(), index);
        self.by_content
            .entry(event.content_id.clone())
            .or_insert(index);
        if event.idempotency_key.is_none() {
            self.unkeyed.insert(event.content_id.clone(), index);
        }
        self.events.push(event);
        if let Some(undo) = &mut self.undo {
            undo.push(Undo::Committed(index));
        }
        Status::Accepted { event_id }
    }

    /// Gives the unkeyed event at `index` the key of `claimant`; returns the
    /// id it had.
    fn claim(&mut self, index: usize, claimant: &Event) -> Fingerprint {
        let event = &mut self.events[index];
        let former = std::mem::replace(&mut event.event_id, claimant.event_id.clone());
        event.idempotency_key = claimant.idempotency_key.clone();
        self.by_event.insert(claimant.event_id.clone(), index);
        self.unkeyed.remove(&claimant.content_id);
        former
    }

    /// Starts a live decision that [`LedgerState::undo`] can take back.
    fn begin(&mut self) {
        self.undo = Some(Vec::new());
    }

    /// Keeps what was decided since [`LedgerState::begin`].
    fn keep(&mut self) {
        self.undo = None;
    }

    /// Takes back everything decided since [`LedgerState::begin`].
    fn undo(&mut self) {
        let Some(log) = self.undo.take() else { return };
        for change in log.into_iter().rev() {
            match change {
                Undo::Status(index, status, told) => {
                    self.submissions[index].status = status;
                    self.submissions[index].told = told;
                }
                Undo::Committed(index) => {
                    let Some(event) = self.events.pop() else {
                        continue;
                    };
                    debug_assert_eq!(self.events.len(), index);
                    self.by_event.remove(&event.event_id);
                    if self.by_content.get(&event.content_id) == Some(&index) {
                        self.by_content.remove(&event.content_id);
                    }
                    if self.unkeyed.get(&event.content_id) == Some(&index) {
                        self.unkeyed.remove(&event.content_id);
                    }
                }
                Undo::Claimed(index, former) => {
                    let event = &mut self.events[index];
                    let key_id = std::mem::replace(&mut event.event_id, former);
                    event.idempotency_key = None;
                    self.by_event.remove(&key_id);
                    self.unkeyed.insert(event.content_id.clone(), index);
                }
            }
        }
    }

    /// The committed events, in commit order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The committed event with this id (or an id it had before a key
    /// claimed it).
    pub fn event(&self, id: &Fingerprint) -> Option<&Event> {
        self.by_event.get(id).map(|&i| &self.events[i])
    }

    /// Every submission ever received, in order: the audit trail.
    pub fn submissions(&self) -> &[Submission] {
        &self.submissions
    }

    /// The submission with this id.
    pub fn submission(&self, id: &SubmissionId) -> Option<&Submission> {
        self.by_submission.get(id).map(|&i| &self.submissions[i])
    }

    /// How many records referred to submissions that were never received.
    pub fn orphans(&self) -> usize {
        self.orphans
    }

    /// The largest Lamport clock applied; new records take the next one.
    pub fn clock(&self) -> u64 {
        self.clock
    }
}

/// The ledger over a journal.
pub struct Ledger<J: Journal> {
    journal: J,
    state: LedgerState,
    writer: String,
    next_seq: u64,
    /// The mapping rules for new submissions.
    pub rules: Rules,
    /// Simulated failures for new submissions.
    pub faults: FaultPlan,
}

impl Ledger<MemoryJournal> {
    /// A ledger on an empty in-memory journal, which cannot fail to open.
    pub fn in_memory(writer: impl Into<String>) -> Ledger<MemoryJournal> {
        Ledger {
            journal: MemoryJournal::default(),
            state: LedgerState::default(),
            writer: writer.into(),
            next_seq: 0,
            rules: Rules::default(),
            faults: FaultPlan::none(),
        }
    }
}

impl<J: Journal> Ledger<J> {
    /// Opens a ledger on `journal`, replaying what it holds, as `writer`.
    pub fn open(mut journal: J, writer: impl Into<String>) -> Result<Ledger<J>, StoreError> {
        let writer = writer.into();
        let records = journal.records()?;
        let next_seq = records
            .iter()
            .filter_map(|r| match r {
                Record::Received { id, .. } if id.writer == writer => Some(id.seq + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let state = LedgerState::replay_owned(records);
        Ok(Ledger {
            journal,
            state,
            writer,
            next_seq,
            rules: Rules::default(),
            faults: FaultPlan::none(),
        })
    }

    /// The derived state.
    pub fn state(&self) -> &LedgerState {
        &self.state
    }

    /// The journal, e.g. to reopen it after a simulated crash.
    pub fn journal(&self) -> &J {
        &self.journal
    }

    /// Mutable access to the journal, e.g. to inject storage failures.
    pub fn journal_mut(&mut self) -> &mut J {
        &mut self.journal
    }

    /// Catches up with what other writers (tabs) committed: cheap when
    /// nothing changed, incremental when their records order after ours, a
    /// full re-derivation (which may revise earlier answers) otherwise.
    pub fn refresh(&mut self) -> Result<(), StoreError> {
        match self.journal.refresh()? {
            Refresh::Unchanged => {}
            Refresh::Appended(records) => {
                for r in records {
                    self.state.apply_owned(r);
                }
            }
            Refresh::Reordered(records) => self.state = LedgerState::replay_owned(records),
        }
        Ok(())
    }

    /// Appends records restored from a backup in one commit, bypassing the
    /// simulated failures (a restore is not a client request). The caller
    /// passes only records the state does not have yet. They may order
    /// anywhere among the records already here, so the state is derived again.
    pub fn import(&mut self, records: &[Record]) -> Result<(), StoreError> {
        self.journal.append(records)?;
        self.state = LedgerState::replay_owned(self.journal.records()?);
        Ok(())
    }

    /// Submits one raw payload received at `now`.
    pub fn submit(&mut self, raw: &str, now: DateTime<Utc>) -> Outcome {
        self.submit_batch(&[raw], now)
            .pop()
            .unwrap_or(Outcome::Failed {
                failure: Failure::LedgerFull,
            })
    }

    /// Submits many payloads as one request: one raw write and one commit,
    /// so a bulk import costs two appends, not two per event. A failure
    /// fails the whole batch, which is then safe to retry as a whole.
    pub fn submit_batch(&mut self, raws: &[&str], now: DateTime<Utc>) -> Vec<Outcome> {
        let fail_all = |failure: Failure| {
            raws.iter()
                .map(|_| Outcome::Failed {
                    failure: failure.clone(),
                })
                .collect::<Vec<_>>()
        };
        if raws.is_empty() {
            return Vec::new();
        }
        if self.faults.fires(FaultPoint::BeforeRaw) {
            return fail_all(Failure::Simulated(FaultPoint::BeforeRaw));
        }
        if let Err(e) = self.refresh() {
            return fail_all(Failure::CatchUp(e));
        }

        let clock = self.state.clock() + 1;
        let first_seq = self.next_seq;
        // Numbers are taken before the write: a failed write may still have
        // left its records in storage, so its numbers are never used again.
        self.next_seq += raws.len() as u64;
        let received: Vec<Record> = raws
            .iter()
            .enumerate()
            .map(|(i, raw)| Record::Received {
                id: SubmissionId {
                    writer: self.writer.clone(),
                    seq: first_seq + i as u64,
                },
                at: now,
                clock,
                raw: raw.to_string(),
            })
            .collect();
        if let Err(e) = self.journal.append(&received) {
            return fail_all(Failure::Storage(e));
        }
        let mut indices = Vec::with_capacity(raws.len());
        for r in &received {
            self.state.apply(r);
            let Record::Received { id, raw, .. } = r else {
                continue;
            };
            match self.state.by_submission.get(id) {
                Some(&i) if self.state.submissions[i].raw == *raw => indices.push(i),
                // Storage already held a settled submission with this number
                // (a writer id reused by damaged data): never settle it twice.
                _ => {
                    return fail_all(Failure::Storage(StoreError::Unavailable {
                        message: format!("submission number {id} is already taken in storage"),
                    }))
                }
            }
        }

        // Decide on the live state, ready to take it all back.
        self.state.begin();
        let clock = self.state.clock() + 1;
        let mut settled = Vec::with_capacity(raws.len());
        let mut provenances = Vec::with_capacity(raws.len());
        for (i, (raw, &index)) in raws.iter().zip(&indices).enumerate() {
            let id = SubmissionId {
                writer: self.writer.clone(),
                seq: first_seq + i as u64,
            };
            let (verdict, provenance) = self.decide(raw, id.clone(), index, now);
            settled.push(Record::Settled {
                id,
                at: now,
                clock,
                verdict,
            });
            provenances.push(provenance);
        }
        if self.state.events.len() > MAX_EVENTS {
            self.state.undo();
            return fail_all(Failure::LedgerFull);
        }
        if self.faults.fires(FaultPoint::MidRequest) {
            self.state.undo();
            return fail_all(Failure::Simulated(FaultPoint::MidRequest));
        }
        if let Err(e) = self.journal.append(&settled) {
            self.state.undo();
            return fail_all(Failure::Storage(e));
        }
        self.state.keep();
        self.state.clock = self.state.clock.max(clock);
        if self.faults.fires(FaultPoint::LostAck) {
            return fail_all(Failure::Simulated(FaultPoint::LostAck));
        }
        settled
            .iter()
            .zip(provenances)
            .map(|(record, provenance)| self.outcome(record, provenance))
            .collect()
    }

    /// Normalizes one submission, decides it on the live state (counting it
    /// if it is new), and returns the verdict to record.
    fn decide(
        &mut self,
        raw: &str,
        submission: SubmissionId,
        index: usize,
        now: DateTime<Utc>,
    ) -> (Verdict, Vec<Provenance>) {
        let parsed = json::parse(raw);
        let normalized: Result<Normalized, Rejection> = match &parsed {
            Ok(value) => normalize::normalize_value(value, &self.rules),
            Err(e) => Err(e.clone().into()),
        };
        let n = match normalized {
            Ok(n) => n,
            Err(rejection) => {
                let status = Status::Rejected {
                    rejection: rejection.clone(),
                };
                self.state.set_status(index, status, Told::Rejected);
                return (Verdict::Rejected { rejection }, Vec::new());
            }
        };
        let candidate = Event {
            event_id: fingerprint::event_id(&n),
            content_id: fingerprint::content_id(&n),
            raw_fingerprint: fingerprint::raw_fingerprint(raw, parsed.as_ref().ok()),
            client_id: n.client_id,
            metric: n.metric,
            amount: n.amount,
            timestamp: n.timestamp,
            idempotency_key: n.idempotency_key,
            ingested_at: now,
            submission,
        };
        let status = self.state.decide(candidate.clone());
        let verdict = match &status {
            Status::Duplicate { of, exact_resend } => Verdict::Duplicate {
                of: of.clone(),
                exact_resend: *exact_resend,
                candidate: Some(Box::new(candidate)),
            },
            Status::Conflict { key, existing } => Verdict::Conflict {
                key: key.clone(),
                existing: existing.clone(),
                candidate: Some(Box::new(candidate)),
            },
            _ => Verdict::Accepted { event: candidate },
        };
        let told = verdict.told();
        self.state.set_status(index, status, told);
        (verdict, n.provenance)
    }

    /// The answer for a settled submission, from its derived status.
    fn outcome(&self, record: &Record, provenance: Vec<Provenance>) -> Outcome {
        let Record::Settled { id, verdict, .. } = record else {
            return Outcome::Failed {
                failure: Failure::LedgerFull,
            };
        };
        let missing = |what: &str| Outcome::Failed {
            failure: Failure::Storage(StoreError::Unavailable {
                message: format!("the {what} event is missing from the derived state"),
            }),
        };
        let lookup = |id: &Fingerprint| self.state.event(id).cloned();
        let status = self.state.submission(id).map(|s| &s.status);
        match status {
            Some(Status::Accepted { event_id }) => match lookup(event_id) {
                Some(event) => Outcome::Accepted { event, provenance },
                None => missing("accepted"),
            },
            Some(Status::Duplicate { of, exact_resend }) => match lookup(of) {
                Some(original) => Outcome::Duplicate {
                    original,
                    exact_resend: *exact_resend,
                    provenance,
                },
                None => missing("original"),
            },
            Some(Status::Conflict { key, existing }) => match lookup(existing) {
                Some(existing) => Outcome::Conflict {
                    key: key.clone(),
                    existing,
                },
                None => missing("conflicting"),
            },
            Some(Status::Rejected { rejection }) => Outcome::Rejected {
                rejection: rejection.clone(),
            },
            Some(Status::Interrupted) | None => match verdict {
                Verdict::Rejected { rejection } => Outcome::Rejected {
                    rejection: rejection.clone(),
                },
                _ => missing("decided"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Fault;

    const A: &str = r#"{"source":"client_A","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#;
    const A_RESHAPED: &str =
        r#"{"client_id":"client_A","metric":"sale","amount":1200.0,"ts":"2024-01-01T00:00:00Z"}"#;
    const A_REORDERED: &str = r#"{"payload":{"timestamp":"2024/01/01","amount":"1200","metric":"sale"},"source":"client_A"}"#;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn ledger() -> Ledger<MemoryJournal> {
        Ledger::in_memory("tab-1")
    }

    #[test]
    fn accept_then_duplicate_exact_and_reshaped() {
        let mut l = ledger();
        let first = l.submit(A, now());
        let Outcome::Accepted { event, provenance } = &first else {
            panic!("{first:?}")
        };
        assert_eq!(provenance.len(), 4);
        match l.submit(A_REORDERED, now()) {
            Outcome::Duplicate {
                original,
                exact_resend,
                ..
            } => {
                assert_eq!(&original, event);
                assert!(
                    exact_resend,
                    "same JSON in another key order is an exact resend"
                );
            }
            other => panic!("{other:?}"),
        }
        match l.submit(A_RESHAPED, now()) {
            Outcome::Duplicate { exact_resend, .. } => assert!(!exact_resend),
            other => panic!("{other:?}"),
        }
        assert_eq!(l.state().events().len(), 1);
        assert_eq!(l.state().submissions().len(), 3);
    }

    #[test]
    fn every_submission_is_recorded_with_its_outcome() {
        let mut l = ledger();
        l.submit(A, now());
        l.submit("{broken", now());
        l.submit(A, now());
        let statuses: Vec<_> = l.state().submissions().iter().map(|s| &s.status).collect();
        assert!(matches!(statuses[0], Status::Accepted { .. }));
        assert!(matches!(
            statuses[1],
            Status::Rejected {
                rejection: Rejection::InvalidJson { .. }
            }
        ));
        assert!(matches!(
            statuses[2],
            Status::Duplicate {
                exact_resend: true,
                ..
            }
        ));
        assert_eq!(l.state().submissions()[1].raw, "{broken");
    }

    #[test]
    fn idempotency_keys_follow_stripe() {
        let mut l = ledger();
        let k1 = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01","event_id":"k1"}"#;
        let k2_same_content =
            r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01","event_id":"k2"}"#;
        let k1_other_content =
            r#"{"client":"c","metric":"m","amount":6,"ts":"2024-01-01","event_id":"k1"}"#;
        assert_eq!(l.submit(k1, now()).label(), "Accepted");
        assert_eq!(
            l.submit(k2_same_content, now()).label(),
            "Accepted",
            "a new key is a new event"
        );
        match l.submit(k1_other_content, now()) {
            Outcome::Conflict { key, existing } => {
                assert_eq!(key, "k1");
                assert_eq!(existing.amount.to_string(), "5");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(l.submit(k1, now()).label(), "Duplicate");
        // Without a key, content identity matches the keyed event.
        let unkeyed = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01"}"#;
        assert_eq!(l.submit(unkeyed, now()).label(), "Duplicate");
        assert_eq!(l.state().events().len(), 2);
    }

    #[test]
    fn failure_before_raw_writes_nothing() {
        let mut l = ledger();
        l.faults = FaultPlan::always(FaultPoint::BeforeRaw);
        let out = l.submit(A, now());
        assert!(matches!(
            out,
            Outcome::Failed {
                failure: Failure::Simulated(FaultPoint::BeforeRaw)
            }
        ));
        assert!(l.journal().records.is_empty());
        assert!(l.state().submissions().is_empty());
    }

    #[test]
    fn mid_request_failure_keeps_the_raw_and_commits_nothing() {
        let mut l = ledger();
        l.faults = FaultPlan::always(FaultPoint::MidRequest);
        assert!(l.submit(A, now()).is_retryable());
        assert_eq!(l.state().events().len(), 0);
        assert_eq!(l.state().submissions()[0].status, Status::Interrupted);
        // The retry is not wrongly refused as a duplicate: no hash was stored.
        l.faults = FaultPlan::none();
        assert_eq!(l.submit(A, now()).label(), "Accepted");
        assert_eq!(l.state().events().len(), 1);
    }

    #[test]
    fn lost_ack_retry_is_a_duplicate() {
        let mut l = ledger();
        l.faults = FaultPlan::always(FaultPoint::LostAck);
        assert!(l.submit(A, now()).is_retryable());
        assert_eq!(l.state().events().len(), 1, "the commit happened");
        l.faults = FaultPlan::none();
        match l.submit(A, now()) {
            Outcome::Duplicate { exact_resend, .. } => assert!(exact_resend),
            other => panic!("{other:?}"),
        }
        assert_eq!(l.state().events().len(), 1);
    }

    #[test]
    fn a_failed_raw_write_changes_nothing() {
        let mut l = ledger();
        l.submit(A_RESHAPED, now());
        let (records, submissions) = (
            l.journal().records.clone(),
            l.state().submissions().to_vec(),
        );
        l.journal_mut().fail_after = Some(0);
        match l.submit(A, now()) {
            Outcome::Failed {
                failure: Failure::Storage(e),
            } => assert!(e.to_string().contains("unavailable")),
            other => panic!("{other:?}"),
        }
        assert_eq!(l.journal().records, records);
        assert_eq!(l.state().submissions(), &submissions[..]);
        // The failed attempt's number is never reused: a real store may
        // have kept part of its write.
        l.submit(A, now());
        assert_eq!(l.state().submissions().last().unwrap().id.seq, 2);
    }

    #[test]
    fn a_failed_commit_write_commits_nothing() {
        let mut l = ledger();
        l.journal_mut().fail_after = Some(1);
        assert!(matches!(
            l.submit(A, now()),
            Outcome::Failed {
                failure: Failure::Storage(_)
            }
        ));
        assert_eq!(l.journal().records.len(), 1, "only the raw record");
        assert!(l.state().events().is_empty());
        assert_eq!(l.state().submissions()[0].status, Status::Interrupted);
        assert_eq!(
            l.submit(A, now()).label(),
            "Accepted",
            "the retry is not refused"
        );
    }

    #[test]
    fn reopening_replays_the_same_state_and_continues_numbering() {
        let mut l = ledger();
        l.submit(A, now());
        l.submit(A_RESHAPED, now());
        l.submit("[]", now());
        let journal = l.journal().clone();
        let mut reopened = Ledger::open(journal, "tab-1").unwrap();
        assert_eq!(reopened.state().events(), l.state().events());
        assert_eq!(reopened.state().submissions(), l.state().submissions());
        reopened.submit(A, now());
        let last = reopened.state().submissions().last().unwrap();
        assert_eq!(last.id.seq, 3);
    }

    #[test]
    fn a_batch_deduplicates_within_itself_and_commits_in_two_appends() {
        let mut l = ledger();
        let other = r#"{"client":"client_B","type":"purchase","value":5000,"time":"2024-12-01"}"#;
        let outcomes = l.submit_batch(&[A, other, A_RESHAPED, "nope"], now());
        let labels: Vec<_> = outcomes.iter().map(Outcome::label).collect();
        assert_eq!(labels, ["Accepted", "Accepted", "Duplicate", "Rejected"]);
        assert_eq!(l.journal().records.len(), 8);
        assert_eq!(l.state().events().len(), 2);
    }

    #[test]
    fn concurrent_writers_converge_on_one_committed_set() {
        // Two tabs each commit the same event without seeing the other.
        let mut tab1 = Ledger::open(MemoryJournal::default(), "tab-1").unwrap();
        let mut tab2 = Ledger::open(MemoryJournal::default(), "tab-2").unwrap();
        assert_eq!(tab1.submit(A, now()).label(), "Accepted");
        assert_eq!(tab2.submit(A_RESHAPED, now()).label(), "Accepted");
        let mut merged = tab1.journal().records.clone();
        merged.extend(tab2.journal().records.clone());
        let state = LedgerState::replay(&merged);
        assert_eq!(state.events().len(), 1);
        assert!(matches!(
            state.submissions()[1].status,
            Status::Duplicate {
                exact_resend: false,
                ..
            }
        ));
        let mut reversed = tab2.journal().records.clone();
        reversed.extend(tab1.journal().records.clone());
        assert_eq!(LedgerState::replay(&reversed).events().len(), 1);
    }

    #[test]
    fn orphan_settlements_are_counted_not_applied() {
        let mut l = ledger();
        l.submit(A, now());
        let settled = l.journal().records[1].clone();
        let state = LedgerState::replay(&[settled]);
        assert_eq!(state.events().len(), 0);
        assert_eq!(state.orphans(), 1);
    }

    #[test]
    fn records_round_trip_through_json() {
        let mut l = ledger();
        l.faults = FaultPlan::new(
            vec![Fault {
                point: FaultPoint::MidRequest,
                per_million: 0,
            }],
            1,
        );
        l.submit(A, now());
        l.submit("{\"x\":1}", now());
        l.submit(A_RESHAPED, now());
        for r in &l.journal().records {
            let text = serde_json::to_string(r).unwrap();
            let back: Record = serde_json::from_str(&text).unwrap();
            assert_eq!(&back, r, "{text}");
        }
    }
}
