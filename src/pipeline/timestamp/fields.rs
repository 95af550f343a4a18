//! A date-time's parts as written, and how they become one UTC instant:
//! ranges, the zone, and leap seconds.

use super::{check_year, Parsed, TimestampError};
use chrono::{Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike};

/// The parts of a date-time as written, before conversion to UTC.
/// The parts of a date-time as written, before conversion to UTC.
pub(super) struct Fields {
    pub(super) year: i32,
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) hour: u32,
    pub(super) minute: u32,
    pub(super) second: u32,
    pub(super) nanos: u32,
    /// Seconds east of UTC; `None` when no zone was written.
    pub(super) offset: Option<i32>,
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
    /// The start of a day, with no zone written.
    pub(super) fn midnight(year: i32, month: u32, day: u32) -> Fields {
        Fields {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            offset: None,
        }
    }

    /// The UTC instant, or why there is none.
    pub(super) fn instant(&self, text: &str, how: &str) -> Result<Parsed, TimestampError> {
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
            // "…, midnight UTC assumed" says it already.
            None if how.ends_with("UTC assumed") => how.to_string(),
            None => format!("{how}, read as UTC"),
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
