//! Dates, times and timestamps as Python's `isoformat()` / orjson write them.
//!
//! - date: `2024-01-02` (years 1..=9999, zero padded to four digits);
//! - time: `01:02:03`, or `23:59:59.000999` when the microseconds are non-zero;
//! - timestamp: `2024-01-02T03:04:05.123456` plus `+00:00` for time-zone aware columns.
//!
//! Python stores microseconds, so finer units are truncated (floored) to microseconds.

use arrow_schema::TimeUnit;
use stowage_plugin_sdk::{PluginError, Result};

const MICROS_PER_DAY: i128 = 86_400_000_000;
const DAYS_PER_MS: i64 = 86_400_000;

/// Microseconds since the epoch (floored) of a value in `unit`.
pub(crate) fn to_micros(value: i64, unit: TimeUnit) -> i128 {
    let v = i128::from(value);
    match unit {
        TimeUnit::Second => v * 1_000_000,
        TimeUnit::Millisecond => v * 1_000,
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v.div_euclid(1_000),
    }
}

/// Appends `"YYYY-MM-DD"` (quoted) for days since the epoch.
pub(crate) fn write_date(out: &mut Vec<u8>, days: i64) -> Result<()> {
    out.push(b'"');
    write_date_body(out, days)?;
    out.push(b'"');
    Ok(())
}

/// Appends a quoted Date64 (milliseconds since the epoch, time of day ignored).
pub(crate) fn write_date64(out: &mut Vec<u8>, millis: i64) -> Result<()> {
    write_date(out, millis.div_euclid(DAYS_PER_MS))
}

/// Appends a quoted time of day given in `unit` since midnight.
pub(crate) fn write_time(out: &mut Vec<u8>, value: i64, unit: TimeUnit) -> Result<()> {
    let micros = to_micros(value, unit);
    if !(0..MICROS_PER_DAY).contains(&micros) {
        return Err(PluginError::invalid(format!(
            "time of day out of range: {value} ({unit:?})"
        )));
    }
    out.push(b'"');
    write_time_body(out, micros as i64);
    out.push(b'"');
    Ok(())
}

/// Appends a quoted timestamp; `utc` adds the `+00:00` offset.
pub(crate) fn write_timestamp(
    out: &mut Vec<u8>,
    value: i64,
    unit: TimeUnit,
    utc: bool,
) -> Result<()> {
    let micros = to_micros(value, unit);
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY) as i64;
    let days = i64::try_from(days).map_err(|_| out_of_range(value))?;
    out.push(b'"');
    write_date_body(out, days).map_err(|_| out_of_range(value))?;
    out.push(b'T');
    write_time_body(out, of_day);
    if utc {
        out.extend_from_slice(b"+00:00");
    }
    out.push(b'"');
    Ok(())
}

fn out_of_range(value: i64) -> PluginError {
    PluginError::invalid(format!(
        "timestamp {value} is outside the years 1..=9999 that Python datetime can hold"
    ))
}

fn write_date_body(out: &mut Vec<u8>, days: i64) -> Result<()> {
    let (y, m, d) = civil_from_days(days);
    if !(1..=9999).contains(&y) {
        return Err(PluginError::invalid(format!(
            "date {days} days from 1970-01-01 is outside the years 1..=9999 Python can hold"
        )));
    }
    push_digits(out, y as u32, 4);
    out.push(b'-');
    push_digits(out, m, 2);
    out.push(b'-');
    push_digits(out, d, 2);
    Ok(())
}

/// `HH:MM:SS[.ffffff]` for microseconds since midnight (in range).
fn write_time_body(out: &mut Vec<u8>, micros: i64) {
    let secs = (micros / 1_000_000) as u32;
    let frac = (micros % 1_000_000) as u32;
    push_digits(out, secs / 3600, 2);
    out.push(b':');
    push_digits(out, secs / 60 % 60, 2);
    out.push(b':');
    push_digits(out, secs % 60, 2);
    if frac != 0 {
        out.push(b'.');
        push_digits(out, frac, 6);
    }
}

/// Appends `v` zero padded to `width` digits (`v` has at most `width` digits).
fn push_digits(out: &mut Vec<u8>, mut v: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Proleptic Gregorian (year, month, day) for days since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(v: i64, unit: TimeUnit, utc: bool) -> String {
        let mut out = Vec::new();
        write_timestamp(&mut out, v, unit, utc).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn time(v: i64, unit: TimeUnit) -> String {
        let mut out = Vec::new();
        write_time(&mut out, v, unit).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn date(days: i64) -> String {
        let mut out = Vec::new();
        write_date(&mut out, days).unwrap();
        String::from_utf8(out).unwrap()
    }

    // 2024-01-02T03:04:05Z
    const T: i64 = 1_704_164_645;

    #[test]
    fn timestamps() {
        use TimeUnit::*;
        assert_eq!(ts(T, Second, true), r#""2024-01-02T03:04:05+00:00""#);
        assert_eq!(
            ts(T * 1_000_000 + 123_456, Microsecond, true),
            r#""2024-01-02T03:04:05.123456+00:00""#
        );
        assert_eq!(
            ts(T * 1000 + 123, Millisecond, true),
            r#""2024-01-02T03:04:05.123000+00:00""#
        );
        assert_eq!(
            ts(T * 1_000_000_000 + 123_456_789, Nanosecond, false),
            r#""2024-01-02T03:04:05.123456""#
        );
        assert_eq!(ts(0, Second, false), r#""1970-01-01T00:00:00""#);
        assert_eq!(
            ts(-1, Nanosecond, true),
            r#""1969-12-31T23:59:59.999999+00:00""#
        );
        assert_eq!(
            ts(-62_135_596_800, Second, true),
            r#""0001-01-01T00:00:00+00:00""#
        );
        assert_eq!(
            ts(253_402_300_799, Second, true),
            r#""9999-12-31T23:59:59+00:00""#
        );
    }

    #[test]
    fn timestamp_out_of_python_range() {
        let mut out = Vec::new();
        assert!(write_timestamp(&mut out, 253_402_300_800, TimeUnit::Second, true).is_err());
        assert!(write_timestamp(&mut out, i64::MIN, TimeUnit::Second, true).is_err());
        assert!(write_timestamp(&mut out, -62_135_596_801, TimeUnit::Second, true).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(date(19_724), r#""2024-01-02""#);
        assert_eq!(date(0), r#""1970-01-01""#);
        assert_eq!(date(-1), r#""1969-12-31""#);
        assert_eq!(date(11_016), r#""2000-02-29""#);
        assert_eq!(date(-717_700), r#""0005-01-02""#);
        let mut out = Vec::new();
        write_date64(&mut out, 19_724 * 86_400_000 + 5).unwrap();
        assert_eq!(out, br#""2024-01-02""#);
    }

    #[test]
    fn times() {
        use TimeUnit::*;
        assert_eq!(time(3723, Second), r#""01:02:03""#);
        assert_eq!(time(86_399_000_999, Microsecond), r#""23:59:59.000999""#);
        assert_eq!(time(86_399_000_999_999, Nanosecond), r#""23:59:59.000999""#);
        assert_eq!(time(1, Millisecond), r#""00:00:00.001000""#);
        assert!(write_time(&mut Vec::new(), 86_400, Second).is_err());
    }
}
