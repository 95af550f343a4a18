//! The ledger's durable records: what was received, and what was decided.
//!
//! Contract: a [`Record`] is the only thing the journal stores for the
//! ledger. Loading validates every field (fingerprints are hex digests,
//! amounts exact decimals), and fields added by later versions (the Lamport
//! `clock`, a verdict's `candidate`) default when absent, so records written
//! by earlier versions still load and replay.

use super::outcome::Kind;
use crate::pipeline::amount::Amount;
use crate::pipeline::fingerprint::Fingerprint;
use crate::pipeline::normalize::Rejection;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Which writer received a submission, and its number there. Writers are
/// browser tabs; numbering per writer lets tabs append without coordination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubmissionId {
    /// The tab (page load) that received the submission. Shared: every
    /// record of a tab names it, and a reload reads tens of thousands.
    pub writer: Arc<str>,
    /// The submission's number within that writer, from 0.
    pub seq: u64,
}

impl SubmissionId {
    /// The submission after this one in the same writer: the id of the next
    /// payload of a batch.
    pub fn plus(&self, n: u64) -> SubmissionId {
        SubmissionId {
            writer: self.writer.clone(),
            seq: self.seq + n,
        }
    }

    /// Reads the `writer#seq` form [`fmt::Display`] writes; `None` for
    /// anything else, so an address typed by hand never names a submission
    /// it does not mean.
    pub fn parse(text: &str) -> Option<SubmissionId> {
        let (writer, seq) = text.rsplit_once('#')?;
        if writer.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(SubmissionId {
            writer: Arc::from(writer),
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.writer, self.seq)
    }
}

/// A committed canonical event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The identity the ledger deduplicates on (see [`crate::pipeline::fingerprint::event_id`]).
    pub event_id: Fingerprint,
    /// The content fingerprint, kept to detect idempotency-key conflicts.
    pub content_id: Fingerprint,
    /// The fingerprint of the raw payload, to tell exact resends.
    pub raw_fingerprint: Fingerprint,
    /// The canonical client id. Shared: a history names few clients, and a
    /// reload reads one per event.
    pub client_id: Arc<str>,
    /// The canonical metric name (shared, as the client id).
    pub metric: Arc<str>,
    #[serde(with = "amount_text")]
    /// The exact amount.
    pub amount: Amount,
    /// When the event happened, in UTC.
    pub timestamp: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The client's own identity for the event, if it sent one.
    pub idempotency_key: Option<String>,
    /// When Tally committed it.
    pub ingested_at: DateTime<Utc>,
    /// The submission that carried it; its raw text is in the raw log.
    pub submission: SubmissionId,
}

/// Amounts are stored as their canonical decimal text: readable in an export
/// and never a float.
mod amount_text {
    use crate::pipeline::amount::Amount;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &Amount, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(a)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let text = String::deserialize(d)?;
        Amount::from_text(&text).map_err(serde::de::Error::custom)
    }
}

/// What the ledger decided about one submission, as recorded when it was
/// decided. Replay re-decides from the event it carries; records written by
/// versions before candidates were kept (no `candidate`) are taken as
/// recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Committed as a new event.
    Accepted {
        /// The event, with its identity.
        event: Arc<Event>,
    },
    /// Already committed.
    Duplicate {
        /// The event it duplicates.
        of: Fingerprint,
        /// Whether the payload was the same JSON (RFC 8785).
        exact_resend: bool,
        /// The submission's own normalized event, to re-decide it on merge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        candidate: Option<Arc<Event>>,
    },
    /// Not normalizable.
    Rejected {
        /// Every reason, field by field.
        rejection: Rejection,
    },
    /// The idempotency key belongs to an event whose content differs.
    Conflict {
        /// The reused key.
        key: String,
        /// The event that holds it.
        existing: Fingerprint,
        /// The submission's own normalized event, to re-decide it on merge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        candidate: Option<Arc<Event>>,
    },
}

impl Verdict {
    /// What the client was told, as a kind.
    pub(super) fn told(&self) -> Kind {
        match self {
            Verdict::Accepted { .. } => Kind::Accepted,
            Verdict::Duplicate { .. } => Kind::Duplicate,
            Verdict::Rejected { .. } => Kind::Rejected,
            Verdict::Conflict { .. } => Kind::Conflict,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One durable record. The journal is a sequence of these and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// A submission exactly as received, written before any decision.
    Received {
        /// The submission's identity.
        id: SubmissionId,
        /// When it was received.
        at: DateTime<Utc>,
        /// The writer's Lamport clock (0 in records of older versions).
        #[serde(default, skip_serializing_if = "is_zero")]
        clock: u64,
        /// The payload text exactly as received. Shared with the raw log
        /// derived from it: a reload reads every payload once, not twice.
        raw: Arc<str>,
    },
    /// The verdict on a received submission; for `Accepted`, the commit.
    Settled {
        /// The submission this settles.
        id: SubmissionId,
        /// When it was settled.
        at: DateTime<Utc>,
        /// The writer's Lamport clock (0 in records of older versions).
        #[serde(default, skip_serializing_if = "is_zero")]
        clock: u64,
        /// The decision.
        verdict: Verdict,
    },
}

impl Record {
    /// The record's place in the merge of several writers: Lamport clock,
    /// then wall-clock time (the writer breaks remaining ties).
    pub fn order_key(&self) -> (u64, DateTime<Utc>) {
        match self {
            Record::Received { clock, at, .. } | Record::Settled { clock, at, .. } => (*clock, *at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_id_reads_back_what_it_writes_and_nothing_else() {
        let id = SubmissionId {
            writer: "t18f2a#b".into(),
            seq: 42,
        };
        assert_eq!(SubmissionId::parse(&id.to_string()), Some(id.clone()));
        assert_eq!(id.plus(3).seq, 45);
        for bad in ["", "#1", "tab1", "tab1#", "tab1#-1", "tab1#1x", "tab1#+1"] {
            assert_eq!(SubmissionId::parse(bad), None, "{bad:?}");
        }
    }
}
