//! [`GcsCore`]: the client, the bucket location and the settings shared by a store and every
//! reader, writer and lister it hands out, plus the one way requests are sent: through the plugin
//! runtime, with retries and timeouts, errors mapped and given `bucket`/`object` context.

use std::future::Future;

use gcloud_storage::client::Client;
use gcloud_storage::http::Error as StorageError;
use gcloud_storage::http::objects::Object;
use stowage_plugin_sdk::{ObjectMeta, PluginError, Result};

use crate::config::GcsConfig;
use crate::error::from_storage;
use crate::retry::with_retries;
use crate::runtime::block_on;
use crate::secret::Redactor;
use crate::url::BucketLocation;

/// What every handle of one opened bucket shares.
pub struct GcsCore {
    /// The JSON API client.
    pub client: Client,
    /// Bucket and base prefix.
    pub location: BucketLocation,
    /// Timeouts, chunk size, retry policy.
    pub config: GcsConfig,
    /// Scrubs secrets out of auth errors.
    pub redactor: Redactor,
}

impl std::fmt::Debug for GcsCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsCore")
            .field("location", &self.location)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl GcsCore {
    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.location.bucket
    }

    /// Sends one storage request (made anew by `attempt` for each try) and waits for it.
    pub fn run<T, F, Fut>(&self, what: &str, object: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StorageError>>,
    {
        let redactor = &self.redactor;
        self.run_mapped(what, object, || {
            let request = attempt();
            async move { request.await.map_err(|e| from_storage(e, redactor)) }
        })
    }

    /// Like [`GcsCore::run`] for attempts that already produce [`PluginError`]s.
    pub fn run_mapped<T, F, Fut>(&self, what: &str, object: &str, attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        block_on(with_retries(
            &self.config.retry,
            self.config.requests_timeout,
            attempt,
        ))?
        .map_err(|e| self.context(e, what, object))
    }

    /// Adds what was being done and where to an error.
    pub fn context(&self, err: PluginError, what: &str, object: &str) -> PluginError {
        err.while_doing(what)
            .with_context("bucket", self.bucket())
            .with_context("object", object)
    }

    /// Maps a storage error of a request sent outside [`GcsCore::run`].
    pub fn map_error(&self, err: StorageError) -> PluginError {
        from_storage(err, &self.redactor)
    }
}

/// Size and modification time of an object resource.
pub fn object_meta(object: &Object) -> ObjectMeta {
    ObjectMeta {
        size: object_size(object),
        last_modified_ms: object
            .updated
            .or(object.time_created)
            .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()),
    }
}

/// An object's size (never negative).
pub fn object_size(object: &Object) -> u64 {
    u64::try_from(object.size).unwrap_or(0)
}
