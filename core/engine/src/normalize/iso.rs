//! ISO-8601 date/time strings as dlt detects and parses them (pendulum's `parse_iso8601`):
//! `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]`, also the basic forms `YYYYMMDD` and
//! `HHMMSS`. A naive value is UTC. Fractions beyond microseconds are truncated.

use stowage_format_support::temporal::calendar::{days_from_civil, days_in_month};

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// A parsed timestamp: microseconds since the epoch, UTC.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let (days, rest) = split_date(s)?;
    let rest = rest.strip_prefix(['T', ' '])?;
    let (time_micros, offset_secs) = parse_time_and_offset(rest)?;
    Some(i64::from(days) * DAY_MICROS + time_micros - offset_secs * 1_000_000)
}

/// A timestamp or, failing that, a date at midnight UTC (what `ensure_datetime` accepts).
pub fn parse_timestamp_or_date(s: &str) -> Option<i64> {
    parse_timestamp(s).or_else(|| parse_date(s).map(|d| i64::from(d) * DAY_MICROS))
}

/// Days since the epoch of a `YYYY-MM-DD` (or `YYYYMMDD`) date; a timestamp string gives its
/// UTC day.
pub fn parse_date(s: &str) -> Option<i32> {
    if let Some((days, "")) = split_date(s) {
        return Some(days);
    }
    parse_timestamp(s).map(|micros| micros.div_euclid(DAY_MICROS) as i32)
}

/// Microseconds since midnight of `HH:MM[:SS[.fraction]]`.
pub fn parse_time(s: &str) -> Option<i64> {
    let (micros, offset) = parse_time_and_offset(s)?;
    (offset == 0).then_some(micros)
}

/// The leading date of `s` as days since the epoch (a valid proleptic Gregorian date), and
/// the rest of `s`.
fn split_date(s: &str) -> Option<(i32, &str)> {
    let b = s.as_bytes();
    let (y, m, d, len) = if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?, 10)
    } else if b.len() >= 8 && b[..8].iter().all(u8::is_ascii_digit) {
        (num(&b[0..4])?, num(&b[4..6])?, num(&b[6..8])?, 8)
    } else {
        return None;
    };
    let y = i64::from(y);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    // The date's bytes are ASCII digits and dashes, so `len` is a char boundary.
    Some((days_from_civil(y, m, d) as i32, &s[len..]))
}

/// A non-empty run of ASCII digits as a number.
fn num(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u32, |n, c| {
        n.checked_mul(10)?.checked_add(u32::from(c - b'0'))
    })
}

/// `HH:MM[:SS[.f]]` or `HHMM[SS[.f]]`, then an optional zone; returns (micros, offset secs).
fn parse_time_and_offset(s: &str) -> Option<(i64, i64)> {
    if let Some(parsed) = extended_time_and_offset(s.as_bytes()) {
        return Some(parsed);
    }
    let zone_at = s
        .bytes()
        .position(|c| matches!(c, b'Z' | b'+' | b'-'))
        .unwrap_or(s.len());
    // The zone starts at an ASCII byte: a char boundary.
    let (clock, zone) = s.split_at(zone_at);
    let micros = parse_clock(clock)?;
    let offset = parse_zone(zone)?;
    Some((micros, offset))
}

/// The common layout `HH:MM:SS[.f…][Z|±HH|±HHMM|±HH:MM]`, without the general parser's
/// splitting; `None` when `b` has any other layout or an out-of-range field (the general
/// parser then decides).
fn extended_time_and_offset(b: &[u8]) -> Option<(i64, i64)> {
    let two = |at: usize| -> Option<i64> {
        let (hi, lo) = (*b.get(at)?, *b.get(at + 1)?);
        (hi.is_ascii_digit() && lo.is_ascii_digit())
            .then(|| i64::from(hi - b'0') * 10 + i64::from(lo - b'0'))
    };
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, sec) = (two(0)?, two(3)?, two(6)?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut at = 8;
    let mut micros = 0;
    if matches!(b.get(at), Some(b'.' | b',')) {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        for i in 0..6 {
            let digit = if i < digits { b[at + 1 + i] - b'0' } else { 0 };
            micros = micros * 10 + i64::from(digit);
        }
        at += 1 + digits;
    }
    let zone = &b[at..];
    let offset = match zone {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (zh, zm) = match rest.len() {
                2 => (two(at + 1)?, 0),
                4 => (two(at + 1)?, two(at + 3)?),
                5 if rest[2] == b':' => (two(at + 1)?, two(at + 4)?),
                _ => return None,
            };
            if zh > 23 || zm > 59 {
                return None;
            }
            let secs = zh * 3600 + zm * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    Some(((h * 3600 + m * 60 + sec) * 1_000_000 + micros, offset))
}

fn parse_clock(clock: &str) -> Option<i64> {
    let (main, fraction) = match clock.bytes().position(|c| c == b'.' || c == b',') {
        Some(at) => (&clock[..at], Some(&clock[at + 1..])),
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
    let (h, m) = (num(parts[0].as_bytes())?, num(parts[1].as_bytes())?);
    let sec = if count == 3 {
        num(parts[2].as_bytes())?
    } else {
        0
    };
    if fraction.is_some() && count != 3 {
        return None;
    }
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
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
    let body = &zone.as_bytes()[1..];
    let (h, m) = match body.len() {
        2 => (num(body)?, 0),
        4 => (num(&body[..2])?, num(&body[2..])?),
        5 if body[2] == b':' => (num(&body[..2])?, num(&body[3..])?),
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
    fn dates_match_chrono() {
        use chrono::{Datelike, NaiveDate};
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)
            .unwrap()
            .num_days_from_ce();
        for y in (0..=2500).step_by(7).chain([1900, 2000, 2024, 2100]) {
            for m in 1..=12 {
                for d in [1, 28, 29, 30, 31] {
                    let text = format!("{y:04}-{m:02}-{d:02}");
                    let want =
                        NaiveDate::from_ymd_opt(y, m, d).map(|x| x.num_days_from_ce() - epoch);
                    assert_eq!(parse_date(&text), want, "{text}");
                }
            }
        }
        assert_eq!(parse_date("2024-0€-01"), None);
        assert_eq!(parse_timestamp("2024-01-02T0€:00"), None);
        assert_eq!(parse_timestamp("2024-01-02Ta€"), None);
    }

    /// The fast path agrees with the general parser wherever it answers.
    #[test]
    fn extended_layout_matches_the_general_parser() {
        let general = |s: &str| {
            let zone_at = s.find(['Z', '+', '-']).unwrap_or(s.len());
            let (clock, zone) = s.split_at(zone_at);
            Some((parse_clock(clock)?, parse_zone(zone)?))
        };
        let clocks = [
            "00:00:00", "23:59:59", "12:34:56", "24:00:00", "12:60:00", "1:2:3",
        ];
        let fractions = ["", ".5", ",123456789", ".", ".x", ".000001"];
        let zones = [
            "", "Z", "+02:00", "-05:30", "+0530", "+05", "+24:00", "-00:60", "+5", "z",
        ];
        for c in clocks {
            for f in fractions {
                for z in zones {
                    let s = format!("{c}{f}{z}");
                    if let Some(fast) = extended_time_and_offset(s.as_bytes()) {
                        assert_eq!(Some(fast), general(&s), "{s}");
                    }
                    assert_eq!(parse_time_and_offset(&s), general(&s), "{s}");
                }
            }
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
