//! Model-based test: thousands of random runs of clients that send new
//! events, resend them exactly, resend them reshaped, reuse idempotency keys,
//! send garbage, and retry through simulated failures at every point, real
//! storage errors and crashes (reopening the ledger from its journal). After
//! each run Tally's committed set and sums must equal a simple reference
//! model's: zero events lost, zero counted twice.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};
use tally::chaos::{random_event, render, LogicalEvent, Shape};
use tally::ledger::{Fault, FaultPlan, FaultPoint, Ledger, LedgerState, Outcome, Record};
use tally::report::{Aggregates, Filter, Glance};
use tally::rng::SeededRng;
use tally::store::MemoryJournal;

/// The reference model's notion of identity, computed from plain fields,
/// never from Tally's hashes: the key when there is one, else the content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Key(String, String),
    Content(String, String, i128, i64),
}

fn content(e: &LogicalEvent) -> Identity {
    Identity::Content(
        e.client_id.clone(),
        e.metric.clone(),
        e.amount.nanos(),
        e.timestamp.timestamp_nanos_opt().unwrap_or_default(),
    )
}

/// What the reference expects to be committed.
#[derive(Default)]
struct Model {
    committed: Vec<LogicalEvent>,
    keys: HashSet<Identity>,
    contents: HashSet<Identity>,
}

impl Model {
    /// Records a delivered event; returns whether it is new.
    fn deliver(&mut self, e: &LogicalEvent) -> bool {
        let new = match &e.idempotency_key {
            Some(k) => !self
                .keys
                .contains(&Identity::Key(e.client_id.clone(), k.clone())),
            None => !self.contents.contains(&content(e)),
        };
        if new {
            if let Some(k) = &e.idempotency_key {
                self.keys
                    .insert(Identity::Key(e.client_id.clone(), k.clone()));
            }
            self.contents.insert(content(e));
            self.committed.push(e.clone());
        }
        new
    }

    fn sums(&self) -> BTreeMap<(String, String), (u64, i128)> {
        let mut sums = BTreeMap::new();
        for e in &self.committed {
            let s: &mut (u64, i128) = sums
                .entry((e.client_id.clone(), e.metric.clone()))
                .or_default();
            s.0 += 1;
            s.1 += e.amount.nanos();
        }
        sums
    }
}

fn at(step: u64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + step as i64, 0).unwrap_or_default()
}

/// Sends one payload the way a client with a retry policy does: until it
/// gets an answer that is not a failure. Returns that answer.
fn send_until_answered(
    ledger: &mut Ledger<MemoryJournal<Record>>,
    text: &str,
    rng: &mut SeededRng,
    step: &mut u64,
) -> Outcome {
    for _attempt in 0..200 {
        *step += 1;
        // Real storage refuses a write now and then, independent of the plan.
        // Either the raw write or the commit.
        if rng.chance(50_000) {
            ledger.journal_mut().fail_after = Some(rng.below(2) as usize);
        }
        let outcome = ledger.submit(text, at(*step));
        ledger.journal_mut().fail_after = None;
        // What every view shows, kept through failed writes taken back.
        let state = ledger.state();
        assert_eq!(Glance::of(state), Glance::recount(state), "{outcome:?}");
        if !outcome.is_retryable() {
            return outcome;
        }
    }
    panic!("200 attempts all failed: the fault rates are too high for this test");
}

fn run(seed: u64, steps: usize) {
    let mut rng = SeededRng::new(seed);
    let rate = |rng: &mut SeededRng| [0, 100_000, 300_000, 500_000][rng.below(4) as usize];
    let faults = vec![
        Fault {
            point: FaultPoint::BeforeRaw,
            per_million: rate(&mut rng),
        },
        Fault {
            point: FaultPoint::MidRequest,
            per_million: rate(&mut rng),
        },
        Fault {
            point: FaultPoint::LostAck,
            per_million: rate(&mut rng),
        },
    ];
    let mut ledger = Ledger::in_memory("tab-1");
    ledger.faults = FaultPlan::new(faults.clone(), seed);
    let mut model = Model::default();
    let mut sent: Vec<LogicalEvent> = Vec::new();
    let mut step = 0u64;
    let clients = ["client_A", "client_B", "client_C"];
    let metrics = ["sale", "refund"];

    for i in 0..steps {
        match rng.below(100) {
            // A new event, sometimes with an idempotency key.
            0..=44 => {
                let mut e = random_event(&mut rng, &clients, &metrics);
                if rng.chance(300_000) {
                    e.idempotency_key = Some(format!("k-{seed}-{i}"));
                }
                let text = render(&e, Shape::ALL[rng.below(5) as usize], &mut rng);
                let outcome = send_until_answered(&mut ledger, &text, &mut rng, &mut step);
                let new = model.deliver(&e);
                match (&outcome, new) {
                    (Outcome::Accepted { .. }, true) | (Outcome::Duplicate { .. }, false) => {}
                    // A lost acknowledgement committed it; the retry then
                    // rightly reports a duplicate of itself.
                    (Outcome::Duplicate { .. }, true) => {}
                    (other, new) => {
                        panic!("seed {seed} step {i}: new={new}, got {other:?} for {text}")
                    }
                }
                sent.push(e);
            }
            // An exact or reshaped resend of something sent before.
            45..=75 if !sent.is_empty() => {
                let e = sent[rng.below(sent.len() as u64) as usize].clone();
                let text = render(&e, Shape::ALL[rng.below(5) as usize], &mut rng);
                let outcome = send_until_answered(&mut ledger, &text, &mut rng, &mut step);
                assert!(
                    matches!(outcome, Outcome::Duplicate { .. }),
                    "seed {seed} step {i}: resend gave {outcome:?}"
                );
                assert!(!model.deliver(&e));
            }
            // A keyed event resent by a client that lost the key: content
            // identity still finds it.
            76..=79 if sent.iter().any(|e| e.idempotency_key.is_some()) => {
                let mut e = sent
                    .iter()
                    .find(|e| e.idempotency_key.is_some())
                    .cloned()
                    .unwrap_or_else(|| sent[0].clone());
                e.idempotency_key = None;
                let text = render(&e, Shape::ALL[rng.below(5) as usize], &mut rng);
                let outcome = send_until_answered(&mut ledger, &text, &mut rng, &mut step);
                assert!(
                    matches!(outcome, Outcome::Duplicate { .. }),
                    "seed {seed} step {i}: keyless resend gave {outcome:?}"
                );
                assert!(!model.deliver(&e));
            }
            // A reused key with other content: a conflict, never a commit.
            80..=84 => {
                if let Some(e) = sent.iter().find(|e| e.idempotency_key.is_some()).cloned() {
                    let mut changed = e.clone();
                    changed.amount =
                        tally::pipeline::amount::Amount::from_nanos(e.amount.nanos() + 1);
                    let text = render(&changed, Shape::Flat, &mut rng);
                    let outcome = send_until_answered(&mut ledger, &text, &mut rng, &mut step);
                    assert!(
                        matches!(outcome, Outcome::Conflict { .. }),
                        "seed {seed}: {outcome:?}"
                    );
                }
            }
            // Garbage: rejected, recorded, never counted.
            85..=89 => {
                let garbage = [
                    "{",
                    "[]",
                    "{\"source\":\"client_A\"}",
                    "{\"client\":\"c\",\"metric\":\"m\",\"amount\":\"NaN\",\"ts\":1}",
                ];
                let text = garbage[rng.below(4) as usize];
                let outcome = send_until_answered(&mut ledger, text, &mut rng, &mut step);
                assert!(
                    matches!(outcome, Outcome::Rejected { .. }),
                    "seed {seed}: {outcome:?}"
                );
            }
            // A crash: the tab reloads and replays its journal.
            _ => {
                let journal = ledger.journal().clone();
                let plan = ledger.faults.clone();
                let before = ledger.state().events().to_vec();
                ledger = Ledger::open(journal, "tab-1").unwrap_or_else(|e| panic!("reopen: {e}"));
                ledger.faults = plan;
                assert_eq!(
                    ledger.state().events(),
                    &before[..],
                    "seed {seed}: replay changed the committed set"
                );
                let state = ledger.state();
                assert_eq!(Glance::of(state), Glance::recount(state), "seed {seed}");
            }
        }
    }

    // Zero lost, zero double counted, and the sums agree exactly.
    let committed = ledger.state().events();
    assert_eq!(
        committed.len(),
        model.committed.len(),
        "seed {seed}: count differs"
    );
    let agg = Aggregates::compute(committed, &Filter::default());
    let expected = model.sums();
    assert_eq!(agg.by_client_metric.len(), expected.len(), "seed {seed}");
    for ((client, metric), (count, nanos)) in expected {
        let got = agg.by_client_metric[&(client.as_str().into(), metric.as_str().into())];
        assert_eq!(
            (got.count, got.sum.nanos()),
            (count, nanos),
            "seed {seed}: {client}/{metric}"
        );
    }
    // The derived state is a pure function of the journal.
    let replayed = LedgerState::replay(&ledger.journal().records);
    assert_eq!(replayed.events(), committed, "seed {seed}");
    assert_eq!(
        replayed.submissions(),
        ledger.state().submissions(),
        "seed {seed}"
    );
}

#[test]
fn thousands_of_random_runs_lose_nothing_and_count_nothing_twice() {
    let runs: u64 = std::env::var("TALLY_MODEL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    for seed in 0..runs {
        run(seed, 40);
    }
}

#[test]
fn a_long_run_with_many_events() {
    run(9_999, 3_000);
}
