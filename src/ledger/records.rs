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
use crate::pipeline::json::document::{self, object, string, DocError, Fields};
use crate::pipeline::json::Json;
use crate::pipeline::normalize::Rejection;
use crate::pipeline::timestamp;
use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::Arc;

/// Which writer received a submission, and its number there. Writers are
/// browser tabs; numbering per writer lets tabs append without coordination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The exact amount.
    pub amount: Amount,
    /// When the event happened, in UTC.
    pub timestamp: DateTime<Utc>,
    /// The client's own identity for the event, if it sent one.
    pub idempotency_key: Option<String>,
    /// When Tally committed it.
    pub ingested_at: DateTime<Utc>,
    /// The submission that carried it; its raw text is in the raw log.
    pub submission: SubmissionId,
}

/// What the ledger decided about one submission, as recorded when it was
/// decided. Replay re-decides from the event it carries; records written by
/// versions before candidates were kept (no `candidate`) are taken as
/// recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// One durable record. The journal is a sequence of these and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A submission exactly as received, written before any decision.
    Received {
        /// The submission's identity.
        id: SubmissionId,
        /// When it was received.
        at: DateTime<Utc>,
        /// The writer's Lamport clock (0 in records of older versions).
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

/// The JSON form of records: the records of segment format 1 and of
/// backups, which serde wrote until 2026-12. Variants are named by a
/// `record`, `verdict` or `kind` member; members added by later versions
/// (`clock`, `candidate`) are left out when empty and read as empty when
/// absent; members this version does not know are ignored, as serde did.
impl SubmissionId {
    /// `{"writer": …, "seq": …}`.
    pub fn to_json(&self) -> Json {
        object([
            ("writer", string(&*self.writer)),
            ("seq", document::number(self.seq)),
        ])
    }

    /// Reads what [`SubmissionId::to_json`] writes.
    pub fn from_json(value: &Json) -> Result<SubmissionId, DocError> {
        let f = Fields::of(value)?;
        Ok(SubmissionId {
            writer: Arc::from(f.text("writer")?),
            seq: f.whole("seq")?,
        })
    }
}

impl Event {
    /// The event's members, the amount as its exact decimal text.
    pub fn to_json(&self) -> Json {
        let event = object([
            ("event_id", self.event_id.to_json()),
            ("content_id", self.content_id.to_json()),
            ("raw_fingerprint", self.raw_fingerprint.to_json()),
            ("client_id", string(&*self.client_id)),
            ("metric", string(&*self.metric)),
            ("amount", string(self.amount.to_string())),
            ("timestamp", string(timestamp::canonical(&self.timestamp))),
        ]);
        let event = match &self.idempotency_key {
            Some(key) => event.with("idempotency_key", string(key.clone())),
            None => event,
        };
        event
            .with(
                "ingested_at",
                string(timestamp::canonical(&self.ingested_at)),
            )
            .with("submission", self.submission.to_json())
    }

    /// Reads what [`Event::to_json`] writes.
    pub fn from_json(value: &Json) -> Result<Event, DocError> {
        let f = Fields::of(value)?;
        Ok(Event {
            event_id: f.read("event_id", Fingerprint::from_json)?,
            content_id: f.read("content_id", Fingerprint::from_json)?,
            raw_fingerprint: f.read("raw_fingerprint", Fingerprint::from_json)?,
            client_id: Arc::from(f.text("client_id")?),
            metric: Arc::from(f.text("metric")?),
            amount: f.read("amount", |v| {
                Amount::from_text(document::text(v)?).map_err(|e| DocError::new(e.to_string()))
            })?,
            timestamp: f.read("timestamp", timestamp::from_json)?,
            idempotency_key: f.optional_text("idempotency_key")?,
            ingested_at: f.read("ingested_at", timestamp::from_json)?,
            submission: f.read("submission", SubmissionId::from_json)?,
        })
    }
}

fn candidate_json(verdict: Json, candidate: &Option<Arc<Event>>) -> Json {
    match candidate {
        Some(event) => verdict.with("candidate", event.to_json()),
        None => verdict,
    }
}

fn read_event(value: &Json) -> Result<Arc<Event>, DocError> {
    Event::from_json(value).map(Arc::new)
}

impl Verdict {
    /// The verdict, its kind named by `verdict`.
    pub fn to_json(&self) -> Json {
        match self {
            Verdict::Accepted { event } => {
                object([("verdict", string("accepted")), ("event", event.to_json())])
            }
            Verdict::Duplicate {
                of,
                exact_resend,
                candidate,
            } => candidate_json(
                object([
                    ("verdict", string("duplicate")),
                    ("of", of.to_json()),
                    ("exact_resend", Json::Bool(*exact_resend)),
                ]),
                candidate,
            ),
            Verdict::Rejected { rejection } => object([
                ("verdict", string("rejected")),
                ("rejection", rejection.to_json()),
            ]),
            Verdict::Conflict {
                key,
                existing,
                candidate,
            } => candidate_json(
                object([
                    ("verdict", string("conflict")),
                    ("key", string(key.clone())),
                    ("existing", existing.to_json()),
                ]),
                candidate,
            ),
        }
    }

    /// Reads what [`Verdict::to_json`] writes.
    pub fn from_json(value: &Json) -> Result<Verdict, DocError> {
        let f = Fields::of(value)?;
        match f.text("verdict")? {
            "accepted" => Ok(Verdict::Accepted {
                event: f.read("event", read_event)?,
            }),
            "duplicate" => Ok(Verdict::Duplicate {
                of: f.read("of", Fingerprint::from_json)?,
                exact_resend: f.flag("exact_resend")?,
                candidate: f.read_optional("candidate", read_event)?,
            }),
            "rejected" => Ok(Verdict::Rejected {
                rejection: f.read("rejection", Rejection::from_json)?,
            }),
            "conflict" => Ok(Verdict::Conflict {
                key: f.text("key")?.to_string(),
                existing: f.read("existing", Fingerprint::from_json)?,
                candidate: f.read_optional("candidate", read_event)?,
            }),
            other => Err(DocError::new(format!(
                "'{other}' is not a verdict; the verdicts are 'accepted', 'duplicate', 'rejected', 'conflict'"
            ))
            .within("verdict")),
        }
    }
}

impl Record {
    /// The record, its kind named by `record`.
    pub fn to_json(&self) -> Json {
        let (kind, id, at, clock) = match self {
            Record::Received { id, at, clock, .. } => ("received", id, at, clock),
            Record::Settled { id, at, clock, .. } => ("settled", id, at, clock),
        };
        let mut record = object([
            ("record", string(kind)),
            ("id", id.to_json()),
            ("at", string(timestamp::canonical(at))),
        ]);
        if *clock != 0 {
            record = record.with("clock", document::number(clock));
        }
        match self {
            Record::Received { raw, .. } => record.with("raw", string(&**raw)),
            Record::Settled { verdict, .. } => record.with("verdict", verdict.to_json()),
        }
    }

    /// Reads what [`Record::to_json`] writes, and the records of versions
    /// before the Lamport clock (no `clock`: 0).
    pub fn from_json(value: &Json) -> Result<Record, DocError> {
        let f = Fields::of(value)?;
        let kind = f.text("record")?;
        let id = f.read("id", SubmissionId::from_json)?;
        let at = f.read("at", timestamp::from_json)?;
        let clock = f.read_optional("clock", document::whole)?.unwrap_or(0);
        match kind {
            "received" => Ok(Record::Received {
                id,
                at,
                clock,
                raw: Arc::from(f.text("raw")?),
            }),
            "settled" => Ok(Record::Settled {
                id,
                at,
                clock,
                verdict: f.read("verdict", Verdict::from_json)?,
            }),
            other => Err(DocError::new(format!(
                "'{other}' is not a kind of record; the kinds are 'received', 'settled'"
            ))
            .within("record")),
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
