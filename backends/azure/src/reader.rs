//! [`AzureReader`]: sequential reads as one streamed GET (opened lazily, from the current
//! position), positional reads as ranged GETs. Every GET carries `If-Match` with the ETag seen
//! when the reader was opened, so a blob replaced mid-read fails instead of mixing versions.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::azure::MicrosoftAzure;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore};
use stowage_plugin_sdk::{ObjectReader, Result};

use crate::errors::ErrorContext;
use crate::runtime::block_on;

/// Reads one blob.
pub struct AzureReader {
    client: Arc<MicrosoftAzure>,
    path: Path,
    key: String,
    size: u64,
    e_tag: Option<String>,
    /// Position of the next sequential byte.
    pos: u64,
    /// Bytes received but not yet handed out.
    pending: Bytes,
    stream: Option<BoxStream<'static, object_store::Result<Bytes>>>,
    errors: Arc<ErrorContext>,
}

impl std::fmt::Debug for AzureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureReader")
            .field("key", &self.key)
            .field("size", &self.size)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl AzureReader {
    /// A reader over the blob at `path` described by `meta` (from a HEAD).
    pub fn new(
        client: Arc<MicrosoftAzure>,
        path: Path,
        key: &str,
        meta: object_store::ObjectMeta,
        errors: Arc<ErrorContext>,
    ) -> AzureReader {
        AzureReader {
            client,
            path,
            key: key.to_string(),
            size: meta.size,
            e_tag: meta.e_tag,
            pos: 0,
            pending: Bytes::new(),
            stream: None,
            errors,
        }
    }

    fn options(&self, range: std::ops::Range<u64>) -> GetOptions {
        GetOptions {
            if_match: self.e_tag.clone(),
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        }
    }

    /// The next chunk of the sequential stream (opening it if needed); empty at the end.
    fn next_chunk(&mut self) -> Result<Bytes> {
        if self.stream.is_none() {
            let options = self.options(self.pos..self.size);
            let result = block_on(self.client.get_opts(&self.path, options))?
                .map_err(|e| self.errors.map(&e, "reading", &self.key))?;
            self.stream = Some(result.into_stream());
        }
        let stream = self.stream.as_mut().expect("opened above");
        match block_on(stream.next())? {
            Some(Ok(chunk)) => Ok(chunk),
            Some(Err(e)) => {
                self.stream = None;
                Err(self.errors.map(&e, "reading", &self.key))
            }
            None => {
                self.stream = None;
                Ok(Bytes::new())
            }
        }
    }
}

impl ObjectReader for AzureReader {
    fn size(&mut self) -> Result<u64> {
        Ok(self.size)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pending.is_empty() {
            if self.pos >= self.size {
                return Ok(0);
            }
            let chunk = self.next_chunk()?;
            if chunk.is_empty() {
                return Ok(0);
            }
            self.pending = chunk;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        self.pos += n as u64;
        Ok(n)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let end = self.size.min(offset + buf.len() as u64);
        let options = self.options(offset..end);
        let bytes = block_on(async {
            let result = self.client.get_opts(&self.path, options).await?;
            result.bytes().await
        })?
        .map_err(|e| self.errors.map(&e, "reading a range", &self.key))?;
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }
}
