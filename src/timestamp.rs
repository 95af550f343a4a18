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
//!   5138, so the ranges never overlap in practice). JSON numbers are always
//!   epochs. A string of digits alone is an epoch only when it cannot be a
//!   date: 8, 12 or 14 digits are ISO 8601 basic dates (`20240131`,
//!   `202401311200`, `20240131120000`) and refused if they are not a valid
//!   one; fewer than 9 digits (`2024`) are refused as neither a date nor a
//!   plausible epoch.
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

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, Timelike, Utc};
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
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if b.iter().all(u8::is_ascii_digit) {
        return parse_digits(t);
    }
    if looks_like_epoch(t) {
        return parse_epoch(t);
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

/// A string of digits alone: a compact ISO 8601 date, or an epoch, or
/// neither; never a guess.
fn parse_digits(t: &str) -> Result<Parsed, TimestampError> {
    let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().unwrap_or(0);
    match t.len() {
        8 | 12 | 14 => {
            let time = (t.len() > 8).then(|| (n(8..10), n(10..12), if t.len() == 14 { n(12..14) } else { 0 }));
            let (hh, mm, ss) = time.unwrap_or((0, 0, 0));
            let how = match time {
                None => "ISO 8601 basic date, midnight UTC assumed",
                Some(_) => "ISO 8601 basic date and time, read as UTC",
            };
            let fields = Fields {
                year: n(0..4) as i32,
                month: n(4..6),
                day: n(6..8),
                hour: hh,
                minute: mm,
                second: ss,
                nanos: 0,
                offset: None,
            };
            fields.instant(t, how).map_err(|e| match e {
                TimestampError::NoSuchDate { .. } | TimestampError::OutOfRange => TimestampError::Ambiguous {
                    text: t.to_string(),
                    reason: "is neither a valid compact date (YYYYMMDD, YYYYMMDDhhmm or YYYYMMDDhhmmss) nor an unambiguous epoch; send epochs as JSON numbers",
                },
                other => other,
            })
        }
        len if len < 9 => Err(TimestampError::Ambiguous {
            text: t.to_string(),
            reason: "is too short to be a date or a plausible epoch; send a full date such as 2024-01-31, or the epoch as a JSON number",
        }),
        _ => parse_epoch(t),
    }
}

/// The parts of a date-time as written, before conversion to UTC.
struct Fields {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// Seconds east of UTC; `None` when no zone was written.
    offset: Option<i32>,
}

/// The last day of June or December on which IERS inserted a leap second.
const LEAP_SECOND_DAYS: [(i32, u32, u32); 27] = [
    (1972, 6, 30),
    (1972, 12, 31),
    (1973, 12, 31),
    (1974, 12, 31),
    (1975, 12, 31),
    (1976, 12, 31),
    (1977, 12, 31),
    (1978, 12, 31),
    (1979, 12, 31),
    (1981, 6, 30),
    (1982, 6, 30),
    (1983, 6, 30),
    (1985, 6, 30),
    (1987, 12, 31),
    (1989, 12, 31),
    (1990, 12, 31),
    (1992, 6, 30),
    (1993, 6, 30),
    (1994, 6, 30),
    (1995, 12, 31),
    (1997, 6, 30),
    (1998, 12, 31),
    (2005, 12, 31),
    (2008, 12, 31),
    (2012, 6, 30),
    (2015, 6, 30),
    (2016, 12, 31),
];

impl Fields {
    /// The UTC instant, or why there is none.
    fn instant(&self, text: &str, how: &str) -> Result<Parsed, TimestampError> {
        let no_such = || TimestampError::NoSuchDate {
            text: text.to_string(),
        };
        if self.year == 0 {
            return Err(TimestampError::OutOfRange);
        }
        let date = NaiveDate::from_ymd_opt(self.year, self.month, self.day).ok_or_else(no_such)?;
        if self.hour > 23 || self.minute > 59 || self.second > 60 {
            return Err(no_such());
        }
        let leap = self.second == 60;
        let time =
            NaiveTime::from_hms_nano_opt(self.hour, self.minute, self.second.min(59), self.nanos)
                .ok_or_else(no_such)?;
        let offset = self.offset.unwrap_or(0);
        let mut instant =
            date.and_time(time).and_utc() - chrono::TimeDelta::seconds(i64::from(offset));
        if leap {
            // 23:59:59 UTC on a leap-second day, then the next second: the
            // instant Unix time gives 23:59:60.
            let utc = instant.naive_utc();
            let at_end = (utc.hour(), utc.minute(), utc.second()) == (23, 59, 59);
            let listed = LEAP_SECOND_DAYS.contains(&(utc.year(), utc.month(), utc.day()));
            if !(at_end && listed) {
                return Err(TimestampError::NotALeapSecond {
                    text: text.to_string(),
                });
            }
            instant += chrono::TimeDelta::seconds(1);
        }
        check_year(&instant)?;
        let how = match self.offset {
            None => {
                format!("{how}, read as UTC").replace("UTC assumed, read as UTC", "UTC assumed")
            }
            Some(0) => format!("{how}, UTC"),
            Some(secs) => format!(
                "{how} at offset {}, converted to UTC",
                FixedOffset::east_opt(secs).map_or_else(String::new, |o| o.to_string())
            ),
        };
        let how = if leap {
            format!("{how}; leap second 23:59:60 read as the next 00:00:00, as Unix time does")
        } else {
            how
        };
        Ok(Parsed { instant, how })
    }
}

/// A run of ASCII digits as a number; `None` if empty, not digits or too long.
fn number(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())?
}

/// Nanoseconds of a fraction's digits; refuses precision that cannot be kept.
fn fraction(digits: &str, text: &str) -> Result<u32, TimestampError> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimestampError::Unrecognized {
            text: text.to_string(),
        });
    }
    let kept = digits.trim_end_matches('0');
    if kept.len() > 9 {
        return Err(TimestampError::TooPrecise {
            text: text.to_string(),
        });
    }
    let mut nanos: u32 = 0;
    for (i, b) in kept
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .enumerate()
    {
        let _ = i;
        nanos = nanos * 10 + u32::from(b - b'0');
    }
    Ok(nanos)
}

/// A time of day, `hh:mm[:ss[.f]]` or `hhmm[ss[.f]]` (`,` may mark the
/// fraction), as (hour, minute, second, nanoseconds); ranges are checked
/// with the date.
fn parse_clock(time: &str, text: &str) -> Result<(u32, u32, u32, u32), TimestampError> {
    let unrecognized = || TimestampError::Unrecognized {
        text: text.to_string(),
    };
    let (clock, frac) = match time.find(['.', ',']) {
        Some(i) => (&time[..i], Some(&time[i + 1..])),
        None => (time, None),
    };
    let parts: Vec<&str> = if clock.contains(':') {
        clock.split(':').collect()
    } else if clock.len() % 2 == 0 && clock.len() >= 4 {
        (0..clock.len())
            .step_by(2)
            .map(|i| &clock[i..i + 2])
            .collect()
    } else {
        return Err(unrecognized());
    };
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return Err(unrecognized());
    }
    let part = |i: usize| parts.get(i).map_or(Some(0), |p| number(p));
    let nanos = match frac {
        Some(_) if parts.len() != 3 => return Err(unrecognized()),
        Some(f) => fraction(f, text)?,
        None => 0,
    };
    Ok((
        part(0).ok_or_else(unrecognized)?,
        part(1).ok_or_else(unrecognized)?,
        part(2).ok_or_else(unrecognized)?,
        nanos,
    ))
}

fn check_year(instant: &DateTime<Utc>) -> Result<(), TimestampError> {
    if (1..=9999).contains(&instant.year()) {
        Ok(())
    } else {
        Err(TimestampError::OutOfRange)
    }
}

/// A zone designator: `Z`, `±hh:mm`, `±hhmm` or `±hh`, in seconds east.
fn zone(z: &str, text: &str) -> Result<i32, TimestampError> {
    let unrecognized = || TimestampError::Unrecognized {
        text: text.to_string(),
    };
    if z.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let sign = match z.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(unrecognized()),
    };
    let body = &z[1..];
    let (hh, mm) = match (body.len(), body.as_bytes().get(2)) {
        (5, Some(b':')) => (&body[..2], &body[3..]),
        (4, _) => (&body[..2], &body[2..]),
        (2, _) => (body, "00"),
        _ => return Err(unrecognized()),
    };
    let (hh, mm) = (
        number(hh).ok_or_else(unrecognized)?,
        number(mm).ok_or_else(unrecognized)?,
    );
    if hh > 23 || mm > 59 {
        return Err(TimestampError::NoSuchDate {
            text: text.to_string(),
        });
    }
    Ok(sign * (hh * 3600 + mm * 60) as i32)
}

/// ISO 8601: `YYYY-MM-DD[Thh:mm[:ss[.f]]][zone]` (extended) or
/// `YYYYMMDDThhmm[ss[.f]][zone]` (basic); `T` may be a space in extended.
fn parse_iso(t: &str, extended: bool) -> Result<Parsed, TimestampError> {
    let unrecognized = || TimestampError::Unrecognized {
        text: t.to_string(),
    };
    let (date, rest) = if extended {
        (t.get(..10).ok_or_else(unrecognized)?, &t[10.min(t.len())..])
    } else {
        (&t[..8], &t[8..])
    };
    let (year, month, day) = if extended {
        let b = date.as_bytes();
        if b.get(7) != Some(&b'-') {
            return Err(unrecognized());
        }
        (
            number(&date[..4]),
            number(&date[5..7]),
            number(&date[8..10]),
        )
    } else {
        (number(&date[..4]), number(&date[4..6]), number(&date[6..8]))
    };
    let (year, month, day) = match (year, month, day) {
        (Some(y), Some(m), Some(d)) if date.len() == if extended { 10 } else { 8 } => (y, m, d),
        _ => return Err(unrecognized()),
    };
    let mut fields = Fields {
        year: year as i32,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset: None,
    };
    if rest.is_empty() {
        return fields.instant(t, "ISO 8601 date, midnight UTC assumed");
    }
    let sep = rest.as_bytes()[0];
    if !(sep == b'T' || sep == b't' || (sep == b' ' && extended)) {
        return Err(unrecognized());
    }
    let rest = rest[1..].trim_start();
    // The zone starts at Z, + or - (a time has none of them).
    let (time, zone_text) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], Some(rest[i..].trim())),
        None => (rest.trim_end(), None),
    };
    (fields.hour, fields.minute, fields.second, fields.nanos) = parse_clock(time, t)?;
    if let Some(z) = zone_text {
        fields.offset = Some(zone(z, t)?);
    }
    let how = if extended {
        "ISO 8601 date and time"
    } else {
        "ISO 8601 basic date and time"
    };
    fields.instant(t, how)
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower)
        .map(|i| i as u32 + 1)
}

/// RFC 2822: `[Day,] DD Mon YYYY hh:mm[:ss] zone`.
fn parse_rfc2822(t: &str) -> Result<Parsed, TimestampError> {
    let unrecognized = || TimestampError::Unrecognized {
        text: t.to_string(),
    };
    let (weekday, rest) = match t.split_once(',') {
        Some((w, rest)) => (Some(w.trim()), rest),
        None => (None, t),
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    if words.len() != 5 {
        return Err(unrecognized());
    }
    let day = number(words[0]).ok_or_else(unrecognized)?;
    let month = month_number(words[1]).ok_or_else(unrecognized)?;
    let year = number(words[2])
        .filter(|_| words[2].len() == 4)
        .ok_or_else(unrecognized)?;
    let clock: Vec<&str> = words[3].split(':').collect();
    if !(2..=3).contains(&clock.len()) || clock.iter().any(|p| p.len() != 2) {
        return Err(unrecognized());
    }
    let part = |i: usize| clock.get(i).map_or(Some(0), |p| number(p));
    let offset = match words[4].to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4 * 3600,
        "EST" | "CDT" => -5 * 3600,
        "CST" | "MDT" => -6 * 3600,
        "MST" | "PDT" => -7 * 3600,
        "PST" => -8 * 3600,
        z if z.len() == 5 => zone(z, t)?,
        _ => return Err(unrecognized()),
    };
    let fields = Fields {
        year: year as i32,
        month,
        day,
        hour: part(0).ok_or_else(unrecognized)?,
        minute: part(1).ok_or_else(unrecognized)?,
        second: part(2).ok_or_else(unrecognized)?,
        nanos: 0,
        offset: Some(offset),
    };
    if let (Some(written), Some(date)) = (weekday, NaiveDate::from_ymd_opt(year as i32, month, day))
    {
        let actual = date.weekday();
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let actual_name = names[actual.num_days_from_monday() as usize];
        if !written.eq_ignore_ascii_case(actual_name) {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(written)) {
                return Err(unrecognized());
            }
            let long = [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ];
            return Err(TimestampError::WrongWeekday {
                written: written.to_string(),
                date: date.to_string(),
                actual: long[actual.num_days_from_monday() as usize].to_string(),
            });
        }
    }
    fields.instant(t, "RFC 2822")
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
        if a == 0 || b == 0 {
            // A day or month 0 is no date in either order.
            return Err(TimestampError::NoSuchDate {
                text: t.to_string(),
            });
        }
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
    let mut fields = Fields {
        year: year as i32,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset: None,
    };
    match time_part {
        None => fields.instant(t, &format!("{how}, midnight UTC assumed")),
        Some(tp) => {
            let tp = tp.strip_suffix(['Z', 'z']).unwrap_or(tp);
            (fields.hour, fields.minute, fields.second, fields.nanos) = parse_clock(tp, t)?;
            fields.instant(t, &format!("{how} and time"))
        }
    }
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
        assert_eq!(
            canonical(&parse_epoch("0").unwrap().instant),
            "1970-01-01T00:00:00Z"
        );
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
