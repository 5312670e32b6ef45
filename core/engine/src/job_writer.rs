//! Writing a table's batches into job files of the load package through a format plugin.
//!
//! Each open file runs on its own thread: the format plugin pulls batches from a bounded
//! channel (so encoding overlaps with parsing and memory stays bounded) and writes into a job
//! file that appears under its final name only when complete. A batch with a grown schema closes
//! the current file and opens a new one (a new `file_id`).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use stowage_plugin_sdk::ffi::client::ForeignFormat;
use stowage_plugin_sdk::{ObjectWriter, WriteSummary};

use crate::package::JobFile;
use crate::{Error, ids};

/// Batches in flight per open file.
const CHANNEL_DEPTH: usize = 2;

struct ChannelReader {
    rx: Receiver<RecordBatch>,
    schema: SchemaRef,
}

impl Iterator for ChannelReader {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok().map(Ok)
    }
}

impl RecordBatchReader for ChannelReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A job file written in place: `.{name}.part` until `finish`, then renamed.
struct JobFileWriter {
    file: Option<File>,
    part: PathBuf,
    target: PathBuf,
    written: u64,
}

impl JobFileWriter {
    fn create(dir: &Path, name: &str) -> crate::Result<Self> {
        let part = dir.join(format!(".{name}.part"));
        let file = File::create(&part)
            .map_err(|e| Error::from_io(&e, format!("creating {}", part.display())))?;
        Ok(JobFileWriter {
            file: Some(file),
            part,
            target: dir.join(name),
            written: 0,
        })
    }
}

impl ObjectWriter for JobFileWriter {
    fn write(&mut self, data: &[u8]) -> crate::Result<()> {
        let f = self
            .file
            .as_mut()
            .ok_or_else(|| Error::unexpected("job file closed"))?;
        f.write_all(data)
            .map_err(|e| Error::from_io(&e, format!("writing {}", self.part.display())))?;
        self.written += data.len() as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> crate::Result<u64> {
        let f = self
            .file
            .take()
            .ok_or_else(|| Error::unexpected("job file closed"))?;
        f.sync_data()
            .map_err(|e| Error::from_io(&e, format!("syncing {}", self.part.display())))?;
        std::fs::rename(&self.part, &self.target)
            .map_err(|e| Error::from_io(&e, format!("renaming {}", self.part.display())))?;
        Ok(self.written)
    }

    fn abort(mut self: Box<Self>) -> crate::Result<()> {
        self.file.take();
        let _ = std::fs::remove_file(&self.part);
        Ok(())
    }
}

impl Drop for JobFileWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

struct OpenFile {
    tx: SyncSender<RecordBatch>,
    handle: JoinHandle<crate::Result<WriteSummary>>,
    schema: SchemaRef,
    job: JobFile,
}

/// The job files of one table in one package.
pub struct TableFiles {
    table: String,
    format: Arc<ForeignFormat>,
    dir: PathBuf,
    current: Option<OpenFile>,
    done: Vec<(JobFile, WriteSummary)>,
}

impl std::fmt::Debug for TableFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableFiles")
            .field("table", &self.table)
            .field("files", &self.done.len())
            .finish()
    }
}

impl TableFiles {
    /// Files of `table` written with `format` into `dir` (the package's `new_jobs`).
    pub fn new(table: &str, format: Arc<ForeignFormat>, dir: PathBuf) -> Self {
        TableFiles {
            table: table.into(),
            format,
            dir,
            current: None,
            done: Vec::new(),
        }
    }

    /// Writes one batch (rotating to a new file when the schema grew).
    pub fn write(&mut self, batch: RecordBatch) -> crate::Result<()> {
        if self
            .current
            .as_ref()
            .is_some_and(|f| f.schema != batch.schema())
        {
            self.close_current()?;
        }
        if self.current.is_none() {
            self.current = Some(self.open(batch.schema())?);
        }
        let open = self.current.as_ref().expect("opened above");
        if open.tx.send(batch).is_err() {
            // The writer thread stopped early: its result carries the reason.
            self.close_current()?;
            return Err(Error::unexpected(format!(
                "the writer of table `{}` stopped early",
                self.table
            )));
        }
        Ok(())
    }

    fn open(&self, schema: SchemaRef) -> crate::Result<OpenFile> {
        let job = JobFile {
            table: self.table.clone(),
            file_id: ids::new_file_id(),
            retry: 0,
            ext: self.format.file_extension().to_string(),
        };
        let sink = JobFileWriter::create(&self.dir, &job.file_name())?;
        let (tx, rx) = sync_channel(CHANNEL_DEPTH);
        let reader = ChannelReader {
            rx,
            schema: schema.clone(),
        };
        let format = self.format.clone();
        let handle = std::thread::Builder::new()
            .name(format!("write-{}", self.table))
            .spawn(move || format.write_stream(Box::new(reader), Box::new(sink)))
            .map_err(|e| Error::from_io(&e, "starting a writer thread"))?;
        Ok(OpenFile {
            tx,
            handle,
            schema,
            job,
        })
    }

    fn close_current(&mut self) -> crate::Result<()> {
        let Some(open) = self.current.take() else {
            return Ok(());
        };
        drop(open.tx);
        let summary = open
            .handle
            .join()
            .map_err(|_| {
                Error::unexpected(format!("the writer thread of `{}` panicked", self.table))
            })?
            .map_err(|e| e.while_doing(format!("writing {}", open.job.file_name())))?;
        self.done.push((open.job, summary));
        Ok(())
    }

    /// Closes the open file and returns every written job with its counts.
    pub fn finish(mut self) -> crate::Result<Vec<(JobFile, WriteSummary)>> {
        self.close_current()?;
        Ok(std::mem::take(&mut self.done))
    }
}
