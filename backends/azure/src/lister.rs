//! [`AzureLister`]: a flat listing (no delimiter, so recursive) of every blob whose name starts
//! with `<root>/<prefix>` as a plain string prefix, fetched one page (up to 5,000 blobs, or the
//! store's page size) at a time with the continuation marker, only when the caller has consumed
//! the previous page.
//!
//! `object_store` leaves out a blob whose name equals the prefix; when the prefix could be a key
//! (it does not end with `/`), one HEAD finds that blob.

use std::collections::VecDeque;
use std::sync::Arc;

use object_store::ObjectStoreExt;
use object_store::azure::MicrosoftAzure;
use object_store::list::{PaginatedListOptions, PaginatedListStore};
use object_store::path::Path;
use stowage_plugin_sdk::{ListEntry, Result};

use crate::errors::ErrorContext;
use crate::runtime::block_on;

/// Streams the blobs under one prefix.
pub struct AzureLister {
    client: Arc<MicrosoftAzure>,
    /// `root/` of the bucket (stripped from blob names).
    root_prefix: String,
    /// `root/prefix` sent to Azure.
    full_prefix: String,
    prefix: String,
    page: VecDeque<ListEntry>,
    marker: Option<String>,
    page_size: Option<usize>,
    pages_fetched: usize,
    exact_checked: bool,
    done: bool,
    errors: Arc<ErrorContext>,
}

impl std::fmt::Debug for AzureLister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureLister")
            .field("full_prefix", &self.full_prefix)
            .field("buffered", &self.page.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl AzureLister {
    /// A listing of `prefix` below `root_prefix`; nothing is fetched until the first `next`.
    pub fn new(
        client: Arc<MicrosoftAzure>,
        root_prefix: String,
        prefix: &str,
        page_size: Option<usize>,
        errors: Arc<ErrorContext>,
    ) -> AzureLister {
        AzureLister {
            client,
            full_prefix: format!("{root_prefix}{prefix}"),
            root_prefix,
            prefix: prefix.to_string(),
            page: VecDeque::new(),
            marker: None,
            page_size,
            pages_fetched: 0,
            exact_checked: false,
            done: false,
            errors,
        }
    }

    /// List requests sent so far.
    pub fn pages_fetched(&self) -> usize {
        self.pages_fetched
    }

    /// The blob named exactly like the prefix, if the prefix can be a key and it exists.
    fn check_exact(&mut self) -> Result<()> {
        self.exact_checked = true;
        if self.prefix.is_empty() || self.prefix.ends_with('/') {
            return Ok(());
        }
        let Ok(path) = Path::parse(&self.full_prefix) else {
            return Ok(());
        };
        match block_on(self.client.head(&path))? {
            Ok(meta) => self.page.push_back(ListEntry {
                key: self.prefix.clone(),
                size: meta.size,
                last_modified_ms: Some(meta.last_modified.timestamp_millis()),
            }),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(self.errors.map(&e, "listing", &self.prefix)),
        }
        Ok(())
    }

    fn fetch_page(&mut self) -> Result<()> {
        if !self.exact_checked {
            return self.check_exact();
        }
        let options = PaginatedListOptions {
            page_token: self.marker.take(),
            max_keys: self.page_size,
            ..PaginatedListOptions::default()
        };
        let prefix = Some(self.full_prefix.as_str()).filter(|p| !p.is_empty());
        let page = block_on(self.client.list_paginated(prefix, options))?
            .map_err(|e| self.errors.map(&e, "listing", &self.prefix))?;
        self.pages_fetched += 1;
        self.marker = page.page_token;
        self.done = self.marker.is_none();
        for object in page.result.objects {
            let name = object.location.as_ref();
            let Some(key) = name.strip_prefix(&self.root_prefix) else {
                continue;
            };
            self.page.push_back(ListEntry {
                key: key.to_string(),
                size: object.size,
                last_modified_ms: Some(object.last_modified.timestamp_millis()),
            });
        }
        Ok(())
    }
}

impl Iterator for AzureLister {
    type Item = Result<ListEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.page.is_empty() && !self.done {
            if let Err(e) = self.fetch_page() {
                self.done = true;
                return Some(Err(e));
            }
        }
        self.page.pop_front().map(Ok)
    }
}
