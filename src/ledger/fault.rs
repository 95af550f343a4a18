//! Simulated database failures, reproducible from a seed.
//!
//! Contract: a [`FaultPlan`] says at which [`FaultPoint`]s of a request the
//! database fails, always or at a rate, and [`FaultPlan::fires`] answers
//! deterministically: the same plan and seed give the same sequence of
//! failures on every run and every platform, so any failing scenario can be
//! replayed exactly.

use crate::rng::splitmix64;
use std::fmt;

/// Where in a request the simulated database fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultPoint {
    /// Before anything is written: the request never reached storage.
    BeforeRaw,
    /// After the raw submission is recorded, before the commit: the
    /// mid-request failure of the seed write-ups.
    MidRequest,
    /// After the commit, before the answer reaches the client: the event is
    /// stored but the client sees a failure and will retry.
    LostAck,
}

impl FaultPoint {
    /// Every point, in request order.
    pub const ALL: [FaultPoint; 3] = [
        FaultPoint::BeforeRaw,
        FaultPoint::MidRequest,
        FaultPoint::LostAck,
    ];

    /// The point's name alone: the start of its label, without where in
    /// the request it is.
    pub fn name(self) -> &'static str {
        let label = self.label();
        label.split(" (").next().unwrap_or(label)
    }

    /// A label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            FaultPoint::BeforeRaw => "before the raw write",
            FaultPoint::MidRequest => "mid-request (after the raw write, before the commit)",
            FaultPoint::LostAck => "lost acknowledgement (after the commit)",
        }
    }
}

impl fmt::Display for FaultPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One failure rule: a point and how often it fires, in parts per million
/// (an integer so that runs replay identically everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Where in the request the failure happens.
    pub point: FaultPoint,
    /// 1,000,000 fires always; 0 never.
    pub per_million: u32,
}

/// The parts-per-million value that means "always".
pub const ALWAYS: u32 = 1_000_000;

/// A set of failure rules and the seeded generator that decides them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    /// The failure rules; an empty list never fails.
    pub faults: Vec<Fault>,
    /// The seed the generator started from, kept to describe the run.
    pub seed: u64,
    /// The generator's state; advances once per rate-based decision.
    state: u64,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan::none()
    }
}

impl FaultPlan {
    /// A database that never fails.
    pub fn none() -> FaultPlan {
        FaultPlan::new(Vec::new(), 0)
    }

    /// A plan with the given rules and seed.
    pub fn new(faults: Vec<Fault>, seed: u64) -> FaultPlan {
        FaultPlan {
            faults,
            seed,
            state: seed,
        }
    }

    /// Fails at `point` on every request.
    pub fn always(point: FaultPoint) -> FaultPlan {
        FaultPlan::new(
            vec![Fault {
                point,
                per_million: ALWAYS,
            }],
            0,
        )
    }

    /// Whether the plan fails anything at all.
    pub fn is_active(&self) -> bool {
        self.faults.iter().any(|f| f.per_million > 0)
    }

    /// Decides whether the database fails at `point` for this request.
    pub fn fires(&mut self, point: FaultPoint) -> bool {
        let Some(per_million) = self
            .faults
            .iter()
            .filter(|f| f.point == point)
            .map(|f| f.per_million)
            .max()
        else {
            return false;
        };
        match per_million {
            0 => false,
            p if p >= ALWAYS => true,
            p => (self.next() % u64::from(ALWAYS)) < u64::from(p),
        }
    }

    fn next(&mut self) -> u64 {
        splitmix64(&mut self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_never_fires_and_always_always_does() {
        let mut none = FaultPlan::none();
        let mut always = FaultPlan::always(FaultPoint::MidRequest);
        for _ in 0..100 {
            assert!(!none.fires(FaultPoint::MidRequest));
            assert!(always.fires(FaultPoint::MidRequest));
            assert!(!always.fires(FaultPoint::BeforeRaw));
        }
        assert!(!none.is_active());
        assert!(always.is_active());
    }

    #[test]
    fn rates_are_reproducible_and_roughly_right() {
        let plan = FaultPlan::new(
            vec![Fault {
                point: FaultPoint::LostAck,
                per_million: 250_000,
            }],
            42,
        );
        let run = |mut p: FaultPlan| {
            (0..10_000)
                .map(|_| p.fires(FaultPoint::LostAck))
                .collect::<Vec<_>>()
        };
        let a = run(plan.clone());
        assert_eq!(a, run(plan.clone()), "same seed, same failures");
        let fired = a.iter().filter(|x| **x).count();
        assert!(
            (2_200..2_800).contains(&fired),
            "fired {fired} of 10000 at 25%"
        );
        let other = run(FaultPlan::new(plan.faults.clone(), 43));
        assert_ne!(a, other, "another seed, other failures");
    }
}
