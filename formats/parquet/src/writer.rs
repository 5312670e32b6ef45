//! Arrow record batches → one parquet file, streamed into the sink.
//!
//! Every written batch becomes one row group (as dlt's writer makes one per buffer flush),
//! unless `row_group_size` is set; then row groups hold that many rows. A row group is
//! encoded in memory and handed to the sink when complete, so memory is bounded by one row
//! group, never the whole file. The Arrow schema is embedded (`ARROW:schema`), so readers get
//! back time zones, decimal precision and `_dlt_*` nullability exactly.

use std::io::Write;

use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use stowage_plugin_sdk::{PluginError, Result, WriteSummary};

use crate::config::ParquetConfig;
use crate::stored::StoredSchema;

/// Writes every batch of `batches` to `sink` as one parquet file.
pub fn write_parquet(
    config: &ParquetConfig,
    batches: &mut dyn RecordBatchReader,
    sink: &mut (dyn Write + Send),
) -> Result<WriteSummary> {
    let schema = batches.schema();
    let plan = StoredSchema::new(&schema, config);
    let mut writer =
        ArrowWriter::try_new(sink, plan.stored_schema().clone(), Some(properties(config)))
            .map_err(|e| parquet_error(e, "starting the parquet file"))?;
    let mut summary = WriteSummary::default();
    for batch in batches {
        let batch = batch.map_err(PluginError::from)?;
        check_schema(&schema, batch.schema_ref())?;
        let rows = batch.num_rows();
        writer
            .write(&plan.apply(batch)?)
            .map_err(|e| parquet_error(e, "writing a row group"))?;
        if config.row_group_size.is_none() && rows > 0 {
            writer
                .flush()
                .map_err(|e| parquet_error(e, "writing a row group"))?;
        }
        summary.rows += rows as u64;
        summary.batches += 1;
    }
    writer
        .close()
        .map_err(|e| parquet_error(e, "finishing the parquet file"))?;
    Ok(summary)
}

/// The writer properties for `config`.
pub fn properties(config: &ParquetConfig) -> WriterProperties {
    let statistics = if config.write_page_index {
        EnabledStatistics::Page
    } else {
        EnabledStatistics::Chunk
    };
    let mut builder = WriterProperties::builder()
        .set_writer_version(config.data_page_version)
        .set_compression(config.compression)
        .set_dictionary_enabled(config.use_dictionary)
        .set_statistics_enabled(statistics)
        .set_offset_index_disabled(!config.write_page_index)
        .set_coerce_types(config.use_compliant_nested_type)
        .set_max_row_group_row_count(config.row_group_size);
    if let Some(size) = config.data_page_size {
        builder = builder.set_data_page_size_limit(size);
    }
    builder.build()
}

/// A batch must have the columns of the stream (parquet cannot add columns to a file); field
/// metadata may differ.
fn check_schema(stream: &SchemaRef, batch: &SchemaRef) -> Result<()> {
    let same = stream.fields().len() == batch.fields().len()
        && stream.fields().iter().zip(batch.fields()).all(|(a, b)| {
            a.name() == b.name()
                && a.data_type() == b.data_type()
                && a.is_nullable() == b.is_nullable()
        });
    if same {
        return Ok(());
    }
    Err(PluginError::invalid(format!(
        "a batch's columns differ from the file's (parquet cannot change columns within a \
         file): expected {}, got {}",
        names(stream),
        names(batch)
    )))
}

fn names(schema: &SchemaRef) -> String {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    names.join(", ")
}

/// Maps a parquet error, keeping a `PluginError` raised by the sink.
pub fn parquet_error(err: parquet::errors::ParquetError, what: &str) -> PluginError {
    match err {
        parquet::errors::ParquetError::External(inner) => {
            let inner = match inner.downcast::<PluginError>() {
                Ok(plugin) => return *plugin,
                Err(inner) => inner,
            };
            match inner.downcast::<std::io::Error>() {
                Ok(io) => PluginError::from_io_error(*io, what),
                Err(other) => PluginError::unexpected(format!("{what}: {other}")),
            }
        }
        parquet::errors::ParquetError::ArrowError(msg) => {
            PluginError::invalid(format!("{what}: {msg}"))
        }
        other => PluginError::invalid(format!("{what}: {other}")),
    }
}
