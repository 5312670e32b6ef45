//! Test helpers: an in-memory backend with an operation log and injectable failures, and load
//! packages built by hand.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use stowage::package::Package;
use stowage::schema::Schema;
use stowage::{Error, Result};
use stowage_plugin_sdk::io::MemoryReader;
use stowage_plugin_sdk::{Backend, ListEntry, Lister, ObjectMeta, ObjectReader, ObjectWriter};

/// Decides whether an operation (`put`/`delete`/`get`/`list`, key) fails.
pub type FailRule = Box<dyn FnMut(&str, &str) -> Option<Error> + Send>;

/// Objects in memory, every write and delete logged in order.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    objects: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    log: Arc<Mutex<Vec<String>>>,
    fail: Arc<Mutex<Option<FailRule>>>,
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fails operations for which `rule` returns an error (until cleared with `heal`).
    pub fn fail_with(&self, rule: impl FnMut(&str, &str) -> Option<Error> + Send + 'static) {
        *self.fail.lock().unwrap() = Some(Box::new(rule));
    }

    pub fn heal(&self) {
        *self.fail.lock().unwrap() = None;
    }

    fn check(&self, op: &str, key: &str) -> Result<()> {
        match self
            .fail
            .lock()
            .unwrap()
            .as_mut()
            .and_then(|rule| rule(op, key))
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub fn put(&self, key: &str, bytes: &[u8]) {
        self.objects
            .lock()
            .unwrap()
            .insert(key.into(), bytes.to_vec());
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.lock().unwrap().get(key).cloned()
    }

    pub fn keys(&self) -> Vec<String> {
        self.objects.lock().unwrap().keys().cloned().collect()
    }

    /// `put <key>` / `delete <key>` in order.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }
}

struct Writer {
    key: String,
    buf: Vec<u8>,
    backend: MemoryBackend,
}

impl ObjectWriter for Writer {
    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        self.backend.check("finish", &self.key)?;
        let n = self.buf.len() as u64;
        self.backend
            .log
            .lock()
            .unwrap()
            .push(format!("put {}", self.key));
        self.backend
            .objects
            .lock()
            .unwrap()
            .insert(self.key.clone(), self.buf);
        Ok(n)
    }

    fn abort(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

impl Backend for MemoryBackend {
    fn head(&self, key: &str) -> Result<ObjectMeta> {
        let size = self
            .get(key)
            .ok_or_else(|| Error::not_found(key.to_string()))?
            .len() as u64;
        Ok(ObjectMeta {
            size,
            last_modified_ms: None,
        })
    }

    fn open_reader(&self, key: &str) -> Result<Box<dyn ObjectReader>> {
        self.check("get", key)?;
        let bytes = self
            .get(key)
            .ok_or_else(|| Error::not_found(key.to_string()))?;
        Ok(Box::new(MemoryReader::new(bytes)))
    }

    fn open_writer(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        self.check("put", key)?;
        Ok(Box::new(Writer {
            key: key.into(),
            buf: Vec::new(),
            backend: self.clone(),
        }))
    }

    fn list(&self, prefix: &str) -> Result<Box<dyn Lister>> {
        self.check("list", prefix)?;
        let entries: Vec<Result<ListEntry>> = self
            .objects
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| {
                Ok(ListEntry {
                    key: k.clone(),
                    size: v.len() as u64,
                    last_modified_ms: None,
                })
            })
            .collect();
        Ok(Box::new(entries.into_iter()))
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.check("delete", key)?;
        self.log.lock().unwrap().push(format!("delete {key}"));
        self.objects.lock().unwrap().remove(key);
        Ok(())
    }

    fn copy(&self, _: &str, _: &str) -> Result<()> {
        Err(Error::unsupported("copy"))
    }

    fn rename(&self, _: &str, _: &str) -> Result<()> {
        Err(Error::unsupported("rename"))
    }
}

/// A schema `pl` with root `event` (disposition as given) and its nested `event__kids`, and
/// the root tables in `others` (append), all with seen data.
pub fn schema(disposition: &str, others: &[&str]) -> Schema {
    let mut s = Schema::new("pl");
    s.ensure_root_table("event", "event", disposition);
    s.ensure_nested_table("event__kids", "event");
    for t in others {
        s.ensure_root_table(t, t, "append");
    }
    for t in s.data_tables() {
        s.mark_seen_data(&t);
    }
    s.bump_version();
    s
}

/// A normalized package with jsonl jobs of `rows` rows each: (table, file_id, rows).
pub fn package(
    workdir: &Path,
    load_id: &str,
    schema: &Schema,
    jobs: &[(&str, &str, usize)],
    with_state: bool,
) -> Package {
    let mut p = Package::create(workdir, load_id).unwrap();
    for (table, file_id, rows) in jobs {
        let body: String = (0..*rows).map(|i| format!("{{\"i\":{i}}}\n")).collect();
        std::fs::write(
            p.state_dir("new_jobs")
                .join(format!("{table}.{file_id}.0.jsonl")),
            body,
        )
        .unwrap();
    }
    p.write_file("schema.json", schema.to_json().to_string().as_bytes())
        .unwrap();
    let mut state = serde_json::json!({
        "_state_version": 1,
        "_state_engine_version": 1,
        "created_at": "2026-11-22T01:26:13.127647+00:00",
    });
    if with_state {
        let mut st = stowage::state::PipelineState::new("pl", "ds", "pl");
        st.bump_version();
        state["pipeline_state"] = st.without_local();
    }
    p.write_file("load_package_state.json", state.to_string().as_bytes())
        .unwrap();
    p.move_to(workdir, "normalized").unwrap();
    p
}

/// Rows in a jsonl object.
pub fn rows(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}
