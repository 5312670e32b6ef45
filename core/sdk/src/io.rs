//! Adapters between the object traits and `std::io`, used by formats and the host.

use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::backend::{Backend, ObjectReader, ObjectWriter};
use crate::{PluginError, Result};

/// An [`ObjectReader`] as `Read + Seek` (seeks become positional reads).
pub struct ReadAdapter {
    inner: Box<dyn ObjectReader>,
    pos: u64,
    len: Option<u64>,
    sequential: bool,
}

impl std::fmt::Debug for ReadAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAdapter")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl ReadAdapter {
    /// Wraps a reader positioned at the start.
    pub fn new(inner: Box<dyn ObjectReader>) -> Self {
        ReadAdapter {
            inner,
            pos: 0,
            len: None,
            sequential: true,
        }
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> Box<dyn ObjectReader> {
        self.inner
    }

    fn len(&mut self) -> io::Result<u64> {
        if let Some(l) = self.len {
            return Ok(l);
        }
        let l = self.inner.size().map_err(PluginError::into_io)?;
        self.len = Some(l);
        Ok(l)
    }
}

impl Read for ReadAdapter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = if self.sequential {
            self.inner.read(buf)
        } else {
            self.inner.read_at(self.pos, buf)
        }
        .map_err(PluginError::into_io)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ReadAdapter {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
            SeekFrom::End(d) => self.len()?.saturating_add_signed(d),
        };
        if new != self.pos {
            self.sequential = false;
        }
        self.pos = new;
        Ok(new)
    }
}

/// An [`ObjectWriter`] as `io::Write`, counting bytes. `finish`/`abort` consume it.
pub struct WriteAdapter {
    inner: Option<Box<dyn ObjectWriter>>,
    written: u64,
}

impl std::fmt::Debug for WriteAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteAdapter")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl WriteAdapter {
    /// Wraps a writer.
    pub fn new(inner: Box<dyn ObjectWriter>) -> Self {
        WriteAdapter {
            inner: Some(inner),
            written: 0,
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Commits the object.
    pub fn finish(mut self) -> Result<u64> {
        match self.inner.take() {
            Some(w) => w.finish(),
            None => Err(PluginError::unexpected("writer already closed")),
        }
    }

    /// Discards the object.
    pub fn abort(mut self) -> Result<()> {
        match self.inner.take() {
            Some(w) => w.abort(),
            None => Ok(()),
        }
    }
}

impl Write for WriteAdapter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let w = self
            .inner
            .as_mut()
            .ok_or_else(|| io::Error::other("writer closed"))?;
        w.write(buf).map_err(PluginError::into_io)?;
        self.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for WriteAdapter {
    fn drop(&mut self) {
        if let Some(w) = self.inner.take() {
            let _ = w.abort();
        }
    }
}

/// An in-memory writer (tests, small objects): collects bytes into a shared buffer.
#[derive(Debug, Clone, Default)]
pub struct MemoryWriter {
    /// The collected bytes, available after `finish`.
    pub buf: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    pending: Vec<u8>,
}

impl MemoryWriter {
    /// A new empty writer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ObjectWriter for MemoryWriter {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.pending.extend_from_slice(data);
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<u64> {
        let n = self.pending.len() as u64;
        *self.buf.lock().expect("not poisoned") = self.pending;
        Ok(n)
    }
    fn abort(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

/// An in-memory reader over bytes.
#[derive(Debug, Clone)]
pub struct MemoryReader {
    data: std::sync::Arc<Vec<u8>>,
    pos: usize,
}

impl MemoryReader {
    /// Reads `data`.
    pub fn new(data: impl Into<std::sync::Arc<Vec<u8>>>) -> Self {
        MemoryReader {
            data: data.into(),
            pos: 0,
        }
    }
}

impl ObjectReader for MemoryReader {
    fn size(&mut self) -> Result<u64> {
        Ok(self.data.len() as u64)
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.read_at(self.pos as u64, buf)?;
        self.pos += n;
        Ok(n)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let start = (offset as usize).min(self.data.len());
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        Ok(n)
    }
}

/// Writes a small object in one go; returns its size.
pub fn write_object(backend: &dyn Backend, key: &str, data: &[u8]) -> Result<u64> {
    let mut w = backend.open_writer(key)?;
    w.write(data)?;
    w.finish()
}

/// Reads a small object into memory.
pub fn read_object(backend: &dyn Backend, key: &str) -> Result<Vec<u8>> {
    let mut r = backend.open_reader(key)?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}
