//! The figures every view shows at a glance, so a user never has to open
//! Aggregates to see that nothing was lost or counted twice.
//!
//! Contract: derived from the ledger's state alone (plus the outbox's size,
//! which the caller reads), like every other figure.

use crate::ledger::{Kind, LedgerState, Status};
use crate::pipeline::amount::Amount;

/// Committed events and their total, and what happened to every other
/// submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Glance {
    /// Events counted.
    pub events: u64,
    /// Their exact total.
    pub total: Amount,
    /// Submissions recognised as an event already counted.
    pub duplicates: u64,
    /// Submissions refused, with reasons (invalid JSON or fields).
    pub rejected: u64,
    /// Submissions whose idempotency key another event holds.
    pub conflicts: u64,
    /// Submissions received but never settled (their request failed).
    pub interrupted: u64,
    /// Answers that a merge of tabs' records revised.
    pub revised: u64,
}

impl Glance {
    /// The figures of `state`, from what it keeps as it changes: no pass
    /// over the history, since every view shows them after every commit.
    pub fn of(state: &LedgerState) -> Glance {
        let figures = state.figures();
        Glance {
            events: state.events().len() as u64,
            total: figures.total(),
            duplicates: figures.submissions(Kind::Duplicate),
            rejected: figures.submissions(Kind::Rejected),
            conflicts: figures.submissions(Kind::Conflict),
            interrupted: figures.submissions(Kind::Interrupted),
            revised: figures.revised(),
        }
    }

    /// The same figures counted from scratch, over every event and
    /// submission: what [`Glance::of`] must always equal (the model and
    /// convergence tests compare them after faults, undone decisions and
    /// merges).
    pub fn recount(state: &LedgerState) -> Glance {
        let mut glance = Glance {
            events: state.events().len() as u64,
            total: state
                .events()
                .iter()
                .try_fold(Amount::ZERO, |acc, e| acc.checked_add(e.amount))
                .unwrap_or(Amount::ZERO),
            ..Glance::default()
        };
        for s in state.submissions() {
            match s.status {
                Status::Duplicate { .. } => glance.duplicates += 1,
                Status::Rejected { .. } => glance.rejected += 1,
                Status::Conflict { .. } => glance.conflicts += 1,
                Status::Interrupted => glance.interrupted += 1,
                Status::Accepted { .. } => {}
            }
            glance.revised += u64::from(s.told.is_some());
        }
        glance
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{FaultPlan, FaultPoint, Ledger};
    use crate::test_fixtures::{now, SEED_A as A, SEED_B as B};

    #[test]
    fn every_submission_is_in_exactly_one_figure() {
        let mut l = Ledger::in_memory("tab1");
        l.submit(A, now());
        l.submit(A, now());
        l.submit(B, now());
        l.submit("{", now());
        l.faults = FaultPlan::always(FaultPoint::MidRequest);
        l.submit(
            r#"{"client":"c","metric":"m","amount":1,"ts":1700000000}"#,
            now(),
        );
        let g = Glance::of(l.state());
        assert_eq!(g, Glance::recount(l.state()));
        assert_eq!(
            (g.events, g.duplicates, g.rejected, g.interrupted),
            (2, 1, 1, 1)
        );
        assert_eq!(g.total.to_string(), "6200");
        assert_eq!(
            g.events + g.duplicates + g.rejected + g.conflicts + g.interrupted,
            l.state().submissions().len() as u64
        );
    }
}
