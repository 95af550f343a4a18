//! Dates that are not ISO 8601: `2024/01/31`, `2024.01.31 10:30`, and
//! year-last forms whose day/month order must be decidable.

use super::fields::Fields;
use super::iso::parse_clock;
use super::{DateOrder, Parsed, TimestampError};

/// Naive date or date-time, read as UTC.
pub(super) fn parse_naive(t: &str, order: Option<DateOrder>) -> Result<Parsed, TimestampError> {
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
    let mut fields = Fields::midnight(year as i32, month, day);
    match time_part {
        None => fields.instant(t, &format!("{how}, midnight UTC assumed")),
        Some(tp) => {
            let tp = tp.strip_suffix(['Z', 'z']).unwrap_or(tp);
            (fields.hour, fields.minute, fields.second, fields.nanos) = parse_clock(tp, t)?;
            fields.instant(t, &format!("{how} and time"))
        }
    }
}
