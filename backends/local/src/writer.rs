//! [`AtomicWriter`]: writes to a temporary file next to the target and renames it over the
//! target on `finish`, so readers see the old object or the whole new one, never a part.
//!
//! Temporary files are named `.stowage-tmp-<pid>-<counter>-<nanos>` (hex); listings skip them and
//! keys may not use the prefix. `abort`, a failed `finish` and dropping the writer remove them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use stowage_plugin_sdk::{ObjectWriter, PluginError, Result};

use crate::backend::{create_parent, io_error};

/// File-name prefix of in-progress writes.
pub const TEMP_PREFIX: &str = ".stowage-tmp-";

/// Write buffer size.
const BUFFER_BYTES: usize = 1 << 20;

/// Attempts at finding an unused temporary name.
const CREATE_ATTEMPTS: u32 = 16;

/// Distinguishes temporary files of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A buffered write to a temporary file, committed by an atomic rename.
#[derive(Debug)]
pub struct AtomicWriter {
    out: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    key: String,
    written: u64,
    done: bool,
}

impl AtomicWriter {
    /// Creates the target's directory and a temporary file in it.
    pub fn create(target: PathBuf, key: &str) -> Result<AtomicWriter> {
        let fail = |e: &io::Error, what: &str| io_error(e, what, key, &target);
        create_parent(&target).map_err(|e| fail(&e, "creating the directory"))?;
        let dir = target.parent().unwrap_or(Path::new("."));
        let (file, temp) = create_temp(dir).map_err(|e| fail(&e, "creating a temporary file"))?;
        Ok(AtomicWriter {
            out: Some(BufWriter::with_capacity(BUFFER_BYTES, file)),
            temp,
            target,
            key: key.to_string(),
            written: 0,
            done: false,
        })
    }

    /// Appends everything `src` holds (the kernel copies where it can).
    pub fn copy_from(&mut self, src: &mut File) -> Result<u64> {
        let n = io::copy(src, self.out()?).map_err(|e| self.error(&e, "copying"))?;
        self.written += n;
        Ok(n)
    }

    /// Flushes, syncs the data and renames the temporary file over the target.
    pub fn commit(mut self) -> Result<u64> {
        let out = self.out.take().ok_or_else(closed)?;
        let file = out
            .into_inner()
            .map_err(|e| self.error(e.error(), "flushing"))?;
        file.sync_data().map_err(|e| self.error(&e, "syncing"))?;
        drop(file);
        fs::rename(&self.temp, &self.target).map_err(|e| self.error(&e, "committing"))?;
        self.done = true;
        Ok(self.written)
    }

    /// The temporary file being written.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    fn out(&mut self) -> Result<&mut BufWriter<File>> {
        self.out.as_mut().ok_or_else(closed)
    }

    fn error(&self, err: &io::Error, what: &str) -> PluginError {
        io_error(err, what, &self.key, &self.target)
    }
}

fn closed() -> PluginError {
    PluginError::unexpected("the writer is already closed")
}

impl ObjectWriter for AtomicWriter {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.out()?
            .write_all(data)
            .map_err(|e| self.error(&e, "writing"))?;
        self.written += data.len() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        (*self).commit()
    }

    fn abort(mut self: Box<Self>) -> Result<()> {
        self.done = true;
        drop(self.out.take());
        match fs::remove_file(&self.temp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(self.error(&e, "aborting")),
            _ => Ok(()),
        }
    }
}

impl Drop for AtomicWriter {
    fn drop(&mut self) {
        if !self.done {
            drop(self.out.take());
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Creates a new, unused temporary file in `dir`.
fn create_temp(dir: &Path) -> io::Result<(File, PathBuf)> {
    let mut last = io::Error::other("no temporary name tried");
    for _ in 0..CREATE_ATTEMPTS {
        let path = dir.join(temp_name());
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// `.stowage-tmp-<pid>-<counter>-<nanos>`.
fn temp_name() -> String {
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{TEMP_PREFIX}{:x}-{counter:x}-{nanos:x}",
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn temp_file_lives_next_to_the_target_until_finish() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a/b/obj.jsonl");
        let mut w = Box::new(AtomicWriter::create(target.clone(), "a/b/obj.jsonl").unwrap());
        w.write(b"hello ").unwrap();
        w.write(b"world").unwrap();
        let temp = w.temp_path().to_path_buf();
        assert_eq!(temp.parent(), target.parent());
        let temp_name = temp.file_name().unwrap().to_str().unwrap();
        assert!(temp_name.starts_with(TEMP_PREFIX), "{temp_name}");
        assert!(!target.exists());
        assert_eq!(w.finish().unwrap(), 11);
        assert_eq!(fs::read(&target).unwrap(), b"hello world");
        assert_eq!(names(&dir.path().join("a/b")), ["obj.jsonl"]);
    }

    #[test]
    fn abort_and_drop_remove_the_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("obj");
        let mut w = Box::new(AtomicWriter::create(target.clone(), "obj").unwrap());
        w.write(&[1; 4096]).unwrap();
        w.abort().unwrap();
        let mut w = AtomicWriter::create(target, "obj").unwrap();
        w.write(&[1; 4096]).unwrap();
        drop(w);
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    }

    #[test]
    fn temp_names_are_unique() {
        let a = temp_name();
        let b = temp_name();
        assert_ne!(a, b);
        assert!(a.starts_with(TEMP_PREFIX));
    }
}
