//! What the committed events add up to: statistics with filters, their CSV
//! export, the figures shown at a glance, and how numbers are shown.
//!
//! Contract: every figure is derived on demand from the committed events
//! alone, with exact decimal sums, so aggregates cannot drift from the
//! ledger.

mod aggregate;
mod csv;
pub mod display;
mod glance;
mod lineage;

pub use aggregate::{pair_label, Aggregates, Filter, Stats};
pub use csv::aggregates_csv;
pub use glance::Glance;
pub use lineage::{differences, Chapter, KeyClaim, Lineage, Relation, SubmissionStory};
