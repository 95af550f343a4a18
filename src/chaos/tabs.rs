//! Where a simulation sends: the app's own ledger, or several simulated
//! tabs over one store that see each other's writes only when they refresh.
//!
//! Contract: [`SimTabs`] is the worst case of localStorage without a Web
//! Lock: each tab decides on its own lagging view, so answers race. After
//! [`SimTabs::converge`] every tab must derive exactly what a fresh reader
//! derives; the simulator fails the run otherwise.

use crate::ledger::{Failure, FaultPlan, Ledger, LedgerState, Outcome, Record};
use crate::rng::SeededRng;
use crate::store::{Journal, LaggingView, MemoryKv, SegmentJournal, SharedKv, StoreError};
use chrono::{DateTime, Utc};
use std::rc::Rc;

/// Where a simulation sends its payloads.
pub trait SimTarget {
    /// Submits one payload at `now`; `rng` may choose how (e.g. which tab).
    fn send(&mut self, text: &str, now: DateTime<Utc>, rng: &mut SeededRng) -> Outcome;
    /// Applies a fault plan to every ledger of the target.
    fn set_faults(&mut self, plan: FaultPlan);
}

impl<J: Journal<Entry = Record>> SimTarget for Ledger<J> {
    fn send(&mut self, text: &str, now: DateTime<Utc>, _rng: &mut SeededRng) -> Outcome {
        self.submit(text, now)
    }
    fn set_faults(&mut self, plan: FaultPlan) {
        self.faults = plan;
    }
}

/// Over the same store type as the app's own ledger: one copy of the
/// journal's code in the browser build.
type TabLedger = Ledger<SegmentJournal<SharedKv, Record>>;

/// Several simulated tabs over one in-memory store, each seeing the others'
/// writes only when it refreshes.
pub struct SimTabs {
    shared: Rc<MemoryKv>,
    tabs: Vec<(Rc<LaggingView<Rc<MemoryKv>>>, TabLedger)>,
    refresh_per_million: u32,
    start: DateTime<Utc>,
}

impl SimTabs {
    /// `count` tabs (at least 2) over a new empty store.
    pub fn new(
        count: usize,
        refresh_per_million: u32,
        start: DateTime<Utc>,
    ) -> Result<SimTabs, StoreError> {
        let shared = Rc::new(MemoryKv::new());
        let mut tabs = Vec::new();
        for i in 0..count.max(2) {
            let view = Rc::new(LaggingView::new(shared.clone())?);
            let writer = format!("tab{}", i + 1);
            let kv: SharedKv = view.clone();
            let journal = SegmentJournal::open(kv, &writer, start)?;
            tabs.push((view, Ledger::open(journal, writer)?));
        }
        Ok(SimTabs {
            shared,
            tabs,
            refresh_per_million,
            start,
        })
    }

    /// Lets every tab see everything and catch up, then derives the state a
    /// fresh reader sees. Returns it and whether every tab agrees with it.
    pub fn converge(&mut self) -> Result<(LedgerState, bool), StoreError> {
        let kv: SharedKv = self.shared.clone();
        let journal = SegmentJournal::open(kv, "reader", self.start)?;
        let reader = Ledger::open(journal, "reader")?;
        let expected = reader.state().comparable();
        let mut agree = true;
        for (view, ledger) in &mut self.tabs {
            view.sync()?;
            ledger.refresh()?;
            agree &= ledger.state().comparable() == expected;
        }
        Ok((reader.state().clone(), agree))
    }

    /// How many tabs there are.
    pub fn len(&self) -> usize {
        self.tabs.len()
    }

    /// Always false: there are at least two tabs.
    pub fn is_empty(&self) -> bool {
        self.tabs.is_empty()
    }
}

impl SimTarget for SimTabs {
    fn send(&mut self, text: &str, now: DateTime<Utc>, rng: &mut SeededRng) -> Outcome {
        let i = rng.below(self.tabs.len() as u64) as usize;
        let (view, ledger) = &mut self.tabs[i];
        if rng.chance(self.refresh_per_million) {
            // A refresh point: the tab handles its pending storage events.
            if let Err(e) = view.sync() {
                return Outcome::Failed {
                    failure: Failure::CatchUp(e),
                };
            }
        }
        ledger.submit(text, now)
    }
    fn set_faults(&mut self, plan: FaultPlan) {
        for (_, ledger) in &mut self.tabs {
            ledger.faults = plan.clone();
        }
    }
}
