//! [`LocalLister`]: a streaming, recursive listing with string-prefix semantics.
//!
//! For prefix `a/b` it walks the directory `a/` (everything up to the last `/`) depth-first with an
//! explicit stack, one open directory at a time, and yields every regular file whose key starts
//! with `a/b` (so `a/b.txt`, `a/b/c` and `a/bc/d`). Subdirectories that cannot hold a match are
//! not entered. Temporary files of in-progress writes are skipped, symlinks to files are listed,
//! symlinked directories are not followed (no loops), and a missing directory lists as empty.

use std::fs::{self, DirEntry, ReadDir};
use std::path::{Path, PathBuf};

use stowage_plugin_sdk::{ListEntry, PluginError, Result};

use crate::backend::{io_error, is_missing, modified_ms, validate_dir_part};
use crate::writer::TEMP_PREFIX;

/// A directory to walk and the key prefix of its entries (`""` or ending with `/`).
type Pending = (PathBuf, String);

/// Lists the objects under a prefix lazily.
#[derive(Debug)]
pub struct LocalLister {
    prefix: String,
    current: Option<(ReadDir, Pending)>,
    pending: Vec<Pending>,
}

impl LocalLister {
    /// A listing of every object under `root` whose key starts with `prefix`.
    pub fn new(root: &Path, prefix: &str) -> Result<LocalLister> {
        validate_dir_part(prefix).map_err(|e| e.with_context("prefix", prefix))?;
        let dir_key = prefix.rfind('/').map_or("", |i| &prefix[..=i]);
        let start = (root.join(dir_key), dir_key.to_string());
        Ok(LocalLister {
            prefix: prefix.to_string(),
            current: None,
            pending: vec![start],
        })
    }

    /// Opens the next pending directory; `None` when the walk is done.
    fn open_next(&mut self) -> Option<Result<()>> {
        let (dir, dir_key) = self.pending.pop()?;
        match fs::read_dir(&dir) {
            Ok(entries) => self.current = Some((entries, (dir, dir_key))),
            Err(e) if is_missing(&e) => {}
            Err(e) => return Some(Err(io_error(&e, "listing", &dir_key, &dir))),
        }
        Some(Ok(()))
    }
}

impl Iterator for LocalLister {
    type Item = Result<ListEntry>;

    fn next(&mut self) -> Option<Result<ListEntry>> {
        loop {
            let Some((entries, (dir, dir_key))) = &mut self.current else {
                match self.open_next()? {
                    Ok(()) => continue,
                    Err(e) => return Some(Err(e)),
                }
            };
            let found = match entries.next() {
                None => {
                    self.current = None;
                    continue;
                }
                Some(Err(e)) => Some(Err(io_error(&e, "listing", dir_key, dir))),
                Some(Ok(entry)) => visit(&entry, dir_key, &self.prefix, &mut self.pending),
            };
            if found.is_some() {
                return found;
            }
        }
    }
}

/// Handles one directory entry: queues a subdirectory that may hold matches, or returns the
/// entry of a matching object.
fn visit(
    entry: &DirEntry,
    dir_key: &str,
    prefix: &str,
    pending: &mut Vec<Pending>,
) -> Option<Result<ListEntry>> {
    let name = entry.file_name();
    let Some(name) = name.to_str() else {
        let path = entry.path();
        let err = PluginError::invalid("file name is not valid UTF-8, so it cannot be a key");
        return Some(Err(err.with_context("path", path.display().to_string())));
    };
    let key = format!("{dir_key}{name}");
    let file_type = match entry.file_type() {
        Ok(file_type) => file_type,
        Err(e) => return skip_if_missing(io_error(&e, "listing", &key, &entry.path()), &e),
    };
    if file_type.is_dir() {
        let child = format!("{key}/");
        if child.starts_with(prefix) || prefix.starts_with(&child) {
            pending.push((entry.path(), child));
        }
        return None;
    }
    if name.starts_with(TEMP_PREFIX) || !key.starts_with(prefix) {
        return None;
    }
    object_entry(entry, key)
}

/// The listing entry of a regular file or a symlink to one (`None` for anything else).
fn object_entry(entry: &DirEntry, key: String) -> Option<Result<ListEntry>> {
    let path = entry.path();
    let meta = match fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) => return skip_if_missing(io_error(&e, "listing", &key, &path), &e),
    };
    if !meta.is_file() {
        return None;
    }
    Some(Ok(ListEntry {
        key,
        size: meta.len(),
        last_modified_ms: modified_ms(&meta),
    }))
}

/// Entries that vanished during the walk (or dangling symlinks) are skipped; other errors are
/// reported.
fn skip_if_missing(err: PluginError, io: &std::io::Error) -> Option<Result<ListEntry>> {
    if is_missing(io) { None } else { Some(Err(err)) }
}

#[cfg(test)]
mod tests;
