//! [`S3Store`]: a bucket (and base prefix) on S3 or an S3-compatible store. Every method blocks
//! on the plugin's runtime ([`crate::runtime`]).

use std::sync::Arc;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use stowage_plugin_sdk::{
    Backend, Lister, ObjectMeta, ObjectReader, ObjectWriter, PluginError, Result,
};

use crate::budget::{MIN_PARTS, PartBudget};
use crate::client::Connection;
use crate::config::UploadSettings;
use crate::error::ErrorTarget;
use crate::lister::S3Lister;
use crate::reader::S3Reader;
use crate::runtime::block_on;
use crate::url::S3Url;
use crate::writer::S3Writer;
use crate::{copy, timestamp_ms};

/// Keys per DeleteObjects request (the S3 limit).
const DELETE_BATCH: usize = 1000;
/// Keys per ListObjectsV2 page (the S3 maximum).
pub const LIST_PAGE_SIZE: i32 = 1000;

/// What every reader, writer and lister of one bucket shares.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The SDK client and its settings.
    pub conn: Connection,
    /// Bucket and base prefix.
    pub url: S3Url,
    /// Names for errors.
    pub errors: ErrorTarget,
    /// Multipart settings.
    pub upload: UploadSettings,
    /// Keys per listing page.
    pub list_page_size: i32,
    /// Part buffers all writers of this bucket may hold at once.
    pub budget: Arc<PartBudget>,
}

impl Shared {
    /// The SDK client.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.conn.client
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.url.bucket
    }
}

/// An opened bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    shared: Arc<Shared>,
}

impl S3Store {
    /// A store over an established connection.
    pub fn new(conn: Connection, url: S3Url, errors: ErrorTarget, upload: UploadSettings) -> Self {
        let budget = PartBudget::new(upload.max_concurrency.max(MIN_PARTS));
        let shared = Shared {
            conn,
            url,
            errors,
            upload,
            list_page_size: LIST_PAGE_SIZE,
            budget,
        };
        S3Store {
            shared: Arc::new(shared),
        }
    }

    /// Replaces the multipart settings without the range checks of the options (tests use
    /// parts below S3's 5 MiB minimum to provoke a failing upload).
    pub fn with_upload_settings(mut self, upload: UploadSettings) -> Self {
        Arc::make_mut(&mut self.shared).upload = upload;
        self
    }

    /// Sets the keys per listing page (1–1000; tests use small pages).
    pub fn with_list_page_size(mut self, keys: i32) -> Self {
        Arc::make_mut(&mut self.shared).list_page_size = keys.clamp(1, LIST_PAGE_SIZE);
        self
    }

    /// The bucket and base prefix.
    pub fn url(&self) -> &S3Url {
        &self.shared.url
    }

    /// The SDK client (for tools and tests that need an operation the backend does not have).
    pub fn client(&self) -> &aws_sdk_s3::Client {
        self.shared.client()
    }

    /// Deletes many keys with DeleteObjects, 1000 per request; missing keys are not an error.
    pub fn delete_many(&self, keys: &[String]) -> Result<()> {
        for key in keys {
            validate_key(key).map_err(|e| e.with_context("key", key.as_str()))?;
        }
        for batch in keys.chunks(DELETE_BATCH) {
            block_on(delete_batch(&self.shared, batch))??;
        }
        Ok(())
    }

    /// Server-side copy with explicit multipart limits (tests copy in small parts).
    pub fn copy_with_limits(&self, from: &str, to: &str, limits: copy::CopyLimits) -> Result<()> {
        validate_key(from).map_err(|e| e.with_context("key", from))?;
        validate_key(to).map_err(|e| e.with_context("key", to))?;
        block_on(copy::copy_object(&self.shared, from, to, limits))?
    }
}

impl S3Store {
    /// HeadObject of a (checked) key.
    fn head_meta(s: &Shared, key: &str) -> Result<ObjectMeta> {
        let out = block_on(
            s.client()
                .head_object()
                .bucket(s.bucket())
                .key(s.url.object_key(key))
                .send(),
        )?
        .map_err(|e| s.errors.map(e, "head", Some(key)))?;
        Ok(ObjectMeta {
            size: out.content_length().unwrap_or(0).max(0) as u64,
            last_modified_ms: out.last_modified().and_then(timestamp_ms),
        })
    }

    /// The size of a (checked) key, by HeadObject.
    pub(crate) fn head_size(s: &Shared, key: &str) -> Result<u64> {
        Self::head_meta(s, key).map(|m| m.size)
    }
}

impl Backend for S3Store {
    fn head(&self, key: &str) -> Result<ObjectMeta> {
        validate_key(key).map_err(|e| e.with_context("key", key))?;
        Self::head_meta(&self.shared, key)
    }

    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>> {
        validate_key(key).map_err(|e| e.with_context("key", key))?;
        Ok(Box::new(S3Reader::open(self.shared.clone(), key)?))
    }

    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        validate_key(key).map_err(|e| e.with_context("key", key))?;
        Ok(Box::new(S3Writer::new(self.shared.clone(), key)))
    }

    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>> {
        validate_prefix(prefix).map_err(|e| e.with_context("prefix", prefix))?;
        Ok(Box::new(S3Lister::new(self.shared.clone(), prefix)))
    }

    fn delete(&self, key: &str) -> Result<()> {
        validate_key(key).map_err(|e| e.with_context("key", key))?;
        let s = &self.shared;
        block_on(
            s.client()
                .delete_object()
                .bucket(s.bucket())
                .key(s.url.object_key(key))
                .send(),
        )?
        .map_err(|e| s.errors.map(e, "deleting", Some(key)))?;
        Ok(())
    }

    fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.copy_with_limits(from, to, copy::CopyLimits::default())
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.copy(from, to)?;
        self.delete(from)
    }
}

/// One DeleteObjects request (quiet mode: only failures are returned).
async fn delete_batch(s: &Shared, keys: &[String]) -> Result<()> {
    let objects = keys
        .iter()
        .map(|k| {
            ObjectIdentifier::builder()
                .key(s.url.object_key(k))
                .build()
                .map_err(|e| PluginError::unexpected(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let delete = Delete::builder()
        .set_objects(Some(objects))
        .quiet(true)
        .build()
        .map_err(|e| PluginError::unexpected(e.to_string()))?;
    let out = s
        .client()
        .delete_objects()
        .bucket(s.bucket())
        .delete(delete)
        .send()
        .await
        .map_err(|e| s.errors.map(e, "deleting a batch", None))?;
    match out.errors().first() {
        None => Ok(()),
        Some(first) => Err(s.errors.with_context(
            PluginError::unexpected(format!(
                "deleting a batch: {} of {} keys failed, first `{}`: {} {}",
                out.errors().len(),
                keys.len(),
                first.key().unwrap_or_default(),
                first.code().unwrap_or_default(),
                first.message().unwrap_or_default()
            )),
            None,
        )),
    }
}

/// Checks an object key: relative, `/`-separated, no empty, `.` or `..` segments, no NUL.
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(PluginError::invalid("key is empty"));
    }
    if key.ends_with('/') {
        return Err(PluginError::invalid("key ends with `/`"));
    }
    validate_prefix(key)?;
    if key.split('/').any(str::is_empty) {
        return Err(PluginError::invalid("key has an empty segment (`//`)"));
    }
    Ok(())
}

/// Checks a listing prefix: relative, no `.`/`..` segments, no NUL.
pub fn validate_prefix(prefix: &str) -> Result<()> {
    if prefix.starts_with('/') {
        return Err(PluginError::invalid(
            "key must be relative (starts with `/`)",
        ));
    }
    if prefix.contains('\0') {
        return Err(PluginError::invalid("key contains a NUL character"));
    }
    if prefix.split('/').any(|s| s == "." || s == "..") {
        return Err(PluginError::invalid("key has a `.` or `..` segment"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        for ok in ["a", "a/b.jsonl", "ünï/🦀 x", "a/.hidden", "a..b"] {
            validate_key(ok).unwrap();
        }
        for bad in ["", "/a", "a/", "a//b", "a/../b", "./a", "a/.", "a\0b"] {
            assert!(validate_key(bad).is_err(), "{bad:?}");
        }
        for ok in ["", "a/", "a/b", "path1"] {
            validate_prefix(ok).unwrap();
        }
        for bad in ["/a", "../", "a/../"] {
            assert!(validate_prefix(bad).is_err(), "{bad:?}");
        }
    }
}
