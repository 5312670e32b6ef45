//! Helpers shared by the `staging_*` tests: the built plugins, the destinations under test
//! (embedded DuckDB, the real PostgreSQL at `DATABASE_URL`), a staged run's options, row
//! queries, and a destination wrapper that records what it was asked to copy and can fail.
//!
//! Missing environment (plugins, servers) skips a test locally and fails it under `CI=true`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::Value;
use stowage::disposition::WriteDisposition;
use stowage::pipeline::RunOptions;
use stowage::plugins::{DiscoveryConfig, Registry};
use stowage::staging::{StagingOptions, count_rows, query_rows};
use stowage_plugin_sdk::{CopyRequest, Destination, ObjectReader, Options, PluginError};

/// `var`, or `None` after a skip line (a panic under `CI=true`).
pub fn env(var: &str) -> Option<String> {
    match std::env::var(var).ok().filter(|v| !v.is_empty()) {
        Some(v) => Some(v),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set (run through cargo xtask test-all)")
        }
        None => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// The registry of the built plugins.
pub fn registry() -> Option<Registry> {
    let dir = PathBuf::from(env("STOWAGE_TEST_PLUGIN_DIR")?);
    Some(Registry::discover(&DiscoveryConfig::only_dirs(vec![dir])))
}

/// A name unique to this process and moment (`[a-z0-9_]`).
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// The first load of the merge tests: `items` with nested `kids`, id 2 twice (merged away).
pub const FIRST: &str = concat!(
    r#"{"id":1,"name":"a","kids":[{"k":1},{"k":2}]}"#,
    "\n",
    r#"{"id":2,"name":"b","kids":[{"k":3}]}"#,
    "\n",
    r#"{"id":2,"name":"b","kids":[{"k":3}]}"#,
    "\n",
);

/// One destination under test.
#[derive(Clone)]
pub struct Target {
    /// Plugin name.
    pub name: &'static str,
    /// Its options.
    pub options: Options,
}

/// DuckDB in a file under `dir`.
pub fn duckdb(dir: &Path) -> Target {
    let file = dir.join("t.duckdb").to_str().unwrap().to_string();
    Target {
        name: "duckdb",
        options: Options::new([("credentials", file)]),
    }
}

/// The PostgreSQL server at `DATABASE_URL`.
pub fn postgres() -> Option<Target> {
    Some(Target {
        name: "postgres",
        options: Options::new([("credentials", env("DATABASE_URL")?)]),
    })
}

/// A staged pipeline: its working dir, dataset and destination.
pub struct Staged<'a> {
    /// Temp dir holding input, pipelines and the local bucket.
    pub dir: &'a Path,
    /// Dataset name.
    pub dataset: String,
    /// The destination.
    pub target: Target,
    /// Bucket URL (default: `<dir>/bucket`).
    pub bucket_url: Option<String>,
    /// Backend options of the bucket.
    pub backend_options: Options,
}

impl<'d> Staged<'d> {
    /// A pipeline over a local bucket.
    pub fn new(dir: &'d Path, prefix: &str, target: Target) -> Staged<'d> {
        Staged {
            dir,
            dataset: unique(prefix),
            target,
            bucket_url: None,
            backend_options: Options::default(),
        }
    }

    /// Options of a run of `rows` (NDJSON) into table `items`.
    pub fn options(
        &self,
        rows: &str,
        disposition: WriteDisposition,
        tweak: impl FnOnce(&mut StagingOptions),
    ) -> RunOptions {
        let input = self.dir.join(format!("{}.ndjson", unique("in")));
        std::fs::write(&input, rows).unwrap();
        let mut options = RunOptions::new(&input, "items");
        options.pipeline = "stage_test".into();
        options.dataset = Some(self.dataset.clone());
        options.bucket_url = Some(
            self.bucket_url
                .clone()
                .unwrap_or_else(|| self.dir.join("bucket").to_str().unwrap().to_string()),
        );
        options.backend_options = self.backend_options.clone();
        options.pipelines_dir = Some(self.dir.join("pipelines"));
        options.write_disposition = disposition;
        let mut staging = StagingOptions::new(self.target.name);
        staging.destination_options = self.target.options.clone();
        tweak(&mut staging);
        options.staging = Some(staging);
        options
    }

    /// Runs and panics on failure.
    pub fn load(
        &self,
        registry: &Registry,
        rows: &str,
        d: WriteDisposition,
        tweak: impl FnOnce(&mut StagingOptions),
    ) {
        let options = self.options(rows, d, tweak);
        stowage::pipeline::run(registry, &options)
            .unwrap_or_else(|e| panic!("{} {d}: {e}", self.target.name));
    }

    /// A new session on the destination.
    pub fn session(&self, registry: &Registry) -> Arc<dyn Destination> {
        registry
            .open_destination(self.target.name, &self.target.options)
            .expect("opens")
    }

    /// Rows of a table of the dataset.
    pub fn count(&self, registry: &Registry, table: &str) -> i64 {
        count_rows(self.session(registry).as_ref(), &self.dataset, table).unwrap()
    }

    /// Rows of a query.
    pub fn rows(&self, registry: &Registry, sql: &str) -> Vec<Value> {
        query_rows(self.session(registry).as_ref(), sql).unwrap()
    }

    /// Drops the datasets (PostgreSQL keeps them otherwise).
    pub fn cleanup(&self, registry: &Registry) {
        if self.target.name == "postgres" {
            let s = self.session(registry);
            for name in [self.dataset.clone(), format!("{}_staging", self.dataset)] {
                let _ = s.execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
            }
        }
    }
}

/// `(id, name, k)` of `items` left-joined with `items__kids`, ordered: the row-for-row view of
/// the test data.
pub fn items_with_kids(
    staged: &Staged<'_>,
    registry: &Registry,
) -> Vec<(i64, String, Option<i64>)> {
    let ds = &staged.dataset;
    staged
        .rows(
            registry,
            &format!(
                "SELECT i.id, i.name, k.k FROM \"{ds}\".items i LEFT JOIN \"{ds}\".items__kids k \
                 ON k._dlt_root_id = i._dlt_id ORDER BY i.id, k.k"
            ),
        )
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["name"].as_str().unwrap().to_string(),
                r["k"].as_i64(),
            )
        })
        .collect()
}

/// A reader that counts the bytes the destination read through it.
struct Counting {
    inner: Box<dyn ObjectReader>,
    bytes: Arc<AtomicU64>,
}

impl ObjectReader for Counting {
    fn size(&mut self) -> stowage_plugin_sdk::Result<u64> {
        self.inner.size()
    }
    fn read(&mut self, buf: &mut [u8]) -> stowage_plugin_sdk::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> stowage_plugin_sdk::Result<usize> {
        let n = self.inner.read_at(offset, buf)?;
        self.bytes.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

/// A real session that records every staged file it is asked to copy (URL, bytes read through
/// the engine's reader) and, while `fail_copies` is set, fails every copy.
pub struct Recording {
    /// The real session.
    pub inner: Arc<dyn Destination>,
    /// URLs of the copied files.
    pub urls: Mutex<Vec<String>>,
    /// Bytes the destination read from the staging bucket's readers.
    pub bytes: Arc<AtomicU64>,
    /// Fail every `copy_file`.
    pub fail_copies: AtomicBool,
}

impl Recording {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Destination>) -> Recording {
        Recording {
            inner,
            urls: Mutex::new(Vec::new()),
            bytes: Arc::new(AtomicU64::new(0)),
            fail_copies: AtomicBool::new(false),
        }
    }
}

impl Destination for Recording {
    fn execute(&self, sql: &str) -> stowage_plugin_sdk::Result<()> {
        self.inner.execute(sql)
    }
    fn query(&self, sql: &str) -> stowage_plugin_sdk::Result<String> {
        self.inner.query(sql)
    }
    fn copy_file(
        &self,
        request: &CopyRequest,
        source: Box<dyn ObjectReader>,
    ) -> stowage_plugin_sdk::Result<u64> {
        if self.fail_copies.load(Ordering::SeqCst) {
            return Err(PluginError::unexpected("injected copy failure"));
        }
        self.urls.lock().unwrap().push(request.url.clone());
        let counting = Counting {
            inner: source,
            bytes: self.bytes.clone(),
        };
        self.inner.copy_file(request, Box::new(counting))
    }
}

/// A real session whose every `execute` goes through `on_execute` (given the real session and
/// the SQL, e.g. to fail one statement); queries and copies go straight to the real session.
pub struct Intercepted<F> {
    inner: Arc<dyn Destination>,
    on_execute: F,
}

impl<F> Intercepted<F>
where
    F: Fn(&dyn Destination, &str) -> stowage_plugin_sdk::Result<()> + Send + Sync,
{
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Destination>, on_execute: F) -> Intercepted<F> {
        Intercepted { inner, on_execute }
    }
}

impl<F> Destination for Intercepted<F>
where
    F: Fn(&dyn Destination, &str) -> stowage_plugin_sdk::Result<()> + Send + Sync,
{
    fn execute(&self, sql: &str) -> stowage_plugin_sdk::Result<()> {
        (self.on_execute)(self.inner.as_ref(), sql)
    }
    fn query(&self, sql: &str) -> stowage_plugin_sdk::Result<String> {
        self.inner.query(sql)
    }
    fn copy_file(
        &self,
        request: &CopyRequest,
        source: Box<dyn ObjectReader>,
    ) -> stowage_plugin_sdk::Result<u64> {
        self.inner.copy_file(request, source)
    }
}
