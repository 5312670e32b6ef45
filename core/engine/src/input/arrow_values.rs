//! One Arrow value → JSON, for inputs decoded by a format plugin (parquet).
//!
//! Integers, floats, booleans and strings map naturally (NaN and ±inf become null, as JSON has
//! no such numbers); timestamps become RFC 3339 strings in UTC
//! (`2024-01-02T03:04:05.123456+00:00`; timestamps without a time zone are taken as UTC, and
//! the fraction is left out when zero, as Python's `isoformat` does); dates `YYYY-MM-DD`; times
//! `HH:MM:SS[.ffffff]`; decimals exact strings (`"10.50"`: a JSON number would round them);
//! binary base64 strings; structs and maps objects; lists arrays; dictionaries their values.
//! Nulls are left out of objects and kept inside arrays.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type, Float16Type, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};
use base64::Engine as _;
use chrono::{DateTime, NaiveTime};
use serde_json::{Map, Number, Value};

/// The value of `array` at `row`; `Ok(None)` for null; `Err` names what cannot be converted.
pub(super) fn value_at(array: &dyn Array, row: usize) -> Result<Option<Value>, String> {
    if array.is_null(row) {
        return Ok(None);
    }
    use DataType as T;
    let value = match array.data_type() {
        T::Null => return Ok(None),
        T::Boolean => Value::Bool(array.as_boolean().value(row)),
        T::Int8 => Value::from(prim::<Int8Type>(array, row)),
        T::Int16 => Value::from(prim::<Int16Type>(array, row)),
        T::Int32 => Value::from(prim::<Int32Type>(array, row)),
        T::Int64 => Value::from(prim::<Int64Type>(array, row)),
        T::UInt8 => Value::from(prim::<UInt8Type>(array, row)),
        T::UInt16 => Value::from(prim::<UInt16Type>(array, row)),
        T::UInt32 => Value::from(prim::<UInt32Type>(array, row)),
        T::UInt64 => Value::from(prim::<UInt64Type>(array, row)),
        T::Float16 => return Ok(float(prim::<Float16Type>(array, row).to_f64())),
        // Through the shortest decimal text, so 0.1f32 stays 0.1 (not 0.10000000149011612).
        T::Float32 => return Ok(float_text(&prim::<Float32Type>(array, row).to_string())),
        T::Float64 => return Ok(float(prim::<Float64Type>(array, row))),
        T::Utf8 => text(array.as_string::<i32>().value(row)),
        T::LargeUtf8 => text(array.as_string::<i64>().value(row)),
        T::Utf8View => text(array.as_string_view().value(row)),
        T::Binary => base64(array.as_binary::<i32>().value(row)),
        T::LargeBinary => base64(array.as_binary::<i64>().value(row)),
        T::BinaryView => base64(array.as_binary_view().value(row)),
        T::FixedSizeBinary(_) => base64(array.as_fixed_size_binary().value(row)),
        T::Decimal32(..) => decimal::<Decimal32Type>(array, row),
        T::Decimal64(..) => decimal::<Decimal64Type>(array, row),
        T::Decimal128(..) => decimal::<Decimal128Type>(array, row),
        T::Decimal256(..) => decimal::<Decimal256Type>(array, row),
        T::Date32 => date(
            i64::from(
                array
                    .as_primitive::<arrow_array::types::Date32Type>()
                    .value(row),
            ) * 86_400_000,
        )?,
        T::Date64 => date(
            array
                .as_primitive::<arrow_array::types::Date64Type>()
                .value(row),
        )?,
        T::Timestamp(unit, _) => timestamp(epoch_value(array, row), *unit)?,
        T::Time32(unit) | T::Time64(unit) => time_of_day(epoch_value(array, row), *unit)?,
        T::Struct(_) => struct_value(array, row)?,
        T::Map(..) => map_value(array, row)?,
        T::List(_) => list_value(&*array.as_list::<i32>().value(row))?,
        T::LargeList(_) => list_value(&*array.as_list::<i64>().value(row))?,
        T::FixedSizeList(..) => list_value(&*array.as_fixed_size_list().value(row))?,
        T::Dictionary(..) => return dictionary_value(array, row),
        other => return Err(format!("unsupported Arrow type {other}")),
    };
    Ok(Some(value))
}

fn prim<T: ArrowPrimitiveType>(array: &dyn Array, row: usize) -> T::Native {
    array.as_primitive::<T>().value(row)
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn float(v: f64) -> Option<Value> {
    Number::from_f64(v).map(Value::Number)
}

fn float_text(s: &str) -> Option<Value> {
    s.parse::<f64>().ok().and_then(float)
}

fn base64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn decimal<T: arrow_array::types::DecimalType>(array: &dyn Array, row: usize) -> Value {
    let decimals: &PrimitiveArray<T> = array.as_primitive::<T>();
    Value::String(decimals.value_as_string(row))
}

/// A temporal value's raw count (seconds/millis/micros/nanos or days) as i64.
fn epoch_value(array: &dyn Array, row: usize) -> i64 {
    use arrow_array::types::*;
    match array.data_type() {
        DataType::Time32(TimeUnit::Second) => prim::<Time32SecondType>(array, row).into(),
        DataType::Time32(_) => prim::<Time32MillisecondType>(array, row).into(),
        DataType::Time64(TimeUnit::Microsecond) => prim::<Time64MicrosecondType>(array, row),
        DataType::Time64(_) => prim::<Time64NanosecondType>(array, row),
        DataType::Timestamp(TimeUnit::Second, _) => prim::<TimestampSecondType>(array, row),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            prim::<TimestampMillisecondType>(array, row)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            prim::<TimestampMicrosecondType>(array, row)
        }
        _ => prim::<TimestampNanosecondType>(array, row),
    }
}

/// Splits a count of `unit` into whole seconds and nanoseconds (floor division).
fn split(value: i64, unit: TimeUnit) -> (i64, u32) {
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let nanos = value.rem_euclid(per_second) * (1_000_000_000 / per_second);
    (value.div_euclid(per_second), nanos as u32)
}

/// `.ffffff` (or nine digits when there are nanoseconds; nothing when zero).
fn fraction(nanos: u32) -> String {
    match nanos {
        0 => String::new(),
        n if n % 1_000 == 0 => format!(".{:06}", n / 1_000),
        n => format!(".{n:09}"),
    }
}

fn timestamp(value: i64, unit: TimeUnit) -> Result<Value, String> {
    let (secs, nanos) = split(value, unit);
    let at = DateTime::from_timestamp(secs, nanos)
        .ok_or_else(|| format!("timestamp {value} ({unit:?}) is out of range"))?;
    Ok(Value::String(format!(
        "{}{}+00:00",
        at.format("%Y-%m-%dT%H:%M:%S"),
        fraction(nanos)
    )))
}

fn date(millis: i64) -> Result<Value, String> {
    let at = DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| format!("date ({millis} ms after 1970-01-01) is out of range"))?;
    Ok(Value::String(at.format("%Y-%m-%d").to_string()))
}

fn time_of_day(value: i64, unit: TimeUnit) -> Result<Value, String> {
    let (secs, nanos) = split(value, unit);
    let time = u32::try_from(secs)
        .ok()
        .and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, nanos))
        .ok_or_else(|| format!("time of day {value} ({unit:?}) is out of range"))?;
    Ok(Value::String(format!(
        "{}{}",
        time.format("%H:%M:%S"),
        fraction(nanos)
    )))
}

fn struct_value(array: &dyn Array, row: usize) -> Result<Value, String> {
    let s = array.as_struct();
    let mut object = Map::new();
    for (field, column) in s.fields().iter().zip(s.columns()) {
        let value =
            value_at(&**column, row).map_err(|e| format!("field `{}`: {e}", field.name()))?;
        if let Some(value) = value {
            object.insert(field.name().clone(), value);
        }
    }
    Ok(Value::Object(object))
}

fn map_value(array: &dyn Array, row: usize) -> Result<Value, String> {
    let entries = array.as_map().value(row);
    let (keys, values) = (entries.column(0), entries.column(1));
    let mut object = Map::new();
    for i in 0..entries.len() {
        let key = match value_at(&**keys, i)? {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => continue,
        };
        if let Some(value) = value_at(&**values, i)? {
            object.insert(key, value);
        }
    }
    Ok(Value::Object(object))
}

fn list_value(items: &dyn Array) -> Result<Value, String> {
    (0..items.len())
        .map(|i| value_at(items, i).map(|v| v.unwrap_or(Value::Null)))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn dictionary_value(array: &dyn Array, row: usize) -> Result<Option<Value>, String> {
    let dictionary = array.as_any_dictionary();
    let key = value_at(dictionary.keys(), row)?
        .and_then(|k| k.as_u64())
        .ok_or_else(|| "dictionary key is not a non-negative integer".to_string())?;
    let index = usize::try_from(key).map_err(|e| e.to_string())?;
    if index >= dictionary.values().len() {
        return Err(format!("dictionary key {index} is out of range"));
    }
    value_at(&**dictionary.values(), index)
}

#[cfg(test)]
mod tests;
