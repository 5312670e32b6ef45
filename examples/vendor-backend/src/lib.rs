//! An example third-party backend plugin: `memory://<bucket>`, an in-process object store.
//!
//! Objects live in one process-global map keyed by `<bucket>/<key>`, so every backend opened
//! on the same bucket (in the same process) sees the same objects. It implements the whole
//! [`Backend`] contract: writers buffer and commit on `finish` (atomically, under the lock);
//! `abort` or dropping a writer discards; listing is recursive by string prefix; `copy` and
//! `rename` are supported.
//!
//! Built as a `cdylib` and dropped into a plugin directory, an unmodified `stowage` binary can
//! use it (see README.md).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use stowage_plugin_sdk::{
    Backend, BackendCapabilities, BackendPlugin, ListEntry, Lister, ObjectMeta, ObjectReader,
    ObjectWriter, Options, PluginError, Result,
};

/// Every object of every bucket: `<bucket>/<key>` → bytes.
static STORE: Mutex<BTreeMap<String, Arc<Vec<u8>>>> = Mutex::new(BTreeMap::new());

fn store() -> MutexGuard<'static, BTreeMap<String, Arc<Vec<u8>>>> {
    // A panic elsewhere never leaves the map half-updated (each update is one insert/remove).
    STORE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `memory` backend kind.
#[derive(Debug)]
pub struct MemoryPlugin;

impl BackendPlugin for MemoryPlugin {
    const NAME: &'static str = "memory";
    const DESCRIPTION: &'static str = "in-process memory store (example vendor plugin)";
    const SCHEMES: &'static [&'static str] = &["memory"];
    const CAPABILITIES: BackendCapabilities = BackendCapabilities {
        read: true,
        write: true,
        list: true,
        delete: true,
        read_with_range: true,
        copy: true,
        rename: true,
        atomic_write: true,
    };

    fn open(url: &str, options: Options) -> Result<Box<dyn Backend>> {
        options.finish(Self::NAME)?;
        let bucket = url
            .strip_prefix("memory://")
            .map(|rest| rest.trim_end_matches('/'))
            .filter(|bucket| !bucket.is_empty())
            .ok_or_else(|| {
                PluginError::invalid(format!("expected a memory://<bucket> URL, got {url:?}"))
            })?;
        Ok(Box::new(MemoryBackend {
            root: format!("{bucket}/"),
        }))
    }
}

/// One opened bucket.
#[derive(Debug)]
struct MemoryBackend {
    /// `<bucket>/`: prepended to every key.
    root: String,
}

impl MemoryBackend {
    fn path(&self, key: &str) -> String {
        format!("{}{key}", self.root)
    }

    fn object(&self, key: &str) -> Result<Arc<Vec<u8>>> {
        store().get(&self.path(key)).cloned().ok_or_else(|| {
            PluginError::not_found(format!("no object {key:?}")).with_context("key", key)
        })
    }
}

impl Backend for MemoryBackend {
    fn head(&self, key: &str) -> Result<ObjectMeta> {
        let data = self.object(key)?;
        Ok(ObjectMeta {
            size: data.len() as u64,
            last_modified_ms: None,
        })
    }

    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>> {
        Ok(Box::new(MemoryReader {
            data: self.object(key)?,
            pos: 0,
        }))
    }

    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        Ok(Box::new(MemoryWriter {
            path: self.path(key),
            buf: Vec::new(),
        }))
    }

    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>> {
        let start = self.path(prefix);
        let entries: Vec<Result<ListEntry>> = store()
            .range(start.clone()..)
            .take_while(|(path, _)| path.starts_with(&start))
            .map(|(path, data)| {
                Ok(ListEntry {
                    key: path[self.root.len()..].to_string(),
                    size: data.len() as u64,
                    last_modified_ms: None,
                })
            })
            .collect();
        Ok(Box::new(entries.into_iter()))
    }

    fn delete(&self, key: &str) -> Result<()> {
        store().remove(&self.path(key));
        Ok(())
    }

    fn copy(&self, from: &str, to: &str) -> Result<()> {
        let data = self.object(from)?;
        store().insert(self.path(to), data);
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        let mut map = store();
        let data = map.remove(&self.path(from)).ok_or_else(|| {
            PluginError::not_found(format!("no object {from:?}")).with_context("key", from)
        })?;
        map.insert(self.path(to), data);
        Ok(())
    }
}

/// Reads a snapshot of the object taken when the reader was opened.
struct MemoryReader {
    data: Arc<Vec<u8>>,
    pos: u64,
}

impl ObjectReader for MemoryReader {
    fn size(&mut self) -> Result<u64> {
        Ok(self.data.len() as u64)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        Ok(n)
    }
}

/// Buffers everything; the object appears only on `finish`. Dropping it discards the buffer.
struct MemoryWriter {
    path: String,
    buf: Vec<u8>,
}

impl ObjectWriter for MemoryWriter {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        let size = self.buf.len() as u64;
        let MemoryWriter { path, buf } = *self;
        store().insert(path, Arc::new(buf));
        Ok(size)
    }

    fn abort(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

stowage_plugin_sdk::export_plugin! {
    name: "memory",
    version: env!("CARGO_PKG_VERSION"),
    backends: [MemoryPlugin],
    formats: [],
}

#[cfg(test)]
mod tests {
    use stowage_plugin_sdk::testing::backend::{SuiteConfig, put, run_suite};

    use super::*;

    fn open(url: &str) -> Box<dyn Backend> {
        MemoryPlugin::open(url, Options::default()).expect("opens")
    }

    /// The SDK's behaviour suite, in-process (the host runs the same suite through dlopen).
    #[test]
    fn behaviour_suite() {
        let backend = open("memory://suite");
        run_suite(
            backend.as_ref(),
            MemoryPlugin::CAPABILITIES,
            &SuiteConfig::default(),
        );
    }

    #[test]
    fn buckets_are_separate_and_shared_between_instances() {
        put(open("memory://b1").as_ref(), "k", b"one").unwrap();
        put(open("memory://b2").as_ref(), "k", b"two").unwrap();
        assert_eq!(open("memory://b1/").head("k").unwrap().size, 3);
        let keys: Vec<_> = open("memory://b1")
            .list("")
            .unwrap()
            .map(|e| e.unwrap().key)
            .collect();
        assert_eq!(keys, ["k"]);
    }

    #[test]
    fn bad_urls_and_unknown_options_are_rejected() {
        assert!(MemoryPlugin::open("file:///tmp", Options::default()).is_err());
        assert!(MemoryPlugin::open("memory://", Options::default()).is_err());
        let err = MemoryPlugin::open("memory://b", Options::new([("colour", "red")]))
            .err()
            .expect("unknown option rejected");
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
