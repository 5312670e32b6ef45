//! Parquet inputs, decoded by the `parquet` format plugin (the engine links no parquet crate):
//! the plugin turns the file into Arrow record batches and [`ArrowRecords`] turns those into
//! records. Errors name the file and the batch.

use std::path::Path;

use super::arrow_records::ArrowRecords;
use crate::Result;
use crate::plugins::Registry;

/// The format plugin that decodes parquet inputs.
pub const PARQUET_FORMAT: &str = "parquet";

/// Opens the parquet file at `path` through the plugin.
pub(super) fn open(path: &Path, registry: &Registry) -> Result<ArrowRecords> {
    ArrowRecords::from_format_plugin(path, PARQUET_FORMAT, registry)
}
