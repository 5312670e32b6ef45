//! Numbers as Python writes them: integers, and floats as `repr(float)` (`1.5`, `1e+16`,
//! `1e-05`), which is how dlt renders a float in a SQL literal. (The float part of
//! `formats/csv/src/python.rs`; plugins cannot link each other.)

use std::io::Write as _;

/// Appends an integer.
pub fn write_int<I: itoa::Integer>(out: &mut Vec<u8>, v: I) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends Python's `repr(v)`: the shortest digits that round-trip, in fixed notation when the
/// decimal exponent is in -4..16 and scientific notation (`1e+16`, `1.5e-07`) otherwise.
pub fn write_float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    if v == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let (digits, exp) = shortest_digits(v.abs());
    let digits = digits.as_bytes();
    // The value is 0.DIGITS × 10^point.
    let point = exp + 1;
    if -4 < point && point <= 16 {
        write_fixed(out, digits, point);
    } else {
        write_scientific(out, digits, point - 1);
    }
}

/// The shortest round-trip digits of a positive finite `v` and the exponent of the first one
/// (`v = d.ddd × 10^exp`), without allocating.
fn shortest_digits(v: f64) -> (Digits, i32) {
    let mut text = [0u8; 32];
    let mut cursor = std::io::Cursor::new(&mut text[..]);
    // `{:e}` prints the shortest digits that round-trip, e.g. `1.2345e-7` (at most 23 bytes).
    let _ = write!(cursor, "{v:e}");
    let len = cursor.position() as usize;
    let text = &text[..len];
    let e = text.iter().position(|&b| b == b'e').unwrap_or(len);
    let exp = std::str::from_utf8(&text[e + 1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut digits = Digits::default();
    for &b in text[..e].iter().filter(|b| b.is_ascii_digit()) {
        digits.buf[digits.len] = b;
        digits.len += 1;
    }
    (digits, exp)
}

/// The significant digits (at most 17).
#[derive(Default)]
struct Digits {
    buf: [u8; 32],
    len: usize,
}

impl Digits {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn write_fixed(out: &mut Vec<u8>, digits: &[u8], point: i32) {
    let n = digits.len() as i32;
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-point) as usize, b'0');
        out.extend_from_slice(digits);
    } else if point >= n {
        out.extend_from_slice(digits);
        out.resize(out.len() + (point - n) as usize, b'0');
        out.extend_from_slice(b".0");
    } else {
        let (int, frac) = digits.split_at(point as usize);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    }
}

fn write_scientific(out: &mut Vec<u8>, digits: &[u8], exp: i32) {
    out.push(digits[0]);
    if digits.len() > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
    }
    out.push(b'e');
    out.push(if exp < 0 { b'-' } else { b'+' });
    if exp.unsigned_abs() < 10 {
        out.push(b'0');
    }
    write_int(out, exp.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_match_python_repr() {
        // Expected values printed by CPython 3.11 `repr(float)`.
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (52.5, "52.5"),
            (0.1, "0.1"),
            (1e-7, "1e-07"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (-12345.678, "-12345.678"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.30000000000000004, "0.30000000000000004"),
            (123456789.0, "123456789.0"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (v, want) in cases {
            assert_eq!(float(*v), *want, "{v:e}");
        }
        assert_eq!(float(f64::from(0.1f32)), "0.10000000149011612");
    }
}
