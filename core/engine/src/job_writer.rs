//! Writing a table's batches into job files of the load package through a format plugin.
//!
//! Each open file runs on its own thread: the format plugin pulls batches from a bounded
//! channel (so encoding overlaps with parsing and memory stays bounded) and writes into a job
//! file that appears under its final name only when complete. A batch with a grown schema closes
//! the current file and opens a new one (a new `file_id`), and so do the rotation limits
//! ([`FileLimits`], dlt's `file_max_items` / `file_max_bytes`, spec §4.1): a file holds at most
//! `max_items` rows (batches are sliced to fit), and once `max_bytes` bytes reached the job file
//! the next batch starts a new one. The byte count is what the format has written so far (after
//! compression; formats buffer a little), where dlt counts the uncompressed position.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// Rotation limits of one job file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileLimits {
    /// Rows per file (`file_max_items`).
    pub max_items: Option<usize>,
    /// Bytes per file (`file_max_bytes`), checked after each batch.
    pub max_bytes: Option<u64>,
}

/// A job file written in place: `.{name}.part` until `finish`, then renamed.
struct JobFileWriter {
    file: Option<File>,
    part: PathBuf,
    target: PathBuf,
    written: Arc<AtomicU64>,
}

impl JobFileWriter {
    fn create(dir: &Path, name: &str, written: Arc<AtomicU64>) -> crate::Result<Self> {
        let part = dir.join(format!(".{name}.part"));
        let file = File::create(&part)
            .map_err(|e| Error::from_io(&e, format!("creating {}", part.display())))?;
        Ok(JobFileWriter {
            file: Some(file),
            part,
            target: dir.join(name),
            written,
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
        self.written.fetch_add(data.len() as u64, Ordering::Relaxed);
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
        Ok(self.written.load(Ordering::Relaxed))
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
    rows: usize,
    written: Arc<AtomicU64>,
}

/// The job files of one table in one package.
pub struct TableFiles {
    table: String,
    format: Arc<ForeignFormat>,
    dir: PathBuf,
    limits: FileLimits,
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
        TableFiles::with_limits(table, format, dir, FileLimits::default())
    }

    /// Like [`TableFiles::new`], rotating files at `limits`.
    pub fn with_limits(
        table: &str,
        format: Arc<ForeignFormat>,
        dir: PathBuf,
        limits: FileLimits,
    ) -> Self {
        TableFiles {
            table: table.into(),
            format,
            dir,
            limits,
            current: None,
            done: Vec::new(),
        }
    }

    /// Writes one batch, rotating to a new file when the schema grew or a limit is reached.
    pub fn write(&mut self, batch: RecordBatch) -> crate::Result<()> {
        if self
            .current
            .as_ref()
            .is_some_and(|f| f.schema != batch.schema())
        {
            self.close_current()?;
        }
        let total = batch.num_rows();
        let mut offset = 0;
        while offset < total {
            if self.current.is_none() {
                self.current = Some(self.open(batch.schema())?);
            }
            let open = self.current.as_mut().expect("opened above");
            let room = self
                .limits
                .max_items
                .map_or(usize::MAX, |max| max.max(1).saturating_sub(open.rows));
            let take = room.min(total - offset);
            let part = match (offset, take) {
                (0, n) if n == total => batch.clone(),
                _ => batch.slice(offset, take),
            };
            if open.tx.send(part).is_err() {
                // The writer thread stopped early: its result carries the reason.
                self.close_current()?;
                return Err(Error::unexpected(format!(
                    "the writer of table `{}` stopped early",
                    self.table
                )));
            }
            open.rows += take;
            offset += take;
            if self.is_full() {
                self.close_current()?;
            }
        }
        Ok(())
    }

    fn is_full(&self) -> bool {
        let Some(open) = &self.current else {
            return false;
        };
        let items_full = self
            .limits
            .max_items
            .is_some_and(|max| open.rows >= max.max(1));
        let bytes_full = self
            .limits
            .max_bytes
            .is_some_and(|max| open.written.load(Ordering::Relaxed) >= max);
        items_full || bytes_full
    }

    fn open(&self, schema: SchemaRef) -> crate::Result<OpenFile> {
        let job = JobFile {
            table: self.table.clone(),
            file_id: ids::new_file_id(),
            retry: 0,
            ext: self.format.file_extension().to_string(),
        };
        let written = Arc::new(AtomicU64::new(0));
        let sink = JobFileWriter::create(&self.dir, &job.file_name(), written.clone())?;
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
            rows: 0,
            written,
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
