//! An event's story: every submission that became it or tried to, and why
//! each one was counted or not.
//!
//! Contract: derived from the ledger's state alone, like every figure. A
//! submission belongs to an event when its derived status names the event
//! (accepted as it, a duplicate of it, a conflict on its key), whatever id
//! the event had then (a key may have claimed it since); an interrupted
//! submission (its request failed before a verdict) belongs to it when its
//! raw text is exactly that of one that does: the failed attempt whose retry
//! went through. Submissions are listed in the order they were received.

use crate::ledger::{Event, Kind, LedgerState, Status, Submission};
use crate::pipeline::fingerprint::Fingerprint;

/// How one submission relates to the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// It was counted as the event.
    Counted,
    /// The same JSON sent again.
    ExactResend,
    /// The same event in another shape (aliases, envelope, spellings).
    Reshaped,
    /// Its idempotency key is the event's, with other content: not counted.
    Conflict,
    /// Its request failed before a verdict; the same text went through later.
    FailedAttempt,
}

impl Relation {
    /// The relation in words.
    pub fn label(self) -> &'static str {
        match self {
            Relation::Counted => "counted as this event",
            Relation::ExactResend => "exact resend",
            Relation::Reshaped => "same event in another shape",
            Relation::Conflict => "conflict on its idempotency key",
            Relation::FailedAttempt => "failed attempt (its retry is listed too)",
        }
    }
}

/// One submission of the story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter<'a> {
    /// The submission, as received, with its derived status.
    pub submission: &'a Submission,
    /// How it relates to the event.
    pub relation: Relation,
}

/// An event and every submission that became it or tried to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lineage<'a> {
    /// The counted event.
    pub event: &'a Event,
    /// Its submissions, in the order received.
    pub chapters: Vec<Chapter<'a>>,
}

impl<'a> Lineage<'a> {
    /// The story of the event known by `id` (or an id it had), if counted.
    pub fn of(state: &'a LedgerState, id: &Fingerprint) -> Option<Lineage<'a>> {
        let event = state.event(id)?;
        let is_this = |other: &Fingerprint| {
            state
                .event(other)
                .is_some_and(|e| e.event_id == event.event_id)
        };
        let mut chapters: Vec<Chapter<'a>> = Vec::new();
        for s in state.submissions() {
            let relation = match &s.status {
                Status::Accepted { event_id } if is_this(event_id) => Relation::Counted,
                Status::Duplicate { of, exact_resend } if is_this(of) => {
                    if *exact_resend {
                        Relation::ExactResend
                    } else {
                        Relation::Reshaped
                    }
                }
                Status::Conflict { existing, .. } if is_this(existing) => Relation::Conflict,
                _ => continue,
            };
            chapters.push(Chapter {
                submission: s,
                relation,
            });
        }
        let texts: Vec<&str> = chapters.iter().map(|c| c.submission.raw.as_str()).collect();
        for s in state.submissions() {
            if s.status == Status::Interrupted && texts.contains(&s.raw.as_str()) {
                chapters.push(Chapter {
                    submission: s,
                    relation: Relation::FailedAttempt,
                });
            }
        }
        chapters.sort_by(|a, b| {
            (a.submission.received_at, &a.submission.id)
                .cmp(&(b.submission.received_at, &b.submission.id))
        });
        Some(Lineage { event, chapters })
    }

    /// The story in one sentence: "Counted once. 4 submissions: 1 accepted,
    /// 2 duplicates (1 exact, 1 reshaped), 1 failed attempt retried."
    pub fn verdict(&self) -> String {
        let count = |r: Relation| self.chapters.iter().filter(|c| c.relation == r).count();
        let (exact, reshaped) = (count(Relation::ExactResend), count(Relation::Reshaped));
        let mut parts = vec![format!("{} accepted", count(Relation::Counted))];
        if exact + reshaped > 0 {
            parts.push(format!(
                "{} duplicate{} ({exact} exact, {reshaped} reshaped)",
                exact + reshaped,
                plural(exact + reshaped)
            ));
        }
        let failed = count(Relation::FailedAttempt);
        if failed > 0 {
            parts.push(format!("{failed} failed attempt{} retried", plural(failed)));
        }
        let conflicts = count(Relation::Conflict);
        if conflicts > 0 {
            parts.push(format!(
                "{conflicts} conflict{} on its key, not counted",
                plural(conflicts)
            ));
        }
        let revised = self
            .chapters
            .iter()
            .filter(|c| c.submission.told.is_some())
            .count();
        if revised > 0 {
            parts.push(format!(
                "{revised} answer{} revised after another tab's writes",
                plural(revised)
            ));
        }
        format!(
            "Counted once. {} submission{}: {}.",
            self.chapters.len(),
            plural(self.chapters.len()),
            parts.join(", ")
        )
    }

    /// Whether the event was counted by exactly one submission, as it must.
    pub fn counted_once(&self) -> bool {
        self.chapters
            .iter()
            .filter(|c| c.submission.status.kind() == Kind::Accepted)
            .count()
            == 1
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{FaultPlan, FaultPoint, Ledger};
    use crate::test_fixtures::{now, SEED_A as A};

    #[test]
    fn every_submission_that_became_the_event_is_in_its_story() {
        let reshaped = r#"{"client_id":"client_A","metric":"sale","amount":1200.0,"ts":"2024-01-01T00:00:00Z"}"#;
        let mut l = Ledger::in_memory("tab1");
        l.faults = FaultPlan::always(FaultPoint::MidRequest);
        assert!(l.submit(A, now()).is_retryable());
        l.faults = FaultPlan::none();
        assert_eq!(l.submit(A, now()).label(), "Accepted");
        assert_eq!(l.submit(A, now()).label(), "Duplicate");
        assert_eq!(l.submit(reshaped, now()).label(), "Duplicate");
        l.submit(
            r#"{"client":"other","metric":"m","amount":1,"ts":1}"#,
            now(),
        );

        let event = l.state().events()[0].event_id.clone();
        let story = Lineage::of(l.state(), &event).expect("a counted event");
        let relations: Vec<Relation> = story.chapters.iter().map(|c| c.relation).collect();
        assert_eq!(
            relations,
            [
                Relation::FailedAttempt,
                Relation::Counted,
                Relation::ExactResend,
                Relation::Reshaped
            ]
        );
        assert!(story.counted_once());
        assert_eq!(
            story.verdict(),
            "Counted once. 4 submissions: 1 accepted, 2 duplicates (1 exact, 1 reshaped), 1 failed attempt retried."
        );
    }

    #[test]
    fn a_key_that_claimed_the_event_and_a_conflict_on_it_belong_to_its_story() {
        let unkeyed = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01"}"#;
        let keyed = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01","event_id":"k"}"#;
        let other = r#"{"client":"c","metric":"m","amount":6,"ts":"2024-01-01","event_id":"k"}"#;
        let mut l = Ledger::in_memory("tab1");
        let first = match l.submit(unkeyed, now()) {
            crate::ledger::Outcome::Accepted { event, .. } => event.event_id,
            other => panic!("{other:?}"),
        };
        l.submit(keyed, now());
        l.submit(other, now());
        // The id it was accepted under still finds it, though the key names it now.
        let story = Lineage::of(l.state(), &first).expect("found by its former id");
        assert_eq!(story.event.idempotency_key.as_deref(), Some("k"));
        let relations: Vec<Relation> = story.chapters.iter().map(|c| c.relation).collect();
        assert_eq!(
            relations,
            [Relation::Counted, Relation::Reshaped, Relation::Conflict]
        );
        assert!(story
            .verdict()
            .contains("1 conflict on its key, not counted"));
    }

    #[test]
    fn an_unknown_id_has_no_story() {
        let l = Ledger::in_memory("tab1");
        let id = Fingerprint::parse(&"0".repeat(64)).expect("a digest");
        assert!(Lineage::of(l.state(), &id).is_none());
    }
}
