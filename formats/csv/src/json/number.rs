//! Floats inside JSON values as orjson 3.13 writes them (the `zmij` crate: `1.0`, `0.00001`,
//! `1e-7`, `1e+16`; NaN and infinities become `null`).

/// Appends a float, or `null` when it is NaN or infinite.
pub(crate) fn write_f64_or_null(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_orjson_3_13() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (1e-7, "1e-7"),
            (1e-5, "0.00001"),
            (1e16, "1e+16"),
            (f64::NAN, "null"),
        ];
        for (v, want) in cases {
            let mut out = Vec::new();
            write_f64_or_null(&mut out, *v);
            assert_eq!(String::from_utf8(out).unwrap(), *want);
        }
    }
}
