//! The app's state: the durable ledger, the outbox and what loading found,
//! behind one handle the components share. Every method is a thin call into
//! the core; nothing here decides anything about events.

use crate::backup;
use crate::browser::{self, LocalStorageKv};
use crate::journal::{LoadReport, SegmentJournal, FAMILY};
use crate::kv::KeyValue;
use crate::ledger::{Ledger, Outcome, StoreError};
use crate::outbox::{self, Outbox, OutboxItem};
use crate::settings;
use leptos::prelude::*;

/// The durable ledger the app uses.
pub type AppLedger = Ledger<SegmentJournal<LocalStorageKv>>;

/// Everything the views read and change.
pub struct Tally {
    /// The durable ledger.
    pub ledger: AppLedger,
    /// Failed submissions waiting for a retry.
    pub outbox: Outbox<LocalStorageKv>,
    /// What loading and later reads found that needs the user's attention.
    pub report: LoadReport,
}

impl Tally {
    /// Opens the stored state as a new writer (this page load).
    pub fn open() -> Result<Tally, StoreError> {
        let writer = browser::new_writer_id();
        let journal = SegmentJournal::open(LocalStorageKv, &writer, browser::now())?;
        let mut report = LoadReport::default();
        let mut ledger = Ledger::open(journal, writer)?;
        ledger.rules = settings::load_rules(&LocalStorageKv, browser::now(), &mut report)?;
        Ok(Tally {
            ledger,
            outbox: Outbox::new(LocalStorageKv),
            report,
        })
    }

    /// Submits one payload; a failure waits in the outbox. The second value
    /// says why the outbox could not keep it, if it could not.
    pub fn submit(&mut self, raw: &str) -> (Outcome, Option<String>) {
        let (outcome, saved) =
            outbox::submit_with_outbox(&mut self.ledger, &self.outbox, raw, browser::now());
        (
            outcome,
            saved
                .err()
                .map(|e| format!("The failed submission could not be kept for retry: {e}")),
        )
    }

    /// Submits many payloads as one request (one raw write, one commit);
    /// every failed payload waits in the outbox.
    pub fn submit_batch(&mut self, raws: &[&str]) -> Vec<Outcome> {
        let now = browser::now();
        let outcomes = self.ledger.submit_batch(raws, now);
        for (raw, outcome) in raws.iter().zip(&outcomes) {
            if let Outcome::Failed { failure } = outcome {
                if let Err(e) = self.outbox.record_failure(raw, &failure.to_string(), now) {
                    self.report
                        .left_in_place
                        .push(("outbox".into(), e.to_string()));
                    break;
                }
            }
        }
        outcomes
    }

    /// Validates and stores new rules; they apply to new submissions only.
    pub fn save_rules(&mut self, text: &str) -> Result<(), String> {
        self.ledger.rules =
            settings::save_rules(&LocalStorageKv, text).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Returns to the default rules.
    pub fn reset_rules(&mut self) -> Result<(), String> {
        self.ledger.rules = settings::reset_rules(&LocalStorageKv).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Everything that needs the user's attention: what the journal found in
    /// storage, then what the outbox, rules and later reads found. The
    /// journal keeps its own findings, so nothing is copied or repeated.
    pub fn messages(&self) -> Vec<String> {
        let mut out = self.ledger.journal().report().messages();
        out.extend(self.report.messages());
        out
    }

    /// Whether nothing needs the user's attention.
    pub fn is_clean(&self) -> bool {
        self.ledger.journal().report().is_clean() && self.report.is_clean()
    }

    /// The outbox's items, oldest first.
    pub fn outbox_items(&mut self) -> Vec<OutboxItem> {
        match self.outbox.items(browser::now(), &mut self.report) {
            Ok(items) => items,
            Err(e) => {
                self.report
                    .left_in_place
                    .push(("outbox".into(), e.to_string()));
                Vec::new()
            }
        }
    }

    /// Retries every waiting item once, oldest first.
    pub fn retry_all(&mut self) -> Vec<Outcome> {
        let items = self.outbox_items();
        items.iter().map(|item| self.retry(item)).collect()
    }

    /// Retries one item.
    pub fn retry(&mut self, item: &OutboxItem) -> Outcome {
        outbox::retry(&mut self.ledger, &self.outbox, item, browser::now()).0
    }

    /// Re-reads what other tabs committed.
    pub fn refresh(&mut self) {
        browser::forget_sizes();
        if let Err(e) = self.ledger.refresh() {
            self.report
                .left_in_place
                .push(("journal".into(), e.to_string()));
        }
    }

    /// The whole state as a backup document.
    pub fn export(&mut self) -> Result<String, StoreError> {
        use crate::ledger::Journal;
        let records = self.ledger.journal_mut().records()?;
        let items = self.outbox_items();
        Ok(backup::export(
            records,
            &self.ledger.rules,
            items,
            browser::now(),
        ))
    }

    /// Restores a backup document; returns a summary for the user.
    pub fn restore(&mut self, text: &str) -> Result<String, String> {
        let parsed = backup::parse(text).map_err(|e| e.to_string())?;
        let missing = backup::missing_records(self.ledger.state(), &parsed);
        if !missing.is_empty() {
            self.ledger.import(&missing).map_err(|e| e.to_string())?;
        }
        for item in &parsed.outbox {
            if let Err(e) =
                self.outbox
                    .record_failure(&item.raw, &item.last_error, item.last_failed_at)
            {
                return Err(format!("The outbox could not be restored: {e}"));
            }
        }
        Ok(backup::summary(missing.len()))
    }

    /// Removes every Tally key (all versions, quarantine and outbox
    /// included) and starts empty. Other sites' keys are never touched.
    pub fn clear_all(&mut self) -> Result<(), StoreError> {
        let kv = LocalStorageKv;
        for key in kv.keys()?.into_iter().filter(|k| k.starts_with(FAMILY)) {
            kv.remove(&key)?;
        }
        let faults = self.ledger.faults.clone();
        *self = Tally::open()?;
        self.ledger.faults = faults;
        Ok(())
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
    /// The state itself.
    pub tally: StoredValue<Tally>,
    revision: RwSignal<u64>,
}

impl AppState {
    /// Shares `tally` with the views.
    pub fn new(tally: Tally) -> AppState {
        AppState {
            tally: StoredValue::new(tally),
            revision: RwSignal::new(0),
        }
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

    /// Changes the state and notifies the views.
    pub fn update<T>(&self, f: impl FnOnce(&mut Tally) -> T) -> Option<T> {
        let out = self.tally.try_update_value(f);
        self.changed();
        out
    }
}
