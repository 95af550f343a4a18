//! Unix epochs in seconds, milliseconds, microseconds or nanoseconds, told
//! apart by magnitude, exactly (no float).

use super::{check_year, Parsed, TimestampError};
use chrono::DateTime;

/// Parses a Unix epoch written as plain decimal digits, in seconds,
/// milliseconds, microseconds or nanoseconds by magnitude.
pub fn parse_epoch(text: &str) -> Result<Parsed, TimestampError> {
    let t = text.trim();
    if t.contains(['e', 'E']) {
        return Err(TimestampError::BadEpoch {
            reason: "write the epoch without an exponent",
        });
    }
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !digits(int_part) || !digits(frac_part) || body.ends_with('.') {
        return Err(TimestampError::Unrecognized {
            text: t.to_string(),
        });
    }
    let int_part = int_part.trim_start_matches('0');
    if int_part.len() > 20 {
        return Err(TimestampError::OutOfRange);
    }
    let whole: i128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| TimestampError::OutOfRange)?
    };
    let (unit, nanos_per_unit, frac_digits_allowed) = match whole {
        w if w < 100_000_000_000 => ("seconds", 1_000_000_000i128, 9),
        w if w < 100_000_000_000_000 => ("milliseconds", 1_000_000, 6),
        w if w < 100_000_000_000_000_000 => ("microseconds", 1_000, 3),
        w if w < 100_000_000_000_000_000_000 => ("nanoseconds", 1, 0),
        _ => return Err(TimestampError::OutOfRange),
    };
    let frac = frac_part.trim_end_matches('0');
    if frac.len() > frac_digits_allowed {
        return Err(TimestampError::BadEpoch {
            reason: "more precise than a nanosecond",
        });
    }
    let mut frac_nanos: i128 = 0;
    for b in frac.bytes() {
        frac_nanos = frac_nanos * 10 + i128::from(b - b'0');
    }
    frac_nanos *= nanos_per_unit / 10i128.pow(frac.len() as u32);
    let mut total = whole * nanos_per_unit + frac_nanos;
    if negative {
        total = -total;
    }
    let secs = total.div_euclid(1_000_000_000) as i64;
    let nsec = total.rem_euclid(1_000_000_000) as u32;
    let instant = DateTime::from_timestamp(secs, nsec).ok_or(TimestampError::OutOfRange)?;
    check_year(&instant)?;
    Ok(Parsed {
        instant,
        how: format!("Unix epoch in {unit}"),
    })
}
