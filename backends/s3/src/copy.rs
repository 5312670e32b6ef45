//! Server-side copy: one CopyObject up to 5 GiB, a multipart UploadPartCopy beyond (S3 refuses
//! CopyObject for larger objects). A failed multipart copy is aborted.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use stowage_plugin_sdk::{PluginError, Result};

use crate::backend::Shared;

/// When and how a copy goes multipart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyLimits {
    /// Largest object copied with a single CopyObject.
    pub single_copy_max: u64,
    /// Part size of a multipart copy (raised if 10,000 parts would not do).
    pub part_size: u64,
}

impl Default for CopyLimits {
    fn default() -> Self {
        CopyLimits {
            single_copy_max: 5 << 30,
            part_size: 512 << 20,
        }
    }
}

/// Copies `from` to `to` (both backend keys) inside the bucket.
pub async fn copy_object(s: &Shared, from: &str, to: &str, limits: CopyLimits) -> Result<()> {
    let head = s
        .client()
        .head_object()
        .bucket(s.bucket())
        .key(s.url.object_key(from))
        .send()
        .await
        .map_err(|e| s.errors.map(e, "copying", Some(from)))?;
    let size = head.content_length().unwrap_or(0).max(0) as u64;
    let source = copy_source(s.bucket(), &s.url.object_key(from));
    if size <= limits.single_copy_max {
        s.client()
            .copy_object()
            .bucket(s.bucket())
            .key(s.url.object_key(to))
            .copy_source(source)
            .send()
            .await
            .map_err(|e| s.errors.map(e, &format!("copying {from} to"), Some(to)))?;
        return Ok(());
    }
    let part_size = limits.part_size.max(size.div_ceil(10_000));
    multipart_copy(s, &source, to, size, part_size).await
}

async fn multipart_copy(s: &Shared, source: &str, to: &str, size: u64, part: u64) -> Result<()> {
    let target = s.url.object_key(to);
    let created = s
        .client()
        .create_multipart_upload()
        .bucket(s.bucket())
        .key(&target)
        .send()
        .await
        .map_err(|e| s.errors.map(e, "starting a multipart copy", Some(to)))?;
    let upload_id = created
        .upload_id()
        .ok_or_else(|| PluginError::unexpected("the server returned no multipart upload id"))?;
    let result = copy_parts(s, source, to, upload_id, size, part).await;
    if result.is_err() {
        let _ = s
            .client()
            .abort_multipart_upload()
            .bucket(s.bucket())
            .key(&target)
            .upload_id(upload_id)
            .send()
            .await;
    }
    result
}

async fn copy_parts(
    s: &Shared,
    source: &str,
    to: &str,
    upload_id: &str,
    size: u64,
    part: u64,
) -> Result<()> {
    let target = s.url.object_key(to);
    let mut parts = Vec::new();
    for (index, start) in (0..size).step_by(part as usize).enumerate() {
        let number = index as i32 + 1;
        let end = (start + part).min(size) - 1;
        let out = s
            .client()
            .upload_part_copy()
            .bucket(s.bucket())
            .key(&target)
            .upload_id(upload_id)
            .part_number(number)
            .copy_source(source)
            .copy_source_range(format!("bytes={start}-{end}"))
            .send()
            .await
            .map_err(|e| {
                s.errors
                    .map(e, &format!("copying part {number} to"), Some(to))
            })?;
        let etag = out
            .copy_part_result()
            .and_then(|r| r.e_tag())
            .map(str::to_string);
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(etag)
                .build(),
        );
    }
    s.client()
        .complete_multipart_upload()
        .bucket(s.bucket())
        .key(&target)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map_err(|e| s.errors.map(e, "completing a multipart copy to", Some(to)))?;
    Ok(())
}

/// `bucket/key` percent-encoded for the `x-amz-copy-source` header (`/` kept).
pub fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = String::with_capacity(bucket.len() + key.len() + 8);
    for byte in format!("{bucket}/{key}").bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_is_percent_encoded() {
        assert_eq!(copy_source("b", "a/b c.txt"), "b/a/b%20c.txt");
        assert_eq!(copy_source("b", "x+y=z&?#%"), "b/x%2By%3Dz%26%3F%23%25");
        assert_eq!(copy_source("b", "ü"), "b/%C3%BC");
    }
}
