//! How much a dataset read from its backend: bytes and files, shared by every reader and the
//! SQL cache of one [`super::Dataset`] (`stowage sql --stats` prints them).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use stowage_plugin_sdk::{ObjectReader, Result};

/// Counters of backend reads (cheap to clone; clones share the counts).
#[derive(Debug, Clone, Default)]
pub struct ReadStats {
    bytes: Arc<AtomicU64>,
    objects: Arc<AtomicU64>,
}

impl ReadStats {
    /// Bytes read from the backend.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Objects opened for reading.
    pub fn objects(&self) -> u64 {
        self.objects.load(Ordering::Relaxed)
    }

    /// Wraps `reader` so its reads are counted.
    pub fn counting(&self, reader: Box<dyn ObjectReader>) -> Box<dyn ObjectReader> {
        self.objects.fetch_add(1, Ordering::Relaxed);
        Box::new(CountingReader {
            inner: reader,
            bytes: self.bytes.clone(),
        })
    }
}

/// An [`ObjectReader`] adding every byte it returns to a counter.
struct CountingReader {
    inner: Box<dyn ObjectReader>,
    bytes: Arc<AtomicU64>,
}

impl ObjectReader for CountingReader {
    fn size(&mut self) -> Result<u64> {
        self.inner.size()
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = self.inner.read_at(offset, buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
