//! Dates, times and timestamps as Python's `str()` / `isoformat()` write them, and back.
//!
//! - date: `2024-01-02` (years 1..=9999, four digits);
//! - time: `01:02:03`, or `23:59:59.000999` when the microseconds are non-zero;
//! - timestamp: `2024-01-02 03:04:05.123456` (`str()`, dlt's csv cells) or
//!   `2024-01-02T03:04:05.123456` (`isoformat()`, dlt's SQL literals and orjson), plus `+00:00`
//!   for time-zone aware columns.
//!
//! Python keeps microseconds, so finer units are floored to microseconds when written. The
//! parser takes what the writer writes plus common ISO 8601 variants: `T` instead of the
//! space, 1 to 9 fraction digits, `Z`, `±HH:MM`, `±HHMM` or `±HH` offsets.

pub mod calendar;
mod parse;
mod write;

use arrow_schema::TimeUnit;

pub use parse::{parse_date, parse_time, parse_timestamp};
pub use write::{write_date, write_date64, write_time, write_timestamp};

/// Nanoseconds per `unit`.
pub fn nanos_per(unit: TimeUnit) -> i128 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}
