//! Rows of one table, buffered column by column until they are emitted as an Arrow batch.
//!
//! A column's builder (its slot) is created when its first value arrives (earlier rows get
//! nulls) and kept across flushes; the emitted batch has every complete column of the table's
//! schema in schema order, so parquet and csv files follow the schema's column order as dlt's do.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder,
    StringBuilder, Time64MicrosecondBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch, new_null_array};
use arrow_schema::{Field, Schema as ArrowSchema};
use stowage_plugin_sdk::types::UTC;

use super::coerce::Cell;
use super::flatten::Name;
use crate::schema::{ColumnDef, DltType};
use crate::{Error, Result};

/// A growable Arrow array of one dlt type.
enum ColumnBuilder {
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Double(Float64Builder),
    Text(StringBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Date(Date32Builder),
    Time(Time64MicrosecondBuilder),
    Decimal(Decimal128Builder),
    Binary(BinaryBuilder),
    /// Types the normalizer never produces from records (`wei`): always null.
    Nulls(usize),
}

impl ColumnBuilder {
    fn new(t: DltType) -> ColumnBuilder {
        match t {
            DltType::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            DltType::Bigint => ColumnBuilder::Int(Int64Builder::new()),
            DltType::Double => ColumnBuilder::Double(Float64Builder::new()),
            DltType::Text | DltType::Json => ColumnBuilder::Text(StringBuilder::new()),
            DltType::Timestamp => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::new().with_timezone(UTC))
            }
            DltType::Date => ColumnBuilder::Date(Date32Builder::new()),
            DltType::Time => ColumnBuilder::Time(Time64MicrosecondBuilder::new()),
            DltType::Decimal => ColumnBuilder::Decimal(
                Decimal128Builder::new()
                    .with_precision_and_scale(38, 9)
                    .expect("valid decimal"),
            ),
            DltType::Binary => ColumnBuilder::Binary(BinaryBuilder::new()),
            DltType::Wei => ColumnBuilder::Nulls(0),
        }
    }

    fn append_null(&mut self) {
        match self {
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Double(b) => b.append_null(),
            ColumnBuilder::Text(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Time(b) => b.append_null(),
            ColumnBuilder::Decimal(b) => b.append_null(),
            ColumnBuilder::Binary(b) => b.append_null(),
            ColumnBuilder::Nulls(n) => *n += 1,
        }
    }

    /// Appends `cell` (coerced to this column's type; anything else appends null).
    fn append(&mut self, cell: Cell<'_>) {
        match (self, cell) {
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Int(b), Cell::Int(v)) => b.append_value(v),
            (ColumnBuilder::Double(b), Cell::Double(v)) => b.append_value(v),
            (ColumnBuilder::Text(b), Cell::Text(v)) => b.append_value(v.as_ref()),
            (ColumnBuilder::Timestamp(b), Cell::Timestamp(v)) => b.append_value(v),
            (ColumnBuilder::Date(b), Cell::Date(v)) => b.append_value(v),
            (ColumnBuilder::Time(b), Cell::Time(v)) => b.append_value(v),
            (ColumnBuilder::Decimal(b), Cell::Decimal(v)) => b.append_value(v),
            (ColumnBuilder::Binary(b), Cell::Binary(v)) => b.append_value(v),
            (builder, _) => builder.append_null(),
        }
    }

    fn finish(&mut self, field: &Field) -> ArrayRef {
        match self {
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Double(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Time(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b) => Arc::new(b.finish()),
            ColumnBuilder::Binary(b) => Arc::new(b.finish()),
            ColumnBuilder::Nulls(n) => {
                let array = new_null_array(field.data_type(), *n);
                *n = 0;
                array
            }
        }
    }
}

/// One column of the buffer: its name, dlt type and builder.
struct Slot {
    name: Name,
    data_type: DltType,
    builder: ColumnBuilder,
}

/// Buffered rows of one table. Columns are slots that live as long as the buffer (a flush
/// empties their builders), so the normalizer can remember a column's slot across batches.
pub struct TableBuffer {
    table: String,
    slots: Vec<Slot>,
    index: HashMap<Name, usize>,
    rows: usize,
    /// Rows of this batch whose `_dlt_id` is a placeholder (see `row_ids`).
    deferred: Vec<u32>,
}

impl std::fmt::Debug for TableBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableBuffer")
            .field("table", &self.table)
            .field("rows", &self.rows)
            .finish()
    }
}

impl TableBuffer {
    /// An empty buffer for `table`.
    pub fn new(table: &str) -> Self {
        TableBuffer {
            table: table.into(),
            slots: Vec::new(),
            index: HashMap::new(),
            rows: 0,
            deferred: Vec::new(),
        }
    }

    /// Rows buffered.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The slot of column `name`, if it has one.
    pub fn slot_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The name and dlt type of a slot.
    pub fn slot(&self, slot: usize) -> (&Name, DltType) {
        let s = &self.slots[slot];
        (&s.name, s.data_type)
    }

    /// Adds column `name` of type `data_type` (earlier rows get nulls); returns its slot.
    pub fn add_slot(&mut self, name: Name, data_type: DltType) -> usize {
        let mut builder = ColumnBuilder::new(data_type);
        (0..self.rows).for_each(|_| builder.append_null());
        self.slots.push(Slot {
            name: name.clone(),
            data_type,
            builder,
        });
        self.index.insert(name, self.slots.len() - 1);
        self.slots.len() - 1
    }

    /// Appends a value of the row being built to `slot`.
    pub fn append(&mut self, slot: usize, cell: Cell<'_>) {
        self.slots[slot].builder.append(cell);
    }

    /// Marks the row being built as one whose `_dlt_id` is filled in when it is emitted.
    pub fn defer_id(&mut self) {
        self.deferred.push(self.rows as u32);
    }

    /// Ends the row being built: columns that got no value are null.
    pub fn end_row(&mut self) {
        self.rows += 1;
        for slot in &mut self.slots {
            if builder_len(&slot.builder) < self.rows {
                slot.builder.append_null();
            }
        }
    }

    /// Emits the buffered rows with `columns` (the table's complete columns, schema order),
    /// and the rows whose `_dlt_id` is still a placeholder.
    pub fn flush(&mut self, columns: &[ColumnDef]) -> Result<Option<(RecordBatch, Vec<u32>)>> {
        if self.rows == 0 {
            return Ok(None);
        }
        let deferred = std::mem::take(&mut self.deferred);
        let rows = std::mem::take(&mut self.rows);
        let mut fields = Vec::with_capacity(columns.len());
        let mut arrays = Vec::with_capacity(columns.len());
        for column in columns {
            let Some(data_type) = column.data_type else {
                continue;
            };
            let field = data_type.arrow_field(&column.name, column.nullable);
            let array = match self.index.get(column.name.as_str()) {
                Some(&slot) => self.slots[slot].builder.finish(&field),
                None => new_null_array(field.data_type(), rows),
            };
            fields.push(field);
            arrays.push(array);
        }
        for slot in &mut self.slots {
            if builder_len(&slot.builder) > 0 {
                // A slot whose column is not (yet) complete in the schema: drop its values.
                let field = slot.data_type.arrow_field(&slot.name, true);
                slot.builder.finish(&field);
            }
        }
        RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), arrays)
            .map(|batch| Some((batch, deferred)))
            .map_err(|e| Error::unexpected(format!("building a batch of `{}`: {e}", self.table)))
    }
}

fn builder_len(builder: &ColumnBuilder) -> usize {
    use arrow_array::builder::ArrayBuilder;
    match builder {
        ColumnBuilder::Bool(b) => b.len(),
        ColumnBuilder::Int(b) => b.len(),
        ColumnBuilder::Double(b) => b.len(),
        ColumnBuilder::Text(b) => b.len(),
        ColumnBuilder::Timestamp(b) => b.len(),
        ColumnBuilder::Date(b) => b.len(),
        ColumnBuilder::Time(b) => b.len(),
        ColumnBuilder::Decimal(b) => b.len(),
        ColumnBuilder::Binary(b) => b.len(),
        ColumnBuilder::Nulls(n) => *n,
    }
}
