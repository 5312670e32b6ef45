//! One literal writer per column: SQL literals of a dialect for every dlt type.
//!
//! | value | PostgreSQL | DuckDB |
//! |---|---|---|
//! | null | `NULL` | `NULL` |
//! | bool | `TRUE` / `FALSE` | same |
//! | integer | `42` | same |
//! | float | `repr(float)`: `1.5`, `1e+16`; `'NaN'`, `'Infinity'`, `'-Infinity'` | `1.5e0`, `1e+16` (always an exponent, so DuckDB parses a DOUBLE); same non-finite |
//! | decimal | plain digits with the column's scale: `10.50`, `0.000000001` | the same text quoted: `'10.50'` |
//! | text, json | `E'…'`: `'` → `''`, `\` → `\\`, LF → `\n`, CR → `\r`, NUL removed | same |
//! | binary | `'\x<hex>'` | `from_base64('<base64>')` |
//! | date, time | `'2024-01-02'`, `'01:02:03.000999'` | same |
//! | timestamp | `'2024-01-02T03:04:05.123456+00:00'`; naive without the offset | same |

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType};
use arrow_schema::{DataType, Field, TimeUnit};
use base64::Engine as _;
use stowage_plugin_sdk::{PluginError, Result};

use crate::config::Dialect;
use crate::{python, temporal};

type WriteFn = Box<dyn Fn(usize, &mut Vec<u8>) -> Result<()> + Send>;

/// Writes the literals of one column.
pub struct LiteralWriter {
    array: ArrayRef,
    write: WriteFn,
}

impl std::fmt::Debug for LiteralWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiteralWriter")
            .field("data_type", self.array.data_type())
            .finish_non_exhaustive()
    }
}

impl LiteralWriter {
    /// A writer for `array` (a column described by `field`) in `dialect`.
    pub fn new(field: &Field, array: &ArrayRef, dialect: Dialect) -> Result<LiteralWriter> {
        let array = plain(array)?;
        let write = writer_for(&array, dialect).ok_or_else(|| {
            PluginError::unsupported(format!(
                "insert_values cannot write values of type {} (column `{}`)",
                array.data_type(),
                field.name()
            ))
        })?;
        Ok(LiteralWriter { array, write })
    }

    /// Appends the literal of `row` (`NULL` for nulls).
    pub fn write(&self, row: usize, out: &mut Vec<u8>) -> Result<()> {
        if self.array.is_null(row) || self.array.data_type() == &DataType::Null {
            out.extend_from_slice(b"NULL");
            return Ok(());
        }
        (self.write)(row, out)
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

fn writer_for(array: &ArrayRef, dialect: Dialect) -> Option<WriteFn> {
    let a = array.clone();
    let w: WriteFn = match array.data_type() {
        DataType::Null => Box::new(|_, out| {
            out.extend_from_slice(b"NULL");
            Ok(())
        }),
        DataType::Boolean => Box::new(move |i, out| {
            let v = a.as_boolean().value(i);
            out.extend_from_slice(if v { b"TRUE" } else { b"FALSE" });
            Ok(())
        }),
        DataType::Int8 => int::<Int8Type>(a),
        DataType::Int16 => int::<Int16Type>(a),
        DataType::Int32 => int::<Int32Type>(a),
        DataType::Int64 => int::<Int64Type>(a),
        DataType::UInt8 => int::<UInt8Type>(a),
        DataType::UInt16 => int::<UInt16Type>(a),
        DataType::UInt32 => int::<UInt32Type>(a),
        DataType::UInt64 => int::<UInt64Type>(a),
        DataType::Float16 => float::<Float16Type>(a, dialect, |v| v.to_f64()),
        DataType::Float32 => float::<Float32Type>(a, dialect, f64::from),
        DataType::Float64 => float::<Float64Type>(a, dialect, |v| v),
        DataType::Decimal32(_, s) => decimal::<Decimal32Type>(a, *s, dialect, |v| v.to_string()),
        DataType::Decimal64(_, s) => decimal::<Decimal64Type>(a, *s, dialect, |v| v.to_string()),
        DataType::Decimal128(_, s) => decimal::<Decimal128Type>(a, *s, dialect, |v| v.to_string()),
        DataType::Decimal256(_, s) => decimal::<Decimal256Type>(a, *s, dialect, |v| v.to_string()),
        DataType::Utf8 => {
            let a = a.as_string::<i32>().clone();
            Box::new(move |i, out| {
                write_string(out, a.value(i));
                Ok(())
            })
        }
        DataType::LargeUtf8 => Box::new(move |i, out| {
            write_string(out, a.as_string::<i64>().value(i));
            Ok(())
        }),
        DataType::Utf8View => Box::new(move |i, out| {
            write_string(out, a.as_string_view().value(i));
            Ok(())
        }),
        DataType::Binary => bytes(a, dialect, |a, i| a.as_binary::<i32>().value(i)),
        DataType::LargeBinary => bytes(a, dialect, |a, i| a.as_binary::<i64>().value(i)),
        DataType::BinaryView => bytes(a, dialect, |a, i| a.as_binary_view().value(i)),
        DataType::FixedSizeBinary(_) => bytes(a, dialect, |a, i| a.as_fixed_size_binary().value(i)),
        DataType::Date32 => quoted(move |i, out| {
            temporal::write_date(out, i64::from(a.as_primitive::<Date32Type>().value(i)))
        }),
        DataType::Date64 => quoted(move |i, out| {
            temporal::write_date64(out, a.as_primitive::<Date64Type>().value(i))
        }),
        DataType::Time32(unit) => {
            let unit = *unit;
            quoted(move |i, out| {
                let v = match unit {
                    TimeUnit::Second => a.as_primitive::<Time32SecondType>().value(i),
                    _ => a.as_primitive::<Time32MillisecondType>().value(i),
                };
                temporal::write_time(out, i64::from(v), unit)
            })
        }
        DataType::Time64(unit) => {
            let unit = *unit;
            quoted(move |i, out| {
                let v = match unit {
                    TimeUnit::Nanosecond => a.as_primitive::<Time64NanosecondType>().value(i),
                    _ => a.as_primitive::<Time64MicrosecondType>().value(i),
                };
                temporal::write_time(out, v, unit)
            })
        }
        DataType::Timestamp(unit, tz) => {
            let (unit, utc) = (*unit, tz.is_some());
            quoted(move |i, out| {
                let v = match unit {
                    TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i),
                    TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
                    TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
                    TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
                };
                temporal::write_timestamp(out, v, unit, b'T', utc)
            })
        }
        _ => return None,
    };
    Some(w)
}

fn int<T>(a: ArrayRef) -> WriteFn
where
    T: ArrowPrimitiveType,
    T::Native: itoa::Integer,
{
    let a = a.as_primitive::<T>().clone();
    Box::new(move |i, out| {
        python::write_int(out, a.value(i));
        Ok(())
    })
}

fn float<T: ArrowPrimitiveType>(
    a: ArrayRef,
    dialect: Dialect,
    to_f64: fn(T::Native) -> f64,
) -> WriteFn {
    let a = a.as_primitive::<T>().clone();
    Box::new(move |i, out| {
        write_float(out, to_f64(a.value(i)), dialect);
        Ok(())
    })
}

/// A float literal; non-finite values are the quoted names both dialects accept.
pub fn write_float(out: &mut Vec<u8>, v: f64, dialect: Dialect) {
    if v.is_nan() {
        out.extend_from_slice(b"'NaN'");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 {
            b"'Infinity'"
        } else {
            b"'-Infinity'"
        });
    } else {
        let start = out.len();
        python::write_float(out, v);
        // DuckDB reads `0.1` as DECIMAL(1,1) and converts it to DOUBLE by division, which can
        // be one ulp off; with an exponent it parses the text as a DOUBLE directly.
        if dialect == Dialect::Duckdb && !out[start..].contains(&b'e') {
            out.extend_from_slice(b"e0");
        }
    }
}

fn decimal<T: ArrowPrimitiveType>(
    a: ArrayRef,
    scale: i8,
    dialect: Dialect,
    to_text: fn(T::Native) -> String,
) -> WriteFn {
    Box::new(move |i, out| {
        let text = to_text(a.as_primitive::<T>().value(i));
        let quote = dialect == Dialect::Duckdb;
        if quote {
            out.push(b'\'');
        }
        write_plain_decimal(out, &text, scale);
        if quote {
            out.push(b'\'');
        }
        Ok(())
    })
}

/// Appends `unscaled × 10^-scale` in plain notation with exactly `scale` fraction digits
/// (`unscaled` is the integer's decimal text, optionally with a leading `-`).
pub fn write_plain_decimal(out: &mut Vec<u8>, unscaled: &str, scale: i8) {
    let (negative, digits) = match unscaled.strip_prefix('-') {
        Some(abs) => (true, abs),
        None => (false, unscaled),
    };
    if negative {
        out.push(b'-');
    }
    if scale <= 0 {
        out.extend_from_slice(digits.as_bytes());
        if digits != "0" {
            out.resize(out.len() + usize::from(scale.unsigned_abs()), b'0');
        }
        return;
    }
    let scale = scale as usize;
    if digits.len() <= scale {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + scale - digits.len(), b'0');
        out.extend_from_slice(digits.as_bytes());
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int.as_bytes());
        out.push(b'.');
        out.extend_from_slice(frac.as_bytes());
    }
}

/// Appends `E'…'` with dlt's escapes; NUL cannot be stored by PostgreSQL and is removed.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 3);
    out.extend_from_slice(b"E'");
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'\'' => b"''",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            0 => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'\'');
}

fn bytes(a: ArrayRef, dialect: Dialect, value: fn(&ArrayRef, usize) -> &[u8]) -> WriteFn {
    Box::new(move |i, out| {
        write_bytes(out, value(&a, i), dialect);
        Ok(())
    })
}

/// A binary literal: bytea hex for PostgreSQL, `from_base64` for DuckDB.
pub fn write_bytes(out: &mut Vec<u8>, v: &[u8], dialect: Dialect) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match dialect {
        Dialect::Postgres => {
            out.extend_from_slice(b"'\\x");
            for b in v {
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
            out.push(b'\'');
        }
        Dialect::Duckdb => {
            out.extend_from_slice(b"from_base64('");
            let encoded = base64::engine::general_purpose::STANDARD.encode(v);
            out.extend_from_slice(encoded.as_bytes());
            out.extend_from_slice(b"')");
        }
    }
}

fn quoted(f: impl Fn(usize, &mut Vec<u8>) -> Result<()> + Send + 'static) -> WriteFn {
    Box::new(move |i, out| {
        out.push(b'\'');
        f(i, out)?;
        out.push(b'\'');
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_like_dlt() {
        assert_eq!(
            text(|o| write_string(o, "it's a\\b\nc\rd\0e\té")),
            "E'it''s a\\\\b\\nc\\rde\té'"
        );
        assert_eq!(text(|o| write_string(o, "")), "E''");
    }

    #[test]
    fn decimals_are_plain() {
        assert_eq!(text(|o| write_plain_decimal(o, "1050", 2)), "10.50");
        assert_eq!(text(|o| write_plain_decimal(o, "-1", 9)), "-0.000000001");
        assert_eq!(text(|o| write_plain_decimal(o, "0", 2)), "0.00");
        assert_eq!(text(|o| write_plain_decimal(o, "3", -2)), "300");
        assert_eq!(text(|o| write_plain_decimal(o, "0", -2)), "0");
        assert_eq!(text(|o| write_plain_decimal(o, "12", 0)), "12");
    }

    #[test]
    fn floats_per_dialect() {
        use Dialect::*;
        assert_eq!(text(|o| write_float(o, 1.5, Postgres)), "1.5");
        assert_eq!(text(|o| write_float(o, 1.5, Duckdb)), "1.5e0");
        assert_eq!(text(|o| write_float(o, 1e16, Duckdb)), "1e+16");
        assert_eq!(text(|o| write_float(o, f64::NAN, Postgres)), "'NaN'");
        assert_eq!(
            text(|o| write_float(o, f64::NEG_INFINITY, Duckdb)),
            "'-Infinity'"
        );
    }

    #[test]
    fn bytes_per_dialect() {
        assert_eq!(
            text(|o| write_bytes(o, b"\x00\x01hi", Dialect::Postgres)),
            "'\\x00016869'"
        );
        assert_eq!(
            text(|o| write_bytes(o, b"\x00\x01hi", Dialect::Duckdb)),
            "from_base64('AAFoaQ==')"
        );
    }
}
