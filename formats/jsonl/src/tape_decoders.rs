//! arrow-json decoders for what dlt writes differently from arrow-json's defaults: binary
//! columns hold base64 text, and `json` columns hold nested JSON values that become JSON text.

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{
    BinaryViewBuilder, FixedSizeBinaryBuilder, GenericBinaryBuilder, GenericStringBuilder,
    StringViewBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_json::reader::{ArrayDecoder, DecoderContext, DecoderFactory, Tape, TapeElement};
use arrow_schema::{ArrowError, DataType, Field, FieldRef, TimeUnit};
use base64::Engine as _;
use stowage_format_support::json::{escape, number};

use crate::render;

/// Deepest nesting turned back into JSON text (keeps recursion bounded).
const MAX_DEPTH: usize = 1024;

/// Time zone used to parse timestamps of zoned columns (dlt writes UTC, `+00:00`).
const UTC_OFFSET: &str = "+00:00";

/// Picks [`RetagTimestamp`] for zoned timestamps, [`Base64Decoder`] for binary types and [`JsonTextDecoder`] for `json` string columns.
#[derive(Debug, Default)]
pub(crate) struct DltDecoderFactory;

impl DecoderFactory for DltDecoderFactory {
    fn make_default_decoder(
        &self,
        ctx: &DecoderContext,
        field: &FieldRef,
        is_nullable: bool,
    ) -> Result<Option<Box<dyn ArrayDecoder>>, ArrowError> {
        let dt = field.data_type().clone();
        Ok(match dt {
            DataType::Timestamp(unit, Some(tz)) => {
                let utc = DataType::Timestamp(unit, Some(UTC_OFFSET.into()));
                let utc_field = Arc::new(Field::clone(field).with_data_type(utc));
                let inner = ctx.make_builtin_decoder(&utc_field, is_nullable)?;
                Some(Box::new(RetagTimestamp { inner, unit, tz }))
            }
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                if render::is_json_field(field) =>
            {
                Some(Box::new(JsonTextDecoder { data_type: dt }))
            }
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => Some(Box::new(Base64Decoder { data_type: dt })),
            _ => None,
        })
    }
}

/// Parses a zoned timestamp column as UTC (arrow-rs is built without a time-zone database,
/// and the instants are the same in every zone), then labels it with the column's zone.
struct RetagTimestamp {
    inner: Box<dyn ArrayDecoder>,
    unit: TimeUnit,
    tz: Arc<str>,
}

impl ArrayDecoder for RetagTimestamp {
    fn decode(&mut self, tape: &Tape<'_>, pos: &[u32]) -> Result<ArrayRef, ArrowError> {
        let a = self.inner.decode(tape, pos)?;
        let tz = self.tz.clone();
        Ok(match self.unit {
            TimeUnit::Second => Arc::new(
                a.as_primitive::<TimestampSecondType>()
                    .clone()
                    .with_timezone(tz),
            ),
            TimeUnit::Millisecond => Arc::new(
                a.as_primitive::<TimestampMillisecondType>()
                    .clone()
                    .with_timezone(tz),
            ),
            TimeUnit::Microsecond => Arc::new(
                a.as_primitive::<TimestampMicrosecondType>()
                    .clone()
                    .with_timezone(tz),
            ),
            TimeUnit::Nanosecond => Arc::new(
                a.as_primitive::<TimestampNanosecondType>()
                    .clone()
                    .with_timezone(tz),
            ),
        })
    }
}

/// Decodes base64 strings into binary arrays.
struct Base64Decoder {
    data_type: DataType,
}

impl ArrayDecoder for Base64Decoder {
    fn decode(&mut self, tape: &Tape<'_>, pos: &[u32]) -> Result<ArrayRef, ArrowError> {
        let n = pos.len();
        Ok(match self.data_type {
            DataType::Binary => {
                let mut b = GenericBinaryBuilder::<i32>::with_capacity(n, 0);
                each_base64(tape, pos, |v| {
                    b.append_option(v);
                    Ok(())
                })?;
                Arc::new(b.finish())
            }
            DataType::LargeBinary => {
                let mut b = GenericBinaryBuilder::<i64>::with_capacity(n, 0);
                each_base64(tape, pos, |v| {
                    b.append_option(v);
                    Ok(())
                })?;
                Arc::new(b.finish())
            }
            DataType::BinaryView => {
                let mut b = BinaryViewBuilder::with_capacity(n);
                each_base64(tape, pos, |v| {
                    b.append_option(v);
                    Ok(())
                })?;
                Arc::new(b.finish())
            }
            DataType::FixedSizeBinary(size) => {
                let mut b = FixedSizeBinaryBuilder::with_capacity(n, size);
                each_base64(tape, pos, |v| match v {
                    Some(v) => b.append_value(v),
                    None => {
                        b.append_null();
                        Ok(())
                    }
                })?;
                Arc::new(b.finish())
            }
            ref other => return Err(ArrowError::JsonError(format!("base64 decoder for {other}"))),
        })
    }
}

/// Calls `f` with the decoded bytes of every row (`None` for null).
fn each_base64(
    tape: &Tape<'_>,
    pos: &[u32],
    mut f: impl FnMut(Option<&[u8]>) -> Result<(), ArrowError>,
) -> Result<(), ArrowError> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let mut scratch = Vec::new();
    for &p in pos {
        match tape.get(p) {
            TapeElement::Null => f(None)?,
            TapeElement::String(idx) => {
                scratch.clear();
                engine
                    .decode_vec(tape.get_string(idx), &mut scratch)
                    .map_err(|e| {
                        ArrowError::JsonError(format!("invalid base64 in binary column: {e}"))
                    })?;
                f(Some(&scratch))?;
            }
            _ => return Err(tape.error(p, "base64 string")),
        }
    }
    Ok(())
}

/// Turns any JSON value into compact JSON text (orjson style) in a string column.
struct JsonTextDecoder {
    data_type: DataType,
}

impl ArrayDecoder for JsonTextDecoder {
    fn decode(&mut self, tape: &Tape<'_>, pos: &[u32]) -> Result<ArrayRef, ArrowError> {
        let n = pos.len();
        Ok(match self.data_type {
            DataType::Utf8 => {
                let mut b = GenericStringBuilder::<i32>::with_capacity(n, n * 16);
                each_json_text(tape, pos, |v| b.append_option(v))?;
                Arc::new(b.finish())
            }
            DataType::LargeUtf8 => {
                let mut b = GenericStringBuilder::<i64>::with_capacity(n, n * 16);
                each_json_text(tape, pos, |v| b.append_option(v))?;
                Arc::new(b.finish())
            }
            _ => {
                let mut b = StringViewBuilder::with_capacity(n);
                each_json_text(tape, pos, |v| b.append_option(v))?;
                Arc::new(b.finish())
            }
        })
    }
}

/// Calls `f` with the JSON text of every row (`None` for JSON `null` / missing).
fn each_json_text(
    tape: &Tape<'_>,
    pos: &[u32],
    mut f: impl FnMut(Option<&str>),
) -> Result<(), ArrowError> {
    let mut scratch = Vec::new();
    for &p in pos {
        if let TapeElement::Null = tape.get(p) {
            f(None);
            continue;
        }
        scratch.clear();
        write_tape(tape, p, &mut scratch, 0)?;
        let text = std::str::from_utf8(&scratch)
            .map_err(|e| ArrowError::JsonError(format!("invalid UTF-8 in JSON text: {e}")))?;
        f(Some(text));
    }
    Ok(())
}

/// Writes the value at `idx` as compact JSON; returns the index after it.
fn write_tape(
    tape: &Tape<'_>,
    idx: u32,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<u32, ArrowError> {
    if depth > MAX_DEPTH {
        return Err(ArrowError::JsonError(
            "JSON nested deeper than 1024 levels".into(),
        ));
    }
    match tape.get(idx) {
        TapeElement::StartObject(end) => write_container(tape, idx, end, true, out, depth)?,
        TapeElement::StartList(end) => write_container(tape, idx, end, false, out, depth)?,
        TapeElement::String(s) => escape::write_str(out, tape.get_string(s)),
        TapeElement::Number(s) => out.extend_from_slice(tape.get_string(s).as_bytes()),
        TapeElement::True => out.extend_from_slice(b"true"),
        TapeElement::False => out.extend_from_slice(b"false"),
        TapeElement::Null => out.extend_from_slice(b"null"),
        TapeElement::I32(v) => number::write_int(out, v),
        TapeElement::F32(v) => number::write_f64_or_null(out, f64::from(f32::from_bits(v))),
        TapeElement::I64(high) => {
            let TapeElement::I32(low) = tape.get(idx + 1) else {
                return Err(tape.error(idx, "a 64-bit integer"));
            };
            number::write_int(out, (i64::from(high) << 32) | i64::from(low as u32));
        }
        TapeElement::F64(high) => {
            let TapeElement::F32(low) = tape.get(idx + 1) else {
                return Err(tape.error(idx, "a 64-bit float"));
            };
            number::write_f64_or_null(
                out,
                f64::from_bits((u64::from(high) << 32) | u64::from(low)),
            );
        }
        TapeElement::EndObject(_) | TapeElement::EndList(_) => {
            return Err(tape.error(idx, "a value"));
        }
        _ => return Err(tape.error(idx, "a JSON value")),
    }
    tape.next(idx, "a JSON value")
}

fn write_container(
    tape: &Tape<'_>,
    idx: u32,
    end: u32,
    object: bool,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), ArrowError> {
    out.push(if object { b'{' } else { b'[' });
    let mut cur = idx + 1;
    let mut first = true;
    while cur < end {
        if !first {
            out.push(b',');
        }
        first = false;
        if object {
            cur = write_tape(tape, cur, out, depth + 1)?;
            out.push(b':');
        }
        cur = write_tape(tape, cur, out, depth + 1)?;
    }
    out.push(if object { b'}' } else { b']' });
    Ok(())
}
