//! [`SftpReader`]: sequential and positional reads of one remote file over one SFTP handle.
//!
//! libssh2 reads ahead on sequential reads. A positional read seeks the handle (which drops the
//! read-ahead), and the next sequential read seeks back, so `read_at` never moves the sequential
//! cursor.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use ssh2::File;
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

use crate::errors::file_io_error;
use crate::pool::{Failure, Lease, Pool};

/// Reads one object.
pub struct SftpReader {
    /// Dropped before `lease`, so the handle is closed before the connection is reused.
    file: File,
    lease: Lease,
    size: u64,
    key: String,
    /// The sequential cursor.
    cursor: u64,
    /// Where the handle is positioned.
    handle_at: u64,
}

impl std::fmt::Debug for SftpReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SftpReader")
            .field("key", &self.key)
            .field("size", &self.size)
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl SftpReader {
    /// Opens the regular file of `key` at `path`; a missing file or a directory is `NotFound`.
    pub fn open(pool: &Arc<Pool>, path: &str, key: &str) -> Result<SftpReader> {
        let (lease, (file, size)) = pool
            .run(|lease| open_file(lease, path))
            .map_err(|e| e.with_context("key", key))?;
        Ok(SftpReader {
            file,
            lease,
            size,
            key: key.to_string(),
            cursor: 0,
            handle_at: 0,
        })
    }

    fn position(&mut self, offset: u64) -> Result<()> {
        if self.handle_at != offset {
            self.file
                .seek(SeekFrom::Start(offset))
                .map_err(|e| self.error(&e))?;
            self.handle_at = offset;
        }
        Ok(())
    }

    fn read_here(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.file.read(buf).map_err(|e| self.error(&e))?;
        self.handle_at += n as u64;
        Ok(n)
    }

    fn error(&self, err: &std::io::Error) -> PluginError {
        let what = "reading".to_string();
        let (error, broken) = file_io_error(err, &what, self.lease.address());
        if broken {
            self.lease.mark_broken();
        }
        error.with_context("key", self.key.as_str())
    }
}

fn open_file(lease: &Lease, path: &str) -> Result<(File, u64), Failure> {
    let sftp = lease.sftp();
    let what = "opening for reading";
    let stat = sftp
        .stat(Path::new(path))
        .map_err(|e| Failure::ssh(&e, what, lease.address()))?;
    if !stat.is_file() {
        return Err(Failure::keeps_connection(PluginError::not_found(format!(
            "{path} is not a regular file"
        ))));
    }
    let file = sftp
        .open(Path::new(path))
        .map_err(|e| Failure::ssh(&e, what, lease.address()))?;
    Ok((file, stat.size.unwrap_or(0)))
}

impl ObjectReader for SftpReader {
    fn size(&mut self) -> Result<u64> {
        Ok(self.size)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.position(self.cursor)?;
        let n = self.read_here(buf)?;
        self.cursor += n as u64;
        Ok(n)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.position(offset)?;
        let mut filled = 0;
        while filled < buf.len() {
            match self.read_here(&mut buf[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        Ok(filled)
    }
}
