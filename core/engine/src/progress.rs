//! What a run reports while it works: rows normalized, files deleted and uploaded, retries,
//! failed jobs and warnings. The engine emits [`Event`]s to a [`Progress`] sink; the CLI draws a
//! progress bar on a terminal, log lines otherwise, or nothing with `--quiet`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Error;

/// One thing that happened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Records read and normalized so far in the new package.
    Normalizing {
        /// Records so far.
        records: u64,
    },
    /// A package was normalized.
    Normalized {
        /// Its load id.
        load_id: &'a str,
        /// Root-table rows.
        rows: u64,
        /// Job files written.
        jobs: usize,
    },
    /// A package starts loading.
    LoadStarted {
        /// Its load id.
        load_id: &'a str,
        /// Data files to upload.
        files: usize,
        /// Their bytes.
        bytes: u64,
        /// Objects replace deletes first.
        deletes: usize,
    },
    /// An object was deleted (replace).
    Deleted {
        /// Its key.
        key: &'a str,
    },
    /// A data file was uploaded.
    Uploaded {
        /// Its key.
        key: &'a str,
        /// Its size.
        bytes: u64,
    },
    /// A transient error; the operation is retried after `delay`.
    Retrying {
        /// What failed.
        what: &'a str,
        /// Retry number (1-based).
        retry: u32,
        /// The error.
        error: &'a Error,
        /// Wait before the retry.
        delay: Duration,
    },
    /// A job failed for good (the error is kept in the package).
    JobFailed {
        /// The job file name.
        job: &'a str,
        /// The error.
        error: &'a Error,
    },
    /// Something the user should know (merge falls back to append, unsafe layout separators).
    Warning {
        /// The message.
        message: &'a str,
    },
    /// A package was loaded (its marker is on the bucket).
    LoadFinished {
        /// Its load id.
        load_id: &'a str,
        /// Data files uploaded.
        files: usize,
        /// Their bytes.
        bytes: u64,
    },
}

/// Receives events; called from several threads.
pub trait Progress: Send + Sync {
    /// Handles one event.
    fn on_event(&self, event: &Event<'_>);
}

/// A shared, cloneable sink (none by default).
#[derive(Clone, Default)]
pub struct ProgressHandle(Option<Arc<dyn Progress>>);

impl ProgressHandle {
    /// Reports to `sink`.
    pub fn new(sink: Arc<dyn Progress>) -> Self {
        ProgressHandle(Some(sink))
    }

    /// Reports nothing.
    pub fn none() -> Self {
        ProgressHandle(None)
    }

    /// Emits `event`.
    pub fn emit(&self, event: &Event<'_>) {
        if let Some(sink) = &self.0 {
            sink.on_event(event);
        }
    }

    /// Emits a warning.
    pub fn warn(&self, message: &str) {
        self.emit(&Event::Warning { message });
    }
}

impl fmt::Debug for ProgressHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "ProgressHandle(sink)",
            None => "ProgressHandle(none)",
        })
    }
}
