//! Every key Tally reads or writes, named in one place.
//!
//! Contract: everything lives under [`PREFIX`] (`tally:v1:`), and nothing
//! outside [`FAMILY`] (`tally:`) is ever read or written, because a GitHub
//! Pages origin is shared by all of a user's sites. Keys of another prefix
//! (another version's layout) are reported, never touched. The journal's
//! format changed three times within this prefix, each time as a new family of
//! writer keys ([`WRITTEN`]) beside the ones earlier versions wrote
//! ([`READ_ONLY`]), which stay readable and are never written again: a tab
//! still running an earlier version reads only the families it knows, so it
//! never meets a key it would take for damage.

use chrono::{DateTime, Utc};

/// The namespace of this storage format. A new format gets a new prefix.
pub const PREFIX: &str = "tally:v1:";
/// Every Tally key, of any version, starts with this.
pub const FAMILY: &str = "tally:";

/// The journal family a writer of this version writes: `d:<writer>` keys,
/// whose segments (format 4) name the writer and index they belong to and
/// keep their digests apart from their compressed records, and whose head
/// is sealed by a checksum (see the journal's contract).
pub const WRITTEN: &str = "d:";
/// The journal families of earlier versions, read and never written:
/// `c:<writer>` (format 3, digests compressed with the rest, sealed
/// heads), `b:<writer>` (format 2, binary, unsealed heads) and
/// `w:<writer>` (format 1, JSON).
pub const READ_ONLY: [&str; 3] = ["c:", "b:", "w:"];
/// The families whose heads are sealed.
pub const SEALED_FAMILIES: [&str; 2] = [WRITTEN, "c:"];

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

/// Where unreadable data is set aside; each key is this and more.
pub fn quarantine_prefix() -> String {
    format!("{PREFIX}quarantine:")
}

/// Where unreadable data from `key` is set aside; `n` tells apart several
/// set aside in the same millisecond.
pub fn quarantine_key(now: DateTime<Utc>, n: u32, key: &str) -> String {
    let at = now.timestamp_millis();
    match n {
        0 => format!("{}{at}:{key}", quarantine_prefix()),
        n => format!("{}{at}-{n}:{key}", quarantine_prefix()),
    }
}
