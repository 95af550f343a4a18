//! Simulated database failures, reproducible from a seed.
//!
//! Contract: a [`FaultPlan`] says at which [`FaultPoint`]s of a request the
//! database fails, always or at a rate, and [`FaultPlan::fires`] answers
//! deterministically: the same plan and seed give the same sequence of
//! failures on every run and every platform, so any failing scenario can be
//! replayed exactly.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where in a request the simulated database fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Where in the request the failure happens.
    pub point: FaultPoint,
    /// 1,000,000 fires always; 0 never.
    pub per_million: u32,
}

/// The parts-per-million value that means "always".
pub const ALWAYS: u32 = 1_000_000;

/// A set of failure rules and the seeded generator that decides them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

    /// SplitMix64: tiny, fast, and fully specified, so a seed means the same
    /// thing in every build (no dependency's algorithm can change under us).
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A seeded random generator for tests and the simulator, sharing the plan's
/// algorithm.
#[derive(Debug, Clone)]
pub struct SeededRng(FaultPlan);

impl SeededRng {
    /// A generator that starts from `seed`.
    pub fn new(seed: u64) -> SeededRng {
        SeededRng(FaultPlan::new(Vec::new(), seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next()
    }

    /// A number in `0..n` (`n` > 0); the modulo bias is negligible for the
    /// small ranges Tally uses.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `per_million` / 1,000,000.
    pub fn chance(&mut self, per_million: u32) -> bool {
        self.below(u64::from(ALWAYS)) < u64::from(per_million)
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

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (the published reference).
        let mut r = SeededRng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }
}
