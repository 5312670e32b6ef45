//! [`AzureStore`]: one container (and a path below it) of a storage account, through the Blob
//! REST API. Keys are `/`-separated blob names relative to the bucket URL's path.
//!
//! Single deletes are direct Delete Blob calls ([`crate::rest`]); `object_store` would send each
//! one as a Blob Batch, which some SAS tokens and emulators refuse.

use std::sync::Arc;

use futures_util::StreamExt;
use http::StatusCode;
use object_store::azure::MicrosoftAzure;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use stowage_plugin_sdk::{
    Backend, Lister, ObjectMeta, ObjectReader, ObjectWriter, PluginError, Result,
};

use crate::credentials::ClientSettings;
use crate::endpoint::Endpoint;
use crate::errors::ErrorContext;
use crate::lister::AzureLister;
use crate::reader::AzureReader;
use crate::rest::{RestClient, status_error};
use crate::runtime::block_on;
use crate::url::BucketUrl;
use crate::writer::{AzureWriter, UploadSettings};

/// An opened Azure bucket.
#[derive(Clone)]
pub struct AzureStore {
    client: Arc<MicrosoftAzure>,
    url: BucketUrl,
    rest: Arc<RestClient>,
    upload: UploadSettings,
    list_page_size: Option<usize>,
    errors: Arc<ErrorContext>,
}

/// Blobs per Blob Batch request (Azure's limit).
const BATCH_SIZE: usize = 256;
/// Tries of one batch request on transient failures.
const BATCH_ATTEMPTS: u32 = 3;

impl std::fmt::Debug for AzureStore {
    // The client is left out: its `Debug` prints credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureStore")
            .field("url", &self.url)
            .field("settings", self.rest.settings())
            .field("upload", &self.upload)
            .finish_non_exhaustive()
    }
}

impl AzureStore {
    /// A store over `client` for the bucket at `url`.
    pub fn new(
        client: MicrosoftAzure,
        url: BucketUrl,
        settings: ClientSettings,
        upload: UploadSettings,
        errors: ErrorContext,
    ) -> AzureStore {
        AzureStore {
            client: Arc::new(client),
            url,
            rest: Arc::new(RestClient::new(settings)),
            upload,
            list_page_size: None,
            errors: Arc::new(errors),
        }
    }

    /// The parsed bucket URL.
    pub fn url(&self) -> &BucketUrl {
        &self.url
    }

    /// Account and endpoint in use.
    pub fn endpoint(&self) -> &Endpoint {
        &self.rest.settings().endpoint
    }

    /// A direct REST call on the container (`blob` = None) or a blob: status and error code.
    pub(crate) fn rest_call(
        &self,
        method: http::Method,
        blob: Option<&str>,
        what: &str,
    ) -> Result<(http::StatusCode, String)> {
        self.rest
            .send(&self.client, &self.errors, method, blob, what)
    }

    /// An error for an unexpected status of a direct call.
    pub(crate) fn status_error(&self, status: StatusCode, code: &str, what: &str) -> PluginError {
        status_error(status, code, what, &self.errors)
    }

    /// Upload block size and concurrency.
    pub fn upload_settings(&self) -> UploadSettings {
        self.upload
    }

    /// The URL of `key` the way dlt writes it into reference files and metrics.
    pub fn object_url(&self, key: &str) -> String {
        self.url.object_url(key)
    }

    /// The blob path of `key`, after checking the key.
    fn path_of(&self, key: &str) -> Result<Path> {
        check_key(key).map_err(|e| e.with_context("key", key))?;
        Path::parse(self.url.blob_name(key))
            .map_err(|e| PluginError::invalid(format!("invalid key: {e}")).with_context("key", key))
    }

    /// Deletes many keys with Blob Batch requests of 256 blobs (Azure's limit), one request at a
    /// time, each tried up to three times on transient failures; missing keys are not errors.
    /// (The plugin ABI has single deletes only; this is for direct users of the crate. Azurite
    /// 3.35 answers Blob Batch with HTTP 500 when the request carries a SAS token.)
    pub fn delete_many(&self, keys: &[&str]) -> Result<()> {
        let paths: Vec<Path> = keys
            .iter()
            .map(|k| self.path_of(k))
            .collect::<Result<_>>()?;
        for batch in paths.chunks(BATCH_SIZE) {
            let mut attempt = 1;
            while let Err(e) = self.delete_batch(batch) {
                if !e.is_retryable() || attempt == BATCH_ATTEMPTS {
                    return Err(e);
                }
                attempt += 1;
            }
        }
        Ok(())
    }

    fn delete_batch(&self, batch: &[Path]) -> Result<()> {
        // The stream must own its paths (`'static`).
        let owned: Vec<object_store::Result<Path>> = batch.iter().cloned().map(Ok).collect();
        let stream = futures_util::stream::iter(owned).boxed();
        let results: Vec<object_store::Result<Path>> =
            block_on(self.client.delete_stream(stream).collect())?;
        for result in results {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.errors.map(&e, "deleting in a batch", "")),
            }
        }
        Ok(())
    }

    /// The listing of `prefix` as its concrete type (see [`Backend::list`]).
    pub fn lister(&self, prefix: &str) -> Result<AzureLister> {
        check_prefix(prefix).map_err(|e| e.with_context("prefix", prefix))?;
        Ok(AzureLister::new(
            Arc::clone(&self.client),
            self.url.root_prefix(),
            prefix,
            self.list_page_size,
            Arc::clone(&self.errors),
        ))
    }

    /// Lists `page_size` blobs per request instead of the service's default (5,000), trading
    /// requests for memory per page.
    pub fn set_list_page_size(&mut self, page_size: usize) {
        self.list_page_size = Some(page_size.max(1));
    }
}

impl Backend for AzureStore {
    fn head(&self, key: &str) -> Result<ObjectMeta> {
        let path = self.path_of(key)?;
        let meta = block_on(self.client.head(&path))?
            .map_err(|e| self.errors.map(&e, "reading the properties", key))?;
        Ok(ObjectMeta {
            size: meta.size,
            last_modified_ms: Some(meta.last_modified.timestamp_millis()),
        })
    }

    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>> {
        let path = self.path_of(key)?;
        let meta =
            block_on(self.client.head(&path))?.map_err(|e| self.errors.map(&e, "opening", key))?;
        Ok(Box::new(AzureReader::new(
            Arc::clone(&self.client),
            path,
            key,
            meta,
            Arc::clone(&self.errors),
        )))
    }

    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        let path = self.path_of(key)?;
        Ok(Box::new(AzureWriter::new(
            Arc::clone(&self.client),
            path,
            key,
            self.upload,
            Arc::clone(&self.errors),
        )))
    }

    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>> {
        Ok(Box::new(self.lister(prefix)?))
    }

    fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        let what = "deleting";
        match self.rest_call(http::Method::DELETE, Some(path.as_ref()), what)? {
            (StatusCode::ACCEPTED | StatusCode::OK | StatusCode::NOT_FOUND, _) => Ok(()),
            (status, code) => {
                Err(status_error(status, &code, what, &self.errors).with_context("key", key))
            }
        }
    }

    fn copy(&self, _from: &str, _to: &str) -> Result<()> {
        Err(PluginError::unsupported(
            "the azure backend does not offer copy (Copy Blob may complete asynchronously)",
        ))
    }

    fn rename(&self, _from: &str, _to: &str) -> Result<()> {
        Err(PluginError::unsupported(
            "the azure backend does not offer rename (the Blob API has none)",
        ))
    }
}

/// A key: non-empty, relative, no empty, `.` or `..` segments, no control characters.
fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(PluginError::invalid("key is empty"));
    }
    if key.ends_with('/') {
        return Err(PluginError::invalid("key ends with `/`"));
    }
    check_prefix(key)
}

/// A list prefix: like a key, but may be empty or end with `/`.
fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.starts_with('/') {
        return Err(PluginError::invalid(
            "key must be relative (starts with `/`)",
        ));
    }
    if prefix.contains(char::is_control) {
        return Err(PluginError::invalid("key contains a control character"));
    }
    let dirs = prefix.rsplit_once('/').map_or("", |(dirs, _)| dirs);
    let last = prefix.rsplit('/').next().unwrap_or_default();
    let bad = |s: &str| s.is_empty() || s == "." || s == "..";
    if (!dirs.is_empty() && dirs.split('/').any(bad)) || last == "." || last == ".." {
        return Err(PluginError::invalid(
            "key has an empty, `.` or `..` segment",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        for good in [
            "a",
            "a/b.jsonl",
            "with space/ü 🦀",
            "quote'dq\"",
            "percent%20sign",
        ] {
            check_key(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in ["", "/a", "a/", "a//b", "./a", "a/../b", "a/..", "tab\there"] {
            assert!(check_key(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["", "a/", "a/b", "path1", "a/b/"] {
            check_prefix(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in ["/", "a//", "../x"] {
            assert!(check_prefix(bad).is_err(), "{bad:?} accepted");
        }
    }
}
