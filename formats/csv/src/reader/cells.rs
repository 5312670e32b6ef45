//! The cells of one batch, column by column, and their decoding into Arrow arrays of the
//! requested types.
//!
//! An empty unquoted cell (or a missing one) is null. `""` is an empty string in string and
//! binary columns and null in every other column (dlt's readers treat it as null too).

use std::str::FromStr;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, LargeBinaryBuilder, LargeStringBuilder, PrimitiveBuilder,
    StringBuilder,
};
use arrow_array::types::*;
use arrow_array::{ArrayRef, ArrowPrimitiveType, NullArray, StringArray};
use arrow_schema::{DataType, Field, TimeUnit};
use stowage_plugin_sdk::types::is_json_field;
use stowage_plugin_sdk::{PluginError, Result};

use crate::temporal;

/// What a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    /// Empty and unquoted, or absent from a short row.
    Null,
    /// `""`.
    QuotedEmpty,
    /// Text (quoted or not).
    Value,
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    start: usize,
    end: usize,
    state: CellState,
}

/// The cells of one batch, stored column by column over one byte buffer.
#[derive(Debug, Default)]
pub struct CellBatch {
    data: Vec<u8>,
    columns: Vec<Vec<Cell>>,
    lines: Vec<u64>,
}

impl CellBatch {
    /// An empty batch of `columns` columns.
    pub fn new(columns: usize) -> CellBatch {
        CellBatch {
            data: Vec::new(),
            columns: vec![Vec::new(); columns],
            lines: Vec::new(),
        }
    }

    /// Rows held.
    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    /// Starts a row read from `line`.
    pub fn start_row(&mut self, line: u64) {
        self.lines.push(line);
    }

    /// Appends the cell of `column` in the current row.
    pub fn push(&mut self, column: usize, value: Option<(&[u8], bool)>) {
        let start = self.data.len();
        let state = match value {
            None | Some(([], false)) => CellState::Null,
            Some(([], true)) => CellState::QuotedEmpty,
            Some((bytes, _)) => {
                self.data.extend_from_slice(bytes);
                CellState::Value
            }
        };
        self.columns[column].push(Cell {
            start,
            end: self.data.len(),
            state,
        });
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.data.clear();
        self.lines.clear();
        self.columns.iter_mut().for_each(Vec::clear);
    }

    /// The cells of `column` as text.
    fn column(&self, column: usize) -> ColumnCells<'_> {
        ColumnCells {
            batch: self,
            cells: &self.columns[column],
        }
    }

    /// Decodes `column` into an array of `field`'s type.
    pub fn decode(&self, column: usize, field: &Field) -> Result<ArrayRef> {
        decode(&self.column(column), field)
            .map_err(|e| e.with_context("column", field.name().as_str()))
    }
}

struct ColumnCells<'a> {
    batch: &'a CellBatch,
    cells: &'a [Cell],
}

impl ColumnCells<'_> {
    fn len(&self) -> usize {
        self.cells.len()
    }

    fn state(&self, row: usize) -> CellState {
        self.cells[row].state
    }

    /// The text of `row` (empty for nulls and `""`).
    fn text(&self, row: usize) -> Result<&str> {
        let c = self.cells[row];
        std::str::from_utf8(&self.batch.data[c.start..c.end]).map_err(|_| {
            PluginError::invalid(format!(
                "csv line {}: the value is not valid UTF-8",
                self.batch.lines[row]
            ))
        })
    }

    fn bytes(&self, row: usize) -> &[u8] {
        let c = self.cells[row];
        &self.batch.data[c.start..c.end]
    }

    /// Parses every non-null cell with `parse`; `""` is null.
    fn each<T>(&self, mut parse: impl FnMut(&str) -> Result<T>) -> Result<Vec<Option<T>>> {
        (0..self.len())
            .map(|row| match self.state(row) {
                CellState::Null | CellState::QuotedEmpty => Ok(None),
                CellState::Value => {
                    let text = self.text(row)?;
                    parse(text)
                        .map(Some)
                        .map_err(|e| e.with_context("line", self.batch.lines[row].to_string()))
                }
            })
            .collect()
    }
}

fn decode(cells: &ColumnCells<'_>, field: &Field) -> Result<ArrayRef> {
    let dt = field.data_type();
    Ok(match dt {
        DataType::Null => Arc::new(NullArray::new(cells.len())),
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(cells.len());
            cells
                .each(parse_bool)?
                .into_iter()
                .for_each(|v| b.append_option(v));
            Arc::new(b.finish())
        }
        DataType::Int8 => primitive::<Int8Type>(cells, dt)?,
        DataType::Int16 => primitive::<Int16Type>(cells, dt)?,
        DataType::Int32 => primitive::<Int32Type>(cells, dt)?,
        DataType::Int64 => primitive::<Int64Type>(cells, dt)?,
        DataType::UInt8 => primitive::<UInt8Type>(cells, dt)?,
        DataType::UInt16 => primitive::<UInt16Type>(cells, dt)?,
        DataType::UInt32 => primitive::<UInt32Type>(cells, dt)?,
        DataType::UInt64 => primitive::<UInt64Type>(cells, dt)?,
        DataType::Float32 => primitive::<Float32Type>(cells, dt)?,
        DataType::Float64 => primitive::<Float64Type>(cells, dt)?,
        DataType::Decimal32(p, s) => decimal::<Decimal32Type>(cells, *p, *s)?,
        DataType::Decimal64(p, s) => decimal::<Decimal64Type>(cells, *p, *s)?,
        DataType::Decimal128(p, s) => decimal::<Decimal128Type>(cells, *p, *s)?,
        DataType::Decimal256(p, s) => decimal::<Decimal256Type>(cells, *p, *s)?,
        DataType::Date32 => built::<Date32Type>(cells.each(temporal::parse_date)?, dt),
        DataType::Time32(unit) => {
            let v = cells.each(|t| time_i32(t, *unit))?;
            match unit {
                TimeUnit::Second => built::<Time32SecondType>(v, dt),
                _ => built::<Time32MillisecondType>(v, dt),
            }
        }
        DataType::Time64(unit) => {
            let v = cells.each(|t| temporal::parse_time(t, *unit))?;
            match unit {
                TimeUnit::Nanosecond => built::<Time64NanosecondType>(v, dt),
                _ => built::<Time64MicrosecondType>(v, dt),
            }
        }
        DataType::Timestamp(unit, _) => {
            let v = cells.each(|t| temporal::parse_timestamp(t, *unit))?;
            match unit {
                TimeUnit::Second => built::<TimestampSecondType>(v, dt),
                TimeUnit::Millisecond => built::<TimestampMillisecondType>(v, dt),
                TimeUnit::Microsecond => built::<TimestampMicrosecondType>(v, dt),
                TimeUnit::Nanosecond => built::<TimestampNanosecondType>(v, dt),
            }
        }
        DataType::Utf8 => {
            let mut b = StringBuilder::with_capacity(cells.len(), 0);
            strings(cells, is_json_field(field), |v| b.append_option(v))?;
            Arc::new(b.finish())
        }
        DataType::LargeUtf8 => {
            let mut b = LargeStringBuilder::with_capacity(cells.len(), 0);
            strings(cells, is_json_field(field), |v| b.append_option(v))?;
            Arc::new(b.finish())
        }
        DataType::Binary => {
            let mut b = BinaryBuilder::with_capacity(cells.len(), 0);
            binaries(cells, |v| b.append_option(v))?;
            Arc::new(b.finish())
        }
        DataType::LargeBinary => {
            let mut b = LargeBinaryBuilder::with_capacity(cells.len(), 0);
            binaries(cells, |v| b.append_option(v))?;
            Arc::new(b.finish())
        }
        other => via_cast(cells, other)?,
    })
}

/// Types without their own decoder: read as strings and cast by arrow.
fn via_cast(cells: &ColumnCells<'_>, dt: &DataType) -> Result<ArrayRef> {
    let mut texts: Vec<Option<&str>> = Vec::with_capacity(cells.len());
    for row in 0..cells.len() {
        texts.push(match cells.state(row) {
            CellState::Value => Some(cells.text(row)?),
            CellState::Null | CellState::QuotedEmpty => None,
        });
    }
    let strings: ArrayRef = Arc::new(StringArray::from(texts));
    let cast_options = arrow_cast::CastOptions {
        safe: false,
        ..Default::default()
    };
    arrow_cast::cast_with_options(&strings, dt, &cast_options)
        .map_err(|e| PluginError::invalid(format!("cannot read csv text as {dt}: {e}")))
}

fn parse_bool(text: &str) -> Result<bool> {
    match text.trim() {
        "True" | "true" | "TRUE" | "1" => Ok(true),
        "False" | "false" | "FALSE" | "0" => Ok(false),
        other => Err(PluginError::invalid(format!(
            "`{other}` is not a boolean (True/False)"
        ))),
    }
}

fn primitive<T>(cells: &ColumnCells<'_>, dt: &DataType) -> Result<ArrayRef>
where
    T: ArrowPrimitiveType,
    T::Native: FromStr,
{
    let values = cells.each(|text| {
        text.trim()
            .parse::<T::Native>()
            .map_err(|_| PluginError::invalid(format!("`{text}` is not a valid {dt}")))
    })?;
    Ok(built::<T>(values, dt))
}

fn built<T: ArrowPrimitiveType>(values: Vec<Option<T::Native>>, dt: &DataType) -> ArrayRef {
    let mut b = PrimitiveBuilder::<T>::with_capacity(values.len()).with_data_type(dt.clone());
    values.into_iter().for_each(|v| b.append_option(v));
    Arc::new(b.finish())
}

fn decimal<T: DecimalType>(cells: &ColumnCells<'_>, precision: u8, scale: i8) -> Result<ArrayRef> {
    let values = cells.each(|text| {
        arrow_cast::parse::parse_decimal::<T>(text.trim(), precision, scale)
            .map_err(|e| PluginError::invalid(e.to_string()))
    })?;
    Ok(built::<T>(values, &T::TYPE_CONSTRUCTOR(precision, scale)))
}

fn time_i32(text: &str, unit: TimeUnit) -> Result<i32> {
    let v = temporal::parse_time(text, unit)?;
    i32::try_from(v).map_err(|_| PluginError::invalid(format!("`{text}` is out of range")))
}

/// String cells; in `json` columns `""` and the text `null` are null.
fn strings(
    cells: &ColumnCells<'_>,
    json: bool,
    mut append: impl FnMut(Option<&str>),
) -> Result<()> {
    for row in 0..cells.len() {
        match cells.state(row) {
            CellState::Null => append(None),
            CellState::QuotedEmpty if json => append(None),
            CellState::QuotedEmpty => append(Some("")),
            CellState::Value => {
                let text = cells.text(row)?;
                append((!json || text.trim() != "null").then_some(text));
            }
        }
    }
    Ok(())
}

/// Binary cells: `\x` + hex digits decode to bytes; other text is taken as its UTF-8 bytes.
fn binaries(cells: &ColumnCells<'_>, mut append: impl FnMut(Option<&[u8]>)) -> Result<()> {
    let mut scratch = Vec::new();
    for row in 0..cells.len() {
        match cells.state(row) {
            CellState::Null => append(None),
            CellState::QuotedEmpty => append(Some(b"")),
            CellState::Value => {
                let bytes = cells.bytes(row);
                match bytes.strip_prefix(b"\\x") {
                    Some(hex) => {
                        decode_hex(hex, &mut scratch).map_err(|e| {
                            e.with_context("line", cells.batch.lines[row].to_string())
                        })?;
                        append(Some(&scratch));
                    }
                    None => append(Some(bytes)),
                }
            }
        }
    }
    Ok(())
}

fn decode_hex(hex: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let bad = || PluginError::invalid("a binary value starting with \\x is not valid hex");
    if !hex.len().is_multiple_of(2) {
        return Err(bad());
    }
    out.clear();
    for pair in hex.chunks_exact(2) {
        let digit = |b: u8| (b as char).to_digit(16).ok_or_else(bad);
        out.push((digit(pair[0])? * 16 + digit(pair[1])?) as u8);
    }
    Ok(())
}
