//! [`SftpLister`]: a recursive listing with string-prefix semantics, one directory at a time.
//!
//! For prefix `a/b` it walks the directory `a/` (everything up to the last `/`) depth-first and
//! yields every regular file whose key starts with `a/b` (so `a/b.txt`, `a/b/c` and `a/bc/d`).
//! Subdirectories that cannot hold a match are not read. Temporary files of in-progress writes
//! are skipped, symlinks to files are listed, symlinked directories are not followed (no loops),
//! and a missing directory lists as empty.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ssh2::FileStat;
use stowage_plugin_sdk::{ListEntry, PluginError, Result};

use crate::errors::{breaks_connection, is_not_found};
use crate::paths::{TEMP_PREFIX, remote_path, validate_prefix};
use crate::pool::{Failure, Lease, Pool};

/// A directory to read: its directory key (`""` or ending with `/`).
type Pending = String;

/// Lists the objects under a prefix lazily.
pub struct SftpLister {
    lease: Lease,
    root: String,
    prefix: String,
    /// Entries of the directory read last, not yet yielded.
    ready: VecDeque<Result<ListEntry>>,
    pending: Vec<Pending>,
}

impl std::fmt::Debug for SftpLister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SftpLister")
            .field("prefix", &self.prefix)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl SftpLister {
    /// Starts listing every object under `root` whose key starts with `prefix`.
    pub fn start(pool: &Arc<Pool>, root: &str, prefix: &str) -> Result<SftpLister> {
        validate_prefix(prefix).map_err(|e| e.with_context("prefix", prefix))?;
        let dir_key = prefix.rfind('/').map_or("", |i| &prefix[..=i]).to_string();
        let first_dir = remote_path(root, &dir_key);
        let (lease, entries) = pool.run(|lease| read_dir(lease, &first_dir))?;
        let mut lister = SftpLister {
            lease,
            root: root.to_string(),
            prefix: prefix.to_string(),
            ready: VecDeque::new(),
            pending: Vec::new(),
        };
        lister.visit(&dir_key, entries);
        Ok(lister)
    }

    /// Queues subdirectories that may hold matches and collects matching objects.
    fn visit(&mut self, dir_key: &str, entries: Vec<(PathBuf, FileStat)>) {
        for (path, stat) in entries {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                let err =
                    PluginError::invalid("file name is not valid UTF-8, so it cannot be a key");
                self.ready
                    .push_back(Err(err.with_context("path", path.display().to_string())));
                continue;
            };
            let key = format!("{dir_key}{name}");
            if stat.is_dir() {
                let child = format!("{key}/");
                if child.starts_with(&self.prefix) || self.prefix.starts_with(&child) {
                    self.pending.push(child);
                }
            } else if !name.starts_with(TEMP_PREFIX)
                && key.starts_with(&self.prefix)
                && let Some(entry) = self.object_entry(&path, key, stat)
            {
                self.ready.push_back(entry);
            }
        }
    }

    /// The entry of a regular file, or of a symlink to one (followed with `stat`).
    fn object_entry(&self, path: &Path, key: String, stat: FileStat) -> Option<Result<ListEntry>> {
        let stat = if stat.file_type().is_symlink() {
            match self.lease.sftp().stat(path) {
                Ok(target) => target,
                Err(e) if is_not_found(&e) => return None, // dangling link
                Err(e) => {
                    return Some(Err(self.fail(Failure::ssh(
                        &e,
                        "listing",
                        self.lease.address(),
                    ))));
                }
            }
        } else {
            stat
        };
        if !stat.is_file() {
            return None;
        }
        Some(Ok(ListEntry {
            key,
            size: stat.size.unwrap_or(0),
            last_modified_ms: stat.mtime.map(|s| s as i64 * 1000),
        }))
    }

    fn fail(&self, failure: Failure) -> PluginError {
        if failure.broken {
            self.lease.mark_broken();
        }
        failure.error.with_context("prefix", self.prefix.as_str())
    }
}

/// The entries of a remote directory; a missing directory (or a file) has none.
fn read_dir(lease: &Lease, dir: &str) -> Result<Vec<(PathBuf, FileStat)>, Failure> {
    match lease.sftp().readdir(Path::new(dir)) {
        Ok(entries) => Ok(entries),
        Err(e) if breaks_connection(&e) => {
            Err(Failure::ssh(&e, &format!("listing {dir}"), lease.address()))
        }
        Err(e) if is_not_found(&e) || is_not_a_directory(lease, dir) => Ok(Vec::new()),
        Err(e) => Err(Failure::ssh(&e, &format!("listing {dir}"), lease.address())),
    }
}

/// True if `path` exists and is not a directory (opening it as one fails with a generic error).
fn is_not_a_directory(lease: &Lease, path: &str) -> bool {
    lease
        .sftp()
        .stat(Path::new(path))
        .is_ok_and(|s| !s.is_dir())
}

impl Iterator for SftpLister {
    type Item = Result<ListEntry>;

    fn next(&mut self) -> Option<Result<ListEntry>> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Some(entry);
            }
            let dir_key = self.pending.pop()?;
            let dir = remote_path(&self.root, &dir_key);
            match read_dir(&self.lease, &dir) {
                Ok(entries) => self.visit(&dir_key, entries),
                Err(failure) => {
                    if failure.broken {
                        self.pending.clear();
                    }
                    return Some(Err(self.fail(failure)));
                }
            }
        }
    }
}
