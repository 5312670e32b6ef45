//! Numbers as orjson writes them: integers in full, floats in the shortest round-trip form of
//! orjson 3.13 (the `zmij` crate: `1.0`, `0.00001`, `1e-7`, `1e+16`), and decimals as Python's
//! `str(Decimal)` (`"10.50"`, `"3"`, `"1E-10"`, `"3E+2"`).

/// Appends an integer.
pub(crate) fn write_int<I: itoa::Integer>(out: &mut Vec<u8>, v: I) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends a finite float (callers handle NaN and infinities).
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    debug_assert!(v.is_finite());
    out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
}

/// Appends a float, or `null` when it is NaN or infinite (orjson's rule inside nested values).
pub(crate) fn write_f64_or_null(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        write_f64(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Appends the Python `str(Decimal)` text of `unscaled * 10^-scale`, unquoted.
///
/// `digits` are the ASCII digits of the absolute unscaled value (no leading zeros, `"0"` for 0).
pub(crate) fn write_decimal_digits(out: &mut Vec<u8>, negative: bool, digits: &[u8], scale: i8) {
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

/// Appends an `i128`-backed decimal (Decimal32/64/128) as Python's `str(Decimal)`.
pub(crate) fn write_decimal_i128(out: &mut Vec<u8>, unscaled: i128, scale: i8) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(unscaled.unsigned_abs());
    write_decimal_digits(out, unscaled < 0, digits.as_bytes(), scale);
}

/// Appends a Decimal256 as Python's `str(Decimal)`.
pub(crate) fn write_decimal_i256(out: &mut Vec<u8>, unscaled: arrow_buffer::i256, scale: i8) {
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
        write_f64_or_null(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn dec(v: i128, scale: i8) -> String {
        let mut out = Vec::new();
        write_decimal_i128(&mut out, v, scale);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_match_orjson_3_13() {
        // Expected values produced by `orjson.dumps` 3.13.0.
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (52.5, "52.5"),
            (0.1, "0.1"),
            (1e-7, "1e-7"),
            (1e-5, "0.00001"),
            (0.0001, "0.0001"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1e22, "1e+22"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (-0.0, "-0.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (12345.678, "12345.678"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
        ];
        for (v, want) in cases {
            assert_eq!(float(*v), *want, "{v:e}");
        }
    }

    #[test]
    fn f32_widens_like_python() {
        assert_eq!(float(f64::from(0.1f32)), "0.10000000149011612");
        assert_eq!(float(f64::from(1.5f32)), "1.5");
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
    }

    #[test]
    fn decimal256() {
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
}
