//! Per-column value writers: one [`Render`] per Arrow array, chosen once per batch, so the row
//! loop only does a virtual call per value and writes bytes straight into the output buffer.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayAccessor, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, Field, TimeUnit};
use base64::Engine as _;
use stowage_format_support::json::{self, escape, number};
use stowage_plugin_sdk::{PluginError, Result};

use crate::temporal;

mod nested;

pub use stowage_plugin_sdk::types::{DATA_TYPE_METADATA_KEY, JSON_DATA_TYPE};

/// Writes the values of one array.
pub(crate) trait Render {
    /// Whether the value at `i` is null.
    fn is_null(&self, i: usize) -> bool;
    /// Whether the value at `i` is written as a row key (dlt drops nulls, NaN and JSON `null`).
    fn present(&self, i: usize) -> bool {
        !self.is_null(i)
    }
    /// Appends the (non-null) value at `i`.
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()>;
}

pub(crate) type Boxed<'a> = Box<dyn Render + 'a>;

/// Appends the value at `i` inside a nested value: nulls become `null`.
pub(crate) fn write_nested(r: &dyn Render, i: usize, out: &mut Vec<u8>) -> Result<()> {
    if r.is_null(i) {
        out.extend_from_slice(b"null");
        Ok(())
    } else {
        r.write(i, out)
    }
}

pub(crate) use stowage_plugin_sdk::types::is_json_field;

/// The writer for `array` (of `field`). Dictionary and run-end encoded arrays must have been
/// decoded first (see [`crate::encoder`]).
pub(crate) fn renderer<'a>(array: &'a dyn Array, field: &Field) -> Result<Boxed<'a>> {
    use DataType::*;
    Ok(match array.data_type() {
        Null => Box::new(NullRender),
        Boolean => Box::new(BoolRender(array.as_boolean())),
        Int8 => int::<Int8Type>(array),
        Int16 => int::<Int16Type>(array),
        Int32 => int::<Int32Type>(array),
        Int64 => int::<Int64Type>(array),
        UInt8 => int::<UInt8Type>(array),
        UInt16 => int::<UInt16Type>(array),
        UInt32 => int::<UInt32Type>(array),
        UInt64 => int::<UInt64Type>(array),
        Float16 => float::<Float16Type>(array, |v| v.to_f64()),
        Float32 => float::<Float32Type>(array, f64::from),
        Float64 => float::<Float64Type>(array, |v| v),
        Utf8 => text(array.as_string::<i32>(), field),
        LargeUtf8 => text(array.as_string::<i64>(), field),
        Utf8View => text(array.as_string_view(), field),
        Binary => Box::new(BytesRender(array.as_binary::<i32>())),
        LargeBinary => Box::new(BytesRender(array.as_binary::<i64>())),
        BinaryView => Box::new(BytesRender(array.as_binary_view())),
        FixedSizeBinary(_) => Box::new(BytesRender(array.as_fixed_size_binary())),
        Date32 => prim::<Date32Type>(array, Box::new(|o, v| temporal::write_date(o, v.into()))),
        Date64 => prim::<Date64Type>(array, Box::new(temporal::write_date64)),
        Time32(unit) => time32(array, *unit)?,
        Time64(unit) => time64(array, *unit)?,
        Timestamp(unit, tz) => timestamp(array, *unit, tz.is_some()),
        Decimal32(_, s) => decimal::<Decimal32Type>(array, *s, |v| v.into()),
        Decimal64(_, s) => decimal::<Decimal64Type>(array, *s, |v| v.into()),
        Decimal128(_, s) => decimal::<Decimal128Type>(array, *s, |v| v),
        Decimal256(_, s) => {
            let s = *s;
            prim::<Decimal256Type>(
                array,
                Box::new(move |o, v| {
                    quoted(o, |o| number::write_decimal_i256(o, v, s));
                    Ok(())
                }),
            )
        }
        Struct(_) => nested::structure(array)?,
        List(f) => nested::list(array.as_list::<i32>(), f)?,
        LargeList(f) => nested::list(array.as_list::<i64>(), f)?,
        ListView(f) => nested::list_view(array.as_list_view::<i32>(), f)?,
        LargeListView(f) => nested::list_view(array.as_list_view::<i64>(), f)?,
        FixedSizeList(f, _) => nested::fixed_list(array, f)?,
        Map(entries, _) => nested::map(array, entries)?,
        other => return Err(unsupported(other)),
    })
}

pub(crate) fn unsupported(dt: &DataType) -> PluginError {
    PluginError::unsupported(format!("the jsonl format cannot write Arrow type {dt}"))
}

fn quoted(out: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) {
    out.push(b'"');
    f(out);
    out.push(b'"');
}

// ---- primitives ----

type WriteFn<'a, N> = Box<dyn Fn(&mut Vec<u8>, N) -> Result<()> + 'a>;

struct PrimRender<'a, T: ArrowPrimitiveType> {
    array: &'a PrimitiveArray<T>,
    write: WriteFn<'a, T::Native>,
}

impl<T: ArrowPrimitiveType> Render for PrimRender<'_, T> {
    fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i)
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        (self.write)(out, self.array.value(i))
    }
}

fn prim<'a, T: ArrowPrimitiveType>(
    array: &'a dyn Array,
    write: WriteFn<'a, T::Native>,
) -> Boxed<'a> {
    Box::new(PrimRender {
        array: array.as_primitive::<T>(),
        write,
    })
}

fn int<'a, T>(array: &'a dyn Array) -> Boxed<'a>
where
    T: ArrowPrimitiveType,
    T::Native: itoa::Integer,
{
    prim::<T>(
        array,
        Box::new(|o, v| {
            number::write_int(o, v);
            Ok(())
        }),
    )
}

fn decimal<'a, T: ArrowPrimitiveType>(
    array: &'a dyn Array,
    scale: i8,
    wide: fn(T::Native) -> i128,
) -> Boxed<'a> {
    prim::<T>(
        array,
        Box::new(move |o, v| {
            quoted(o, |o| number::write_decimal_i128(o, wide(v), scale));
            Ok(())
        }),
    )
}

fn time32(array: &dyn Array, unit: TimeUnit) -> Result<Boxed<'_>> {
    Ok(match unit {
        TimeUnit::Second => prim::<Time32SecondType>(
            array,
            Box::new(move |o, v| temporal::write_time(o, v.into(), unit)),
        ),
        TimeUnit::Millisecond => prim::<Time32MillisecondType>(
            array,
            Box::new(move |o, v| temporal::write_time(o, v.into(), unit)),
        ),
        _ => return Err(unsupported(array.data_type())),
    })
}

fn time64(array: &dyn Array, unit: TimeUnit) -> Result<Boxed<'_>> {
    Ok(match unit {
        TimeUnit::Microsecond => prim::<Time64MicrosecondType>(
            array,
            Box::new(move |o, v| temporal::write_time(o, v, unit)),
        ),
        TimeUnit::Nanosecond => prim::<Time64NanosecondType>(
            array,
            Box::new(move |o, v| temporal::write_time(o, v, unit)),
        ),
        _ => return Err(unsupported(array.data_type())),
    })
}

fn timestamp(array: &dyn Array, unit: TimeUnit, utc: bool) -> Boxed<'_> {
    let write: WriteFn<'_, i64> = Box::new(move |o, v| temporal::write_timestamp(o, v, unit, utc));
    match unit {
        TimeUnit::Second => prim::<TimestampSecondType>(array, write),
        TimeUnit::Millisecond => prim::<TimestampMillisecondType>(array, write),
        TimeUnit::Microsecond => prim::<TimestampMicrosecondType>(array, write),
        TimeUnit::Nanosecond => prim::<TimestampNanosecondType>(array, write),
    }
}

struct NullRender;

impl Render for NullRender {
    fn is_null(&self, _: usize) -> bool {
        true
    }
    fn write(&self, _: usize, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(b"null");
        Ok(())
    }
}

struct BoolRender<'a>(&'a arrow_array::BooleanArray);

impl Render for BoolRender<'_> {
    fn is_null(&self, i: usize) -> bool {
        self.0.is_null(i)
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(if self.0.value(i) { b"true" } else { b"false" });
        Ok(())
    }
}

/// Floats: NaN and infinities are dropped as row keys and written as `null` when nested.
struct FloatRender<'a, T: ArrowPrimitiveType> {
    array: &'a PrimitiveArray<T>,
    to_f64: fn(T::Native) -> f64,
}

impl<T: ArrowPrimitiveType> Render for FloatRender<'_, T> {
    fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i)
    }
    fn present(&self, i: usize) -> bool {
        self.array.is_valid(i) && (self.to_f64)(self.array.value(i)).is_finite()
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        number::write_f64_or_null(out, (self.to_f64)(self.array.value(i)));
        Ok(())
    }
}

fn float<T: ArrowPrimitiveType>(array: &dyn Array, to_f64: fn(T::Native) -> f64) -> Boxed<'_> {
    Box::new(FloatRender {
        array: array.as_primitive::<T>(),
        to_f64,
    })
}

// ---- strings and bytes ----

/// Strings; for `json` columns (`json_column` = its name) the text is re-emitted as a nested
/// JSON value.
struct TextRender<A> {
    array: A,
    json_column: Option<String>,
}

fn text<'a, A>(array: A, field: &Field) -> Boxed<'a>
where
    A: ArrayAccessor<Item = &'a str> + 'a,
{
    let json_column = is_json_field(field).then(|| field.name().clone());
    Box::new(TextRender { array, json_column })
}

impl<'a, A: ArrayAccessor<Item = &'a str>> Render for TextRender<A> {
    fn is_null(&self, i: usize) -> bool {
        self.array.is_null(i)
    }
    fn present(&self, i: usize) -> bool {
        self.array.is_valid(i)
            && (self.json_column.is_none() || !json::is_null_literal(self.array.value(i)))
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        let value = self.array.value(i);
        let Some(column) = &self.json_column else {
            escape::write_str(out, value);
            return Ok(());
        };
        json::transcode(value, out).map_err(|e| {
            PluginError::invalid(format!("column `{column}` holds invalid JSON text: {e}"))
        })
    }
}

/// Binary values as standard base64 with padding (dlt's `base64.b64encode`).
struct BytesRender<A>(A);

impl<'a, A: ArrayAccessor<Item = &'a [u8]>> Render for BytesRender<A> {
    fn is_null(&self, i: usize) -> bool {
        self.0.is_null(i)
    }
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<()> {
        write_base64(out, self.0.value(i))
    }
}

fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) -> Result<()> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let len = base64::encoded_len(bytes.len(), true)
        .ok_or_else(|| PluginError::invalid("binary value too large to encode"))?;
    out.push(b'"');
    let start = out.len();
    out.resize(start + len, 0);
    engine
        .encode_slice(bytes, &mut out[start..])
        .map_err(|e| PluginError::unexpected(format!("base64: {e}")))?;
    out.push(b'"');
    Ok(())
}
