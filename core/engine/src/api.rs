//! The Rust library API: a pipeline builder over [`crate::pipeline`], the same engine the CLI
//! drives.
//!
//! ```no_run
//! use stowage::api::{Pipeline, filesystem};
//! use serde_json::json;
//!
//! let rows = vec![
//!     json!({"id": 1, "name": "Alice", "tags": ["a", "b"]}),
//!     json!({"id": 2, "name": "Bob", "created": "2024-01-02T03:04:05+02:00"}),
//! ];
//! let summary = Pipeline::new("web")
//!     .destination(
//!         filesystem("file:///tmp/lake")
//!             .layout("{table_name}/{env}/{load_id}.{file_id}.{ext}")
//!             .extra_placeholder("env", |_schema, table, _load_id, _file_id, _ext| {
//!                 if table.starts_with("events") { "prod".into() } else { "dev".into() }
//!             }),
//!     )
//!     .dataset("web_data")
//!     .run("events", rows)?;
//! println!("loaded {} rows as load {}", summary.rows, summary.load_id);
//! # Ok::<(), stowage::Error>(())
//! ```
//!
//! Plugins are found the standard way (see [`crate::plugins::DiscoveryConfig::standard`]);
//! [`Pipeline::plugin_dir`] adds a directory searched first.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::dataset::{Dataset, DatasetOptions};
use crate::disposition::WriteDisposition;
use crate::input::{Record, RecordSource};
use crate::layout::Placeholder;
use crate::pipeline::{self, RunOptions, RunSummary};
use crate::plugins::{DiscoveryConfig, Registry};
use crate::{Error, Options, Result};

/// A filesystem destination: a bucket URL plus layout and backend settings.
#[derive(Debug, Clone)]
pub struct Filesystem {
    bucket_url: String,
    layout: Option<String>,
    extra_placeholders: Vec<(String, Placeholder)>,
    options: Vec<(String, String)>,
}

/// A filesystem destination at `bucket_url` (a local path, `file://`, `s3://`, `az://`, …).
pub fn filesystem(bucket_url: impl Into<String>) -> Filesystem {
    Filesystem {
        bucket_url: bucket_url.into(),
        layout: None,
        extra_placeholders: Vec::new(),
        options: Vec::new(),
    }
}

impl Filesystem {
    /// The layout of data file keys (dlt's placeholders; default
    /// `{table_name}/{load_id}.{file_id}.{ext}`).
    pub fn layout(mut self, layout: impl Into<String>) -> Self {
        self.layout = Some(layout.into());
        self
    }

    /// A placeholder computed per file from (schema, table, load id, file id, ext).
    pub fn extra_placeholder<F>(mut self, name: impl Into<String>, callback: F) -> Self
    where
        F: Fn(&str, &str, &str, &str, &str) -> String + Send + Sync + 'static,
    {
        self.extra_placeholders
            .push((name.into(), Placeholder::Callback(Arc::new(callback))));
        self
    }

    /// A placeholder with a fixed value.
    pub fn extra_value(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_placeholders
            .push((name.into(), Placeholder::Value(value.into())));
        self
    }

    /// A backend setting by dlt's credential name (`aws_access_key_id`, `endpoint_url`, …) or
    /// `kwargs.<key>` / `client_kwargs.<key>`.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }
}

/// A pipeline: name, destination, dataset and settings.
#[derive(Debug, Clone)]
pub struct Pipeline {
    options: RunOptions,
    plugin_dirs: Vec<PathBuf>,
}

impl Pipeline {
    /// A pipeline called `name` loading to `./_storage` by default.
    pub fn new(name: impl Into<String>) -> Self {
        let mut options = RunOptions::new("-", "unused");
        options.pipeline = name.into();
        Pipeline {
            options,
            plugin_dirs: Vec::new(),
        }
    }

    /// Where the data goes.
    pub fn destination(mut self, destination: Filesystem) -> Self {
        self.options.bucket_url = Some(destination.bucket_url);
        if let Some(layout) = destination.layout {
            self.options.layout.layout = layout;
        }
        self.options
            .layout
            .extra_placeholders
            .extend(destination.extra_placeholders);
        self.options.backend_options = Options::new(destination.options);
        self
    }

    /// The dataset (default `<pipeline>_dataset`).
    pub fn dataset(mut self, dataset: impl Into<String>) -> Self {
        self.options.dataset = Some(dataset.into());
        self
    }

    /// The loader file format plugin (`jsonl`, `parquet`, `csv`, `insert_values`).
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.options.format = format.into();
        self
    }

    /// The root table's write disposition.
    pub fn write_disposition(mut self, disposition: WriteDisposition) -> Self {
        self.options.write_disposition = disposition;
        self
    }

    /// Folder of pipeline working dirs (default `~/.stowage/pipelines`).
    pub fn pipelines_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.pipelines_dir = Some(dir.into());
        self
    }

    /// A plugin directory searched before the standard ones.
    pub fn plugin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.plugin_dirs.push(dir.into());
        self
    }

    /// The settings this pipeline runs with, for anything the builder does not cover.
    pub fn options_mut(&mut self) -> &mut RunOptions {
        &mut self.options
    }

    /// Opens this pipeline's dataset for reading (committed loads only): tables as Arrow
    /// batches ([`Dataset::table`]) and SQL ([`Dataset::sql`], needs the duckdb plugin). Named
    /// `open_dataset` because [`Pipeline::dataset`] sets the dataset name.
    ///
    /// ```no_run
    /// # use stowage::api::{Pipeline, filesystem};
    /// let pipeline = Pipeline::new("web").destination(filesystem("/tmp/lake"));
    /// let dataset = pipeline.open_dataset()?;
    /// let rows: usize = dataset.table("events")?.map(|b| b.map(|b| b.num_rows())).sum::<Result<_, _>>()?;
    /// let joined = dataset.sql("SELECT count(*) FROM events e JOIN events__tags t ON t._dlt_parent_id = e._dlt_id")?;
    /// # Ok::<(), stowage::Error>(())
    /// ```
    pub fn open_dataset(&self) -> Result<Dataset> {
        self.open_dataset_with(false)
    }

    /// [`Pipeline::open_dataset`], optionally with the files of loads that have no completion
    /// marker.
    pub fn open_dataset_with(&self, include_uncommitted: bool) -> Result<Dataset> {
        let registry = Registry::discover(&DiscoveryConfig::standard(&self.plugin_dirs));
        let mut options = DatasetOptions::for_pipeline(&self.options)?;
        options.include_uncommitted = include_uncommitted;
        Dataset::open(Arc::new(registry), &options)
    }

    /// Normalizes `rows` (JSON objects) into `table` and loads them.
    pub fn run<I>(&self, table: &str, rows: I) -> Result<RunSummary>
    where
        I: IntoIterator<Item = Value>,
        I::IntoIter: Send + 'static,
    {
        let registry = Registry::discover(&DiscoveryConfig::standard(&self.plugin_dirs));
        let mut options = self.options.clone();
        options.table = table.to_string();
        let source = Box::new(Rows {
            rows: rows.into_iter(),
            index: 0,
        });
        pipeline::run_source(&registry, &options, source)
    }
}

/// Records from an iterator of JSON values.
struct Rows<I> {
    rows: I,
    index: u64,
}

impl<I: Iterator<Item = Value> + Send> RecordSource for Rows<I> {
    fn next_record(&mut self) -> Result<Option<Record>> {
        let Some(value) = self.rows.next() else {
            return Ok(None);
        };
        self.index += 1;
        match value {
            Value::Object(record) => Ok(Some(record)),
            other => Err(Error::invalid(format!(
                "row {} is not a JSON object: {}",
                self.index,
                other.to_string().chars().take(60).collect::<String>()
            ))),
        }
    }
}
