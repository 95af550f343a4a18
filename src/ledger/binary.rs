//! The binary form of the ledger's records: how the journal stores them.
//!
//! Contract: [`Entry::decode`] reads back exactly what [`Entry::encode`]
//! wrote, and refuses anything else with a reason: an unknown tag, a
//! fingerprint that is not 32 bytes, an amount beyond the limit, a time out
//! of range, text that is not UTF-8. Nothing read is trusted further than
//! the JSON form was: the same validation, field by field.
//!
//! Layout (integers are LEB128, signed ones zigzag; texts length-prefixed):
//! - `Received`: 0, writer, seq, time, clock, raw text.
//! - `Settled`: 1, writer, seq, time, clock, then the verdict: 0 and an
//!   event (Accepted); 1, the fingerprint, 0/1 for an exact resend, an
//!   optional event (Duplicate); 2 and the rejection as JSON text
//!   (Rejected: rare, and its reasons are nested text anyway); 3, the key,
//!   the fingerprint, an optional event (Conflict).
//! - An event: a flags byte (it has a key; its submission is the record's;
//!   it was ingested at the record's time), three fingerprints of 32 bytes,
//!   client, metric, amount in nano-units, timestamp, then the key, the
//!   submission and the ingestion time where the flags say they differ.
//!
//! Every fingerprint is written with [`Form::digest`]: in a segment of
//! format 4 they go, in the same order, to a stream of their own that is
//! stored uncompressed (formats 2 and 3 had them in place).
//!
//! Why this shape: fingerprints as bytes are half the size of hex and
//! nothing to parse, and an event almost always belongs to the record that
//! carries it, so that is one bit, not a second writer id and time.

use super::records::{Event, Record, SubmissionId, Verdict};
use crate::pipeline::amount::Amount;
use crate::pipeline::fingerprint::Fingerprint;
use crate::pipeline::json::document::{self, DocError};
use crate::pipeline::json::Json;
use crate::pipeline::normalize::Rejection;
use crate::store::binary::{put_i128, put_str, put_time, put_u64, Form, Reader};
use crate::store::Entry;
use chrono::{DateTime, Utc};
use std::sync::Arc;

const RECEIVED: u8 = 0;
const SETTLED: u8 = 1;

const ACCEPTED: u8 = 0;
const DUPLICATE: u8 = 1;
const REJECTED: u8 = 2;
const CONFLICT: u8 = 3;

const HAS_KEY: u8 = 1;
const OTHER_SUBMISSION: u8 = 2;
const OTHER_TIME: u8 = 4;

impl Entry for Record {
    fn order_key(&self) -> (u64, DateTime<Utc>) {
        Record::order_key(self)
    }

    fn encode(&self, out: &mut Form) {
        match self {
            Record::Received { id, at, clock, raw } => {
                out.body.push(RECEIVED);
                put_head(&mut out.body, id, at, *clock);
                put_str(&mut out.body, raw);
            }
            Record::Settled {
                id,
                at,
                clock,
                verdict,
            } => {
                out.body.push(SETTLED);
                put_head(&mut out.body, id, at, *clock);
                put_verdict(out, verdict, id, at);
            }
        }
    }

    fn decode(input: &mut Reader<'_>) -> Result<Record, String> {
        let tag = input.u8()?;
        let id = SubmissionId {
            writer: input.shared()?,
            seq: input.u64()?,
        };
        let at = input.time()?;
        let clock = input.u64()?;
        match tag {
            RECEIVED => Ok(Record::Received {
                raw: input.arc_str()?,
                id,
                at,
                clock,
            }),
            SETTLED => Ok(Record::Settled {
                verdict: read_verdict(input, &id, &at)?,
                id,
                at,
                clock,
            }),
            other => Err(format!("unknown record kind {other}")),
        }
    }

    fn to_json(&self) -> Json {
        Record::to_json(self)
    }

    fn from_json(value: &Json) -> Result<Record, DocError> {
        Record::from_json(value)
    }
}

fn put_head(out: &mut Vec<u8>, id: &SubmissionId, at: &DateTime<Utc>, clock: u64) {
    put_str(out, &id.writer);
    put_u64(out, id.seq);
    put_time(out, at);
    put_u64(out, clock);
}

fn put_verdict(out: &mut Form, verdict: &Verdict, id: &SubmissionId, at: &DateTime<Utc>) {
    match verdict {
        Verdict::Accepted { event } => {
            out.body.push(ACCEPTED);
            put_event(out, event, id, at);
        }
        Verdict::Duplicate {
            of,
            exact_resend,
            candidate,
        } => {
            out.body.push(DUPLICATE);
            out.digest(&of.to_bytes());
            out.body.push(u8::from(*exact_resend));
            put_candidate(out, candidate.as_deref(), id, at);
        }
        Verdict::Rejected { rejection } => {
            out.body.push(REJECTED);
            put_str(&mut out.body, &rejection.to_json().to_compact());
        }
        Verdict::Conflict {
            key,
            existing,
            candidate,
        } => {
            out.body.push(CONFLICT);
            put_str(&mut out.body, key);
            out.digest(&existing.to_bytes());
            put_candidate(out, candidate.as_deref(), id, at);
        }
    }
}

fn read_verdict(
    input: &mut Reader<'_>,
    id: &SubmissionId,
    at: &DateTime<Utc>,
) -> Result<Verdict, String> {
    match input.u8()? {
        ACCEPTED => Ok(Verdict::Accepted {
            event: Arc::new(read_event(input, id, at)?),
        }),
        DUPLICATE => Ok(Verdict::Duplicate {
            of: read_fingerprint(input)?,
            exact_resend: read_bool(input)?,
            candidate: read_candidate(input, id, at)?,
        }),
        REJECTED => {
            let text = input.string()?;
            let rejection = document::read_text(&text, Rejection::from_json)
                .map_err(|e| format!("an unreadable rejection: {e}"))?;
            Ok(Verdict::Rejected { rejection })
        }
        CONFLICT => Ok(Verdict::Conflict {
            key: input.string()?,
            existing: read_fingerprint(input)?,
            candidate: read_candidate(input, id, at)?,
        }),
        other => Err(format!("unknown verdict {other}")),
    }
}

fn put_candidate(out: &mut Form, candidate: Option<&Event>, id: &SubmissionId, at: &DateTime<Utc>) {
    match candidate {
        None => out.body.push(0),
        Some(event) => {
            out.body.push(1);
            put_event(out, event, id, at);
        }
    }
}

fn read_candidate(
    input: &mut Reader<'_>,
    id: &SubmissionId,
    at: &DateTime<Utc>,
) -> Result<Option<Arc<Event>>, String> {
    Ok(if read_bool(input)? {
        Some(Arc::new(read_event(input, id, at)?))
    } else {
        None
    })
}

fn put_event(form: &mut Form, e: &Event, id: &SubmissionId, at: &DateTime<Utc>) {
    let mut flags = 0;
    if e.idempotency_key.is_some() {
        flags |= HAS_KEY;
    }
    if e.submission != *id {
        flags |= OTHER_SUBMISSION;
    }
    if e.ingested_at != *at {
        flags |= OTHER_TIME;
    }
    form.body.push(flags);
    form.digest(&e.event_id.to_bytes());
    form.digest(&e.content_id.to_bytes());
    form.digest(&e.raw_fingerprint.to_bytes());
    let out = &mut form.body;
    put_str(out, &e.client_id);
    put_str(out, &e.metric);
    put_i128(out, e.amount.nanos());
    put_time(out, &e.timestamp);
    if let Some(key) = &e.idempotency_key {
        put_str(out, key);
    }
    if flags & OTHER_SUBMISSION != 0 {
        put_str(out, &e.submission.writer);
        put_u64(out, e.submission.seq);
    }
    if flags & OTHER_TIME != 0 {
        put_time(out, &e.ingested_at);
    }
}

fn read_event(
    input: &mut Reader<'_>,
    id: &SubmissionId,
    at: &DateTime<Utc>,
) -> Result<Event, String> {
    let flags = input.u8()?;
    if flags & !(HAS_KEY | OTHER_SUBMISSION | OTHER_TIME) != 0 {
        return Err(format!("unknown event flags {flags}"));
    }
    let event_id = read_fingerprint(input)?;
    let content_id = read_fingerprint(input)?;
    let raw_fingerprint = read_fingerprint(input)?;
    let client_id = input.interned()?;
    let metric = input.interned()?;
    let nanos = input.i128()?;
    let amount = Amount::from_stored_nanos(nanos)
        .ok_or_else(|| format!("an amount of {nanos} nano-units is beyond the limit"))?;
    let timestamp = input.time()?;
    let idempotency_key = if flags & HAS_KEY != 0 {
        Some(input.string()?)
    } else {
        None
    };
    let submission = if flags & OTHER_SUBMISSION != 0 {
        SubmissionId {
            writer: input.shared()?,
            seq: input.u64()?,
        }
    } else {
        id.clone()
    };
    let ingested_at = if flags & OTHER_TIME != 0 {
        input.time()?
    } else {
        *at
    };
    Ok(Event {
        event_id,
        content_id,
        raw_fingerprint,
        client_id,
        metric,
        amount,
        timestamp,
        idempotency_key,
        ingested_at,
        submission,
    })
}

fn read_fingerprint(input: &mut Reader<'_>) -> Result<Fingerprint, String> {
    Ok(Fingerprint::from_bytes(input.digest()?))
}

fn read_bool(input: &mut Reader<'_>) -> Result<bool, String> {
    match input.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(format!("{other} is not a yes or no")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Ledger;
    use crate::store::Journal;
    use crate::test_fixtures::{now, SEED_A as A, SEED_B as B};

    /// Records of every kind and shape, made by the ledger itself.
    fn every_kind() -> Vec<Record> {
        let mut l = Ledger::in_memory("tab-1");
        let keyed = |key: &str, amount: &str| {
            format!(
                r#"{{"client":"c","metric":"m","amount":"{amount}","ts":"2024-01-01T00:00:00.5Z","event_id":"{key}"}}"#
            )
        };
        for raw in [
            A.to_string(),
            A.to_string(),
            B.to_string(),
            "{bad".to_string(),
            r#"{"client":"","amount":"x"}"#.to_string(),
            keyed("k1", "-12.000000001"),
            keyed("k1", "13"),
            keyed("ké€😀", "999999999999999999.999999999"),
        ] {
            l.submit(&raw, now());
        }
        let records = l.journal_mut().records().unwrap();
        assert!(records.len() >= 16);
        records
    }

    fn reader(form: &Form) -> Reader<'_> {
        match &form.digests {
            Some(digests) => Reader::split(&form.body, digests),
            None => Reader::new(&form.body),
        }
    }

    /// The records written into `form` and read back.
    fn round_trip_in(records: &[Record], mut form: Form) -> Vec<Record> {
        for r in records {
            r.encode(&mut form);
        }
        let mut input = reader(&form);
        let mut back = Vec::new();
        while !input.is_empty() {
            back.push(Record::decode(&mut input).unwrap());
        }
        assert_eq!(input.digests_remaining(), 0, "every digest is read");
        back
    }

    fn round_trip(records: &[Record]) -> Vec<Record> {
        let inline = round_trip_in(records, Form::inline());
        let split = round_trip_in(records, Form::split());
        assert_eq!(inline, split);
        split
    }

    #[test]
    fn every_kind_of_record_reads_back_exactly() {
        let records = every_kind();
        assert_eq!(round_trip(&records), records);
    }

    #[test]
    fn digests_are_kept_apart_and_in_order() {
        let records = every_kind();
        let mut form = Form::split();
        let mut inline = Form::inline();
        for r in &records {
            r.encode(&mut form);
            r.encode(&mut inline);
        }
        let digests = form.digests.as_deref().unwrap();
        assert!(!digests.is_empty());
        assert_eq!(digests.len() % 32, 0);
        // A digest a record repeats (an unkeyed event's content id is its
        // id) is stored once, and a byte per digest says which.
        let inline_digests = (inline.body.len() - form.body.len()) / 31 * 32;
        assert!(digests.len() < inline_digests, "repeats are stored once");
        // Each digest is where the inline form has it, in the same order.
        let mut at = 0;
        for digest in digests.chunks_exact(32) {
            let found = inline.body[at..]
                .windows(32)
                .position(|w| w == digest)
                .expect("the inline form holds the digest");
            at += found + 32;
        }
    }

    #[test]
    fn an_event_of_another_submission_or_time_keeps_them() {
        let mut records = every_kind();
        for r in &mut records {
            if let Record::Settled {
                verdict: Verdict::Accepted { event },
                ..
            } = r
            {
                let event = Arc::make_mut(event);
                event.submission.writer = "older-tab".into();
                event.submission.seq = 41;
                event.ingested_at = now() - chrono::Duration::days(3);
            }
        }
        assert_eq!(round_trip(&records), records);
    }

    #[test]
    fn the_binary_form_is_smaller_than_json() {
        let records = every_kind();
        let mut binary = Form::split();
        for r in &records {
            r.encode(&mut binary);
        }
        let json = Json::Array(records.iter().map(Record::to_json).collect()).to_compact();
        assert!(
            binary.len() * 2 < json.len(),
            "{} vs {}",
            binary.len(),
            json.len()
        );
    }

    #[test]
    fn damage_is_refused_never_misread() {
        let records = every_kind();
        let (last, before) = records.split_last().unwrap();
        for form in [Form::inline(), Form::split()] {
            let mut out = form.clone();
            last.encode(&mut out);
            // Every truncation of a record, of its body or its digests.
            for cut in 0..out.body.len() {
                let mut cut_form = out.clone();
                cut_form.body.truncate(cut);
                let mut input = reader(&cut_form);
                assert!(Record::decode(&mut input).is_err(), "cut at {cut}");
            }
            let digests = out.digests.as_ref().map_or(0, Vec::len);
            for cut in 0..digests {
                let mut cut_form = out.clone();
                cut_form.digests.as_mut().unwrap().truncate(cut);
                let err = Record::decode(&mut reader(&cut_form)).unwrap_err();
                assert!(err.contains("digests end early"), "{err}");
            }
        }
        assert!(before.iter().any(|r| matches!(r, Record::Settled { .. })));
        for bad in [2u8, 9, 255] {
            let mut input = Reader::new(std::slice::from_ref(&bad));
            assert!(Record::decode(&mut input).is_err());
        }
    }

    #[test]
    fn an_amount_beyond_the_limit_is_refused() {
        let mut out = Form::split();
        let id = SubmissionId {
            writer: "t".into(),
            seq: 0,
        };
        let at = now();
        let record = every_kind()
            .into_iter()
            .find_map(|r| match r {
                Record::Settled {
                    verdict: Verdict::Accepted { event },
                    ..
                } => Some(event),
                _ => None,
            })
            .unwrap();
        let mut event = Event::clone(&record);
        event.submission = id.clone();
        event.ingested_at = at;
        event.amount = Amount::from_nanos(i128::MAX);
        put_event(&mut out, &event, &id, &at);
        let err = read_event(&mut reader(&out), &id, &at).unwrap_err();
        assert!(err.contains("beyond the limit"), "{err}");
    }
}
