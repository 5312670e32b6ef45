//! [`GcsStore`]: a bucket (and base prefix) in Google Cloud Storage behind the [`Backend`] trait.
//!
//! Keys are relative to the bucket URL's path. `head` and `open_reader` read the object resource
//! (size, generation); `delete` of a missing object succeeds; `copy` is a server-side rewrite
//! (looped until done, so large and cross-location copies work); `rename` is copy then delete,
//! as in gcsfs (not atomic: a crash in between leaves both objects).

use std::sync::Arc;

use futures_util::{StreamExt, stream};
use gcloud_storage::http::objects::delete::DeleteObjectRequest;
use gcloud_storage::http::objects::get::GetObjectRequest;
use gcloud_storage::http::objects::rewrite::RewriteObjectRequest;
use stowage_plugin_sdk::{
    Backend, ErrorKind, Lister, ObjectMeta, ObjectReader, ObjectWriter, PluginError, Result,
};

use crate::core::{GcsCore, object_meta};
use crate::lister::GcsLister;
use crate::reader::GcsReader;
use crate::writer::GcsWriter;

/// Deletes in flight at once in [`GcsStore::delete_many`] (the JSON API has no batch delete
/// outside the multipart batch endpoint, which gcloud-storage does not speak).
const DELETE_CONCURRENCY: usize = 16;

/// An opened GCS bucket.
#[derive(Debug, Clone)]
pub struct GcsStore {
    core: Arc<GcsCore>,
}

impl GcsStore {
    /// A store over an authenticated client.
    pub fn new(core: GcsCore) -> GcsStore {
        GcsStore {
            core: Arc::new(core),
        }
    }

    /// The shared state (client, location, settings).
    pub fn core(&self) -> &GcsCore {
        &self.core
    }

    /// The object name of `key`, after checking the key.
    fn object_name(&self, key: &str) -> Result<String> {
        validate_key(key).map_err(|e| e.with_context("key", key))?;
        Ok(self.core.location.object_name(key))
    }

    /// The object resource of `key`'s object.
    fn get_object(&self, what: &str, name: &str) -> Result<gcloud_storage::http::objects::Object> {
        let request = GetObjectRequest {
            bucket: self.core.bucket().to_string(),
            object: name.to_string(),
            ..Default::default()
        };
        let (client, request) = (&self.core.client, &request);
        self.core
            .run(what, name, move || client.get_object(request))
    }

    /// Deletes many keys, [`DELETE_CONCURRENCY`] at a time; missing keys are fine. Returns the
    /// first error after every delete has been tried.
    pub fn delete_many(&self, keys: &[String]) -> Result<()> {
        let names = keys
            .iter()
            .map(|k| self.object_name(k))
            .collect::<Result<Vec<_>>>()?;
        let core = &self.core;
        let results = crate::runtime::block_on(
            stream::iter(names)
                .map(|name| delete_async(core, name))
                .buffer_unordered(DELETE_CONCURRENCY)
                .collect::<Vec<Result<()>>>(),
        )?;
        results.into_iter().collect()
    }
}

/// One delete with retries, for [`GcsStore::delete_many`].
async fn delete_async(core: &GcsCore, name: String) -> Result<()> {
    let request = DeleteObjectRequest {
        bucket: core.bucket().to_string(),
        object: name.clone(),
        ..Default::default()
    };
    let (client, request, redactor) = (&core.client, &request, &core.redactor);
    let outcome = crate::retry::with_retries(
        &core.config.retry,
        core.config.requests_timeout,
        move || async move {
            client
                .delete_object(request)
                .await
                .map_err(|e| crate::error::from_storage(e, redactor))
        },
    )
    .await;
    ignore_not_found(outcome).map_err(|e| core.context(e, "deleting", &name))
}

/// `Ok` for a missing object.
fn ignore_not_found(outcome: Result<()>) -> Result<()> {
    match outcome {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl Backend for GcsStore {
    fn head(&self, key: &str) -> Result<ObjectMeta> {
        let name = self.object_name(key)?;
        Ok(object_meta(&self.get_object("head", &name)?))
    }

    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>> {
        let name = self.object_name(key)?;
        let object = self.get_object("opening for reading", &name)?;
        Ok(Box::new(GcsReader::new(self.core.clone(), name, &object)))
    }

    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        let name = self.object_name(key)?;
        Ok(Box::new(GcsWriter::new(self.core.clone(), name)))
    }

    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>> {
        if prefix.starts_with('/') {
            return Err(
                PluginError::invalid("list prefix must be relative (starts with `/`)")
                    .with_context("prefix", prefix),
            );
        }
        Ok(Box::new(GcsLister::new(self.core.clone(), prefix)))
    }

    fn delete(&self, key: &str) -> Result<()> {
        let name = self.object_name(key)?;
        let request = DeleteObjectRequest {
            bucket: self.core.bucket().to_string(),
            object: name.clone(),
            ..Default::default()
        };
        let (client, request) = (&self.core.client, &request);
        ignore_not_found(
            self.core
                .run("deleting", &name, move || client.delete_object(request)),
        )
    }

    fn copy(&self, from: &str, to: &str) -> Result<()> {
        let (source, target) = (self.object_name(from)?, self.object_name(to)?);
        let mut request = RewriteObjectRequest {
            source_bucket: self.core.bucket().to_string(),
            source_object: source.clone(),
            destination_bucket: self.core.bucket().to_string(),
            destination_object: target.clone(),
            ..Default::default()
        };
        loop {
            let (client, req) = (&self.core.client, &request);
            let step = self
                .core
                .run("copying", &source, move || client.rewrite_object(req))
                .map_err(|e| e.with_context("to", target.as_str()))?;
            if step.done {
                return Ok(());
            }
            request.rewrite_token = step.rewrite_token;
        }
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.copy(from, to)?;
        self.delete(from)
    }
}

/// Keys are relative, non-empty, and name an object (not a `…/` folder placeholder).
fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(PluginError::invalid("key is empty"));
    }
    if key.starts_with('/') {
        return Err(PluginError::invalid(
            "key must be relative (starts with `/`)",
        ));
    }
    if key.ends_with('/') {
        return Err(PluginError::invalid("key ends with `/`"));
    }
    if key.contains(['\r', '\n']) {
        return Err(PluginError::invalid("key contains a line break"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        for bad in ["", "/abs", "dir/", "a\nb"] {
            let e = validate_key(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
        for good in ["a", "a/b c/ü 🦀.jsonl", "hash#amp&q?.txt", "percent%20sign"] {
            validate_key(good).unwrap();
        }
    }

    #[test]
    fn not_found_is_a_successful_delete() {
        assert!(ignore_not_found(Err(PluginError::not_found("gone"))).is_ok());
        assert!(ignore_not_found(Err(PluginError::unexpected("boom"))).is_err());
    }
}
