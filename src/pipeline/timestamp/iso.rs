//! ISO 8601 (extended and basic) and RFC 2822, read by hand: the clock,
//! the fraction, the zone, the date.

use super::fields::Fields;
use super::{Parsed, TimestampError};
use chrono::{Datelike, NaiveDate};

/// A run of ASCII digits as a number; `None` if empty, not digits or too long.
pub(super) fn number(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())?
}

/// Nanoseconds of a fraction's digits; refuses precision that cannot be kept.
pub(super) fn fraction(digits: &str, text: &str) -> Result<u32, TimestampError> {
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
pub(super) fn parse_clock(time: &str, text: &str) -> Result<(u32, u32, u32, u32), TimestampError> {
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

/// A name for UTC: `Z`, `UTC`, `UT` or `GMT`, in any case.
fn zone_name(z: &str) -> bool {
    ["z", "utc", "ut", "gmt"]
        .iter()
        .any(|n| z.eq_ignore_ascii_case(n))
}

/// A zone designator: `Z`, `UTC`, `GMT`, `±hh:mm`, `±hhmm` or `±hh`, in
/// seconds east.
pub(super) fn zone(z: &str, text: &str) -> Result<i32, TimestampError> {
    let unrecognized = || TimestampError::Unrecognized {
        text: text.to_string(),
    };
    if zone_name(z) {
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
pub(super) fn parse_iso(t: &str, extended: bool) -> Result<Parsed, TimestampError> {
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
    let mut fields = Fields::midnight(year as i32, month, day);
    if rest.is_empty() {
        return fields.instant(t, "ISO 8601 date, midnight UTC assumed");
    }
    let sep = rest.as_bytes()[0];
    if !(sep == b'T' || sep == b't' || (sep == b' ' && extended)) {
        return Err(unrecognized());
    }
    let rest = rest[1..].trim();
    // The zone follows the time, after a space or not: a name (`UTC`), or
    // starting at Z, + or - (a time has none of them).
    let (time, zone_text) = match rest.rsplit_once(' ') {
        Some((time, z)) if zone_name(z) || z.starts_with(['+', '-']) => (time.trim_end(), Some(z)),
        _ => match rest.find(['Z', 'z', '+', '-']) {
            Some(i) => (rest[..i].trim_end(), Some(rest[i..].trim())),
            None => (rest, None),
        },
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

pub(super) fn month_number(name: &str) -> Option<u32> {
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
pub(super) fn parse_rfc2822(t: &str) -> Result<Parsed, TimestampError> {
    let unrecognized = || TimestampError::Unrecognized {
        text: t.to_string(),
    };
    // A trailing comment, as mail clients write it: `+0000 (UTC)`.
    let t = match (t.trim_end().strip_suffix(')'), t.rfind('(')) {
        (Some(_), Some(i)) => t[..i].trim_end(),
        _ => t,
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
