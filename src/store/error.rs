//! Why storage could not do what was asked, in words a user can act on.

use std::fmt;

/// Chromium's and Firefox's localStorage quota per origin, in UTF-16 code
/// units of keys plus values (measured in Chromium: 5,242,880).
pub const BROWSER_QUOTA_UNITS: u64 = 5 * 1024 * 1024;

/// Why storage could not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The browser's storage quota is exhausted.
    Full {
        /// UTF-16 code units of Tally's keys and values, as localStorage counts.
        used_units: u64,
    },
    /// Storage refused or is unavailable for another reason, which `message` gives.
    Unavailable {
        /// What the browser or the store said.
        message: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `used_units` is Tally's own data: when it is far from the
            // quota, other data of this site fills the rest, and clearing
            // Tally's would free little (found by an outside review).
            StoreError::Full { used_units } if *used_units < BROWSER_QUOTA_UNITS / 2 => write!(
                f,
                // What to do, and what not to lose doing it: clearing the
                // site's data in the browser clears Tally's too (an outside
                // review would have done just that).
                "browser storage is full: Tally's data takes only {} of about {} characters this site may keep, and other data of this site takes the rest (before clearing this site's data in the browser, export a backup from About)",
                crate::report::display::count(*used_units),
                crate::report::display::count(BROWSER_QUOTA_UNITS)
            ),
            StoreError::Full { used_units } => write!(
                f,
                "browser storage is full ({} of about {} characters used); export a backup, then clear data to make room",
                crate::report::display::count(*used_units),
                crate::report::display::count(BROWSER_QUOTA_UNITS)
            ),
            StoreError::Unavailable { message } => write!(f, "storage is unavailable: {message}"),
        }
    }
}

impl std::error::Error for StoreError {}
