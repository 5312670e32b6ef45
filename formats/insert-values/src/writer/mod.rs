//! Arrow record batches → one SQL statement:
//!
//! ```text
//! INSERT INTO {}("id","name")
//! VALUES
//! (1,E'Alice'),
//! (2,NULL);
//! ```
//!
//! `{}` stands for the table name (dlt's placeholder: the loader formats the header with the
//! qualified name); replace its first occurrence to get executable SQL. Identifiers are quoted
//! with `"` (inner `"` doubled). A stream without rows gives an empty file (an empty script).
//! Rows are rendered into a reusable buffer handed to the sink in large chunks; with gzip the
//! sink is wrapped in a streaming [`GzEncoder`].

pub mod literals;

use std::io::Write;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::SchemaRef;
use flate2::Compression;
use flate2::write::GzEncoder;
use stowage_format_support::batches;
use stowage_plugin_sdk::{PluginError, Result, WriteSummary};

use crate::config::{Dialect, InsertValuesConfig};
use literals::LiteralWriter;

/// The row buffer is handed to the sink whenever it holds at least this many bytes.
const FLUSH_BYTES: usize = 256 * 1024;

/// Writes every batch of `batches` to `sink` as one INSERT statement.
pub fn write_insert_values(
    config: &InsertValuesConfig,
    batches: &mut dyn RecordBatchReader,
    sink: &mut (dyn Write + Send),
) -> Result<WriteSummary> {
    match config.gzip_level {
        None => encode_all(config.dialect, batches, sink),
        Some(level) => {
            let mut gz = GzEncoder::new(sink, Compression::new(level));
            let summary = encode_all(config.dialect, batches, &mut gz)?;
            gz.finish()
                .map_err(|e| PluginError::from_io_error(e, "finishing gzip stream"))?;
            Ok(summary)
        }
    }
}

fn encode_all(
    dialect: Dialect,
    batches: &mut dyn RecordBatchReader,
    out: &mut dyn Write,
) -> Result<WriteSummary> {
    let schema = batches.schema();
    let mut buf = Vec::with_capacity(FLUSH_BYTES + FLUSH_BYTES / 4);
    let mut summary = WriteSummary::default();
    for batch in batches {
        let batch = batch.map_err(PluginError::from)?;
        check_columns(&schema, &batch)?;
        let writers = writers(&batch, dialect)?;
        for row in 0..batch.num_rows() {
            if summary.rows == 0 && row == 0 {
                write_header(&schema, &mut buf);
            } else {
                buf.extend_from_slice(b",\n");
            }
            write_row(&writers, &schema, row, &mut buf)?;
            if buf.len() >= FLUSH_BYTES {
                flush(&mut buf, out)?;
            }
        }
        summary.rows += batch.num_rows() as u64;
        summary.batches += 1;
    }
    if summary.rows > 0 {
        buf.push(b';');
    }
    flush(&mut buf, out)?;
    Ok(summary)
}

/// Appends `INSERT INTO {}("a","b")\nVALUES\n`.
pub fn write_header(schema: &SchemaRef, out: &mut Vec<u8>) {
    out.extend_from_slice(b"INSERT INTO {}(");
    for (i, field) in schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_identifier(out, field.name());
    }
    out.extend_from_slice(b")\nVALUES\n");
}

/// Appends `"name"` with inner `"` doubled.
pub fn write_identifier(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    out.extend_from_slice(name.replace('"', "\"\"").as_bytes());
    out.push(b'"');
}

fn writers(batch: &RecordBatch, dialect: Dialect) -> Result<Vec<LiteralWriter>> {
    batch
        .schema_ref()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, array)| LiteralWriter::new(field, array, dialect))
        .collect()
}

fn write_row(
    writers: &[LiteralWriter],
    schema: &SchemaRef,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    out.push(b'(');
    for (i, writer) in writers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        writer.write(row, out).map_err(|e| {
            e.with_context("column", schema.field(i).name().as_str())
                .with_context("row", row.to_string())
        })?;
    }
    out.push(b')');
    Ok(())
}

/// One statement has one column list: every batch has the stream's columns.
fn check_columns(schema: &SchemaRef, batch: &RecordBatch) -> Result<()> {
    if batches::same_columns(schema, batch) {
        return Ok(());
    }
    Err(PluginError::invalid(
        "a batch's columns differ from the statement's column list (start a new file)",
    ))
}

fn flush(buf: &mut Vec<u8>, out: &mut dyn Write) -> Result<()> {
    out.write_all(buf)
        .map_err(|e| PluginError::from_io_error(e, "writing insert_values"))?;
    buf.clear();
    Ok(())
}
