//! [`GcsLister`]: a paged listing of every object whose name starts with a prefix.
//!
//! Pages (1000 objects by default) are fetched one at a time as the
//! iterator advances, so memory stays at one page. GCS prefixes are string prefixes, which is
//! the backend contract. Folder placeholders (zero-byte objects named `…/`, made by the Cloud
//! Console) are not objects of a dataset and are skipped.

use std::sync::Arc;

use gcloud_storage::http::objects::Object;
use gcloud_storage::http::objects::list::ListObjectsRequest;
use stowage_plugin_sdk::{ListEntry, Result};

use crate::core::{GcsCore, object_meta};

/// A listing in progress.
pub struct GcsLister {
    core: Arc<GcsCore>,
    request: ListObjectsRequest,
    page: std::vec::IntoIter<Object>,
    /// No further page (or an error ended the listing).
    exhausted: bool,
}

impl std::fmt::Debug for GcsLister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsLister")
            .field("prefix", &self.request.prefix)
            .field("exhausted", &self.exhausted)
            .finish_non_exhaustive()
    }
}

impl GcsLister {
    /// Lists keys starting with `prefix` (relative to the bucket URL).
    pub fn new(core: Arc<GcsCore>, prefix: &str) -> GcsLister {
        let full_prefix = core.location.object_name(prefix);
        let request = ListObjectsRequest {
            bucket: core.bucket().to_string(),
            prefix: Some(full_prefix).filter(|p| !p.is_empty()),
            max_results: Some(i32::try_from(core.config.list_page_size).unwrap_or(i32::MAX)),
            ..Default::default()
        };
        GcsLister {
            core,
            request,
            page: Vec::new().into_iter(),
            exhausted: false,
        }
    }

    /// Fetches the next page into `page`.
    fn fetch_page(&mut self) -> Result<()> {
        let (client, request) = (&self.core.client, &self.request);
        let prefix = request.prefix.clone().unwrap_or_default();
        let response = self
            .core
            .run("listing", &prefix, move || client.list_objects(request))
            .map_err(|e| e.with_context("prefix", prefix.as_str()))?;
        self.request.page_token = response.next_page_token.filter(|t| !t.is_empty());
        self.exhausted = self.request.page_token.is_none();
        self.page = response.items.unwrap_or_default().into_iter();
        Ok(())
    }

    fn entry(&self, object: &Object) -> Option<ListEntry> {
        let key = self.core.location.key_of(&object.name)?;
        if key.is_empty() || key.ends_with('/') {
            return None;
        }
        let meta = object_meta(object);
        Some(ListEntry {
            key: key.to_string(),
            size: meta.size,
            last_modified_ms: meta.last_modified_ms,
        })
    }
}

impl Iterator for GcsLister {
    type Item = Result<ListEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(object) = self.page.next() {
                match self.entry(&object) {
                    Some(entry) => return Some(Ok(entry)),
                    None => continue,
                }
            }
            if self.exhausted {
                return None;
            }
            if let Err(e) = self.fetch_page() {
                self.exhausted = true;
                return Some(Err(e));
            }
        }
    }
}
