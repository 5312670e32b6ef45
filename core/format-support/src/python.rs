//! Values as Python's `str()` writes them, which is what dlt's csv writer puts in a cell and
//! how dlt renders numbers in SQL literals: integers, floats as `repr(float)` (`1.5`, `1e+16`,
//! `1e-05`, `nan`, `-inf`), booleans as `True` / `False`, decimals as `str(Decimal)` (`10.50`,
//! `1E-10`; also what dlt's jsonl writer puts in a decimal's JSON string).

use std::io::Write as _;

/// Appends an integer.
pub fn write_int<I: itoa::Integer>(out: &mut Vec<u8>, v: I) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends `True` or `False`.
pub fn write_bool(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(if v { b"True" } else { b"False" });
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

/// Appends Python's `str(Decimal)` of `unscaled * 10^-scale`.
///
/// `digits` are the ASCII digits of the absolute unscaled value (no leading zeros, `"0"` for 0).
pub fn write_decimal_digits(out: &mut Vec<u8>, negative: bool, digits: &[u8], scale: i8) {
    let exp = -i64::from(scale);
    let n = digits.len() as i64;
    let left_digits = exp + n;
    // Python: plain notation when exp <= 0 and adjusted exponent >= -6.
    let dot = if exp <= 0 && left_digits > -6 {
        left_digits
    } else {
        1
    };
    if negative {
        out.push(b'-');
    }
    if dot <= 0 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-dot) as usize, b'0');
        out.extend_from_slice(digits);
    } else if dot >= n {
        out.extend_from_slice(digits);
        out.resize(out.len() + (dot - n) as usize, b'0');
    } else {
        let (int, frac) = digits.split_at(dot as usize);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    }
    if left_digits != dot {
        let e = left_digits - dot;
        out.extend_from_slice(if e < 0 { b"E-" } else { b"E+" });
        write_int(out, e.unsigned_abs());
    }
}

/// Appends an `i128`-backed decimal as Python's `str(Decimal)`.
pub fn write_decimal_i128(out: &mut Vec<u8>, unscaled: i128, scale: i8) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(unscaled.unsigned_abs());
    write_decimal_digits(out, unscaled < 0, digits.as_bytes(), scale);
}

/// Appends a Decimal256 as Python's `str(Decimal)`.
pub fn write_decimal_i256(out: &mut Vec<u8>, unscaled: arrow_buffer::i256, scale: i8) {
    let text = unscaled.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(abs) => (true, abs),
        None => (false, text.as_str()),
    };
    write_decimal_digits(out, negative, digits.as_bytes(), scale);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn dec(v: i128, scale: i8) -> String {
        let mut out = Vec::new();
        write_decimal_i128(&mut out, v, scale);
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

    #[test]
    fn decimals_match_python_str() {
        assert_eq!(dec(1050, 2), "10.50");
        assert_eq!(dec(3, 0), "3");
        assert_eq!(dec(0, 0), "0");
        assert_eq!(dec(0, 2), "0.00");
        assert_eq!(dec(-1050, 2), "-10.50");
        assert_eq!(dec(5, 2), "0.05");
        assert_eq!(dec(1, 6), "0.000001");
        assert_eq!(dec(1, 7), "1E-7");
        assert_eq!(dec(1, 10), "1E-10");
        assert_eq!(dec(0, 10), "0E-10");
        assert_eq!(dec(12345, 10), "0.0000012345");
        assert_eq!(dec(123, 10), "1.23E-8");
        assert_eq!(dec(3, -2), "3E+2");
        assert_eq!(dec(0, -2), "0E+2");
        assert_eq!(
            dec(i128::MIN, 0),
            "-170141183460469231731687303715884105728"
        );
        let mut out = Vec::new();
        write_decimal_i256(&mut out, arrow_buffer::i256::from_i128(-1050), 2);
        assert_eq!(out, b"-10.50");
    }

    #[test]
    fn ints() {
        let mut out = Vec::new();
        write_int(&mut out, 4611686018427387904i64);
        out.push(b' ');
        write_int(&mut out, u64::MAX);
        out.push(b' ');
        write_int(&mut out, i64::MIN);
        assert_eq!(
            out,
            b"4611686018427387904 18446744073709551615 -9223372036854775808"
        );
    }

    #[test]
    fn booleans() {
        let mut out = Vec::new();
        write_bool(&mut out, true);
        write_bool(&mut out, false);
        assert_eq!(out, b"TrueFalse");
    }
}
