//! Comparing canonical values from an independent reader with what was written.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, TimeUnit};
use serde_json::Value;
use stowage_plugin_sdk::types::is_json_field;

/// How lenient a comparison is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Leniency<'a> {
    /// Columns the reader cannot represent (not compared).
    pub skip: &'a [&'a str],
    /// The reader cannot tell an empty string from null (Python's csv module).
    pub empty_is_null: bool,
}

/// Asserts that `actual` rows (canonical JSON from an independent reader, in row order) hold
/// the values of `expected`.
pub fn assert_rows(
    expected: &RecordBatch,
    actual: &[serde_json::Map<String, Value>],
    leniency: Leniency<'_>,
) {
    assert_eq!(actual.len(), expected.num_rows(), "row count");
    let schema = expected.schema();
    for (i, field) in schema.fields().iter().enumerate() {
        if leniency.skip.contains(&field.name().as_str()) {
            continue;
        }
        let column = expected.column(i);
        for (row, got) in actual.iter().enumerate() {
            let got = got.get(field.name()).unwrap_or(&Value::Null);
            if let Err(why) = same_value(field, column.as_ref(), row, got, leniency) {
                panic!(
                    "column `{}` row {row}: {why}\n  wrote {:?}\n  read  {got}",
                    field.name(),
                    column.slice(row, 1)
                );
            }
        }
    }
}

fn same_value(
    field: &Field,
    column: &dyn Array,
    row: usize,
    got: &Value,
    leniency: Leniency<'_>,
) -> Result<(), String> {
    if column.is_null(row) {
        let empty_ok = leniency.empty_is_null && matches!(got.as_str(), Some("s:") | Some("b:"));
        return if got.is_null() || empty_ok {
            Ok(())
        } else {
            Err("expected null".into())
        };
    }
    let want = canonical_value(field, column, row);
    if let (Value::String(w), Value::String(g)) = (&want, got) {
        return compare_text(field, w, g);
    }
    if want == *got {
        return Ok(());
    }
    let empty = matches!(want.as_str(), Some("s:") | Some("b:"));
    if leniency.empty_is_null && empty && got.is_null() {
        return Ok(());
    }
    Err(format!("expected {want}"))
}

fn compare_text(field: &Field, want: &str, got: &str) -> Result<(), String> {
    if let (Some(w), Some(g)) = (want.strip_prefix("f:"), got.strip_prefix("f:")) {
        let (w, g): (f64, f64) = (
            w.parse().unwrap(),
            g.parse().map_err(|_| format!("bad float {g}"))?,
        );
        return if w == g || (w.is_nan() && g.is_nan()) {
            Ok(())
        } else {
            Err(format!("expected float {w:e}"))
        };
    }
    if let Some(w) = want.strip_prefix("d:") {
        let g = got
            .strip_prefix("d:")
            .or_else(|| got.strip_prefix("s:"))
            .ok_or("expected a decimal")?;
        return if normal_decimal(w) == normal_decimal(g) {
            Ok(())
        } else {
            Err(format!("expected decimal {w}"))
        };
    }
    if is_json_field(field) {
        let parse = |s: &str| serde_json::from_str::<Value>(s.strip_prefix("s:").unwrap_or(s));
        return match (parse(want), parse(got)) {
            (Ok(w), Ok(g)) if w == g => Ok(()),
            _ => Err(format!("expected JSON {want}")),
        };
    }
    if want == got {
        Ok(())
    } else {
        Err(format!("expected {want:?}"))
    }
}

/// Decimal text without trailing fraction zeros (`10.500` → `10.5`, `-0.0` → `0`).
fn normal_decimal(text: &str) -> String {
    let t = text.trim();
    let t = if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.')
    } else {
        t
    };
    if t == "-0" { "0".into() } else { t.to_string() }
}

/// The canonical JSON of a value (see the module docs).
pub fn canonical_value(field: &Field, a: &dyn Array, i: usize) -> Value {
    let s = |v: String| Value::String(v);
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int8 => a.as_primitive::<Int8Type>().value(i).into(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(i).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).into(),
        DataType::Float64 => s(format!("f:{:e}", a.as_primitive::<Float64Type>().value(i))),
        DataType::Decimal128(_, scale) => s(format!(
            "d:{}",
            plain_decimal(
                &a.as_primitive::<Decimal128Type>().value(i).to_string(),
                *scale
            )
        )),
        DataType::Decimal256(_, scale) => s(format!(
            "d:{}",
            plain_decimal(
                &a.as_primitive::<Decimal256Type>().value(i).to_string(),
                *scale
            )
        )),
        DataType::Utf8 => s(format!("s:{}", a.as_string::<i32>().value(i))),
        DataType::Binary => s(format!("b:{}", hex(a.as_binary::<i32>().value(i)))),
        DataType::Date32 => s(format!("date:{}", a.as_primitive::<Date32Type>().value(i))),
        DataType::Time64(TimeUnit::Microsecond) => s(format!(
            "time:{}",
            a.as_primitive::<Time64MicrosecondType>().value(i)
        )),
        DataType::Timestamp(unit, tz) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i) * 1_000_000,
                TimeUnit::Millisecond => {
                    a.as_primitive::<TimestampMillisecondType>().value(i) * 1000
                }
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => a
                    .as_primitive::<TimestampNanosecondType>()
                    .value(i)
                    .div_euclid(1000),
            };
            s(format!("{}:{v}", if tz.is_some() { "tz" } else { "t" }))
        }
        other => panic!("no canonical form for {other} (column `{}`)", field.name()),
    }
}

/// `unscaled × 10^-scale` in plain notation.
pub fn plain_decimal(unscaled: &str, scale: i8) -> String {
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", unscaled),
    };
    if scale <= 0 {
        return format!("{sign}{digits}{}", "0".repeat(scale.unsigned_abs().into()));
    }
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
