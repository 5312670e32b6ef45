//! [`TableBatches`]: a table's visible files decoded one after the other by their format plugin
//! into Arrow batches of the table's schema (columns a file lacks are null). Only one file is
//! open at a time; remote files are streamed through the backend reader.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::SchemaRef;
use stowage_plugin_sdk::Backend;
use stowage_plugin_sdk::ffi::client::ForeignFormat;

use super::files::DataFile;
use super::stats::ReadStats;
use crate::plugins::Registry;
use crate::{Error, Options, Result};

/// An iterator over a table's rows as Arrow batches.
pub struct TableBatches {
    registry: Arc<Registry>,
    backend: Arc<dyn Backend>,
    files: VecDeque<DataFile>,
    schema: SchemaRef,
    stats: ReadStats,
    formats: HashMap<String, Arc<ForeignFormat>>,
    current: Option<(String, Box<dyn RecordBatchReader + Send>)>,
    failed: bool,
}

impl std::fmt::Debug for TableBatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableBatches")
            .field("files_left", &self.files.len())
            .finish()
    }
}

impl TableBatches {
    pub(super) fn new(
        registry: Arc<Registry>,
        backend: Arc<dyn Backend>,
        files: Vec<DataFile>,
        schema: SchemaRef,
        stats: ReadStats,
    ) -> TableBatches {
        TableBatches {
            registry,
            backend,
            files: files.into(),
            schema,
            stats,
            formats: HashMap::new(),
            current: None,
            failed: false,
        }
    }

    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn open_next(&mut self) -> Result<bool> {
        let Some(file) = self.files.pop_front() else {
            return Ok(false);
        };
        if !file.format.is_readable() {
            return Err(Error::unsupported(format!(
                "{}: files of format `{}` cannot be read back",
                file.key,
                file.format.plugin_name()
            )));
        }
        let format = self.format(file.format.plugin_name())?;
        let reader = self
            .backend
            .open_reader(&file.key)
            .map_err(|e| e.while_doing(format!("reading {}", file.key)))?;
        let batches = format
            .read_stream(self.stats.counting(reader), Some(&self.schema))
            .map_err(|e| e.while_doing(format!("decoding {}", file.key)))?;
        self.current = Some((file.key, batches));
        Ok(true)
    }

    fn format(&mut self, name: &str) -> Result<Arc<ForeignFormat>> {
        if let Some(format) = self.formats.get(name) {
            return Ok(format.clone());
        }
        let format = self.registry.open_format(name, &Options::default())?;
        self.formats.insert(name.to_string(), format.clone());
        Ok(format)
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            if let Some((key, reader)) = &mut self.current {
                match reader.next() {
                    Some(Ok(batch)) => return Ok(Some(batch)),
                    Some(Err(e)) => {
                        return Err(Error::from(e).while_doing(format!("decoding {key}")));
                    }
                    None => self.current = None,
                }
            }
            if !self.open_next()? {
                return Ok(None);
            }
        }
    }
}

impl Iterator for TableBatches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self.next_batch();
        self.failed = next.is_err();
        next.transpose()
    }
}
