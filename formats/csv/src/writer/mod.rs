//! Arrow record batches → csv as dlt's object writer produces it: a header line of quoted
//! names, then one line per row; every line ends with the line terminator.
//!
//! Rows are rendered into a reusable buffer that is handed to the sink in large chunks; with
//! gzip the sink is wrapped in a streaming [`GzEncoder`]. A null is an empty, unquoted field.

pub mod cells;
pub mod quoting;

use std::io::Write;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::SchemaRef;
use flate2::Compression;
use flate2::write::GzEncoder;
use stowage_format_support::batches;
use stowage_plugin_sdk::{PluginError, Result, WriteSummary};

use crate::config::CsvConfig;
use cells::{CellKind, CellRenderer};
use quoting::write_field;

/// The row buffer is handed to the sink whenever it holds at least this many bytes.
const FLUSH_BYTES: usize = 256 * 1024;

/// Writes every batch of `batches` to `sink` as one csv file.
pub fn write_csv(
    config: &CsvConfig,
    batches: &mut dyn RecordBatchReader,
    sink: &mut (dyn Write + Send),
) -> Result<WriteSummary> {
    match config.gzip_level {
        None => encode_all(config, batches, sink),
        Some(level) => {
            let mut gz = GzEncoder::new(sink, Compression::new(level));
            let summary = encode_all(config, batches, &mut gz)?;
            gz.finish()
                .map_err(|e| PluginError::from_io_error(e, "finishing gzip stream"))?;
            Ok(summary)
        }
    }
}

/// Encodes the header and all batches as plain csv into `out`.
fn encode_all(
    config: &CsvConfig,
    batches: &mut dyn RecordBatchReader,
    out: &mut dyn Write,
) -> Result<WriteSummary> {
    let schema = batches.schema();
    let mut buf = Vec::with_capacity(FLUSH_BYTES + FLUSH_BYTES / 4);
    if config.include_header {
        write_header(config, &schema, &mut buf)?;
    }
    let mut summary = WriteSummary::default();
    let mut scratch = Vec::new();
    for batch in batches {
        let batch = batch.map_err(PluginError::from)?;
        check_columns(&schema, &batch)?;
        let renderers = renderers(&batch)?;
        for row in 0..batch.num_rows() {
            write_row(config, &renderers, &schema, row, &mut scratch, &mut buf)?;
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

/// Appends the csv lines of `batch` (no header) to `out`: a convenience for tests.
pub fn encode_rows(config: &CsvConfig, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
    let renderers = renderers(batch)?;
    let mut scratch = Vec::new();
    (0..batch.num_rows()).try_for_each(|row| {
        write_row(
            config,
            &renderers,
            batch.schema_ref(),
            row,
            &mut scratch,
            out,
        )
    })
}

/// Appends the header line.
pub fn write_header(config: &CsvConfig, schema: &SchemaRef, out: &mut Vec<u8>) -> Result<()> {
    for (i, field) in schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(config.delimiter);
        }
        write_field(
            out,
            field.name().as_bytes(),
            CellKind::Text,
            config.quoting,
            config.delimiter,
        )
        .map_err(|e| e.with_context("header", field.name().as_str()))?;
    }
    out.extend_from_slice(config.line_terminator.as_bytes());
    Ok(())
}

fn renderers(batch: &RecordBatch) -> Result<Vec<CellRenderer>> {
    batch
        .schema_ref()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, array)| CellRenderer::new(field, array))
        .collect()
}

fn write_row(
    config: &CsvConfig,
    renderers: &[CellRenderer],
    schema: &SchemaRef,
    row: usize,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<()> {
    for (i, renderer) in renderers.iter().enumerate() {
        if i > 0 {
            out.push(config.delimiter);
        }
        scratch.clear();
        let cell = renderer.write(row, scratch).and_then(|present| {
            if present {
                write_field(
                    out,
                    scratch,
                    renderer.kind,
                    config.quoting,
                    config.delimiter,
                )?;
            }
            Ok(())
        });
        cell.map_err(|e| {
            e.with_context("column", schema.field(i).name().as_str())
                .with_context("row", row.to_string())
        })?;
    }
    out.extend_from_slice(config.line_terminator.as_bytes());
    Ok(())
}

/// csv cannot add or change columns within a file: every batch has the header's columns.
fn check_columns(schema: &SchemaRef, batch: &RecordBatch) -> Result<()> {
    if batches::same_columns(schema, batch) {
        return Ok(());
    }
    let names = |s: &SchemaRef| {
        s.fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(PluginError::invalid(format!(
        "a batch's columns differ from the header (csv cannot add columns; start a new file): \
         header {}, batch {}",
        names(schema),
        names(batch.schema_ref())
    )))
}

fn flush(buf: &mut Vec<u8>, out: &mut dyn Write) -> Result<()> {
    out.write_all(buf)
        .map_err(|e| PluginError::from_io_error(e, "writing csv"))?;
    buf.clear();
    Ok(())
}
