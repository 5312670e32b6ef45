//! [`GcsWriter`]: uploads with memory bounded by one chunk (`kwargs.block_size`, 8 MiB default).
//!
//! Bytes collect in a buffer of one chunk. An object that fits in it is sent by `finish` as one
//! simple upload. When more arrives, a resumable session is started and each full chunk is sent
//! as it fills; `finish` sends the rest as the final chunk. GCS makes an object visible only when
//! its upload completes, so nothing is visible before `finish` (atomic writes).
//!
//! A chunk whose request fails (retryably) is resent after asking the session how much it has
//! kept, so a chunk is never sent twice into the object. `abort` and dropping an unfinished
//! writer cancel the session (best effort: an abandoned session expires on its own and never
//! becomes an object).

use std::sync::Arc;

use bytes::Bytes;
use gcloud_storage::http::Error as StorageError;
use gcloud_storage::http::objects::upload::{Media, UploadObjectRequest, UploadType};
use gcloud_storage::http::resumable_upload_client::{
    ChunkSize, ResumableUploadClient, UploadStatus,
};
use stowage_plugin_sdk::{ObjectWriter, PluginError, Result, log};

use crate::core::GcsCore;
use crate::retry::timed_out;
use crate::runtime::{block_on_timeout, sleep};

/// Uploads one object.
pub struct GcsWriter {
    core: Arc<GcsCore>,
    name: String,
    buffer: Vec<u8>,
    session: Option<ResumableUploadClient>,
    /// Bytes the session has acknowledged.
    uploaded: u64,
    written: u64,
    closed: bool,
}

impl std::fmt::Debug for GcsWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsWriter")
            .field("object", &self.name)
            .field("written", &self.written)
            .field("resumable", &self.session.is_some())
            .finish_non_exhaustive()
    }
}

impl GcsWriter {
    /// A writer of the object `name` (nothing is sent until a chunk fills or `finish`).
    pub fn new(core: Arc<GcsCore>, name: String) -> GcsWriter {
        GcsWriter {
            core,
            name,
            buffer: Vec::new(),
            session: None,
            uploaded: 0,
            written: 0,
            closed: false,
        }
    }

    fn chunk_bytes(&self) -> usize {
        self.core.config.chunk_bytes
    }

    fn closed_error() -> PluginError {
        PluginError::unexpected("the writer is already closed")
    }

    fn request(&self) -> UploadObjectRequest {
        UploadObjectRequest {
            bucket: self.core.bucket().to_string(),
            ..Default::default()
        }
    }

    fn media(&self) -> UploadType {
        UploadType::Simple(Media::new(self.name.clone()))
    }

    /// Sends the full buffer as a non-final chunk (starting the session first if needed).
    fn send_full_chunk(&mut self) -> Result<()> {
        if self.session.is_none() {
            self.session = Some(self.start_session()?);
        }
        let capacity = self.chunk_bytes();
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(capacity),
        ));
        self.send_chunk(chunk, None)
    }

    fn start_session(&self) -> Result<ResumableUploadClient> {
        let (client, request, media) = (&self.core.client, &self.request(), &self.media());
        self.core
            .run("starting a resumable upload", &self.name, move || {
                client.prepare_resumable_upload(request, media)
            })
    }

    /// The whole object in one request.
    fn simple_upload(&self, data: Bytes) -> Result<()> {
        let (client, request, media) = (&self.core.client, &self.request(), &self.media());
        self.core
            .run("uploading", &self.name, move || {
                client.upload_object(request, data.clone(), media)
            })
            .map(|_| ())
    }

    /// Sends `chunk` (the bytes after `uploaded`); `total` is the object size for the final chunk.
    /// Retries resend only what the session has not kept.
    fn send_chunk(&mut self, chunk: Bytes, total: Option<u64>) -> Result<()> {
        let session = self
            .session
            .clone()
            .ok_or_else(|| PluginError::unexpected("no upload session"))?;
        let start = self.uploaded;
        let end = start + chunk.len() as u64;
        let policy = self.core.config.retry;
        let mut failures = 0;
        loop {
            let part = chunk.slice((self.uploaded - start) as usize..);
            let range = ChunkSize::new(self.uploaded, end - 1, total);
            let outcome = self.timed(session.upload_multiple_chunk(part, &range));
            let failure = match outcome.and_then(|status| self.progress(status, start, end, total))
            {
                Ok(true) => return Ok(()),
                Ok(false) => continue,
                Err(e) => e,
            };
            failures += 1;
            if !failure.is_retryable() || failures >= policy.max_attempts {
                let failure = if failures > 1 {
                    failure.with_context("attempts", failures.to_string())
                } else {
                    failure
                };
                return Err(self.core.context(failure, "uploading a chunk", &self.name));
            }
            sleep(policy.delay(failures))?;
            if let Ok(status) = self.timed(session.status(None))
                && self.progress(status, start, end, total)?
            {
                return Ok(());
            }
        }
    }

    /// Runs one session request with the request timeout, mapping its error.
    fn timed<T>(&self, request: impl Future<Output = Result<T, StorageError>>) -> Result<T> {
        let timeout = self.core.config.requests_timeout;
        match block_on_timeout(timeout, request)? {
            Some(outcome) => outcome.map_err(|e| self.core.map_error(e)),
            None => Err(timed_out(timeout)),
        }
    }

    /// Applies a session's answer: `Ok(true)` when `start..end` is stored (and, for the final
    /// chunk, the object exists), `Ok(false)` when part of it must be sent again.
    fn progress(
        &mut self,
        status: UploadStatus,
        start: u64,
        end: u64,
        total: Option<u64>,
    ) -> Result<bool> {
        let completed = matches!(status, UploadStatus::Ok(_));
        let kept = match status {
            UploadStatus::Ok(_) if total.is_some() => end,
            UploadStatus::Ok(_) => {
                return Err(PluginError::unexpected(
                    "GCS completed the upload before its last chunk",
                ));
            }
            UploadStatus::NotStarted => 0,
            UploadStatus::ResumeIncomplete(range) => range.last_byte + 1,
        };
        if kept < start {
            return Err(PluginError::unexpected(format!(
                "the upload session lost bytes it had acknowledged (has {kept}, had {start})"
            )));
        }
        self.uploaded = kept.min(end);
        Ok(self.uploaded == end && (total.is_none() || completed))
    }

    /// Cancels the session, if any; failures are only logged (the session expires anyway).
    fn cancel(&mut self) {
        self.closed = true;
        self.buffer = Vec::new();
        if let Some(session) = self.session.take()
            && let Err(e) = self.timed(session.cancel())
        {
            log::warn(&format!(
                "cancelling the upload of `{}` failed: {e}",
                self.name
            ));
        }
    }
}

impl ObjectWriter for GcsWriter {
    fn write(&mut self, mut data: &[u8]) -> Result<()> {
        if self.closed {
            return Err(Self::closed_error());
        }
        while !data.is_empty() {
            if self.buffer.len() == self.chunk_bytes() {
                self.send_full_chunk()?;
            }
            let n = data.len().min(self.chunk_bytes() - self.buffer.len());
            self.buffer.extend_from_slice(&data[..n]);
            self.written += n as u64;
            data = &data[n..];
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        if self.closed {
            return Err(Self::closed_error());
        }
        let rest = Bytes::from(std::mem::take(&mut self.buffer));
        let outcome = if self.session.is_some() {
            let total = self.uploaded + rest.len() as u64;
            self.send_chunk(rest, Some(total))
        } else {
            self.simple_upload(rest)
        };
        match outcome {
            Ok(()) => {
                self.closed = true;
                Ok(self.written)
            }
            Err(e) => {
                self.cancel();
                Err(e)
            }
        }
    }

    fn abort(mut self: Box<Self>) -> Result<()> {
        self.cancel();
        Ok(())
    }
}

impl Drop for GcsWriter {
    fn drop(&mut self) {
        if !self.closed {
            self.cancel();
        }
    }
}
