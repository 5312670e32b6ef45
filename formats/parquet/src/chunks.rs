//! parquet's [`ChunkReader`] over an [`ObjectReader`]: the footer and column chunks are fetched
//! with positional reads (`read_at`), so a parquet file is read without downloading it whole.
//!
//! Once the footer is known, the reader is told which column chunks will be decoded
//! ([`ObjectChunks::plan`]). A page inside one of them is then served from a window holding
//! the chunk (or up to [`WINDOW_BUDGET`] / columns of it), fetched with one ranged read, so a
//! column costs about one read per chunk and exactly its bytes — instead of one read per page
//! plus a buffered read ahead of every page header.

use std::collections::VecDeque;
use std::io::Read;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use parquet::errors::{ParquetError, Result as ParquetResult};
use parquet::file::reader::{ChunkReader, Length};
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

/// Buffer of the sequential readers handed out by [`ChunkReader::get_read`] outside a window.
const READ_BUFFER: usize = 64 * 1024;

/// Bytes of windows held at once, over all planned columns.
pub const WINDOW_BUDGET: u64 = 64 << 20;

/// Smallest and largest window of one column.
const WINDOW_MIN: u64 = 1 << 20;
const WINDOW_MAX: u64 = 16 << 20;

type Shared = Arc<Mutex<Box<dyn ObjectReader>>>;

/// An object opened for random access (clones share the object and the plan).
#[derive(Clone)]
pub struct ObjectChunks {
    source: Shared,
    len: u64,
    plan: Arc<Mutex<ReadPlan>>,
}

impl std::fmt::Debug for ObjectChunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectChunks")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// The column chunks that will be read, and the windows fetched of them.
#[derive(Default)]
struct ReadPlan {
    /// Byte ranges of the planned column chunks, sorted by start.
    chunks: Vec<Range<u64>>,
    /// Largest window fetched at once.
    window: u64,
    /// Fetched windows, oldest first (at most `capacity`).
    windows: VecDeque<(u64, Bytes)>,
    capacity: usize,
}

impl ReadPlan {
    /// The planned chunk holding byte `at`.
    fn chunk_at(&self, at: u64) -> Option<Range<u64>> {
        let i = self.chunks.partition_point(|c| c.start <= at);
        let chunk = self.chunks.get(i.checked_sub(1)?)?;
        (at < chunk.end).then(|| chunk.clone())
    }

    /// The cached bytes `start..start + len`, if one window holds them (it becomes the most
    /// recently used).
    fn cached(&mut self, start: u64, len: u64) -> Option<Bytes> {
        let i = self
            .windows
            .iter()
            .position(|(at, bytes)| *at <= start && start + len <= at + bytes.len() as u64)?;
        let (at, bytes) = self.windows.remove(i)?;
        let from = (start - at) as usize;
        let slice = bytes.slice(from..from + len as usize);
        self.windows.push_back((at, bytes));
        Some(slice)
    }

    /// Keeps a new window of `chunk`: pages are read forward, so an older window of the same
    /// chunk is done; the least recently used window goes when all slots are taken.
    fn keep(&mut self, chunk: &Range<u64>, start: u64, bytes: Bytes) {
        self.windows.retain(|(at, _)| !chunk.contains(at));
        if self.windows.len() > self.capacity {
            self.windows.pop_front();
        }
        self.windows.push_back((start, bytes));
    }
}

impl ObjectChunks {
    /// Wraps `source`, asking it for its size once.
    pub fn new(mut source: Box<dyn ObjectReader>) -> Result<ObjectChunks> {
        let len = source.size()?;
        Ok(ObjectChunks {
            source: Arc::new(Mutex::new(source)),
            len,
            plan: Arc::default(),
        })
    }

    /// Declares the column chunks (byte ranges) that will be decoded, `columns` of them at a
    /// time (one per decoded leaf column).
    pub fn plan(&self, mut chunks: Vec<Range<u64>>, columns: usize) {
        chunks.retain(|c| c.start < c.end && c.end <= self.len);
        chunks.sort_by_key(|c| c.start);
        let columns = columns.max(1);
        let window = (WINDOW_BUDGET / columns as u64).clamp(WINDOW_MIN, WINDOW_MAX);
        let mut plan = lock_plan(&self.plan);
        *plan = ReadPlan {
            chunks,
            window,
            windows: VecDeque::new(),
            capacity: columns + 1,
        };
    }

    /// Bytes `start..start + len` from a window of a planned chunk (fetching the window when
    /// needed); `None` when the range is not inside one planned chunk.
    fn windowed(&self, start: u64, len: u64) -> Result<Option<Bytes>> {
        let mut plan = lock_plan(&self.plan);
        if let Some(bytes) = plan.cached(start, len) {
            return Ok(Some(bytes));
        }
        let Some(chunk) = plan.chunk_at(start) else {
            return Ok(None);
        };
        if start + len > chunk.end {
            return Ok(None);
        }
        let end = chunk.end.min(start + len.max(plan.window));
        let mut buf = vec![0u8; (end - start) as usize];
        read_exact_at(&self.source, start, &mut buf)?;
        let bytes = Bytes::from(buf);
        plan.keep(&chunk, start, bytes.clone());
        Ok(Some(bytes.slice(..len as usize)))
    }
}

fn lock_plan(plan: &Mutex<ReadPlan>) -> std::sync::MutexGuard<'_, ReadPlan> {
    plan.lock().unwrap_or_else(|e| e.into_inner())
}

impl Length for ObjectChunks {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for ObjectChunks {
    type T = ChunkRead;

    fn get_read(&self, start: u64) -> ParquetResult<Self::T> {
        let chunk_end = lock_plan(&self.plan).chunk_at(start).map(|c| c.end);
        let head = match chunk_end {
            Some(end) => {
                let len = (end - start).min(READ_BUFFER as u64);
                self.windowed(start, len).map_err(external)?
            }
            None => None,
        };
        let head = head.unwrap_or_default();
        let reader = RangeReader {
            source: self.source.clone(),
            pos: start + head.len() as u64,
            end: self.len,
        };
        Ok(ChunkRead {
            head,
            rest: std::io::BufReader::with_capacity(READ_BUFFER, reader),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> ParquetResult<Bytes> {
        let end = start.saturating_add(length as u64);
        if end > self.len {
            return Err(ParquetError::EOF(format!(
                "range {start}..{end} is beyond the end of the object ({} bytes)",
                self.len
            )));
        }
        if let Some(bytes) = self.windowed(start, length as u64).map_err(external)? {
            return Ok(bytes);
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

/// Sequential reads from a start offset: first bytes already fetched (a window's), then the
/// object itself.
pub struct ChunkRead {
    head: Bytes,
    rest: std::io::BufReader<RangeReader>,
}

impl std::fmt::Debug for ChunkRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkRead")
            .field("head", &self.head.len())
            .finish_non_exhaustive()
    }
}

impl Read for ChunkRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.head.is_empty() {
            return self.rest.read(buf);
        }
        let n = buf.len().min(self.head.len());
        buf[..n].copy_from_slice(&self.head[..n]);
        self.head = self.head.slice(n..);
        Ok(n)
    }
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
