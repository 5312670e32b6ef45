//! [`S3Writer`]: streams an object to S3 with bounded memory.
//!
//! Bytes collect in a buffer of one part. An object that fits in one part goes up with a single
//! PUT on `finish`; a full part is sent once more bytes follow. A bigger one becomes a multipart upload: each full part is handed to an
//! upload task on the runtime, and `write` only blocks when `max_concurrency` parts are already
//! in flight, so memory stays below `(max_concurrency + 1) × part size` whatever the object's
//! size. The part size doubles every 1,000 parts, so S3's 10,000-part limit is never the limit.
//! Across writers, a buffer past 1 MiB and each part in flight hold a permit of the bucket's
//! [`PartBudget`](crate::budget::PartBudget), so many uploads at once stay bounded too.
//!
//! Nothing is visible before `finish` (S3 publishes a multipart object on Complete). A failed
//! write or finish, `abort`, and dropping the writer all cancel the part uploads and abort the
//! multipart upload, so no orphaned parts are left to be billed.

use std::collections::VecDeque;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use stowage_plugin_sdk::{ObjectWriter, PluginError, Result};
use tokio::task::JoinHandle;

use crate::backend::Shared;
use crate::budget::{Permit, SMALL_OBJECT};
use crate::config::MAX_PART_SIZE;
use crate::runtime::{block_on, runtime};

/// Parts after which the part size doubles.
const PARTS_PER_SIZE_STEP: i32 = 1000;
/// S3's limit on parts per upload.
const MAX_PARTS: i32 = 10_000;

/// A streaming upload of one object.
#[derive(Debug)]
pub struct S3Writer {
    shared: Arc<Shared>,
    key: String,
    buffer: Vec<u8>,
    /// The budget permit of `buffer`, once it is past [`SMALL_OBJECT`].
    permit: Option<Permit>,
    upload: Option<Multipart>,
    written: u64,
    /// Set once the writer is finished, aborted or failed: nothing left to clean up.
    closed: bool,
}

/// A multipart upload in progress.
#[derive(Debug)]
struct Multipart {
    upload_id: String,
    next_part: i32,
    in_flight: VecDeque<JoinHandle<Result<CompletedPart>>>,
    done: Vec<CompletedPart>,
}

impl S3Writer {
    /// A writer for `key`; nothing is sent until the first part is full or `finish`.
    pub fn new(shared: Arc<Shared>, key: &str) -> S3Writer {
        S3Writer {
            shared,
            key: key.to_string(),
            buffer: Vec::new(),
            permit: None,
            upload: None,
            written: 0,
            closed: false,
        }
    }

    /// Size of the part being filled.
    fn part_size(&self) -> usize {
        let number = self.upload.as_ref().map_or(1, |u| u.next_part);
        part_size_for(self.shared.upload.part_size, number) as usize
    }

    /// Sends the full buffer as the next part.
    fn send_part(&mut self) -> Result<()> {
        if self.upload.is_none() {
            self.upload = Some(self.create_upload()?);
        }
        let data = Bytes::from(std::mem::take(&mut self.buffer));
        let (shared, key) = (self.shared.clone(), self.key.clone());
        let upload = self.upload.as_mut().expect("created above");
        if upload.next_part > MAX_PARTS {
            return Err(shared.errors.with_context(
                PluginError::unexpected(
                    "the object needs more than 10,000 parts: raise kwargs.default_block_size",
                ),
                Some(&key),
            ));
        }
        let part = upload_part(
            shared,
            key,
            upload.upload_id.clone(),
            upload.next_part,
            data,
        );
        // The part's permit goes back when its upload ends.
        let permit = self.permit.take();
        let task = async move {
            let _permit = permit;
            part.await
        };
        upload.in_flight.push_back(runtime()?.spawn(task));
        upload.next_part += 1;
        self.reap(self.shared.upload.max_concurrency)
    }

    /// Takes a budget permit before the buffer grows past [`SMALL_OBJECT`]; the buffer then gets
    /// room for the whole part at once.
    fn reserve(&mut self, adding: usize) {
        if self.permit.is_none() && self.buffer.len() + adding > SMALL_OBJECT {
            self.permit = Some(self.shared.budget.acquire());
            let part = self.part_size();
            self.buffer
                .reserve_exact(part.saturating_sub(self.buffer.len()));
        }
    }

    /// Waits until at most `limit` parts are in flight (collecting finished ones on the way).
    fn reap(&mut self, limit: usize) -> Result<()> {
        let Some(upload) = self.upload.as_mut() else {
            return Ok(());
        };
        while let Some(front) = upload.in_flight.front() {
            if upload.in_flight.len() <= limit && !front.is_finished() {
                break;
            }
            let handle = upload.in_flight.pop_front().expect("checked above");
            let part = block_on(handle)?.map_err(|e| {
                PluginError::unexpected(format!("a part upload task failed: {e}"))
            })??;
            upload.done.push(part);
        }
        Ok(())
    }

    fn create_upload(&self) -> Result<Multipart> {
        let s = &self.shared;
        let out = block_on(
            s.client()
                .create_multipart_upload()
                .bucket(s.bucket())
                .key(s.url.object_key(&self.key))
                .send(),
        )?
        .map_err(|e| {
            s.errors
                .map(e, "starting a multipart upload", Some(&self.key))
        })?;
        let upload_id = out
            .upload_id()
            .ok_or_else(|| self.error("the server returned no multipart upload id"))?
            .to_string();
        Ok(Multipart {
            upload_id,
            next_part: 1,
            in_flight: VecDeque::new(),
            done: Vec::new(),
        })
    }

    /// Uploads the rest and publishes the object.
    fn commit(&mut self) -> Result<u64> {
        if self.upload.is_none() {
            self.put_whole()?;
            return Ok(self.written);
        }
        if !self.buffer.is_empty() {
            self.send_part()?;
        }
        self.reap(0)?;
        self.complete()?;
        Ok(self.written)
    }

    /// A single PUT of the buffered bytes.
    fn put_whole(&mut self) -> Result<()> {
        let s = &self.shared;
        let data = std::mem::take(&mut self.buffer);
        let request = s
            .client()
            .put_object()
            .bucket(s.bucket())
            .key(s.url.object_key(&self.key))
            .content_length(data.len() as i64)
            .body(ByteStream::from(data))
            .customize();
        let request = if s.conn.unsigned_payload {
            request.disable_payload_signing()
        } else {
            request
        };
        block_on(request.send())?.map_err(|e| s.errors.map(e, "writing", Some(&self.key)))?;
        self.permit = None;
        Ok(())
    }

    fn complete(&mut self) -> Result<()> {
        let s = &self.shared;
        let upload = self
            .upload
            .as_mut()
            .expect("a multipart upload is in progress");
        let mut parts = std::mem::take(&mut upload.done);
        parts.sort_by_key(|p| p.part_number());
        let request = s
            .client()
            .complete_multipart_upload()
            .bucket(s.bucket())
            .key(s.url.object_key(&self.key))
            .upload_id(&upload.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        block_on(request.send())?.map_err(|e| {
            s.errors
                .map(e, "completing the multipart upload", Some(&self.key))
        })?;
        self.upload = None;
        Ok(())
    }

    /// Cancels the part uploads and aborts the multipart upload (if one was started).
    fn abort_upload(&mut self) -> Result<()> {
        self.closed = true;
        self.buffer = Vec::new();
        self.permit = None;
        let Some(upload) = self.upload.take() else {
            return Ok(());
        };
        let s = &self.shared;
        block_on(async {
            for task in &upload.in_flight {
                task.abort();
            }
            for task in upload.in_flight {
                let _ = task.await;
            }
            let aborted = s
                .client()
                .abort_multipart_upload()
                .bucket(s.bucket())
                .key(s.url.object_key(&self.key))
                .upload_id(&upload.upload_id)
                .send()
                .await;
            match aborted {
                Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_upload()) => Ok(()),
                other => other.map(|_| ()).map_err(|e| {
                    s.errors
                        .map(e, "aborting the multipart upload", Some(&self.key))
                }),
            }
        })?
    }

    /// On failure: aborts the upload and returns `err` (noting a failed abort).
    fn fail(&mut self, err: PluginError) -> PluginError {
        match self.abort_upload() {
            Ok(()) => err,
            Err(abort) => PluginError::new(
                err.kind(),
                format!(
                    "{err}; aborting the multipart upload failed too ({abort}): a lifecycle rule \
                     with AbortIncompleteMultipartUpload removes the parts"
                ),
            )
            .with_retryable(err.is_retryable()),
        }
    }

    fn error(&self, message: &str) -> PluginError {
        self.shared.errors.with_context(
            PluginError::unexpected(message.to_string()),
            Some(&self.key),
        )
    }

    fn ensure_open(&self) -> Result<()> {
        if self.closed {
            return Err(self.error("the writer is closed (finished, aborted or failed earlier)"));
        }
        Ok(())
    }
}

impl ObjectWriter for S3Writer {
    fn write(&mut self, mut data: &[u8]) -> Result<()> {
        self.ensure_open()?;
        while !data.is_empty() {
            // A full part goes out only once more bytes follow: an object of exactly one part
            // stays a single PUT.
            if self.buffer.len() == self.part_size()
                && let Err(e) = self.send_part()
            {
                return Err(self.fail(e));
            }
            let room = self.part_size() - self.buffer.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.reserve(now.len());
            self.buffer.extend_from_slice(now);
            self.written += now.len() as u64;
            data = rest;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        self.ensure_open()?;
        match self.commit() {
            Ok(size) => {
                self.closed = true;
                Ok(size)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn abort(mut self: Box<Self>) -> Result<()> {
        self.abort_upload()
    }
}

impl Drop for S3Writer {
    fn drop(&mut self) {
        if self.closed || self.upload.is_none() {
            return;
        }
        if let Err(e) = self.abort_upload() {
            stowage_plugin_sdk::log::warn(&format!("dropping an unfinished upload: {e}"));
        }
    }
}

/// Uploads one part; returns what CompleteMultipartUpload needs about it.
async fn upload_part(
    s: Arc<Shared>,
    key: String,
    upload_id: String,
    number: i32,
    data: Bytes,
) -> Result<CompletedPart> {
    let request = s
        .client()
        .upload_part()
        .bucket(s.bucket())
        .key(s.url.object_key(&key))
        .upload_id(upload_id)
        .part_number(number)
        .content_length(data.len() as i64)
        .body(ByteStream::from(data))
        .customize();
    let request = if s.conn.unsigned_payload {
        request.disable_payload_signing()
    } else {
        request
    };
    let out = request.send().await.map_err(|e| {
        s.errors
            .map(e, &format!("uploading part {number}"), Some(&key))
    })?;
    Ok(CompletedPart::builder()
        .part_number(number)
        .set_e_tag(out.e_tag)
        .set_checksum_crc32(out.checksum_crc32)
        .set_checksum_crc32_c(out.checksum_crc32_c)
        .set_checksum_crc64_nvme(out.checksum_crc64_nvme)
        .set_checksum_sha1(out.checksum_sha1)
        .set_checksum_sha256(out.checksum_sha256)
        .build())
}

/// The size of part `number` (1-based): `base`, doubled every 1,000 parts, at most 5 GiB.
pub fn part_size_for(base: u64, number: i32) -> u64 {
    let doublings = ((number.max(1) - 1) / PARTS_PER_SIZE_STEP).min(20) as u32;
    base.saturating_mul(1 << doublings).min(MAX_PART_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_doubles_every_thousand_parts() {
        let base = 8 << 20;
        assert_eq!(part_size_for(base, 1), base);
        assert_eq!(part_size_for(base, 1000), base);
        assert_eq!(part_size_for(base, 1001), 2 * base);
        assert_eq!(part_size_for(base, 2001), 4 * base);
        assert_eq!(part_size_for(5 << 30, 9999), 5 << 30);
        let total: u64 = (1..=MAX_PARTS)
            .map(|n| part_size_for(crate::config::DEFAULT_PART_SIZE, n))
            .sum();
        assert!(
            total > 5 << 40,
            "10,000 default parts hold only {total} bytes"
        );
    }
}
