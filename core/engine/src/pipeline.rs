//! A whole run: finish pending packages, normalize the input into a new load package, load it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use stowage_plugin_sdk::{Backend, Options};

use crate::bucket_url::{DEFAULT_BUCKET, absolutize};
use crate::input::NdjsonReader;
use crate::job_writer::TableFiles;
use crate::loader::{LoadSummary, LoadTarget, load_package};
use crate::naming::{normalize_identifier, normalize_path};
use crate::normalize::TableNormalizer;
use crate::package::Package;
use crate::plugins::Registry;
use crate::schema::StoredSchema;
use crate::special_files::iso_utc;
use crate::{Error, Result, ids};

/// The default pipeline name.
pub const DEFAULT_PIPELINE: &str = "stowage";

/// Settings of one run (already resolved from flags and config).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// NDJSON input file (`-` for stdin).
    pub input: PathBuf,
    /// Table name (normalized before use).
    pub table: String,
    /// Pipeline name.
    pub pipeline: String,
    /// Dataset name (default `<pipeline>_dataset`), normalized before use.
    pub dataset: Option<String>,
    /// Bucket URL (default `./_storage`).
    pub bucket_url: Option<String>,
    /// Loader file format plugin name.
    pub format: String,
    /// Options for the format plugin (e.g. `disable_compression`).
    pub format_options: Options,
    /// Options for the backend plugin (credentials etc.).
    pub backend_options: Options,
    /// Folder holding pipeline working dirs (default `~/.stowage/pipelines`).
    pub pipelines_dir: Option<PathBuf>,
    /// Rows per batch handed to the format (dlt's `buffer_max_items`).
    pub buffer_max_items: usize,
}

impl RunOptions {
    /// Defaults for loading `input` into `table`.
    pub fn new(input: impl Into<PathBuf>, table: &str) -> Self {
        RunOptions {
            input: input.into(),
            table: table.into(),
            pipeline: DEFAULT_PIPELINE.into(),
            dataset: None,
            bucket_url: None,
            format: "jsonl".into(),
            format_options: Options::default(),
            backend_options: Options::default(),
            pipelines_dir: None,
            buffer_max_items: 5000,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The new load id.
    pub load_id: String,
    /// Resolved bucket URL.
    pub bucket_url: String,
    /// Normalized dataset name.
    pub dataset: String,
    /// Normalized table name.
    pub table: String,
    /// Rows normalized.
    pub rows: u64,
    /// The load itself.
    pub load: LoadSummary,
    /// Earlier packages finished first.
    pub finished_pending: Vec<LoadSummary>,
    /// The pipeline working dir.
    pub workdir: PathBuf,
}

/// The working dir of a pipeline.
pub fn pipeline_workdir(pipelines_dir: Option<&Path>, pipeline: &str) -> Result<PathBuf> {
    let base = match pipelines_dir {
        Some(dir) => dir.to_path_buf(),
        None => match std::env::var_os("STOWAGE_PIPELINES_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => home_dir()?.join(".stowage/pipelines"),
        },
    };
    Ok(base.join(pipeline))
}

fn home_dir() -> Result<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| {
        Error::invalid("HOME is not set; pass --pipelines-dir or set STOWAGE_PIPELINES_DIR")
    })
}

/// Resolved names shared by run and load.
struct Names {
    bucket_url: String,
    dataset: String,
    schema_name: String,
    workdir: PathBuf,
}

fn resolve_names(options: &RunOptions) -> Result<Names> {
    if options.pipeline.trim().is_empty() {
        return Err(Error::invalid("the pipeline name is empty"));
    }
    let cwd =
        std::env::current_dir().map_err(|e| Error::from_io(&e, "reading the current directory"))?;
    let bucket = options
        .bucket_url
        .clone()
        .unwrap_or_else(|| DEFAULT_BUCKET.into());
    let dataset_raw = options
        .dataset
        .clone()
        .unwrap_or_else(|| format!("{}_dataset", options.pipeline));
    Ok(Names {
        bucket_url: absolutize(&bucket, &cwd)?,
        dataset: normalize_identifier(&dataset_raw).map_err(|e| e.while_doing("dataset name"))?,
        schema_name: normalize_identifier(&options.pipeline)
            .map_err(|e| e.while_doing("pipeline name"))?,
        workdir: pipeline_workdir(options.pipelines_dir.as_deref(), &options.pipeline)?,
    })
}

/// Runs the pipeline: pending packages first, then normalize `options.input` and load it.
pub fn run(registry: &Registry, options: &RunOptions) -> Result<RunSummary> {
    let names = resolve_names(options)?;
    let table = normalize_path(&options.table).map_err(|e| e.while_doing("table name"))?;
    let backend = registry.open_backend(&names.bucket_url, &options.backend_options)?;
    let format = registry.open_format(&options.format, &options.format_options)?;
    let target = LoadTarget {
        dataset: names.dataset.clone(),
        schema_name: names.schema_name.clone(),
    };
    let finished_pending = load_all_pending(backend.as_ref(), &target, &names.workdir)?;
    let last = finished_pending.last().map(|s| s.load_id.clone());
    let load_id = ids::new_load_id(last.as_deref());
    let mut package = Package::create(&names.workdir, &load_id)?;
    let rows = match normalize_into(&package, options, &table, &names, format) {
        Ok(rows) => rows,
        Err(e) => {
            let _ = package.discard();
            return Err(e);
        }
    };
    package.move_to(&names.workdir, "normalized")?;
    let load = load_package(backend.as_ref(), &target, &mut package, &names.workdir)?;
    Ok(RunSummary {
        load_id,
        bucket_url: names.bucket_url,
        dataset: names.dataset,
        table,
        rows,
        load,
        finished_pending,
        workdir: names.workdir,
    })
}

/// Loads every pending (normalized, not yet loaded) package of the pipeline.
pub fn load_pending(registry: &Registry, options: &RunOptions) -> Result<Vec<LoadSummary>> {
    let names = resolve_names(options)?;
    let backend = registry.open_backend(&names.bucket_url, &options.backend_options)?;
    let target = LoadTarget {
        dataset: names.dataset,
        schema_name: names.schema_name,
    };
    load_all_pending(backend.as_ref(), &target, &names.workdir)
}

fn load_all_pending(
    backend: &dyn Backend,
    target: &LoadTarget,
    workdir: &Path,
) -> Result<Vec<LoadSummary>> {
    let mut done = Vec::new();
    for mut package in Package::pending(workdir)? {
        let summary = load_package(backend, target, &mut package, workdir)
            .map_err(|e| e.while_doing(format!("finishing pending load {}", package.load_id)))?;
        done.push(summary);
    }
    Ok(done)
}

/// Reads the input, writes job files and the package's schema/state; returns the row count.
fn normalize_into(
    package: &Package,
    options: &RunOptions,
    table: &str,
    names: &Names,
    format: Arc<stowage_plugin_sdk::ffi::client::ForeignFormat>,
) -> Result<u64> {
    let mut reader = NdjsonReader::open(&options.input)?;
    let mut normalizer = TableNormalizer::new(table, &package.load_id);
    let mut files = TableFiles::new(table, format, package.state_dir("new_jobs"));
    let mut rows = 0u64;
    let buffer = options.buffer_max_items.max(1);
    while let Some(record) = reader.next_record()? {
        normalizer.push(&record)?;
        rows += 1;
        if normalizer.buffered_rows() >= buffer {
            files.write(normalizer.flush()?.expect("rows are buffered"))?;
        }
    }
    if let Some(batch) = normalizer.flush()? {
        files.write(batch)?;
    }
    files.finish()?;
    let schema = StoredSchema {
        name: names.schema_name.clone(),
        tables: vec![(table.to_string(), normalizer.columns().to_vec())],
    };
    package.write_file("schema.json", schema.to_json().to_string().as_bytes())?;
    let state = json!({
        "_state_version": 1,
        "_state_engine_version": 1,
        "created_at": iso_utc(chrono::Utc::now()),
        "pipeline_state": {"pipeline_name": options.pipeline, "dataset_name": names.dataset},
    });
    package.write_file("load_package_state.json", state.to_string().as_bytes())?;
    Ok(rows)
}
