//! The benchmark's events: a reproducible mix of what clients send, shared
//! by the browser benchmark and the profiler.

use tally::chaos::{random_event, render, Shape};
use tally::rng::SeededRng;

/// `n` submissions: about 70% distinct events in every shape, 20% exact
/// resends and 10% reshaped duplicates, shuffled.
pub fn mixed(n: usize, seed: u64) -> Vec<String> {
    let mut rng = SeededRng::new(seed);
    let clients = ["client_A", "client_B", "client_C", "web", "ios"];
    let metrics = ["sale", "refund", "signup"];
    let distinct = n * 7 / 10;
    let mut events = Vec::with_capacity(distinct);
    let mut lines = Vec::with_capacity(n);
    for i in 0..distinct {
        let mut e = random_event(&mut rng, &clients, &metrics);
        if i % 5 == 0 {
            e.idempotency_key = Some(format!("m-{seed}-{i}"));
        }
        lines.push(render(&e, Shape::ALL[i % 5], &mut rng));
        events.push(e);
    }
    while lines.len() < n {
        let i = rng.below(distinct as u64) as usize;
        if rng.chance(666_667) {
            lines.push(lines[i].clone());
        } else {
            lines.push(render(
                &events[i],
                Shape::ALL[rng.below(5) as usize],
                &mut rng,
            ));
        }
    }
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.below(i as u64 + 1) as usize);
    }
    lines
}
