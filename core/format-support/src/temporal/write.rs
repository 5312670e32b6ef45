//! Writing dates, times and timestamps as Python does.

use arrow_schema::TimeUnit;
use stowage_plugin_sdk::{PluginError, Result};

use super::calendar::civil_from_days;
use super::nanos_per;

const MICROS_PER_DAY: i128 = 86_400_000_000;
const MILLIS_PER_DAY: i64 = 86_400_000;

/// Microseconds (floored) of a value in `unit`.
fn to_micros(value: i64, unit: TimeUnit) -> i128 {
    (i128::from(value) * nanos_per(unit)).div_euclid(1_000)
}

/// Appends `YYYY-MM-DD` for days since the epoch.
pub fn write_date(out: &mut Vec<u8>, days: i64) -> Result<()> {
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

/// Appends the date of a Date64 (milliseconds since the epoch).
pub fn write_date64(out: &mut Vec<u8>, millis: i64) -> Result<()> {
    write_date(out, millis.div_euclid(MILLIS_PER_DAY))
}

/// Appends a time of day given in `unit` since midnight.
pub fn write_time(out: &mut Vec<u8>, value: i64, unit: TimeUnit) -> Result<()> {
    let micros = to_micros(value, unit);
    if !(0..MICROS_PER_DAY).contains(&micros) {
        return Err(PluginError::invalid(format!(
            "time of day out of range: {value} ({unit:?})"
        )));
    }
    write_time_body(out, micros as i64);
    Ok(())
}

/// Appends a timestamp with `sep` between date and time; `utc` adds `+00:00`.
pub fn write_timestamp(
    out: &mut Vec<u8>,
    value: i64,
    unit: TimeUnit,
    sep: u8,
    utc: bool,
) -> Result<()> {
    let micros = to_micros(value, unit);
    let days = i64::try_from(micros.div_euclid(MICROS_PER_DAY)).map_err(|_| out_of_range(value))?;
    let of_day = micros.rem_euclid(MICROS_PER_DAY) as i64;
    write_date(out, days).map_err(|_| out_of_range(value))?;
    out.push(sep);
    write_time_body(out, of_day);
    if utc {
        out.extend_from_slice(b"+00:00");
    }
    Ok(())
}

fn out_of_range(value: i64) -> PluginError {
    PluginError::invalid(format!(
        "timestamp {value} is outside the years 1..=9999 that Python datetime can hold"
    ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use TimeUnit::*;

    fn ts(v: i64, unit: TimeUnit, utc: bool) -> String {
        let mut out = Vec::new();
        write_timestamp(&mut out, v, unit, b' ', utc).unwrap();
        String::from_utf8(out).unwrap()
    }

    // 2024-01-02T03:04:05Z
    const T: i64 = 1_704_164_645;

    #[test]
    fn timestamps_like_python_str() {
        assert_eq!(ts(T, Second, true), "2024-01-02 03:04:05+00:00");
        assert_eq!(
            ts(T * 1_000_000 + 123_456, Microsecond, true),
            "2024-01-02 03:04:05.123456+00:00"
        );
        assert_eq!(
            ts(T * 1_000_000_000 + 123_456_789, Nanosecond, false),
            "2024-01-02 03:04:05.123456"
        );
        assert_eq!(ts(-1, Nanosecond, true), "1969-12-31 23:59:59.999999+00:00");
        assert_eq!(
            ts(-62_135_596_800, Second, true),
            "0001-01-01 00:00:00+00:00"
        );
        let mut out = Vec::new();
        assert!(write_timestamp(&mut out, 253_402_300_800, Second, b' ', true).is_err());
    }

    #[test]
    fn timestamps_like_isoformat() {
        let iso = |v, unit, utc| {
            let mut out = Vec::new();
            write_timestamp(&mut out, v, unit, b'T', utc).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            iso(T * 1000 + 123, Millisecond, true),
            "2024-01-02T03:04:05.123000+00:00"
        );
        assert_eq!(iso(0, Second, false), "1970-01-01T00:00:00");
        assert_eq!(
            iso(253_402_300_799, Second, true),
            "9999-12-31T23:59:59+00:00"
        );
        let mut out = Vec::new();
        assert!(write_timestamp(&mut out, i64::MIN, Second, b'T', true).is_err());
        assert!(write_timestamp(&mut out, -62_135_596_801, Second, b'T', true).is_err());
    }

    #[test]
    fn dates_and_times() {
        let mut out = Vec::new();
        write_date(&mut out, 19_724).unwrap();
        out.push(b' ');
        write_date64(&mut out, -1).unwrap();
        out.push(b' ');
        write_time(&mut out, 86_399_000_999, Microsecond).unwrap();
        out.push(b' ');
        write_time(&mut out, 3723, Second).unwrap();
        assert_eq!(out, b"2024-01-02 1969-12-31 23:59:59.000999 01:02:03");
        assert!(write_time(&mut Vec::new(), 86_400, Second).is_err());
    }
}
