//! Payloads and a fixed clock shared by the core's unit tests.

use chrono::{DateTime, Utc};

/// The seeds' client A event.
pub const SEED_A: &str =
    r#"{"source":"client_A","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#;
/// The seeds' client B event.
pub const SEED_B: &str =
    r#"{"client":"client_B","payload":{"type":"purchase","value":5000,"time":"2024-12-01"}}"#;

/// A fixed instant, so records and quarantine keys are reproducible.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}
