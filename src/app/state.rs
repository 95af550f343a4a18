//! The app's state: the core [`service::Tally`] over localStorage and the
//! browser's clock, behind one handle the components share. Every policy
//! lives in the core and is tested natively; this file only binds it to the
//! browser (a writer id per page load, the storage meter).

use crate::browser::{self, LocalStorageKv};
use crate::ledger::{FaultPlan, Outcome};
use crate::service;
use crate::store::{SharedKv, StoreError};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use std::ops::{Deref, DerefMut};

/// The core service as the browser runs it.
pub type BrowserTally = service::Tally<SharedKv, fn() -> DateTime<Utc>>;

/// The durable ledger the app uses.
pub type AppLedger = crate::ledger::StoredLedger<SharedKv>;

/// Everything the views read and change: the core service, bound to this
/// page's storage, clock and writer id.
pub struct Tally(BrowserTally);

impl Deref for Tally {
    type Target = BrowserTally;
    fn deref(&self) -> &BrowserTally {
        &self.0
    }
}

impl DerefMut for Tally {
    fn deref_mut(&mut self) -> &mut BrowserTally {
        &mut self.0
    }
}

impl Tally {
    /// Opens the stored state as a new writer (this page load).
    pub fn open() -> Result<Tally, StoreError> {
        let clock: fn() -> DateTime<Utc> = browser::now;
        let kv: SharedKv = std::rc::Rc::new(LocalStorageKv);
        service::Tally::open(kv, clock, &browser::new_writer_id()).map(Tally)
    }

    /// Submits one payload; a failure waits in the outbox. The second value
    /// says why the outbox could not keep it, if it could not.
    pub fn submit(&mut self, raw: &str) -> (Outcome, Option<String>) {
        let outcome = self.0.submit(raw);
        // Asked of the outbox itself: the count of failures not kept may
        // have been raised by an earlier request already.
        let waits = || {
            self.0
                .outbox
                .waiting_ids()
                .is_ok_and(|ids| ids.contains(&service::item_id(raw)))
        };
        let notice = match &outcome {
            Outcome::Failed { .. } if !waits() => Some(
                self.0
                    .not_kept_message()
                    .unwrap_or_else(|| "It could not be kept in Failed.".into()),
            ),
            _ => None,
        };
        (outcome, notice)
    }

    /// Re-reads what other tabs committed; sizes they changed are re-read
    /// too. Says whether anything shown may have changed.
    pub fn refresh(&mut self) -> bool {
        browser::forget_sizes();
        self.0.refresh()
    }

    /// Removes every Tally key and starts empty as a new writer.
    pub fn clear_all(&mut self) -> Result<(), StoreError> {
        self.0.clear_all(&browser::new_writer_id())
    }

    /// UTF-16 code units Tally's keys use, as localStorage counts them.
    pub fn used_units(&self) -> u64 {
        browser::tally_units().unwrap_or(0)
    }
}

/// The shared handle: the state, and a revision that views track so they
/// re-derive after every change (here or in another tab).
#[derive(Clone, Copy)]
pub struct AppState {
    /// The state itself: private, so every change goes through `update` or
    /// `commit` and the views re-derive.
    /// Local to the page's one thread: the store behind it is an `Rc`.
    tally: StoredValue<Tally, LocalStorage>,
    revision: RwSignal<u64>,
}

impl AppState {
    /// Shares `tally` with the views.
    pub fn new(tally: Tally) -> AppState {
        AppState {
            tally: StoredValue::new_local(tally),
            revision: RwSignal::new(0),
        }
    }

    /// Reads the state without subscribing: for a view's initial values.
    pub fn peek<T>(&self, f: impl FnOnce(&Tally) -> T) -> Option<T> {
        self.tally.try_with_value(f)
    }

    /// The simulated database failures in force.
    pub fn faults(&self) -> FaultPlan {
        self.tally
            .try_with_value(|t| t.ledger.faults.clone())
            .unwrap_or_default()
    }

    /// Sets the simulated database failures. Nothing shown depends on them,
    /// so the views are not re-derived.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.tally.update_value(|t| t.ledger.faults = plan);
    }

    /// The whole state as a backup document (reading the journal needs
    /// `&mut`, but changes nothing shown).
    pub fn export(&self) -> Option<Result<String, StoreError>> {
        self.tally.try_update_value(|t| t.export())
    }

    /// The Failed list, tracking changes. Reading may set a damaged item
    /// aside (a write), but does not signal a change itself, or a view that
    /// shows the list would re-run forever.
    pub fn outbox_items(&self) -> Vec<crate::service::OutboxItem> {
        self.track();
        self.tally
            .try_update_value(|t| t.outbox_items())
            .unwrap_or_default()
    }

    /// Marks the state as changed so every view re-derives.
    pub fn changed(&self) {
        self.revision.update(|r| *r += 1);
    }

    /// Subscribes the current view to changes.
    pub fn track(&self) {
        self.revision.track();
    }

    /// Reads the state, tracking changes.
    pub fn read<T>(&self, f: impl FnOnce(&Tally) -> T) -> T {
        self.track();
        self.tally.with_value(f)
    }

    /// Changes the state without notifying the views: the caller notifies
    /// ([`AppState::changed`]) if what is shown changed.
    pub fn update_quietly<T>(&self, f: impl FnOnce(&mut Tally) -> T) -> Option<T> {
        self.tally.try_update_value(f)
    }

    /// Changes the state and notifies the views.
    pub fn update<T>(&self, f: impl FnOnce(&mut Tally) -> T) -> Option<T> {
        let out = self.tally.try_update_value(f);
        self.changed();
        out
    }

    /// Commits: runs `f` on the state while holding the cross-tab commit
    /// lock, so this tab catches up with every other tab's commits and
    /// decides before any other tab can (see [`browser::with_commit_lock`]).
    /// Every submission, import, retry and restore goes through here.
    pub async fn commit<T: 'static>(&self, f: impl FnOnce(&mut Tally) -> T + 'static) -> Option<T> {
        let state = *self;
        browser::with_commit_lock(move || untrack(move || state.update(f))).await
    }

    /// Like [`AppState::commit`], without re-deriving the views: for the
    /// chunks of a long import, which notifies once at the end.
    pub async fn commit_quietly<T: 'static>(
        &self,
        f: impl FnOnce(&mut Tally) -> T + 'static,
    ) -> Option<T> {
        let tally = self.tally;
        browser::with_commit_lock(move || untrack(move || tally.try_update_value(f))).await
    }
}
