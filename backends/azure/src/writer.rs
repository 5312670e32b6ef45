//! [`AzureWriter`]: streams an object as a block blob with bounded memory.
//!
//! Bytes collect in one buffer of `block_size`. A blob that fits in it is sent with one Put Blob
//! on `finish`. A larger one becomes a block upload: each full buffer is handed to an upload
//! task (Put Block) and a fresh buffer is started; before that, the writer waits until fewer
//! than `max_concurrency` blocks are in flight. `finish` commits the block list (Put Block List).
//! Memory is therefore at most `(max_concurrency + 1) × block_size` per open writer.
//!
//! Both Put Blob and Put Block List replace the blob atomically; uncommitted blocks are
//! invisible to readers and listings, and Azure drops them after 7 days, which is all `abort`
//! (or dropping the writer) needs.

use std::sync::Arc;

use bytes::Bytes;
use object_store::azure::MicrosoftAzure;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use stowage_plugin_sdk::{ObjectWriter, PluginError, Result};

use crate::errors::ErrorContext;
use crate::runtime::block_on;

/// Upload block size and concurrency of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadSettings {
    /// Bytes per block (and the Put Blob threshold).
    pub block_size: usize,
    /// Blocks of one blob uploaded at once.
    pub max_concurrency: usize,
}

/// Writes one blob.
pub struct AzureWriter {
    client: Arc<MicrosoftAzure>,
    path: Path,
    key: String,
    settings: UploadSettings,
    buffer: Vec<u8>,
    upload: Option<WriteMultipart>,
    written: u64,
    errors: Arc<ErrorContext>,
}

impl std::fmt::Debug for AzureWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureWriter")
            .field("key", &self.key)
            .field("written", &self.written)
            .field("blocks_started", &self.upload.is_some())
            .finish_non_exhaustive()
    }
}

impl AzureWriter {
    /// A writer for the blob at `path`; nothing is sent before the first full block.
    pub fn new(
        client: Arc<MicrosoftAzure>,
        path: Path,
        key: &str,
        settings: UploadSettings,
        errors: Arc<ErrorContext>,
    ) -> AzureWriter {
        AzureWriter {
            client,
            path,
            key: key.to_string(),
            settings,
            buffer: Vec::new(),
            upload: None,
            written: 0,
            errors,
        }
    }

    fn error(&self, err: &object_store::Error, what: &str) -> PluginError {
        self.errors.map(err, what, &self.key)
    }

    /// Hands the full buffer to an upload task, after waiting for a free slot.
    fn send_block(&mut self) -> Result<()> {
        let block = Bytes::from(std::mem::take(&mut self.buffer));
        let max_in_flight = self.settings.max_concurrency;
        if self.upload.is_none() {
            let upload = block_on(self.client.put_multipart(&self.path))?
                .map_err(|e| self.error(&e, "starting a block upload"))?;
            self.upload = Some(WriteMultipart::new_with_chunk_size(
                upload,
                self.settings.block_size,
            ));
        }
        let upload = self.upload.as_mut().expect("started above");
        block_on(async {
            upload.wait_for_capacity(max_in_flight).await?;
            upload.put(block);
            Ok(())
        })?
        .map_err(|e| self.error(&e, "uploading a block"))
    }
}

impl ObjectWriter for AzureWriter {
    fn write(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            if self.buffer.capacity() == 0 {
                self.buffer.reserve_exact(self.settings.block_size);
            }
            let room = self.settings.block_size - self.buffer.len();
            let n = room.min(data.len());
            self.buffer.extend_from_slice(&data[..n]);
            self.written += n as u64;
            data = &data[n..];
            if self.buffer.len() == self.settings.block_size {
                self.send_block()?;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        let rest = Bytes::from(std::mem::take(&mut self.buffer));
        match self.upload.take() {
            None => {
                block_on(self.client.put(&self.path, PutPayload::from(rest)))?
                    .map_err(|e| self.error(&e, "uploading"))?;
            }
            Some(mut upload) => {
                block_on(async move {
                    upload.put(rest);
                    upload.finish().await
                })?
                .map_err(|e| self.error(&e, "committing the block list"))?;
            }
        }
        Ok(self.written)
    }

    fn abort(mut self: Box<Self>) -> Result<()> {
        match self.upload.take() {
            Some(upload) => block_on(upload.abort())?.map_err(|e| self.error(&e, "aborting")),
            None => Ok(()),
        }
    }
}

impl Drop for AzureWriter {
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take() {
            // In-flight blocks are cancelled; uploaded ones stay uncommitted (invisible).
            let _ = block_on(upload.abort());
        }
    }
}
