//! Literals of one column → an Arrow array of the requested type, and the type of a column
//! read without a schema.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, LargeBinaryBuilder, LargeStringBuilder, PrimitiveBuilder,
    StringBuilder,
};
use arrow_array::types::*;
use arrow_array::{ArrayRef, ArrowPrimitiveType, NullArray, StringArray};
use arrow_schema::{DataType, TimeUnit};
use stowage_plugin_sdk::{PluginError, Result};

use super::lexer::{Literal, decode_hex};
use crate::temporal;

/// Decodes `values` into an array of `dt`.
pub fn decode(values: &[Literal], dt: &DataType) -> Result<ArrayRef> {
    Ok(match dt {
        DataType::Null => Arc::new(NullArray::new(values.len())),
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(values.len());
            for v in values {
                b.append_option(boolean(v)?);
            }
            Arc::new(b.finish())
        }
        DataType::Int8 => parsed::<Int8Type>(values, dt)?,
        DataType::Int16 => parsed::<Int16Type>(values, dt)?,
        DataType::Int32 => parsed::<Int32Type>(values, dt)?,
        DataType::Int64 => parsed::<Int64Type>(values, dt)?,
        DataType::UInt8 => parsed::<UInt8Type>(values, dt)?,
        DataType::UInt16 => parsed::<UInt16Type>(values, dt)?,
        DataType::UInt32 => parsed::<UInt32Type>(values, dt)?,
        DataType::UInt64 => parsed::<UInt64Type>(values, dt)?,
        DataType::Float32 => parsed::<Float32Type>(values, dt)?,
        DataType::Float64 => parsed::<Float64Type>(values, dt)?,
        DataType::Decimal32(p, s) => decimal::<Decimal32Type>(values, *p, *s)?,
        DataType::Decimal64(p, s) => decimal::<Decimal64Type>(values, *p, *s)?,
        DataType::Decimal128(p, s) => decimal::<Decimal128Type>(values, *p, *s)?,
        DataType::Decimal256(p, s) => decimal::<Decimal256Type>(values, *p, *s)?,
        DataType::Date32 => built::<Date32Type>(each_text(values, temporal::parse_date)?, dt),
        DataType::Time32(unit) => {
            let v = each_text(values, |t| {
                let v = temporal::parse_time(t, *unit)?;
                i32::try_from(v).map_err(|_| PluginError::invalid(format!("`{t}` is out of range")))
            })?;
            match unit {
                TimeUnit::Second => built::<Time32SecondType>(v, dt),
                _ => built::<Time32MillisecondType>(v, dt),
            }
        }
        DataType::Time64(unit) => {
            let v = each_text(values, |t| temporal::parse_time(t, *unit))?;
            match unit {
                TimeUnit::Nanosecond => built::<Time64NanosecondType>(v, dt),
                _ => built::<Time64MicrosecondType>(v, dt),
            }
        }
        DataType::Timestamp(unit, _) => {
            let v = each_text(values, |t| temporal::parse_timestamp(t, *unit))?;
            match unit {
                TimeUnit::Second => built::<TimestampSecondType>(v, dt),
                TimeUnit::Millisecond => built::<TimestampMillisecondType>(v, dt),
                TimeUnit::Microsecond => built::<TimestampMicrosecondType>(v, dt),
                TimeUnit::Nanosecond => built::<TimestampNanosecondType>(v, dt),
            }
        }
        DataType::Utf8 => {
            let mut b = StringBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(text(v).as_deref());
            }
            Arc::new(b.finish())
        }
        DataType::LargeUtf8 => {
            let mut b = LargeStringBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(text(v).as_deref());
            }
            Arc::new(b.finish())
        }
        DataType::Binary => {
            let mut b = BinaryBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(bytes(v)?.as_deref());
            }
            Arc::new(b.finish())
        }
        DataType::LargeBinary => {
            let mut b = LargeBinaryBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(bytes(v)?.as_deref());
            }
            Arc::new(b.finish())
        }
        other => via_cast(values, other)?,
    })
}

/// The text of a literal (numbers and booleans as written), `None` for NULL.
fn text(v: &Literal) -> Option<Cow<'_, str>> {
    match v {
        Literal::Null => None,
        Literal::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
        Literal::Number(n) => Some(n.as_str().into()),
        Literal::Text(t) => Some(t.as_str().into()),
        Literal::Bytes(b) => Some(String::from_utf8_lossy(b)),
    }
}

fn each_text<T>(
    values: &[Literal],
    mut parse: impl FnMut(&str) -> Result<T>,
) -> Result<Vec<Option<T>>> {
    values
        .iter()
        .map(|v| text(v).map(|t| parse(&t)).transpose())
        .collect()
}

fn boolean(v: &Literal) -> Result<Option<bool>> {
    match v {
        Literal::Null => Ok(None),
        Literal::Bool(b) => Ok(Some(*b)),
        other => match text(other)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("t" | "true" | "1") => Ok(Some(true)),
            Some("f" | "false" | "0") => Ok(Some(false)),
            _ => Err(PluginError::invalid(format!("{other:?} is not a boolean"))),
        },
    }
}

fn parsed<T>(values: &[Literal], dt: &DataType) -> Result<ArrayRef>
where
    T: ArrowPrimitiveType,
    T::Native: FromStr,
{
    let v = each_text(values, |t| {
        t.trim()
            .parse::<T::Native>()
            .map_err(|_| PluginError::invalid(format!("`{t}` is not a valid {dt}")))
    })?;
    Ok(built::<T>(v, dt))
}

fn built<T: ArrowPrimitiveType>(values: Vec<Option<T::Native>>, dt: &DataType) -> ArrayRef {
    let mut b = PrimitiveBuilder::<T>::with_capacity(values.len()).with_data_type(dt.clone());
    values.into_iter().for_each(|v| b.append_option(v));
    Arc::new(b.finish())
}

fn decimal<T: DecimalType>(values: &[Literal], precision: u8, scale: i8) -> Result<ArrayRef> {
    let v = each_text(values, |t| {
        arrow_cast::parse::parse_decimal::<T>(t.trim(), precision, scale)
            .map_err(|e| PluginError::invalid(e.to_string()))
    })?;
    Ok(built::<T>(v, &T::TYPE_CONSTRUCTOR(precision, scale)))
}

/// `from_base64`/`X'…'` bytes; a string `\x…` is PostgreSQL's bytea hex; other strings are
/// their UTF-8 bytes.
fn bytes(v: &Literal) -> Result<Option<Cow<'_, [u8]>>> {
    Ok(match v {
        Literal::Null => None,
        Literal::Bytes(b) => Some(Cow::Borrowed(b)),
        Literal::Text(t) => match t.strip_prefix("\\x").and_then(|h| decode_hex(h.as_bytes())) {
            Some(decoded) => Some(Cow::Owned(decoded)),
            None => Some(Cow::Borrowed(t.as_bytes())),
        },
        other => {
            return Err(PluginError::invalid(format!(
                "{other:?} is not a binary value"
            )));
        }
    })
}

/// Types without their own decoder: read as strings and cast by arrow.
fn via_cast(values: &[Literal], dt: &DataType) -> Result<ArrayRef> {
    let strings: Vec<Option<String>> = values
        .iter()
        .map(|v| text(v).map(|t| t.into_owned()))
        .collect();
    let strings: ArrayRef = Arc::new(StringArray::from(strings));
    let options = arrow_cast::CastOptions {
        safe: false,
        ..Default::default()
    };
    arrow_cast::cast_with_options(&strings, dt, &options)
        .map_err(|e| PluginError::invalid(format!("cannot read a literal as {dt}: {e}")))
}

/// The type of a column read without a schema, narrowed literal by literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Inferred {
    /// Only NULLs so far.
    #[default]
    Unknown,
    /// Integers.
    Int,
    /// Numbers.
    Float,
    /// Booleans.
    Bool,
    /// Byte literals.
    Bytes,
    /// Anything else.
    Text,
}

impl Inferred {
    /// Narrows with one literal.
    pub fn observe(self, v: &Literal) -> Inferred {
        let this = match v {
            Literal::Null => return self,
            Literal::Bool(_) => Inferred::Bool,
            Literal::Number(n) if n.parse::<i64>().is_ok() => Inferred::Int,
            Literal::Number(_) => Inferred::Float,
            Literal::Text(t) if matches!(t.as_str(), "NaN" | "Infinity" | "-Infinity") => {
                Inferred::Float
            }
            Literal::Text(_) => Inferred::Text,
            Literal::Bytes(_) => Inferred::Bytes,
        };
        match (self, this) {
            (Inferred::Unknown, t) => t,
            (a, b) if a == b => a,
            (Inferred::Int, Inferred::Float) | (Inferred::Float, Inferred::Int) => Inferred::Float,
            _ => Inferred::Text,
        }
    }

    /// The Arrow type (an all-NULL column is text).
    pub fn data_type(self) -> DataType {
        match self {
            Inferred::Int => DataType::Int64,
            Inferred::Float => DataType::Float64,
            Inferred::Bool => DataType::Boolean,
            Inferred::Bytes => DataType::Binary,
            Inferred::Unknown | Inferred::Text => DataType::Utf8,
        }
    }
}
