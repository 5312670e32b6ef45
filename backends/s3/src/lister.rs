//! [`S3Lister`]: a lazy, paginated ListObjectsV2 over a string prefix.
//!
//! One page (up to 1,000 keys) is fetched at a time, when the previous one is used up, so a
//! listing of millions of keys holds one page in memory. Keys are returned relative to the
//! bucket URL. Zero-byte "directory markers" (keys ending in `/`, made by consoles and some
//! tools) are not objects and are skipped.

use std::collections::VecDeque;
use std::sync::Arc;

use aws_sdk_s3::types::Object;
use stowage_plugin_sdk::{ListEntry, Result};

use crate::backend::Shared;
use crate::runtime::block_on;
use crate::timestamp_ms;

/// Lists the objects under a prefix, page by page.
#[derive(Debug)]
pub struct S3Lister {
    shared: Arc<Shared>,
    /// The prefix as a bucket-level key.
    prefix: String,
    page: VecDeque<ListEntry>,
    continuation: Option<String>,
    done: bool,
}

impl S3Lister {
    /// A listing of every object whose key starts with `prefix`; nothing is sent yet.
    pub fn new(shared: Arc<Shared>, prefix: &str) -> S3Lister {
        let prefix = shared.url.object_key(prefix);
        S3Lister {
            shared,
            prefix,
            page: VecDeque::new(),
            continuation: None,
            done: false,
        }
    }

    /// Fetches the next page into `self.page`.
    fn fetch_page(&mut self) -> Result<()> {
        let s = &self.shared;
        let out = block_on(
            s.client()
                .list_objects_v2()
                .bucket(s.bucket())
                .prefix(&self.prefix)
                .max_keys(s.list_page_size)
                .set_continuation_token(self.continuation.take())
                .send(),
        )?
        .map_err(|e| s.errors.map(e, "listing", Some(&self.prefix)))?;
        self.continuation = out.next_continuation_token().map(str::to_string);
        self.done = !out.is_truncated().unwrap_or(false) || self.continuation.is_none();
        let entries = out.contents().iter().filter_map(|o| self.entry(o));
        self.page = entries.collect();
        Ok(())
    }

    /// The listing entry of one object (`None` for directory markers and foreign keys).
    fn entry(&self, object: &Object) -> Option<ListEntry> {
        let key = self.shared.url.relative_key(object.key()?)?;
        if key.is_empty() || key.ends_with('/') {
            return None;
        }
        Some(ListEntry {
            key: key.to_string(),
            size: object.size().unwrap_or(0).max(0) as u64,
            last_modified_ms: object.last_modified().and_then(timestamp_ms),
        })
    }
}

impl Iterator for S3Lister {
    type Item = Result<ListEntry>;

    fn next(&mut self) -> Option<Result<ListEntry>> {
        loop {
            if let Some(entry) = self.page.pop_front() {
                return Some(Ok(entry));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.fetch_page() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}
