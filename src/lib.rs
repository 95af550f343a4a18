//! # Tally
//!
//! A fault-tolerant event pipeline. Clients send events that follow no
//! schema, change formats, resend, and fail mid-request; Tally normalizes each
//! into one strict canonical event, counts every real event exactly once, and
//! derives consistent aggregates from what it committed.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`json`]: strict parsing that keeps exact number text and reports
//!    line and column;
//! 2. [`normalize`] with [`rules`], [`amount`] and [`timestamp`]: field
//!    resolution, exact coercion, provenance;
//! 3. [`fingerprint`] with [`jcs`]: event identity and raw-payload identity;
//! 4. [`ledger`] with [`fault`]: the durable log, dedup and commit, and
//!    simulated database failures;
//! 5. [`aggregate`]: statistics derived from committed events only.
//!
//! Durability, platform-independent too: [`kv`] (the key-value interface
//! of localStorage), [`journal`] (the ledger's records in crash-safe
//! segments), [`packing`] (their compact encoding), [`outbox`] (failed
//! submissions awaiting retry) and [`backup`] (export and restore).
//! [`sample`] writes events in the shapes real clients use.
//!
//! Everything above is tested natively. The browser build adds localStorage
//! and the clock in `browser` and the Leptos interface in `app` (wasm32 only).

#![warn(missing_docs)]

pub mod aggregate;
pub mod amount;
pub mod backup;
pub mod bulk;
pub mod csv;
pub mod fault;
pub mod fingerprint;
pub mod jcs;
pub mod journal;
pub mod json;
pub mod kv;
pub mod ledger;
pub mod normalize;
pub mod outbox;
pub mod packing;
pub mod rules;
pub mod sample;
pub mod service;
pub mod settings;
pub mod simulator;
pub mod timestamp;

#[cfg(test)]
mod test_fixtures;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod browser;
