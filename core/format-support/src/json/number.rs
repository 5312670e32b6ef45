//! Numbers as orjson writes them: integers in full, floats in the shortest round-trip form of
//! orjson 3.13 (the `zmij` crate: `1.0`, `0.00001`, `1e-7`, `1e+16`), and decimals as Python's
//! `str(Decimal)` (`"10.50"`, `"3"`, `"1E-10"`, `"3E+2"`; the caller adds the quotes).
//!
//! Integers and decimals are written exactly as [`crate::python`] writes them (re-exported here).

pub use crate::python::{write_decimal_digits, write_decimal_i128, write_decimal_i256, write_int};

/// Appends a finite float (callers handle NaN and infinities).
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    debug_assert!(v.is_finite());
    out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
}

/// Appends a float, or `null` when it is NaN or infinite (orjson's rule inside nested values).
pub fn write_f64_or_null(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        write_f64(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64) -> String {
        let mut out = Vec::new();
        write_f64_or_null(&mut out, v);
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
}
