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
//!
//! A [`SubmissionStory`] is the same for one submission, counted or not:
//! what became of it in plain words, every reason it was refused, the event
//! it belongs to and the other submissions of the same text.
//!
//! How fields were read (provenance) and what a reshaped duplicate spelled
//! differently are derived by normalizing the raw text again under today's
//! rules; when those no longer read it as the stored event, the story says
//! so instead of showing a provenance that did not happen.

use crate::ledger::{Event, Kind, LedgerState, Status, Submission, SubmissionId};
use crate::pipeline::fingerprint::Fingerprint;
use crate::pipeline::normalize::{normalize, Normalized, Provenance};
use crate::pipeline::rules::{Field, Rules};

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
            Relation::FailedAttempt => "failed attempt (mid-request); its retry is listed too",
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
    /// The submission whose idempotency key claimed the event (sent first
    /// without a key), if one did: the event carries that key now.
    pub claimant: Option<&'a SubmissionId>,
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
        let texts: Vec<&str> = chapters.iter().map(|c| &*c.submission.raw).collect();
        for s in state.submissions() {
            if s.status == Status::Interrupted && texts.contains(&&*s.raw) {
                chapters.push(Chapter {
                    submission: s,
                    relation: Relation::FailedAttempt,
                });
            }
        }
        crate::order::sort_by(&mut chapters, |a, b| {
            (a.submission.received_at, &a.submission.id)
                .cmp(&(b.submission.received_at, &b.submission.id))
        });
        Some(Lineage {
            event,
            chapters,
            claimant: state.claimed_by(event),
        })
    }

    /// The story in one sentence: "Counted once. 4 submissions: 1 accepted,
    /// 2 duplicates (1 exact, 1 reshaped), 1 failed attempt retried."
    pub fn verdict(&self) -> String {
        let count = |r: Relation| self.chapters.iter().filter(|c| c.relation == r).count();
        let (exact, reshaped) = (count(Relation::ExactResend), count(Relation::Reshaped));
        let mut parts = vec![format!("{} accepted", count(Relation::Counted))];
        match (exact, reshaped) {
            (0, 0) => {}
            (n, 0) => parts.push(format!("{n} exact resend{}", plural(n))),
            (0, n) => parts.push(format!("{n} reshaped duplicate{}", plural(n))),
            _ => parts.push(format!(
                "{} duplicates ({exact} exact, {reshaped} reshaped)",
                exact + reshaped
            )),
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

    /// The submission that was counted as the event.
    pub fn counted(&self) -> Option<&'a Submission> {
        self.chapters
            .iter()
            .find(|c| c.relation == Relation::Counted)
            .map(|c| c.submission)
    }

    /// How each field of the event was found in the counted submission, if
    /// today's rules still read its text as this event.
    pub fn provenance(&self, rules: &Rules) -> Result<Vec<Provenance>, String> {
        let read = self
            .counted()
            .and_then(|s| normalize(&s.raw, rules).ok())
            .filter(|n| reads_as(n, self.event));
        read.map(|n| n.provenance).ok_or_else(|| {
            "The mapping rules have changed since this event was counted: today they read its text differently, so how each field was found is not shown.".to_string()
        })
    }

    /// What a reshaped duplicate (or a conflict on the event's key) spelled
    /// differently from the counted submission, one line per difference,
    /// under today's rules.
    pub fn differences(&self, chapter: &Chapter<'_>, rules: &Rules) -> Vec<String> {
        let claimed = self.claim(&chapter.submission.id);
        match self.counted() {
            Some(counted) => differences(&counted.raw, &chapter.submission.raw, rules, claimed),
            None => Vec::new(),
        }
    }

    /// The event's claim by a keyed resend, as seen from `submission`.
    fn claim(&self, submission: &SubmissionId) -> Option<KeyClaim<'a>> {
        KeyClaim::of(self.event, self.claimant, submission)
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

/// Whether a normalization gives the stored event's fields. The key is
/// compared only when the text has one: a keyed resend may have claimed an
/// event first sent without a key.
fn reads_as(n: &Normalized, event: &Event) -> bool {
    *n.client_id == *event.client_id
        && *n.metric == *event.metric
        && n.amount == event.amount
        && n.timestamp == event.timestamp
        && n.idempotency_key
            .as_ref()
            .is_none_or(|k| event.idempotency_key.as_ref() == Some(k))
}

/// The key a claimed event carries now, and whether the submission being
/// compared is the one whose key claimed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyClaim<'a> {
    /// The event's key, which a keyed resend gave it.
    pub key: &'a str,
    /// Whether the submission compared is that resend.
    pub here: bool,
}

impl<'a> KeyClaim<'a> {
    /// The claim on `event` by `claimant` (the submission whose key claimed
    /// it, if one did), as seen from `submission`.
    fn of(
        event: &'a Event,
        claimant: Option<&SubmissionId>,
        submission: &SubmissionId,
    ) -> Option<KeyClaim<'a>> {
        let key = event.idempotency_key.as_deref()?;
        claimant.map(|by| KeyClaim {
            key,
            here: by == submission,
        })
    }
}

/// What `other` spells differently from `counted`, field by field: where a
/// field was found (an alias, an envelope) and how its value was written.
/// `claimed`: a keyed resend claimed the event `counted` became, which
/// carries that key now, and whether `other` is that resend. A key of
/// `other` "none in" the counted text is then said to be the event's.
pub fn differences(
    counted: &str,
    other: &str,
    rules: &Rules,
    claimed: Option<KeyClaim<'_>>,
) -> Vec<String> {
    let (Ok(a), Ok(b)) = (normalize(counted, rules), normalize(other, rules)) else {
        return vec!["Today's mapping rules no longer read both texts, so they are not compared field by field.".into()];
    };
    let mut lines = Vec::new();
    for field in Field::ALL {
        let find = |n: &Normalized| n.provenance.iter().find(|p| p.field == field).cloned();
        match (find(&a), find(&b)) {
            (Some(x), Some(y)) => {
                if x.path != y.path {
                    lines.push(format!(
                        "{field}: found at {} instead of {}",
                        y.path, x.path
                    ));
                }
                if x.original != y.original {
                    let read = if x.value == y.value {
                        format!("both read as {}", y.value)
                    } else {
                        format!("read as {}, not {}", y.value, x.value)
                    };
                    lines.push(format!(
                        "{field}: written {} instead of {} ({read})",
                        y.original, x.original
                    ));
                }
            }
            (None, Some(y))
                if field == Field::IdempotencyKey && claimed.is_some_and(|c| c.key == y.value) =>
            {
                let whose = if claimed.is_some_and(|c| c.here) {
                    "this key claimed the event, which carries it now"
                } else {
                    "the event carries it since a later submission's key claimed it"
                };
                lines.push(format!(
                    "{field}: {} given here, none in the submission that was counted; {whose}",
                    y.original
                ));
            }
            (None, Some(y)) => lines.push(format!(
                "{field}: {} given here, none in the submission that was counted",
                y.original
            )),
            (Some(x), None) => lines.push(format!(
                "{field}: none here, {} in the submission that was counted",
                x.original
            )),
            (None, None) => {}
        }
    }
    if lines.is_empty() {
        lines.push("Only fields Tally does not read differ.".into());
    }
    lines
}

/// One submission's page: what became of it and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionStory<'a> {
    /// The submission, as received, with its derived status.
    pub submission: &'a Submission,
    /// The counted event it belongs to: the one it became, duplicates or
    /// conflicts with, or, for an interrupted one, the event its text
    /// became when it was sent again.
    pub event: Option<&'a Event>,
    /// Every other submission of exactly the same text, in the order received.
    pub same_text: Vec<&'a Submission>,
    /// Whether its idempotency key claimed the event (sent first without a
    /// key), which carries the key now.
    pub claimed: bool,
}

impl<'a> SubmissionStory<'a> {
    /// The story of the submission `id`, if it was received here.
    pub fn of(state: &'a LedgerState, id: &SubmissionId) -> Option<SubmissionStory<'a>> {
        let submission = state.submission(id)?;
        let same_text: Vec<&Submission> = state
            .submissions()
            .iter()
            .filter(|s| s.raw == submission.raw && s.id != submission.id)
            .collect();
        let names = |s: &Submission| match &s.status {
            Status::Accepted { event_id } => state.event(event_id),
            Status::Duplicate { of, .. } => state.event(of),
            Status::Conflict { existing, .. } => state.event(existing),
            Status::Rejected { .. } | Status::Interrupted => None,
        };
        let event = names(submission).or_else(|| match submission.status {
            Status::Interrupted => same_text.iter().find_map(|s| names(s)),
            _ => None,
        });
        let claimed = event.and_then(|e| state.claimed_by(e)) == Some(&submission.id);
        Some(SubmissionStory {
            submission,
            event,
            same_text,
            claimed,
        })
    }

    /// What became of the submission, in plain words.
    pub fn verdict(&self) -> String {
        match &self.submission.status {
            Status::Accepted { .. } => "Counted: it became a new event.".into(),
            Status::Duplicate { exact_resend: true, .. } => {
                "Not counted again: the same JSON as a submission already counted.".into()
            }
            Status::Duplicate { .. } if self.claimed => {
                "Not counted again: the same event as one already counted, in another shape. Its idempotency key claimed that event, which was sent first without a key: the event carries the key, and the id it gives, now.".into()
            }
            Status::Duplicate { .. } => {
                "Not counted again: the same event as one already counted, in another shape.".into()
            }
            Status::Conflict { key, .. } => format!(
                "Not counted: its idempotency key \"{key}\" already names an event with other content."
            ),
            Status::Rejected { rejection } => {
                let n = rejection.reasons().len();
                format!(
                    "Not counted: refused for {n} reason{}, listed below. Correct the text and submit it again.",
                    plural(n)
                )
            }
            Status::Interrupted if self.event.is_some() => {
                "Not counted itself: the request failed after its text was recorded and before its verdict. The same text was counted when it was sent again.".into()
            }
            Status::Interrupted => {
                "Not counted: the request failed after its text was recorded and before its verdict.".into()
            }
        }
    }

    /// What the user can do about a submission whose text was never
    /// counted, or whose answer was lost, given whether its text still
    /// waits in Failed: a discarded one is not there to retry (an outside
    /// review was sent looking for it).
    pub fn next_step(&self, waiting_in_failed: bool) -> Option<&'static str> {
        match self.submission.status {
            Status::Interrupted if self.event.is_none() => Some(if waiting_in_failed {
                "It waits in Failed, where retrying it is safe."
            } else {
                "It is no longer in Failed (it was discarded): submitting the same text again is safe and counts it once."
            }),
            // Counted, its answer lost: the Failed item that leads here
            // said nothing of it (an outside review).
            Status::Accepted { .. } | Status::Duplicate { .. } if waiting_in_failed => Some(
                "Its answer was lost, so its text still waits in Failed: a retry there reports a duplicate, and discarding it loses nothing.",
            ),
            _ => None,
        }
    }

    /// What a duplicate in another shape, or a conflict, spelled
    /// differently from the submission that was counted as its event.
    pub fn differences(&self, state: &LedgerState, rules: &Rules) -> Vec<String> {
        let compared = match self.submission.status {
            Status::Duplicate {
                exact_resend: false,
                ..
            }
            | Status::Conflict { .. } => self.event.and_then(|e| state.submission(&e.submission)),
            _ => None,
        };
        compared.map_or_else(Vec::new, |counted| {
            let claim = self
                .event
                .and_then(|e| KeyClaim::of(e, state.claimed_by(e), &self.submission.id));
            differences(&counted.raw, &self.submission.raw, rules, claim)
        })
    }

    /// Every reason the submission was refused; empty unless rejected.
    pub fn reasons(&self) -> Vec<String> {
        match &self.submission.status {
            Status::Rejected { rejection } => rejection.reasons(),
            _ => Vec::new(),
        }
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
            r#"{"client":"other","metric":"m","amount":1,"ts":1700000000}"#,
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
        assert!(
            story
                .verdict()
                .contains("1 accepted, 1 reshaped duplicate,"),
            "no '(0 exact, 1 reshaped)': {}",
            story.verdict()
        );
        let conflict = story.chapters.last().expect("the conflict");
        assert_eq!(
            story.differences(conflict, &Rules::default()),
            [
                "amount: written 6 instead of 5 (read as 6, not 5)",
                "idempotency_key: \"k\" given here, none in the submission that was counted; the event carries it since a later submission's key claimed it"
            ]
        );
        let page = SubmissionStory::of(l.state(), &conflict.submission.id).expect("received");
        assert_eq!(
            page.differences(l.state(), &Rules::default()),
            story.differences(conflict, &Rules::default())
        );
        assert!(!page.claimed, "a conflict on the key claimed nothing");
        // The keyed resend claimed the event: its story and its page say so,
        // since the event now carries the key its counted text lacked.
        let claimant = &story.chapters[1];
        assert_eq!(story.claimant, Some(&claimant.submission.id));
        assert_eq!(
            story.differences(claimant, &Rules::default()),
            ["idempotency_key: \"k\" given here, none in the submission that was counted; this key claimed the event, which carries it now"]
        );
        let page = SubmissionStory::of(l.state(), &claimant.submission.id).expect("received");
        assert!(page.claimed);
        assert!(
            page.verdict()
                .contains("Its idempotency key claimed that event"),
            "{}",
            page.verdict()
        );
    }

    #[test]
    fn a_reshaped_duplicate_says_what_it_spelled_differently() {
        let reshaped = r#"{"client_id":"client_A","metric":"sale","amount":1200.0,"ts":"2024-01-01T00:00:00Z"}"#;
        let rules = Rules::default();
        let lines = differences(A, reshaped, &rules, None);
        assert!(
            lines.contains(&"client_id: found at client_id instead of source".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"amount: found at amount instead of payload.amount".to_string()),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("amount: written 1200.0 instead of \"1200\"")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with(
                "timestamp: written \"2024-01-01T00:00:00Z\" instead of \"2024/01/01\""
            )),
            "{lines:?}"
        );
        assert_eq!(
            differences(
                A,
                r#"{"source":"client_A","note":"x","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#,
                &rules,
                None
            ),
            ["Only fields Tally does not read differ."]
        );
        assert_eq!(differences(A, "not json", &rules, None).len(), 1);
    }

    #[test]
    fn provenance_is_shown_only_while_the_rules_still_read_the_event() {
        let mut l = Ledger::in_memory("tab1");
        l.submit(A, now());
        let id = l.state().events()[0].event_id.clone();
        let story = Lineage::of(l.state(), &id).expect("counted");
        let fields: Vec<String> = story
            .provenance(&Rules::default())
            .expect("today's rules read it")
            .iter()
            .map(|p| format!("{} <- {}", p.field, p.path))
            .collect();
        assert_eq!(
            fields,
            [
                "client_id <- source",
                "metric <- payload.metric",
                "amount <- payload.amount",
                "timestamp <- payload.timestamp"
            ]
        );
        // Rules that no longer know "source" as a client id do not read it.
        let text = Rules::default().to_json();
        assert!(text.contains("\"source\""));
        let changed = Rules::from_json(&text.replace("\"source\"", "\"sender\"")).expect("valid");
        assert!(story.provenance(&changed).is_err());
    }

    #[test]
    fn a_submission_page_explains_a_refusal_reason_by_reason() {
        let mut l = Ledger::in_memory("tab1");
        l.submit(
            r#"{"client_id":"c","amount":"abc","ts":"yesterday"}"#,
            now(),
        );
        let id = l.state().submissions()[0].id.clone();
        let story = SubmissionStory::of(l.state(), &id).expect("received");
        assert!(story.event.is_none());
        let reasons = story.reasons();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(
            reasons.iter().any(|r| r.starts_with("metric")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("amount (at amount, found \"abc\")")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.starts_with("timestamp (at ts")),
            "{reasons:?}"
        );
        assert!(story
            .verdict()
            .starts_with("Not counted: refused for 3 reasons"));
    }

    #[test]
    fn an_interrupted_submission_leads_to_the_event_its_retry_became() {
        let mut l = Ledger::in_memory("tab1");
        l.faults = FaultPlan::always(FaultPoint::MidRequest);
        l.submit(A, now());
        l.faults = FaultPlan::none();
        let failed = l.state().submissions()[0].id.clone();
        let before = SubmissionStory::of(l.state(), &failed).expect("received");
        assert!(before.event.is_none());
        assert_eq!(
            before.next_step(true),
            Some("It waits in Failed, where retrying it is safe.")
        );
        assert!(before
            .next_step(false)
            .unwrap_or_default()
            .contains("discarded"));
        l.submit(A, now());
        let after = SubmissionStory::of(l.state(), &failed).expect("received");
        assert_eq!(after.event, l.state().events().first().map(|e| &**e));
        assert_eq!(after.same_text.len(), 1);
        assert!(after.verdict().contains("counted when it was sent again"));
        assert_eq!(after.next_step(false), None, "counted: nothing to do");
        let retried =
            SubmissionStory::of(l.state(), &l.state().submissions()[1].id).expect("received");
        assert!(retried
            .next_step(true)
            .unwrap_or_default()
            .starts_with("Its answer was lost"));
        let missing = SubmissionId {
            writer: "tab1".into(),
            seq: 9,
        };
        assert!(SubmissionStory::of(l.state(), &missing).is_none());
    }

    #[test]
    fn an_unknown_id_has_no_story() {
        let l = Ledger::in_memory("tab1");
        let id = Fingerprint::parse(&"0".repeat(64)).expect("a digest");
        assert!(Lineage::of(l.state(), &id).is_none());
    }
}
