//! [`SftpWriter`]: streams an object to a temporary file next to its target, then renames it
//! over the target on `finish`, so readers never see a partial object.
//!
//! Writes are buffered ([`BUFFER_BYTES`]) so small writes from a format become large SFTP writes,
//! which libssh2 pipelines. `finish` flushes, asks the server to `fsync` (where it supports
//! `fsync@openssh.com`), and renames. `abort`, a failed `finish` and dropping the writer remove
//! the temporary file; only a lost connection can leave one behind (listings skip them).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use ssh2::{File, OpenFlags, OpenType};
use stowage_plugin_sdk::{ObjectWriter, PluginError, Result};

use crate::errors::{file_io_error, is_not_found, is_unsupported};
use crate::paths::{ensure_dir, parent_of, rename_over, temp_path_for};
use crate::pool::{Failure, Lease, Pool};

/// Bytes collected before one SFTP write.
pub const BUFFER_BYTES: usize = 1 << 20;

/// Permissions of written files (the server's umask applies).
const FILE_MODE: i32 = 0o644;

/// A streaming write to a temporary file, committed by a rename.
pub struct SftpWriter {
    /// Dropped before `lease`, so the handle is closed before the connection is reused.
    file: Option<File>,
    lease: Lease,
    buffer: Vec<u8>,
    temp: String,
    target: String,
    key: String,
    written: u64,
    done: bool,
}

impl std::fmt::Debug for SftpWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SftpWriter")
            .field("key", &self.key)
            .field("temp", &self.temp)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl SftpWriter {
    /// Creates the temporary file (and the target's directories) for `key` at `target`.
    pub fn create(pool: &Arc<Pool>, target: String, key: &str) -> Result<SftpWriter> {
        let temp = temp_path_for(&target);
        let (lease, file) = pool
            .run(|lease| create_temp(lease, &temp))
            .map_err(|e| e.with_context("key", key))?;
        Ok(SftpWriter {
            file: Some(file),
            lease,
            buffer: Vec::with_capacity(BUFFER_BYTES),
            temp,
            target,
            key: key.to_string(),
            written: 0,
            done: false,
        })
    }

    /// The temporary path being written.
    pub fn temp_path(&self) -> &str {
        &self.temp
    }

    fn flush_buffer(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let buffer = std::mem::take(&mut self.buffer);
        let result = self.write_through(&buffer);
        self.buffer = buffer;
        self.buffer.clear();
        result
    }

    fn write_through(&mut self, data: &[u8]) -> Result<()> {
        let file = self.file.as_mut().ok_or_else(closed)?;
        file.write_all(data).map_err(|e| {
            let (error, broken) = file_io_error(&e, "writing", self.lease.address());
            if broken {
                self.lease.mark_broken();
            }
            error.with_context("key", self.key.as_str())
        })
    }

    /// Flushes, syncs, closes and renames; returns the size.
    fn commit(&mut self) -> Result<u64> {
        self.flush_buffer()?;
        let mut file = self.file.take().ok_or_else(closed)?;
        // Durability where the server supports it (`fsync@openssh.com`); others skip it.
        match file.fsync() {
            Err(e) if !is_unsupported(&e) => {
                let failure = Failure::ssh(&e, "syncing", self.lease.address());
                return Err(self.fail(failure));
            }
            _ => {}
        }
        drop(file);
        let address = self.lease.address();
        rename_over(self.lease.sftp(), &self.temp, &self.target, address)
            .map_err(|f| self.fail(f).while_doing("committing"))?;
        self.done = true;
        Ok(self.written)
    }

    fn fail(&self, failure: Failure) -> PluginError {
        if failure.broken {
            self.lease.mark_broken();
        }
        failure.error.with_context("key", self.key.as_str())
    }

    /// Closes the handle and removes the temporary file (best effort on a broken connection).
    fn discard(&mut self) -> Result<()> {
        self.done = true;
        drop(self.file.take());
        if self.lease.is_broken() {
            return Ok(());
        }
        match self.lease.sftp().unlink(Path::new(&self.temp)) {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(self.fail(Failure::ssh(
                &e,
                "removing the temporary file",
                self.lease.address(),
            ))),
        }
    }
}

fn closed() -> PluginError {
    PluginError::unexpected("the writer is already closed")
}

/// Opens a new temporary file; creates the directories when the parent is missing.
fn create_temp(lease: &Lease, temp: &str) -> Result<File, Failure> {
    let sftp = lease.sftp();
    let flags = OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    let open = || sftp.open_mode(Path::new(temp), flags, FILE_MODE, OpenType::File);
    let what = "creating a temporary file";
    match open() {
        Ok(file) => Ok(file),
        Err(e) if is_not_found(&e) => {
            ensure_dir(sftp, parent_of(temp), lease.address())?;
            open().map_err(|e| Failure::ssh(&e, what, lease.address()))
        }
        Err(e) => Err(Failure::ssh(&e, what, lease.address())),
    }
}

impl ObjectWriter for SftpWriter {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        if self.done {
            return Err(closed());
        }
        if self.buffer.len() + data.len() > BUFFER_BYTES {
            self.flush_buffer()?;
        }
        if data.len() >= BUFFER_BYTES {
            self.write_through(data)?;
        } else {
            self.buffer.extend_from_slice(data);
        }
        self.written += data.len() as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        match self.commit() {
            Ok(size) => Ok(size),
            Err(e) => {
                let _ = self.discard();
                Err(e)
            }
        }
    }

    fn abort(mut self: Box<Self>) -> Result<()> {
        self.discard()
    }
}

impl Drop for SftpWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.discard();
        }
    }
}
