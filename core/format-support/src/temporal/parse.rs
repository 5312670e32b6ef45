//! Parsing what [`super::write`] writes, plus common ISO 8601 variants.

use arrow_schema::TimeUnit;
use stowage_plugin_sdk::{PluginError, Result};

use super::calendar::{days_from_civil, days_in_month};
use super::nanos_per;

const NANOS_PER_DAY: i128 = 86_400_000_000_000;

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

    // 2024-01-02T03:04:05Z
    const T: i64 = 1_704_164_645;

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
