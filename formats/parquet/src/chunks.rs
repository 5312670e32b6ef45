//! parquet's [`ChunkReader`] over an [`ObjectReader`]: the footer and column chunks are fetched
//! with positional reads (`read_at`), so a parquet file is read without downloading it whole.

use std::io::Read;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use parquet::errors::{ParquetError, Result as ParquetResult};
use parquet::file::reader::{ChunkReader, Length};
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

/// Buffer of the sequential readers handed out by [`ChunkReader::get_read`].
const READ_BUFFER: usize = 64 * 1024;

type Shared = Arc<Mutex<Box<dyn ObjectReader>>>;

/// An object opened for random access.
pub struct ObjectChunks {
    source: Shared,
    len: u64,
}

impl std::fmt::Debug for ObjectChunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectChunks")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl ObjectChunks {
    /// Wraps `source`, asking it for its size once.
    pub fn new(mut source: Box<dyn ObjectReader>) -> Result<ObjectChunks> {
        let len = source.size()?;
        Ok(ObjectChunks {
            source: Arc::new(Mutex::new(source)),
            len,
        })
    }
}

impl Length for ObjectChunks {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for ObjectChunks {
    type T = std::io::BufReader<RangeReader>;

    fn get_read(&self, start: u64) -> ParquetResult<Self::T> {
        let reader = RangeReader {
            source: self.source.clone(),
            pos: start,
            end: self.len,
        };
        Ok(std::io::BufReader::with_capacity(READ_BUFFER, reader))
    }

    fn get_bytes(&self, start: u64, length: usize) -> ParquetResult<Bytes> {
        let end = start.saturating_add(length as u64);
        if end > self.len {
            return Err(ParquetError::EOF(format!(
                "range {start}..{end} is beyond the end of the object ({} bytes)",
                self.len
            )));
        }
        let mut buf = vec![0u8; length];
        read_exact_at(&self.source, start, &mut buf).map_err(external)?;
        Ok(Bytes::from(buf))
    }
}

/// Reads `buf.len()` bytes at `offset` (positional reads may return short counts).
fn read_exact_at(source: &Shared, mut offset: u64, mut buf: &mut [u8]) -> Result<()> {
    let mut source = source
        .lock()
        .map_err(|_| PluginError::unexpected("object reader poisoned by a panic"))?;
    while !buf.is_empty() {
        let n = source.read_at(offset, buf)?;
        if n == 0 {
            return Err(PluginError::invalid(format!(
                "object ended at byte {offset} while reading parquet data"
            )));
        }
        offset += n as u64;
        buf = &mut buf[n..];
    }
    Ok(())
}

fn external(err: PluginError) -> ParquetError {
    ParquetError::External(Box::new(err))
}

/// Sequential reads from a start offset up to the end of the object.
pub struct RangeReader {
    source: Shared,
    pos: u64,
    end: u64,
}

impl std::fmt::Debug for RangeReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangeReader")
            .field("pos", &self.pos)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let mut source = self
            .source
            .lock()
            .map_err(|_| std::io::Error::other("object reader poisoned by a panic"))?;
        let n = source
            .read_at(self.pos, &mut buf[..want])
            .map_err(PluginError::into_io)?;
        self.pos += n as u64;
        Ok(n)
    }
}
