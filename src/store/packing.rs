//! Compact text encoding of stored segments.
//!
//! Contract: [`encode`] turns bytes into a string that localStorage stores at
//! 15 bits per UTF-16 code unit (about twice the density of ASCII text), after
//! zlib compression; [`decode`] reverses it and refuses anything damaged: a
//! wrong header, a character outside the alphabet, a length mismatch, a zlib
//! checksum failure, or output larger than a limit (so corrupted storage can
//! never make the app allocate without bound). [`encode_split`] and
//! [`decode_split`] do the same for data followed by bytes stored without
//! compression, under a checksum of both.
//!
//! The alphabet is U+4E00..=U+CDFF: 32,768 consecutive code points that are
//! all valid scalar values (no surrogates), so the text survives every
//! UTF-8/UTF-16 conversion between Rust, JavaScript and storage.

use miniz_oxide::deflate::compress_to_vec_zlib;
use miniz_oxide::inflate::{decompress_slice_iter_to_slice, decompress_to_vec_zlib_with_limit};
use std::fmt;

/// The first code point of the alphabet.
const BASE: u32 = 0x4E00;
/// Identifies the encoding and its version.
const HEADER: &str = "z1:";
/// Identifies [`encode_split`]'s encoding: a compressed part, then a
/// stored one.
const SPLIT_HEADER: &str = "z2:";
/// zlib level. Every commit compresses its segment, and in the browser that
/// was a quarter of an import's work: level 3 imports 20,000 mixed events
/// 10% faster than level 6 for 2.5% more storage (69.0 characters per
/// submission instead of 67.3); level 2 passes the 71-character budget.
const LEVEL: u8 = 3;

/// Why stored text could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Compresses and packs `data`.
pub fn encode(data: &[u8]) -> String {
    let compressed = compress_to_vec_zlib(data, LEVEL);
    let head = format!("{HEADER}{}:", compressed.len());
    pack(head, &compressed)
}

/// Compresses `data` and packs it with `stored` after it as it is, for
/// bytes zlib cannot shrink (digests): compressing them only cost time,
/// and inflating them as literals was most of a reload's decompression.
/// Also returns the adler32 of `data` followed by `stored`, which the
/// header holds so that damage to `stored` is refused like any other.
pub fn encode_split(data: &[u8], stored: &[u8]) -> (String, u32) {
    let mut bytes = compress_to_vec_zlib(data, LEVEL);
    let compressed = bytes.len();
    let whole = adler32_after(trailer(&bytes), stored);
    bytes.extend_from_slice(stored);
    let head = format!(
        "{SPLIT_HEADER}{compressed}:{}:{}:{whole:08x}:",
        stored.len(),
        data.len()
    );
    (pack(head, &bytes), whole)
}

/// Whether `text` was made by [`encode_split`].
pub fn is_split(text: &str) -> bool {
    text.starts_with(SPLIT_HEADER)
}

/// The adler32 of `bytes`: zlib's checksum, which the journal keeps to
/// tell one segment's contents from another.
pub fn adler32(bytes: &[u8]) -> u32 {
    adler32_after(miniz_oxide::MZ_ADLER32_INIT, bytes)
}

/// The adler32 of what came before (`adler`) followed by `bytes`.
pub fn adler32_after(adler: u32, bytes: &[u8]) -> u32 {
    miniz_oxide::mz_adler32_oxide(adler, bytes)
}

/// The adler32 in a zlib stream's trailer: that of its uncompressed data.
fn trailer(zlib: &[u8]) -> u32 {
    zlib.last_chunk::<4>()
        .map_or(0, |trailer| u32::from_be_bytes(*trailer))
}

/// `head`, then `bytes` at 15 bits a character.
fn pack(head: String, compressed: &[u8]) -> String {
    // Fifteen bytes are exactly eight characters, so whole groups are
    // packed on their own and the last bytes after them.
    let groups = compressed.chunks_exact(15);
    let (whole, tail) = compressed.split_at(compressed.len() - groups.remainder().len());
    let mut utf8 = Vec::with_capacity(head.len() + whole.len() / 15 * 24 + 24);
    utf8.extend_from_slice(head.as_bytes());
    for group in groups {
        push_group_utf8(&mut utf8, group);
    }
    // Checked once for the whole text: pushing characters one at a time,
    // or checking each group's, was a third of packing. (Never refused:
    // if it were, the characters one at a time are the same text.)
    let mut out = String::from_utf8(utf8).unwrap_or_else(|_| {
        let mut out = head;
        pack_chars(whole, &mut out);
        out
    });
    pack_chars(tail, &mut out);
    out
}

/// Packs `bytes` character by character: the reference the groups of
/// [`push_group_utf8`] must equal, and the last bytes after them.
fn pack_chars(bytes: &[u8], out: &mut String) {
    let (mut acc, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        if bits >= 15 {
            bits -= 15;
            out.push(alphabet((acc >> bits) & 0x7FFF));
        }
    }
    if bits > 0 {
        out.push(alphabet((acc << (15 - bits)) & 0x7FFF));
    }
}

/// Appends the UTF-8 of the eight characters that pack fifteen bytes (the
/// reverse of [`push_group`], with the same two 60-bit halves).
fn push_group_utf8(out: &mut Vec<u8>, group: &[u8]) {
    let mut first = [0u8; 8];
    let mut second = [0u8; 8];
    first.copy_from_slice(&group[..8]);
    second[1..].copy_from_slice(&group[8..15]);
    let (first, second) = (u64::from_be_bytes(first), u64::from_be_bytes(second));
    let halves = [first >> 4, ((first & 0xF) << 56) | second];
    let mut utf8 = [0u8; 24];
    for (k, c) in utf8.chunks_exact_mut(3).enumerate() {
        let v = (halves[k / 4] >> (45 - 15 * (k % 4))) as u32 & 0x7FFF;
        // A code point of U+4E00..=U+CDFF is three bytes of UTF-8.
        let code = BASE + v;
        c[0] = 0xE0 | (code >> 12) as u8;
        c[1] = 0x80 | ((code >> 6) & 0x3F) as u8;
        c[2] = 0x80 | (code & 0x3F) as u8;
    }
    out.extend_from_slice(&utf8);
}

fn alphabet(v: u32) -> char {
    // BASE + v ≤ 0xCDFF is always a valid scalar value.
    char::from_u32(BASE + v).unwrap_or('\u{FFFD}')
}

/// Unpacks and decompresses text made by [`encode`], refusing more than
/// `max_len` bytes of output.
pub fn decode(text: &str, max_len: usize) -> Result<Vec<u8>, DecodeError> {
    decode_checked(text, max_len).map(|(bytes, _)| bytes)
}

/// Like [`decode`], with the adler32 of the output that zlib's trailer
/// holds (and decompression verified), so a caller can tell one content
/// from another without reading it again.
pub fn decode_checked(text: &str, max_len: usize) -> Result<(Vec<u8>, u32), DecodeError> {
    let rest = text
        .strip_prefix(HEADER)
        .ok_or_else(|| DecodeError("unknown segment encoding".into()))?;
    let (len, body) = length(rest)?;
    let bytes = unpack(body, len, max_len)?;
    let adler = trailer(&bytes);
    inflate(&bytes, max_len).map(|out| (out, adler))
}

/// Unpacks text made by [`encode_split`]: the decompressed data, the
/// stored bytes, and the adler32 of both, in that order (checked).
pub fn decode_split(text: &str, max_len: usize) -> Result<(Vec<u8>, Vec<u8>, u32), DecodeError> {
    let rest = text
        .strip_prefix(SPLIT_HEADER)
        .ok_or_else(|| DecodeError("unknown segment encoding".into()))?;
    let (compressed, rest) = length(rest)?;
    let (stored, rest) = length(rest)?;
    let (inflated, rest) = length(rest)?;
    let (whole, body) = rest
        .split_once(':')
        .and_then(|(hex, body)| Some((u32::from_str_radix(hex, 16).ok()?, body)))
        .ok_or_else(|| DecodeError("bad segment checksum".into()))?;
    let len = compressed
        .checked_add(stored)
        .ok_or_else(|| DecodeError("bad segment length".into()))?;
    if inflated > max_len {
        return Err(DecodeError(format!(
            "a segment of {inflated} bytes is beyond the limit"
        )));
    }
    let mut bytes = unpack(body, len, max_len)?;
    let stored = bytes.split_off(compressed);
    // Inflated straight into a buffer of the stated size: growing one as
    // it fills (what zlib's own reader does without a size) copied and
    // cleared it again and again. A stated size that is wrong either way
    // is refused.
    let mut data = vec![0; inflated];
    let written =
        decompress_slice_iter_to_slice(&mut data, std::iter::once(&bytes[..]), true, false)
            .map_err(|status| DecodeError(format!("segment data is damaged ({status:?})")))?;
    if written != inflated {
        return Err(DecodeError(format!(
            "segment data is damaged ({written} bytes for a stated {inflated})"
        )));
    }
    if adler32_after(trailer(&bytes), &stored) != whole {
        return Err(DecodeError(
            "segment data is damaged (its checksum differs)".into(),
        ));
    }
    Ok((data, stored, whole))
}

/// A length in the header, before its `:`, and the text after it.
fn length(text: &str) -> Result<(usize, &str), DecodeError> {
    let (len_text, rest) = text
        .split_once(':')
        .ok_or_else(|| DecodeError("missing segment length".into()))?;
    let len = len_text
        .parse()
        .map_err(|_| DecodeError("bad segment length".into()))?;
    Ok((len, rest))
}

fn inflate(zlib: &[u8], max_len: usize) -> Result<Vec<u8>, DecodeError> {
    decompress_to_vec_zlib_with_limit(zlib, max_len)
        .map_err(|e| DecodeError(format!("segment data is damaged ({:?})", e.status)))
}

/// The `len` bytes packed in `body` (room for at most `max_len` is
/// reserved: the stated length is not trusted).
fn unpack(body: &str, len: usize, max_len: usize) -> Result<Vec<u8>, DecodeError> {
    // Room for the body's whole groups, but no more than the stated length
    // holds (what follows is read by the slow path and refused by the
    // length check), zeroed at once: `resize` zeroed it a byte at a time in
    // the size-optimized build. Then room for the rest of that length.
    let room = (body.len() / 24).min(len.min(max_len).div_ceil(15));
    let mut bytes = vec![0; room * 15];
    let groups = unpack_groups(body, &mut bytes);
    bytes.truncate(groups * 15);
    bytes.reserve(len.min(max_len).saturating_sub(bytes.len()));
    let rest = body
        .get(groups * 24..)
        .ok_or_else(|| DecodeError("segment text is cut mid-character".into()))?;
    let mut values = alphabet_values(rest);
    let (group, count) = loop {
        let (mut group, mut count) = ([0u64; 2], 0);
        while count < 8 {
            let Some(v) = values.next() else { break };
            let half = &mut group[count / 4];
            *half = (*half << 15) | u64::from(v?);
            count += 1;
        }
        if count < 8 {
            break (group, count);
        }
        push_group(&mut bytes, group);
    };
    // The last values, fewer than eight, bit by bit.
    let (mut acc, mut bits) = (0u32, 0u32);
    for i in 0..count {
        let filled = if i < 4 { count.min(4) } else { count - 4 };
        let v = (group[i / 4] >> (15 * (filled - 1 - i % 4))) as u32 & 0x7FFF;
        acc = ((acc << 15) | v) & 0x3FFF_FFFF;
        bits += 15;
        while bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    if bytes.len() < len || bytes.len() > len + 1 {
        return Err(DecodeError(format!(
            "segment is truncated or padded: {} bytes for a stated {len}",
            bytes.len()
        )));
    }
    bytes.truncate(len);
    Ok(bytes)
}

/// Eight values are 120 bits, exactly 15 bytes: written at once, where
/// pushing them one at a time was a tenth of a reload's work. Two 60-bit
/// halves, not one u128, which wasm32 has no instructions for.
fn push_group(bytes: &mut Vec<u8>, group: [u64; 2]) {
    let mut out = [0u8; 15];
    write_group(&mut out, group);
    bytes.extend_from_slice(&out);
}

/// [`push_group`]'s 15 bytes, written into `out`.
#[inline(always)]
fn write_group(out: &mut [u8; 15], [high, low]: [u64; 2]) {
    let (first, second) = out.split_at_mut(8);
    first.copy_from_slice(&((high << 4) | (low >> 56)).to_be_bytes());
    second.copy_from_slice(&low.to_be_bytes()[1..]);
}

/// Unpacks the groups of eight characters at the start of `body` straight
/// from its UTF-8 (24 bytes into 15) into `out`, and returns how many
/// groups it read. It stops before the first group holding a character
/// that is not three bytes long or not in the alphabet (or where `out`
/// ends), and leaves that group and the rest to [`alphabet_values`], which
/// names the character. Reading whole groups, with one range check for
/// eight values, halved the cost of unpacking a reload's segments; writing
/// them into room made at once, and reading each group's characters by
/// hand (the crate is built for size, so neither a closure nor a loop is
/// unrolled or inlined for it), halved it again.
fn unpack_groups(body: &str, out: &mut [u8]) -> usize {
    let mut groups = 0;
    let outs = out.chunks_exact_mut(15);
    for (chunk, out) in body.as_bytes().chunks_exact(24).zip(outs) {
        let (Ok(chunk), Ok(out)) = (<&[u8; 24]>::try_from(chunk), out.try_into()) else {
            break;
        };
        let Some(group) = group_values(chunk) else {
            break;
        };
        write_group(out, group);
        groups += 1;
    }
    groups
}

/// The value of the character at `at` of a group, less the alphabet's
/// start: above 0x7FFF if the character is outside it.
#[inline(always)]
fn value(c: &[u8; 24], at: usize) -> u32 {
    code_point(&[c[at], c[at + 1], c[at + 2]]).wrapping_sub(BASE)
}

/// The two halves of the eight values of a group's 24 bytes, if each is a
/// character of the alphabet.
#[inline(always)]
fn group_values(c: &[u8; 24]) -> Option<[u64; 2]> {
    // A lead byte of a three-byte character at each character boundary
    // (everything before it was three-byte characters), so each three
    // bytes are one whole character of the body.
    let leads = alphabet_lead(c[0]) & alphabet_lead(c[3]) & alphabet_lead(c[6]);
    let leads = leads & alphabet_lead(c[9]) & alphabet_lead(c[12]) & alphabet_lead(c[15]);
    if !(leads & alphabet_lead(c[18]) & alphabet_lead(c[21])) {
        return None;
    }
    let (a, b, cc, d) = (value(c, 0), value(c, 3), value(c, 6), value(c, 9));
    let (e, f, g, h) = (value(c, 12), value(c, 15), value(c, 18), value(c, 21));
    if (a | b | cc | d | e | f | g | h) > 0x7FFF {
        return None;
    }
    let half = |w: u32, x: u32, y: u32, z: u32| {
        (u64::from(w) << 45) | (u64::from(x) << 30) | (u64::from(y) << 15) | u64::from(z)
    };
    Some([half(a, b, cc, d), half(e, f, g, h)])
}

/// The 15-bit value of each character of `body`, or an error naming the
/// first character outside the alphabet.
fn alphabet_values(body: &str) -> impl Iterator<Item = Result<u32, DecodeError>> + '_ {
    // Every character of the alphabet is three bytes of UTF-8, so a body
    // made only of them is read three bytes at a time without decoding
    // characters (a fifth of a reload went to decoding them one by one).
    let fast = body.len().is_multiple_of(3)
        && body.as_bytes().chunks_exact(3).all(|c| alphabet_lead(c[0]));
    let (fast_values, slow_values) = if fast {
        (Some(body.as_bytes().chunks_exact(3)), None)
    } else {
        (None, Some(body.chars()))
    };
    let fast_values = fast_values
        .into_iter()
        .flatten()
        .map(|c| alphabet_value(code_point(c)));
    let slow_values = slow_values
        .into_iter()
        .flatten()
        .map(|c| alphabet_value(c as u32));
    fast_values.chain(slow_values)
}

/// Whether `byte` leads a three-byte UTF-8 character of U+4000..=U+CFFF,
/// the span the alphabet lies in (its ends are checked by value). This and
/// [`code_point`] run for every character a reload reads: left to the
/// optimizer they stayed calls, 5% more instructions for a reopen.
#[inline(always)]
fn alphabet_lead(byte: u8) -> bool {
    (0xE4..=0xEC).contains(&byte)
}

/// The code point of the three-byte UTF-8 character `c` (its first three
/// bytes), read without validating: the caller knows it is one.
#[inline(always)]
fn code_point(c: &[u8]) -> u32 {
    (u32::from(c[0] & 0x0F) << 12) | (u32::from(c[1] & 0x3F) << 6) | u32::from(c[2] & 0x3F)
}

fn alphabet_value(code: u32) -> Result<u32, DecodeError> {
    let v = code.wrapping_sub(BASE);
    if v > 0x7FFF {
        return Err(DecodeError(format!(
            "character U+{code:04X} is not part of a segment"
        )));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_any_bytes() {
        for data in [
            &b""[..],
            b"a",
            b"hello world",
            &[0u8, 255, 1, 254, 7][..],
            &[42u8; 10_000][..],
        ] {
            let text = encode(data);
            assert_eq!(decode(&text, 1 << 20).unwrap(), data);
            assert!(text
                .chars()
                .skip_while(|c| *c != ':')
                .skip(1)
                .skip_while(|c| *c != ':')
                .skip(1)
                .all(|c| (0x4E00..=0xCDFF).contains(&(c as u32))));
        }
    }

    #[test]
    fn packing_by_groups_writes_the_characters_one_at_a_time_would() {
        let mut rng = crate::rng::SeededRng::new(15);
        for len in 0..200 {
            let data: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            let text = encode(&data);
            let body = text.rsplit(':').next().unwrap_or_default();
            let mut expected = String::new();
            pack_chars(&compress_to_vec_zlib(&data, LEVEL), &mut expected);
            assert_eq!(body, expected, "{len} bytes");
            assert_eq!(decode(&text, 1 << 20).unwrap(), data);
        }
    }

    #[test]
    fn repetitive_json_packs_densely() {
        let json: String = (0..500)
            .map(|i| format!(r#"{{"record":"received","id":{{"writer":"w1","seq":{i}}},"raw":"{{\"source\":\"client_A\",\"amount\":{i}}}"}}"#))
            .collect();
        let text = encode(json.as_bytes());
        let units = text.encode_utf16().count();
        assert!(
            units * 8 < json.len(),
            "{} units for {} bytes",
            units,
            json.len()
        );
    }

    #[test]
    fn split_text_reads_back_or_is_refused_whatever_changes() {
        let data: Vec<u8> = (0..3_000u32).map(|i| (i % 7 + i / 100) as u8).collect();
        let mut rng = crate::rng::SeededRng::new(15);
        let stored: Vec<u8> = (0..640).map(|_| rng.below(256) as u8).collect();
        let (text, whole) = encode_split(&data, &stored);
        assert!(is_split(&text) && !is_split(&encode(&data)));
        let mut both = data.clone();
        both.extend_from_slice(&stored);
        let expected = (data.clone(), stored.clone(), whole);
        assert_eq!(decode_split(&text, 1 << 20), Ok(expected.clone()));
        assert_eq!(whole, adler32(&both), "the adler32 of both");
        // Every character changed, in the header or the body, in the
        // compressed part or the stored one: refused, or read exactly.
        let chars: Vec<char> = text.chars().collect();
        let mut refused = 0;
        for at in 0..chars.len() {
            let mut changed = chars.clone();
            changed[at] = match changed[at] {
                '0'..='8' => char::from(changed[at] as u8 + 1),
                c if (c as u32) < BASE => 'x',
                c => alphabet((c as u32 - BASE) ^ (1 << (at % 15))),
            };
            let changed: String = changed.into_iter().collect();
            match decode_split(&changed, 1 << 20) {
                Err(_) => refused += 1,
                Ok(read) => assert_eq!(read, expected, "misread after a change at {at}"),
            }
        }
        assert!(
            refused > chars.len() * 9 / 10,
            "{refused} of {}",
            chars.len()
        );
        // A stated size beyond the limit is refused before anything is made.
        let err = decode_split(&text, 2_000).unwrap_err();
        assert!(err.0.contains("beyond the limit"), "{err}");
    }

    #[test]
    fn refuses_damage() {
        let text = encode(b"some stored records");
        let truncated: String = text.chars().take(text.chars().count() - 2).collect();
        assert!(decode(&truncated, 1 << 20).is_err());
        assert!(decode("x1:3:abc", 1 << 20)
            .unwrap_err()
            .0
            .contains("encoding"));
        assert!(decode(&text.replace(HEADER, "z1:999999"), 1 << 20).is_err());
        let mut chars: Vec<char> = text.chars().collect();
        let last = chars.len() - 3;
        chars[last] = char::from_u32(chars[last] as u32 ^ 0x55).unwrap();
        let altered: String = chars.into_iter().collect();
        assert!(
            decode(&altered, 1 << 20).is_err(),
            "the checksum catches altered data"
        );
        let big = encode(&[0u8; 100_000]);
        assert!(decode(&big, 1_000).is_err(), "output is bounded");
        assert!(decode("z1:2:a", 10).unwrap_err().0.contains("not part"));
    }

    #[test]
    fn damaged_text_decodes_to_the_original_bytes_or_is_refused() {
        let mut rng = crate::rng::SeededRng::new(8785);
        let odd = [
            '\u{4DFF}',
            '\u{CE00}',
            'a',
            ':',
            '\u{e9}',
            '\u{1F600}',
            '\u{FFFD}',
        ];
        for round in 0..2_000 {
            let len = rng.below(300) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            let text = encode(&data);
            let mut chars: Vec<char> = text.chars().collect();
            let at = rng.below(chars.len() as u64) as usize;
            let some_char = |rng: &mut crate::rng::SeededRng| {
                if rng.chance(500_000) {
                    odd[rng.below(odd.len() as u64) as usize]
                } else {
                    char::from_u32(BASE + rng.below(0x8000) as u32).unwrap_or('x')
                }
            };
            match rng.below(4) {
                0 => chars[at] = some_char(&mut rng),
                1 => {
                    chars.remove(at);
                }
                2 => chars.insert(at, some_char(&mut rng)),
                _ => chars.truncate(at),
            }
            let damaged: String = chars.into_iter().collect();
            if let Ok(bytes) = decode(&damaged, 1 << 20) {
                assert_eq!(bytes, data, "round {round}: misread {damaged:?}");
            }
            // Both readings of a body agree, value for value.
            let body = damaged.rsplit(':').next().unwrap_or_default();
            let fast: Result<Vec<u32>, DecodeError> = alphabet_values(body).collect();
            let slow: Result<Vec<u32>, DecodeError> =
                body.chars().map(|c| alphabet_value(c as u32)).collect();
            assert_eq!(fast, slow, "round {round}");
        }
    }

    #[test]
    fn characters_outside_the_alphabet_are_named_whichever_way_the_body_is_read() {
        let text =
            encode(b"some stored records, long enough for several groups of eight characters");
        let (head, body) = text.split_at(text.rfind(':').map_or(0, |i| i + 1));
        // Three-byte characters only: read three bytes at a time.
        let below = format!("{head}\u{4D00}{body}");
        assert_eq!(
            decode(&below, 1 << 20).unwrap_err().0,
            "character U+4D00 is not part of a segment"
        );
        let above = format!("{head}{body}\u{CE00}");
        assert_eq!(
            decode(&above, 1 << 20).unwrap_err().0,
            "character U+CE00 is not part of a segment"
        );
        // Other widths: read character by character, with the same answer.
        // At every place: before, inside and after the groups of eight
        // read straight from the bytes.
        let chars: Vec<char> = body.chars().collect();
        let odd = [
            ("a", "0061"),
            ("\u{e9}", "00E9"),
            ("\u{1F600}", "1F600"),
            ("\u{4D00}", "4D00"),
            ("\u{CE00}", "CE00"),
        ];
        for at in 0..=chars.len() {
            for (odd, code) in odd {
                let (before, after) = chars.split_at(at);
                let damaged = format!(
                    "{head}{}{odd}{}",
                    before.iter().collect::<String>(),
                    after.iter().collect::<String>()
                );
                assert_eq!(
                    decode(&damaged, 1 << 20).unwrap_err().0,
                    format!("character U+{code} is not part of a segment"),
                    "at {at}"
                );
            }
        }
    }
}
