//! A local file as an [`ObjectReader`], so format plugins can decode input files (parquet
//! needs positional reads: its footer is at the end).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use stowage_plugin_sdk::ObjectReader;

use crate::{Error, Result};

/// Reads a local file sequentially or at offsets.
#[derive(Debug)]
pub struct FileObjectReader {
    file: File,
    source: String,
    /// The sequential cursor (positional reads do not move it).
    pos: u64,
}

impl FileObjectReader {
    /// Opens `path` for reading.
    pub fn open(path: &Path) -> Result<Self> {
        let source = path.display().to_string();
        let file =
            File::open(path).map_err(|e| Error::from_io(&e, format!("opening input {source}")))?;
        Ok(FileObjectReader {
            file,
            source,
            pos: 0,
        })
    }
}

impl ObjectReader for FileObjectReader {
    fn size(&mut self) -> Result<u64> {
        let meta = self
            .file
            .metadata()
            .map_err(|e| Error::from_io(&e, format!("reading the size of {}", self.source)))?;
        Ok(meta.len())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let failed = |e: std::io::Error| {
            Error::from_io(&e, format!("reading {} at byte {offset}", self.source))
        };
        self.file.seek(SeekFrom::Start(offset)).map_err(failed)?;
        let mut filled = 0;
        while filled < buf.len() {
            match self.file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(failed(e)),
            }
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_and_positional_reads_are_independent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, b"0123456789").unwrap();
        let mut r = FileObjectReader::open(&path).unwrap();
        assert_eq!(r.size().unwrap(), 10);
        let mut buf = [0u8; 4];
        assert_eq!(r.read(&mut buf).unwrap(), 4);
        assert_eq!(&buf, b"0123");
        assert_eq!(r.read_at(8, &mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"89");
        assert_eq!(r.read(&mut buf).unwrap(), 4);
        assert_eq!(&buf, b"4567");
        let err = FileObjectReader::open(&dir.path().join("missing.parquet")).unwrap_err();
        assert!(err.to_string().contains("missing.parquet"), "{err}");
    }
}
