//! Timestamps: every common spelling in, one UTC instant out.
//!
//! Contract: [`parse_text`] and [`parse_epoch`] return the instant in UTC and
//! a short description of how it was read (shown as provenance), or a
//! [`TimestampError`] that says why the value was refused.
//!
//! Accepted:
//! - RFC 3339 with any offset, converted to UTC (`2024-01-01T10:00:00+02:00`);
//! - RFC 2822 (`Mon, 01 Jan 2024 10:00:00 +0000`);
//! - naive dates and date-times, read as UTC: year first with `-`, `/` or `.`
//!   (`2024/01/01`, `2024.01.01 10:30`), or year last (`31/12/2024`), where the
//!   day/month order must be decidable from the values or fixed by a client
//!   rule: `01/02/2024` is refused, `13/02/2024` is day first, and
//!   `05/05/2024` is the same either way;
//! - Unix epochs as numbers or digit strings, the unit told by magnitude:
//!   below 10¹¹ seconds, then milliseconds, microseconds and nanoseconds
//!   (10¹¹ seconds is the year 5138, so the ranges never overlap in practice).
//!
//! Years outside 1..=9999 are refused so every instant has an RFC 3339 form.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How to read a year-last date whose first two parts could both be months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `01/02/2024` is the 1st of February.
    DayFirst,
    /// `01/02/2024` is the 2nd of January.
    MonthFirst,
}

/// A parsed instant and how it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The instant, in UTC.
    pub instant: DateTime<Utc>,
    /// Human-readable description of the conversion, for provenance.
    pub how: String,
}

/// Why a value is not an acceptable timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampError {
    /// Nothing but spaces, or nothing at all.
    Empty,
    /// A year-last date whose day and month could be swapped.
    AmbiguousDayMonth {
        /// The date as written.
        text: String,
    },
    /// The parts are numbers but no such date or time exists.
    NoSuchDate {
        /// The value as written.
        text: String,
    },
    /// Outside the years 1 to 9999.
    OutOfRange,
    /// An epoch with more precision than a nanosecond or with an exponent.
    BadEpoch {
        /// Why the epoch was refused.
        reason: &'static str,
    },
    /// None of the accepted formats matched.
    Unrecognized {
        /// The value as written.
        text: String,
    },
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimestampError::Empty => write!(f, "the timestamp is empty"),
            TimestampError::AmbiguousDayMonth { text } => write!(
                f,
                "'{text}' could be day/month or month/day; write it as YYYY-MM-DD or set date_order in the client's rule"
            ),
            TimestampError::NoSuchDate { text } => write!(f, "'{text}' is not a real date or time"),
            TimestampError::OutOfRange => write!(f, "the year must be between 1 and 9999"),
            TimestampError::BadEpoch { reason } => write!(f, "epoch value refused: {reason}"),
            TimestampError::Unrecognized { text } => write!(
                f,
                "'{text}' is not a recognised date format (use RFC 3339, e.g. 2024-01-31T12:00:00Z)"
            ),
        }
    }
}

impl std::error::Error for TimestampError {}

/// The canonical text of an instant: RFC 3339 in UTC with `Z`, fractional
/// seconds only when present.
pub fn canonical(instant: &DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses a timestamp written as text.
pub fn parse_text(text: &str, order: Option<DateOrder>) -> Result<Parsed, TimestampError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(TimestampError::Empty);
    }
    if looks_like_epoch(t) {
        return parse_epoch(t);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return in_range(dt, "RFC 3339");
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(t) {
        return in_range(dt, "RFC 2822");
    }
    parse_naive(t, order)
}

/// `[-]digits[.digits]`: a number, not a dotted or dashed date.
fn looks_like_epoch(t: &str) -> bool {
    let body = t.strip_prefix('-').unwrap_or(t);
    let dots = body.bytes().filter(|&b| b == b'.').count();
    dots <= 1 && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn in_range(dt: DateTime<FixedOffset>, format: &str) -> Result<Parsed, TimestampError> {
    let instant = dt.with_timezone(&Utc);
    check_year(&instant)?;
    let how = if dt.offset().local_minus_utc() == 0 {
        format!("{format}, UTC")
    } else {
        format!("{format} at offset {}, converted to UTC", dt.offset())
    };
    Ok(Parsed { instant, how })
}

fn check_year(instant: &DateTime<Utc>) -> Result<(), TimestampError> {
    if (1..=9999).contains(&instant.year()) {
        Ok(())
    } else {
        Err(TimestampError::OutOfRange)
    }
}

/// Naive date or date-time, read as UTC.
fn parse_naive(t: &str, order: Option<DateOrder>) -> Result<Parsed, TimestampError> {
    let unrecognized = || TimestampError::Unrecognized {
        text: t.to_string(),
    };
    let (date_part, time_part) = match t.find([' ', 'T']) {
        Some(i) => (&t[..i], Some(t[i + 1..].trim())),
        None => (t, None),
    };
    let sep = date_part
        .chars()
        .find(|c| matches!(c, '-' | '/' | '.'))
        .ok_or_else(unrecognized)?;
    let parts: Vec<&str> = date_part.split(sep).collect();
    let numeric = |s: &&str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return Err(unrecognized());
    }
    // Every part is at most four ASCII digits, so these parses cannot fail.
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let (year, month, day, how) = if parts[0].len() == 4 {
        (n[0], n[1], n[2], "year-first date".to_string())
    } else if parts[2].len() == 4 {
        let (a, b) = (n[0], n[1]);
        let day_first = match order {
            _ if a > 12 && b <= 12 => true,
            _ if b > 12 && a <= 12 => false,
            _ if a == b => true,
            Some(DateOrder::DayFirst) => true,
            Some(DateOrder::MonthFirst) => false,
            None if a <= 12 && b <= 12 => {
                return Err(TimestampError::AmbiguousDayMonth {
                    text: date_part.to_string(),
                })
            }
            None => true, // both above 12: refused as no such date below
        };
        let how = match (order, a <= 12 && b <= 12 && a != b) {
            (Some(_), true) => "year-last date, order from the client rule",
            _ if day_first => "day-first date",
            _ => "month-first date",
        };
        if day_first {
            (n[2], b, a, how.to_string())
        } else {
            (n[2], a, b, how.to_string())
        }
    } else {
        return Err(unrecognized());
    };
    let no_such = || TimestampError::NoSuchDate {
        text: t.to_string(),
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(no_such)?;
    let (time, how) = match time_part {
        None => (NaiveTime::MIN, format!("{how}, midnight UTC assumed")),
        Some(tp) => {
            let tp = tp.strip_suffix('Z').unwrap_or(tp);
            let time = ["%H:%M:%S%.f", "%H:%M"]
                .iter()
                .find_map(|f| NaiveTime::parse_from_str(tp, f).ok())
                .ok_or_else(|| {
                    if tp
                        .split(':')
                        .all(|p| p.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                    {
                        no_such()
                    } else {
                        unrecognized()
                    }
                })?;
            (time, format!("{how} and time, read as UTC"))
        }
    };
    if year == 0 {
        return Err(TimestampError::OutOfRange);
    }
    Ok(Parsed {
        instant: date.and_time(time).and_utc(),
        how,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> String {
        canonical(
            &parse_text(text, None)
                .unwrap_or_else(|e| panic!("{text}: {e}"))
                .instant,
        )
    }

    fn refused(text: &str) -> TimestampError {
        parse_text(text, None).expect_err(text)
    }

    #[test]
    fn rfc3339_with_offsets_becomes_utc() {
        assert_eq!(iso("2024-01-01T10:00:00+02:00"), "2024-01-01T08:00:00Z");
        assert_eq!(iso("2024-01-01T00:30:00-01:00"), "2024-01-01T01:30:00Z");
        assert_eq!(iso("2024-01-01T10:00:00.250Z"), "2024-01-01T10:00:00.250Z");
        assert_eq!(iso("2024-01-01 10:00:00z"), "2024-01-01T10:00:00Z");
        let how = parse_text("2024-01-01T10:00:00+02:00", None).unwrap().how;
        assert!(how.contains("converted to UTC"), "{how}");
    }

    #[test]
    fn rfc2822() {
        assert_eq!(
            iso("Mon, 01 Jan 2024 10:00:00 +0100"),
            "2024-01-01T09:00:00Z"
        );
    }

    #[test]
    fn naive_forms_are_utc() {
        for t in ["2024-01-01", "2024/01/01", "2024.01.01", "2024/1/1"] {
            assert_eq!(iso(t), "2024-01-01T00:00:00Z", "{t}");
        }
        assert_eq!(iso("2024-12-15T13:45:10"), "2024-12-15T13:45:10Z");
        assert_eq!(iso("2024/12/15 13:45"), "2024-12-15T13:45:00Z");
        assert_eq!(iso("2024.12.15 13:45:10.5"), "2024-12-15T13:45:10.500Z");
        assert_eq!(iso("31/12/2024"), "2024-12-31T00:00:00Z");
        assert_eq!(iso("12/31/2024"), "2024-12-31T00:00:00Z");
        assert_eq!(iso("31.12.2024"), "2024-12-31T00:00:00Z");
        assert_eq!(iso("05/05/2024"), "2024-05-05T00:00:00Z");
        assert!(parse_text("2024/01/01", None)
            .unwrap()
            .how
            .contains("midnight UTC"));
    }

    #[test]
    fn undecidable_day_month_needs_a_rule() {
        assert!(matches!(
            refused("01/02/2024"),
            TimestampError::AmbiguousDayMonth { .. }
        ));
        let day_first = parse_text("01/02/2024", Some(DateOrder::DayFirst)).unwrap();
        assert_eq!(canonical(&day_first.instant), "2024-02-01T00:00:00Z");
        assert!(day_first.how.contains("client rule"));
        let month_first = parse_text("01/02/2024", Some(DateOrder::MonthFirst)).unwrap();
        assert_eq!(canonical(&month_first.instant), "2024-01-02T00:00:00Z");
        // A rule never overrides what the values make certain.
        let certain = parse_text("13/02/2024", Some(DateOrder::MonthFirst)).unwrap();
        assert_eq!(canonical(&certain.instant), "2024-02-13T00:00:00Z");
    }

    #[test]
    fn epochs_by_magnitude() {
        assert_eq!(iso("1704067200"), "2024-01-01T00:00:00Z");
        assert_eq!(iso("1704067200000"), "2024-01-01T00:00:00Z");
        assert_eq!(iso("1704067200000000"), "2024-01-01T00:00:00Z");
        assert_eq!(iso("1704067200000000000"), "2024-01-01T00:00:00Z");
        assert_eq!(iso("1704067200.5"), "2024-01-01T00:00:00.500Z");
        assert_eq!(iso("1704067200123.456"), "2024-01-01T00:00:00.123456Z");
        assert_eq!(iso("0"), "1970-01-01T00:00:00Z");
        assert_eq!(iso("-86400"), "1969-12-31T00:00:00Z");
        assert!(parse_epoch("1704067200000")
            .unwrap()
            .how
            .contains("milliseconds"));
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(refused("  "), TimestampError::Empty);
        assert!(matches!(
            refused("2024-02-30"),
            TimestampError::NoSuchDate { .. }
        ));
        assert!(matches!(
            refused("2024-01-01 25:00"),
            TimestampError::NoSuchDate { .. }
        ));
        assert!(matches!(
            refused("13/13/2024"),
            TimestampError::NoSuchDate { .. }
        ));
        assert!(matches!(
            refused("yesterday"),
            TimestampError::Unrecognized { .. }
        ));
        assert!(matches!(
            refused("2024-01"),
            TimestampError::Unrecognized { .. }
        ));
        assert!(matches!(
            refused("24/01/01"),
            TimestampError::Unrecognized { .. }
        ));
        assert!(matches!(refused("0000-01-01"), TimestampError::OutOfRange));
        assert!(matches!(
            refused("1704067200.0000000001"),
            TimestampError::BadEpoch { .. }
        ));
        assert!(matches!(
            parse_epoch("1.7e9"),
            Err(TimestampError::BadEpoch { .. })
        ));
        assert!(matches!(
            refused("999999999999999999999"),
            TimestampError::OutOfRange
        ));
        assert!(matches!(
            refused("1704067200."),
            TimestampError::Unrecognized { .. }
        ));
        for e in [refused("01/02/2024"), refused("yesterday")] {
            assert!(e.to_string().contains("RFC 3339") || e.to_string().contains("date_order"));
        }
    }
}
