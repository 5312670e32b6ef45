//! Local parquet copies of remote parquet files holding only the columns a query reads.
//!
//! The parquet plugin reads the remote file with its `columns` option: the footer and the
//! named columns' chunks are fetched with ranged reads through the backend plugin (nothing
//! else), decoded with the file's own types, and written to a local parquet file by the same
//! plugin (format version 2.6, so no timestamp unit changes). Rows and values are the
//! original's; the views fill the columns left out with nulls, which the query never reads. A
//! file that keeps no column (`count(*)`) gets one all-null column, so its rows still count.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{BooleanArray, RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use stowage_plugin_sdk::{Backend, ObjectWriter};

use super::files::DataFile;
use super::stats::ReadStats;
use crate::plugins::Registry;
use crate::{Error, Options, Result};

/// The column a file without kept columns holds (null in every row).
pub const ROWS_ONLY_COLUMN: &str = "_stowage_rows";

/// Rows per row group of a pruned file.
const ROW_GROUP_ROWS: &str = "65536";

/// Writes the `columns` of the remote parquet `file` to `path`. `Ok(false)` when the parquet
/// plugin has no `columns` option (an older plugin): then fetch the whole file.
pub fn write_pruned(
    registry: &Registry,
    backend: &dyn Backend,
    file: &DataFile,
    columns: &BTreeSet<String>,
    stats: &ReadStats,
    path: &Path,
) -> Result<bool> {
    let names = serde_json::to_string(columns).map_err(|e| Error::unexpected(e.to_string()))?;
    let Ok(reader) = registry.open_format("parquet", &Options::new([("columns", names)])) else {
        return Ok(false);
    };
    let writer = registry.open_format(
        "parquet",
        &Options::new([("version", "2.6"), ("row_group_size", ROW_GROUP_ROWS)]),
    )?;
    let source = backend
        .open_reader(&file.key)
        .map_err(|e| e.while_doing(format!("reading {}", file.key)))?;
    let batches = reader
        .read_stream(stats.counting(source), None)
        .map_err(|e| e.while_doing(format!("decoding {}", file.key)))?;
    let batches = match batches.schema().fields().is_empty() {
        true => Box::new(RowsOnly { inner: batches }),
        false => batches,
    };
    let sink = LocalFileWriter::create(path)?;
    writer.write_stream(batches, Box::new(sink)).map_err(|e| {
        e.while_doing(format!(
            "copying columns of {} to {}",
            file.key,
            path.display()
        ))
    })?;
    Ok(true)
}

/// Batches without columns turned into batches of one all-null column.
struct RowsOnly {
    inner: Box<dyn RecordBatchReader + Send>,
}

fn rows_only_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(
        ROWS_ONLY_COLUMN,
        DataType::Boolean,
        true,
    )]))
}

impl Iterator for RowsOnly {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.inner.next()?;
        Some(batch.and_then(|b| {
            let nulls = BooleanArray::new_null(b.num_rows());
            RecordBatch::try_new(rows_only_schema(), vec![Arc::new(nulls)])
        }))
    }
}

impl RecordBatchReader for RowsOnly {
    fn schema(&self) -> SchemaRef {
        rows_only_schema()
    }
}

/// An [`ObjectWriter`] creating a local file (removed again on abort).
struct LocalFileWriter {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl LocalFileWriter {
    fn create(path: &Path) -> Result<LocalFileWriter> {
        let file = std::fs::File::create(path)
            .map_err(|e| Error::from_io(&e, format!("creating {}", path.display())))?;
        Ok(LocalFileWriter {
            path: path.to_path_buf(),
            out: std::io::BufWriter::with_capacity(1 << 20, file),
        })
    }

    fn io_error(&self, e: &std::io::Error) -> stowage_plugin_sdk::PluginError {
        Error::from_io(e, format!("writing {}", self.path.display()))
    }
}

impl ObjectWriter for LocalFileWriter {
    fn write(&mut self, data: &[u8]) -> stowage_plugin_sdk::Result<()> {
        self.out.write_all(data).map_err(|e| self.io_error(&e))
    }

    fn finish(mut self: Box<Self>) -> stowage_plugin_sdk::Result<u64> {
        self.out.flush().map_err(|e| self.io_error(&e))?;
        let file = self.out.get_ref();
        file.metadata()
            .map(|m| m.len())
            .map_err(|e| self.io_error(&e))
    }

    fn abort(self: Box<Self>) -> stowage_plugin_sdk::Result<()> {
        let path = self.path.clone();
        drop(self);
        let _ = std::fs::remove_file(path);
        Ok(())
    }
}
