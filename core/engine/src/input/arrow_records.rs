//! Records from a stream of Arrow record batches (what a format plugin's `read_stream` gives).
//!
//! One batch is held at a time and turned into records row by row (keys in schema order, nulls
//! left out; see [`arrow_values`](super::arrow_values) for the value mapping). Errors name the
//! file, the batch (1-based) and the column.

use std::path::Path;

use arrow_array::{RecordBatch, RecordBatchReader};
use stowage_plugin_sdk::Options;

use super::arrow_values::value_at;
use super::file_object::FileObjectReader;
use super::{Record, RecordSource};
use crate::plugins::Registry;
use crate::{Error, Result};

/// Streams records out of Arrow record batches.
pub struct ArrowRecords {
    batches: Box<dyn RecordBatchReader + Send>,
    source: String,
    current: Option<RecordBatch>,
    row: usize,
    batch_number: u64,
    rows_before: u64,
}

impl std::fmt::Debug for ArrowRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrowRecords")
            .field("source", &self.source)
            .field("batch", &self.batch_number)
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

impl ArrowRecords {
    /// Reads `batches`, naming them `source` in errors.
    pub fn new(batches: Box<dyn RecordBatchReader + Send>, source: String) -> Self {
        ArrowRecords {
            batches,
            source,
            current: None,
            row: 0,
            batch_number: 0,
            rows_before: 0,
        }
    }

    /// Decodes the file at `path` with the format plugin `format` (e.g. `parquet`), which must
    /// declare the `read` capability.
    pub fn from_format_plugin(path: &Path, format: &str, registry: &Registry) -> Result<Self> {
        let source = path.display().to_string();
        let needs = |e: Error| e.while_doing(format!("reading input {source}"));
        if registry
            .format(format)
            .is_some_and(|f| !f.capabilities.read)
        {
            let what = format!("the `{format}` format plugin cannot read files");
            return Err(needs(Error::unsupported(what)));
        }
        let plugin = registry
            .open_format(format, &Options::default())
            .map_err(needs)?;
        let file = FileObjectReader::open(path)?;
        let batches = plugin
            .read_stream(Box::new(file), None)
            .map_err(|e| needs(e).with_context("file", &source).with_retryable(false))?;
        Ok(ArrowRecords::new(batches, source))
    }

    /// The next record; `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            if let Some(batch) = &self.current
                && self.row < batch.num_rows()
            {
                let record = self.record_at(batch, self.row)?;
                self.row += 1;
                return Ok(Some(record));
            }
            if let Some(done) = self.current.take() {
                self.rows_before += done.num_rows() as u64;
            }
            self.batch_number += 1;
            match self.batches.next() {
                None => return Ok(None),
                Some(Ok(batch)) => {
                    self.current = Some(batch);
                    self.row = 0;
                }
                Some(Err(e)) => {
                    let where_ = format!("{}: batch {}", self.source, self.batch_number);
                    return Err(self.located(Error::from(e).while_doing(where_)));
                }
            }
        }
    }

    fn record_at(&self, batch: &RecordBatch, row: usize) -> Result<Record> {
        let mut record = Record::new();
        for (field, column) in batch.schema_ref().fields().iter().zip(batch.columns()) {
            match value_at(&**column, row) {
                Ok(Some(value)) => {
                    record.insert(field.name().clone(), value);
                }
                Ok(None) => {}
                Err(what) => {
                    let message = format!(
                        "{}: batch {} (row {}): column `{}`: {what}",
                        self.source,
                        self.batch_number,
                        self.rows_before + row as u64 + 1,
                        field.name()
                    );
                    return Err(self.located(Error::invalid(message)));
                }
            }
        }
        Ok(record)
    }

    fn located(&self, e: Error) -> Error {
        e.with_context("file", &self.source)
            .with_context("batch", self.batch_number.to_string())
            .with_retryable(false)
    }
}

impl RecordSource for ArrowRecords {
    fn next_record(&mut self) -> Result<Option<Record>> {
        ArrowRecords::next_record(self)
    }
}

#[cfg(test)]
mod tests;
