//! The binary primitives of stored records: what a segment's entries are
//! written with since format 2.
//!
//! Contract: every `put_*` has a `Reader` method that reads back exactly
//! what it wrote, and every read of damaged input is an error, never a
//! panic, a wrong value or an unbounded allocation: lengths are checked
//! against the bytes that remain, text must be UTF-8, integers must fit.
//!
//! Why not JSON: parsing JSON records was two thirds of a reload (40,000
//! records, 269 ms natively). Why not a serde format such as postcard:
//! Tally links no serde at all (it was an eighth of the wasm bundle's code),
//! and a few plain functions are smaller than a serializer.

use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Appends an unsigned LEB128 integer: 7 bits a byte, low bits first.
pub fn put_u64(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends a signed integer, zigzag-encoded so small magnitudes are short.
pub fn put_i128(out: &mut Vec<u8>, n: i128) {
    let mut z = ((n << 1) ^ (n >> 127)) as u128;
    if let Ok(small) = u64::try_from(z) {
        // The same bytes, without 128-bit arithmetic (see `Reader::i128`).
        return put_u64(out, small);
    }
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Appends a length-prefixed byte string.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u64(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a length-prefixed UTF-8 string.
pub fn put_str(out: &mut Vec<u8>, text: &str) {
    put_bytes(out, text.as_bytes());
}

/// Appends an instant as seconds since the epoch and nanoseconds.
pub fn put_time(out: &mut Vec<u8>, t: &DateTime<Utc>) {
    put_i128(out, i128::from(t.timestamp()));
    put_u64(out, u64::from(t.timestamp_subsec_nanos()));
}

/// An entry's binary form, in two streams: the body (integers, texts,
/// tags) and its 32-byte digests. Digests are random bytes: zlib cannot
/// shrink them, and inflating them as literals was most of a reload's
/// decompression, so a segment of format 4 compresses the bodies and
/// stores the digests beside them as they are. Formats 2 and 3 wrote
/// digests in place; [`Form::inline`] writes them that way (for tests of
/// reading those formats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// Everything but the digests.
    pub body: Vec<u8>,
    /// `None`: digests go into the body, where they occur.
    pub digests: Option<Vec<u8>>,
}

impl Form {
    /// A form whose digests are kept apart (format 4).
    pub fn split() -> Form {
        Form {
            body: Vec::new(),
            digests: Some(Vec::new()),
        }
    }

    /// A form whose digests are written in place (formats 2 and 3).
    pub fn inline() -> Form {
        Form::default()
    }

    /// Appends a digest: in place, or a byte to the body and, unless it
    /// is one of the last [`RECENT`] digests of this form's stream (then
    /// the byte says which: an event's content id is mostly its id, and a
    /// duplicate's candidate has the id of the event it duplicates), the
    /// digest to the stream.
    pub fn digest(&mut self, digest: &[u8; 32]) {
        let Some(stream) = &mut self.digests else {
            return self.body.extend_from_slice(digest);
        };
        let back = stream
            .rchunks_exact(32)
            .take(RECENT)
            .position(|known| known == digest);
        match back {
            Some(i) => self.body.push(i as u8 + 1),
            None => {
                self.body.push(0);
                stream.extend_from_slice(digest);
            }
        }
    }

    /// Its size in bytes, both streams.
    pub fn len(&self) -> usize {
        self.body.len() + self.digests.as_ref().map_or(0, Vec::len)
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How many of the last digests of a stream a digest may repeat by
/// reference: a record has at most four.
const RECENT: usize = 4;

/// The signed integer a zigzag encoding holds.
fn unzigzag(z: u128) -> i128 {
    ((z >> 1) as i128) ^ -((z & 1) as i128)
}

/// Reads what the `put_*` functions wrote, refusing damaged input.
pub struct Reader<'a> {
    bytes: &'a [u8],
    /// Format 4's digest stream; `None`: digests are read in place.
    digests: Option<&'a [u8]>,
    /// The last [`RECENT`] digests read from the stream, the latest at
    /// `recent_len % RECENT`'s place before it, for references to them.
    recent: [&'a [u8; 32]; RECENT],
    recent_len: usize,
    /// The last text [`Reader::shared`] read: a segment's records nearly
    /// all name the same writer, so they share one allocation of it.
    shared: Option<Arc<str>>,
    /// Texts [`Reader::interned`] read, the most recent last: a history
    /// names few clients and metrics, and its events share them.
    interned: Vec<Arc<str>>,
}

/// How many distinct texts [`Reader::interned`] keeps to share; beyond
/// them the oldest is forgotten (and a text read again is allocated again).
const INTERNED: usize = 16;

impl<'a> Reader<'a> {
    /// Reads from the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader {
            bytes,
            digests: None,
            recent: [&[0; 32]; RECENT],
            recent_len: 0,
            shared: None,
            interned: Vec::new(),
        }
    }

    /// Reads a body from the start of `bytes` and its digests from the
    /// start of `digests` (what a [`Form::split`] wrote).
    pub fn split(bytes: &'a [u8], digests: &'a [u8]) -> Reader<'a> {
        Reader {
            digests: Some(digests),
            ..Reader::new(bytes)
        }
    }

    /// How many bytes are left in the digest stream (0 when digests are
    /// read in place).
    pub fn digests_remaining(&self) -> usize {
        self.digests.map_or(0, <[u8]>::len)
    }

    /// A digest written by [`Form::digest`].
    pub fn digest(&mut self) -> Result<&'a [u8; 32], String> {
        let as_digest = |bytes: &'a [u8]| -> Result<&'a [u8; 32], String> {
            bytes
                .try_into()
                .map_err(|_| "a digest is not 32 bytes".to_string())
        };
        if self.digests.is_none() {
            return as_digest(self.take(32)?);
        }
        match usize::from(self.u8()?) {
            0 => {
                let stream = self.digests.unwrap_or_default();
                if stream.len() < 32 {
                    return Err("the digests end early".into());
                }
                let (head, rest) = stream.split_at(32);
                self.digests = Some(rest);
                let digest = as_digest(head)?;
                self.recent[self.recent_len % RECENT] = digest;
                self.recent_len += 1;
                Ok(digest)
            }
            back @ 1..=RECENT if back <= self.recent_len => {
                Ok(self.recent[(self.recent_len - back) % RECENT])
            }
            back => Err(format!(
                "a digest refers to one {back} back, which is not there"
            )),
        }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// How many bytes are left to read.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, String> {
        let (&first, rest) = self
            .bytes
            .split_first()
            .ok_or_else(|| "the record ends early".to_string())?;
        self.bytes = rest;
        Ok(first)
    }

    /// An unsigned integer written by [`put_u64`].
    pub fn u64(&mut self) -> Result<u64, String> {
        // Reads the slice directly: a reload reads a few integers per
        // record, and one call per byte was a tenth of decoding them. A
        // plain loop, not iterator adapters, which the size-optimized build
        // left as calls per byte.
        if let Some((&byte, rest)) = self.bytes.split_first() {
            if byte < 0x80 {
                // One byte: most lengths and small numbers.
                self.bytes = rest;
                return Ok(u64::from(byte));
            }
        }
        let mut n: u64 = 0;
        let mut i = 0;
        while i < 10 {
            let Some(&byte) = self.bytes.get(i) else {
                break;
            };
            let bits = u64::from(byte & 0x7F);
            if i == 9 && bits > 1 {
                return Err("an integer is too large".into());
            }
            n |= bits << (7 * i);
            i += 1;
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[i..];
                return Ok(n);
            }
        }
        Err(self.unfinished(10))
    }

    /// A signed integer written by [`put_i128`].
    pub fn i128(&mut self) -> Result<i128, String> {
        // Times and amounts fit in nine bytes (63 bits), gathered in a u64:
        // wasm32 has no 128-bit instructions, and a u128 loop made reading
        // them the costliest part of a record.
        let mut low: u64 = 0;
        let mut i = 0;
        while i < 9 {
            let Some(&byte) = self.bytes.get(i) else {
                break;
            };
            low |= u64::from(byte & 0x7F) << (7 * i);
            i += 1;
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[i..];
                return Ok(unzigzag(u128::from(low)));
            }
        }
        let mut z = u128::from(low);
        for (i, &byte) in self.bytes.iter().enumerate().take(19).skip(9) {
            let bits = u128::from(byte & 0x7F);
            if i == 18 && bits > 3 {
                return Err("an integer is too large".into());
            }
            z |= bits << (7 * i);
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[i + 1..];
                return Ok(unzigzag(z));
            }
        }
        Err(self.unfinished(19))
    }

    /// Why an integer of at most `most` bytes did not end: the input ran
    /// out first, or it is longer than any integer written.
    fn unfinished(&self, most: usize) -> String {
        if self.bytes.len() < most {
            "the record ends early".into()
        } else {
            "an integer is too long".into()
        }
    }

    /// A length that must fit in what remains.
    pub fn len(&mut self) -> Result<usize, String> {
        let n = self.u64()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.bytes.len())
            .ok_or_else(|| format!("a length of {n} runs past the end of the record"))
    }

    /// `n` raw bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.bytes.len() {
            return Err("the record ends early".into());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    /// A byte string written by [`put_bytes`].
    pub fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.len()?;
        self.take(n)
    }

    /// A string written by [`put_str`].
    pub fn string(&mut self) -> Result<String, String> {
        self.text().map(str::to_string)
    }

    /// A text written by [`put_str`], counted: the record that holds it and
    /// the state derived from the record share one copy.
    pub fn arc_str(&mut self) -> Result<Arc<str>, String> {
        self.text().map(Arc::from)
    }

    /// A text written by [`put_str`], borrowed from the input.
    fn text(&mut self) -> Result<&'a str, String> {
        std::str::from_utf8(self.bytes()?).map_err(|_| "a text is not UTF-8".to_string())
    }

    /// A text written by [`put_str`] that many records repeat (a writer
    /// id): equal to the previous one read this way, it is that one shared.
    pub fn shared(&mut self) -> Result<Arc<str>, String> {
        let text = self.text()?;
        match &self.shared {
            Some(last) if **last == *text => Ok(last.clone()),
            _ => {
                let text: Arc<str> = Arc::from(text);
                self.shared = Some(text.clone());
                Ok(text)
            }
        }
    }

    /// A text written by [`put_str`] that records name again and again (a
    /// client id, a metric): equal to one of the last few read this way,
    /// it is that one shared. (The writer id keeps [`Reader::shared`]: one
    /// per segment, checked first, it measured 0.9% of a reopen cheaper
    /// than a place in this table.)
    pub fn interned(&mut self) -> Result<Arc<str>, String> {
        let text = self.text()?;
        if let Some(known) = self.interned.iter().rev().find(|t| ***t == *text) {
            return Ok(known.clone());
        }
        let text: Arc<str> = Arc::from(text);
        if self.interned.len() == INTERNED {
            self.interned.remove(0);
        }
        self.interned.push(text.clone());
        Ok(text)
    }

    /// An instant written by [`put_time`].
    pub fn time(&mut self) -> Result<DateTime<Utc>, String> {
        let secs = i64::try_from(self.i128()?).map_err(|_| "a time is out of range")?;
        let nanos = u32::try_from(self.u64()?).map_err(|_| "a time is out of range")?;
        DateTime::from_timestamp(secs, nanos).ok_or_else(|| "a time is out of range".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_repeated_text_is_read_once_and_shared() {
        let mut out = Vec::new();
        for text in ["tab-1", "tab-1", "tab-2", "tab-1"] {
            put_str(&mut out, text);
        }
        let mut r = Reader::new(&out);
        let read: Vec<Arc<str>> = (0..4).map(|_| r.shared().unwrap()).collect();
        assert_eq!(
            read.iter().map(|t| &**t).collect::<Vec<_>>(),
            ["tab-1", "tab-1", "tab-2", "tab-1"]
        );
        assert!(Arc::ptr_eq(&read[0], &read[1]));
        assert!(
            !Arc::ptr_eq(&read[1], &read[3]),
            "only the previous text is shared"
        );
        assert!(r.is_empty());
    }

    #[test]
    fn a_digest_repeated_in_a_form_is_stored_once() {
        let d = |n: u8| [n; 32];
        let written = [d(1), d(2), d(1), d(3), d(4), d(5), d(6), d(2), d(6), d(6)];
        let mut form = Form::split();
        for digest in &written {
            form.digest(digest);
        }
        // d(1) and d(6) again are references; d(2), five digests back,
        // is beyond them and stored again.
        let stream = form.digests.clone().unwrap();
        assert_eq!(stream.len(), 7 * 32);
        let mut r = Reader::split(&form.body, &stream);
        for digest in &written {
            assert_eq!(r.digest().unwrap(), digest);
        }
        assert!(r.is_empty());
        assert_eq!(r.digests_remaining(), 0);
        // A reference to a digest never read is refused, never misread.
        for bad in [[1u8], [5]] {
            let err = Reader::split(&bad, &stream).digest().unwrap_err();
            assert!(err.contains("not there"), "{err}");
        }
    }

    #[test]
    fn integers_round_trip_at_their_edges() {
        let mut out = Vec::new();
        let unsigned = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let signed = [
            0,
            1,
            -1,
            63,
            -64,
            64,
            i128::from(i64::MIN),
            i128::MAX,
            i128::MIN,
        ];
        for &n in &unsigned {
            put_u64(&mut out, n);
        }
        for &n in &signed {
            put_i128(&mut out, n);
        }
        let mut r = Reader::new(&out);
        for &n in &unsigned {
            assert_eq!(r.u64().unwrap(), n);
        }
        for &n in &signed {
            assert_eq!(r.i128().unwrap(), n);
        }
        assert!(r.is_empty());
    }

    #[test]
    fn integers_of_every_length_round_trip_and_every_cut_is_refused() {
        // One value per encoded length, both signs, including the lengths
        // where reading switches from 64-bit to 128-bit arithmetic.
        for bits in 0..127 {
            for n in [1i128 << bits, -(1i128 << bits), (1i128 << bits) - 1] {
                let mut out = Vec::new();
                put_i128(&mut out, n);
                let mut r = Reader::new(&out);
                assert_eq!(r.i128(), Ok(n), "{n}");
                assert!(r.is_empty());
                for cut in 0..out.len() {
                    assert_eq!(
                        Reader::new(&out[..cut]).i128(),
                        Err("the record ends early".to_string()),
                        "{n} cut at {cut}"
                    );
                }
                if let Ok(u) = u64::try_from(n) {
                    let mut out = Vec::new();
                    put_u64(&mut out, u);
                    assert_eq!(Reader::new(&out).u64(), Ok(u));
                    assert!(Reader::new(&out[..out.len() - 1]).u64().is_err());
                }
            }
        }
        // Past the widest integer: the top bits, then one byte too many.
        let mut top = vec![0xFF; 18];
        top.push(0x04);
        assert_eq!(
            Reader::new(&top).i128(),
            Err("an integer is too large".to_string())
        );
        let mut top = vec![0xFF; 9];
        top.push(0x02);
        assert_eq!(
            Reader::new(&top).u64(),
            Err("an integer is too large".to_string())
        );
        assert_eq!(
            Reader::new(&[0x80; 19]).i128(),
            Err("an integer is too long".to_string())
        );
        assert_eq!(
            Reader::new(&[0x80; 10]).u64(),
            Err("an integer is too long".to_string())
        );
    }

    #[test]
    fn times_read_as_from_timestamp_makes_them() {
        // One stream of times of every kind: both sides of the epoch,
        // leap-second nanoseconds, the edges of chrono's range. A refused
        // time is read whole, so the next one is read from its own start.
        let mut rng = crate::rng::SeededRng::new(1970);
        let edges = [
            0,
            -1,
            86_399,
            86_400,
            1_780_000_000,
            -62_135_596_800,
            8_210_298_412_799,
            8_210_298_412_800,
            -8_334_632_851_200,
            -8_334_632_851_201,
            i64::MAX,
            i64::MIN,
        ];
        let mut out = Vec::new();
        let mut written = Vec::new();
        for i in 0..5_000u64 {
            let secs = match i % 4 {
                0 => edges[rng.below(edges.len() as u64) as usize],
                1 => 1_780_000_000 + rng.below(200_000) as i64,
                2 => 1_704_067_200 + rng.below(3) as i64 * 86_400 + 86_399,
                _ => -(rng.below(1 << 40) as i64),
            };
            let nanos = match rng.below(4) {
                0 => 1_000_000_000 + rng.below(1_000_000_000) as u32,
                1 => u32::MAX,
                _ => rng.below(1_000_000_000) as u32,
            };
            put_i128(&mut out, i128::from(secs));
            put_u64(&mut out, u64::from(nanos));
            written.push(DateTime::from_timestamp(secs, nanos));
        }
        let mut r = Reader::new(&out);
        for (i, expected) in written.into_iter().enumerate() {
            assert_eq!(r.time().ok(), expected, "time {i}");
        }
        assert!(r.is_empty());
    }

    #[test]
    fn interned_texts_are_shared_and_read_exactly() {
        let written = |texts: &[String]| {
            let mut out = Vec::new();
            for t in texts {
                put_str(&mut out, t);
            }
            out
        };
        // A text read again while among the last 16 is one allocation.
        let bytes = written(&["a".into(), "b".into(), "a".into()]);
        let mut r = Reader::new(&bytes);
        let (a, b, a2) = (
            r.interned().unwrap(),
            r.interned().unwrap(),
            r.interned().unwrap(),
        );
        assert_eq!((&*a, &*b), ("a", "b"));
        assert!(Arc::ptr_eq(&a, &a2) && !Arc::ptr_eq(&a, &b));
        // Twenty distinct texts in turn outrun the table: each is read again
        // exactly, as a new allocation.
        let names: Vec<String> = (0..40).map(|i| format!("client-{}", i % 20)).collect();
        let bytes = written(&names);
        let mut r = Reader::new(&bytes);
        let read: Vec<Arc<str>> = names.iter().map(|_| r.interned().unwrap()).collect();
        assert!(r.is_empty());
        assert!(names.iter().zip(&read).all(|(n, t)| **t == **n));
        assert!(!Arc::ptr_eq(&read[0], &read[20]));
        assert!(Reader::new(&[2, 0xC3, 0x28]).interned().is_err());
    }

    #[test]
    fn text_and_times_round_trip() {
        let t = Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        let mut out = Vec::new();
        put_str(&mut out, "héllo €");
        put_time(&mut out, &t);
        let mut r = Reader::new(&out);
        assert_eq!(r.string().unwrap(), "héllo €");
        assert_eq!(r.time().unwrap(), t);
        assert!(r.is_empty());
    }

    #[test]
    fn damaged_input_is_an_error_never_a_panic() {
        // Overlong integers, lengths past the end, invalid UTF-8, times
        // out of range, and every truncation of a valid record.
        assert!(Reader::new(&[0xFF; 11]).u64().is_err());
        assert!(Reader::new(&[0xFF; 20]).i128().is_err());
        assert!(Reader::new(&[5, b'a']).string().is_err());
        assert!(Reader::new(&[2, 0xC3, 0x28]).string().is_err());
        let mut far = Vec::new();
        put_i128(&mut far, i128::from(i64::MAX));
        put_u64(&mut far, 0);
        assert!(Reader::new(&far).time().is_err());
        let mut out = Vec::new();
        put_str(&mut out, "a longer text");
        put_time(
            &mut out,
            &Utc.with_ymd_and_hms(2024, 1, 31, 12, 0, 0).unwrap(),
        );
        for cut in 0..out.len() {
            let mut r = Reader::new(&out[..cut]);
            assert!(r.string().and_then(|_| r.time()).is_err(), "cut at {cut}");
        }
    }
}
