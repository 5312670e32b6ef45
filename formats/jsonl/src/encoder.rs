//! Arrow record batches → dlt jsonl: one compact JSON object per row, each followed by `\n`.
//!
//! Keys follow the schema's column order and only non-null values are written (NaN, infinite
//! floats and JSON `null` in `json` columns count as null). Rows are rendered straight into a
//! reusable byte buffer that is handed to the sink in large chunks; with gzip the sink is
//! wrapped in a streaming [`GzEncoder`].

use std::io::Write;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, Field, FieldRef};
use flate2::Compression;
use flate2::write::GzEncoder;
use stowage_format_support::json::escape;
use stowage_plugin_sdk::{PluginError, Result, WriteSummary};

use crate::render::{Render, renderer};

/// The row buffer is handed to the sink whenever it holds at least this many bytes.
const FLUSH_BYTES: usize = 256 * 1024;

/// Writes every batch of `batches` to `sink`, gzip-compressed at `gzip_level` if set.
pub fn write_jsonl(
    batches: &mut dyn RecordBatchReader,
    sink: &mut (dyn Write + Send),
    gzip_level: Option<u32>,
) -> Result<WriteSummary> {
    let mut counted = CountingWriter {
        inner: sink,
        bytes: 0,
    };
    let mut summary = match gzip_level {
        None => encode_all(batches, &mut counted)?,
        Some(level) => {
            let mut gz = GzEncoder::new(&mut counted, Compression::new(level));
            let summary = encode_all(batches, &mut gz)?;
            gz.finish()
                .map_err(|e| PluginError::from_io_error(e, "finishing gzip stream"))?;
            summary
        }
    };
    summary.bytes = counted.bytes;
    Ok(summary)
}

/// Encodes all batches as plain jsonl into `out`.
fn encode_all(batches: &mut dyn RecordBatchReader, out: &mut dyn Write) -> Result<WriteSummary> {
    let mut buf = Vec::with_capacity(FLUSH_BYTES + FLUSH_BYTES / 4);
    let mut summary = WriteSummary::default();
    for batch in batches {
        let batch = decode_encodings(&batch.map_err(PluginError::from)?)?;
        let encoder = BatchEncoder::new(&batch)?;
        for row in 0..batch.num_rows() {
            encoder.write_row(row, &mut buf)?;
            if buf.len() >= FLUSH_BYTES {
                flush(&mut buf, out)?;
            }
        }
        summary.rows += batch.num_rows() as u64;
        summary.batches += 1;
    }
    flush(&mut buf, out)?;
    Ok(summary)
}

fn flush(buf: &mut Vec<u8>, out: &mut dyn Write) -> Result<()> {
    out.write_all(buf)
        .map_err(|e| PluginError::from_io_error(e, "writing jsonl"))?;
    buf.clear();
    Ok(())
}

/// Appends the jsonl lines of `batch` to `out` (a convenience for tests and small data).
pub fn encode_batch(batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
    let batch = &decode_encodings(batch)?;
    let encoder = BatchEncoder::new(batch)?;
    (0..batch.num_rows()).try_for_each(|row| encoder.write_row(row, out))
}

/// The column writers of one batch.
struct BatchEncoder<'a> {
    columns: Vec<Column<'a>>,
}

struct Column<'a> {
    name: &'a str,
    /// `"name":`
    key: Vec<u8>,
    render: Box<dyn Render + 'a>,
}

impl<'a> BatchEncoder<'a> {
    fn new(batch: &'a RecordBatch) -> Result<BatchEncoder<'a>> {
        let schema = batch.schema_ref();
        let columns = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, array)| Column::new(field, array))
            .collect::<Result<_>>()?;
        Ok(BatchEncoder { columns })
    }

    /// Appends row `row` and its `\n`.
    fn write_row(&self, row: usize, out: &mut Vec<u8>) -> Result<()> {
        out.push(b'{');
        let mut first = true;
        for col in &self.columns {
            if !col.render.present(row) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(&col.key);
            col.render.write(row, out).map_err(|e| {
                e.with_context("column", col.name)
                    .with_context("row", row.to_string())
            })?;
        }
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}

impl<'a> Column<'a> {
    fn new(field: &'a FieldRef, array: &'a ArrayRef) -> Result<Column<'a>> {
        let render = renderer(array.as_ref(), field)
            .map_err(|e| e.with_context("column", field.name().as_str()))?;
        Ok(Column {
            name: field.name(),
            key: escape::key_bytes(field.name()),
            render,
        })
    }
}

/// Decodes dictionary and run-end encoded columns (anywhere in the type) to plain arrays.
pub fn decode_encodings(batch: &RecordBatch) -> Result<RecordBatch> {
    let needs = batch
        .columns()
        .iter()
        .any(|c| plain_type(c.data_type()).is_some());
    if !needs {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        match plain_type(column.data_type()) {
            None => {
                fields.push(field.clone());
                columns.push(column.clone());
            }
            Some(target) => {
                let cast = arrow_cast::cast(column, &target).map_err(|e| {
                    PluginError::unsupported(format!(
                        "cannot decode column `{}` of type {}: {e}",
                        field.name(),
                        column.data_type()
                    ))
                })?;
                fields.push(FieldRef::new(field.as_ref().clone().with_data_type(target)));
                columns.push(cast);
            }
        }
    }
    let schema =
        arrow_schema::Schema::new_with_metadata(fields, batch.schema_ref().metadata().clone());
    RecordBatch::try_new(schema.into(), columns).map_err(PluginError::from)
}

/// The type with dictionary/run-end encodings removed, or `None` if there are none.
fn plain_type(dt: &DataType) -> Option<DataType> {
    match dt {
        DataType::Dictionary(_, value) => {
            Some(plain_type(value).unwrap_or_else(|| value.as_ref().clone()))
        }
        DataType::RunEndEncoded(_, values) => {
            Some(plain_type(values.data_type()).unwrap_or_else(|| values.data_type().clone()))
        }
        DataType::Struct(fields) => {
            let plain: Vec<Option<DataType>> =
                fields.iter().map(|f| plain_type(f.data_type())).collect();
            if plain.iter().all(Option::is_none) {
                return None;
            }
            let fields = fields
                .iter()
                .zip(plain)
                .map(|(f, p)| with_type(f, p))
                .collect();
            Some(DataType::Struct(fields))
        }
        DataType::List(f) => {
            plain_type(f.data_type()).map(|t| DataType::List(with_type(f, Some(t))))
        }
        DataType::LargeList(f) => {
            plain_type(f.data_type()).map(|t| DataType::LargeList(with_type(f, Some(t))))
        }
        DataType::FixedSizeList(f, n) => {
            plain_type(f.data_type()).map(|t| DataType::FixedSizeList(with_type(f, Some(t)), *n))
        }
        _ => None,
    }
}

fn with_type(field: &FieldRef, dt: Option<DataType>) -> FieldRef {
    match dt {
        None => field.clone(),
        Some(dt) => FieldRef::new(Field::clone(field).with_data_type(dt)),
    }
}

/// Counts the bytes that reach the sink.
struct CountingWriter<'a> {
    inner: &'a mut (dyn Write + Send),
    bytes: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
