//! CSV field → JSON value, the way a user expects from a CSV reader.
//!
//! * quoted fields are always text (`"007"` stays `"007"`; quoting states the type, as Python's
//!   `csv.QUOTE_NONNUMERIC` and dlt's own CSV writer use it); a quoted empty field is `""`;
//! * an empty unquoted field is null (left out of the record);
//! * `true`/`false` (also `True`/`TRUE`, `False`/`FALSE`) are booleans;
//! * integers without leading zeros that fit 64 bits are numbers; longer ones stay text (no
//!   silent rounding) and so do zero-padded ones (`007`, zip codes);
//! * decimals and floats (`1.5`, `-.5`, `2.`, `1e-3`) are numbers; `nan`/`inf` stay text;
//! * everything else is text, unchanged (ISO timestamps included: the normalizer detects them).
//!
//! Surrounding spaces or tabs are ignored when recognizing a number or boolean.

use serde_json::{Number, Value};

use super::record::Field;

/// The value of `field`; `None` for null.
pub(super) fn typed_value(field: Field) -> Option<Value> {
    if field.quoted {
        return Some(Value::String(field.text));
    }
    if field.text.is_empty() {
        return None;
    }
    Some(scalar(field.text.trim_matches([' ', '\t'])).unwrap_or(Value::String(field.text)))
}

/// A boolean or number spelled by `t`, if any.
fn scalar(t: &str) -> Option<Value> {
    match t {
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let shape = number_shape(t)?;
    if shape == Shape::Integer {
        return t.parse::<i64>().ok().map(Value::from);
    }
    t.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Integer,
    Float,
}

/// Whether `t` is `-?int(.frac)?(e[+-]?exp)?` with no leading zeros in `int`.
fn number_shape(t: &str) -> Option<Shape> {
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let frac_digits = frac.unwrap_or("");
    let well_formed = digits(int)
        && digits(frac_digits)
        && !(int.is_empty() && frac_digits.is_empty())
        && !(int.len() > 1 && int.starts_with('0'));
    if !well_formed {
        return None;
    }
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp.is_empty() || !digits(exp) {
            return None;
        }
    }
    match (frac, exponent) {
        (None, None) => Some(Shape::Integer),
        _ => Some(Shape::Float),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn unquoted(text: &str) -> Option<Value> {
        typed_value(Field {
            text: text.into(),
            quoted: false,
        })
    }

    #[test]
    fn unquoted_fields_get_natural_types() {
        let cases = [
            ("1", json!(1)),
            ("-42", json!(-42)),
            ("0", json!(0)),
            (" 7 ", json!(7)),
            ("9223372036854775807", json!(i64::MAX)),
            ("1.5", json!(1.5)),
            ("-0.25", json!(-0.25)),
            (".5", json!(0.5)),
            ("2.", json!(2.0)),
            ("1e3", json!(1000.0)),
            ("6.02E+23", json!(6.02e23)),
            ("true", json!(true)),
            ("FALSE", json!(false)),
            ("True", json!(true)),
        ];
        for (text, want) in cases {
            assert_eq!(unquoted(text), Some(want), "{text:?}");
        }
    }

    #[test]
    fn text_that_only_looks_numeric_stays_text() {
        for text in [
            "007",
            "00.5",
            "+1",
            "+4917612345678",
            "9223372036854775808",
            "1e",
            "1e400",
            ".",
            "-",
            "1.2.3",
            "1,5",
            "nan",
            "inf",
            "NULL",
            "yes",
            "2024-01-02T03:04:05Z",
            "2024-01-02",
            " ",
        ] {
            assert_eq!(unquoted(text), Some(json!(text)), "{text:?}");
        }
    }

    #[test]
    fn empty_unquoted_is_null_and_quoted_is_always_text() {
        assert_eq!(unquoted(""), None);
        let quoted = |text: &str| {
            typed_value(Field {
                text: text.into(),
                quoted: true,
            })
        };
        assert_eq!(quoted(""), Some(json!("")));
        assert_eq!(quoted("12"), Some(json!("12")));
        assert_eq!(quoted("true"), Some(json!("true")));
    }
}
