//! Timestamps: every common spelling in, one UTC instant out.
//!
//! Contract: [`parse_text`] and [`parse_epoch`] return the instant in UTC and
//! a short description of how it was read (shown as provenance), or a
//! [`TimestampError`] that says why the value was refused.
//!
//! Accepted:
//! - ISO 8601 / RFC 3339 date-times, extended (`2024-01-31T12:00:00+02:00`)
//!   or basic (`20240131T120000Z`), with or without seconds, a fraction after
//!   `.` or `,`, and a zone `Z`, `±hh:mm`, `±hhmm` or `±hh`, converted to UTC;
//!   without a zone, read as UTC;
//! - RFC 2822 (`Mon, 01 Jan 2024 10:00:00 +0000`; zones `UT`, `UTC`, `GMT`,
//!   `Z` and the US zones too); a weekday that does not match the date is
//!   refused, naming both;
//! - other naive dates and date-times, read as UTC: year first with `/` or
//!   `.` (`2024/01/01`, `2024.01.01 10:30`), or year last (`31/12/2024`),
//!   where the day/month order must be decidable from the values or fixed by
//!   a client rule: `01/02/2024` is refused, `13/02/2024` is day first, and
//!   `05/05/2024` is the same either way; a day or month 0 is no date at all;
//! - Unix epochs, the unit told by magnitude: below 10¹¹ seconds, then
//!   milliseconds, microseconds and nanoseconds (10¹¹ seconds is the year
//!   5138, so the ranges never overlap in practice). JSON numbers are
//!   epochs ([`parse_number`]), except one whose digits are also a compact
//!   date (`20240131`, which the text "20240131" is): that number is
//!   refused, naming both readings, rather than counted in 1970; so is one
//!   of fewer than 9 digits (`2024`, `20241301`), an epoch between 1966
//!   and 1973 that
//!   is far more likely a year, a count or a mistyped date. A string of
//!   digits alone is an epoch only when it cannot be a date: 8, 12 or 14
//!   digits are ISO 8601 basic dates (`20240131`, `202401311200`,
//!   `20240131120000`) and refused if they are not a valid one; fewer than
//!   9 digits (`2024`) are refused as neither a date nor a plausible epoch.
//! - Ten digits that spell a date and hour of 1900 to 2099 (`2024013112`,
//!   as analytics exports write an hour) are also an epoch of 2030 to 2036:
//!   refused, naming both, as a number or as text.
//!
//! Never a wrong instant:
//! - Second 60 exists only at a real leap second: 23:59:60 UTC at the end of
//!   a day in the IERS list. It maps to the next day's 00:00:00 (plus any
//!   fraction), the instant Unix time gives it, so `2016-12-31T23:59:60Z` and
//!   the epoch 1483228800 are the same event. Any other second 60 is refused.
//! - More than 9 fractional digits are refused unless the extra digits are
//!   zeros: a nanosecond is the precision kept, and nothing is truncated.
//!
//! Years outside 1..=9999 are refused so every instant has an RFC 3339 form.
//! Everything is read by hand, without format strings: this is on the hot
//! path of every import.

mod epoch;
mod fields;
mod iso;
mod naive;

pub use epoch::parse_epoch;

/// Parses a timestamp written as a JSON number: an epoch, unless its
/// digits also spell a compact ISO 8601 date. Then it is refused: read as
/// an epoch it lands in 1970 (or past the year 2500), read as a date it
/// differs from the text of the same digits in nothing but its quotes, and
/// nothing in a number says which the client meant.
pub fn parse_number(text: &str) -> Result<Parsed, TimestampError> {
    checked_epoch(text.trim(), true)
}

/// An epoch, refused where [`parse_number`] says; `number` says which the
/// value was, a JSON number or text with a point or a sign (`"20240105.0"`
/// is the same digits as the number).
fn checked_epoch(t: &str, number: bool) -> Result<Parsed, TimestampError> {
    let epoch = parse_epoch(t)?;
    // By value, not spelling: `20240105.0` is the same number (Python
    // writes floats so, and a column of dates with gaps becomes floats).
    let whole = match t.split_once('.') {
        Some((whole, zeros)) if zeros.bytes().all(|b| b == b'0') => whole,
        _ => t,
    };
    if whole.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(Ok(date)) = compact(whole) {
            return Err(date_or_epoch(t, number, &date, &epoch));
        }
    }
    let seconds = t
        .trim_start_matches('-')
        .split('.')
        .next()
        .unwrap_or_default();
    if seconds.trim_start_matches('0').len() < 9 {
        return Err(TimestampError::EarlyEpoch {
            text: t.to_string(),
            epoch: canonical(&epoch.instant),
        });
    }
    Ok(epoch)
}

fn date_or_epoch(text: &str, number: bool, date: &Parsed, epoch: &Parsed) -> TimestampError {
    TimestampError::DateOrEpoch {
        text: text.to_string(),
        number,
        date: canonical(&date.instant),
        epoch: canonical(&epoch.instant),
    }
}

use crate::pipeline::json::document::{self, DocError};
use crate::pipeline::json::Json;
use chrono::{DateTime, Datelike, Timelike, Utc};
use fields::Fields;
use iso::{month_number, parse_iso, parse_rfc2822};
use naive::parse_naive;
use std::fmt;

/// How to read a year-last date whose first two parts could both be months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `01/02/2024` is the 1st of February.
    DayFirst,
    /// `01/02/2024` is the 2nd of January.
    MonthFirst,
}

impl DateOrder {
    /// Both orders.
    pub const ALL: [DateOrder; 2] = [DateOrder::DayFirst, DateOrder::MonthFirst];

    /// The order's name in the rules document.
    pub fn name(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "day_first",
            DateOrder::MonthFirst => "month_first",
        }
    }
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
    /// Second 60 outside a leap second.
    NotALeapSecond {
        /// The value as written.
        text: String,
    },
    /// More fractional digits than a nanosecond.
    TooPrecise {
        /// The value as written.
        text: String,
    },
    /// A value that could be read as more than one instant.
    Ambiguous {
        /// The value as written.
        text: String,
        /// Why, and what to send instead.
        reason: &'static str,
    },
    /// An RFC 2822 weekday that is not the weekday of the date.
    WrongWeekday {
        /// The weekday as written.
        written: String,
        /// The date, as YYYY-MM-DD.
        date: String,
        /// The date's real weekday.
        actual: String,
    },
    /// Digits that are both a compact date and an epoch.
    DateOrEpoch {
        /// The value as written.
        text: String,
        /// Whether it was a JSON number (else text).
        number: bool,
        /// The instant its digits spell as a compact date.
        date: String,
        /// The instant it is as an epoch.
        epoch: String,
    },
    /// An epoch of fewer than 9 digits before its point: an instant
    /// between 1966 and 1973.
    EarlyEpoch {
        /// The number as written.
        text: String,
        /// The instant it is as an epoch.
        epoch: String,
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
            TimestampError::NotALeapSecond { text } => write!(
                f,
                "'{text}' has second 60, which exists only at a leap second (23:59:60 UTC on a date in the IERS list)"
            ),
            TimestampError::TooPrecise { text } => write!(
                f,
                "'{text}' has more than 9 fractional digits; a nanosecond is the precision Tally keeps"
            ),
            TimestampError::Ambiguous { text, reason } => write!(f, "'{text}' {reason}"),
            TimestampError::WrongWeekday {
                written,
                date,
                actual,
            } => write!(f, "{written} is not the weekday of {date} (a {actual})"),
            TimestampError::DateOrEpoch {
                text,
                number,
                date,
                epoch,
            } => {
                if *number {
                    write!(f, "the number {text}")?;
                } else {
                    write!(f, "'{text}'")?;
                }
                write!(
                    f,
                    " is both a compact date ({date}) and a Unix epoch ({epoch}); send the one you mean {}, such as \"{}\" or \"{epoch}\"",
                    if *number { "as text" } else { "in ISO 8601" },
                    // The day alone only when it is the whole instant: a
                    // client told "2024-01-31" for 202401311200 would send
                    // midnight.
                    date.strip_suffix("T00:00:00Z").unwrap_or(date)
                )
            }
            TimestampError::EarlyEpoch { text, epoch } => write!(
                f,
                "{text} has fewer than 9 digits before its point: as a Unix epoch it is {epoch}, between 1966 and 1973, and a year, a count or a date without its separators is far more likely; send the instant as text, such as \"2024-01-31T12:00:00Z\""
            ),
            TimestampError::Unrecognized { text } => write!(
                f,
                "'{text}' is not a recognised date format (use a date such as 2024-01-31, 2024/01/31 or 2024-01-31T12:00:00Z, or epoch seconds or milliseconds)"
            ),
        }
    }
}

impl std::error::Error for TimestampError {}

/// The canonical text of an instant: RFC 3339 in UTC with `Z`, fractional
/// seconds only when present, in 3, 6 or 9 digits.
pub fn canonical(instant: &DateTime<Utc>) -> String {
    // Written by hand, character for character as chrono's
    // `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes it (every stored
    // fingerprint holds that text): chrono's general formatting was 3% of an
    // import, which writes every event's instant into its fingerprint.
    // UTC's own fields, read once: each of `DateTime`'s accessors applies
    // the zone's offset again.
    let (date, time) = (instant.naive_utc().date(), instant.naive_utc().time());
    // A leap second is chrono's second 59 with a nanosecond count past a
    // billion, written as second 60.
    let (second, nanos) = match time.nanosecond().checked_sub(1_000_000_000) {
        Some(rest) => (time.second() + 1, rest),
        None => (time.second(), time.nanosecond()),
    };
    let mut text = *b"0000-00-00T00:00:00.000000000Z";
    // A year beyond four digits, or before year 0, as chrono writes it: a
    // sign and at least four digits ("+10000", "-0001").
    let year = date.year();
    let (mut canonical, from) = if (0..=9999).contains(&year) {
        put_digits(&mut text[0..4], year.unsigned_abs());
        (String::with_capacity(30), 0)
    } else {
        let sign = if year < 0 { '-' } else { '+' };
        (format!("{sign}{:04}", year.unsigned_abs()), 4)
    };
    put_digits(&mut text[5..7], date.month());
    put_digits(&mut text[8..10], date.day());
    put_digits(&mut text[11..13], time.hour());
    put_digits(&mut text[14..16], time.minute());
    put_digits(&mut text[17..19], second);
    put_digits(&mut text[20..29], nanos);
    // The fraction in as few groups of three digits as hold it.
    let end = match nanos {
        0 => 19,
        n if n % 1_000_000 == 0 => 23,
        n if n % 1_000 == 0 => 26,
        _ => 29,
    };
    text[end] = b'Z';
    // Digits and separators: ASCII, so never refused.
    canonical.push_str(std::str::from_utf8(&text[from..=end]).unwrap_or_default());
    canonical
}

/// `n`'s last decimal digits into `digits`, zeros first.
fn put_digits(digits: &mut [u8], mut n: u32) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Reads an instant as [`canonical`] writes it, and nothing else: the
/// instants of Tally's own records and documents, never a client's.
pub fn from_json(value: &Json) -> Result<DateTime<Utc>, DocError> {
    let text = document::text(value)?;
    // A leap second, `…:60Z`: versions that read RFC 3339 with chrono kept
    // one as chrono does, second 59 and a nanosecond count past a billion,
    // and wrote it (as [`canonical`] still would) with second 60.
    let leap = text.get(17..19) == Some("60");
    let read = if leap {
        format!("{}59{}", &text[..17], &text[19..])
    } else {
        text.to_string()
    };
    parse_iso(&read, true)
        .ok()
        .map(|parsed| parsed.instant)
        .and_then(|instant| match leap {
            true => instant.with_nanosecond(instant.nanosecond() + 1_000_000_000),
            false => Some(instant),
        })
        .filter(|instant| canonical(instant) == text)
        .ok_or_else(|| {
            DocError::new(format!(
                "'{text}' is not an instant as Tally writes them (RFC 3339 in UTC, such as 2024-03-03T10:00:00Z)"
            ))
        })
}

/// Parses a timestamp written as text.
pub fn parse_text(text: &str, order: Option<DateOrder>) -> Result<Parsed, TimestampError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(TimestampError::Empty);
    }
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if b.iter().all(u8::is_ascii_digit) {
        return parse_digits(t);
    }
    if looks_like_epoch(t) {
        return checked_epoch(t, false);
    }
    if digits(0..4) && b.get(4) == Some(&b'-') {
        return parse_iso(t, true);
    }
    if digits(0..8) && matches!(b.get(8), Some(b'T' | b't')) {
        return parse_iso(t, false);
    }
    if b[0].is_ascii_alphabetic() || t.split_whitespace().nth(1).and_then(month_number).is_some() {
        return parse_rfc2822(t);
    }
    parse_naive(t, order)
}

/// `[-]digits[.digits]` with a sign or a point: a number, not a date.
fn looks_like_epoch(t: &str) -> bool {
    let body = t.strip_prefix('-').unwrap_or(t);
    let dots = body.bytes().filter(|&b| b == b'.').count();
    dots <= 1 && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Refuses instants whose year has no four-digit RFC 3339 form.
fn check_year(instant: &DateTime<Utc>) -> Result<(), TimestampError> {
    if (1..=9999).contains(&instant.year()) {
        Ok(())
    } else {
        Err(TimestampError::OutOfRange)
    }
}

/// The instant digits spell as a compact date, if they have a compact
/// date's length: YYYYMMDD, YYYYMMDDhhmm or YYYYMMDDhhmmss (ISO 8601
/// basic), or YYYYMMDDhh with a year from 1900 to 2099 (an hour's date, as
/// analytics tools export it; other ten digits are only an epoch).
fn compact(t: &str) -> Option<Result<Parsed, TimestampError>> {
    let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().unwrap_or(0);
    match t.len() {
        10 if (1900..=2099).contains(&n(0..4)) => {}
        8 | 12 | 14 => {}
        _ => return None,
    }
    let time = (t.len() > 8).then(|| {
        let at = |r: std::ops::Range<usize>| if t.len() >= r.end { n(r) } else { 0 };
        (n(8..10), at(10..12), at(12..14))
    });
    let (hour, minute, second) = time.unwrap_or((0, 0, 0));
    let how = match t.len() {
        8 => "ISO 8601 basic date, midnight UTC assumed",
        10 => "date and hour",
        _ => "ISO 8601 basic date and time",
    };
    let fields = Fields {
        year: n(0..4) as i32,
        month: n(4..6),
        day: n(6..8),
        hour,
        minute,
        second,
        nanos: 0,
        offset: None,
    };
    Some(fields.instant(t, how))
}

/// A string of digits alone: a compact ISO 8601 date, or an epoch, or
/// neither; never a guess.
fn parse_digits(t: &str) -> Result<Parsed, TimestampError> {
    match t.len() {
        10 => match compact(t) {
            Some(Ok(date)) => Err(date_or_epoch(t, false, &date, &parse_epoch(t)?)),
            _ => parse_epoch(t),
        },
        8 | 12 | 14 => compact(t)
            .unwrap_or_else(|| parse_epoch(t))
            .map_err(|e| match e {
                TimestampError::NoSuchDate { .. } | TimestampError::OutOfRange => TimestampError::Ambiguous {
                    text: t.to_string(),
                    reason: "is neither a valid compact date (YYYYMMDD, YYYYMMDDhhmm or YYYYMMDDhhmmss) nor an unambiguous epoch; send the instant in ISO 8601, such as 2024-01-31T12:00:00Z",
                },
                other => other,
            }),
        len if len < 9 => Err(TimestampError::Ambiguous {
            text: t.to_string(),
            reason: "is too short to be a date or a plausible epoch; send a full date such as 2024-01-31",
        }),
        _ => parse_epoch(t),
    }
}

#[cfg(test)]
mod tests {
    /// The hand-written text is chrono's, character for character: every
    /// fingerprint written so far holds chrono's.
    #[test]
    fn canonical_text_is_chronos() {
        use super::canonical;
        use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Timelike};
        let mut rng = crate::rng::SeededRng::new(9);
        let start = NaiveDate::from_ymd_opt(1, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        let span = (NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap()
            .and_utc()
            - start)
            .num_seconds() as u64;
        let mut instants = Vec::new();
        for i in 0..100_000u64 {
            let at = start + TimeDelta::seconds(rng.below(span) as i64);
            // Whole seconds, milliseconds, microseconds and nanoseconds.
            let nanos = match i % 4 {
                0 => 0,
                1 => rng.below(1_000) as u32 * 1_000_000,
                2 => rng.below(1_000_000) as u32 * 1_000,
                _ => rng.below(1_000_000_000) as u32,
            };
            instants.push(at.with_nanosecond(nanos).unwrap());
        }
        // A leap second, with and without a fraction; years chrono writes
        // with a sign.
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31).unwrap();
        for nanos in [1_000_000_000, 1_500_000_000] {
            instants.push(leap.and_hms_nano_opt(23, 59, 59, nanos).unwrap().and_utc());
        }
        for year in [-1, -10_000, 123_456] {
            let day = NaiveDate::from_ymd_opt(year, 6, 30).unwrap();
            instants.push(day.and_hms_milli_opt(1, 2, 3, 450).unwrap().and_utc());
        }
        instants.push(DateTime::<chrono::Utc>::MIN_UTC);
        instants.push(DateTime::<chrono::Utc>::MAX_UTC);
        instants.push(
            NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
        );
        instants.push(
            NaiveDate::from_ymd_opt(0, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
        );
        for at in instants {
            assert_eq!(
                canonical(&at),
                at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            );
        }
    }

    #[test]
    fn stored_instants_read_back_exactly_as_written_leap_seconds_too() {
        use chrono::NaiveDate;
        let day = NaiveDate::from_ymd_opt(2016, 12, 31).unwrap();
        let instants = [
            day.and_hms_opt(23, 59, 59).unwrap().and_utc(),
            day.and_hms_nano_opt(1, 2, 3, 422_000_000)
                .unwrap()
                .and_utc(),
            day.and_hms_nano_opt(1, 2, 3, 123_456_000)
                .unwrap()
                .and_utc(),
            day.and_hms_nano_opt(1, 2, 3, 987_654_321)
                .unwrap()
                .and_utc(),
            // chrono's leap seconds, which versions that parsed with chrono
            // kept, at the end of a day or of any minute.
            day.and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
            day.and_hms_nano_opt(10, 30, 59, 1_000_000_000)
                .unwrap()
                .and_utc(),
        ];
        for instant in instants {
            let text = canonical(&instant);
            let back = from_json(&Json::String(text.clone())).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, instant, "{text}");
            assert_eq!(back.nanosecond(), instant.nanosecond(), "{text}");
        }
        assert_eq!(canonical(&instants[4]), "2016-12-31T23:59:60.500Z");
        for other in [
            "2016-12-31T23:59:59.5Z",
            "2016-12-31T23:59:59+00:00",
            "2016-12-31t23:59:59z",
            "2016-12-31 23:59:59Z",
            "2016-12-31T23:59:61Z",
            "2016-12-31T23:58:60.5Z",
        ] {
            assert!(from_json(&Json::String(other.into())).is_err(), "{other}");
        }
    }

    use super::*;
    use chrono::NaiveDate;

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
        assert_eq!(
            canonical(&parse_epoch("0").unwrap().instant),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            parse_text("-100000000", None).unwrap().instant.timestamp(),
            -100_000_000
        );
        // Text with a sign or a point is read as the number: short, it is
        // refused as the number is.
        assert!(matches!(
            refused("-86400"),
            TimestampError::EarlyEpoch { .. }
        ));
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
            assert!(
                e.to_string().contains("such as 2024-01-31")
                    || e.to_string().contains("date_order"),
                "a refusal shows what would be read: {e}"
            );
        }
    }

    /// The instant of a UTC date-time, built without the parser under test.
    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, sec: u32, nanos: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_nano_opt(h, mi, sec, nanos))
            .expect("a valid date-time")
            .and_utc()
    }

    fn at(text: &str) -> DateTime<Utc> {
        parse_text(text, None)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .instant
    }

    #[test]
    fn compact_iso_dates_are_dates_never_epochs() {
        assert_eq!(at("20240131"), utc(2024, 1, 31, 0, 0, 0, 0));
        assert_eq!(at("202401311200"), utc(2024, 1, 31, 12, 0, 0, 0));
        assert_eq!(at("20240131120000"), utc(2024, 1, 31, 12, 0, 0, 0));
        assert_eq!(at("20240131T120000Z"), utc(2024, 1, 31, 12, 0, 0, 0));
        assert_eq!(at("20240131T1200+0100"), utc(2024, 1, 31, 11, 0, 0, 0));
        assert_eq!(
            at("20240131T120000.25Z"),
            utc(2024, 1, 31, 12, 0, 0, 250_000_000)
        );
        for text in ["2024", "0", "86400", "20241331", "99999999"] {
            assert!(
                matches!(refused(text), TimestampError::Ambiguous { .. }),
                "{text}: {:?}",
                parse_text(text, None)
            );
        }
        // Strings that can only be epochs stay epochs.
        assert_eq!(at("1706702400"), utc(2024, 1, 31, 12, 0, 0, 0));
        assert_eq!(at("1706702400000"), utc(2024, 1, 31, 12, 0, 0, 0));
    }

    #[test]
    fn a_number_that_is_also_a_compact_date_is_refused_naming_both_readings() {
        // An outside review sent the number 20240105: it was counted on
        // 1970-08-23, and the text "20240105" of the same event on
        // 2024-01-05, a second time.
        for (number, date) in [
            ("20240105", "2024-01-05T00:00:00Z"),
            ("202401311200", "2024-01-31T12:00:00Z"),
            ("20240131120000", "2024-01-31T12:00:00Z"),
        ] {
            match parse_number(number) {
                Err(TimestampError::DateOrEpoch { text, date: d, .. }) => {
                    assert_eq!((text.as_str(), d.as_str()), (number, date));
                }
                other => panic!("{number}: {other:?}"),
            }
        }
        assert_eq!(
            parse_number("20240105").unwrap_err().to_string(),
            "the number 20240105 is both a compact date (2024-01-05T00:00:00Z) and a Unix epoch (1970-08-23T06:15:05Z); send the one you mean as text, such as \"2024-01-05\" or \"1970-08-23T06:15:05Z\""
        );
        // A time of day is kept in the suggestion (a review saw
        // "2024-01-31" offered for 202401311200, twelve hours off).
        // Said once that a time without a zone is read as UTC (an outside
        // review saw "read as UTC, read as UTC").
        assert_eq!(
            parse_text("202401051000", None).unwrap().how,
            "ISO 8601 basic date and time, read as UTC"
        );
        assert!(parse_number("202401311200")
            .unwrap_err()
            .to_string()
            .contains("such as \"2024-01-31T12:00:00Z\""));
        // The same number with a zero fraction is the same number.
        for number in ["20240105.0", "20240105.000", "202401311200.0"] {
            assert!(
                matches!(
                    parse_number(number),
                    Err(TimestampError::DateOrEpoch { .. })
                ),
                "{number}"
            );
        }
        // Ten digits that spell a date and hour (analytics exports write
        // hours so) are an epoch of 2030 to 2036 too: refused as a number
        // and as text (an outside review saw "2024013112" read as 2034).
        let hourly = "the number 2024013112 is both a compact date (2024-01-31T12:00:00Z) and a Unix epoch (2034-02-20T01:51:52Z)";
        assert!(parse_number("2024013112")
            .unwrap_err()
            .to_string()
            .starts_with(hourly));
        assert!(parse_text("2024013112", None)
            .unwrap_err()
            .to_string()
            .starts_with("'2024013112' is both a compact date (2024-01-31T12:00:00Z)"));
        // As text with a zero fraction, the same digits: refused alike (an
        // outside review saw "2024013112.0" read as 2034).
        for text in ["2024013112.0", "20240105.0", "202401311200.00"] {
            assert!(
                matches!(
                    refused(text),
                    TimestampError::DateOrEpoch { number: false, .. }
                ),
                "{text}"
            );
        }
        // Fewer than 9 digits are an epoch before 1973: a year, a count or a
        // mistyped date far more likely (an outside review's 20241301,
        // month 13, was counted on 1970-08-23).
        for number in [
            "20241301",
            "2024",
            "99999999",
            "0",
            "-1",
            "1.5",
            "20240105.5",
            "-20240105",
        ] {
            let refused = parse_number(number).unwrap_err().to_string();
            assert!(
                refused.contains("fewer than 9 digits"),
                "{number}: {refused}"
            );
        }
        assert_eq!(
            parse_number("2024").unwrap_err().to_string(),
            "2024 has fewer than 9 digits before its point: as a Unix epoch it is 1970-01-01T00:33:44Z, between 1966 and 1973, and a year, a count or a date without its separators is far more likely; send the instant as text, such as \"2024-01-31T12:00:00Z\""
        );
        // Numbers that cannot be a date stay epochs: not a real date, other
        // lengths, a fraction, years outside 1900 to 2099 in ten digits (as
        // today's epochs are: 17…), a sign.
        for (number, secs) in [
            ("100000000", 100_000_000),
            ("1706702400", 1_706_702_400),
            ("1797012312", 1_797_012_312),
            ("2024133112", 2_024_133_112),
            ("1706702400000", 1_706_702_400),
            ("202401051.5", 202_401_051),
            ("-202401051", -202_401_051),
        ] {
            let parsed = parse_number(number).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(parsed.instant.timestamp(), secs, "{number}");
            let text = number.trim_start_matches('-');
            if !text.contains('.') {
                let parsed = parse_text(text, None).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(parsed.instant.timestamp(), secs.abs(), "'{text}'");
            }
        }
    }

    #[test]
    fn second_60_only_at_a_real_leap_second_and_it_is_unix_time() {
        let leap = at("2016-12-31T23:59:60Z");
        assert_eq!(leap, parse_epoch("1483228800").unwrap().instant);
        assert_eq!(leap, utc(2017, 1, 1, 0, 0, 0, 0));
        assert_eq!(at("2016-12-31T18:59:60-05:00"), leap);
        assert_eq!(
            at("2015-06-30T23:59:60.5Z"),
            utc(2015, 7, 1, 0, 0, 0, 500_000_000)
        );
        assert!(parse_text("2016-12-31T23:59:60Z", None)
            .unwrap()
            .how
            .contains("leap second"));
        for text in [
            "2024-01-01T10:30:60Z",
            "2024-01-31 12:00:60",
            "2024-06-30T23:59:60Z",
            "Tue, 31 Dec 2024 23:59:60 +0000",
            "2016-12-31T23:59:60+01:00",
        ] {
            let e = refused(text);
            assert!(
                matches!(e, TimestampError::NotALeapSecond { .. }),
                "{text}: {e:?}"
            );
            assert!(e.to_string().contains("leap second"), "{e}");
        }
    }

    #[test]
    fn precision_that_cannot_be_kept_is_refused_not_truncated() {
        let e = refused("2024-01-01T00:00:00.000000000001Z");
        assert!(matches!(e, TimestampError::TooPrecise { .. }), "{e:?}");
        assert!(e.to_string().contains("9 fractional digits"), "{e}");
        assert_eq!(
            at("2024-01-01T00:00:00.1000000000Z"),
            utc(2024, 1, 1, 0, 0, 0, 100_000_000)
        );
        assert_eq!(
            at("2024-01-01T00:00:00.123456789Z"),
            utc(2024, 1, 1, 0, 0, 0, 123_456_789)
        );
    }

    #[test]
    fn what_peoples_tools_write_is_read_exactly() {
        assert_eq!(
            at("2024-01-31T12:00:00+0530"),
            utc(2024, 1, 31, 6, 30, 0, 0)
        );
        assert_eq!(at("2024-01-31T12:00:00-08"), utc(2024, 1, 31, 20, 0, 0, 0));
        assert_eq!(at("2024-01-31T12:00+01:00"), utc(2024, 1, 31, 11, 0, 0, 0));
        assert_eq!(
            at("2024-01-31T12:00:00,5Z"),
            utc(2024, 1, 31, 12, 0, 0, 500_000_000)
        );
        assert_eq!(
            at("Wed, 31 Jan 2024 12:00:00 UTC"),
            utc(2024, 1, 31, 12, 0, 0, 0)
        );
        assert_eq!(at("31 Jan 2024 12:00 GMT"), utc(2024, 1, 31, 12, 0, 0, 0));
        assert_eq!(
            at("Wed, 31 Jan 2024 07:00:00 EST"),
            utc(2024, 1, 31, 12, 0, 0, 0)
        );
    }

    #[test]
    fn a_zone_after_a_space_or_by_name_and_a_mail_comment_are_read() {
        // Found by an independent table of spellings (Go's and Ruby's default
        // formats, and mail clients' RFC 2822 comments).
        assert_eq!(
            at("2024-01-31 12:00:00 +0100"),
            utc(2024, 1, 31, 11, 0, 0, 0)
        );
        assert_eq!(at("2024-01-31 12:00:00 UTC"), utc(2024, 1, 31, 12, 0, 0, 0));
        assert_eq!(at("2024-01-31T12:00:00 GMT"), utc(2024, 1, 31, 12, 0, 0, 0));
        assert_eq!(
            at("2024-01-31 12:00:00 -08:00"),
            utc(2024, 1, 31, 20, 0, 0, 0)
        );
        assert_eq!(
            at("Wed, 31 Jan 2024 12:00:00 +0000 (UTC)"),
            utc(2024, 1, 31, 12, 0, 0, 0)
        );
        assert!(matches!(
            refused("2024-01-31 12:00:00 CET"),
            TimestampError::Unrecognized { .. }
        ));
    }

    #[test]
    fn refusals_name_the_real_reason() {
        let e = refused("Tue, 30 Dec 2024 10:00:00 +0000");
        assert_eq!(
            e.to_string(),
            "Tue is not the weekday of 2024-12-30 (a Monday)"
        );
        for text in ["00/05/2024", "12/00/2024"] {
            let e = refused(text);
            assert!(
                matches!(e, TimestampError::NoSuchDate { .. }),
                "{text}: {e:?}"
            );
        }
        assert!(matches!(
            refused("2024-01-31T12:00:00+25:00"),
            TimestampError::NoSuchDate { .. }
        ));
        assert!(matches!(
            refused("2024-01-31T24:00:00Z"),
            TimestampError::NoSuchDate { .. }
        ));
        assert!(matches!(
            refused("2024-01-31Tnoon"),
            TimestampError::Unrecognized { .. }
        ));
    }
}
