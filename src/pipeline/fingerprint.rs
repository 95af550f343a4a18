//! Fingerprints: the identity of an event, and of a raw payload.
//!
//! Contract:
//! - [`content_id`] is SHA-256 over a versioned, length-prefixed encoding of
//!   the normalized fields (client, metric, canonical amount, canonical UTC
//!   timestamp). The same event in any shape, key order, type or envelope gets
//!   the same id; events that differ in any of those fields never share one.
//!   Length prefixes make the encoding injective: `("ab","c")` and
//!   `("a","bc")` cannot collide by construction.
//! - [`key_id`] is the identity of an event that carries an idempotency key:
//!   the pair (client, key), as in Stripe's API.
//! - [`raw_fingerprint`] is SHA-256 of the payload's RFC 8785 canonical JSON,
//!   to tell an exact resend from the same event sent in another shape.
//!
//! The version tags are part of the hashed bytes: changing the encoding means
//! a new tag, never silently different ids for stored events.

use crate::pipeline::jcs;
use crate::pipeline::json::document::{self, DocError};
use crate::pipeline::json::Json;
use crate::pipeline::normalize::Normalized;
use crate::pipeline::timestamp;
use sha2::{Digest, Sha256};
use std::fmt;
use std::hash::{Hash, Hasher};

const CONTENT_TAG: &[u8] = b"tally/event-content/v1";
const KEY_TAG: &[u8] = b"tally/idempotency-key/v1";
const RAW_TAG: &[u8] = b"tally/raw-jcs/v1";
const TEXT_TAG: &[u8] = b"tally/raw-text/v1";

/// A SHA-256 digest. Shown and serialized as lowercase hex; deserializing
/// validates the shape, so damaged storage cannot smuggle in a malformed id.
///
/// Kept as its 32 bytes, not as text: the ledger keeps each id in several
/// indexes and statuses and a reload builds them for every event, and bytes
/// are copied without an allocation and read from storage without being
/// turned into hex (allocating and formatting three ids an event were a
/// fifth of a reload's work).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

/// As hex, like the text form it had: statuses are compared by their debug
/// form across versions (see `LedgerState::comparable`).
impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Fingerprint").field(&self.hex()).finish()
    }
}

/// Hashes the first 8 bytes only: a digest's bits are uniform, so 64 of
/// them tell ids apart as well as all 256 do (equal ids still hash equally).
impl Hash for Fingerprint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.first_64_bits());
    }
}

impl From<Fingerprint> for String {
    fn from(f: Fingerprint) -> String {
        f.hex()
    }
}

impl Fingerprint {
    /// The digest as stored in JSON: its lowercase hex.
    pub fn to_json(&self) -> Json {
        Json::String(self.hex())
    }

    /// Reads what [`Fingerprint::to_json`] writes.
    pub fn from_json(value: &Json) -> Result<Fingerprint, DocError> {
        let text = document::text(value)?;
        Fingerprint::parse(text)
            .ok_or_else(|| DocError::new(format!("'{text}' is not a SHA-256 hex digest")))
    }

    /// The full digest in lowercase hex (64 digits).
    pub fn hex(&self) -> String {
        self.to_string()
    }

    /// The first 12 hex digits, enough to tell events apart on screen.
    pub fn short(&self) -> String {
        let mut text = self.hex();
        text.truncate(12);
        text
    }

    /// The digest's first 64 bits: a key as good as all 256 for telling
    /// digests apart in an index, though equal keys need not be equal ids.
    pub fn first_64_bits(&self) -> u64 {
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0[..8]);
        u64::from_le_bytes(first)
    }

    /// The digest's 32 bytes (its stored form).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The digest whose bytes are these.
    pub fn from_bytes(bytes: &[u8; 32]) -> Fingerprint {
        Fingerprint(*bytes)
    }

    /// Accepts a digest only if it has the exact shape of one: 64 lowercase
    /// hex digits.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
            *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
        }
        Some(Fingerprint(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [0u8; 64];
        for (pair, &b) in digits.chunks_exact_mut(2).zip(&self.0) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 15)];
        }
        // ASCII digits are always UTF-8.
        f.write_str(std::str::from_utf8(&digits).unwrap_or_default())
    }
}

fn digest(tag: &[u8], parts: &[&[u8]]) -> Fingerprint {
    let mut h = Sha256::new();
    h.update((tag.len() as u64).to_be_bytes());
    h.update(tag);
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    Fingerprint(h.finalize().into())
}

/// The content identity of a normalized event.
pub fn content_id(event: &Normalized) -> Fingerprint {
    let amount = event.amount.to_string();
    let ts = timestamp::canonical(&event.timestamp);
    digest(
        CONTENT_TAG,
        &[
            event.client_id.as_bytes(),
            event.metric.as_bytes(),
            amount.as_bytes(),
            ts.as_bytes(),
        ],
    )
}

/// The identity of an event that carries an idempotency key.
pub fn key_id(client_id: &str, key: &str) -> Fingerprint {
    digest(KEY_TAG, &[client_id.as_bytes(), key.as_bytes()])
}

/// The identity the ledger deduplicates on: the key when there is one,
/// otherwise the content.
pub fn event_id(event: &Normalized) -> Fingerprint {
    ids(event).0
}

/// An event's identity ([`event_id`]) and its content identity
/// ([`content_id`]), the content hashed once: without a key they are the
/// same, and hashing it twice was a twelfth of an import.
pub fn ids(event: &Normalized) -> (Fingerprint, Fingerprint) {
    let content = content_id(event);
    match &event.idempotency_key {
        Some(key) => (key_id(&event.client_id, key), content),
        None => (content.clone(), content),
    }
}

/// The fingerprint of a raw payload: its JCS form when it parsed, its exact
/// text otherwise (so even unparseable resends are recognised as exact).
pub fn raw_fingerprint(text: &str, parsed: Option<&Json>) -> Fingerprint {
    match parsed {
        Some(value) => digest(
            RAW_TAG,
            &[jcs::canonicalize_sized(value, text.len()).as_bytes()],
        ),
        None => digest(TEXT_TAG, &[text.as_bytes()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::json::parse;
    use crate::pipeline::normalize::normalize;
    use crate::pipeline::rules::Rules;

    fn id(text: &str) -> Fingerprint {
        event_id(&normalize(text, &Rules::default()).unwrap())
    }

    fn raw(text: &str) -> Fingerprint {
        raw_fingerprint(text, parse(text).ok().as_ref())
    }

    #[test]
    fn same_event_in_any_shape_has_one_id() {
        let base = id(
            r#"{"source":"client_A","payload":{"metric":"sale","amount":"1200","timestamp":"2024/01/01"}}"#,
        );
        for text in [
            r#"{"payload":{"timestamp":"2024/01/01","amount":"1200","metric":"sale"},"source":"client_A"}"#,
            r#"{"client_id":"client_A","metric":"sale","amount":1200,"timestamp":"2024-01-01T00:00:00Z"}"#,
            r#"{"client":"client_A","data":{"type":"sale","value":1.2e3,"ts":1704067200}}"#,
            r#"{"clientId":" client_A ","event":{"metricName":"sale","price":"1,200.00","date":"2024-01-01T01:00:00+01:00"}}"#,
        ] {
            assert_eq!(id(text), base, "{text}");
        }
    }

    #[test]
    fn any_field_change_changes_the_id() {
        let base = r#"{"client":"c","metric":"m","amount":"1","ts":"2024-01-01"}"#;
        let ids = [
            id(base),
            id(r#"{"client":"d","metric":"m","amount":"1","ts":"2024-01-01"}"#),
            id(r#"{"client":"c","metric":"n","amount":"1","ts":"2024-01-01"}"#),
            id(r#"{"client":"c","metric":"m","amount":"1.000000001","ts":"2024-01-01"}"#),
            id(r#"{"client":"c","metric":"m","amount":"1","ts":"2024-01-01T00:00:00.001Z"}"#),
            id(
                r#"{"client":"cm","metric":"","amount":"1","ts":"2024-01-01"}"#
                    .replace("\"\"", "\"x\"")
                    .as_str(),
            ),
        ];
        for i in 0..ids.len() {
            for j in i + 1..ids.len() {
                assert_ne!(ids[i], ids[j], "{i} vs {j}");
            }
        }
    }

    #[test]
    fn ids_are_the_key_or_the_content_and_always_the_content() {
        let unkeyed = r#"{"client":"c","metric":"m","amount":1,"ts":"2024-01-01"}"#;
        let keyed = r#"{"client":"c","metric":"m","amount":1,"ts":"2024-01-01","event_id":"k1"}"#;
        let n = |text| normalize(text, &Rules::default()).unwrap();
        let (event, content) = ids(&n(unkeyed));
        assert_eq!(
            (&event, &content),
            (&content_id(&n(unkeyed)), &content_id(&n(unkeyed)))
        );
        let (event, content) = ids(&n(keyed));
        assert_eq!(event, key_id("c", "k1"));
        assert_eq!(content, content_id(&n(unkeyed)), "the key is not content");
    }

    #[test]
    fn length_prefixes_prevent_boundary_collisions() {
        assert_ne!(key_id("ab", "c"), key_id("a", "bc"));
    }

    #[test]
    fn idempotency_key_is_the_identity_when_present() {
        let a = id(r#"{"client":"c","metric":"m","amount":1,"ts":"2024-01-01","event_id":"k1"}"#);
        let b = id(r#"{"client":"c","metric":"m","amount":2,"ts":"2024-01-01","eventId":"k1"}"#);
        let other_client =
            id(r#"{"client":"d","metric":"m","amount":1,"ts":"2024-01-01","event_id":"k1"}"#);
        assert_eq!(a, b);
        assert_eq!(a, key_id("c", "k1"));
        assert_ne!(a, other_client);
    }

    #[test]
    fn raw_fingerprint_ignores_layout_but_not_shape() {
        let a = raw(r#"{"a": 1.0, "b": [1, 2]}"#);
        assert_eq!(a, raw("{\"b\":[1,2],\n \"a\":1}"));
        assert_ne!(a, raw(r#"{"a": "1", "b": [1, 2]}"#));
        assert_eq!(raw("{oops"), raw("{oops"));
        assert_ne!(raw("{oops"), raw("{oops "));
    }

    #[test]
    fn stored_digests_are_validated() {
        let f = key_id("c", "k");
        assert_eq!(Fingerprint::parse(&f.hex()), Some(f.clone()));
        assert_eq!(f.short().len(), 12);
        assert_eq!(Fingerprint::parse("xyz"), None);
        assert_eq!(Fingerprint::parse(&f.hex().to_uppercase()), None);
    }

    #[test]
    fn known_vector_pins_the_encoding() {
        // Changing this value means stored events would get new ids: bump the tag instead.
        let n = normalize(
            r#"{"client":"c","metric":"m","amount":"1.50","ts":"2024-01-01"}"#,
            &Rules::default(),
        )
        .unwrap();
        let mut h = Sha256::new();
        for part in [CONTENT_TAG, b"c", b"m", b"1.5", b"2024-01-01T00:00:00Z"] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        let expected: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(content_id(&n).hex(), expected);
    }
}
