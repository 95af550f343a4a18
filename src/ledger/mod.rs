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
//!   rest are Conflicts). A payload (by its raw fingerprint) sent again is
//!   the event it was counted as or found a duplicate of the first time,
//!   whatever today's rules read in it.
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

mod binary;
mod fault;
mod outcome;
mod records;
mod state;
mod words;

pub use fault::{Fault, FaultPlan, FaultPoint, ALWAYS};
pub use outcome::{Failure, Kind, Outcome, Status};
pub use records::{Event, Record, SubmissionId, Verdict};
pub use state::{Figures, LedgerState, Submission};
pub use words::renamed;

use crate::pipeline::fingerprint::{self, Fingerprint};
use crate::pipeline::json;
use crate::pipeline::normalize::{self, AliasIndex, Explain, Normalized, Provenance, Rejection};
use crate::pipeline::rules::Rules;
use crate::store::{Journal, MemoryJournal, Refresh, SegmentJournal, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The most events one ledger holds. It bounds every sum: 10⁷ events of at
/// most 10¹⁸ units, in nano-units, stay far below `i128::MAX`.
pub const MAX_EVENTS: usize = 10_000_000;

/// A ledger over the segmented journal on a key-value store.
pub type StoredLedger<K> = Ledger<SegmentJournal<K, Record>>;

/// The ledger over a journal.
pub struct Ledger<J: Journal<Entry = Record>> {
    journal: J,
    state: LedgerState,
    writer: Arc<str>,
    next_seq: u64,
    /// The mapping rules for new submissions.
    pub rules: Rules,
    /// Simulated failures for new submissions.
    pub faults: FaultPlan,
}

impl Ledger<MemoryJournal<Record>> {
    /// A ledger on an empty in-memory journal, which cannot fail to open.
    pub fn in_memory(writer: impl Into<String>) -> Ledger<MemoryJournal<Record>> {
        Ledger {
            journal: MemoryJournal::default(),
            state: LedgerState::default(),
            writer: Arc::from(writer.into()),
            next_seq: 0,
            rules: Rules::default(),
            faults: FaultPlan::none(),
        }
    }
}

impl<J: Journal<Entry = Record>> Ledger<J> {
    /// Opens a ledger on `journal`, replaying what it holds, as `writer`.
    pub fn open(mut journal: J, writer: impl Into<String>) -> Result<Ledger<J>, StoreError> {
        let writer: Arc<str> = Arc::from(writer.into());
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

    /// The identity the next submission of this writer will get; a batch
    /// numbers its submissions on from it, so an interface can name the
    /// submission behind each answer (a rejected line of an import).
    pub fn next_submission(&self) -> SubmissionId {
        SubmissionId {
            writer: self.writer.clone(),
            seq: self.next_seq,
        }
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
    pub fn refresh(&mut self) -> Result<bool, StoreError> {
        match self.journal.refresh()? {
            Refresh::Unchanged => return Ok(false),
            Refresh::Appended(records) => {
                for r in records {
                    self.state.apply_owned(r);
                }
            }
            Refresh::Reordered(records) => self.state = LedgerState::replay_owned(records),
        }
        Ok(true)
    }

    /// Appends records restored from a backup in one commit, bypassing the
    /// simulated failures (a restore is not a client request). The caller
    /// passes only records the state does not have yet, judged after a
    /// [`Ledger::refresh`] (a tab that missed another tab's Clear would
    /// otherwise write the cleared records back). They may order
    /// anywhere among the records already here, so the state is derived again.
    pub fn import(&mut self, records: &[Record]) -> Result<(), StoreError> {
        self.journal.append(records)?;
        self.state = LedgerState::replay_owned(self.journal.records()?);
        Ok(())
    }

    /// Submits one raw payload received at `now`; its answer says how each
    /// field was read.
    pub fn submit(&mut self, raw: &str, now: DateTime<Utc>) -> Outcome {
        self.request(&[raw], now, Explain::Fields)
            .pop()
            .unwrap_or(Outcome::Failed {
                failure: Failure::LedgerFull,
            })
    }

    /// Submits many payloads as one request: one raw write and one commit,
    /// so a bulk import costs two appends, not two per event. A failure
    /// fails the whole batch, which is then safe to retry as a whole. The
    /// answers do not say how fields were read (their provenance is empty):
    /// a bulk import lists a line per submission, never that.
    pub fn submit_batch(&mut self, raws: &[&str], now: DateTime<Utc>) -> Vec<Outcome> {
        self.request(raws, now, Explain::Nothing)
    }

    /// Submits `raws` as one request, explaining the answers or not.
    pub(crate) fn request(
        &mut self,
        raws: &[&str],
        now: DateTime<Utc>,
        explain: Explain,
    ) -> Vec<Outcome> {
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
                raw: Arc::from(*raw),
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
                Some(&i) if self.state.submissions()[i].raw == *raw => indices.push(i),
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
        // Each answer as the state stood when its line was decided: read after
        // the batch, a line's event could show a key a later line claimed
        // (found by an outside review).
        let mut answers = Vec::with_capacity(raws.len());
        let aliases = AliasIndex::new(&self.rules);
        for (i, (raw, &index)) in raws.iter().zip(&indices).enumerate() {
            let id = SubmissionId {
                writer: self.writer.clone(),
                seq: first_seq + i as u64,
            };
            let (verdict, provenance) = self.decide(raw, &aliases, id.clone(), index, now, explain);
            let record = Record::Settled {
                id,
                at: now,
                clock,
                verdict,
            };
            answers.push(self.outcome(&record, provenance));
            settled.push(record);
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
        answers
    }

    /// Normalizes one submission, decides it on the live state (counting it
    /// if it is new), and returns the verdict to record.
    fn decide(
        &mut self,
        raw: &str,
        aliases: &AliasIndex,
        submission: SubmissionId,
        index: usize,
        now: DateTime<Utc>,
        explain: Explain,
    ) -> (Verdict, Vec<Provenance>) {
        let parsed = json::parse(raw);
        let normalized: Result<Normalized, Rejection> = match &parsed {
            Ok(value) => normalize::normalize_indexed(value, &self.rules, aliases, explain),
            Err(e) => Err(e.clone().into()),
        };
        let n = match normalized {
            Ok(n) => n,
            Err(rejection) => {
                // A payload counted before is that event, even if today's
                // rules refuse it (an outside review: a retry after the
                // rules were reset was told Rejected, its event counted).
                let counted = parsed
                    .as_ref()
                    .ok()
                    .and_then(|value| self.state.counted_before(index, Some(value)));
                if let Some(of) = counted {
                    let status = Status::Duplicate {
                        of: of.clone(),
                        exact_resend: true,
                    };
                    self.state.set_status(index, status, Kind::Duplicate);
                    let verdict = Verdict::Duplicate {
                        of,
                        exact_resend: true,
                        candidate: None,
                    };
                    return (verdict, Vec::new());
                }
                let status = Status::Rejected {
                    rejection: rejection.clone(),
                };
                self.state.set_status(index, status, Kind::Rejected);
                return (Verdict::Rejected { rejection }, Vec::new());
            }
        };
        let (event_id, content_id) = fingerprint::ids(&n);
        let candidate = Event {
            event_id,
            content_id,
            raw_fingerprint: fingerprint::raw_fingerprint(raw, parsed.as_ref().ok()),
            client_id: n.client_id.into(),
            metric: n.metric.into(),
            amount: n.amount,
            timestamp: n.timestamp,
            idempotency_key: n.idempotency_key,
            ingested_at: now,
            submission,
        };
        let candidate = Arc::new(candidate);
        let content_id = candidate.content_id.clone();
        let status = self.state.decide(candidate.clone(), index);
        let verdict = match &status {
            Status::Duplicate { of, exact_resend } => Verdict::Duplicate {
                of: of.clone(),
                exact_resend: *exact_resend,
                candidate: Some(candidate),
            },
            Status::Conflict { key, existing } => Verdict::Conflict {
                key: key.clone(),
                existing: existing.clone(),
                candidate: Some(candidate),
            },
            _ => Verdict::Accepted { event: candidate },
        };
        let told = verdict.told();
        // A payload counted under other rules is that event, read otherwise
        // today: how today's rules found its fields would describe another
        // event (an outside review saw the counted date beside another one).
        let read_alike = match &status {
            Status::Duplicate { of, .. } => self
                .state
                .event(of)
                .is_none_or(|e| e.content_id == content_id),
            _ => true,
        };
        self.state.set_status(index, status, told);
        let provenance = if read_alike { n.provenance } else { Vec::new() };
        (verdict, provenance)
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
                    // Only for the submission whose key claimed it: a resend
                    // of it changed nothing.
                    claimed_from: if self.state.claimed_by(&original) == Some(id) {
                        self.state.claimed_from(&original).cloned()
                    } else {
                        None
                    },
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
    use super::Fault;
    use super::*;

    const A: &str = r#"{"source":"client_A","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#;
    const A_RESHAPED: &str =
        r#"{"client_id":"client_A","metric":"sale","amount":1200.0,"ts":"2024-01-01T00:00:00Z"}"#;
    const A_REORDERED: &str = r#"{"payload":{"timestamp":"2024/01/01","amount":"1200","metric":"sale"},"source":"client_A"}"#;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_name_sent_as_minus_zero_counts_as_zero_in_any_order() {
        let line = |client: &str| {
            format!(r#"{{"client":{client},"metric":"m","amount":1,"ts":"2024-01-01"}}"#)
        };
        for order in [["-0", "0", "\"0\""], ["\"0\"", "0", "-0"]] {
            let mut ledger = Ledger::in_memory("tab1");
            for client in order {
                ledger.submit(&line(client), now());
            }
            let clients: Vec<_> = ledger
                .state()
                .events()
                .iter()
                .map(|e| e.client_id.to_string())
                .collect();
            assert_eq!(clients, ["0"], "{order:?}");
        }
    }

    fn ledger() -> Ledger<MemoryJournal<Record>> {
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
        assert_eq!(l.state().submissions()[1].raw.as_ref(), "{broken");
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
    fn a_reason_names_an_events_id_as_processed_lists_it_after_a_key_claimed_it() {
        let mut l = ledger();
        let unkeyed = r#"{"client":"c","metric":"m","amount":20,"ts":"2024-06-02"}"#;
        let keyed = r#"{"client":"c","metric":"m","amount":20,"ts":"2024-06-02","event_id":"k3"}"#;
        assert_eq!(l.submit(unkeyed, now()).label(), "Accepted");
        let first = l.state().submissions()[0].status.clone();
        let Status::Accepted { event_id: old } = &first else {
            panic!("{first:?}")
        };
        let claim = l.submit(keyed, now());
        let now_id = l.state().events()[0].event_id.clone();
        assert_ne!(old, &now_id, "the key claimed the event: it has a new id");
        // The answer says so, with the id it had. A resend of the keyed
        // payload changed nothing, and is an exact resend (of the payload
        // that claimed the event, not of the one counted); an unkeyed
        // resend is one of the counted payload.
        let claimed_from = |o: &Outcome| match o {
            Outcome::Duplicate { claimed_from, .. } => claimed_from.clone(),
            other => panic!("{other:?}"),
        };
        let exact = |o: &Outcome| {
            matches!(
                o,
                Outcome::Duplicate {
                    exact_resend: true,
                    ..
                }
            )
        };
        assert_eq!(claimed_from(&claim), Some(old.clone()));
        assert!(
            !exact(&claim),
            "the keyed payload is the event in another shape"
        );
        let again = l.submit(keyed, now());
        assert_eq!(claimed_from(&again), None);
        assert!(exact(&again), "{again:?}");
        let unkeyed_again = l.submit(unkeyed, now());
        assert_eq!(claimed_from(&unkeyed_again), None);
        assert!(exact(&unkeyed_again));
        assert_eq!(
            l.state().claimed_by(&l.state().events()[0]).map(|s| s.seq),
            Some(1)
        );
        // A claim whose commit fails is taken back whole, its claimant too.
        let mut m = ledger();
        m.submit(unkeyed, now());
        m.faults = FaultPlan::always(FaultPoint::MidRequest);
        assert!(m.submit(keyed, now()).is_retryable());
        let event = &m.state().events()[0];
        assert_eq!(
            (
                m.state().claimed_by(event),
                event.idempotency_key.as_deref()
            ),
            (None, None)
        );
        m.faults = FaultPlan::none();
        assert_eq!(claimed_from(&m.submit(keyed, now())), Some(old.clone()));
        assert_eq!(l.state().claimed_from(&l.state().events()[0]), Some(old));
        assert_eq!(
            first.reason_in(l.state()),
            format!(
                "committed as {}; now {}, since an idempotency key claimed it",
                old.short(),
                now_id.short()
            )
        );
        // An event no key claimed reads as before, keyed or not.
        assert_eq!(l.submit(A, now()).label(), "Accepted");
        let plain = &l.state().submissions()[4].status;
        assert_eq!(plain.reason_in(l.state()), plain.reason());
        let own_key = r#"{"client":"c","metric":"m","amount":7,"ts":"2024-06-02","event_id":"k7"}"#;
        l.submit(own_key, now());
        assert_eq!(claimed_from(&l.submit(own_key, now())), None);
        let keyed_event = l.state().events().last().cloned().expect("an event");
        assert_eq!(l.state().claimed_from(&keyed_event), None);
    }

    #[test]
    fn each_answer_of_a_batch_is_as_its_line_was_decided() {
        // The second line's key claims the first line's event: the first
        // line's answer is still the event it committed, without the key.
        let unkeyed = r#"{"client":"c","metric":"m","amount":20,"ts":"2024-06-02"}"#;
        let keyed = r#"{"client":"c","metric":"m","amount":20,"ts":"2024-06-02","event_id":"k3"}"#;
        let mut l = ledger();
        let answers = l.submit_batch(&[unkeyed, keyed], now());
        match &answers[0] {
            Outcome::Accepted { event, .. } => assert_eq!(event.idempotency_key, None),
            other => panic!("{other:?}"),
        }
        match &answers[1] {
            Outcome::Duplicate {
                claimed_from,
                original,
                ..
            } => {
                assert!(claimed_from.is_some());
                assert_eq!(original.idempotency_key.as_deref(), Some("k3"));
            }
            other => panic!("{other:?}"),
        }
    }

    /// An import's batch does not explain its answers; otherwise every
    /// answer and the state are those of the same lines sent one by one.
    #[test]
    fn a_batch_answers_as_lines_sent_one_by_one_without_explaining() {
        use crate::chaos::{random_event, render, Shape};
        let mut rng = crate::rng::SeededRng::new(5);
        let mut lines = Vec::new();
        for i in 0..300 {
            let event = random_event(&mut rng, &["a", "b"], &["sale"]);
            let line = render(&event, Shape::ALL[i % Shape::ALL.len()], &mut rng);
            if i % 4 == 0 {
                lines.push(line.clone());
            }
            lines.push(line);
        }
        lines.push("{".into());
        lines.push(r#"{"client":"a"}"#.into());
        let raws: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (mut one_by_one, mut batched) = (ledger(), ledger());
        let single: Vec<Outcome> = raws
            .iter()
            .map(|raw| one_by_one.submit(raw, now()))
            .collect();
        let batch = batched.submit_batch(&raws, now());
        let unexplained = |outcome: &Outcome| match outcome.clone() {
            Outcome::Accepted { event, .. } => Outcome::Accepted {
                event,
                provenance: Vec::new(),
            },
            Outcome::Duplicate {
                original,
                exact_resend,
                claimed_from,
                ..
            } => Outcome::Duplicate {
                original,
                exact_resend,
                claimed_from,
                provenance: Vec::new(),
            },
            other => other,
        };
        assert!(single
            .iter()
            .any(|o| matches!(o, Outcome::Accepted { provenance, .. } if !provenance.is_empty())));
        for (one, many) in single.iter().zip(&batch) {
            assert_eq!(&unexplained(one), many);
        }
        assert_eq!(single.len(), batch.len());
        assert_eq!(one_by_one.state().events(), batched.state().events());
        let statuses = |l: &Ledger<MemoryJournal<Record>>| {
            l.state()
                .submissions()
                .iter()
                .map(|s| s.status.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(statuses(&one_by_one), statuses(&batched));
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
            let text = r.to_json().to_compact();
            let back = Record::from_json(&crate::pipeline::json::parse(&text).unwrap()).unwrap();
            assert_eq!(&back, r, "{text}");
        }
    }
}
