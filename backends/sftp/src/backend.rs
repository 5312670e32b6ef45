//! [`SftpStore`]: a bucket that is a directory on an SFTP server. Keys are `/`-separated paths
//! below the root; objects are regular files (symlinks to files count); directories are created
//! as needed and never count as objects.

use std::path::Path;
use std::sync::Arc;

use stowage_plugin_sdk::{
    Backend, Lister, ObjectMeta, ObjectReader, ObjectWriter, PluginError, Result,
};

use crate::errors::is_not_found;
use crate::lister::SftpLister;
use crate::paths::{ensure_dir, parent_of, remote_path, rename_over, validate_key};
use crate::pool::{Failure, Pool};
use crate::reader::SftpReader;
use crate::writer::SftpWriter;

/// A bucket rooted at a directory on an SFTP server.
#[derive(Debug, Clone)]
pub struct SftpStore {
    pool: Arc<Pool>,
    root: String,
}

impl SftpStore {
    /// A store over `pool` rooted at `root` (see [`crate::url::SftpUrl::root`]).
    pub fn new(pool: Arc<Pool>, root: String) -> SftpStore {
        SftpStore { pool, root }
    }

    /// The root directory on the server.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// How many SSH connections this store opened so far (the pool reuses them).
    pub fn connections_opened(&self) -> u64 {
        self.pool.connector().opened()
    }

    /// The remote path of `key`, after checking the key.
    fn path_of(&self, key: &str) -> Result<String> {
        validate_key(key)?;
        Ok(remote_path(&self.root, key))
    }

    fn address(&self) -> &str {
        self.pool.connector().address()
    }
}

impl Backend for SftpStore {
    fn head(&self, key: &str) -> Result<ObjectMeta> {
        let path = self.path_of(key)?;
        let (_, stat) = self
            .pool
            .run(|lease| {
                lease
                    .sftp()
                    .stat(Path::new(&path))
                    .map_err(|e| Failure::ssh(&e, "head", self.address()))
            })
            .map_err(|e| e.with_context("key", key))?;
        if !stat.is_file() {
            return Err(PluginError::not_found("head: not a regular file").with_context("key", key));
        }
        Ok(ObjectMeta {
            size: stat.size.unwrap_or(0),
            last_modified_ms: stat.mtime.map(|s| s as i64 * 1000),
        })
    }

    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>> {
        let path = self.path_of(key)?;
        Ok(Box::new(SftpReader::open(&self.pool, &path, key)?))
    }

    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        let path = self.path_of(key)?;
        Ok(Box::new(SftpWriter::create(&self.pool, path, key)?))
    }

    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>> {
        Ok(Box::new(SftpLister::start(&self.pool, &self.root, prefix)?))
    }

    fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        self.pool
            .run(|lease| {
                let sftp = lease.sftp();
                match sftp.unlink(Path::new(&path)) {
                    Ok(()) => Ok(()),
                    Err(e) if is_not_found(&e) => Ok(()),
                    // a directory is not an object: nothing to delete
                    Err(_) if sftp.stat(Path::new(&path)).is_ok_and(|s| s.is_dir()) => Ok(()),
                    Err(e) => Err(Failure::ssh(&e, "deleting", self.address())),
                }
            })
            .map(|_| ())
            .map_err(|e| e.with_context("key", key))
    }

    fn copy(&self, _from: &str, _to: &str) -> Result<()> {
        Err(PluginError::unsupported(
            "the sftp backend has no server-side copy (SFTP v3 has none)",
        ))
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        let (src, dst) = (self.path_of(from)?, self.path_of(to)?);
        self.pool
            .run(|lease| {
                let sftp = lease.sftp();
                let stat = sftp
                    .stat(Path::new(&src))
                    .map_err(|e| Failure::ssh(&e, "renaming", self.address()))?;
                if !stat.is_file() {
                    let err = PluginError::not_found("renaming: not a regular file");
                    return Err(Failure::keeps_connection(err));
                }
                ensure_dir(sftp, parent_of(&dst), self.address())?;
                rename_over(sftp, &src, &dst, self.address())
            })
            .map(|_| ())
            .map_err(|e| e.with_context("key", from).with_context("to", to))
    }
}
