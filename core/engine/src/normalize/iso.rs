//! ISO-8601 date/time strings as dlt detects and parses them (pendulum's `parse_iso8601`):
//! `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]`, also the basic forms `YYYYMMDD` and
//! `HHMMSS`. A naive value is UTC. Fractions beyond microseconds are truncated.

use chrono::{Datelike, NaiveDate, NaiveTime};

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// A parsed timestamp: microseconds since the epoch, UTC.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let (date, rest) = split_date(s)?;
    let rest = rest.strip_prefix(['T', ' '])?;
    let (time_micros, offset_secs) = parse_time_and_offset(rest)?;
    let days = i64::from(date_to_days(date));
    Some(days * DAY_MICROS + time_micros - offset_secs * 1_000_000)
}

/// A timestamp or, failing that, a date at midnight UTC (what `ensure_datetime` accepts).
pub fn parse_timestamp_or_date(s: &str) -> Option<i64> {
    parse_timestamp(s).or_else(|| parse_date(s).map(|d| i64::from(d) * DAY_MICROS))
}

/// Days since the epoch of a `YYYY-MM-DD` (or `YYYYMMDD`) date; a timestamp string gives its
/// UTC day.
pub fn parse_date(s: &str) -> Option<i32> {
    if let Some((date, "")) = split_date(s) {
        return Some(date_to_days(date));
    }
    parse_timestamp(s).map(|micros| micros.div_euclid(DAY_MICROS) as i32)
}

/// Microseconds since midnight of `HH:MM[:SS[.fraction]]`.
pub fn parse_time(s: &str) -> Option<i64> {
    let (micros, offset) = parse_time_and_offset(s)?;
    (offset == 0).then_some(micros)
}

fn date_to_days(date: NaiveDate) -> i32 {
    /// `num_days_from_ce` of 1970-01-01.
    const EPOCH_DAYS_FROM_CE: i32 = 719_163;
    date.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

fn split_date(s: &str) -> Option<(NaiveDate, &str)> {
    let b = s.as_bytes();
    let (y, m, d, len) = if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        (num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?, 10)
    } else if b.len() >= 8 && b[..8].iter().all(u8::is_ascii_digit) {
        (num(&s[0..4])?, num(&s[4..6])?, num(&s[6..8])?, 8)
    } else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(y as i32, m, d)?;
    Some((date, &s[len..]))
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `HH:MM[:SS[.f]]` or `HHMM[SS[.f]]`, then an optional zone; returns (micros, offset secs).
fn parse_time_and_offset(s: &str) -> Option<(i64, i64)> {
    let zone_at = s.find(['Z', '+', '-']).unwrap_or(s.len());
    let (clock, zone) = s.split_at(zone_at);
    let micros = parse_clock(clock)?;
    let offset = parse_zone(zone)?;
    Some((micros, offset))
}

fn parse_clock(clock: &str) -> Option<i64> {
    let (main, fraction) = match clock.split_once(['.', ',']) {
        Some((main, f)) => (main, Some(f)),
        None => (clock, None),
    };
    // Up to three two-digit parts: `HH:MM[:SS]` or `HHMM[SS]`.
    let mut parts = [""; 3];
    let count = if main.contains(':') {
        let mut n = 0;
        for part in main.split(':') {
            if n == parts.len() {
                return None;
            }
            parts[n] = part;
            n += 1;
        }
        n
    } else if main.len() == 4 || main.len() == 6 {
        let n = main.len() / 2;
        for (i, slot) in parts.iter_mut().enumerate().take(n) {
            *slot = main.get(2 * i..2 * i + 2)?;
        }
        n
    } else {
        return None;
    };
    if count < 2 || parts[..count].iter().any(|p| p.len() != 2) {
        return None;
    }
    let (h, m) = (num(parts[0])?, num(parts[1])?);
    let sec = if count == 3 { num(parts[2])? } else { 0 };
    if fraction.is_some() && count != 3 {
        return None;
    }
    NaiveTime::from_hms_opt(h, m, sec)?;
    let micros = match fraction {
        None => 0,
        Some(f) => fraction_micros(f)?,
    };
    Some(i64::from(h * 3600 + m * 60 + sec) * 1_000_000 + micros)
}

/// The first six digits of a fraction as microseconds (shorter fractions padded with zeros).
fn fraction_micros(f: &str) -> Option<i64> {
    if f.is_empty() || !f.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut micros = 0i64;
    for i in 0..6 {
        let digit = f.as_bytes().get(i).map_or(0, |c| i64::from(c - b'0'));
        micros = micros * 10 + digit;
    }
    Some(micros)
}

fn parse_zone(zone: &str) -> Option<i64> {
    if zone.is_empty() || zone == "Z" {
        return Some(0);
    }
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &zone[1..];
    let (h, m) = match body.len() {
        2 => (num(body)?, 0),
        4 => (num(&body[..2])?, num(&body[2..])?),
        5 if body.as_bytes()[2] == b':' => (num(&body[..2])?, num(&body[3..])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases checked against dlt 1.31's `is_iso_timestamp` (see the normalization table).
    #[test]
    fn detects_what_dlt_detects() {
        let yes = [
            "2024-01-02T03:04:05",
            "2024-01-02 03:04:05",
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.123+02:00",
            "2024-01-02T03:04",
            "20240102T030405",
            "2024-01-02T03:04:05+0200",
            "2024-01-02T03:04:05.1234567Z",
        ];
        let no = [
            "2024",
            "2024-01",
            "2024-01-02",
            "12:30",
            "1",
            "abc",
            "2024-13-01T00:00:00",
            "2024-01-02T24:00:00",
            "2024-01-02t03:04:05z",
            " 2024-01-02T03:04:05",
            "2024-01-02T03:04:05 ",
            "",
        ];
        for s in yes {
            assert!(parse_timestamp(s).is_some(), "{s:?} should be a timestamp");
        }
        for s in no {
            assert!(
                parse_timestamp(s).is_none(),
                "{s:?} should not be a timestamp"
            );
        }
    }

    #[test]
    fn converts_offsets_to_utc() {
        let utc = parse_timestamp("2024-01-02T01:04:05Z").unwrap();
        assert_eq!(parse_timestamp("2024-01-02T03:04:05+02:00"), Some(utc));
        assert_eq!(parse_timestamp("2024-01-02 01:04:05"), Some(utc));
        assert_eq!(
            parse_timestamp("2024-01-02T01:04:05.1234567Z"),
            Some(utc + 123_456)
        );
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_time("01:00:00.5"), Some(3_600_500_000));
    }
}
