//! The service the interface calls: the durable ledger, the outbox, the
//! rules and what loading found, behind one type with the app's policies.
//!
//! Contract:
//! - It is generic over the key-value store and the clock, so every policy
//!   here (what waits in the outbox, what a restore brings back, what clear
//!   removes) is tested natively; the browser supplies localStorage and its
//!   clock, and its interface only renders and calls.
//! - **Outbox policy**, for single and batch submissions alike: a failed
//!   payload waits in the outbox; any other answer removes a waiting copy of
//!   it. When the outbox itself cannot be written, the message says exactly
//!   that, and the ledger's answer stands.
//! - **Restore** brings back everything a backup holds: the records the
//!   journal lacks, the rules and the outbox. Restoring the same file twice
//!   adds nothing the second time.
//! - **Clear** removes every Tally key of any version (quarantine and outbox
//!   included) and nothing else, then starts empty as a new writer.

mod backup;
mod outbox;

pub use backup::{Backup, BackupError};
pub use outbox::{item_id, Outbox, OutboxItem};

use crate::ledger::{Failure, LedgerState, Outcome, Status, StoredLedger};
use crate::pipeline::normalize::Explain;
use crate::report::Glance;
use crate::store::{
    self as settings, Journal, KeyValue, LoadReport, SegmentJournal, StoreError, FAMILY,
};
use chrono::{DateTime, Utc};

/// Where the time comes from: the browser's clock, or a test's.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

impl<F: Fn() -> DateTime<Utc>> Clock for F {
    fn now(&self) -> DateTime<Utc> {
        self()
    }
}

/// The app's state and policies over a store `K` and a clock `C`.
pub struct Tally<K: KeyValue + Clone, C: Clock> {
    /// The durable ledger.
    pub ledger: StoredLedger<K>,
    /// Failed submissions waiting for a retry.
    pub outbox: Outbox<K>,
    /// What loading and later reads found that needs the user's attention,
    /// besides what the journal itself found.
    report: LoadReport,
    /// Problems of this session that are not about stored data (an outbox
    /// write that failed, a refresh that could not read), newest last.
    notices: Vec<String>,
    /// The stamp of the last failure this tab kept in Failed. Retry all goes
    /// oldest first, so failures within one instant (a batch's lines, two
    /// chunks in one millisecond) are stamped a nanosecond apart in the order
    /// they were sent: ordered by their ids instead, a retry could let a later
    /// payload take an idempotency key from the one sent before it.
    last_failure: Option<DateTime<Utc>>,
    /// How many failed submissions storage had no room to keep in Failed
    /// since it last took a request's writes, and why (the last refusal):
    /// one message with the count (see [`Tally::not_kept_message`]), not one
    /// per chunk of an import that fills storage.
    not_kept: Option<(usize, String)>,
    /// The stored rules document as this tab last read it (see
    /// [`Tally::catch_up_rules`]).
    rules_text: Option<String>,
    kv: K,
    clock: C,
}

impl<K: KeyValue + Clone, C: Clock> Tally<K, C> {
    /// Opens what `kv` holds as `writer` (one per page load).
    pub fn open(kv: K, clock: C, writer: &str) -> Result<Tally<K, C>, StoreError> {
        let journal = SegmentJournal::open(kv.clone(), writer, clock.now())?;
        let mut report = LoadReport::default();
        let mut ledger = StoredLedger::open(journal, writer)?;
        ledger.rules = settings::load_rules(&kv, clock.now(), &mut report)?;
        let rules_text = settings::stored_rules_text(&kv)?;
        Ok(Tally {
            rules_text,
            ledger,
            outbox: Outbox::new(kv.clone()),
            report,
            notices: Vec::new(),
            last_failure: None,
            not_kept: None,
            kv,
            clock,
        })
    }

    /// The clock's current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Submits one payload; a failure waits in the outbox. The answer says
    /// how each field was read.
    pub fn submit(&mut self, raw: &str) -> Outcome {
        self.request(&[raw], Explain::Fields)
            .pop()
            .unwrap_or(Outcome::Failed {
                failure: Failure::LedgerFull,
            })
    }

    /// Submits many payloads as one request (one raw write, one commit);
    /// every failed payload waits in the outbox, and every other answer
    /// removes a waiting copy of its payload. The answers do not say how
    /// fields were read, as [`crate::ledger::Ledger::submit_batch`]'s do not.
    pub fn submit_batch(&mut self, raws: &[&str]) -> Vec<Outcome> {
        self.request(raws, Explain::Nothing)
    }

    /// [`Tally::submit_batch`], explaining the answers or not.
    fn request(&mut self, raws: &[&str], explain: Explain) -> Vec<Outcome> {
        self.catch_up_rules();
        let now = self.clock.now();
        let outcomes = self.ledger.request(raws, now, explain);
        // Which payloads wait in the outbox, read once: removing a copy that
        // is not there cost a storage call per event of an import. (A copy
        // another tab adds meanwhile stays; retrying it reports a duplicate.)
        let waiting = match self.outbox.waiting_ids() {
            Ok(ids) => ids,
            Err(e) => {
                self.notices.push(format!(
                    "Failed could not be read ({e}); retrying an item there is safe and reports a duplicate."
                ));
                Default::default()
            }
        };
        let mut saved_all = true;
        for (i, (raw, outcome)) in raws.iter().zip(&outcomes).enumerate() {
            let saved = match outcome {
                Outcome::Failed { failure } => {
                    let stamp = self.failure_stamp(now);
                    self.outbox
                        .record_failure(raw, &failure.to_string(), stamp)
                        .map(|_| ())
                }
                _ if waiting.is_empty() => Ok(()),
                _ => {
                    let id = item_id(raw);
                    if waiting.contains(&id) {
                        self.outbox.remove(&id)
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(e) = saved {
                if !outcome.is_retryable() {
                    self.notices.push(format!(
                        "A submission that succeeded could not be removed from Failed ({e}); retrying it is safe and reports a duplicate."
                    ));
                }
                // Storage refuses writes now; the rest would fail alike, so
                // this and every later failure of the batch is not kept.
                let unkept = outcomes[i..].iter().filter(|o| o.is_retryable()).count();
                if unkept > 0 {
                    let before = self.not_kept.take().map_or(0, |(n, _)| n);
                    self.not_kept = Some((before + unkept, e.to_string()));
                }
                saved_all = false;
                break;
            }
        }
        // Storage took this request's writes: it has room again, and the
        // count of failures not kept describes a problem that is over (the
        // lines it counted said so, one by one).
        if saved_all && !outcomes.is_empty() {
            self.not_kept = None;
        }
        outcomes
    }

    /// What [`Tally::not_kept`] counts, in words, if anything.
    pub fn not_kept_message(&self) -> Option<String> {
        use crate::report::display::{count, plural};
        let (total, error) = self.not_kept.as_ref()?;
        Some(format!(
            "{} failed {} could not be kept in Failed, so {} not waiting for a retry: {error}. Submit or import {} again when storage has room.",
            count(*total as u64),
            plural(*total, "submission", "submissions"),
            plural(*total, "it is", "they are"),
            plural(*total, "it", "them"),
        ))
    }

    /// `now`, or a nanosecond after the last failure kept if that is not
    /// earlier (see [`Tally::last_failure`]).
    fn failure_stamp(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.last_failure.is_none() {
            // A tab just opened (or reloaded, perhaps with its clock set
            // back) starts after what already waits, read once: stamped
            // from its own failures alone, a later payload could be retried
            // before an earlier one (found by an outside review).
            self.last_failure = self
                .outbox_items()
                .iter()
                .map(|i| i.first_failed_at.max(i.last_failed_at))
                .max();
        }
        let stamp = match self.last_failure {
            Some(last) if last >= now => last + chrono::TimeDelta::nanoseconds(1),
            _ => now,
        };
        self.last_failure = Some(stamp);
        stamp
    }

    /// Retries one waiting item.
    pub fn retry(&mut self, item: &OutboxItem) -> Outcome {
        self.submit(&item.raw)
    }

    /// Stops retrying a failed submission: its outbox item goes, and with
    /// it the only copy of a payload that failed before its raw write (the
    /// interface asks first). Recorded attempts stay in the raw log.
    pub fn discard(&mut self, item: &OutboxItem) -> Result<(), String> {
        self.outbox
            .remove(&item.id)
            .map_err(|e| format!("It could not be removed from Failed: {e}"))
    }

    /// Retries every waiting item once, oldest first.
    pub fn retry_all(&mut self) -> Vec<Outcome> {
        let items = self.outbox_items();
        items.iter().map(|item| self.retry(item)).collect()
    }

    /// The outbox's items, oldest first; damaged ones are set aside and
    /// reported.
    pub fn outbox_items(&mut self) -> Vec<OutboxItem> {
        match self.outbox.items(self.clock.now(), &mut self.report) {
            Ok(items) => items,
            Err(e) => {
                self.notices
                    .push(format!("The Failed list could not be read ({e})."));
                Vec::new()
            }
        }
    }

    /// The figures every view shows: committed events and their total,
    /// duplicates caught, rejected, and how many submissions wait in Failed.
    pub fn glance(&self) -> (Glance, usize) {
        let waiting = self.outbox.count().unwrap_or(0);
        (Glance::of(self.ledger.state()), waiting)
    }

    /// Catches up with what other tabs committed; says whether anything
    /// shown may have changed (records read, or a notice added).
    pub fn refresh(&mut self) -> bool {
        let rules = self.catch_up_rules();
        rules
            | match self.ledger.refresh() {
                Ok(changed) => changed,
                Err(e) => {
                    self.notices.push(format!(
                    "Other tabs' changes could not be read ({e}); what is shown may be behind until the next change."
                ));
                    true
                }
            }
    }

    /// Reads the rules again if another tab saved or reset them since this
    /// tab read them, so that every decision, refresh, export and restore
    /// uses the stored rules: an outside review saw a tab decide with, show
    /// and export its old rules, and save them over another tab's. Says
    /// whether they changed.
    fn catch_up_rules(&mut self) -> bool {
        let read = settings::stored_rules_text(&self.kv).and_then(|text| {
            if text == self.rules_text {
                return Ok(false);
            }
            self.ledger.rules = settings::load_rules(&self.kv, self.clock.now(), &mut self.report)?;
            // Read again: a damaged document was just set aside.
            self.rules_text = settings::stored_rules_text(&self.kv)?;
            Ok(true)
        });
        read.unwrap_or_else(|e| {
            self.notices.push(format!(
                "The rules could not be read again ({e}); this tab goes on with the rules it read last."
            ));
            true
        })
    }

    /// Validates and stores new rules; they apply to new submissions only.
    pub fn save_rules(&mut self, text: &str) -> Result<(), String> {
        self.store_rules(text).map_err(|e| e.to_string())
    }

    /// Stores and uses a rules document, and remembers the text stored, so
    /// that [`Tally::catch_up_rules`] does not take this tab's own save for
    /// another tab's.
    fn store_rules(&mut self, text: &str) -> Result<(), settings::SaveError> {
        self.ledger.rules = settings::save_rules(&self.kv, text)?;
        self.rules_text = Some(self.ledger.rules.to_json());
        Ok(())
    }

    /// Returns to the default rules.
    pub fn reset_rules(&mut self) -> Result<(), String> {
        self.ledger.rules = settings::reset_rules(&self.kv).map_err(|e| e.to_string())?;
        self.rules_text = None;
        Ok(())
    }

    /// The whole state as a backup document.
    pub fn export(&mut self) -> Result<String, StoreError> {
        // Catch up first: reading the journal's records hands them all out,
        // so records another tab committed since the last refresh would
        // otherwise never reach this tab's state (found by an outside
        // review: the tab then decided on a stale state).
        self.ledger.refresh()?;
        self.catch_up_rules();
        let records = self.ledger.journal_mut().records()?;
        let items = self.outbox_items();
        Ok(backup::export(
            records,
            &self.ledger.rules,
            items,
            self.clock.now(),
        ))
    }

    /// Restores a backup document: the missing records, the rules and the
    /// outbox. Returns a summary for the user.
    pub fn restore(&mut self, text: &str) -> Result<String, String> {
        let parsed = backup::parse(text).map_err(|e| e.to_string())?;
        // What is missing is judged against what storage holds now: a tab
        // that missed another tab's Clear would otherwise write the cleared
        // records back (found by an outside review).
        self.ledger
            .refresh()
            .map_err(|e| format!("Other tabs' changes could not be read: {e}"))?;
        self.catch_up_rules();
        let missing = backup::missing_records(self.ledger.state(), &parsed);
        if !missing.is_empty() {
            self.ledger.import(&missing).map_err(|e| e.to_string())?;
        }
        let rules_changed = parsed.rules != self.ledger.rules;
        if rules_changed {
            self.store_rules(&parsed.rules.to_json())
                .map_err(|e| format!("The rules could not be restored: {e}"))?;
        }
        let waiting: Vec<String> = self.outbox_items().into_iter().map(|i| i.id).collect();
        // A payload recorded after it last failed has nothing left to
        // retry, as a later success of its text removes it from Failed
        // while the app runs: here, in the backup's Failed list or in this
        // tab's, it would say nothing was committed (two outside reviews).
        // Its commit at the failure itself (a lost acknowledgement) does
        // not count: that item waited then and waits now.
        fn recorded_after(state: &LedgerState, raw: &str, failed: DateTime<Utc>) -> bool {
            state.submissions().iter().any(|s| {
                &*s.raw == raw && s.status != Status::Interrupted && s.received_at > failed
            })
        }
        let mut restored_items = 0;
        let mut left_failed = 0;
        for item in &parsed.outbox {
            if waiting.contains(&item_id(&item.raw)) {
                continue; // already waiting: restoring twice adds nothing
            }
            if recorded_after(self.ledger.state(), &item.raw, item.last_failed_at) {
                left_failed += 1;
                continue;
            }
            self.outbox
                .restore(item)
                .map_err(|e| format!("The Failed list could not be restored: {e}"))?;
            restored_items += 1;
        }
        // What already waited here, if the file brought its later record.
        let resolved: Vec<OutboxItem> = self
            .outbox_items()
            .into_iter()
            .filter(|i| recorded_after(self.ledger.state(), &i.raw, i.last_failed_at))
            .collect();
        for item in resolved {
            {
                self.outbox
                    .remove(&item.id)
                    .map_err(|e| format!("The Failed list could not be updated: {e}"))?;
                left_failed += 1;
            }
        }
        let mut summary = backup::summary(&missing, rules_changed, restored_items);
        if left_failed > 0 {
            use crate::report::display::{count, plural};
            summary.push_str(&format!(
                " {} failed {} recorded after {} failed, so {} not in Failed.",
                count(left_failed as u64),
                plural(left_failed, "submission was", "submissions were"),
                plural(left_failed, "it", "they"),
                plural(left_failed, "it is", "they are"),
            ));
        }
        Ok(summary)
    }

    /// Removes every Tally key (all versions, quarantine and outbox
    /// included) and starts empty as `writer`. Other sites' keys are never
    /// touched. The simulated failure settings stay as they were.
    pub fn clear_all(&mut self, writer: &str) -> Result<(), StoreError> {
        let mut keys: Vec<String> = self
            .kv
            .keys()?
            .into_iter()
            .filter(|k| k.starts_with(FAMILY))
            .collect();
        // Heads last: a clear cut short leaves heads whose segments are
        // missing, which loading reports, never segments no head counts.
        crate::order::sort_by(&mut keys, |a, b| {
            a.ends_with(":head").cmp(&b.ends_with(":head"))
        });
        for key in keys {
            self.kv.remove(&key)?;
        }
        let faults = self.ledger.faults.clone();
        let journal = SegmentJournal::open(self.kv.clone(), writer, self.clock.now())?;
        self.ledger = StoredLedger::open(journal, writer)?;
        self.ledger.faults = faults;
        self.rules_text = None;
        self.report = LoadReport::default();
        self.notices.clear();
        self.not_kept = None;
        Ok(())
    }

    /// The keys unreadable data was set aside under, by this load or an
    /// earlier one: kept, never counted, listed until Clear all data
    /// deletes them (a load's report says so once, to the tab that loaded;
    /// an outside review found them unmentioned on the next).
    pub fn set_aside(&self) -> Vec<String> {
        let prefix = crate::store::quarantine_prefix();
        let mut keys: Vec<String> = self
            .kv
            .keys()
            .unwrap_or_default()
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .collect();
        crate::order::sort(&mut keys);
        keys
    }

    /// Everything that needs the user's attention: what the journal found in
    /// storage, what the outbox and rules found, then this session's notices.
    pub fn messages(&self) -> Vec<String> {
        let mut out = self.ledger.journal().report().messages();
        out.extend(self.report.messages());
        out.extend(self.notices.iter().cloned());
        out.extend(self.not_kept_message());
        out
    }

    /// Whether nothing needs the user's attention.
    pub fn is_clean(&self) -> bool {
        self.ledger.journal().report().is_clean()
            && self.report.is_clean()
            && self.notices.is_empty()
            && self.not_kept.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{FaultPlan, FaultPoint};
    use crate::pipeline::rules::Rules;
    use crate::store::MemoryKv;
    use crate::test_fixtures::{now, SEED_A as A, SEED_B as B};
    use std::rc::Rc;

    type TestTally = Tally<Rc<MemoryKv>, fn() -> DateTime<Utc>>;

    fn open(kv: &Rc<MemoryKv>, writer: &str) -> TestTally {
        Tally::open(kv.clone(), now as fn() -> DateTime<Utc>, writer).expect("open")
    }

    /// The committed events' amounts, in commit order.
    fn amounts<K: KeyValue + Clone, C: Clock>(tally: &Tally<K, C>) -> Vec<String> {
        tally
            .ledger
            .state()
            .events()
            .iter()
            .map(|e| e.amount.to_string())
            .collect()
    }

    /// The default rules with a rule for client "acme" reading year-last
    /// dates in `order` ("day_first" or "month_first").
    fn acme_date_order(order: &str) -> String {
        let clients = format!(r#""clients": {{"acme": {{"date_order": "{order}"}}}}"#);
        let rules = crate::pipeline::rules::Rules::default().to_json().replacen(
            r#""clients": {}"#,
            &clients,
            1,
        );
        assert!(rules.contains(order), "{rules}");
        rules
    }

    /// Submits `raw`, which commits but whose answer is lost: it waits in
    /// Failed, counted.
    fn commit_unanswered(tally: &mut TestTally, raw: &str) {
        tally.ledger.faults = FaultPlan::always(FaultPoint::LostAck);
        assert!(tally.submit(raw).is_retryable(), "{raw}");
        tally.ledger.faults = FaultPlan::none();
    }

    #[test]
    fn a_batch_removes_waiting_copies_of_payloads_that_now_succeed() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        assert!(tally
            .submit_batch(&[A, B])
            .iter()
            .all(Outcome::is_retryable));
        assert_eq!(tally.outbox_items().len(), 2);
        tally.ledger.faults = FaultPlan::none();
        let labels: Vec<_> = tally
            .submit_batch(&[A, B])
            .iter()
            .map(Outcome::label)
            .collect();
        assert_eq!(labels, ["Accepted", "Accepted"]);
        assert!(tally.outbox_items().is_empty(), "no stale copies wait");
        assert!(tally.is_clean(), "{:?}", tally.messages());
    }

    #[test]
    fn retry_all_resends_in_the_order_first_sent_so_a_key_stays_with_its_first_content() {
        // Twenty keys, each sent with one amount and then another, all in
        // one failed batch: retried in the order sent, every key keeps its
        // first amount and the second is the conflict. (Ordered by the items'
        // ids, a hash, about half of them were swapped.)
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        let line = |key: usize, amount: usize| {
            format!(
                r#"{{"client":"c","metric":"m","amount":{amount},"ts":"2024-01-01","event_id":"k{key}"}}"#
            )
        };
        let mut lines = Vec::new();
        for key in 0..20 {
            lines.push(line(key, 1));
            lines.push(line(key, 2));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        // In two requests at one instant, as two chunks of an import can be.
        tally.submit_batch(&refs[..17]);
        tally.submit_batch(&refs[17..]);
        tally.ledger.faults = FaultPlan::none();
        let retried: Vec<_> = tally.retry_all().iter().map(Outcome::label).collect();
        assert_eq!(retried, ["Accepted", "Conflict"].repeat(20));
        let amounts: Vec<String> = (tally.ledger.state().events().iter())
            .map(|e| e.amount.to_string())
            .collect();
        assert_eq!(amounts, vec!["1"; 20]);
    }

    #[test]
    fn rules_another_tab_saved_or_cleared_are_the_ones_this_tab_uses() {
        // An outside review: tab 2 kept deciding with, showing and
        // exporting the rules it loaded, and could save them over tab 1's.
        let kv = Rc::new(MemoryKv::new());
        let (mut tab1, mut tab2) = (open(&kv, "tab1"), open(&kv, "tab2"));
        let sent = r#"{"client_id":"acme","metric":"sale","amount":"10","timestamp":"01/02/2024"}"#;
        tab1.save_rules(&acme_date_order("day_first"))
            .expect("rules");
        assert_eq!(tab2.submit(sent).label(), "Accepted", "read day first");
        assert_eq!(tab2.ledger.rules, tab1.ledger.rules);
        // Reset in tab 1: tab 2's refresh says something changed.
        tab1.reset_rules().expect("reset");
        assert!(tab2.refresh());
        assert_eq!(tab2.ledger.rules, Rules::default());
        assert!(!tab2.refresh(), "nothing changed since");
        tab2.save_rules(&acme_date_order("month_first"))
            .expect("rules");
        let exported = tab1.export().expect("export");
        assert!(
            exported.contains("month_first"),
            "tab 1 exports tab 2's rules"
        );
        // Clear all data in tab 2: tab 1 is back on the defaults.
        tab2.clear_all("tab3").expect("clear");
        tab1.refresh();
        assert_eq!(tab1.ledger.rules, Rules::default());
        let events = tab2.ledger.state().events().len();
        assert_eq!(events, 0);
        assert!(tab1.is_clean() && tab2.is_clean());
    }

    /// Every duplicate names an event that is counted.
    fn assert_duplicates_name_counted_events(tally: &TestTally) {
        let state = tally.ledger.state();
        for s in state.submissions() {
            if let Status::Duplicate { of, .. } = &s.status {
                assert!(state.event(of).is_some(), "{} names {of:?}", s.id);
            }
        }
    }

    /// The default rules with `montant` as an amount alias.
    fn montant_rules() -> String {
        Rules::default().to_json().replacen(
            "\"amount\": [\n",
            "\"amount\": [\n      \"montant\",\n",
            1,
        )
    }

    /// A later clock than [`now`]: the store it writes orders after.
    fn late() -> DateTime<Utc> {
        now() + chrono::Duration::seconds(100)
    }

    /// A store that counted `p` under the `montant` alias, then, its rules
    /// reset, answered `p` again as that event; restored into a store that
    /// had counted `q` first. Returns the second store and its tab.
    fn refused_resend_restored_after(p: &str, q: &str) -> (Rc<MemoryKv>, TestTally) {
        let mut a: TestTally =
            Tally::open(Rc::new(MemoryKv::new()), late as fn() -> DateTime<Utc>, "a")
                .expect("open");
        a.save_rules(&montant_rules()).expect("rules");
        assert_eq!(a.submit(p).label(), "Accepted");
        a.reset_rules().expect("reset");
        assert_eq!(a.submit(p).label(), "Duplicate", "counted before");
        let file = a.export().expect("export");
        let kv = Rc::new(MemoryKv::new());
        let mut b = open(&kv, "b");
        assert_eq!(b.submit(q).label(), "Accepted");
        b.restore(&file).expect("restore");
        (kv, b)
    }

    /// Each submission's status, and the answer it was revised from.
    fn statuses(tally: &TestTally) -> Vec<(&'static str, Option<&'static str>)> {
        (tally.ledger.state().submissions().iter())
            .map(|s| (s.status.kind().label(), s.told.map(|k| k.label())))
            .collect()
    }

    #[test]
    fn a_payload_refused_today_but_counted_before_follows_its_event_through_a_restore() {
        // An outside review: P's first copy became a duplicate of Q's
        // event, and P's resend still named P's event, gone.
        let p = r#"{"client":"c","metric":"m","montant":5,"ts":"2024-01-01"}"#;
        let q = r#"{"client":"c","metric":"m","amount":5,"ts":"2024-01-01","event_id":"k"}"#;
        let (kv, b) = refused_resend_restored_after(p, q);
        assert_eq!(b.ledger.state().events().len(), 1);
        assert_duplicates_name_counted_events(&b);
        assert_duplicates_name_counted_events(&open(&kv, "reader"));
    }

    #[test]
    fn a_refused_resend_whose_payload_became_a_conflict_is_refused() {
        // A second review: nothing counted holds P once its first copy is
        // a conflict over its key, and its resend named the key's holder,
        // another event. Refused instead, as a fresh tab answers.
        let p = r#"{"client":"c","metric":"m","montant":5,"ts":"2024-01-01","event_id":"k"}"#;
        let q = r#"{"client":"c","metric":"m","amount":7,"ts":"2024-01-01","event_id":"k"}"#;
        let (kv, mut b) = refused_resend_restored_after(p, q);
        let expected = [
            ("Accepted", None),
            ("Conflict", Some("Accepted")),
            ("Rejected", Some("Duplicate")),
        ];
        assert_eq!(statuses(&b), expected);
        assert_eq!(statuses(&open(&kv, "reader")), expected);
        assert_eq!(b.submit(p).label(), "Rejected", "as a fresh tab answers");
    }

    #[test]
    fn a_rejection_after_a_counted_copy_of_its_payload_is_that_event() {
        // The mirror case: a store that refused P restored into one that
        // counted it earlier. P again after P counted is that event.
        let p = r#"{"client":"c","metric":"m","montant":5,"ts":"2024-01-01"}"#;
        let mut refused: TestTally =
            Tally::open(Rc::new(MemoryKv::new()), late as fn() -> DateTime<Utc>, "r")
                .expect("open");
        assert_eq!(refused.submit(p).label(), "Rejected");
        let file = refused.export().expect("export");
        let kv = Rc::new(MemoryKv::new());
        let mut counted = open(&kv, "c");
        counted.save_rules(&montant_rules()).expect("rules");
        assert_eq!(counted.submit(p).label(), "Accepted");
        counted.restore(&file).expect("restore");
        let expected = [("Accepted", None), ("Duplicate", Some("Rejected"))];
        assert_eq!(statuses(&counted), expected);
        assert_eq!(statuses(&open(&kv, "reader")), expected);
        assert_duplicates_name_counted_events(&counted);
    }

    #[test]
    fn export_and_restore_catch_up_with_other_tabs_first() {
        let x = r#"{"client":"c","metric":"m","amount":1,"ts":"2024-01-01"}"#;
        let y = r#"{"client":"c","metric":"m","amount":2,"ts":"2024-01-01"}"#;
        let z = r#"{"client":"c","metric":"m","amount":3,"ts":"2024-01-01"}"#;
        // Exporting hands out the journal's records: another tab's new ones
        // must reach this tab's state, or it decides on a stale one.
        let kv = Rc::new(MemoryKv::new());
        let mut a = open(&kv, "tabA");
        let mut b = open(&kv, "tabB");
        assert_eq!(b.submit(x).label(), "Accepted");
        a.export().expect("export");
        assert_eq!(a.ledger.state().events().len(), 1, "the export caught up");
        assert_eq!(a.submit(x).label(), "Duplicate");

        // A tab that missed another tab's Clear restores against storage as
        // it is: the cleared event does not come back.
        let kv = Rc::new(MemoryKv::new());
        let mut a = open(&kv, "tabA");
        let mut b = open(&kv, "tabB");
        a.submit(y);
        b.refresh();
        b.clear_all("tabC").expect("clear");
        b.submit(z);
        let file = b.export().expect("export");
        a.restore(&file).expect("restore");
        let amounts: Vec<String> = (open(&kv, "reader").ledger.state().events().iter())
            .map(|e| e.amount.to_string())
            .collect();
        assert_eq!(amounts, ["3"], "only what the file and storage hold");
    }

    #[test]
    fn a_reopened_tab_stamps_its_failures_after_what_already_waits() {
        // Two tabs at one instant, then a reload with the clock set back a
        // minute: Retry all still resends in the order sent.
        let kv = Rc::new(MemoryKv::new());
        let line = |amount: u32| {
            format!(
                r#"{{"client":"c","metric":"m","amount":{amount},"ts":"2024-01-01","event_id":"k"}}"#
            )
        };
        let mut a = open(&kv, "tabA");
        a.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        a.submit_batch(&[A, &line(1)]);
        let mut b = open(&kv, "tabB");
        b.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        b.submit(&line(2));
        let earlier = || now() - chrono::TimeDelta::seconds(60);
        let mut c: Tally<Rc<MemoryKv>, _> = Tally::open(kv.clone(), earlier, "tabC").expect("open");
        c.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        c.submit(&line(3));
        c.ledger.faults = FaultPlan::none();
        let labels: Vec<_> = c.retry_all().iter().map(Outcome::label).collect();
        assert_eq!(labels, ["Accepted", "Accepted", "Conflict", "Conflict"]);
        let amounts: Vec<String> = (c.ledger.state().events().iter())
            .map(|e| e.amount.to_string())
            .collect();
        assert_eq!(amounts, ["1200", "1"], "the first sent holds the key");
    }

    #[test]
    fn a_discarded_item_leaves_failed_and_its_recorded_attempt_stays_in_the_log() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        assert!(tally
            .submit_batch(&[A, B])
            .iter()
            .all(Outcome::is_retryable));
        let items = tally.outbox_items();
        tally.discard(&items[0]).expect("removed");
        let left: Vec<String> = tally.outbox_items().into_iter().map(|i| i.raw).collect();
        assert_eq!(left, [items[1].raw.clone()], "only the discarded one goes");
        let reopened = open(&kv, "tab2");
        assert_eq!(
            reopened.ledger.state().submissions().len(),
            2,
            "the log keeps both attempts"
        );
        assert!(
            reopened.ledger.state().events().is_empty(),
            "and nothing was counted"
        );
    }

    #[test]
    fn a_clear_in_another_tab_is_not_undone_by_a_tab_that_was_open() {
        // Found by an outside reference model: the stale tab kept the
        // cleared records and rewrote them with its next commit.
        let e1 = r#"{"client":"shop","metric":"sale","amount":"10.50","ts":"2024-01-01"}"#;
        let e2 = r#"{"client":"shop","metric":"sale","amount":"20","ts":"2024-01-02"}"#;
        let kv = Rc::new(MemoryKv::new());
        let mut tab1 = open(&kv, "tab1");
        let mut tab2 = open(&kv, "tab2");
        assert_eq!(tab1.submit(e1).label(), "Accepted");
        tab2.ledger.refresh().expect("refresh");
        tab2.clear_all("tab3").expect("cleared");
        tab1.ledger.refresh().expect("refresh");
        assert!(
            tab1.ledger.state().events().is_empty(),
            "the clear reaches the open tab"
        );
        assert_eq!(tab1.submit(e1).label(), "Accepted", "into an empty store");
        assert_eq!(tab1.submit(e2).label(), "Accepted");
        let fresh = open(&kv, "tab4");
        assert_eq!(
            amounts(&fresh),
            ["10.5", "20"],
            "each counted once since the clear"
        );
        assert_eq!(
            fresh.ledger.state().submissions().len(),
            2,
            "nothing cleared came back"
        );
        assert!(fresh.is_clean(), "{:?}", fresh.messages());
    }

    #[test]
    fn a_clear_in_another_tab_is_seen_by_a_tab_that_lists_no_keys_again() {
        // Found by an outside review's model: a tab going on with the keys
        // it knows still listed its own cleared head (another tab wrote as
        // many keys again) and wrote its cleared records back.
        let e1 = r#"{"client":"shop","metric":"sale","amount":"10.50","ts":"2024-01-01"}"#;
        let e2 = r#"{"client":"shop","metric":"sale","amount":"20","ts":"2024-01-02"}"#;
        let e3 = r#"{"client":"shop","metric":"sale","amount":"7","ts":"2024-01-03"}"#;
        let kv = Rc::new(MemoryKv::new());
        let stale = Rc::new(crate::store::StaleKeys::new(kv.clone()));
        let mut tab1 = Tally::open(stale, now as fn() -> DateTime<Utc>, "tab1").expect("open");
        assert_eq!(tab1.submit(e1).label(), "Accepted");
        let mut tab2 = open(&kv, "tab2");
        tab2.clear_all("tab3").expect("cleared");
        assert_eq!(tab2.submit(e3).label(), "Accepted");
        assert_eq!(tab1.submit(e2).label(), "Accepted");
        let fresh = open(&kv, "tab4");
        let mut counted = amounts(&fresh);
        counted.sort();
        assert_eq!(counted, ["20", "7"], "nothing cleared came back");
        assert!(fresh.is_clean(), "{:?}", fresh.messages());
        assert_eq!(
            tab1.ledger.state().comparable(),
            fresh.ledger.state().comparable(),
            "the stale tab knows what a fresh one does"
        );
    }

    #[test]
    fn an_outbox_that_cannot_be_written_says_so_in_plain_words() {
        // The database fails the request, and storage has no room for the
        // outbox item either: another key family fills it.
        let kv = Rc::new(MemoryKv::with_quota(5_000));
        let mut tally = open(&kv, "tab1");
        let filler =
            "x".repeat(5_000 - 20 - crate::store::used_units(&*kv, "").unwrap_or(0) as usize);
        kv.set("other-site-data", &filler).expect("fill");
        tally.ledger.faults = FaultPlan::always(FaultPoint::BeforeRaw);
        assert!(tally.submit(A).is_retryable());
        let messages = tally.messages();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].starts_with("1 failed submission could not be kept in Failed, so it is not waiting for a retry: browser storage is full: Tally's data takes ")
                && messages[0].ends_with(" characters this site may keep, and other data of this site takes the rest (before clearing this site's data in the browser, export a backup from About). Submit or import it again when storage has room."),
            "{messages:?}"
        );
        // Chunk after chunk of an import: one notice, with the count of all.
        tally.submit_batch(&[A, B]);
        tally.submit_batch(&[B]);
        let messages = tally.messages();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].starts_with("4 failed submissions could not be kept in Failed"),
            "{messages:?}"
        );
        assert!(tally.outbox_items().is_empty());
        // Once storage takes a request's writes again, the notice is over.
        kv.remove("other-site-data").expect("make room");
        tally.ledger.faults = FaultPlan::none();
        assert_eq!(tally.submit(A).label(), "Accepted");
        assert!(tally.messages().is_empty(), "{:?}", tally.messages());
    }

    #[test]
    fn restore_brings_back_events_rules_and_outbox_and_twice_adds_nothing() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        let rules = tally
            .ledger
            .rules
            .to_json()
            .replace("\"amt\"", "\"amt\",\"montant\"");
        tally.save_rules(&rules).expect("save the edited rules");
        assert_eq!(tally.submit(A).label(), "Accepted");
        tally.ledger.faults = FaultPlan::always(FaultPoint::BeforeRaw);
        assert!(tally.submit(B).is_retryable());
        // Failed twice: its first and last failure times differ.
        assert!(tally.submit(B).is_retryable());
        tally.ledger.faults = FaultPlan::none();
        let edited = tally.ledger.rules.clone();
        let file = tally.export().expect("export");

        tally.clear_all("tab2").expect("clear");
        assert!(tally.ledger.state().events().is_empty());
        assert_ne!(tally.ledger.rules, edited, "clear forgets the rules");
        assert!(tally.outbox_items().is_empty());

        let summary = tally.restore(&file).expect("restore");
        assert!(summary.contains("rules"), "{summary}");
        assert_eq!(tally.ledger.state().events().len(), 1);
        assert_eq!(tally.ledger.rules, edited, "the rules come back");
        assert_eq!(tally.outbox_items().len(), 1, "the Failed list comes back");
        let backup = backup::parse(&file).expect("parse");
        assert_eq!(
            tally.outbox_items(),
            backup.outbox,
            "as it was, first failure time included (Retry all goes by it)"
        );
        // And they stay after a reload.
        let reloaded = open(&kv, "tab3");
        assert_eq!(reloaded.ledger.rules, edited);

        let again = tally.restore(&file).expect("restore again");
        assert!(again.contains("Nothing to restore"), "{again}");
        assert_eq!(tally.ledger.state().events().len(), 1);
        assert_eq!(tally.outbox_items().len(), 1);
        assert_eq!(
            tally.outbox_items()[0].attempts,
            2,
            "not counted as another failure"
        );
    }

    #[test]
    fn a_restore_leaves_out_of_failed_what_was_recorded_after_it_failed() {
        use std::cell::Cell;
        // A clock that moves on when told: a retry comes after its failure.
        let seconds = Rc::new(Cell::new(0));
        let ticks = seconds.clone();
        let clock = move || now() + chrono::TimeDelta::seconds(ticks.get());
        let later = || seconds.set(seconds.get() + 1);
        let kv = Rc::new(MemoryKv::new());
        let mut tally = Tally::open(kv.clone(), clock, "tab1").expect("open");
        let waiting = |t: &mut Tally<Rc<MemoryKv>, _>| -> Vec<String> {
            t.outbox_items().into_iter().map(|i| i.raw).collect()
        };

        // X fails; B commits but its answer is lost (it waits, committed).
        tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        assert!(tally.submit(A).is_retryable());
        tally.ledger.faults = FaultPlan::always(FaultPoint::LostAck);
        assert!(tally.submit(B).is_retryable());
        tally.ledger.faults = FaultPlan::none();
        let before_retry = tally.export().expect("export");
        later();
        let a = tally
            .outbox_items()
            .into_iter()
            .find(|i| i.raw == A)
            .expect("A waits");
        assert_eq!(tally.retry(&a).label(), "Accepted");
        let after_retry = tally.export().expect("export");

        // The backup from before the retry, over the state after it: A was
        // recorded after it failed and stays out; B's commit is its
        // failure's own, so B comes back.
        let b = tally.outbox_items()[0].clone();
        tally.discard(&b).expect("discard B");
        let summary = tally.restore(&before_retry).expect("restore");
        assert!(
            summary.ends_with(
                "1 failed submission was recorded after it failed, so it is not in Failed."
            ),
            "{summary}"
        );
        assert_eq!(waiting(&mut tally), [B.to_string()]);

        // In either order of the two backups, into an empty store: A's
        // retry, brought by the later file, takes A out of Failed.
        for files in [[&before_retry, &after_retry], [&after_retry, &before_retry]] {
            tally.clear_all("tab2").expect("clear");
            for file in files {
                tally.restore(file).expect("restore");
            }
            assert_eq!(waiting(&mut tally), [B.to_string()], "{files:?}");
            assert_eq!(tally.ledger.state().events().len(), 2);
        }

        // A recorded before it failed again: that failure still waits.
        tally.clear_all("tab3").expect("clear");
        later();
        assert_eq!(tally.submit(A).label(), "Accepted");
        let counted = tally.export().expect("export");
        tally.clear_all("tab4").expect("clear");
        later();
        tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        assert!(tally.submit(A).is_retryable());
        tally.ledger.faults = FaultPlan::none();
        let failed = tally.export().expect("export");
        tally.clear_all("tab5").expect("clear");
        tally.restore(&counted).expect("restore");
        let summary = tally.restore(&failed).expect("restore");
        assert!(!summary.contains("recorded after"), "{summary}");
        assert_eq!(waiting(&mut tally), [A.to_string()]);
    }

    #[test]
    fn failures_wait_and_survive_a_reload_then_retry_once() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        tally.ledger.faults = FaultPlan::always(FaultPoint::MidRequest);
        assert!(tally.submit(A).is_retryable());
        assert!(tally.submit(A).is_retryable());
        let items = tally.outbox_items();
        assert_eq!(items.len(), 1, "the same payload is one item");
        assert_eq!(items[0].attempts, 2);
        assert!(items[0].last_error.contains("simulated database failure"));

        // The tab is closed and reopened; the database works again.
        let mut tally = open(&kv, "tab2");
        let items = tally.outbox_items();
        assert_eq!(items.len(), 1);
        assert_eq!(tally.retry(&items[0]).label(), "Accepted");
        assert!(tally.outbox_items().is_empty());
        assert_eq!(tally.ledger.state().events().len(), 1);
        assert!(tally.is_clean(), "{:?}", tally.messages());
    }

    #[test]
    fn a_lost_acknowledgement_retries_as_a_duplicate() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        commit_unanswered(&mut tally, A);
        let labels: Vec<_> = tally.retry_all().iter().map(Outcome::label).collect();
        assert_eq!(labels, ["Duplicate"]);
        assert_eq!(tally.ledger.state().events().len(), 1);
        assert!(tally.outbox_items().is_empty());
    }

    /// The same payload is the same event whatever the rules read in it
    /// when it is sent again: an outside review's reference model counted
    /// each of these twice (the retry was read under the new rules as a
    /// new event, or as a conflict on its own key).
    #[test]
    fn a_lost_acknowledgement_retried_after_a_rules_change_is_still_a_duplicate() {
        let (day_first, month_first) = (
            &acme_date_order("day_first"),
            &acme_date_order("month_first"),
        );
        let unkeyed =
            r#"{"client_id":"acme","metric":"sale","amount":"10.00","timestamp":"01/02/2024"}"#;
        let keyed = r#"{"client_id":"acme","metric":"sale","amount":"7","timestamp":"03/04/2024","event_id":"ord-1"}"#;
        for raw in [unkeyed, keyed] {
            let kv = Rc::new(MemoryKv::new());
            let mut tally = open(&kv, "tab1");
            tally.save_rules(day_first).expect("rules");
            commit_unanswered(&mut tally, raw);
            tally.save_rules(month_first).expect("rules");
            let labels: Vec<_> = tally.retry_all().iter().map(Outcome::label).collect();
            assert_eq!(labels, ["Duplicate"], "{raw}");
            // A resend by hand, and the same after a reload. Its answer
            // does not describe today's reading as the counted event's.
            match tally.submit(raw) {
                Outcome::Duplicate { provenance, .. } => assert!(provenance.is_empty()),
                other => panic!("{other:?}"),
            }
            let mut reopened = open(&kv, "tab2");
            assert_eq!(reopened.submit(raw).label(), "Duplicate");
            assert_eq!(reopened.ledger.state().events().len(), 1, "{raw}");
            assert!(reopened.is_clean(), "{:?}", reopened.messages());
        }
        // Rules that refuse it now: still the event it was, not Rejected.
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        tally.save_rules(day_first).expect("rules");
        commit_unanswered(&mut tally, unkeyed);
        tally.reset_rules().expect("reset");
        let labels: Vec<_> = tally.retry_all().iter().map(Outcome::label).collect();
        assert_eq!(labels, ["Duplicate"]);
        let reopened = open(&kv, "tab2");
        let statuses: Vec<_> = reopened
            .ledger
            .state()
            .submissions()
            .iter()
            .map(|s| s.status.kind().label())
            .collect();
        assert_eq!(statuses, ["Accepted", "Duplicate"]);
        assert_eq!(reopened.ledger.state().events().len(), 1);
    }

    /// Payloads whose raw fingerprints agree because RFC 8785 reads their
    /// numbers as doubles are still two payloads (an outside review's
    /// reference model lost the second of each pair as an "exact resend").
    #[test]
    fn payloads_a_double_cannot_tell_apart_are_two_events() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        let pairs = [
            (
                r#"{"client_id":"a","metric":"m","amount":9007199254740992,"timestamp":"2024-01-01T00:00:00Z"}"#,
                r#"{"client_id":"a","metric":"m","amount":9007199254740993,"timestamp":"2024-01-01T00:00:00Z"}"#,
            ),
            (
                r#"{"client_id":"b","metric":"m","amount":10000000.000000001,"timestamp":"2024-01-01T00:00:00Z"}"#,
                r#"{"client_id":"b","metric":"m","amount":10000000.000000002,"timestamp":"2024-01-01T00:00:00Z"}"#,
            ),
            (
                r#"{"client_id":"c","metric":"m","amount":1,"timestamp":1706745600123456789}"#,
                r#"{"client_id":"c","metric":"m","amount":1,"timestamp":1706745600123456790}"#,
            ),
            (
                r#"{"client_id":"d","metric":"m","amount":1,"timestamp":"2024-01-01","event_id":1790000000000000001}"#,
                r#"{"client_id":"d","metric":"m","amount":1,"timestamp":"2024-01-01","event_id":1790000000000000002}"#,
            ),
        ];
        for (first, second) in pairs {
            assert_eq!(tally.submit(first).label(), "Accepted", "{first}");
            assert_eq!(tally.submit(second).label(), "Accepted", "{second}");
            // Each one sent again, respelled, is its own exact resend.
            let respelled = second.replace(r#""metric":"m","#, r#" "metric" : "m" , "#);
            match tally.submit(&respelled) {
                // Read alike: how its fields were found is said.
                Outcome::Duplicate { provenance, .. } => assert!(!provenance.is_empty()),
                other => panic!("{respelled}: {other:?}"),
            }
        }
        assert_eq!(tally.ledger.state().events().len(), 8);
        let reopened = open(&kv, "tab2");
        assert_eq!(reopened.ledger.state().events().len(), 8);

        // The second of such a pair is remembered too: sent again after the
        // rules changed, it is its own event again, not a third (an outside
        // review counted it twice when only the first was remembered).
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        let big = |n: &str| {
            format!(r#"{{"client_id":"acme","metric":"m","amount":{n},"timestamp":"01/02/2024"}}"#)
        };
        tally
            .save_rules(&acme_date_order("day_first"))
            .expect("rules");
        assert_eq!(tally.submit(&big("9007199254740992")).label(), "Accepted");
        commit_unanswered(&mut tally, &big("9007199254740993"));
        tally
            .save_rules(&acme_date_order("month_first"))
            .expect("rules");
        let labels: Vec<_> = tally.retry_all().iter().map(Outcome::label).collect();
        assert_eq!(labels, ["Duplicate"]);
        for n in ["9007199254740992", "9007199254740993"] {
            assert_eq!(tally.submit(&big(n)).label(), "Duplicate", "{n}");
        }
        assert_eq!(tally.ledger.state().events().len(), 2);
        assert_eq!(open(&kv, "tab2").ledger.state().events().len(), 2);
    }

    /// A payload first sent in a long spelling and resent short is told
    /// alike by parsing once; then the short spelling compares as text.
    #[test]
    fn a_respelled_payload_is_its_event_after_a_rules_change() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        let long = format!(
            "{{{}\"client\":\"c\",\"metric\":\"m\",\"amount\":1.50,\"ts\":\"2024-01-01\"}}",
            " ".repeat(4000)
        );
        let short = r#"{"ts":"2024-01-01","amount":15e-1,"metric":"m","client":"c"}"#;
        assert_eq!(tally.submit(&long).label(), "Accepted");
        let rules = tally
            .ledger
            .rules
            .to_json()
            .replace("\"ts\"", "\"ts\",\"when\"");
        tally.save_rules(&rules).expect("rules");
        for _ in 0..3 {
            assert_eq!(tally.submit(short).label(), "Duplicate");
        }
        let reopened = open(&kv, "tab2");
        assert_eq!(reopened.ledger.state().events().len(), 1);
    }

    #[test]
    fn the_outbox_is_apart_from_the_database_failure() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        tally.ledger.faults = FaultPlan::always(FaultPoint::BeforeRaw);
        assert!(tally.submit(A).is_retryable());
        assert_eq!(tally.outbox_items().len(), 1);
        assert!(
            tally.is_clean(),
            "the simulated failure does not touch the outbox"
        );
    }

    #[test]
    fn clear_removes_every_tally_key_and_nothing_else() {
        let kv = Rc::new(MemoryKv::new());
        let mut tally = open(&kv, "tab1");
        tally.submit(A);
        kv.set("tally:v2:future", "x").expect("set");
        kv.set("tally:v1:quarantine:1:k", "x").expect("set");
        kv.set("another-site", "keep").expect("set");
        tally.clear_all("tab2").expect("clear");
        assert_eq!(kv.keys().expect("keys"), ["another-site"]);
        assert_eq!(tally.submit(A).label(), "Accepted", "usable at once");
    }

    #[test]
    fn a_clear_cut_short_never_leaves_events_no_one_is_told_of() {
        // Segments go before heads: stopped at any removal, what is left is
        // either counted or reported, never a segment without its head.
        let filler = format!(
            r#"{{"client":"c","metric":"m","amount":1,"ts":"2024-01-01","note":"{}"}}"#,
            "x".repeat(40_000)
        );
        for removals in 0..8 {
            let kv = Rc::new(MemoryKv::new());
            let mut tally = open(&kv, "tab1");
            tally.submit(A);
            tally.submit(&filler);
            tally.submit(B);
            let counted = tally.ledger.state().events().len();
            let keys = kv.keys().expect("keys").len();
            assert!(keys > 3, "{keys} keys");
            if removals >= keys {
                break;
            }
            kv.crash_after(removals);
            assert!(tally.clear_all("tab2").is_err());
            kv.recover();
            let reader = open(&kv, "reader");
            let left = kv.keys().expect("keys");
            let heads = left.iter().filter(|k| k.ends_with(":head")).count();
            assert_eq!(heads, 1, "the head goes last: {left:?}");
            let all = reader.ledger.state().events().len() == counted;
            assert!(all || !reader.is_clean(), "{removals} removed: {left:?}");
        }
    }
}
