//! Values and types the way dlt's normalizer sees them: the Python type of a JSON value, type
//! inference for new columns (with ISO timestamp detection), and coercion of a value into an
//! existing column's type (dlt's `coerce_value` dispatch table). A failed coercion means the
//! value goes to a variant column.

use std::borrow::Cow;

use base64::Engine;
use serde_json::Value;

use super::iso;
use crate::schema::DltType;

/// One coerced value, ready for an Arrow builder of its column type. Text borrows from the
/// input value when it can (no copy until the builder's buffer).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// `bool`
    Bool(bool),
    /// `bigint`
    Int(i64),
    /// `double`
    Double(f64),
    /// `text` or `json` (compact JSON text)
    Text(Cow<'a, str>),
    /// `timestamp`: microseconds since the epoch, UTC
    Timestamp(i64),
    /// `date`: days since the epoch
    Date(i32),
    /// `time`: microseconds since midnight
    Time(i64),
    /// `decimal`: value × 10⁹
    Decimal(i128),
    /// `binary`
    Binary(Vec<u8>),
}

/// The dlt type of a JSON value's Python type (`None` for null).
pub fn py_type(value: &Value) -> Option<DltType> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(_) => DltType::Bool,
        Value::Number(n) if n.is_i64() => DltType::Bigint,
        Value::Number(_) => DltType::Double,
        Value::String(_) => DltType::Text,
        Value::Array(_) | Value::Object(_) => DltType::Json,
    })
}

/// The type of a new column first seen with `value` (ISO timestamp strings are detected).
pub fn infer_type(value: &Value) -> Option<DltType> {
    match value {
        Value::String(s) if iso::parse_timestamp(s).is_some() => Some(DltType::Timestamp),
        other => py_type(other),
    }
}

/// Coerces `value` into a column of type `to`; `None` when it does not fit.
pub fn coerce(to: DltType, value: &Value) -> Option<Cell<'_>> {
    match (to, value) {
        (_, Value::Null) => None,
        (DltType::Text, v) => Some(Cell::Text(to_text(v))),
        (DltType::Json, Value::String(s)) => serde_json::from_str::<Value>(s)
            .ok()
            .map(|parsed| Cell::Text(Cow::Owned(parsed.to_string()))),
        (DltType::Json, v @ (Value::Array(_) | Value::Object(_))) => {
            Some(Cell::Text(Cow::Owned(v.to_string())))
        }
        (DltType::Bool, v) => to_bool(v).map(Cell::Bool),
        (DltType::Bigint, v) => to_bigint(v).map(Cell::Int),
        (DltType::Double, v) => to_double(v).map(Cell::Double),
        (DltType::Timestamp, v) => to_timestamp(v).map(Cell::Timestamp),
        (DltType::Date, v) => to_date(v).map(Cell::Date),
        (DltType::Time, Value::String(s)) => iso::parse_time(s).map(Cell::Time),
        (DltType::Decimal, v) => to_decimal(v).map(Cell::Decimal),
        (DltType::Binary, v) => to_binary(v).map(Cell::Binary),
        _ => None,
    }
}

/// dlt's text coercion: `str()` of scalars (Python's spelling), compact JSON of nested values.
fn to_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Bool(true) => Cow::Borrowed("True"),
        Value::Bool(false) => Cow::Borrowed("False"),
        Value::Number(n) if n.is_f64() => Cow::Owned(py_float_repr(n.as_f64().unwrap_or(f64::NAN))),
        Value::Number(n) => Cow::Owned(n.to_string()),
        other => Cow::Owned(other.to_string()),
    }
}

fn to_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => bool_word(s),
        _ => None,
    }
}

/// dlt's boolean spellings, case-insensitive (`s.lower()` in Python).
fn bool_word(s: &str) -> Option<bool> {
    const TRUE: [&str; 5] = ["yes", "true", "t", "y", "1"];
    const FALSE: [&str; 5] = ["no", "false", "f", "n", "0"];
    if s.len() > 5 || !s.is_ascii() {
        // Unicode lowercasing, exactly as before, outside the short-ASCII fast path.
        return match s.to_lowercase().as_str() {
            w if TRUE.contains(&w) => Some(true),
            w if FALSE.contains(&w) => Some(false),
            _ => None,
        };
    }
    if TRUE.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(true)
    } else if FALSE.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(false)
    } else {
        None
    }
}

fn to_bigint(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
        }),
        Value::String(s) => parse_py_int(s.trim()),
        _ => None,
    }
}

fn to_double(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim();
            if let Some(hex) = t.strip_prefix("0x") {
                return i64::from_str_radix(hex, 16).ok().map(|i| i as f64);
            }
            parse_py_float(t)
        }
        _ => None,
    }
}

fn to_timestamp(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => iso::parse_timestamp_or_date(s),
        Value::Number(n) => {
            let secs = n.as_f64()?;
            secs.is_finite().then(|| (secs * 1e6).round() as i64)
        }
        _ => None,
    }
}

fn to_date(value: &Value) -> Option<i32> {
    match value {
        Value::String(s) => iso::parse_date(s),
        Value::Number(n) => {
            let secs = n.as_f64()?;
            secs.is_finite().then(|| (secs / 86_400.0).floor() as i32)
        }
        _ => None,
    }
}

/// Decimal scale of dlt's default `decimal` column (38, 9).
const DECIMAL_SCALE: u32 = 9;

fn to_decimal(value: &Value) -> Option<i128> {
    let text = match value {
        Value::Number(n) if n.is_f64() => py_float_repr(n.as_f64()?),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    parse_decimal(&text)
}

/// `[-+]digits[.digits]` (also `1e5`-less plain forms) scaled by 10⁹; more scale than 9 fails.
fn parse_decimal(text: &str) -> Option<i128> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
        || frac_part.trim_end_matches('0').len() > DECIMAL_SCALE as usize
    {
        return None;
    }
    let frac: String = frac_part
        .chars()
        .chain(std::iter::repeat('0'))
        .take(DECIMAL_SCALE as usize)
        .collect();
    let int: i128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let scaled = int
        .checked_mul(10i128.pow(DECIMAL_SCALE))?
        .checked_add(frac.parse::<i128>().ok()?)?;
    Some(if negative { -scaled } else { scaled })
}

fn to_binary(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => match s.strip_prefix("0x") {
            Some(hex) => decode_hex(hex),
            None => base64::engine::general_purpose::STANDARD.decode(s).ok(),
        },
        Value::Number(n) => {
            let v = n.as_u64()?;
            let len = (64 - v.leading_zeros()).div_ceil(8) as usize;
            Some(v.to_le_bytes()[..len].to_vec())
        }
        _ => None,
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Python's `int(str)`: optional sign, digits with single `_` between them, or `0x` hex.
fn parse_py_int(t: &str) -> Option<i64> {
    if let Some(hex) = t.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    strip_py_underscores(t)?.parse().ok()
}

/// Python's `float(str)`: decimal or scientific, `inf`/`nan` spellings, `_` between digits.
fn parse_py_float(t: &str) -> Option<f64> {
    let cleaned = strip_py_underscores(t)?;
    let lower = cleaned.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "inf" | "infinity" | "nan") {
        return lower.parse().ok();
    }
    if !unsigned.bytes().any(|c| c.is_ascii_digit())
        || !unsigned
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
    {
        return None;
    }
    cleaned.parse().ok()
}

/// Removes `_` that sit between two digits; `None` if an `_` sits anywhere else.
fn strip_py_underscores(t: &str) -> Option<String> {
    let b = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let between =
                i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit();
            if !between {
                return None;
            }
            continue;
        }
        out.push(c as char);
    }
    Some(out)
}

/// Python's `repr(float)`: shortest round-trip digits, positional for exponents in [-4, 16),
/// scientific (`1e+16`, `1e-05`) otherwise, `inf`/`nan` spelled as Python does.
pub fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    if (-4..16).contains(&exp) {
        let plain = format!("{f}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_coercion_spells_values_like_python() {
        assert_eq!(
            coerce(DltType::Text, &json!(5)),
            Some(Cell::Text("5".into()))
        );
        assert_eq!(
            coerce(DltType::Text, &json!(true)),
            Some(Cell::Text("True".into()))
        );
        assert_eq!(
            coerce(DltType::Text, &json!(1.5)),
            Some(Cell::Text("1.5".into()))
        );
        assert_eq!(
            coerce(DltType::Text, &json!({"a": [1]})),
            Some(Cell::Text(r#"{"a":[1]}"#.into()))
        );
        assert_eq!(py_float_repr(1e16), "1e+16");
        assert_eq!(py_float_repr(1e-5), "1e-05");
        assert_eq!(py_float_repr(0.0001), "0.0001");
        assert_eq!(py_float_repr(2.0), "2.0");
        assert_eq!(py_float_repr(123456789012345.6), "123456789012345.6");
    }

    #[test]
    fn numeric_and_bool_coercions() {
        assert_eq!(
            coerce(DltType::Bigint, &json!("  42 ")),
            Some(Cell::Int(42))
        );
        assert_eq!(
            coerce(DltType::Bigint, &json!("1_000")),
            Some(Cell::Int(1000))
        );
        assert_eq!(coerce(DltType::Bigint, &json!("0x1f")), Some(Cell::Int(31)));
        assert_eq!(coerce(DltType::Bigint, &json!(2.0)), Some(Cell::Int(2)));
        assert_eq!(coerce(DltType::Bigint, &json!(2.5)), None);
        assert_eq!(coerce(DltType::Bigint, &json!("1.0")), None);
        assert_eq!(coerce(DltType::Bigint, &json!(true)), None);
        assert_eq!(
            coerce(DltType::Double, &json!("1e3")),
            Some(Cell::Double(1000.0))
        );
        assert_eq!(coerce(DltType::Double, &json!("abc")), None);
        assert_eq!(coerce(DltType::Double, &json!(3)), Some(Cell::Double(3.0)));
        assert_eq!(coerce(DltType::Bool, &json!("yes")), Some(Cell::Bool(true)));
        assert_eq!(coerce(DltType::Bool, &json!(0)), Some(Cell::Bool(false)));
        assert_eq!(coerce(DltType::Bool, &json!("maybe")), None);
    }

    #[test]
    fn json_temporal_decimal_and_binary() {
        assert_eq!(
            coerce(DltType::Json, &json!("[1, 2]")),
            Some(Cell::Text("[1,2]".into()))
        );
        assert_eq!(coerce(DltType::Json, &json!("not json")), None);
        assert_eq!(coerce(DltType::Json, &json!(5)), None);
        assert!(matches!(
            coerce(DltType::Timestamp, &json!("2024-01-02")),
            Some(Cell::Timestamp(_))
        ));
        assert_eq!(
            coerce(DltType::Timestamp, &json!(1)),
            Some(Cell::Timestamp(1_000_000))
        );
        assert_eq!(
            coerce(DltType::Decimal, &json!("10.50")),
            Some(Cell::Decimal(10_500_000_000))
        );
        assert_eq!(coerce(DltType::Decimal, &json!("0.0000000001")), None);
        assert_eq!(
            coerce(DltType::Binary, &json!("0x0102")),
            Some(Cell::Binary(vec![1, 2]))
        );
        assert_eq!(
            coerce(DltType::Binary, &json!("AAFoaQ==")),
            Some(Cell::Binary(vec![0, 1, 104, 105]))
        );
        assert_eq!(
            infer_type(&json!("2024-01-02T03:04:05Z")),
            Some(DltType::Timestamp)
        );
        assert_eq!(infer_type(&json!("2024-01-02")), Some(DltType::Text));
    }
}
