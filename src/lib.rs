//! # Tally
//!
//! A fault-tolerant event pipeline. Clients send events that follow no
//! schema, change formats, resend, and fail mid-request; Tally normalizes each
//! into one strict canonical event, counts every real event exactly once, and
//! derives consistent aggregates from what it committed.
//!
//! One event's path, in the order the modules below are listed:
//!
//! 1. [`pipeline`]: strict JSON, rules, exact amounts and timestamps,
//!    normalization with provenance, and the fingerprints of identity;
//! 2. [`store`]: localStorage's shape as a trait, the crash-safe segmented
//!    journal over it, quarantine of damaged data, and settings;
//! 3. [`ledger`]: the durable records, the one decision of identity, the
//!    commit, and everything derived by replay (with simulated failures);
//! 4. [`report`]: aggregates derived from the committed events only;
//! 5. [`service`]: the app's policies (outbox, backup and restore, clear)
//!    over any store and clock.
//!
//! [`chaos`] sends events in real clients' shapes through all of it, with
//! failures and several tabs; [`rng`] is its deterministic randomness, and
//! [`order`] the one stable sort every module uses.
//! Everything above is platform-independent and tested natively. The browser
//! build adds localStorage, the clock and Web Locks in `browser`, and the
//! Leptos interface in `app` (wasm32 only), which renders and calls
//! [`service`].

#![warn(missing_docs)]

pub mod pipeline;

pub mod store;

pub mod ledger;

pub mod report;

pub mod service;

pub mod chaos;
pub mod order;
pub mod rng;

#[cfg(test)]
mod test_fixtures;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod browser;
