//! [`LocalStore`]: a bucket that is a directory. Keys are `/`-separated paths below the root;
//! objects are regular files (symlinks to files count); directories are created as needed and
//! never count as objects.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use stowage_plugin_sdk::{
    Backend, Lister, ObjectMeta, ObjectReader, ObjectWriter, PluginError, Result,
};

use crate::lister::LocalLister;
use crate::reader::LocalReader;
use crate::writer::{AtomicWriter, TEMP_PREFIX};

/// A bucket rooted at a local (or mounted) directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created lazily by the first write).
    pub fn new(root: PathBuf) -> LocalStore {
        LocalStore { root }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key`, after checking the key.
    fn path_of(&self, key: &str) -> Result<PathBuf> {
        validate_key(key).map_err(|e| e.with_context("key", key))?;
        Ok(self.root.join(key))
    }
}

impl Backend for LocalStore {
    fn head(&self, key: &str) -> Result<ObjectMeta> {
        let path = self.path_of(key)?;
        let meta = regular_file_metadata(&path).map_err(|e| io_error(&e, "head", key, &path))?;
        Ok(ObjectMeta {
            size: meta.len(),
            last_modified_ms: modified_ms(&meta),
        })
    }

    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>> {
        let path = self.path_of(key)?;
        Ok(Box::new(LocalReader::open(&path, key)?))
    }

    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        let path = self.path_of(key)?;
        Ok(Box::new(AtomicWriter::create(path, key)?))
    }

    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>> {
        Ok(Box::new(LocalLister::new(&self.root, prefix)?))
    }

    fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if is_missing(&e) || path.is_dir() => Ok(()),
            Err(e) => Err(io_error(&e, "deleting", key, &path)),
        }
    }

    fn copy(&self, from: &str, to: &str) -> Result<()> {
        let (src, dst) = (self.path_of(from)?, self.path_of(to)?);
        let mut input = open_regular_file(&src).map_err(|e| io_error(&e, "copying", from, &src))?;
        let mut writer = AtomicWriter::create(dst, to)?;
        writer.copy_from(&mut input)?;
        writer.commit().map(|_| ())
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        let (src, dst) = (self.path_of(from)?, self.path_of(to)?);
        regular_file_metadata(&src).map_err(|e| io_error(&e, "renaming", from, &src))?;
        create_parent(&dst).map_err(|e| io_error(&e, "creating the directory", to, &dst))?;
        fs::rename(&src, &dst)
            .map_err(|e| io_error(&e, "renaming", from, &src).with_context("to", to))
    }
}

/// Checks an object key: relative, `/`-separated, no empty/`.`/`..` segments, no NUL, and not a
/// temporary file name.
pub(crate) fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(PluginError::invalid("key is empty"));
    }
    validate_dir_part(key)?;
    let name = key.rsplit('/').next().unwrap_or(key);
    if name.is_empty() {
        return Err(PluginError::invalid("key ends with `/`"));
    }
    if name == "." || name == ".." {
        return Err(PluginError::invalid("key has a `.` or `..` segment"));
    }
    if name.starts_with(TEMP_PREFIX) {
        return Err(PluginError::invalid(format!(
            "names starting with `{TEMP_PREFIX}` are reserved"
        )));
    }
    Ok(())
}

/// Checks everything before the last `/` of a key or prefix, and the whole string for NUL.
pub(crate) fn validate_dir_part(key: &str) -> Result<()> {
    if key.starts_with('/') {
        return Err(PluginError::invalid(
            "key must be relative (starts with `/`)",
        ));
    }
    if key.contains('\0') {
        return Err(PluginError::invalid("key contains a NUL character"));
    }
    let dirs = key.rsplit_once('/').map_or("", |(dirs, _)| dirs);
    for segment in dirs.split('/').filter(|_| !dirs.is_empty()) {
        match segment {
            "" => return Err(PluginError::invalid("key has an empty segment (`//`)")),
            "." | ".." => return Err(PluginError::invalid("key has a `.` or `..` segment")),
            _ => {}
        }
    }
    Ok(())
}

/// An error for an I/O failure on `key` at `path` (`NotADirectory` counts as not found).
pub(crate) fn io_error(err: &io::Error, what: &str, key: &str, path: &Path) -> PluginError {
    let error = if err.kind() == io::ErrorKind::NotADirectory {
        PluginError::not_found(format!("{what}: {err}"))
    } else {
        PluginError::from_io(err, what)
    };
    error
        .with_context("key", key)
        .with_context("path", path.display().to_string())
}

/// The object is not there (a parent is missing or is a file).
pub(crate) fn is_missing(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Metadata of `path` (following symlinks); anything but a regular file is "not found".
pub(crate) fn regular_file_metadata(path: &Path) -> io::Result<Metadata> {
    let meta = fs::metadata(path)?;
    if meta.is_file() {
        Ok(meta)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            "not a regular file",
        ))
    }
}

/// Opens a regular file for reading (checked before opening, so a FIFO never blocks).
pub(crate) fn open_regular_file(path: &Path) -> io::Result<File> {
    regular_file_metadata(path)?;
    File::open(path)
}

/// Creates the parent directory of `path`.
pub(crate) fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) => fs::create_dir_all(parent),
        None => Ok(()),
    }
}

/// Modification time in milliseconds since the Unix epoch (negative before it).
pub(crate) fn modified_ms(meta: &Metadata) -> Option<i64> {
    let modified = meta.modified().ok()?;
    match modified.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).ok(),
        Err(before) => i64::try_from(before.duration().as_millis())
            .ok()
            .map(|ms| -ms),
    }
}

#[cfg(test)]
mod tests;
