//! Parquet → Arrow record batches, streamed one row group at a time.
//!
//! Without a schema the batches have the file's Arrow schema (the embedded `ARROW:schema`, or
//! the one derived from the parquet types). With a schema, only its columns are decoded
//! (matched by name), each is cast to the requested type (e.g. a time zone label or string
//! flavour), and a column missing from the file reads as nulls when the field is nullable.
//! With `columns` (the `columns` read option) only those columns are decoded, and only their
//! column chunks are read from the source; a schema is then narrowed to them too.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions, RecordBatchReader, new_null_array};
use arrow_schema::{ArrowError, Schema, SchemaRef};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::file::metadata::ParquetMetaData;
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

use crate::chunks::ObjectChunks;
use crate::projection::keeps;
use crate::writer::parquet_error;

/// Rows per decoded batch.
pub const BATCH_SIZE: usize = 8192;

/// Opens a streaming reader of record batches over `source` (`columns`: only these).
pub fn read_parquet(
    source: Box<dyn ObjectReader>,
    schema: Option<SchemaRef>,
    columns: Option<&[String]>,
) -> Result<Box<dyn RecordBatchReader + Send>> {
    let chunks = ObjectChunks::new(source)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(chunks.clone())
        .map_err(|e| parquet_error(e, "reading the parquet footer"))?
        .with_batch_size(BATCH_SIZE);
    let Some(wanted) = schema else {
        let builder = match columns {
            None => builder,
            Some(_) => {
                let roots = (0..builder.schema().fields().len())
                    .filter(|&i| keeps(columns, builder.schema().field(i).name()));
                let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
                plan_reads(&chunks, builder.metadata(), &mask);
                builder.with_projection(mask)
            }
        };
        if columns.is_none() {
            plan_reads(&chunks, builder.metadata(), &ProjectionMask::all());
        }
        let reader = builder
            .build()
            .map_err(|e| parquet_error(e, "opening the parquet file"))?;
        return Ok(Box::new(reader));
    };
    let wanted = match columns {
        None => wanted,
        Some(_) => {
            let fields = wanted
                .fields()
                .iter()
                .filter(|f| keeps(columns, f.name()))
                .cloned();
            Arc::new(Schema::new_with_metadata(
                fields.collect::<Vec<_>>(),
                wanted.metadata().clone(),
            ))
        }
    };
    let file_schema = builder.schema().clone();
    if let Some(missing) = wanted
        .fields()
        .iter()
        .find(|f| !f.is_nullable() && file_schema.index_of(f.name()).is_err())
    {
        return Err(PluginError::invalid(format!(
            "required column `{}` is not in the parquet file",
            missing.name()
        )));
    }
    let roots: Vec<usize> = wanted
        .fields()
        .iter()
        .filter_map(|f| file_schema.index_of(f.name()).ok())
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    plan_reads(&chunks, builder.metadata(), &mask);
    let inner = builder
        .with_projection(mask)
        .build()
        .map_err(|e| parquet_error(e, "opening the parquet file"))?;
    Ok(Box::new(Conformed { inner, wanted }))
}

/// Tells `chunks` which column chunks the reader will decode (the leaves of `mask`).
fn plan_reads(chunks: &ObjectChunks, metadata: &ParquetMetaData, mask: &ProjectionMask) {
    let leaves = metadata.file_metadata().schema_descr().num_columns();
    let included: Vec<usize> = (0..leaves).filter(|&i| mask.leaf_included(i)).collect();
    let ranges = metadata
        .row_groups()
        .iter()
        .flat_map(|group| {
            included.iter().map(|&i| {
                let (start, len) = group.column(i).byte_range();
                start..start.saturating_add(len)
            })
        })
        .collect();
    chunks.plan(ranges, included.len());
}

/// Batches of the file reshaped to the requested schema.
struct Conformed {
    inner: ParquetRecordBatchReader,
    wanted: SchemaRef,
}

impl Iterator for Conformed {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.inner.next()?;
        Some(batch.and_then(|b| {
            conform(&b, &self.wanted).map_err(|e| ArrowError::ExternalError(Box::new(e)))
        }))
    }
}

impl RecordBatchReader for Conformed {
    fn schema(&self) -> SchemaRef {
        self.wanted.clone()
    }
}

/// `batch` with exactly the columns and types of `wanted`.
pub fn conform(batch: &RecordBatch, wanted: &SchemaRef) -> Result<RecordBatch> {
    let rows = batch.num_rows();
    let columns = wanted
        .fields()
        .iter()
        .map(|field| {
            let column: ArrayRef = match batch.column_by_name(field.name()) {
                Some(c) if c.data_type() == field.data_type() => c.clone(),
                Some(c) => arrow_cast::cast(c, field.data_type()).map_err(|e| {
                    PluginError::invalid(format!(
                        "column `{}` cannot be read as {}: {e}",
                        field.name(),
                        field.data_type()
                    ))
                })?,
                None if field.is_nullable() => new_null_array(field.data_type(), rows),
                None => {
                    return Err(PluginError::invalid(format!(
                        "required column `{}` is not in the parquet file",
                        field.name()
                    )));
                }
            };
            Ok(column)
        })
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::clone(wanted), columns, &options)
        .map_err(PluginError::from)
}
