//! Dates, times and timestamps as Python's `isoformat()` writes them (dlt's SQL literals), and
//! back. (A copy of `formats/csv/src/temporal.rs`, which writes `str()` with a space; plugins
//! cannot link each other. Keep the two in sync.)
//!
//! - date: `2024-01-02` (years 1..=9999, four digits);
//! - time: `01:02:03`, or `23:59:59.000999` when the microseconds are non-zero;
//! - timestamp: `2024-01-02T03:04:05.123456`, plus `+00:00` for time-zone aware columns.
//!
//! Python keeps microseconds, so finer units are floored to microseconds when written. The
//! parser takes what the writer writes plus common ISO 8601 variants: `T` instead of the
//! space, 1 to 9 fraction digits, `Z`, `±HH:MM`, `±HHMM` or `±HH` offsets.

use arrow_schema::TimeUnit;
use stowage_plugin_sdk::{PluginError, Result};

const MICROS_PER_DAY: i128 = 86_400_000_000;
const NANOS_PER_DAY: i128 = 86_400_000_000_000;
const MILLIS_PER_DAY: i64 = 86_400_000;

/// Nanoseconds per `unit`.
pub fn nanos_per(unit: TimeUnit) -> i128 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

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

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A cursor over the text being parsed.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let chunk = self.s.get(self.pos..self.pos + n)?;
        if !chunk.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(
            chunk
                .iter()
                .fold(0, |acc, b| acc * 10 + u32::from(b - b'0')),
        )
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.pos) == Some(&b) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn done(&self) -> bool {
        self.pos == self.s.len()
    }
}

/// Days since the epoch of `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<i32> {
    let mut c = Cursor {
        s: text.trim().as_bytes(),
        pos: 0,
    };
    let days = date_part(&mut c).filter(|_| c.done());
    days.and_then(|d| i32::try_from(d).ok())
        .ok_or_else(|| bad("date", text))
}

fn date_part(c: &mut Cursor<'_>) -> Option<i64> {
    let y = c.digits(4)?;
    let m = c.eat(b'-').then(|| c.digits(2))??;
    let d = c.eat(b'-').then(|| c.digits(2))??;
    let y = i64::from(y);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Nanoseconds since midnight of `HH:MM[:SS[.fffffffff]]`.
fn time_part(c: &mut Cursor<'_>) -> Option<i64> {
    let h = c.digits(2)?;
    let m = c.eat(b':').then(|| c.digits(2))??;
    let s = if c.eat(b':') { c.digits(2)? } else { 0 };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let mut nanos: i64 = 0;
    if c.eat(b'.') {
        let mut n = 0;
        while let Some(b @ b'0'..=b'9') = c.peek() {
            if n == 9 {
                return None;
            }
            nanos = nanos * 10 + i64::from(b - b'0');
            n += 1;
            c.pos += 1;
        }
        if n == 0 {
            return None;
        }
        nanos *= 10_i64.pow(9 - n);
    }
    Some((i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s)) * 1_000_000_000 + nanos)
}

/// A time of day in `unit` (sub-unit digits are floored).
pub fn parse_time(text: &str, unit: TimeUnit) -> Result<i64> {
    let mut c = Cursor {
        s: text.trim().as_bytes(),
        pos: 0,
    };
    let nanos = time_part(&mut c)
        .filter(|_| c.done())
        .ok_or_else(|| bad("time", text))?;
    Ok((i128::from(nanos) / nanos_per(unit)) as i64)
}

/// Offset in seconds east of UTC: `Z`, `±HH:MM`, `±HHMM` or `±HH`; none is UTC.
fn offset_part(c: &mut Cursor<'_>) -> Option<i64> {
    if c.done() {
        return Some(0);
    }
    if c.eat(b'Z') || c.eat(b'z') {
        return Some(0);
    }
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.pos += 1;
    let h = c.digits(2)?;
    let m = if c.eat(b':') {
        c.digits(2)?
    } else {
        c.digits(2).unwrap_or(0)
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (i64::from(h) * 3600 + i64::from(m) * 60))
}

/// A timestamp in `unit` since the epoch, in UTC (text without an offset is taken as UTC).
pub fn parse_timestamp(text: &str, unit: TimeUnit) -> Result<i64> {
    let trimmed = text.trim();
    let mut c = Cursor {
        s: trimmed.as_bytes(),
        pos: 0,
    };
    let parsed = (|| {
        let days = date_part(&mut c)?;
        let of_day = if c.eat(b' ') || c.eat(b'T') || c.eat(b't') {
            time_part(&mut c)?
        } else {
            0
        };
        let offset = offset_part(&mut c)?;
        c.done().then_some(())?;
        let nanos = i128::from(days) * NANOS_PER_DAY + i128::from(of_day)
            - i128::from(offset) * 1_000_000_000;
        i64::try_from(nanos.div_euclid(nanos_per(unit))).ok()
    })();
    parsed.ok_or_else(|| bad("timestamp", text))
}

fn bad(what: &str, text: &str) -> PluginError {
    PluginError::invalid(format!("`{text}` is not a valid {what}"))
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

    #[test]
    fn parses_what_it_writes_and_iso_variants() {
        let us = T * 1_000_000 + 123_456;
        for text in [
            "2024-01-02 03:04:05.123456+00:00",
            "2024-01-02T03:04:05.123456Z",
            "2024-01-02T05:04:05.123456+02:00",
            "2024-01-02T01:04:05.123456-0200",
            "2024-01-02 03:04:05.123456",
        ] {
            assert_eq!(parse_timestamp(text, Microsecond).unwrap(), us, "{text}");
        }
        assert_eq!(
            parse_timestamp("2024-01-02 03:04:05.123456789", Nanosecond).unwrap(),
            T * 1_000_000_000 + 123_456_789
        );
        assert_eq!(
            parse_timestamp("2024-01-02", Second).unwrap(),
            T - 3 * 3600 - 245
        );
        assert_eq!(
            parse_timestamp("1969-12-31 23:59:59.999999", Second).unwrap(),
            -1
        );
        assert_eq!(
            parse_timestamp("0001-01-01 00:00:00+00:00", Second).unwrap(),
            -62_135_596_800
        );
        assert_eq!(parse_date("2000-02-29").unwrap(), 11_016);
        assert_eq!(
            parse_time("23:59:59.000999", Microsecond).unwrap(),
            86_399_000_999
        );
        assert_eq!(parse_time("01:02", Second).unwrap(), 3720);
        for bad in ["2023-02-29", "2024-13-01", "24-01-02", "2024-01-02x", ""] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        for bad in ["25:00:00", "01:02:03.", "01:02:03.1234567890", "1:02:03"] {
            assert!(parse_time(bad, Microsecond).is_err(), "{bad}");
        }
        for bad in ["2024-01-02 03:04:05+25:00", "2024-01-02 03:04:05 UTC"] {
            assert!(parse_timestamp(bad, Microsecond).is_err(), "{bad}");
        }
    }
}
