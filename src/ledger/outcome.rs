//! What a submission came to: the answer a client gets ([`Outcome`]), the
//! status the raw log derives ([`Status`]), and the kind of answer, for
//! filters and for telling when a merge revised one ([`Kind`]).

use super::fault::FaultPoint;
use super::records::Event;
use super::MAX_EVENTS;
use crate::pipeline::fingerprint::Fingerprint;
use crate::pipeline::normalize::{Provenance, Rejection};
use crate::store::StoreError;
use std::fmt;

/// Why a submission ended as [`Outcome::Failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The fault plan failed the request at this point.
    Simulated(FaultPoint),
    /// Real storage refused the write.
    Storage(StoreError),
    /// Other tabs' commits could not be read, so nothing was decided.
    CatchUp(StoreError),
    /// The ledger holds [`MAX_EVENTS`] events.
    LedgerFull,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Simulated(FaultPoint::LostAck) => write!(
                f,
                // Not "a duplicate": a refused payload was recorded too, and
                // its retry is refused again (an outside review).
                "simulated database failure: the acknowledgement was lost after the commit; retrying is safe and reports what was decided (a duplicate, if it was counted)"
            ),
            Failure::Simulated(point) => {
                write!(f, "simulated database failure {point}; nothing was committed, retrying is safe")
            }
            Failure::Storage(e) => write!(f, "{e}; nothing was committed, retrying is safe"),
            Failure::CatchUp(e) => write!(
                f,
                "other tabs' commits could not be read ({e}); nothing was decided, retrying is safe"
            ),
            Failure::LedgerFull => write!(f, "the ledger holds its maximum of {MAX_EVENTS} events"),
        }
    }
}

/// The answer to one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new event was committed.
    Accepted {
        /// The committed event.
        event: Event,
        /// How each field was found.
        provenance: Vec<Provenance>,
    },
    /// Already committed: an idempotent success naming the original.
    Duplicate {
        /// The event committed earlier.
        original: Event,
        /// True when the payload is the same JSON (RFC 8785), false when it is
        /// the same event in another shape.
        exact_resend: bool,
        /// The id the event had before this submission's idempotency key
        /// claimed it: it was sent first without a key, and the key now
        /// names it (with a new id, the one Processed lists).
        claimed_from: Option<Fingerprint>,
        /// How each field of this submission was found.
        provenance: Vec<Provenance>,
    },
    /// Cannot be normalized; every reason is listed.
    Rejected {
        /// Every reason, field by field.
        rejection: Rejection,
    },
    /// Storage did not complete the request; retrying is safe.
    Failed {
        /// What failed; nothing was committed unless it was a lost acknowledgement.
        failure: Failure,
    },
    /// The idempotency key was used before for different content.
    Conflict {
        /// The reused key.
        key: String,
        /// The event that already holds it.
        existing: Event,
    },
}

impl Outcome {
    /// The outcome's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Outcome::Accepted { .. } => Kind::Accepted,
            Outcome::Duplicate { .. } => Kind::Duplicate,
            Outcome::Rejected { .. } => Kind::Rejected,
            Outcome::Failed { .. } => Kind::Failed,
            Outcome::Conflict { .. } => Kind::Conflict,
        }
    }

    /// The outcome's name as users see it.
    pub fn label(&self) -> &'static str {
        self.kind().label()
    }

    /// Whether the client should retry (only failures are retryable).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }
}

/// The derived status of a submission in the raw log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Received but never settled: the request was interrupted mid-way.
    Interrupted,
    /// Committed as a new event.
    Accepted {
        /// The committed event's id.
        event_id: Fingerprint,
    },
    /// Already committed.
    Duplicate {
        /// The event it duplicates.
        of: Fingerprint,
        /// Whether the payload was the same JSON.
        exact_resend: bool,
    },
    /// Refused.
    Rejected {
        /// Every reason.
        rejection: Rejection,
    },
    /// The idempotency key was already used for other content.
    Conflict {
        /// The reused key.
        key: String,
        /// The event that holds it.
        existing: Fingerprint,
    },
}

impl Status {
    /// The status's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Status::Interrupted => Kind::Interrupted,
            Status::Accepted { .. } => Kind::Accepted,
            Status::Duplicate { .. } => Kind::Duplicate,
            Status::Rejected { .. } => Kind::Rejected,
            Status::Conflict { .. } => Kind::Conflict,
        }
    }
}

/// The kind of a decision, for filters and counts: what a client was told,
/// or what the raw log derives. `Copy`, so views compare kinds, not strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Counted as a new event.
    Accepted,
    /// A duplicate of a counted event.
    Duplicate,
    /// Refused, with reasons.
    Rejected,
    /// Its idempotency key was held by other content.
    Conflict,
    /// Storage did not complete the request (an answer, never a status).
    Failed,
    /// Received, never settled (a status, never an answer).
    Interrupted,
}

impl Kind {
    /// Every kind, in the order views list them.
    pub const ALL: [Kind; 6] = [
        Kind::Accepted,
        Kind::Duplicate,
        Kind::Rejected,
        Kind::Conflict,
        Kind::Failed,
        Kind::Interrupted,
    ];
}
