//! Durable storage: a key-value store in localStorage's shape, the crash-safe
//! segmented journal over it, and the settings beside it.
//!
//! Contract: storage is untrusted input. Every read is validated, unreadable
//! data is set aside and reported ([`LoadReport`]), never silently reset, and
//! nothing outside Tally's key family is touched ([`keys`]). This layer knows
//! nothing of events: the journal stores any [`Entry`], so its crash safety
//! is proven once, natively, against [`MemoryKv`]'s crash and quota switches.

pub mod binary;
mod error;
mod journal;
pub mod keys;
mod kv;
mod log;
mod packing;
mod quarantine;
mod settings;

pub use error::{StoreError, BROWSER_QUOTA_UNITS};
pub use journal::{valid_writer, SegmentJournal, SEGMENT_LIMIT};
pub use keys::{quarantine_prefix, FAMILY, PREFIX};
pub use kv::{units, used_units, KeyValue, LaggingView, Listing, MemoryKv, SharedKv, StaleKeys};
pub use log::{Entry, Journal, MemoryJournal, Refresh};
pub use packing::{decode as unpack, decode_split as unpack_split, encode as pack};
pub use quarantine::{quarantine, LoadReport};
pub use settings::{load_rules, reset_rules, save_rules, stored_rules_text, SaveError};
