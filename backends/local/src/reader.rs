//! [`LocalReader`]: sequential and positional reads of one file.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

use crate::backend::{io_error, open_regular_file};

/// Reads one object; `read_at` uses `pread`, so it never moves the sequential cursor.
#[derive(Debug)]
pub struct LocalReader {
    file: File,
    size: u64,
    key: String,
    path: PathBuf,
}

impl LocalReader {
    /// Opens the regular file of `key` at `path`; a missing file or a directory is `NotFound`.
    pub fn open(path: &Path, key: &str) -> Result<LocalReader> {
        let open = || -> io::Result<(File, u64)> {
            let file = open_regular_file(path)?;
            let size = file.metadata()?.len();
            Ok((file, size))
        };
        let (file, size) = open().map_err(|e| io_error(&e, "opening", key, path))?;
        Ok(LocalReader {
            file,
            size,
            key: key.to_string(),
            path: path.to_path_buf(),
        })
    }

    fn error(&self, err: &io::Error, what: &str) -> PluginError {
        io_error(err, what, &self.key, &self.path)
    }
}

impl ObjectReader for LocalReader {
    fn size(&mut self) -> Result<u64> {
        Ok(self.size)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            match self.file.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => return result.map_err(|e| self.error(&e, "reading")),
            }
        }
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        read_full_at(&self.file, offset, buf).map_err(|e| self.error(&e, "reading a range"))
    }
}

/// Reads until `buf` is full or the end of the file (short only at the end).
fn read_full_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn reader_over(data: &[u8]) -> (tempfile::TempDir, LocalReader) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("obj");
        File::create(&path).unwrap().write_all(data).unwrap();
        let reader = LocalReader::open(&path, "obj").unwrap();
        (dir, reader)
    }

    #[test]
    fn read_at_fills_the_buffer_and_is_short_only_at_the_end() {
        let data: Vec<u8> = (0..=255).collect();
        let (_dir, mut r) = reader_over(&data);
        assert_eq!(r.size().unwrap(), 256);
        let mut buf = [0u8; 100];
        assert_eq!(r.read_at(10, &mut buf).unwrap(), 100);
        assert_eq!(buf[..], data[10..110]);
        assert_eq!(r.read_at(200, &mut buf).unwrap(), 56);
        assert_eq!(r.read_at(256, &mut buf).unwrap(), 0);
        assert_eq!(r.read_at(1_000, &mut buf).unwrap(), 0);
    }

    #[test]
    fn read_at_does_not_move_the_cursor() {
        let (_dir, mut r) = reader_over(b"hello world");
        let mut buf = [0u8; 5];
        r.read_at(6, &mut buf).unwrap();
        assert_eq!(&buf, b"world");
        assert_eq!(r.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf, b"hello");
    }
}
