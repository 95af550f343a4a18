//! What the committed events add up to: statistics with filters, and their
//! CSV export.
//!
//! Contract: every figure is derived on demand from the committed events
//! alone, with exact decimal sums, so aggregates cannot drift from the
//! ledger.

mod aggregate;
mod csv;

pub use aggregate::{Aggregates, Filter, Stats};
pub use csv::aggregates_csv;
