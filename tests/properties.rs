//! Property tests of the pipeline's promises: shape never changes identity,
//! distinct events never share one, ingesting twice equals ingesting once,
//! and aggregates always equal a recomputation from the committed set.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use std::collections::BTreeMap;
use tally::chaos::{render, LogicalEvent, Shape};
use tally::ledger::{FaultPlan, FaultPoint, Kind, Ledger};
use tally::pipeline::amount::Amount;
use tally::pipeline::fingerprint;
use tally::pipeline::normalize::normalize;
use tally::pipeline::rules::Rules;
use tally::report::{Aggregates, Filter, Lineage, Relation, SubmissionStory};
use tally::rng::SeededRng;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

prop_compose! {
    fn logical_event()(
        client in prop::sample::select(vec!["client_A", "client_B", "client_C", "ünïcode client"]),
        metric in prop::sample::select(vec!["sale", "refund", "signup"]),
        nanos in -1_000_000_000_000_000_000i128..1_000_000_000_000_000_000i128,
        secs in 0i64..253_402_300_799, // up to 9999-12-31
        millis in prop::option::of(0i64..1000),
        key in prop::option::of("[a-z0-9-]{1,12}"),
    ) -> LogicalEvent {
        let timestamp = DateTime::from_timestamp(secs, 0).unwrap_or_default()
            + chrono::Duration::milliseconds(millis.unwrap_or(0));
        LogicalEvent {
            client_id: client.to_string(),
            metric: metric.to_string(),
            amount: Amount::from_nanos(nanos),
            timestamp,
            idempotency_key: key,
        }
    }
}

fn id_of(text: &str) -> fingerprint::Fingerprint {
    let n = normalize(text, &Rules::default()).unwrap_or_else(|e| panic!("{text}: {e}"));
    fingerprint::event_id(&n)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // Failures print their minimal input; nothing is written to the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn shape_order_and_spelling_never_change_the_id(event in logical_event(), seed in any::<u64>()) {
        let mut rng = SeededRng::new(seed);
        let first = id_of(&render(&event, Shape::SeedA, &mut rng));
        for shape in Shape::ALL {
            for _ in 0..3 {
                let text = render(&event, shape, &mut rng);
                prop_assert_eq!(&id_of(&text), &first, "{}", text);
            }
        }
    }

    #[test]
    fn distinct_events_never_share_an_id(a in logical_event(), b in logical_event(), seed in any::<u64>()) {
        let same_identity = match (&a.idempotency_key, &b.idempotency_key) {
            (Some(ka), Some(kb)) => a.client_id == b.client_id && ka == kb,
            (None, None) => (&a.client_id, &a.metric, a.amount, a.timestamp) == (&b.client_id, &b.metric, b.amount, b.timestamp),
            _ => false,
        };
        let mut rng = SeededRng::new(seed);
        let (ia, ib) = (id_of(&render(&a, Shape::Flat, &mut rng)), id_of(&render(&b, Shape::SeedC, &mut rng)));
        prop_assert_eq!(ia == ib, same_identity);
    }

    #[test]
    fn ingesting_twice_equals_ingesting_once(events in prop::collection::vec(logical_event(), 0..25), seed in any::<u64>()) {
        let mut rng = SeededRng::new(seed);
        let texts: Vec<String> = events.iter().map(|e| render(e, Shape::ALL[rng.below(5) as usize], &mut rng)).collect();
        let mut once = Ledger::in_memory("t");
        for t in &texts { once.submit(t, now()); }
        let mut twice = Ledger::in_memory("t");
        for t in texts.iter().chain(&texts) { twice.submit(t, now()); }
        let ids = |l: &Ledger<_>| l.state().events().iter().map(|e| e.event_id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&once), ids(&twice));
        let all = Filter::default();
        prop_assert_eq!(
            Aggregates::compute(once.state().events(), &all),
            Aggregates::compute(twice.state().events(), &all)
        );
    }

    #[test]
    fn aggregates_equal_a_recomputation(events in prop::collection::vec(logical_event(), 0..40), seed in any::<u64>()) {
        let mut rng = SeededRng::new(seed);
        let mut ledger = Ledger::in_memory("t");
        let texts: Vec<String> = events.iter().map(|e| render(e, Shape::Flat, &mut rng)).collect();
        ledger.submit_batch(&texts.iter().map(String::as_str).collect::<Vec<_>>(), now());
        let committed = ledger.state().events();
        // Reference: plain integer sums over the committed set, grouped by hand.
        let mut by_client: BTreeMap<String, (u64, i128)> = BTreeMap::new();
        for e in committed {
            let entry = by_client.entry(e.client_id.to_string()).or_default();
            entry.0 += 1;
            entry.1 += e.amount.nanos();
        }
        let agg = Aggregates::compute(committed, &Filter::default());
        prop_assert_eq!(agg.by_client.len(), by_client.len());
        for (client, (count, sum)) in &by_client {
            let s = agg.by_client[client.as_str()];
            prop_assert_eq!(s.count, *count);
            prop_assert_eq!(s.sum.nanos(), *sum);
        }
        let total: i128 = committed.iter().map(|e| e.amount.nanos()).sum();
        prop_assert_eq!(agg.overall.map(|s| s.sum.nanos()).unwrap_or(0), total);
        let day_count: u64 = agg.by_day.values().map(|s| s.count).sum();
        prop_assert_eq!(day_count, committed.len() as u64);
    }

    #[test]
    fn every_submission_is_in_the_story_of_the_one_event_it_names(
        pool in prop::collection::vec(logical_event(), 1..6),
        steps in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 0..40),
        seed in any::<u64>(),
    ) {
        let mut rng = SeededRng::new(seed);
        // Keys shared across the pool make conflicts; some texts are resent
        // exactly, some are not JSON, and some requests fail mid-way.
        let mut pool = pool;
        for i in 1..pool.len() {
            if i % 3 == 0 {
                pool[i].idempotency_key = pool[0].idempotency_key.clone();
                pool[i].client_id = pool[0].client_id.clone();
            }
        }
        let mut ledger = Ledger::in_memory("t");
        let mut sent: Vec<String> = Vec::new();
        for (pick, how, fail) in steps {
            let text = match how % 5 {
                0 if !sent.is_empty() => sent[pick as usize % sent.len()].clone(),
                1 => "{".to_string(),
                _ => render(&pool[pick as usize % pool.len()], Shape::ALL[how as usize % 5], &mut rng),
            };
            ledger.faults = if fail % 4 == 0 {
                FaultPlan::always(FaultPoint::MidRequest)
            } else {
                FaultPlan::none()
            };
            ledger.submit(&text, now());
            sent.push(text);
        }
        let state = ledger.state();
        // Which story lists each submission, and how.
        let mut listed: BTreeMap<String, Vec<(String, Relation)>> = BTreeMap::new();
        for event in state.events() {
            let story = Lineage::of(state, &event.event_id).expect("a counted event has a story");
            prop_assert!(story.counted_once(), "{}", story.verdict());
            for c in &story.chapters {
                listed.entry(c.submission.id.to_string()).or_default().push((event.event_id.to_string(), c.relation));
            }
        }
        for s in state.submissions() {
            let page = SubmissionStory::of(state, &s.id).expect("a received submission has a page");
            let stories = listed.get(&s.id.to_string()).cloned().unwrap_or_default();
            match s.status.kind() {
                Kind::Accepted | Kind::Duplicate | Kind::Conflict => {
                    prop_assert_eq!(stories.len(), 1, "{} is in exactly one story: {:?}", s.id, stories);
                    prop_assert_eq!(page.event.map(|e| e.event_id.to_string()), Some(stories[0].0.clone()));
                }
                Kind::Rejected => {
                    prop_assert!(stories.is_empty(), "a refusal is in no story: {:?}", stories);
                    prop_assert!(page.event.is_none());
                    prop_assert!(!page.reasons().is_empty());
                }
                _ => {
                    // An interrupted attempt belongs to the story of the event
                    // its text became, and only to that one.
                    prop_assert!(stories.iter().all(|(_, r)| *r == Relation::FailedAttempt));
                    prop_assert!(stories.len() <= 1, "{:?}", stories);
                    prop_assert_eq!(page.event.map(|e| e.event_id.to_string()), stories.first().map(|(e, _)| e.clone()));
                }
            }
        }
    }

    #[test]
    fn normalize_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = normalize(&text, &Rules::default());
    }

    #[test]
    fn amounts_survive_their_canonical_text(nanos in -1_000_000_000_000_000_000_000_000_000i128..=1_000_000_000_000_000_000_000_000_000i128) {
        let a = Amount::from_nanos(nanos);
        prop_assert_eq!(Amount::from_text(&a.to_string()), Ok(a));
        prop_assert_eq!(Amount::from_json_number(&a.to_string()), Ok(a));
    }
}
