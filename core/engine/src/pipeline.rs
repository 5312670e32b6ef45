//! A whole run: finish pending packages, normalize the input into a new load package, load it;
//! and its dry run, [`plan`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use stowage_plugin_sdk::{Backend, Options};

use crate::bucket_url::{DEFAULT_BUCKET, absolutize};
use crate::disposition::WriteDisposition;
use crate::input::{InputFormat, Prefetch, RecordSource};
use crate::job_writer::{FileLimits, TableFiles};
use crate::layout::{Layout, LayoutSettings};
use crate::loader::{DEFAULT_WORKERS, LoadSummary, LoadTarget, load_package};
use crate::naming::{Naming, normalize_identifier};
use crate::normalize::{NormalizeOptions, RelationalNormalizer};
use crate::package::{Package, write_atomic};
use crate::plan::{LiveBucket, LoadPlan, plan_packages};
use crate::plugins::Registry;
use crate::progress::{Event, ProgressHandle};
use crate::retry::RetryPolicy;
use crate::schema::{DltType, Schema};
use crate::special_files::iso_utc;
use crate::state::PipelineState;
use crate::{Error, Result, history, ids};

/// The default pipeline name.
pub const DEFAULT_PIPELINE: &str = "stowage";

/// Settings of one run (already resolved from flags and config).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Input file: NDJSON, JSON, CSV or Parquet (`-` for stdin).
    pub input: PathBuf,
    /// Table name (normalized before use).
    pub table: String,
    /// Pipeline name.
    pub pipeline: String,
    /// Dataset name (default `<pipeline>_dataset`), normalized before use.
    pub dataset: Option<String>,
    /// Bucket URL (default `./_storage`).
    pub bucket_url: Option<String>,
    /// Loader file format plugin name (empty: the root table's `file_format` hint in the
    /// schema, else `jsonl`).
    pub format: String,
    /// Options for the format plugin (e.g. `disable_compression`).
    pub format_options: Options,
    /// Options for the backend plugin (credentials etc.).
    pub backend_options: Options,
    /// Folder holding pipeline working dirs (default `~/.stowage/pipelines`).
    pub pipelines_dir: Option<PathBuf>,
    /// Rows per batch handed to the format (dlt's `buffer_max_items`).
    pub buffer_max_items: usize,
    /// `max_table_nesting` (default 1000): deeper structures stay `json` columns.
    pub max_table_nesting: Option<u32>,
    /// `max_identifier_length` (default none, as on the filesystem destination).
    pub max_identifier_length: Option<usize>,
    /// Type hints for root-table columns (`json` columns are not flattened).
    pub column_hints: Vec<(String, DltType)>,
    /// `max_state_files` (default 100; ≤ 0 keeps every state file).
    pub max_state_files: i64,
    /// How to read `input` (`Auto`: by extension; stdin is NDJSON).
    pub input_format: InputFormat,
    /// The root table's write disposition (nested tables follow it).
    pub write_disposition: WriteDisposition,
    /// Layout of data file keys, extra placeholders, `current_datetime`.
    pub layout: LayoutSettings,
    /// Warn about layout separators table names may contain (default true).
    pub warn_unsafe_layout_separators: bool,
    /// Rows per job file (dlt's `file_max_items`; default: no limit).
    pub file_max_items: Option<usize>,
    /// Bytes per job file (dlt's `file_max_bytes`; default: no limit).
    pub file_max_bytes: Option<u64>,
    /// Parallel uploads (`load.workers`, default 20).
    pub workers: usize,
    /// Retries of transient bucket errors (`load.raise_on_max_retries`, default 5).
    pub retry: RetryPolicy,
    /// Where progress events go (default: nowhere).
    pub progress: ProgressHandle,
    /// Load through a staging bucket into a database destination (`None`: the bucket is the
    /// destination).
    pub staging: Option<crate::staging::StagingOptions>,
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
            max_table_nesting: None,
            max_identifier_length: None,
            column_hints: Vec::new(),
            max_state_files: history::DEFAULT_MAX_STATE_FILES,
            input_format: InputFormat::Auto,
            write_disposition: WriteDisposition::Append,
            layout: LayoutSettings::default(),
            warn_unsafe_layout_separators: true,
            file_max_items: None,
            file_max_bytes: None,
            workers: DEFAULT_WORKERS,
            retry: RetryPolicy::default(),
            progress: ProgressHandle::none(),
            staging: None,
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
pub(crate) struct Names {
    pub(crate) bucket_url: String,
    pub(crate) dataset: String,
    pub(crate) schema_name: String,
    pub(crate) workdir: PathBuf,
}

pub(crate) fn resolve_names(options: &RunOptions) -> Result<Names> {
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
    if let Some(staging) = &options.staging {
        return crate::staging::run(registry, options, staging);
    }
    run_records(registry, options, None)
}

/// Runs the pipeline on records from `source` instead of `options.input` (the Rust API's
/// entry point; staging is not available this way yet).
pub fn run_source(
    registry: &Registry,
    options: &RunOptions,
    source: Box<dyn RecordSource>,
) -> Result<RunSummary> {
    if options.staging.is_some() {
        return Err(Error::unsupported(
            "loading records through a staging destination from the Rust API is not \
             supported yet; write them to a file and use `pipeline::run`",
        ));
    }
    run_records(registry, options, Some(source))
}

fn run_records(
    registry: &Registry,
    options: &RunOptions,
    source: Option<Box<dyn RecordSource>>,
) -> Result<RunSummary> {
    let names = resolve_names(options)?;
    let table = Naming::with_max_length(options.max_identifier_length)
        .path(&options.table)
        .map_err(|e| e.while_doing("table name"))?;
    let target = load_target(options, &names)?;
    let backend = registry.open_backend(&names.bucket_url, &options.backend_options)?;
    let format_name = loader_file_format(backend.as_ref(), options, &names)?;
    let format = registry.open_format(&format_name, &options.format_options)?;
    // Opened before anything else happens, so a bad input fails with nothing created.
    let reader = match source {
        Some(source) => source,
        None => crate::input::open(&options.input, options.input_format, registry)?,
    };
    let finished_pending = load_all_pending(backend.as_ref(), &target, &names.workdir)?;
    let last = finished_pending.last().map(|s| s.load_id.clone());
    let normalized = normalize_package(
        backend.as_ref(),
        options,
        &names,
        reader,
        format,
        last.as_deref(),
        true,
    )?;
    let mut package = normalized.package;
    let load = load_package(backend.as_ref(), &target, &mut package, &names.workdir)?;
    Ok(RunSummary {
        load_id: package.load_id,
        bucket_url: names.bucket_url,
        dataset: names.dataset,
        table,
        rows: normalized.rows,
        load,
        finished_pending,
        workdir: names.workdir,
    })
}

/// A package just normalized.
pub(crate) struct Normalized {
    pub(crate) package: Package,
    pub(crate) rows: u64,
}

/// Writes what a package needs besides its jobs before it becomes pending (a staged package's
/// record and hinted schema); may rewrite the package's schema.
pub(crate) type Prepare<'a> = &'a dyn Fn(&Package) -> Result<()>;

/// Normalizes `reader` into a new package in `load/normalized` (load id after `last`); with
/// `save`, the evolved schema and state become the pipeline's (the package will be loaded).
pub(crate) fn normalize_package(
    backend: &dyn Backend,
    options: &RunOptions,
    names: &Names,
    reader: Box<dyn RecordSource>,
    format: Arc<stowage_plugin_sdk::ffi::client::ForeignFormat>,
    last: Option<&str>,
    save: bool,
) -> Result<Normalized> {
    normalize_package_with(backend, options, names, reader, format, last, save, None)
}

/// [`normalize_package`], running `prepare` on the package before it moves to `normalized`,
/// so a crash can never leave a pending package without what `prepare` writes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn normalize_package_with(
    backend: &dyn Backend,
    options: &RunOptions,
    names: &Names,
    reader: Box<dyn RecordSource>,
    format: Arc<stowage_plugin_sdk::ffi::client::ForeignFormat>,
    last: Option<&str>,
    save: bool,
    prepare: Option<Prepare<'_>>,
) -> Result<Normalized> {
    let last = match last {
        Some(id) => Some(id.to_string()),
        None => Package::pending(&names.workdir)?
            .last()
            .map(|p| p.load_id.clone()),
    };
    let load_id = ids::new_load_id(last.as_deref());
    let (schema, state) = starting_point(backend, options, names)?;
    let mut package = Package::create(&names.workdir, &load_id)?;
    let normalized = normalize_into(&package, options, reader, format, schema, state).and_then(
        |(rows, jobs, schema, state)| match prepare {
            None => Ok((rows, jobs, schema, state)),
            Some(prepare) => {
                prepare(&package)?;
                let schema = crate::plan::package_schema(&package)?;
                Ok((rows, jobs, schema, state))
            }
        },
    );
    let (rows, jobs, schema, state) = match normalized {
        Ok(done) => done,
        Err(e) => {
            let _ = package.discard();
            return Err(e);
        }
    };
    package.move_to(&names.workdir, "normalized")?;
    if save {
        LocalStore {
            workdir: names.workdir.clone(),
        }
        .save(&schema, &state)?;
    }
    options.progress.emit(&Event::Normalized {
        load_id: &load_id,
        rows,
        jobs,
    });
    Ok(Normalized { package, rows })
}

/// What [`plan`] normalizes first, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanInput {
    /// Plan only the pending packages.
    PendingOnly,
    /// Normalize `options.input` into a new package, plan it after the pending ones, then
    /// delete it (its ids are not reused).
    Discard,
    /// Normalize `options.input` into a new package and keep it pending: `stowage load` then
    /// executes exactly this plan.
    Keep,
}

/// The result of [`plan`].
#[derive(Debug, Clone)]
pub struct PlanSummary {
    /// Resolved bucket URL.
    pub bucket_url: String,
    /// Normalized dataset name.
    pub dataset: String,
    /// One plan per package, in load order.
    pub plans: Vec<LoadPlan>,
    /// The package normalized for this plan and whether it was kept.
    pub normalized: Option<(String, u64, bool)>,
    /// The pipeline working dir.
    pub workdir: PathBuf,
}

/// A dry run: what the next load would write and delete, reading the bucket but never writing
/// to it. With an input, the input is normalized into a package first (see [`PlanInput`]).
pub fn plan(registry: &Registry, options: &RunOptions, input: PlanInput) -> Result<PlanSummary> {
    let names = resolve_names(options)?;
    let target = load_target(options, &names)?;
    let backend = registry.open_backend(&names.bucket_url, &options.backend_options)?;
    let mut normalized = None;
    if input != PlanInput::PendingOnly {
        let format_name = loader_file_format(backend.as_ref(), options, &names)?;
        let format = registry.open_format(&format_name, &options.format_options)?;
        let reader = crate::input::open(&options.input, options.input_format, registry)?;
        let keep = input == PlanInput::Keep;
        normalized = Some(normalize_package(
            backend.as_ref(),
            options,
            &names,
            reader,
            format,
            None,
            keep,
        )?);
    }
    let pending = Package::pending(&names.workdir)?;
    let plans = plan_packages(&LiveBucket(backend.as_ref()), &target, &pending);
    let normalized = match normalized {
        Some(n) if input == PlanInput::Discard => {
            let info = (n.package.load_id.clone(), n.rows, false);
            n.package.discard()?;
            Some(info)
        }
        Some(n) => Some((n.package.load_id.clone(), n.rows, true)),
        None => None,
    };
    Ok(PlanSummary {
        bucket_url: names.bucket_url,
        dataset: names.dataset,
        plans: plans?,
        normalized,
        workdir: names.workdir,
    })
}

/// Where and how packages are loaded; validates the layout before anything is created.
pub(crate) fn load_target(options: &RunOptions, names: &Names) -> Result<LoadTarget> {
    let layout = Layout::new(&options.layout)?;
    let mut target = LoadTarget::new(&names.dataset, &names.schema_name);
    target.max_state_files = options.max_state_files;
    target.layout = layout;
    target.warn_unsafe_separators = options.warn_unsafe_layout_separators;
    target.workers = options.workers.max(1);
    target.retry = options.retry;
    target.progress = options.progress.clone();
    Ok(target)
}

/// Loads every pending (normalized, not yet loaded) package of the pipeline. With
/// `options.staging`, staged packages go to that database destination
/// ([`crate::staging::load_pending`]); without it, a staged package is refused (it is never
/// loaded as a plain filesystem load) with the command that finishes it.
pub fn load_pending(registry: &Registry, options: &RunOptions) -> Result<Vec<LoadSummary>> {
    if let Some(staging) = &options.staging {
        return crate::staging::load_pending(registry, options, staging);
    }
    let names = resolve_names(options)?;
    let target = load_target(options, &names)?;
    let backend = registry.open_backend(&names.bucket_url, &options.backend_options)?;
    load_all_pending(backend.as_ref(), &target, &names.workdir)
}

fn load_all_pending(
    backend: &dyn Backend,
    target: &LoadTarget,
    workdir: &Path,
) -> Result<Vec<LoadSummary>> {
    let packages = Package::pending(workdir)?;
    refuse_staged(&packages)?;
    let mut done = Vec::new();
    for mut package in packages {
        let summary = load_package(backend, target, &mut package, workdir)
            .map_err(|e| e.while_doing(format!("finishing pending load {}", package.load_id)))?;
        done.push(summary);
    }
    Ok(done)
}

/// Fails if any of `packages` was staged for a database destination: its files belong in that
/// destination, and loading it as a plain filesystem load would put them on the bucket as
/// final data.
fn refuse_staged(packages: &[Package]) -> Result<()> {
    for package in packages {
        let what = || format!("checking pending load {}", package.load_id);
        if let Some(record) =
            crate::staging::PackageRecord::read(package).map_err(|e| e.while_doing(what()))?
        {
            let database = record.destination;
            return Err(Error::invalid(format!(
                "pending load {} was staged for destination `{database}` and cannot be loaded \
                 as a filesystem load: finish it with `stowage load --destination {database}` \
                 (Rust API: `staging::load_pending`, or `RunOptions::staging` set to \
                 `{database}`)",
                package.load_id
            )));
        }
    }
    Ok(())
}

/// The pipeline's stored schema and state in its working dir (dlt's `schemas/` and
/// `state.json`).
struct LocalStore {
    workdir: PathBuf,
}

impl LocalStore {
    fn schema_path(&self, name: &str) -> PathBuf {
        self.workdir
            .join("schemas")
            .join(format!("{name}.schema.json"))
    }

    fn state_path(&self) -> PathBuf {
        self.workdir.join("state.json")
    }

    fn read_json(path: &Path) -> Result<Option<serde_json::Value>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::invalid(format!("{} is corrupt: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::from_io(&e, format!("reading {}", path.display()))),
        }
    }

    fn schema(&self, name: &str) -> Result<Option<Schema>> {
        Self::read_json(&self.schema_path(name))?
            .map(Schema::from_json)
            .transpose()
    }

    fn state(&self) -> Result<Option<PipelineState>> {
        Self::read_json(&self.state_path())?
            .map(PipelineState::from_json)
            .transpose()
    }

    fn save(&self, schema: &Schema, state: &PipelineState) -> Result<()> {
        let schema_path = self.schema_path(schema.name());
        if let Some(dir) = schema_path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::from_io(&e, format!("creating {}", dir.display())))?;
        }
        write_atomic(&schema_path, schema.to_json().to_string().as_bytes())?;
        write_atomic(&self.state_path(), state.to_json().to_string().as_bytes())
    }
}

/// The schema and state a run starts from: the working dir's, else the newest on the bucket
/// (what dlt does on a new machine), else new ones.
/// The loader file format: `options.format` when set; otherwise the `file_format` hint the root
/// table carries in the pipeline's schema (dlt stores it when a run chose a format, and keeps
/// writing that format for the table), else `jsonl`.
fn loader_file_format(
    backend: &dyn Backend,
    options: &RunOptions,
    names: &Names,
) -> Result<String> {
    if !options.format.is_empty() {
        return Ok(options.format.clone());
    }
    let (schema, _) = starting_point(backend, options, names)?;
    let root = Naming::with_max_length(options.max_identifier_length).path(&options.table)?;
    let hinted = schema
        .table_setting(&root, "file_format")
        .and_then(serde_json::Value::as_str)
        .filter(|f| *f != "preferred")
        .map(String::from);
    Ok(hinted.unwrap_or_else(|| DEFAULT_LOADER_FILE_FORMAT.to_string()))
}

/// The format used when neither a flag, the config nor the schema names one.
pub const DEFAULT_LOADER_FILE_FORMAT: &str = "jsonl";

fn starting_point(
    backend: &dyn Backend,
    options: &RunOptions,
    names: &Names,
) -> Result<(Schema, PipelineState)> {
    let store = LocalStore {
        workdir: names.workdir.clone(),
    };
    let mut state = match store.state()? {
        Some(state) => state,
        None => history::newest_state(backend, &names.dataset, &options.pipeline)?.unwrap_or_else(
            || PipelineState::new(&options.pipeline, &names.dataset, &names.schema_name),
        ),
    };
    let schema = match store.schema(&names.schema_name)? {
        Some(schema) => schema,
        None => history::newest_schema(backend, &names.dataset, &names.schema_name)?
            .unwrap_or_else(|| Schema::new(&names.schema_name)),
    };
    state.set("dataset_name", serde_json::json!(names.dataset));
    match &options.staging {
        Some(staging) => state.set_destinations(&staging.destination, Some("filesystem")),
        None => state.set_destinations("filesystem", None),
    }
    state.add_schema(&names.schema_name);
    Ok((schema, state))
}

/// Restores the newest state and schema of `options.pipeline` from the bucket into an empty
/// working dir (dlt's `sync_destination` on a new machine). Returns the schema name restored.
pub fn sync(registry: &Registry, options: &RunOptions) -> Result<String> {
    let names = resolve_names(options)?;
    let backend = registry.open_backend(&names.bucket_url, &options.backend_options)?;
    let state = history::newest_state(backend.as_ref(), &names.dataset, &options.pipeline)?
        .ok_or_else(|| {
            Error::not_found(format!(
                "no state of pipeline `{}` in {}/{}/{}",
                options.pipeline,
                names.bucket_url.trim_end_matches('/'),
                names.dataset,
                history::STATE_FOLDER
            ))
        })?;
    let schema_name = state
        .get_str("default_schema_name")
        .unwrap_or(&names.schema_name)
        .to_string();
    let schema = history::newest_schema(backend.as_ref(), &names.dataset, &schema_name)?
        .ok_or_else(|| {
            Error::not_found(format!(
                "no schema `{schema_name}` in {}/{}",
                names.dataset,
                history::VERSION_FOLDER
            ))
        })?;
    let store = LocalStore {
        workdir: names.workdir.clone(),
    };
    store.save(&schema, &state)?;
    Ok(schema_name)
}

/// Reads the input, writes job files, the package's schema and (if changed) state; returns the
/// row count of the root table, the number of job files and the evolved schema and state.
fn normalize_into(
    package: &Package,
    options: &RunOptions,
    reader: Box<dyn RecordSource>,
    format: Arc<stowage_plugin_sdk::ffi::client::ForeignFormat>,
    schema: Schema,
    mut state: PipelineState,
) -> Result<(u64, usize, Schema, PipelineState)> {
    let mut settings = NormalizeOptions::new(&options.table, &package.load_id);
    settings.write_disposition = options.write_disposition.as_str().to_string();
    settings.naming = Naming::with_max_length(options.max_identifier_length);
    if let Some(nesting) = options.max_table_nesting {
        settings.max_nesting = nesting;
    }
    settings.column_hints = options.column_hints.clone();
    // Merge on a database destination links nested rows to their root (`_dlt_root_id`).
    settings.root_key = options.staging.is_some()
        && options.write_disposition == crate::disposition::WriteDisposition::Merge;
    let mut normalizer = RelationalNormalizer::new(schema, &settings)?;
    // Reading and parsing overlap with normalizing; the format plugin encodes on its own thread.
    let mut reader = Prefetch::spawn(reader)?;
    let mut files = Writers {
        tables: HashMap::new(),
        format,
        limits: FileLimits {
            max_items: options.file_max_items,
            max_bytes: options.file_max_bytes,
        },
    };
    // dlt flushes a buffer at min(buffer_max_items, file_max_items) items.
    let buffer = options
        .buffer_max_items
        .min(options.file_max_items.unwrap_or(usize::MAX))
        .max(1);
    let check_every = CHECK_EVERY.min(buffer);
    let (mut since_check, mut records) = (0usize, 0u64);
    while let Some(record) = reader.next_record()? {
        normalizer.push(record)?;
        since_check += 1;
        records += 1;
        if since_check >= check_every {
            since_check = 0;
            write_batches(&mut normalizer, buffer, &mut files, package)?;
            options.progress.emit(&Event::Normalizing { records });
        }
    }
    write_batches(&mut normalizer, 0, &mut files, package)?;
    let mut jobs = 0;
    for (_, table_files) in files.tables {
        jobs += table_files.finish()?.len();
    }
    let root = normalizer.root_table().to_string();
    let rows = normalizer
        .row_counts()
        .into_iter()
        .find(|(t, _)| *t == root)
        .map_or(0, |(_, n)| n);
    let mut schema = normalizer.into_schema();
    schema.bump_version();
    package.write_file("schema.json", schema.to_json().to_string().as_bytes())?;
    let mut package_state = serde_json::json!({
        "_state_version": 1,
        "_state_engine_version": 1,
        "created_at": iso_utc(chrono::Utc::now()),
    });
    if state.bump_version() {
        package_state["pipeline_state"] = state.without_local();
    }
    package.write_file(
        "load_package_state.json",
        package_state.to_string().as_bytes(),
    )?;
    Ok((rows, jobs, schema, state))
}

/// The open job files of every table, and how to write new ones.
struct Writers {
    tables: HashMap<String, TableFiles>,
    format: Arc<stowage_plugin_sdk::ffi::client::ForeignFormat>,
    limits: FileLimits,
}

/// Records between checks of the table buffers.
const CHECK_EVERY: usize = 256;

fn write_batches(
    normalizer: &mut RelationalNormalizer,
    min_rows: usize,
    files: &mut Writers,
    package: &Package,
) -> Result<()> {
    for (table, batch) in normalizer.take_batches(min_rows)? {
        let table_files = files.tables.entry(table.clone()).or_insert_with(|| {
            TableFiles::with_limits(
                &table,
                files.format.clone(),
                package.state_dir("new_jobs"),
                files.limits,
            )
        });
        table_files.write(batch)?;
    }
    Ok(())
}
