//! Record batch plumbing: a `RecordBatchReader` over a fallible batch source (the iterator
//! stops for good after the end or the first error), and the column check of writers whose
//! file has one fixed column list.

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use stowage_plugin_sdk::Result;

/// What a format's decoder provides: its schema and the next batch (`None` at the end).
pub trait BatchSource {
    /// The schema of every batch.
    fn schema(&self) -> SchemaRef;
    /// The next batch, or `None` at the end.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>>;
}

/// The [`RecordBatchReader`] of a [`BatchSource`].
#[derive(Debug)]
pub struct Batches<S> {
    source: S,
    finished: bool,
}

impl<S: BatchSource> Batches<S> {
    /// Reads `source` until its end or its first error.
    pub fn new(source: S) -> Self {
        Batches {
            source,
            finished: false,
        }
    }
}

impl<S: BatchSource> Iterator for Batches<S> {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.source.next_batch() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(ArrowError::ExternalError(Box::new(e))))
            }
        }
    }
}

impl<S: BatchSource> RecordBatchReader for Batches<S> {
    fn schema(&self) -> SchemaRef {
        self.source.schema()
    }
}

/// True if `batch` has exactly the columns of `schema`, by name and in order (types may differ).
pub fn same_columns(schema: &SchemaRef, batch: &RecordBatch) -> bool {
    schema.fields().len() == batch.num_columns()
        && schema
            .fields()
            .iter()
            .zip(batch.schema_ref().fields())
            .all(|(a, b)| a.name() == b.name())
}
