//! Dates, times and timestamps as orjson writes them: JSON strings holding Python's
//! `isoformat()` (`"2024-01-02"`, `"23:59:59.000999"`, `"2024-01-02T03:04:05.123456+00:00"`).
//!
//! The text itself comes from [`stowage_format_support::temporal`] (years 1..=9999, finer units
//! floored to microseconds); this module adds the quotes and the `T` separator.

use arrow_schema::TimeUnit;
use stowage_format_support::temporal as text;
use stowage_plugin_sdk::Result;

/// Appends `"YYYY-MM-DD"` (quoted) for days since the epoch.
pub(crate) fn write_date(out: &mut Vec<u8>, days: i64) -> Result<()> {
    quoted(out, |out| text::write_date(out, days))
}

/// Appends a quoted Date64 (milliseconds since the epoch, time of day ignored).
pub(crate) fn write_date64(out: &mut Vec<u8>, millis: i64) -> Result<()> {
    quoted(out, |out| text::write_date64(out, millis))
}

/// Appends a quoted time of day given in `unit` since midnight.
pub(crate) fn write_time(out: &mut Vec<u8>, value: i64, unit: TimeUnit) -> Result<()> {
    quoted(out, |out| text::write_time(out, value, unit))
}

/// Appends a quoted timestamp; `utc` adds the `+00:00` offset.
pub(crate) fn write_timestamp(
    out: &mut Vec<u8>,
    value: i64,
    unit: TimeUnit,
    utc: bool,
) -> Result<()> {
    quoted(out, |out| {
        text::write_timestamp(out, value, unit, b'T', utc)
    })
}

/// Runs `write` between two `"` (on error `out` may hold a partial value; callers discard it).
fn quoted(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
    out.push(b'"');
    write(out)?;
    out.push(b'"');
    Ok(())
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
