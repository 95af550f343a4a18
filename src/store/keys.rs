//! Every key Tally reads or writes, named in one place.
//!
//! Contract: everything lives under [`PREFIX`] (`tally:v1:`), and nothing
//! outside [`FAMILY`] (`tally:`) is ever read or written, because a GitHub
//! Pages origin is shared by all of a user's sites. A new storage format gets
//! a new prefix; keys of another version are reported, never touched.

use chrono::{DateTime, Utc};

/// The namespace of this storage format. A new format gets a new prefix.
pub const PREFIX: &str = "tally:v1:";
/// Every Tally key, of any version, starts with this.
pub const FAMILY: &str = "tally:";

/// A writer's head: its open segment and how many of its records count.
pub fn head_key(writer: &str) -> String {
    format!("{PREFIX}w:{writer}:head")
}

/// One of a writer's journal segments.
pub fn segment_key(writer: &str, index: u64) -> String {
    format!("{PREFIX}w:{writer}:s:{index}")
}

/// Where outbox items live; each item's key is this plus its id.
pub fn outbox_prefix() -> String {
    format!("{PREFIX}outbox:")
}

/// The rules document.
pub fn rules_key() -> String {
    format!("{PREFIX}rules")
}

/// Where unreadable data from `key` is set aside; `n` tells apart several
/// set aside in the same millisecond.
pub fn quarantine_key(now: DateTime<Utc>, n: u32, key: &str) -> String {
    match n {
        0 => format!("{PREFIX}quarantine:{}:{key}", now.timestamp_millis()),
        n => format!("{PREFIX}quarantine:{}-{n}:{key}", now.timestamp_millis()),
    }
}
