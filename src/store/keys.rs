//! Every key Tally reads or writes, named in one place.
//!
//! Contract: everything lives under [`PREFIX`] (`tally:v1:`), and nothing
//! outside [`FAMILY`] (`tally:`) is ever read or written, because a GitHub
//! Pages origin is shared by all of a user's sites. Keys of another prefix
//! (another version's layout) are reported, never touched. The journal's
//! record format changed within this prefix: a new family of writer keys
//! ([`WRITTEN`]) beside the one earlier versions read and wrote
//! ([`READ_ONLY`]), which stays readable and is never written again.

use chrono::{DateTime, Utc};

/// The namespace of this storage format. A new format gets a new prefix.
pub const PREFIX: &str = "tally:v1:";
/// Every Tally key, of any version, starts with this.
pub const FAMILY: &str = "tally:";

/// The journal family a writer of this version writes: `b:<writer>` keys,
/// whose segments are of format 2 (binary).
pub const WRITTEN: &str = "b:";
/// The journal family of earlier versions: `w:<writer>` keys, segments of
/// format 1 (JSON). Read, never written: a tab still running an earlier
/// version sees only this family, so it never meets a segment it cannot
/// read (it would set it aside as damaged).
pub const READ_ONLY: &str = "w:";

/// A writer's keys start with its stem: its family, then its id.
pub fn stem(writer: &str) -> String {
    format!("{WRITTEN}{writer}")
}

/// A writer's head: its open segment and how many of its records count.
pub fn head_key(stem: &str) -> String {
    format!("{PREFIX}{stem}:head")
}

/// One of a writer's journal segments.
pub fn segment_key(stem: &str, index: u64) -> String {
    format!("{PREFIX}{stem}:s:{index}")
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
