//! One renderer per column: the cell text of a row as dlt's csv writer produces it (Python's
//! `str()` of the value dlt holds), and whether the value counts as a number for quoting.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType};
use arrow_schema::{DataType, Field, TimeUnit};
use stowage_format_support::json;
use stowage_plugin_sdk::types::is_json_field;
use stowage_plugin_sdk::{PluginError, Result};

use crate::{python, temporal};

/// How a value is quoted under `quote_needed` (Python's `QUOTE_NONNUMERIC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Integers, floats, decimals and booleans: written bare.
    Number,
    /// Everything else: quoted.
    Text,
}

type WriteFn = Box<dyn Fn(usize, &mut Vec<u8>) -> Result<()> + Send>;

/// Renders the cells of one column.
pub struct CellRenderer {
    /// Quoting class of the column's values.
    pub kind: CellKind,
    array: ArrayRef,
    json: bool,
    write: WriteFn,
}

impl std::fmt::Debug for CellRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellRenderer")
            .field("kind", &self.kind)
            .field("data_type", self.array.data_type())
            .finish_non_exhaustive()
    }
}

impl CellRenderer {
    /// A renderer for `array` (a column described by `field`).
    pub fn new(field: &Field, array: &ArrayRef) -> Result<CellRenderer> {
        let array = plain(array)?;
        let json = is_json_field(field);
        let (kind, write) = writer_for(&array, json).ok_or_else(|| {
            PluginError::unsupported(format!(
                "csv cannot hold values of type {} (column `{}`)",
                array.data_type(),
                field.name()
            ))
        })?;
        Ok(CellRenderer {
            kind,
            array,
            json,
            write,
        })
    }

    /// Appends the text of `row`; returns false (and appends nothing) for a null.
    pub fn write(&self, row: usize, out: &mut Vec<u8>) -> Result<bool> {
        if self.array.is_null(row) || self.array.data_type() == &DataType::Null {
            return Ok(false);
        }
        if self.json {
            let text = text_value(&self.array, row);
            if json::is_null_literal(text) {
                return Ok(false);
            }
        }
        (self.write)(row, out)?;
        Ok(true)
    }
}

/// The array with dictionary and run-end encodings decoded.
fn plain(array: &ArrayRef) -> Result<ArrayRef> {
    let target = match array.data_type() {
        DataType::Dictionary(_, value) => value.as_ref().clone(),
        DataType::RunEndEncoded(_, values) => values.data_type().clone(),
        _ => return Ok(array.clone()),
    };
    arrow_cast::cast(array, &target).map_err(|e| {
        PluginError::unsupported(format!("cannot decode a {} column: {e}", array.data_type()))
    })
}

/// The string at `row` of a string column (empty for other types).
fn text_value(array: &ArrayRef, row: usize) -> &str {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row),
        DataType::Utf8View => array.as_string_view().value(row),
        _ => "",
    }
}

fn writer_for(array: &ArrayRef, json: bool) -> Option<(CellKind, WriteFn)> {
    use CellKind::*;
    let a = array.clone();
    let w: (CellKind, WriteFn) = match array.data_type() {
        DataType::Null => (Text, Box::new(|_, _| Ok(()))),
        DataType::Boolean => {
            let a = a.as_boolean().clone();
            (
                Number,
                Box::new(move |i, out| {
                    python::write_bool(out, a.value(i));
                    Ok(())
                }),
            )
        }
        DataType::Int8 => int::<Int8Type>(a),
        DataType::Int16 => int::<Int16Type>(a),
        DataType::Int32 => int::<Int32Type>(a),
        DataType::Int64 => int::<Int64Type>(a),
        DataType::UInt8 => int::<UInt8Type>(a),
        DataType::UInt16 => int::<UInt16Type>(a),
        DataType::UInt32 => int::<UInt32Type>(a),
        DataType::UInt64 => int::<UInt64Type>(a),
        DataType::Float16 => float::<Float16Type>(a, |v| v.to_f64()),
        DataType::Float32 => float::<Float32Type>(a, f64::from),
        DataType::Float64 => float::<Float64Type>(a, |v| v),
        DataType::Decimal32(_, s) => decimal::<Decimal32Type>(a, *s, i128::from),
        DataType::Decimal64(_, s) => decimal::<Decimal64Type>(a, *s, i128::from),
        DataType::Decimal128(_, s) => decimal::<Decimal128Type>(a, *s, |v| v),
        DataType::Decimal256(_, s) => {
            let s = *s;
            (
                Number,
                Box::new(move |i, out| {
                    let v = a.as_primitive::<Decimal256Type>().value(i);
                    python::write_decimal_i256(out, v, s);
                    Ok(())
                }),
            )
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => (Text, text(a, json)),
        DataType::Binary => (Text, bytes(a, |a, i| a.as_binary::<i32>().value(i))),
        DataType::LargeBinary => (Text, bytes(a, |a, i| a.as_binary::<i64>().value(i))),
        DataType::BinaryView => (Text, bytes(a, |a, i| a.as_binary_view().value(i))),
        DataType::FixedSizeBinary(_) => (Text, bytes(a, |a, i| a.as_fixed_size_binary().value(i))),
        DataType::Date32 => (
            Text,
            Box::new(move |i, out| {
                temporal::write_date(out, i64::from(a.as_primitive::<Date32Type>().value(i)))
            }),
        ),
        DataType::Date64 => (
            Text,
            Box::new(move |i, out| {
                temporal::write_date64(out, a.as_primitive::<Date64Type>().value(i))
            }),
        ),
        DataType::Time32(unit) => {
            let unit = *unit;
            (
                Text,
                Box::new(move |i, out| {
                    let v = match unit {
                        TimeUnit::Second => a.as_primitive::<Time32SecondType>().value(i),
                        _ => a.as_primitive::<Time32MillisecondType>().value(i),
                    };
                    temporal::write_time(out, i64::from(v), unit)
                }),
            )
        }
        DataType::Time64(unit) => {
            let unit = *unit;
            (
                Text,
                Box::new(move |i, out| {
                    let v = match unit {
                        TimeUnit::Nanosecond => a.as_primitive::<Time64NanosecondType>().value(i),
                        _ => a.as_primitive::<Time64MicrosecondType>().value(i),
                    };
                    temporal::write_time(out, v, unit)
                }),
            )
        }
        DataType::Timestamp(unit, tz) => {
            let (unit, utc) = (*unit, tz.is_some());
            (
                Text,
                Box::new(move |i, out| {
                    let v = timestamp_value(&a, unit, i);
                    temporal::write_timestamp(out, v, unit, b' ', utc)
                }),
            )
        }
        _ => return None,
    };
    Some(w)
}

fn timestamp_value(a: &ArrayRef, unit: TimeUnit, i: usize) -> i64 {
    match unit {
        TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i),
        TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
        TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
        TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
    }
}

fn int<T>(a: ArrayRef) -> (CellKind, WriteFn)
where
    T: ArrowPrimitiveType,
    T::Native: itoa::Integer,
{
    let a = a.as_primitive::<T>().clone();
    (
        CellKind::Number,
        Box::new(move |i, out| {
            python::write_int(out, a.value(i));
            Ok(())
        }),
    )
}

fn float<T: ArrowPrimitiveType>(a: ArrayRef, to_f64: fn(T::Native) -> f64) -> (CellKind, WriteFn) {
    let a = a.as_primitive::<T>().clone();
    (
        CellKind::Number,
        Box::new(move |i, out| {
            python::write_float(out, to_f64(a.value(i)));
            Ok(())
        }),
    )
}

fn decimal<T: ArrowPrimitiveType>(
    a: ArrayRef,
    scale: i8,
    to_i128: fn(T::Native) -> i128,
) -> (CellKind, WriteFn) {
    let a = a.as_primitive::<T>().clone();
    (
        CellKind::Number,
        Box::new(move |i, out| {
            python::write_decimal_i128(out, to_i128(a.value(i)), scale);
            Ok(())
        }),
    )
}

fn text(a: ArrayRef, json: bool) -> WriteFn {
    if !json {
        return Box::new(move |i, out| {
            out.extend_from_slice(text_value(&a, i).as_bytes());
            Ok(())
        });
    }
    Box::new(move |i, out| {
        let start = out.len();
        json::transcode(text_value(&a, i), out).map_err(|e| {
            out.truncate(start);
            PluginError::invalid(format!("invalid JSON text: {e}"))
        })
    })
}

/// Binary cells: the bytes as UTF-8 text (as dlt writes them), or `\x` + lowercase hex when
/// they are not valid UTF-8 or would read back as hex (start with `\x`).
fn bytes(a: ArrayRef, value: fn(&ArrayRef, usize) -> &[u8]) -> WriteFn {
    Box::new(move |i, out| {
        let v = value(&a, i);
        if std::str::from_utf8(v).is_ok() && !v.starts_with(b"\\x") {
            out.extend_from_slice(v);
        } else {
            write_hex(out, v);
        }
        Ok(())
    })
}

/// Appends `\x` and the lowercase hex digits of `bytes` (PostgreSQL's bytea text form).
pub fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(2 + bytes.len() * 2);
    out.extend_from_slice(b"\\x");
    for b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
}
