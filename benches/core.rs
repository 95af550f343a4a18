//! Native benchmark of the core: normalize and fingerprint per event, a
//! whole submission through the ledger over the durable journal, and the
//! numbers slowest to canonicalize.
//! Run with `cargo bench --bench core` (scripts/bench.sh does).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::rc::Rc;
use tally::chaos::{random_event, render, Shape};
use tally::ledger::Ledger;
use tally::pipeline::fingerprint;
use tally::pipeline::normalize::normalize;
use tally::pipeline::rules::Rules;
use tally::rng::SeededRng;
use tally::store::{MemoryKv, SegmentJournal};

fn payloads(n: usize) -> Vec<String> {
    let mut rng = SeededRng::new(7);
    (0..n)
        .map(|i| {
            let e = random_event(
                &mut rng,
                &["client_A", "client_B", "web"],
                &["sale", "refund"],
            );
            render(&e, Shape::ALL[i % Shape::ALL.len()], &mut rng)
        })
        .collect()
}

fn core(c: &mut Criterion) {
    let rules = Rules::default();
    let events = payloads(1_000);
    let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    let mut group = c.benchmark_group("per event");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("normalize", |b| {
        b.iter(|| {
            for e in &events {
                black_box(normalize(e, &rules).ok());
            }
        })
    });
    let normalized: Vec<_> = events
        .iter()
        .filter_map(|e| normalize(e, &rules).ok())
        .collect();
    group.bench_function("fingerprint", |b| {
        b.iter(|| {
            for n in &normalized {
                black_box(fingerprint::event_id(n));
            }
        })
    });
    group.bench_function("normalize + fingerprint + raw fingerprint", |b| {
        b.iter(|| {
            for e in &events {
                let parsed = tally::pipeline::json::parse(e).ok();
                if let Some(n) = parsed
                    .as_ref()
                    .and_then(|p| tally::pipeline::normalize::normalize_value(p, &rules).ok())
                {
                    black_box(fingerprint::event_id(&n));
                }
                black_box(fingerprint::raw_fingerprint(e, parsed.as_ref()));
            }
        })
    });
    group.bench_function(
        "bulk import through the durable journal (1,000 per batch)",
        |b| {
            let refs: Vec<&str> = events.iter().map(String::as_str).collect();
            b.iter(|| {
                let kv = Rc::new(MemoryKv::new());
                let journal =
                    SegmentJournal::open(kv, "bench", now).unwrap_or_else(|e| panic!("{e}"));
                let mut ledger = Ledger::open(journal, "bench").unwrap_or_else(|e| panic!("{e}"));
                black_box(ledger.submit_batch(&refs, now));
            })
        },
    );
    group.finish();
    // The slowest numbers to canonicalize (RFC 8785): a 64 KB payload of
    // numbers that need exact integer arithmetic, which an event may carry
    // in members Tally does not read (an outside review measured 65 ms for
    // this before the division was done in one step).
    let mut hard = c.benchmark_group("one 64 KB payload of numbers");
    for number in ["1e308", "5e-324", "1e-310", "1e23", "250.50"] {
        let payload = format!(
            "[{}]",
            vec![number; 64 * 1024 / (number.len() + 1)].join(",")
        );
        let parsed = tally::pipeline::json::parse_with_limit(&payload, usize::MAX)
            .unwrap_or_else(|e| panic!("{e}"));
        hard.bench_function(number, |b| {
            b.iter(|| black_box(tally::pipeline::jcs::canonicalize(&parsed)))
        });
    }
    hard.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = core
}
criterion_main!(benches);
