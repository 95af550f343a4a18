//! Every label and reason a user reads about a decision, in one place, so
//! the Submit panel, Bulk import's lines, the raw log and the Failed list
//! say the same thing the same way.

use super::outcome::{Kind, Outcome, Status};
use super::state::LedgerState;
use crate::pipeline::fingerprint::Fingerprint;

impl Kind {
    /// The kind's name as users see it. ASCII: views lowercase it for a
    /// class name with `to_ascii_lowercase`, since `str::to_lowercase`
    /// links Unicode's case tables into the browser build (7.7 KB gzip).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Accepted => "Accepted",
            Kind::Duplicate => "Duplicate",
            Kind::Rejected => "Rejected",
            Kind::Conflict => "Conflict",
            Kind::Failed => "Failed",
            Kind::Interrupted => "Interrupted",
        }
    }
}

/// How a duplicate relates to the event it duplicates.
fn duplicate(exact_resend: bool) -> &'static str {
    if exact_resend {
        "exact resend of"
    } else {
        "same event, in another shape, as"
    }
}

impl Status {
    /// One line on what became of a submission.
    pub fn reason(&self) -> String {
        match self {
            Status::Interrupted => "received, then the request failed before its outcome was recorded; this attempt committed nothing".into(),
            Status::Accepted { event_id } => format!("committed as {}", event_id.short()),
            Status::Duplicate { of, exact_resend } => format!("{} {}", duplicate(*exact_resend), of.short()),
            Status::Rejected { rejection } => rejection.to_string(),
            Status::Conflict { key, existing } => format!("idempotency key \"{key}\" already used by {}", existing.short()),
        }
    }
}

impl Status {
    /// [`Status::reason`] as `state` reads it now: an event a later key
    /// claimed has a new id (the one Processed lists), so the line names
    /// both instead of an id the user finds nowhere else.
    pub fn reason_in(&self, state: &LedgerState) -> String {
        let named = match self {
            Status::Accepted { event_id } => event_id,
            Status::Duplicate { of, .. } => of,
            Status::Conflict { existing, .. } => existing,
            Status::Interrupted | Status::Rejected { .. } => return self.reason(),
        };
        self.reason() + &renamed(state, named).unwrap_or_default()
    }
}

/// What to add to an answer naming the event `named` when a later key
/// claimed that event, which then took the id Processed lists:
/// "; now <id>, since an idempotency key claimed it". `None` when the event
/// still has that id (or is unknown here).
pub fn renamed(state: &LedgerState, named: &Fingerprint) -> Option<String> {
    state
        .event(named)
        .filter(|event| event.event_id != *named)
        .map(|event| {
            format!(
                "; now {}, since an idempotency key claimed it",
                event.event_id.short()
            )
        })
}

impl Outcome {
    /// One line on the answer to a submission.
    pub fn reason(&self) -> String {
        match self {
            Outcome::Accepted { event, .. } => format!("committed as {}", event.event_id.short()),
            Outcome::Duplicate {
                original,
                exact_resend,
                ..
            } => {
                format!("{} {}", duplicate(*exact_resend), original.event_id.short())
            }
            Outcome::Rejected { rejection } => rejection.to_string(),
            Outcome::Failed { failure } => failure.to_string(),
            Outcome::Conflict { key, existing } => {
                format!(
                    "idempotency key \"{key}\" already used by {}",
                    existing.event_id.short()
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::Ledger;
    use crate::test_fixtures::{now, SEED_A as A};

    #[test]
    fn an_answer_and_the_status_it_leaves_read_alike() {
        let mut l = Ledger::in_memory("tab1");
        l.submit(A, now());
        let answer = l.submit(A, now());
        let status = &l.state().submissions()[1].status;
        assert_eq!(answer.kind(), status.kind());
        assert_eq!(answer.label(), status.kind().label());
        assert_eq!(answer.reason(), status.reason());
        assert!(
            answer.reason().starts_with("exact resend of"),
            "{}",
            answer.reason()
        );
    }
}
