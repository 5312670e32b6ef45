//! [`GcsReader`]: streamed sequential reads and ranged positional reads of one object.
//!
//! Every request names the generation seen when the reader was opened, so a reader never mixes
//! bytes of two versions: if the object is replaced meanwhile, reads fail with `NotFound`
//! instead. The sequential stream is opened lazily at the cursor (`Range: bytes=<pos>-`); when it
//! breaks, it is reopened at the cursor, with the same backoff and attempt limit as requests.

use std::pin::Pin;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use futures_util::{Stream, StreamExt};
use gcloud_storage::http::Error as StorageError;
use gcloud_storage::http::objects::Object;
use gcloud_storage::http::objects::download::Range;
use gcloud_storage::http::objects::get::GetObjectRequest;
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

use crate::core::{GcsCore, object_size};
use crate::runtime::{block_on, sleep};

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, StorageError>> + Send>>;

/// Reads one object (pinned to one generation).
pub struct GcsReader {
    core: Arc<GcsCore>,
    request: GetObjectRequest,
    size: u64,
    /// Sequential cursor.
    pos: u64,
    /// The open sequential download, if any.
    stream: Option<ByteStream>,
    /// Bytes received but not yet handed out.
    pending: Bytes,
    /// Consecutive stream failures (reset by every chunk received).
    stream_failures: u32,
}

impl std::fmt::Debug for GcsReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsReader")
            .field("object", &self.request.object)
            .field("size", &self.size)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl GcsReader {
    /// A reader of `object` (the resource just fetched for `name`).
    pub fn new(core: Arc<GcsCore>, name: String, object: &Object) -> GcsReader {
        let request = GetObjectRequest {
            bucket: core.bucket().to_string(),
            object: name,
            generation: Some(object.generation).filter(|g| *g > 0),
            ..Default::default()
        };
        GcsReader {
            core,
            request,
            size: object_size(object),
            pos: 0,
            stream: None,
            pending: Bytes::new(),
            stream_failures: 0,
        }
    }

    /// Opens the sequential download at the cursor.
    fn open_stream(&self) -> Result<ByteStream> {
        let range = Range(Some(self.pos), None);
        let (client, request, range) = (&self.core.client, &self.request, &range);
        self.core
            .run("reading", &self.request.object, move || async move {
                let stream = client.download_streamed_object(request, range).await?;
                Ok(Box::pin(stream) as ByteStream)
            })
    }

    /// Fills `pending` with the next chunk of the stream (reopening it after a failure).
    fn next_chunk(&mut self) -> Result<()> {
        if self.stream.is_none() {
            self.stream = Some(self.open_stream()?);
        }
        let stream = self.stream.as_mut().expect("opened above");
        let failure = match block_on(stream.next())? {
            Some(Ok(chunk)) => {
                self.pending = chunk;
                self.stream_failures = 0;
                return Ok(());
            }
            Some(Err(e)) => self.core.map_error(e),
            None => PluginError::new(
                stowage_plugin_sdk::ErrorKind::Io,
                format!("the download ended at byte {} of {}", self.pos, self.size),
            )
            .with_retryable(true),
        };
        self.stream = None;
        self.stream_failures += 1;
        let policy = self.core.config.retry;
        if !failure.is_retryable() || self.stream_failures >= policy.max_attempts {
            return Err(self.core.context(failure, "reading", &self.request.object));
        }
        sleep(policy.delay(self.stream_failures))
    }
}

impl ObjectReader for GcsReader {
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
            self.next_chunk()?;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.advance(n);
        self.pos += n as u64;
        Ok(n)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let wanted = (buf.len() as u64).min(self.size.saturating_sub(offset)) as usize;
        let mut filled = 0;
        while filled < wanted {
            let start = offset + filled as u64;
            let last = offset + wanted as u64 - 1;
            let data = self.read_range(start, last)?;
            if data.is_empty() || data.len() > wanted - filled {
                return Err(self.core.context(
                    PluginError::unexpected(format!(
                        "asked for bytes {start}-{last}, got {} bytes",
                        data.len()
                    )),
                    "reading a range",
                    &self.request.object,
                ));
            }
            buf[filled..filled + data.len()].copy_from_slice(&data);
            filled += data.len();
        }
        Ok(filled)
    }
}

impl GcsReader {
    /// Bytes `first..=last` in one request.
    fn read_range(&self, first: u64, last: u64) -> Result<Vec<u8>> {
        let range = Range(Some(first), Some(last));
        let (client, request, range) = (&self.core.client, &self.request, &range);
        self.core
            .run("reading a range", &self.request.object, move || {
                client.download_object(request, range)
            })
    }
}
